"""The monitor's alerts over the API (issue #19): list, acknowledge, resolve.

``GET /api/v1/alerts`` (viewer) pages through the alert state newest first, filtered by ``status`` and
``kind``; ``POST /api/v1/alerts/{id}/ack`` and ``/resolve`` (analyst) change an alert's state, write
one audit-log row and answer the alert. A cookie session must send ``X-CSRF-Token`` (the security
middleware checks it, as for every other POST); a Bearer token needs none.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from omnimix.errors import UsageError
from omnimix.web.alerts_view import alert_store, set_status
from omnimix.web.auth import ApiError
from omnimix.web.deps import Analyst, Ctx, Paging, PathId, Viewer

router = APIRouter(prefix="/api/v1", tags=["alerts"])


class AlertNote(BaseModel):
    """An optional note kept with the alert."""

    note: str | None = Field(None, max_length=2000)


@router.get("/alerts", summary="Alerts the monitor raised, newest first (viewer)")
def list_alerts(
    c: Ctx,
    p: Viewer,
    page: Paging,
    status: Annotated[Literal["open", "acked", "resolved"] | None, Query(description="state filter")] = None,
    kind: Annotated[Literal["anomaly", "pacing", "data", "model"] | None, Query(description="kind filter")] = None,
    trace: Annotated[bool, Query(description="include each anomaly's series trace (for charts)")] = False,
) -> dict[str, Any]:
    store = alert_store(c)
    items = store.list(status, page.limit, kind=kind, offset=page.offset, trace=trace)
    return {"total": store.count(status, kind), "offset": page.offset, "limit": page.limit, "items": items}


def _change(request: Request, c: Ctx, p: Any, alert_id: int, action: str, body: AlertNote | None) -> dict[str, Any]:
    try:
        row = set_status(c, p, request, alert_id, action, body.note if body else None)
    except UsageError:
        raise ApiError(404, "not_found", f"no alert {alert_id}: list them with GET /api/v1/alerts") from None
    row.pop("trace", None)
    return row


@router.post("/alerts/{alert_id}/ack", summary="Acknowledge an alert (analyst; audited)")
def ack_alert(request: Request, c: Ctx, p: Analyst, alert_id: PathId, body: AlertNote | None = None) -> dict[str, Any]:
    return _change(request, c, p, alert_id, "ack", body)


@router.post("/alerts/{alert_id}/resolve", summary="Resolve an alert (analyst; audited)")
def resolve_alert(
    request: Request, c: Ctx, p: Analyst, alert_id: PathId, body: AlertNote | None = None
) -> dict[str, Any]:
    return _change(request, c, p, alert_id, "resolve", body)
