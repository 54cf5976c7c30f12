"""``/mix``: the MMM — contributions and ROI with intervals, response curves, diagnostics and fit."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from omnimix.web.deps import Ctx, PageViewer
from omnimix.web.figures import curves_fig, fit_fig, interval_fig
from omnimix.web.queries.results import mmm_channels, mmm_diagnostics, response_curves
from omnimix.web.registry import not_computed
from omnimix.web.rendering import formatter, render

router = APIRouter(include_in_schema=False)


@router.get("/mix", response_class=HTMLResponse)
def mix_page(request: Request, c: Ctx, p: PageViewer) -> HTMLResponse:
    wh = c.warehouse
    ex = wh.exists()
    mmm = mmm_channels(wh) if ex else {**not_computed("mmm"), "items": []}
    curves = response_curves(wh) if ex else {**not_computed("response_curves"), "items": []}
    diag = mmm_diagnostics(wh) if ex else {**not_computed("mmm_diagnostics"), "items": [], "fit": None}
    ctxd: dict[str, Any] = {
        "active": "mix",
        "charts": True,
        "mmm_state": None if mmm["computed"] else mmm,
        "curves_state": None if curves["computed"] else curves,
        "diag_state": None if diag["computed"] else diag,
        "fit_state": not_computed("mmm_fit"),
        "fit_fig": None,
        "mmm": mmm["items"],
        "diag": diag["items"],
    }
    if mmm["computed"]:
        ctxd["contrib_fig"] = interval_fig(mmm["items"], "contribution_mean", "contribution_lo", "contribution_hi")
        ctxd["roi_fig"] = interval_fig(mmm["items"], "roi_mean", "roi_lo", "roi_hi")
    if curves["computed"]:
        ctxd["curves_fig"] = curves_fig(curves["items"], formatter(request, c))
    if diag.get("fit"):
        ctxd["fit_fig"] = fit_fig(diag["fit"])
    return render(request, c, p, "mix.html", "nav.mix", **ctxd)
