"""Health, identity of the caller and workspace status / data quality."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from omnimix import __version__
from omnimix.web.deps import Ctx, Paging, Viewer
from omnimix.web.pii import mask_text
from omnimix.web.queries.quality import loads, quarantine_rows, quarantine_summary, status

router = APIRouter()


@router.get("/health", tags=["service"], summary="Liveness (no authentication)")
def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.get("/api/v1/me", tags=["auth"], summary="The calling user and role")
def me(p: Viewer) -> dict[str, Any]:
    return {"username": p.username, "role": p.role, "via": p.via}


@router.get("/api/v1/workspace/status", tags=["data"], summary="Warehouse, tables, results, last load")
def workspace_status(c: Ctx, p: Viewer) -> dict[str, Any]:
    st = status(c.warehouse)
    return {
        "sources": [s.model_dump(exclude_none=True) for s in c.config.sources],
        "workspace": c.config.workspace.name,
        "currency": c.currency,
        "timezone": c.config.workspace.timezone,
        **st,
    }


@router.get("/api/v1/data/loads", tags=["data"], summary="File loads (newest first), paginated")
def data_loads(
    c: Ctx, p: Viewer, page: Paging, target_table: Annotated[str | None, Query(max_length=64)] = None
) -> dict[str, Any]:
    total, rows = (
        loads(c.warehouse, page.offset, page.limit, target_table) if c.warehouse.exists() else (0, [])
    )
    return {"total": total, "offset": page.offset, "limit": page.limit, "items": rows}


@router.get(
    "/api/v1/data/quarantine",
    tags=["data"],
    summary="Quarantine: counts by table and reason, and rejected rows (PII masked below admin)",
)
def data_quarantine(
    c: Ctx,
    p: Viewer,
    page: Paging,
    load_id: Annotated[str | None, Query(max_length=128)] = None,
    target_table: Annotated[str | None, Query(max_length=64)] = None,
    reason: Annotated[str | None, Query(max_length=500)] = None,
) -> dict[str, Any]:
    if not c.warehouse.exists():
        return {"total": 0, "offset": page.offset, "limit": page.limit, "counts": [], "items": []}
    total, rows = quarantine_rows(c.warehouse, page.offset, page.limit, load_id, target_table, reason)
    if not p.at_least("admin"):
        rows = [{**r, "raw": mask_text(r.get("raw"))} for r in rows]
    return {
        "total": total,
        "offset": page.offset,
        "limit": page.limit,
        "counts": quarantine_summary(c.warehouse),
        "items": rows,
        "masked": not p.at_least("admin"),
    }
