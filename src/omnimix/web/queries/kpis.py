"""Headline KPIs of the Overview page and the per-channel table, all from the metrics layer.

Every number here is :func:`omnimix.metrics.metric_frame` (or :func:`omnimix.metrics.ltv`) over the
filter's range as one bucket (``grain="range"``), the one definition the plan and the monitor read too;
nothing is recomputed in the web. Under a channel filter a figure is the sum over the selected channels of
the metrics layer's per-channel frame: spend by ``spend.channel``; conversions, revenue and new customers as
the range totals times the channels' share of attributed credit (``attribution_results``); CAC as the
selection's spend over its attributed new customers. LTV, MER and the cross-channel share exist for all
channels only: :data:`SCOPE` says which figure follows the filter, and the page marks the others.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Any

import pandas as pd

from omnimix.metrics import attribution_model, ltv, metric_frame
from omnimix.taxonomy import FUNNEL_STAGES
from omnimix.web.queries.common import Filters, div
from omnimix.web.registry import not_computed
from omnimix.web.warehouse import Warehouse

#: The totals read for the KPI cards (one ``metric_frame`` call, the range as one bucket).
TOTAL_KEYS: tuple[str, ...] = ("spend", "revenue", "conversions", "new_customers", "converting_customers",
                               "multi_channel_customers", "cac", "mer", "cross_channel_share")
#: The per-channel base metrics summed over the selected channels under a channel filter.
CHANNEL_KEYS: tuple[str, ...] = ("spend", "revenue", "conversions", "attributed_new_customers")
#: Per KPI field: ``selection`` (follows the channel filter), ``attributed`` (follows it through the
#: attribution split) or ``all_channels`` (cannot be split by channel; the page marks it).
SCOPE: dict[str, str] = {
    "spend": "selection",
    "revenue": "attributed",
    "conversions": "attributed",
    "new_customers": "attributed",
    "cac": "attributed",
    "roas": "attributed",
    "ltv": "all_channels",
    "ltv_cac": "attributed",
    "mer": "all_channels",
    "cross_channel": "all_channels",
}


def _f(x: Any) -> float | None:
    """A finite float or None (NaN marks "no value" in metric frames)."""
    if x is None:
        return None
    v = float(x)
    return v if math.isfinite(v) else None


def _sum(col: pd.Series) -> float | None:
    """Sum of a per-channel column; None when any selected channel has no value (no attribution)."""
    if col.empty:
        return 0.0
    if col.isna().any():
        return None
    return float(col.sum())


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


def range_totals(wh: Warehouse, start: date, end: date, lookback_days: int = 30, model: str | None = None,
                 stages: Sequence[str] = FUNNEL_STAGES) -> pd.DataFrame:
    """The all-channel metrics of ``[start, end]`` as one bucket: :data:`TOTAL_KEYS` plus the touches of
    each funnel stage (one ``metric_frame`` call, cached until the warehouse changes; shared by the
    cards, the funnel and whatever filter the range is asked with)."""
    keys = [*TOTAL_KEYS, *(f"stage_{s}" for s in stages)]

    def compute() -> pd.DataFrame:
        with wh.cursor() as cur:
            return metric_frame(cur, keys, start, end, grain="range", lookback_days=lookback_days, model=model)

    return wh.cached(("range_totals", start.isoformat(), end.isoformat(), lookback_days, model, tuple(stages)),
                     compute)


def range_channels(wh: Warehouse, start: date, end: date, model: str | None = None,
                   stages: Sequence[str] = FUNNEL_STAGES) -> pd.DataFrame:
    """Every channel's metrics of ``[start, end]`` as one bucket (:data:`CHANNEL_KEYS`, the table's
    impressions, clicks and touches, the funnel stages): one ``metric_frame`` call per range, cached, from
    which each channel selection is a sum."""
    keys = [*CHANNEL_KEYS, "impressions", "clicks", "touchpoints", *(f"stage_{s}" for s in stages)]

    def compute() -> pd.DataFrame:
        with wh.cursor() as cur:
            return metric_frame(cur, keys, start, end, grain="range", by_channel=True, model=model)

    return wh.cached(("range_channels", start.isoformat(), end.isoformat(), model, tuple(stages)), compute)


def used_model(wh: Warehouse, model: str | None = None) -> str | None:
    """The attribution model of the per-channel split (:func:`omnimix.metrics.attribution_model`)."""

    def compute() -> str | None:
        with wh.cursor() as cur:
            return attribution_model(cur, model)

    return wh.cached(("attribution_model", model), compute)


def select_channels(wh: Warehouse, per: pd.DataFrame, channels: Sequence[str], model: str | None = None
                    ) -> pd.DataFrame:
    """The rows of ``channels`` in a per-channel frame; a channel the frame lacks (no spend, touches or
    credit) gets zero spend and touches, and zero credit (NaN without attribution results)."""
    sel = per[per["channel"].isin(channels)].reset_index(drop=True)
    missing = [c for c in channels if c not in set(sel["channel"])]
    if missing:
        split = 0.0 if used_model(wh, model) is not None else math.nan
        extra = pd.DataFrame({"period": per["period"].iloc[0] if len(per) else pd.NaT, "channel": missing})
        for k in per.columns.drop(["period", "channel"]):
            extra[k] = split if k in ("revenue", "conversions", "attributed_new_customers") else 0.0
        sel = pd.concat([sel, extra], ignore_index=True)
    return sel


def kpi_frames(
    wh: Warehouse, f: Filters, lookback_days: int = 30, model: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The metrics layer's frames behind :func:`kpis`: all-channel totals over the range and, with a
    channel filter, the per-channel rows of the selected channels (both one bucket: ``grain="range"``)."""
    tot = range_totals(wh, f.start, f.end, lookback_days, model)
    per = select_channels(wh, range_channels(wh, f.start, f.end, model), f.channels, model) if f.channels else None
    return tot, per


