"""``/channels``: attribution credit per model and channel (grouped bars and a table)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from omnimix.web.deps import Ctx, PageViewer
from omnimix.web.figures import attribution_fig, channel_colors, color_of
from omnimix.web.queries.results import attribution, workspace_channels
from omnimix.web.registry import not_computed
from omnimix.web.rendering import formatter, render

router = APIRouter(include_in_schema=False)


@router.get("/channels", response_class=HTMLResponse)
def channels_page(request: Request, c: Ctx, p: PageViewer) -> HTMLResponse:
    wh = c.warehouse
    state = not_computed("attribution") if not wh.exists() else wh.result_state("attribution")
    if state is not None:
        return render(request, c, p, "channels.html", "nav.channels", active="channels", state=state)
    fmt = formatter(request, c)
    res = attribution(wh)
    models = res["models"]
    colors = channel_colors(workspace_channels(wh))
    value_fig = attribution_fig(res["items"], models, "value", fmt, colors)
    # both charts (and the table) list the channels in one order: by attributed value
    conv_fig = attribution_fig(res["items"], models, "conversions", fmt, colors,
                               order=[str(t["meta"]) for t in value_fig["data"]])
    cell = {(r["model"], r["channel"]): r for r in res["items"]}
    empty = {"conversions": None, "value": None}
    # the table lists the channels in the charts' (legend) order, each with its colour
    chans = [str(t["meta"]) for t in value_fig["data"]]
    pivot = [(ch, fmt.channel(ch), color_of(colors, ch), [cell.get((m, ch), empty) for m in models]) for ch in chans]
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
        model_names=[fmt.name("model", m) for m in models],
        pivot=pivot,
        value_fig=value_fig,
        conv_fig=conv_fig,
    )
