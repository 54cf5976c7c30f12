"""Shared request context and FastAPI dependencies (roles, pagination, filters)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi import Path as PathParam
from pydantic import Field

from omnimix.config import Config
from omnimix.web.auth import RANK, ApiError, LoginRequired, PageForbidden, Principal, SessionSigner
from omnimix.web.jobs import JobManager
from omnimix.web.queries.common import Filters, default_filters
from omnimix.web.state import AppState
from omnimix.web.throttle import LoginThrottle
from omnimix.web.warehouse import Warehouse
from omnimix.workspace import Workspace


@dataclass
class AppContext:
    """Everything a request handler needs, built once by :func:`omnimix.web.app.create_app`.

    ``workspace`` is the workspace directory; ``ws`` the opened :class:`~omnimix.workspace.Workspace`
    (the warehouse behind ``warehouse`` is ``ws.warehouse_path``).
    """

    workspace: Path
    config: Config
    state: AppState
    signer: SessionSigner
    warehouse: Warehouse
    jobs: JobManager
    templates: Any
    default_locale: str = "zh-CN"
    range_days: int = 90
    throttle: LoginThrottle | None = None

    def login_throttle(self) -> LoginThrottle:
        """The login throttle (made on first use when the context was built without one)."""
        if self.throttle is None:
            self.throttle = LoginThrottle(self.state)
        return self.throttle

    @property
    def ws(self) -> Workspace:
        return self.warehouse.workspace

    @property
    def currency(self) -> str:
        return self.config.workspace.currency


async def ctx(request: Request) -> AppContext:
    return request.app.state.ctx  # type: ignore[no-any-return]


def principal(request: Request) -> Principal | None:
    p: Principal | None = request.scope.get("state", {}).get("principal")
    return p


def api_role(role: str) -> Callable[[Request], Awaitable[Principal]]:
    """Dependency: the caller, who must hold at least ``role`` (401 without credentials, 403 below)."""

    async def dep(request: Request) -> Principal:
        p = principal(request)
        if p is None:
            raise ApiError(
                401, "unauthorized", "authentication required: log in or send 'Authorization: Bearer <token>'"
            )
        if RANK[p.role] < RANK[role]:
            raise ApiError(403, "forbidden", f"role {p.role!r} may not do this: needs {role!r} or above")
        return p

    dep.__name__ = f"require_{role}"
    return dep


def page_role(role: str) -> Callable[[Request], Awaitable[Principal]]:
    """Dependency for HTML pages: redirect to /login without a session, 403 page below ``role``."""

    async def dep(request: Request) -> Principal:
        p = principal(request)
        if p is None:
            nxt = request.url.path + (("?" + request.url.query) if request.url.query else "")
            raise LoginRequired(nxt)
        if RANK[p.role] < RANK[role]:
            raise PageForbidden(role)
        return p

    dep.__name__ = f"page_{role}"
    return dep


Viewer = Annotated[Principal, Depends(api_role("viewer"))]
Analyst = Annotated[Principal, Depends(api_role("analyst"))]
Admin = Annotated[Principal, Depends(api_role("admin"))]
PageViewer = Annotated[Principal, Depends(page_role("viewer"))]
PageAnalyst = Annotated[Principal, Depends(page_role("analyst"))]
PageAdmin = Annotated[Principal, Depends(page_role("admin"))]
Ctx = Annotated[AppContext, Depends(ctx)]


@dataclass(frozen=True)
class Page:
    """Pagination: ``offset`` (>= 0) and ``limit`` (1..500)."""

    offset: int
    limit: int


async def page_params(
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> Page:
    return Page(offset, limit)


Paging = Annotated[Page, Depends(page_params)]

MAX_ID = 2_147_483_647
#: A database id in a path (positive 32-bit, so no backend overflows).
PathId = Annotated[int, PathParam(ge=1, le=MAX_ID)]
#: A database id inside a list query parameter.
ItemId = Annotated[int, Field(ge=1, le=MAX_ID)]


MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2999, 12, 31)


def parse_filters(c: AppContext, start: date | None, end: date | None, channels: list[str] | None) -> Filters:
    """Filters from query parameters; missing dates default to the last 90 days with data."""
    for name, day in (("start", start), ("end", end)):
        if day is not None and not (MIN_DATE <= day <= MAX_DATE):
            raise ApiError(
                422, "invalid_range", f"{name} {day} is outside {MIN_DATE}..{MAX_DATE}: pick a real date"
            )
    if start is not None and end is not None and start > end:
        raise ApiError(422, "invalid_range", f"start {start} is after end {end}: swap them")
    if start is None or end is None:
        d = default_filters(c.warehouse, c.range_days) if c.warehouse.exists() else None
        if d is None:
            today = date.today()
            d = Filters(today - timedelta(days=c.range_days - 1), today)
        if start is None and end is None:
            start, end = d.start, d.end
        elif start is None:
            assert end is not None
            start = end - timedelta(days=c.range_days - 1)
        else:
            end = start + timedelta(days=c.range_days - 1)
    if (end - start).days > 366 * 20:
        raise ApiError(422, "invalid_range", f"range {start}..{end} spans more than 20 years: narrow it")
    chans = tuple(sorted({ch for ch in (channels or []) if ch}))
    return Filters(start, end, chans)


async def filters_dep(
    request: Request,
    start: Annotated[date | None, Query(description="first day (inclusive), ISO date")] = None,
    end: Annotated[date | None, Query(description="last day (inclusive), ISO date")] = None,
    channel: Annotated[
        list[str] | None, Query(description="channel filter (repeatable)", max_length=100)
    ] = None,
) -> Filters:
    return parse_filters(request.app.state.ctx, start, end, channel)


FilterParams = Annotated[Filters, Depends(filters_dep)]
