"""The funnel (touches and people per stage, then conversions) and the spend/revenue time series."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from omnimix.web.queries.common import Filters, chan_clause, person_sql, ts_range
from omnimix.web.warehouse import Warehouse


def funnel(wh: Warehouse, f: Filters, stages: Sequence[str]) -> list[dict[str, Any]]:
    """Touchpoints and distinct people per funnel stage (configured order), then conversions."""

    def compute() -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        ts = ts_range(f)
        if wh.has("touchpoints", ["stage"]):
            tj, tp = person_sql(wh, "touchpoints", "t")
            chan, cp = chan_clause(f, "t.channel")
            rows = wh.rows(
                f"SELECT coalesce(t.stage, 'unknown') AS stage, count(*) AS events, "
                f"count(DISTINCT {tp}) AS people FROM touchpoints t {tj} "
                f"WHERE t.ts >= ? AND t.ts < ?{chan} GROUP BY 1",
                [*ts, *cp],
            )
            by = {r["stage"]: r for r in rows}
            order = list(stages) + sorted(s for s in by if s not in stages)
            out = [
                {
                    "stage": s,
                    "events": int(by[s]["events"]) if s in by else 0,
                    "people": int(by[s]["people"]) if s in by else 0,
                }
                for s in order
            ]
        if wh.has("conversions"):
            cj, cpers = person_sql(wh, "conversions", "c")
            row = wh.rows(
                f"SELECT count(*) AS events, count(DISTINCT {cpers}) AS people FROM conversions c {cj} "
                "WHERE c.ts >= ? AND c.ts < ?",
                ts,
            )[0]
            out.append({"stage": "conversion", "events": int(row["events"]), "people": int(row["people"])})
        return out

    return wh.cached(("funnel", *f.key(), tuple(stages)), compute)


def trend(wh: Warehouse, f: Filters, grain: str = "auto") -> dict[str, Any]:
    """Spend, revenue and conversions per day or week (``auto``: weeks beyond 120 days)."""
    if grain == "auto":
        grain = "week" if (f.end - f.start).days > 120 else "day"
    if grain not in ("day", "week"):
        raise ValueError(f"grain {grain!r}: use day, week or auto")

    def compute() -> dict[str, Any]:
        bucket = "date_trunc('week', {c})::DATE" if grain == "week" else "{c}::DATE"
        spend: dict[date, float] = {}
        rev: dict[date, float] = {}
        conv: dict[date, int] = {}
        if wh.has("spend"):
            chan, cp = chan_clause(f)
            b_spend = bucket.format(c='"date"')
            for r in wh.rows(
                f"SELECT {b_spend} AS d, sum(spend) AS s FROM spend "
                f'WHERE "date" BETWEEN ? AND ?{chan} GROUP BY 1',
                [f.start, f.end, *cp],
            ):
                spend[r["d"]] = float(r["s"] or 0.0)
        if wh.has("conversions"):
            b_conv = bucket.format(c="ts")
            for r in wh.rows(
                f"SELECT {b_conv} AS d, sum(value) AS v, count(*) AS n "
                "FROM conversions WHERE ts >= ? AND ts < ? GROUP BY 1",
                ts_range(f),
            ):
                rev[r["d"]] = float(r["v"] or 0.0)
                conv[r["d"]] = int(r["n"])
        days = sorted(set(spend) | set(rev))
        return {
            "grain": grain,
            "dates": [d.isoformat() for d in days],
            "spend": [spend.get(d, 0.0) for d in days],
            "revenue": [rev.get(d, 0.0) for d in days],
            "conversions": [conv.get(d, 0) for d in days],
            "revenue_scope": "all channels",
        }

    return wh.cached(("trend", *f.key(), grain), compute)


