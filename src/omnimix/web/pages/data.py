"""``/data``: data quality — table counts, configured sources, loads and the quarantine (masked)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from omnimix.web.deps import Ctx, PageViewer
from omnimix.web.messages import translator
from omnimix.web.pii import mask_text
from omnimix.web.queries.quality import loads, quarantine_rows, quarantine_summary, table_counts
from omnimix.web.rendering import formatter, render

router = APIRouter(include_in_schema=False)


@router.get("/data", response_class=HTMLResponse)
def data_page(
    request: Request,
    c: Ctx,
    p: PageViewer,
    reason: Annotated[str | None, Query(max_length=500)] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 25,
) -> HTMLResponse:
    wh = c.warehouse
    if not wh.exists():
        return render(request, c, p, "data.html", "nav.data", active="data", has_warehouse=False)
    qtotal, qrows = quarantine_rows(wh, offset, limit, reason=reason)
    if not p.at_least("admin"):
        qrows = [{**r, "raw": mask_text(r["raw"])} for r in qrows]
    base = "/data?" + (urlencode({"reason": reason}) + "&" if reason else "")
    return render(
        request,
        c,
        p,
        "data.html",
        "nav.data",
        active="data",
        has_warehouse=True,
        tables=table_counts(wh),
        sources=c.config.sources,
        reasons=quarantine_summary(wh),
        loads=loads(wh, 0, 100)[1],
        qtotal=qtotal,
        qrows=qrows,
        reason=reason,
        offset=offset,
        limit=limit,
        base=base,
        reason_text=translator(formatter(request, c)),
    )
