"""Results written by the analysis stages: attribution, MMM, response curves, CLV and segments.

Each endpoint answers ``{"computed": false, "message": "not computed yet — run `omnimix …`"}`` while
its table is missing from the warehouse.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from omnimix.web.deps import Ctx, Paging, Viewer
from omnimix.web.queries import results as q
from omnimix.web.registry import not_computed

router = APIRouter(prefix="/api/v1", tags=["results"])


def _missing(c: Ctx, key: str) -> dict[str, Any] | None:
    if not c.warehouse.exists():
        return {**not_computed(key), "items": []}
    return None


@router.get("/attribution", summary="Attribution results per model and channel")
def attribution(
    c: Ctx, p: Viewer, model: Annotated[str | None, Query(max_length=64)] = None
) -> dict[str, Any]:
    return _missing(c, "attribution") or q.attribution(c.warehouse, model)


@router.get("/mmm/channels", summary="MMM contributions and ROI with intervals per channel")
def mmm_channels(c: Ctx, p: Viewer) -> dict[str, Any]:
    return _missing(c, "mmm") or {**q.mmm_channels(c.warehouse), "currency": c.currency}


@router.get("/mmm/diagnostics", summary="MMM fit diagnostics and actual-vs-predicted series")
def mmm_diagnostics(c: Ctx, p: Viewer) -> dict[str, Any]:
    return _missing(c, "mmm_diagnostics") or q.mmm_diagnostics(c.warehouse)


@router.get("/mmm/response-curves", summary="Response curves (parameters and evaluated points)")
def response_curves(c: Ctx, p: Viewer, points: Annotated[int, Query(ge=2, le=500)] = 40) -> dict[str, Any]:
    return _missing(c, "response_curves") or q.response_curves(c.warehouse, points)


@router.get("/clv/segments", summary="Segments: size, mean CLV, P(alive), share of CLV, persona")
def clv_segments(c: Ctx, p: Viewer) -> dict[str, Any]:
    return _missing(c, "clv") or q.segments(c.warehouse)


@router.get("/clv/customers", summary="Customers by predicted CLV, paginated, optional segment filter")
def clv_customers(
    c: Ctx, p: Viewer, page: Paging, segment: Annotated[str | None, Query(max_length=128)] = None
) -> dict[str, Any]:
    base = _missing(c, "clv")
    out = {**base, "total": 0} if base else q.clv_customers(c.warehouse, segment, page.offset, page.limit)
    return {**out, "offset": page.offset, "limit": page.limit}
