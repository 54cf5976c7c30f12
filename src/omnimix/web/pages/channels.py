"""``/channels``: attribution credit per model and channel (table and grouped bars)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from omnimix.web.deps import Ctx, PageViewer
from omnimix.web.figures import grouped_bars
from omnimix.web.queries.results import attribution
from omnimix.web.registry import not_computed
from omnimix.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/channels", response_class=HTMLResponse)
def channels_page(request: Request, c: Ctx, p: PageViewer) -> HTMLResponse:
    wh = c.warehouse
    state = not_computed("attribution") if not wh.exists() else wh.result_state("attribution")
    if state is not None:
        return render(request, c, p, "channels.html", "nav.channels", active="channels", state=state)
    res = attribution(wh)
    models = res["models"]
    chans = sorted({r["channel"] for r in res["items"]})
    cell = {(r["model"], r["channel"]): r for r in res["items"]}
    empty = {"conversions": None, "value": None}
    pivot = [(ch, [cell.get((m, ch), empty) for m in models]) for ch in chans]

    def series(field: str) -> list[tuple[str, list[object]]]:
        return [(m, [cell.get((m, ch), empty)[field] for ch in chans]) for m in models]

    return render(
        request,
        c,
        p,
        "channels.html",
        "nav.channels",
        active="channels",
        state=None,
        charts=True,
        models=models,
        pivot=pivot,
        value_fig=grouped_bars(chans, series("value")),
        conv_fig=grouped_bars(chans, series("conversions")),
    )
