"""``/experiments``: the lift tests — method, lift and its interval, iROAS — the selected test's observed
vs counterfactual and cumulative-effect charts from its stored read, and the planner's next tests.

Data: :mod:`omnimix.web.queries.experiments` (``experiments``, ``experiment_results`` written by
``omnimix experiment record``, ``experiment_plan`` by ``omnimix experiment plan --save``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from omnimix.web.deps import Ctx, PageViewer
from omnimix.web.figures import LAYOUT
from omnimix.web.i18n import Formatter
from omnimix.web.queries.experiments import experiments, next_tests, series
from omnimix.web.rendering import formatter, render

router = APIRouter(include_in_schema=False)


def observed_fig(periods: list[dict[str, Any]], fmt: Formatter) -> dict[str, Any]:
    """Treatment-group KPI per day: observed, counterfactual and its band; a line where the test starts."""
    xs = [p["date"] for p in periods]
    start = next((p["date"] for p in periods if p.get("in_test")), None)
    shapes = [{"type": "line", "xref": "x", "yref": "paper", "x0": start, "x1": start, "y0": 0, "y1": 1,
               "line": {"dash": "dot", "color": "#7f7f7f"}}] if start else []
    notes = [{"x": start, "y": 1, "xref": "x", "yref": "paper", "text": fmt.t("exp.test_start"),
              "showarrow": False, "xanchor": "left"}] if start else []
    return {
        "data": [
            {"type": "scatter", "mode": "lines", "name": fmt.t("exp.band"), "x": xs, "y": [p["hi"] for p in periods],
             "line": {"width": 0}, "showlegend": False, "hoverinfo": "skip"},
            {"type": "scatter", "mode": "lines", "name": fmt.t("exp.band"), "x": xs, "y": [p["lo"] for p in periods],
             "line": {"width": 0}, "fill": "tonexty", "fillcolor": "rgba(255,127,14,0.15)"},
            {"type": "scatter", "mode": "lines", "name": fmt.t("exp.counterfactual"), "x": xs,
             "y": [p["counterfactual"] for p in periods], "line": {"color": "#ff7f0e", "dash": "dash"}},
            {"type": "scatter", "mode": "lines", "name": fmt.t("exp.observed"), "x": xs,
             "y": [p["observed"] for p in periods], "line": {"color": "#1f77b4"}},
        ],
        "layout": {**LAYOUT, "shapes": shapes, "annotations": notes},
    }


def cumulative_fig(cum: list[dict[str, Any]], item: dict[str, Any], fmt: Formatter) -> dict[str, Any]:
    """Running sum of observed − counterfactual over the test days; at the last day the incremental KPI's
    interval (the read's own, from its inference method) as an error bar."""
    xs = [c["date"] for c in cum]
    data: list[dict[str, Any]] = [{"type": "scatter", "mode": "lines", "name": fmt.t("exp.cumulative"), "x": xs,
                                   "y": [c["effect"] for c in cum], "line": {"color": "#2ca02c"}}]
    mean, lo, hi = item.get("incremental_kpi_mean"), item.get("incremental_kpi_lo"), item.get("incremental_kpi_hi")
    if xs and mean is not None and lo is not None and hi is not None:
        data.append({"type": "scatter", "mode": "markers", "name": fmt.t("exp.incremental"), "x": [xs[-1]],
                     "y": [mean], "marker": {"color": "#2ca02c", "size": 9},
                     "error_y": {"type": "data", "symmetric": False, "array": [hi - mean],
                                 "arrayminus": [mean - lo]}})
    return {"data": data, "layout": {**LAYOUT, "shapes": [{"type": "line", "xref": "paper", "x0": 0, "x1": 1,
                                                           "y0": 0, "y1": 0, "line": {"color": "#7f7f7f"}}]}}


def fund_text(plan: dict[str, Any], fmt: Formatter) -> str:
    """One sentence on the fund the plan was made against."""
    f = plan.get("funding")
    if not f:
        return fmt.t("exp.fund_unlimited")
    if f.get("source") == "--reserve":
        return fmt.t("exp.fund_given").replace("{left}", fmt.money(f.get("left")))
    year = f"{f.get('year_start', '')} – {f.get('year_end', '')}"
    out = fmt.t("exp.fund_plan")
    for k, v in (("{left}", fmt.money(f.get("left"))), ("{reserve}", fmt.money(f.get("reserve"))),
                 ("{share}", fmt.pct(f.get("share"), 0)), ("{budget}", fmt.money(f.get("budget"))),
                 ("{year}", year), ("{spent}", fmt.money(f.get("spent")))):
        out = out.replace(k, v)
    return out


@router.get("/experiments", response_class=HTMLResponse)
def experiments_page(request: Request, c: Ctx, p: PageViewer,
                     experiment: str | None = Query(None, alias="id", max_length=300)) -> HTMLResponse:
    wh = c.warehouse
    fmt = formatter(request, c)
    ex = experiments(wh)
    plan = next_tests(wh)
    items = ex["items"]
    selected = next((i for i in items if i["experiment_id"] == experiment), None)
    if selected is None:
        selected = next((i for i in items if i["has_series"]), items[0] if items else None)
    ctxd: dict[str, Any] = {"active": "experiments", "charts": True, "exp_state": None if ex["computed"] else ex,
                            "items": items, "selected": selected, "plan": plan,
                            "plan_state": None if plan["computed"] else plan,
                            "fund": fund_text(plan, fmt) if plan["computed"] else "", "obs_fig": None,
                            "cum_fig": None, "weights": []}
    if selected is not None and selected["has_series"]:
        s = series(wh, selected["experiment_id"])
        if s is not None:
            ctxd["obs_fig"] = observed_fig(s["periods"], fmt)
            ctxd["cum_fig"] = cumulative_fig(s["cumulative"], selected, fmt)
            ctxd["weights"] = sorted(((g, w) for g, w in s["weights"].items() if abs(w) > 1e-4),
                                     key=lambda gw: -abs(gw[1]))[:10]
    return render(request, c, p, "experiments.html", "nav.experiments", **ctxd)
