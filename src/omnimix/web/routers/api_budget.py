"""Optimizer runs (background jobs with progress) and saved, shareable budget scenarios."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from omnimix.errors import OmnimixError
from omnimix.web.admin import Actor, audit
from omnimix.web.auth import ApiError, Principal
from omnimix.web.deps import Analyst, AppContext, Ctx, ItemId, PathId, Viewer
from omnimix.web.jobs import ScenarioSpec, optimizer_job
from omnimix.web.queries.results import channel_status, read_curves
from omnimix.web.registry import not_computed

router = APIRouter(prefix="/api/v1", tags=["budget"])


class SaveScenario(BaseModel):
    """Save the result of a finished optimizer run as a scenario."""

    job_id: str = Field(min_length=1, max_length=64)
    name: str | None = Field(None, min_length=1, max_length=200)
    shared: bool = False


class UpdateScenario(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    shared: bool | None = None


@router.post("/optimizer/runs", status_code=202, summary="Start an optimizer run for a scenario (analyst)")
def start_run(c: Ctx, p: Analyst, spec: ScenarioSpec) -> dict[str, Any]:
    if not c.warehouse.exists():
        raise ApiError(409, "not_computed", not_computed("response_curves")["message"])
    try:
        curves = read_curves(c.warehouse)
        status = channel_status(c.warehouse)
    except OmnimixError as exc:
        raise ApiError(409, "not_computed", str(exc)) from None
    job = c.jobs.submit("optimize", p.username, spec.model_dump(),
                        optimizer_job(curves, spec, status, c.config.taxonomy.channels))
    return job.to_dict()


@router.get("/optimizer/runs", summary="Recent optimizer runs (newest first)")
def list_runs(c: Ctx, p: Viewer, mine: Annotated[bool, Query()] = False) -> dict[str, Any]:
    jobs = c.jobs.list(p.username if mine else None)
    return {"items": [j.to_dict() for j in jobs]}


@router.get("/optimizer/runs/{job_id}", summary="One run: status, progress, result or error")
def get_run(c: Ctx, p: Viewer, job_id: str) -> dict[str, Any]:
    job = c.jobs.get(job_id)
    if job is None:
        raise ApiError(
            404, "not_found", f"no optimizer run {job_id!r}: list runs with GET /api/v1/optimizer/runs"
        )
    return job.to_dict()


def _visible(c: AppContext, p: Principal, scenario_id: int) -> dict[str, Any]:
    sc = c.state.get_scenario(scenario_id)
    if sc is None or not (sc["shared"] or sc["owner"] == p.username or p.at_least("admin")):
        raise ApiError(
            404, "not_found", f"no scenario {scenario_id} visible to you: list with GET /api/v1/scenarios"
        )
    return sc


@router.get("/scenarios", summary="Scenarios you own or that are shared")
def list_scenarios(c: Ctx, p: Viewer) -> dict[str, Any]:
    return {"items": c.state.list_scenarios(p.username, p.at_least("admin"))}


@router.post("/scenarios", status_code=201, summary="Save a finished run as a scenario (analyst)")
def save_scenario(request: Request, c: Ctx, p: Analyst, body: SaveScenario) -> dict[str, Any]:
    job = c.jobs.get(body.job_id)
    if job is None or job.kind != "optimize":
        raise ApiError(404, "not_found", f"no optimizer run {body.job_id!r}")
    if job.status != "succeeded" or job.result is None:
        raise ApiError(409, "not_finished", f"run {job.id} is {job.status}: save it once it has succeeded")
    name = body.name or str(job.spec.get("name") or "scenario")
    sc = c.state.save_scenario(name, p.username, job.spec, job.result, body.shared)
    audit(c.state, Actor.of(p.username, request), "scenario_save", f"scenario:{sc['id']}", f"shared={body.shared}")
    return sc


@router.get("/scenarios/compare", summary="Several scenarios side by side (allocation per channel)")
def compare(
    c: Ctx,
    p: Viewer,
    id: Annotated[list[ItemId], Query(min_length=1, max_length=10, description="scenario ids")],
) -> dict[str, Any]:
    scs = [_visible(c, p, i) for i in id]
    chans = sorted({ch for sc in scs for ch in sc["result"].get("allocation", {})})
    return {
        "channels": chans,
        "items": [
            {
                "id": sc["id"],
                "name": sc["name"],
                "budget": sc["spec"].get("budget"),
                "reserve": sc["result"].get("reserve"),
                "expected_kpi": sc["result"].get("expected_kpi"),
                "allocation": [sc["result"].get("allocation", {}).get(ch, 0.0) for ch in chans],
            }
            for sc in scs
        ],
    }


@router.get("/scenarios/{scenario_id}", summary="One scenario")
def get_scenario(c: Ctx, p: Viewer, scenario_id: PathId) -> dict[str, Any]:
    return _visible(c, p, scenario_id)


@router.patch("/scenarios/{scenario_id}", summary="Rename or share a scenario (owner or admin)")
def update_scenario(
    request: Request, c: Ctx, p: Analyst, scenario_id: PathId, body: UpdateScenario
) -> dict[str, Any]:
    sc = _visible(c, p, scenario_id)
    if sc["owner"] != p.username and not p.at_least("admin"):
        raise ApiError(403, "forbidden", "only the owner or an admin may change a scenario")
    values: dict[str, Any] = {}
    if body.name is not None:
        values["name"] = body.name
    if body.shared is not None:
        values["shared"] = body.shared
    if values:
        c.state.update_scenario(scenario_id, **values)
        audit(
            c.state,
            Actor.of(p.username, request),
            "scenario_update",
            f"scenario:{scenario_id}",
            ", ".join(f"{k}={v}" for k, v in values.items()),
        )
    return c.state.get_scenario(scenario_id) or sc


@router.delete("/scenarios/{scenario_id}", summary="Delete a scenario (owner or admin)")
def delete_scenario(request: Request, c: Ctx, p: Analyst, scenario_id: PathId) -> dict[str, Any]:
    sc = _visible(c, p, scenario_id)
    if sc["owner"] != p.username and not p.at_least("admin"):
        raise ApiError(403, "forbidden", "only the owner or an admin may delete a scenario")
    c.state.delete_scenario(scenario_id)
    audit(c.state, Actor.of(p.username, request), "scenario_delete", f"scenario:{scenario_id}", sc["name"])
    return {"deleted": scenario_id}