def kpis(wh: Warehouse, f: Filters, lookback_days: int = 30, model: str | None = None) -> dict[str, Any]:
    """Headline KPIs for the Overview page and ``GET /api/v1/kpis`` (definitions: docs/web.md)."""
    return wh.cached(("kpis", *f.key(), lookback_days, model), lambda: _kpis(wh, f, lookback_days, model))


def _kpis(wh: Warehouse, f: Filters, lookback_days: int, model: str | None) -> dict[str, Any]:
    tot, per = kpi_frames(wh, f, lookback_days, model)
    used = used_model(wh, model)
    ltv_value, ltv_source = wh.cached(("ltv",), lambda: _ltv(wh))
    t = tot.iloc[0]
    notes: list[dict[str, str]] = []
    spend_all, revenue_all = float(t["spend"]), float(t["revenue"])
    conversions_all, new_all = float(t["conversions"]), float(t["new_customers"])
    revenue: float | None
    conversions: float | None
    new: float | None
    if per is None:  # counts stay whole numbers; under a filter they are attributed shares
        spend, revenue, conversions, new = spend_all, revenue_all, int(conversions_all), int(new_all)
        cac = _f(t["cac"])
    else:
        spend = _sum(per["spend"]) or 0.0
        revenue, conversions, new = (_sum(per[k]) for k in ("revenue", "conversions", "attributed_new_customers"))
        cac = div(spend, new)
        if used is None:
            notes.append({"metric": "revenue", "code": "no_attribution_split",
                          "message": "revenue, conversions and new customers cannot be split by channel without "
                          "attribution results — " + not_computed("attribution")["message"]})
    roas = div(revenue, spend) if used is not None else None
    if used is None:
        notes.append({"metric": "roas", "code": "no_attribution", **_hint("attribution")})
    if ltv_source == "historical":
        notes.append({"metric": "ltv", "code": "ltv_historical",
                      "message": "historical revenue per customer; predicted CLV is " + _hint("clv")["message"]})
    return {
        "start": f.start.isoformat(),
        "end": f.end.isoformat(),
        "channels": list(f.channels),
        "spend": spend,
        "spend_total": spend_all,
        "revenue": revenue,
        "revenue_total": revenue_all,
        "conversions": conversions,
        "conversions_total": int(conversions_all),
        "converting_customers": int(t["converting_customers"]),
        "new_customers": new,
        "new_customers_total": int(new_all),
        "new_customers_source": "first_purchase",
        "cac": cac,
        "ltv": ltv_value,
        "ltv_source": ltv_source,
        "ltv_cac": div(ltv_value, cac),
        "roas": roas,
        "attribution_model": used,
        "mer": _f(t["mer"]),
        "cross_channel_rate": _f(t["cross_channel_share"]),
        "multi_channel_customers": int(t["multi_channel_customers"]),
        "scope": dict(SCOPE) if f.channels else dict.fromkeys(SCOPE, "all_channels"),
        "notes": notes,
    }


def _ltv(wh: Warehouse) -> tuple[float | None, str]:
    with wh.cursor() as cur:
        return ltv(cur)


def _hint(key: str) -> dict[str, str]:
    nc = not_computed(key)
    return {"message": nc["message"]}


def by_channel(wh: Warehouse, f: Filters, model: str | None = None) -> list[dict[str, Any]]:
    """Per channel: spend, impressions, clicks, touchpoints and, with attribution results, attributed
    conversions and revenue (the range totals times the channel's share of credit) and ROAS."""

    def compute() -> list[dict[str, Any]]:
        used = used_model(wh, model)
        fr = range_channels(wh, f.start, f.end, model)
        if f.channels:
            fr = fr[fr["channel"].isin(f.channels)]
        out = []
        for r in fr.itertuples(index=False):
            if not (r.spend or r.touchpoints or _f(r.revenue)):
                continue  # a channel with credit in another period only
            rev = _f(r.revenue) if used is not None else None
            out.append({
                "channel": str(r.channel),
                "spend": float(r.spend),
                "impressions": int(r.impressions),
                "clicks": int(r.clicks),
                "touchpoints": int(r.touchpoints),
                "attributed_conversions": _f(r.conversions) if used is not None else None,
                "attributed_revenue": rev,
                "roas": div(rev, float(r.spend)),
                "attribution_model": used,
            })
        return sorted(out, key=lambda d: (-d["spend"], d["channel"]))

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


def mmm_kpi_unit(wh: Warehouse) -> str:
    """The unit of the MMM's KPI, hence of the budget page's current and expected KPI: ``currency``
    when the fit's weekly ``actual`` is the warehouse's weekly revenue (what ``omnimix mmm fit
    --workspace`` models), ``count`` when it is the weekly number of conversions."""

    def compute() -> str:
        if wh.result_state("mmm_fit") is not None or not wh.has("conversions", ["ts", "value"]):
            return "currency"
        row = wh.rows(
            "WITH w AS (SELECT CAST(date_trunc('week', ts) AS DATE) AS d, sum(value) AS v, count(*) AS n "
            "FROM conversions GROUP BY 1) SELECT sum(abs(f.actual - w.v)) AS dv, sum(abs(f.actual - w.n)) AS dn "
            "FROM mmm_fit f JOIN w ON w.d = CAST(f.date AS DATE)"
        )[0]
        dv, dn = _f(row["dv"]), _f(row["dn"])
        return "count" if dv is not None and dn is not None and dn < dv else "currency"

    return wh.cached(("mmm_kpi_unit",), compute)
