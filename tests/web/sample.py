"""A small synthetic workspace for the dashboard's tests and benchmark.

``build_sample_workspace(DIR)`` creates the workspace through the one door — ``Workspace.init(DIR)``
(omnimix.toml and the warehouse it names, with every canonical table) — and fills it with
``Workspace.writer()`` writes of plausible, deterministic rows: the canonical tables and optionally
the identity tables and the result tables the dashboard shows (attribution, MMM, response curves,
CLV). Table definitions come from :mod:`omnimix.schema`; nothing here writes DDL.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from omnimix.config import Config
from omnimix.workspace import Workspace

CHANNELS: dict[str, tuple[str, float]] = {  # channel -> (stage, mean daily spend)
    "douyin": ("awareness", 300.0),
    "wechat": ("consideration", 200.0),
    "baidu": ("consideration", 150.0),
    "email": ("retention", 20.0),
}


def build_sample_workspace(
    directory: str | Path,
    *,
    seed: int = 7,
    days: int = 120,
    users: int = 150,
    start: date = date(2026, 1, 1),
    with_results: bool = True,
    with_identity: bool = True,
    config: Config | None = None,
) -> Path:
    """Create a workspace directory with config and a filled warehouse; returns the directory.

    Args:
        directory: target directory (created).
        seed: random seed (same seed, same data).
        days: days of spend, touchpoints and conversions starting at ``start``.
        users: number of people.
        with_results: also write attribution, MMM, response curves and CLV result tables.
        with_identity: also write ``identifiers`` and ``customers`` (as ``omnimix resolve`` would).
        config: the workspace configuration (default: ``Config()``); its ``[workspace] warehouse``
            names the warehouse file.
    """
    rng = random.Random(seed)
    d = Path(directory)
    ws = Workspace.init(d, config=config)
    tables: dict[str, list[dict[str, Any]]] = {}
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
    tables["spend"] = spend
    tables["touchpoints"] = touch
    tables["conversions"] = conv
    loaded = datetime.combine(start + timedelta(days=days), datetime.min.time())
    tables["loads"] = (
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
        ]
    )
    tables["quarantine"] = (
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
        ]
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
        tables["identifiers"] = ids
        owner = {(r["id_type"], r["id_value"]): r["customer_id"] for r in ids}
        people = pd.DataFrame(
            {
                "customer_id": [
                    owner[("user_id", t["user_id"])] if t["user_id"] else owner[("anonymous_id", t["anonymous_id"])]
                    for t in touch
                ],
                "ts": [t["ts"] for t in touch],
                "channel": [t["channel"] for t in touch],
            }
        )
        bought: dict[str, tuple[int, float]] = {}
        for c in conv:
            cid = owner[("user_id", c["user_id"])]
            n, v = bought.get(cid, (0, 0.0))
            bought[cid] = (n + 1, v + float(c["value"]))
        customers = []
        for cid, g in people.groupby("customer_id", sort=True):
            orders, revenue = bought.get(str(cid), (0, 0.0))
            customers.append(
                {
                    "customer_id": cid,
                    "first_seen": g["ts"].min(),
                    "last_seen": g["ts"].max(),
                    "channels": sorted(set(g["channel"])),
                    "orders": orders,
                    "revenue": revenue,
                    "segment": "vip" if revenue > 1000 else "active" if orders > 0 else "prospect",
                }
            )
        tables["customers"] = customers
        custs = [str(r["customer_id"]) for r in customers]
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
        tables["attribution_results"] = attr
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
        tables["mmm_channels"] = mmm
        tables["response_curves"] = curves
        tables["mmm_diagnostics"] = (
            [
                {"metric": m, "value": v}
                for m, v in (
                    ("rhat_max", 1.004),
                    ("ess_bulk_min", 1150.0),
                    ("divergences", 0.0),
                    ("mape", 0.071),
                    ("r2", 0.93),
                )
            ]
        )
        fit = []
        for w in range(days // 7):
            a = rng.uniform(8000, 16000)
            fit.append(
                {"date": start + timedelta(days=7 * w), "actual": a, "predicted": a * rng.uniform(0.9, 1.1)}
            )
        tables["mmm_fit"] = fit
        segs = ("champions", "loyal", "at_risk", "hibernating")
        tables["clv_customers"] = (
            [
                {
                    "customer_id": c,
                    "segment": segs[i % 4],
                    "clv": round(rng.uniform(100, 3000) / (1 + i % 4), 2),
                    "p_alive": round(rng.uniform(0.2, 0.99), 3),
                }
                for i, c in enumerate(custs)
            ]
        )
        tables["segment_profiles"] = (
            [
                {"segment": "champions", "persona": "高价值忠诚客户 / high-value loyal"},
                {"segment": "at_risk", "persona": "流失风险 / slipping away"},
            ]
        )
    with ws.writer() as w:
        for name, rows in tables.items():
            w.write(name, pd.DataFrame(rows))
    return d
