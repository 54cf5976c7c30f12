"""``/customers`` (search, segments with CLV share) and ``/customers/{id}`` (one masked profile)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from omnimix.web.deps import Ctx, PageViewer
from omnimix.web.figures import share_pie
from omnimix.web.i18n import translate
from omnimix.web.queries.customers import customer_profile, customers
from omnimix.web.queries.results import segments
from omnimix.web.registry import IDENTITY_HINT, not_computed
from omnimix.web.rendering import error_page, locale_of, render

router = APIRouter(include_in_schema=False)


@router.get("/customers", response_class=HTMLResponse)
def customers_page(
    request: Request,
    c: Ctx,
    p: PageViewer,
    q_: Annotated[str | None, Query(alias="q", max_length=256)] = None,
    segment: Annotated[str | None, Query(max_length=128)] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 25,
) -> HTMLResponse:
    wh = c.warehouse
    seg = segments(wh) if wh.exists() else {**not_computed("clv"), "items": []}
    total, rows = customers(wh, q_ or None, segment, offset, limit, c.config.pii) if wh.exists() else (0, [])
    seg_fig = None
    if seg["computed"]:
        seg_fig = share_pie([s["segment"] for s in seg["items"]], [s["total_clv"] for s in seg["items"]])
    base = (
        "/customers?"
        + urlencode([(k, v) for k, v in (("q", q_), ("segment", segment)) if v])
        + ("&" if (q_ or segment) else "")
    )
    return render(
        request,
        c,
        p,
        "customers.html",
        "nav.customers",
        active="customers",
        charts=True,
        seg_state=None if seg["computed"] else seg,
        segments=seg["items"],
        seg_fig=seg_fig,
        q=q_,
        no_customers=not wh.exists() or wh.count("customers") == 0,
        identity_hint=IDENTITY_HINT,
        segment=segment,
        total=total,
        rows=rows,
        offset=offset,
        limit=limit,
        base=base,
    )


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(request: Request, c: Ctx, p: PageViewer, customer_id: str) -> HTMLResponse:
    prof = customer_profile(c.warehouse, customer_id, reveal=False) if c.warehouse.exists() else None
    if prof is None:
        return error_page(request, c, p, "nav.customers", 404, f"no customer {customer_id!r}")
    title = f"{translate('nav.customers', locale_of(request, c))} · {customer_id}"
    return render(request, c, p, "customer.html", "nav.customers", active="customers", cust=prof, title=title)
