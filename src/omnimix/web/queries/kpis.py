"""Headline KPIs of the Overview page and the per-channel table (spend, touches, attributed ROAS)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from omnimix.web.queries.common import Filters, chan_clause, div, num, person_sql, ts_range
from omnimix.web.registry import not_computed
from omnimix.web.warehouse import Warehouse


def attribution_models(wh: Warehouse) -> list[str]:
    if wh.result_state("attribution") is not None:
        return []
    return [
        r["model"]
        for r in wh.cached(
            ("attr_models",),
            lambda: wh.rows(
                "SELECT DISTINCT model FROM attribution_results WHERE model IS NOT NULL ORDER BY model"
            ),
        )
    ]


def default_model(models: Sequence[str]) -> str | None:
    for m in ("markov", "shapley", "data_driven"):
        if m in models:
            return m
    return models[0] if models else None


def _attr_share(wh: Warehouse, model: str, channels: tuple[str, ...]) -> float | None:
    """Share of attributed value that goes to ``channels`` under ``model``."""
    rows = wh.rows(
        "SELECT sum(value) AS total, sum(CASE WHEN list_contains(?, channel) THEN value END) AS sel "
        "FROM attribution_results WHERE model = ?",
        [list(channels), model],
    )
    total, sel = rows[0]["total"], rows[0]["sel"]
    if not total:
        return None
    return float(sel or 0.0) / float(total)


def kpis(wh: Warehouse, f: Filters, lookback_days: int = 30, model: str | None = None) -> dict[str, Any]:
    """Headline KPIs for the Overview page.

    spend and conversions/revenue over [start, end]; CAC = spend / new customers; LTV = mean predicted
    CLV (``clv_customers``) or historical revenue per customer; ROAS = attributed revenue / spend
    (needs ``attribution_results``); MER = all revenue / all spend; cross-channel conversion = share of
    converting people touched by >= 2 channels in the lookback window before the range end.
    """
    return wh.cached(("kpis", *f.key(), lookback_days, model), lambda: _kpis(wh, f, lookback_days, model))


def _kpis(wh: Warehouse, f: Filters, lookback_days: int, model: str | None) -> dict[str, Any]:
    notes: list[dict[str, str]] = []
    ts = ts_range(f)
    spend_all = spend_sel = 0.0
    if wh.has("spend"):
        chan, cp = chan_clause(f)
        row = wh.rows(
            "SELECT sum(spend) AS s_all, sum(CASE WHEN true" + chan + " THEN spend END) AS s_sel "
            'FROM spend WHERE "date" BETWEEN ? AND ?',
            [*cp, f.start, f.end],
        )[0]
        spend_all = float(row["s_all"] or 0.0)
        spend_sel = float(row["s_sel"] or 0.0)
    revenue_all = 0.0
    conversions = 0
    converting = 0
    new_customers = 0
    conv_joins, conv_person = person_sql(wh, "conversions", "c") if wh.has("conversions") else ("", "NULL")
    if wh.has("conversions"):
        row = wh.rows(
            f"SELECT sum(c.value) AS rev, count(*) AS n, count(DISTINCT {conv_person}) AS people "
            f"FROM conversions c {conv_joins} WHERE c.ts >= ? AND c.ts < ?",
            ts,
        )[0]
        revenue_all = float(row["rev"] or 0.0)
        conversions = int(row["n"])
        converting = int(row["people"])
    if wh.has("conversions"):
        # new customers = people whose FIRST purchase ever falls in the range (the CAC a CMO means), with
        # people joined across identifiers when identity resolution has run — not people first *seen*
        new_customers = int(
            wh.scalar(
                f"SELECT count(*) FROM (SELECT {conv_person} AS p, min(c.ts) AS first_ts FROM conversions c "
                f"{conv_joins} GROUP BY 1) WHERE p IS NOT NULL AND first_ts >= ? AND first_ts < ?",
                ts,
            )
            or 0
        )
        new_source = "first_purchase"
    else:
        new_source = "none"
    # revenue for the channel selection
    models = attribution_models(wh)
    model = model if model in models else default_model(models)
    revenue_sel: float | None = revenue_all
    roas: float | None = None
    if model is not None:
        share = _attr_share(wh, model, f.channels) if f.channels else 1.0
        revenue_sel = None if share is None else revenue_all * share
        roas = div(revenue_sel, spend_sel)
    else:
        notes.append({"metric": "roas", **_hint("attribution")})
        if f.channels:
            revenue_sel = None
            notes.append(
                {
                    "metric": "revenue",
                    "message": "revenue cannot be split by channel without "
                    "attribution results — " + _hint("attribution")["message"],
                }
            )
    # LTV
    ltv: float | None
    if wh.result_state("clv") is None:
        ltv = num(wh.scalar("SELECT avg(clv) FROM clv_customers"))
        ltv_source = "clv_customers"
    elif wh.has("conversions"):
        row = wh.rows(
            f"SELECT sum(c.value) AS rev, count(DISTINCT {conv_person}) AS people "
            f"FROM conversions c {conv_joins}"
        )[0]
        ltv = div(num(row["rev"]), float(row["people"] or 0))
        ltv_source = "historical"
        notes.append(
            {
                "metric": "ltv",
                "message": "historical revenue per customer; predicted CLV is " + _hint("clv")["message"],
            }
        )
    else:
        ltv, ltv_source = None, "none"
    cac = div(spend_sel if f.channels else spend_all, float(new_customers) if new_customers else None)
    cross = cross_channel(wh, f, lookback_days)
    return {
        "start": f.start.isoformat(),
        "end": f.end.isoformat(),
        "channels": list(f.channels),
        "spend": spend_sel if f.channels else spend_all,
        "spend_total": spend_all,
        "revenue": revenue_sel,
        "revenue_total": revenue_all,
        "conversions": conversions,
        "converting_customers": converting,
        "new_customers": new_customers,
        "new_customers_source": new_source,
        "cac": cac,
        "ltv": ltv,
        "ltv_source": ltv_source,
        "ltv_cac": div(ltv, cac),
        "roas": roas,
        "attribution_model": model,
        "mer": div(revenue_all, spend_all),
        "cross_channel_rate": cross["rate"],
        "multi_channel_customers": cross["multi_channel"],
        "notes": notes,
    }


def _hint(key: str) -> dict[str, str]:
    nc = not_computed(key)
    return {"message": nc["message"]}


def cross_channel(wh: Warehouse, f: Filters, lookback_days: int = 30) -> dict[str, Any]:
    """Converting people in the range and how many were touched by >= 2 channels.

    A touch counts when it falls between ``start - lookback_days`` and the range end.
    """
    if not (wh.has("conversions") and wh.has("touchpoints")):
        return {"converting": 0, "multi_channel": 0, "rate": None}
    cj, cp = person_sql(wh, "conversions", "c")
    tj, tp = person_sql(wh, "touchpoints", "t")
    ts = ts_range(f)
    t0 = ts[0] - timedelta(days=lookback_days)
    row = wh.rows(
        f"WITH conv AS (SELECT DISTINCT {cp} AS p FROM conversions c {cj} WHERE c.ts >= ? AND c.ts < ?), "
        f"touch AS (SELECT {tp} AS p, count(DISTINCT t.channel) AS n FROM touchpoints t {tj} "
        f"WHERE t.ts >= ? AND t.ts < ? GROUP BY 1) "
        "SELECT count(*) AS converting, count(*) FILTER (WHERE touch.n >= 2) AS multi "
        "FROM conv LEFT JOIN touch ON conv.p = touch.p WHERE conv.p IS NOT NULL",
        [*ts, t0, ts[1]],
    )[0]
    n = int(row["converting"])
    m = int(row["multi"])
    return {"converting": n, "multi_channel": m, "rate": (m / n) if n else None}


def by_channel(wh: Warehouse, f: Filters, model: str | None = None) -> list[dict[str, Any]]:
    """Per channel: spend, impressions, clicks, touchpoints and, with attribution results, ROAS."""

    def compute() -> list[dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        if wh.has("spend"):
            chan, cp = chan_clause(f)
            for r in wh.rows(
                "SELECT channel, sum(spend) AS spend, sum(impressions) AS impressions, "
                f'sum(clicks) AS clicks FROM spend WHERE "date" BETWEEN ? AND ?{chan} '
                "GROUP BY 1",
                [f.start, f.end, *cp],
            ):
                out[r["channel"]] = {
                    "channel": r["channel"],
                    "spend": float(r["spend"] or 0.0),
                    "impressions": int(r["impressions"] or 0),
                    "clicks": int(r["clicks"] or 0),
                }
        if wh.has("touchpoints"):
            chan, cp = chan_clause(f)
            for r in wh.rows(
                f"SELECT channel, count(*) AS n FROM touchpoints WHERE ts >= ? AND ts < ?{chan} GROUP BY 1",
                [*ts_range(f), *cp],
            ):
                out.setdefault(
                    r["channel"], {"channel": r["channel"], "spend": 0.0, "impressions": 0, "clicks": 0}
                )["touchpoints"] = int(r["n"])
        models = attribution_models(wh)
        m = model if model in models else default_model(models)
        if m is not None and wh.has("conversions"):
            rev = float(
                wh.scalar(
                    "SELECT coalesce(sum(value), 0) FROM conversions WHERE ts >= ? AND ts < ?", ts_range(f)
                )
                or 0.0
            )
            rows = wh.rows(
                "SELECT channel, sum(conversions) AS conv, sum(value) AS value FROM attribution_results "
                "WHERE model = ? GROUP BY 1",
                [m],
            )
            total = sum(float(r["value"] or 0.0) for r in rows)
            for r in rows:
                if f.channels and r["channel"] not in f.channels:
                    continue
                d = out.setdefault(
                    r["channel"], {"channel": r["channel"], "spend": 0.0, "impressions": 0, "clicks": 0}
                )
                d["attributed_conversions"] = num(r["conv"])
                d["attributed_revenue"] = rev * float(r["value"] or 0.0) / total if total else None
                d["roas"] = div(d["attributed_revenue"], d["spend"])
        for d in out.values():
            d.setdefault("touchpoints", 0)
            d["attribution_model"] = m
        return sorted(out.values(), key=lambda d: -d["spend"])

    return wh.cached(("by_channel", *f.key(), model), compute)


def channels(wh: Warehouse) -> list[str]:
    """Every channel seen in spend or touchpoints."""

    def compute() -> list[str]:
        parts = [
            f"SELECT DISTINCT channel FROM {t}" for t in ("spend", "touchpoints") if wh.has(t, ["channel"])
        ]
        if not parts:
            return []
        return [r["channel"] for r in wh.rows(" UNION ".join(parts) + " ORDER BY 1") if r["channel"]]

    return wh.cached(("channels",), compute)


