"""The cumulative funnel and the spend/revenue/conversions time series, from the metrics layer.

Both read :func:`omnimix.metrics.metric_frame` and follow the channel filter the way the KPI cards do
(:mod:`.kpis`): touches and spend by their own channel, conversions, revenue and new customers through
the attribution split. So the funnel's last step and the trend's sums equal the cards.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from omnimix.metrics import metric_frame, stage_metric
from omnimix.web.queries.common import Filters
from omnimix.web.queries.kpis import range_channels, range_totals, select_channels, used_model
from omnimix.web.warehouse import Warehouse

#: Funnel stages that follow a purchase (shown beside the funnel, not as steps before the conversion).
AFTER_PURCHASE: tuple[str, ...] = ("retention", "advocacy")


def funnel_stages(stages: Sequence[str]) -> tuple[list[str], list[str]]:
    """``(before, after)``: the configured stages up to the purchase, in order, and those after it."""
    usable = []
    for s in stages:
        try:
            stage_metric(s)
        except KeyError:
            continue  # a stage name the metrics layer cannot count (not a plain name)
        usable.append(s)
    return [s for s in usable if s not in AFTER_PURCHASE], [s for s in usable if s in AFTER_PURCHASE]


def _selected(fr: pd.DataFrame, f: Filters, keys: Sequence[str]) -> pd.DataFrame:
    """Per-period sums over the selected channels of a per-channel frame (NaN stays NaN)."""
    sel = fr[fr["channel"].isin(f.channels)]
    periods = pd.DataFrame({"period": sorted(set(fr["period"]))})
    if sel.empty:
        return periods.assign(**dict.fromkeys(keys, 0.0))
    out = sel.groupby("period", as_index=False)[list(keys)].sum(min_count=1)
    out = periods.merge(out, on="period", how="left")
    for k in keys:
        if sel[k].isna().any():
            out[k] = math.nan
        else:
            out[k] = out[k].fillna(0.0)
    return out


def funnel(wh: Warehouse, f: Filters, stages: Sequence[str]) -> list[dict[str, Any]]:
    """The cumulative funnel: one step per stage up to the purchase, then the conversions.

    A step counts the touchpoints (``stage_<name>`` of the metrics layer) at its stage or a later one
    before the purchase, plus the conversions (``conversions``), so the steps never increase and the
    last one is the conversions card. Each item: ``stage``, ``events`` (touches at that stage),
    ``cumulative`` (the step) and ``share`` (of the first step); stages after a purchase (retention,
    advocacy) follow as items with ``after_purchase`` true and no step.
    """
    before, after = funnel_stages(stages)

    def compute() -> list[dict[str, Any]]:
        counted = (*before, *after)
        keys = [f"stage_{s}" for s in counted] + ["conversions"]
        if f.channels:
            per = select_channels(wh, range_channels(wh, f.start, f.end, stages=counted), f.channels)
            row = _selected(per, f, keys).iloc[0]
        else:
            row = range_totals(wh, f.start, f.end, stages=counted).iloc[0]
        conv = float(row["conversions"])
        counts = [float(row[f"stage_{s}"]) for s in before]
        steps = [sum(counts[i:]) + conv for i in range(len(before))] if math.isfinite(conv) else []
        top = steps[0] if steps else conv
        out: list[dict[str, Any]] = []
        for i, s in enumerate(before):
            out.append({"stage": s, "events": int(counts[i]), "cumulative": steps[i] if steps else None,
                        "share": steps[i] / top if steps and top else None, "after_purchase": False})
        out.append({"stage": "conversion", "events": conv if math.isfinite(conv) else None,
                    "cumulative": conv if math.isfinite(conv) else None,
                    "share": conv / top if math.isfinite(conv) and top else None, "after_purchase": False})
        for s in after:
            out.append({"stage": s, "events": int(row[f"stage_{s}"]), "cumulative": None, "share": None,
                        "after_purchase": True})
        return out

    return wh.cached(("funnel", *f.key(), tuple(stages)), compute)


def trend(wh: Warehouse, f: Filters, grain: str = "auto", model: str | None = None) -> dict[str, Any]:
    """Spend, revenue, conversions and new customers per day or week (``auto``: weeks beyond 120 days).

    Under a channel filter every series is the selected channels' (revenue, conversions and new
    customers through the attribution split, as on the cards); ``revenue_scope`` says which.
    Weeks are ISO weeks (Monday); the first and last may be partial.
    """
    if grain == "auto":
        grain = "week" if (f.end - f.start).days > 120 else "day"
    if grain not in ("day", "week"):
        raise ValueError(f"grain {grain!r}: use day, week or auto")

    def compute() -> dict[str, Any]:
        used = used_model(wh, model)
        with wh.cursor() as cur:
            if f.channels:
                keys = ["spend", "revenue", "conversions", "attributed_new_customers"]
                fr = _selected(metric_frame(cur, keys, f.start, f.end, grain=grain, by_channel=True, model=model),
                               f, keys).rename(columns={"attributed_new_customers": "new_customers"})
            else:
                fr = metric_frame(cur, ["spend", "revenue", "conversions", "new_customers"], f.start, f.end,
                                  grain=grain)

        def series(col: str) -> list[float | None]:
            return [float(v) if math.isfinite(float(v)) else None for v in fr[col]]

        return {
            "grain": grain,
            "dates": [pd.Timestamp(d).date().isoformat() for d in fr["period"]],
            "spend": series("spend"),
            "revenue": series("revenue"),
            "conversions": series("conversions"),
            "new_customers": series("new_customers"),
            "revenue_scope": ("selected channels (attributed)" if used is not None else "not split")
            if f.channels else "all channels",
            "attribution_model": used,
        }

    return wh.cached(("trend", *f.key(), grain, model), compute)
