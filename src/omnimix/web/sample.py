"""A small synthetic workspace for the dashboard's tests and benchmark (until ``omnimix demo`` exists).

``build_sample_workspace(DIR)`` writes ``DIR/omnimix.toml`` and ``DIR/warehouse.duckdb`` with every
canonical table filled with plausible, deterministic rows, and optionally the result tables the
dashboard shows (attribution, MMM, response curves, CLV).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from omnimix.config import Config, render_config
from omnimix.schema import create_all

CHANNELS: dict[str, tuple[str, float]] = {  # channel -> (stage, mean daily spend)
    "douyin": ("awareness", 300.0),
    "wechat": ("consideration", 200.0),
    "baidu": ("consideration", 150.0),
    "email": ("retention", 20.0),
}


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    import pandas as pd

    frame = pd.DataFrame(rows)
    con.register("_rows", frame)
    try:
        con.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM _rows')
    finally:
        con.unregister("_rows")


def build_sample_workspace(
    directory: str | Path,
    *,
    seed: int = 7,
    days: int = 120,
    users: int = 150,
    start: date = date(2026, 1, 1),
    with_results: bool = True,
    with_identity: bool = True,
) -> Path:
    """Create a workspace directory with config and a filled warehouse; returns the directory.

    Args:
        directory: target directory (created).
        seed: random seed (same seed, same data).
        days: days of spend, touchpoints and conversions starting at ``start``.
        users: number of people.
        with_results: also write attribution, MMM, response curves and CLV result tables.
        with_identity: also write ``identifiers`` and ``customers`` (as ``omnimix resolve`` would).
    """
    rng = random.Random(seed)
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    (d / "omnimix.toml").write_text(render_config(Config()), encoding="utf-8")
    path = d / "warehouse.duckdb"
    if path.exists():
        path.unlink()
    con = duckdb.connect(str(path))
    create_all(con)
    spend = []
    for i in range(days):
        day = start + timedelta(days=i)
        for ch, (_stage, mean) in CHANNELS.items():
            s = round(mean * rng.uniform(0.6, 1.4), 2)
            spend.append(
                {
                    "date": day,
                    "channel": ch,
                    "campaign": f"{ch}_always_on",
                    "spend": s,
                    "impressions": int(s * rng.uniform(80, 120)),
                    "clicks": int(s * rng.uniform(1, 3)),
                    "currency": "CNY",
                    "source": "sample",
                    "load_id": "L1",
                }
            )
    touch: list[dict[str, Any]] = []
    conv: list[dict[str, Any]] = []
    n_touch = n_conv = 0
    for u in range(users):
        uid = f"u{u:05d}"
        k = rng.randint(1, 6)
        chans = rng.sample(list(CHANNELS), rng.randint(1, 3))
        first = datetime.combine(start, datetime.min.time()) + timedelta(
            minutes=rng.randint(0, days * 1440 - 1)
        )
        for _ in range(k):
            ch = rng.choice(chans)
            ts = first + timedelta(minutes=rng.randint(0, 20 * 1440))
            if ts.date() >= start + timedelta(days=days):
                continue
            n_touch += 1
            anon = rng.random() < 0.2
            touch.append(
                {
                    "event_id": f"t{n_touch:07d}",
                    "ts": ts,
                    "channel": ch,
                    "stage": CHANNELS[ch][0],
                    "campaign": f"{ch}_always_on",
                    "event_type": "click",
                    "user_id": None if anon else uid,
                    "anonymous_id": f"anon{u:05d}" if anon else None,
                    "cost": None,
                    "source": "sample",
                    "load_id": "L2",
                }
            )
        if rng.random() < 0.55:
            for _ in range(rng.randint(1, 3)):
                ts = first + timedelta(minutes=rng.randint(60, 25 * 1440))
                if ts.date() >= start + timedelta(days=days):
                    continue
                n_conv += 1
                conv.append(
                    {
                        "conversion_id": f"o{n_conv:07d}",
                        "ts": ts,
                        "type": "purchase",
                        "value": round(rng.uniform(50, 800), 2),
                        "currency": "CNY",
                        "user_id": uid,
                        "store_id": None,
                        "online": True,
                        "source": "sample",
                        "load_id": "L3",
                    }
                )
    _insert(con, "spend", spend)
    _insert(con, "touchpoints", touch)
    _insert(con, "conversions", conv)
    loaded = datetime.combine(start + timedelta(days=days), datetime.min.time())
    _insert(
        con,
        "loads",
        [
            {
                "load_id": f"L{i}",
                "file": f"{t}.csv",
                "sha256": f"{i:064x}",
                "target_table": t,
                "preset": None,
                "rows_in": n + (3 if t == "conversions" else 0),
                "rows_loaded": n,
                "rows_quarantined": 3 if t == "conversions" else 0,
                "rows_skipped": 0,
                "loaded_at": loaded + timedelta(minutes=i),
            }
            for i, (t, n) in enumerate(
                (("spend", len(spend)), ("touchpoints", len(touch)), ("conversions", len(conv))), start=1
            )
        ],
    )
    _insert(
        con,
        "quarantine",
        [
            {
                "load_id": "L3",
                "source_file": "conversions.csv",
                "line": 10 + i,
                "column_name": col,
                "raw": raw,
                "reason": reason,
                "target_table": "conversions",
                "loaded_at": loaded,
            }
            for i, (col, raw, reason) in enumerate(
                (
                    (
                        "value",
                        '{"conversion_id": "x1", "value": "-5", "email": "li.wei@example.com"}',
                        "value < 0",
                    ),
                    (
                        "ts",
                        '{"conversion_id": "x2", "ts": "yesterday", "phone": "+8613800138000"}',
                        "unparseable ts",
                    ),
                    ("ts", '{"conversion_id": "x3", "ts": "", "value": "12"}', "missing required ts"),
                )
            )
        ],
    )
    users_conv = sorted({str(c["user_id"]) for c in conv})
    if with_identity:
        ids, custs = [], []
        for u in range(users):
            uid = f"u{u:05d}"
            cid = f"C{u:05d}"
            ids.append(
                {
                    "id_type": "user_id",
                    "id_value": uid,
                    "customer_id": cid,
                    "first_seen": None,
                    "last_seen": None,
                }
            )
            ids.append(
                {
                    "id_type": "anonymous_id",
                    "id_value": f"anon{u:05d}",
                    "customer_id": cid,
                    "first_seen": None,
                    "last_seen": None,
                }
            )
            ids.append(
                {
                    "id_type": "email",
                    "id_value": f"user{u}@example.com",
                    "customer_id": cid,
                    "first_seen": None,
                    "last_seen": None,
                }
            )
        _insert(con, "identifiers", ids)
        con.execute(
            "CREATE TEMP TABLE _people AS SELECT i.customer_id, t.ts, t.channel FROM touchpoints t "
            "JOIN identifiers i ON (i.id_type = 'user_id' AND i.id_value = t.user_id) "
            "OR (i.id_type = 'anonymous_id' AND i.id_value = t.anonymous_id)"
        )
        con.execute(
            "INSERT INTO customers (customer_id, first_seen, last_seen, channels, orders, revenue, segment) "
            "SELECT p.customer_id, min(p.ts), max(p.ts), list(DISTINCT p.channel "
            "ORDER BY p.channel), coalesce(o.orders, 0), coalesce(o.revenue, 0), "
            "CASE WHEN coalesce(o.revenue, 0) > 1000 THEN 'vip' WHEN o.orders > 0 THEN 'active' "
            "ELSE 'prospect' END FROM _people p LEFT JOIN (SELECT i.customer_id, count(*) AS orders, "
            "sum(c.value) AS revenue FROM conversions c JOIN identifiers i ON i.id_type = 'user_id' "
            "AND i.id_value = c.user_id GROUP BY 1) o ON o.customer_id = p.customer_id "
            "GROUP BY p.customer_id, o.orders, o.revenue"
        )
        custs = [r[0] for r in con.execute("SELECT customer_id FROM customers ORDER BY 1").fetchall()]
    else:
        custs = [f"C{u[1:]}" for u in users_conv]
    if with_results:
        attr = []
        for model, skew in (("last_touch", 1.6), ("markov", 1.0), ("shapley", 0.9)):
            weights = {ch: (mean / 100.0) ** (1 / skew) for ch, (_s, mean) in CHANNELS.items()}
            tot = sum(weights.values())
            total_value = sum(float(c["value"]) for c in conv)
            for ch, w in weights.items():
                attr.append(
                    {
                        "model": model,
                        "channel": ch,
                        "conversions": round(len(conv) * w / tot, 3),
                        "value": round(total_value * w / tot, 2),
                    }
                )
        con.execute(
            "CREATE TABLE attribution_results (model VARCHAR, channel VARCHAR, conversions DOUBLE, "
            "value DOUBLE)"
        )
        _insert(con, "attribution_results", attr)
        con.execute(
            "CREATE TABLE mmm_channels (channel VARCHAR, contribution_mean DOUBLE, contribution_lo DOUBLE, "
            "contribution_hi DOUBLE, roi_mean DOUBLE, roi_lo DOUBLE, roi_hi DOUBLE)"
        )
        con.execute(
            "CREATE TABLE response_curves (channel VARCHAR, type VARCHAR, beta DOUBLE, "
            "half_saturation DOUBLE, slope DOUBLE, lam DOUBLE, current_spend DOUBLE)"
        )
        mmm, curves = [], []
        for ch, (_s, mean) in CHANNELS.items():
            period = mean * days
            roi = rng.uniform(0.8, 3.0)
            mmm.append(
                {
                    "channel": ch,
                    "contribution_mean": period * roi,
                    "contribution_lo": period * roi * 0.7,
                    "contribution_hi": period * roi * 1.3,
                    "roi_mean": roi,
                    "roi_lo": roi * 0.7,
                    "roi_hi": roi * 1.3,
                }
            )
            if ch == "douyin":
                curves.append(
                    {
                        "channel": ch,
                        "type": "logistic",
                        "beta": period * roi * 1.8,
                        "half_saturation": None,
                        "slope": None,
                        "lam": 1.5 / period,
                        "current_spend": period,
                    }
                )
            else:
                curves.append(
                    {
                        "channel": ch,
                        "type": "hill",
                        "beta": period * roi * 2,
                        "half_saturation": period,
                        "slope": 1.0 + 0.3 * rng.random(),
                        "lam": None,
                        "current_spend": period,
                    }
                )
        _insert(con, "mmm_channels", mmm)
        _insert(con, "response_curves", curves)
        con.execute("CREATE TABLE mmm_diagnostics (metric VARCHAR, value DOUBLE)")
        _insert(
            con,
            "mmm_diagnostics",
            [
                {"metric": m, "value": v}
                for m, v in (
                    ("r_hat_max", 1.004),
                    ("ess_bulk_min", 1150.0),
                    ("divergences", 0.0),
                    ("mape", 0.071),
                    ("r2", 0.93),
                )
            ],
        )
        con.execute("CREATE TABLE mmm_fit (date DATE, actual DOUBLE, predicted DOUBLE)")
        fit = []
        for w in range(days // 7):
            a = rng.uniform(8000, 16000)
            fit.append(
                {"date": start + timedelta(days=7 * w), "actual": a, "predicted": a * rng.uniform(0.9, 1.1)}
            )
        _insert(con, "mmm_fit", fit)
        con.execute(
            "CREATE TABLE clv_customers (customer_id VARCHAR, segment VARCHAR, clv DOUBLE, p_alive DOUBLE)"
        )
        segs = ("champions", "loyal", "at_risk", "hibernating")
        _insert(
            con,
            "clv_customers",
            [
                {
                    "customer_id": c,
                    "segment": segs[i % 4],
                    "clv": round(rng.uniform(100, 3000) / (1 + i % 4), 2),
                    "p_alive": round(rng.uniform(0.2, 0.99), 3),
                }
                for i, c in enumerate(custs)
            ],
        )
        con.execute("CREATE TABLE segment_profiles (segment VARCHAR, persona VARCHAR)")
        _insert(
            con,
            "segment_profiles",
            [
                {"segment": "champions", "persona": "高价值忠诚客户 / high-value loyal"},
                {"segment": "at_risk", "persona": "流失风险 / slipping away"},
            ],
        )
    con.close()
    return d
