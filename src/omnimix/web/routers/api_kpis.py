"""KPIs over a date range and channel filter, trend, funnel, per-channel table; customer lookup."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from omnimix.web.admin import Actor, audit
from omnimix.web.auth import ApiError
from omnimix.web.deps import AppContext, Ctx, FilterParams, Paging, Viewer
from omnimix.web.queries import customers as cq
from omnimix.web.queries import kpis as q
from omnimix.web.queries.common import Filters
from omnimix.web.queries.trends import funnel, trend
from omnimix.web.registry import IDENTITY_HINT
from omnimix.web.warehouse import MISSING

router = APIRouter(prefix="/api/v1", tags=["kpis"])

ModelParam = Annotated[str | None, Query(max_length=64, description="attribution model for ROAS")]


def _empty(c: Ctx) -> bool:
    return not c.warehouse.exists()


def _kpis_body(c: AppContext, f: Filters, model: str | None) -> bytes:
    lookback = c.config.journeys.lookback_days

    def compute() -> bytes:
        out = {**q.kpis(c.warehouse, f, lookback, model), "currency": c.currency}
        return json.dumps(out, ensure_ascii=False, default=str).encode("utf-8")

    return c.warehouse.cached(("kpis_json", *f.key(), lookback, model), compute)


@router.get(
    "/kpis",
    summary="Headline KPIs from the metrics layer (spend, revenue, conversions, new customers, CAC, LTV, "
    "LTV:CAC, ROAS, MER, cross-channel); scope says which follow the channel filter",
    response_class=JSONResponse,
)
async def kpis(c: Ctx, p: Viewer, f: FilterParams, model: ModelParam = None) -> Response:
    """The Overview's KPIs. Served from the result cache without a thread hop when warm."""
    if _empty(c):
        raise ApiError(404, "no_warehouse", f"no warehouse at {c.warehouse.path}: run `omnimix ingest` first")
    key = ("kpis_json", *f.key(), c.config.journeys.lookback_days, model)
    body = c.warehouse.peek(key)
    if body is MISSING:
        body = await run_in_threadpool(_kpis_body, c, f, model)
    return Response(body, media_type="application/json")


@router.get("/kpis/trend", summary="Spend, revenue, conversions and new customers per day or week")
def kpi_trend(
    c: Ctx, p: Viewer, f: FilterParams, grain: Annotated[Literal["auto", "day", "week"], Query()] = "auto"
) -> dict[str, Any]:
    if _empty(c):
        raise ApiError(404, "no_warehouse", f"no warehouse at {c.warehouse.path}: run `omnimix ingest` first")
    return {**trend(c.warehouse, f, grain), "start": f.start, "end": f.end, "channels": list(f.channels)}


@router.get("/kpis/funnel", summary="The cumulative funnel: touches at each stage or later, then conversions")
def kpi_funnel(c: Ctx, p: Viewer, f: FilterParams) -> dict[str, Any]:
    if _empty(c):
        raise ApiError(404, "no_warehouse", f"no warehouse at {c.warehouse.path}: run `omnimix ingest` first")
    return {
        "start": f.start,
        "end": f.end,
        "channels": list(f.channels),
        "items": funnel(c.warehouse, f, c.config.funnel.stages),
    }


@router.get("/kpis/channels", summary="Per channel: spend, impressions, clicks, touchpoints, ROAS")
def kpi_channels(c: Ctx, p: Viewer, f: FilterParams, model: ModelParam = None) -> dict[str, Any]:
    if _empty(c):
        raise ApiError(404, "no_warehouse", f"no warehouse at {c.warehouse.path}: run `omnimix ingest` first")
    return {
        "start": f.start,
        "end": f.end,
        "currency": c.currency,
        "items": q.by_channel(c.warehouse, f, model),
        "all_channels": q.channels(c.warehouse),
    }


@router.get("/customers", tags=["customers"], summary="Customers with CLV; search by id or identifier value")
def customers(
    c: Ctx,
    p: Viewer,
    page: Paging,
    q_: Annotated[str | None, Query(alias="q", max_length=256)] = None,
    segment: Annotated[str | None, Query(max_length=128)] = None,
) -> dict[str, Any]:
    if _empty(c) or c.warehouse.count("customers") == 0:
        return {
            "total": 0,
            "offset": page.offset,
            "limit": page.limit,
            "items": [],
            "message": IDENTITY_HINT,
        }
    total, rows = cq.customers(c.warehouse, q_, segment, page.offset, page.limit, c.config.pii)
    return {"total": total, "offset": page.offset, "limit": page.limit, "items": rows}


@router.get(
    "/customers/{customer_id}",
    tags=["customers"],
    summary="One customer: identifiers (masked; raw for admins where the workspace keeps PII)",
)
def customer(
    request: Request,
    c: Ctx,
    p: Viewer,
    customer_id: str,
    reveal: Annotated[bool, Query(description="admins: show raw identifiers")] = False,
) -> dict[str, Any]:
    if reveal and not p.at_least("admin"):
        raise ApiError(403, "forbidden", "only admins may reveal raw identifiers")
    if reveal and not c.config.pii.keep_pii:
        raise ApiError(
            409,
            "pii_not_kept",
            "this workspace does not keep raw PII (pii.keep_pii = false): "
            "identifiers are hashed at ingestion and cannot be revealed",
        )
    prof = cq.customer_profile(c.warehouse, customer_id, reveal) if not _empty(c) else None
    if prof is None:
        raise ApiError(404, "not_found", f"no customer {customer_id!r}: search with GET /api/v1/customers?q=")
    if reveal:
        audit(c.state, Actor.of(p.username, request), "reveal_pii", customer_id)
    return prof
