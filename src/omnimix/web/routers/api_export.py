"""CSV exports (analyst and above); every export is written to the audit log."""

from __future__ import annotations

import csv
import io
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response

from omnimix.formatting import spreadsheet_safe
from omnimix.web.admin import Actor, audit
from omnimix.web.auth import ApiError
from omnimix.web.deps import Analyst, Ctx, FilterParams
from omnimix.web.queries.kpis import by_channel
from omnimix.web.queries.results import attribution, mmm_channels, segments
from omnimix.web.queries.trends import funnel

router = APIRouter(prefix="/api/v1", tags=["export"])

Dataset = Literal["channels", "funnel", "attribution", "mmm", "segments", "scenarios"]


def _csv(rows: list[dict[str, Any]]) -> str:
    """Rows as CSV; every text cell spreadsheet-safe (a channel or campaign named ``=HYPERLINK(…)`` in a
    source file is written as text, not as a formula)."""
    buf = io.StringIO()
    if rows:
        fields = list(rows[0])
        w = csv.writer(buf)
        w.writerow([spreadsheet_safe(str(k)) for k in fields])
        for r in rows:
            w.writerow([spreadsheet_safe("|".join(map(str, v)) if isinstance(v, list) else v)
                        for v in (r.get(k) for k in fields)])
    return buf.getvalue()


@router.get(
    "/export/{dataset}",
    summary="Download a dataset as CSV (analyst)",
    responses={200: {"content": {"text/csv": {}}}},
)
def export(request: Request, c: Ctx, p: Analyst, dataset: Dataset, f: FilterParams) -> Response:
    wh = c.warehouse
    rows: list[dict[str, Any]]
    if dataset == "scenarios":
        rows = [
            {
                "id": s["id"],
                "name": s["name"],
                "owner": s["owner"],
                "shared": s["shared"],
                "budget": s["spec"].get("budget"),
                "reserve": s["result"].get("reserve"),
                "expected_kpi": s["result"].get("expected_kpi"),
                **{f"alloc_{k}": v for k, v in s["result"].get("allocation", {}).items()},
            }
            for s in c.state.list_scenarios(p.username, p.at_least("admin"))
        ]
    elif not wh.exists():
        raise ApiError(404, "no_warehouse", f"no warehouse at {wh.path}: run `omnimix ingest` first")
    elif dataset == "channels":
        rows = by_channel(wh, f)
    elif dataset == "funnel":
        rows = funnel(wh, f, c.config.funnel.stages)
    else:
        res = {"attribution": attribution, "mmm": mmm_channels, "segments": segments}[dataset](wh)
        if not res.get("computed", False):
            raise ApiError(404, "not_computed", res["message"])
        rows = res["items"]
    audit(
        c.state,
        Actor.of(p.username, request),
        "export",
        dataset,
        f"{f.start}..{f.end} channels={','.join(f.channels) or 'all'} rows={len(rows)}",
    )
    return Response(
        _csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="omnimix-{dataset}.csv"'},
    )
