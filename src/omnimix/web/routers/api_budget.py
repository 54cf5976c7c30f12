"""Optimizer runs (background jobs with progress) and saved, shareable budget scenarios.

The response curves are weekly (the MMM's steady-state response to a weekly spend), so a run plans one
week; a scenario entered per month (``period = "month"``) is planned as ``budget / 4.3482`` per week
(a month is 365.25 / 12 / 7 = 4.3482 weeks) and its money and KPI figures are answered per month
(× 4.3482; ratios such as marginal ROI and the uplift share are the same). Requests the optimizer could
never satisfy are refused at once with an error code: ``invalid_request`` (422, a field out of range),
``unknown_channel`` (422), ``minimums_exceed_budget`` (422), ``not_computed`` (409, no curves) and
``optimizer_unavailable`` (409).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from omnimix.errors import OmnimixError
from omnimix.web.admin import Actor, audit
from omnimix.web.auth import ApiError, Principal
from omnimix.web.deps import Analyst, AppContext, Ctx, ItemId, PathId, Viewer
from omnimix.web.jobs import ChannelBounds, Progress, ScenarioSpec, optimizer_job
from omnimix.web.queries.kpis import mmm_kpi_unit
from omnimix.web.queries.results import channel_status, read_curves
from omnimix.web.registry import not_computed

router = APIRouter(prefix="/api/v1", tags=["budget"])

#: Weeks per month: 365.25 days / 12 months / 7 days.
WEEKS_PER_MONTH = 4.3482
#: Weeks in one budget period.
PERIOD_WEEKS: dict[str, float] = {"week": 1.0, "month": WEEKS_PER_MONTH}
#: Result fields in money or KPI units (scaled from one week to the period); the rest are ratios or text.
_PER_PERIOD = ("allocation", "reserve", "expected_kpi", "budget", "spend", "unallocated", "objective_value",
               "kpi_interval_90", "expected_revenue", "expected_profit", "current_allocation", "current_kpi",
               "current_kpi_interval_90", "uplift_kpi", "uplift_interval_90", "group_totals", "current")


class BudgetScenario(ScenarioSpec):
    """A scenario of the Budget page: :class:`~omnimix.web.jobs.ScenarioSpec` plus its period.

    Attributes:
        period: ``week`` (default) or ``month``: the period of ``budget`` and of the per-channel min/max,
            and of the money and KPI figures of the result.
    """

    period: Literal["week", "month"] = "week"


def _scale(value: Any, k: float) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return float(value) * k
    if isinstance(value, list):
        return [_scale(v, k) for v in value]
    if isinstance(value, dict):
        return {n: _scale(v, k) for n, v in value.items()}
    return value


def per_period(result: dict[str, Any], period: str) -> dict[str, Any]:
    """A one-week optimizer result in the money and KPI units of ``period`` (see the module doc)."""
    k = PERIOD_WEEKS[period]
    out = {n: (_scale(v, k) if n in _PER_PERIOD else v) for n, v in result.items()}
    return {**out, "period": period, "weeks_per_period": k}


#: (form, code) of the optimizer's plan notes (:mod:`omnimix.optimize.guard`, :mod:`omnimix.optimize.budget`,
#: :mod:`omnimix.optimize.workflow`) that a dashboard run can produce; the page writes them by code.
_NOTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^guardrails: every channel within (?P<lo>[+-]\d+)% … (?P<hi>[+-]\d+)% of current spend .*$"),
     "guardrails"),
    (re.compile(r"^(?P<channel>\S+) held at current spend \(.*\); plan it with --release \S+$"), "held"),
    (re.compile(r"^(?P<channel>\S+) is .*; planned anyway \(released\)$"), "released"),
    (re.compile(r"^(?P<channel>\S+): the minimum you set is beyond the default maximum, so that default is dropped$"),
     "default_max_dropped"),
    (re.compile(r"^(?P<channel>\S+): the maximum you set is beyond the default minimum, so that default is dropped$"),
     "default_min_dropped"),
    (re.compile(r"^\S+ of the budget is left unallocated: every channel is at its maximum$"), "unallocated"),
    (re.compile(r"^\S+ of the budget is unallocated: every channel is at its guardrail maximum; .*$"),
     "unallocated_guardrail"),
]
#: The guardrails' clause the optimizer adds to an infeasible plan's error (:func:`omnimix.optimize.run_optimizer`).
_GUARD_INFEASIBLE = re.compile(r"\(the guardrails keep every channel within (?P<lo>[+-]\d+)% … (?P<hi>[+-]\d+)% of "
                               r"current spend")
_INFEASIBLE = re.compile(r"^(?:The constraints cannot all hold|No allocation meets)")


def coded_notes(notes: list[Any], result: dict[str, Any]) -> list[dict[str, Any]]:
    """The plan's notes as ``{"message", "message_code", "params"}`` (``message_code`` None for a note of
    an unknown form: the page shows ``message``). Amounts come from ``result`` (already per period)."""
    out: list[dict[str, Any]] = []
    for n in notes:
        text = str(n)
        code, params = None, {}
        for form, c in _NOTES:
            m = form.match(text)
            if m:
                code, params = c, m.groupdict()
                break
        if code in ("unallocated", "unallocated_guardrail"):
            params = {"amount": result.get("unallocated")}
        elif code == "guardrails":
            params = {"lo": int(params["lo"]), "hi": int(params["hi"])}
        out.append({"message": text, "message_code": code, "params": params})
    return out


def error_code(error: str | None) -> tuple[str | None, dict[str, Any]]:
    """A failed run's error as ``(message_code, params)``: ``infeasible_guardrails`` (with the guardrails'
    ``lo``/``hi`` in percent), ``infeasible``, or None (an error of another form)."""
    if not error:
        return None, {}
    m = _GUARD_INFEASIBLE.search(error)
    if m:
        return "infeasible_guardrails", {"lo": int(m.group("lo")), "hi": int(m.group("hi"))}
    if _INFEASIBLE.match(error):
        return "infeasible", {}
    return None, {}


def _job_json(job: Any) -> dict[str, Any]:
    out: dict[str, Any] = job.to_dict()
    code, params = error_code(out.get("error"))
    return {**out, "error_code": code, "error_params": params}


def _weekly(spec: BudgetScenario) -> ScenarioSpec:
    k = PERIOD_WEEKS[spec.period]
    chans = {n: ChannelBounds(min=None if b.min is None else b.min / k, max=None if b.max is None else b.max / k)
             for n, b in spec.channels.items()}
    return ScenarioSpec(**{**spec.model_dump(exclude={"period", "channels"}), "budget": spec.budget / k,
                           "channels": chans})


def _check(spec: BudgetScenario, known: list[str]) -> None:
    """Refuse, with an error code, what no optimizer run could satisfy."""
    unknown = sorted(n for n in spec.channels if n not in known)
    if unknown:
        raise ApiError(422, "unknown_channel",
                       f"scenario limits name channels without a response curve: {', '.join(unknown)}; "
                       f"channels with curves: {', '.join(sorted(known))}",
                       {"channels": unknown, "known": sorted(known)})
    usable = spec.budget * (1 - spec.reserve)
    mins = sum(b.min or 0.0 for b in spec.channels.values())
    if mins > usable + 1e-9:
        raise ApiError(422, "minimums_exceed_budget",
                       f"per-channel minimums add up to {mins:,.2f}, above the budget after the reserve "
                       f"({usable:,.2f} = {spec.budget:,.2f} × (1 − {spec.reserve})): lower the minimums, "
                       "raise the budget or shrink the reserve",
                       {"minimums": mins, "usable": usable, "budget": spec.budget, "reserve": spec.reserve})
    try:
        from omnimix.optimize import optimize_curves  # noqa: F401 - only whether it imports
    except ImportError as exc:
        raise ApiError(409, "optimizer_unavailable",
                       "the budget optimizer is not available in this installation (cannot import "
                       f"omnimix.optimize.optimize_curves: {exc}); install or merge the omnimix optimize "
                       "module and retry") from None


class SaveScenario(BaseModel):
    """Save the result of a finished optimizer run as a scenario."""

    job_id: str = Field(min_length=1, max_length=64)
    name: str | None = Field(None, min_length=1, max_length=200)
    shared: bool = False


class UpdateScenario(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    shared: bool | None = None


@router.post("/optimizer/runs", status_code=202, summary="Start an optimizer run for a scenario (analyst)")
def start_run(c: Ctx, p: Analyst, spec: BudgetScenario) -> dict[str, Any]:
    """Plan ``spec`` in the background (poll ``GET /optimizer/runs/{id}``); the result is per ``period``
    and carries ``kpi_unit`` (``currency`` or ``count``: the MMM's KPI)."""
    if not c.warehouse.exists():
        raise ApiError(409, "not_computed", not_computed("response_curves")["message"])
    try:
        curves = read_curves(c.warehouse)
        status = channel_status(c.warehouse)
    except OmnimixError as exc:
        raise ApiError(409, "not_computed", str(exc)) from None
    _check(spec, list(curves.channels))
    weekly = optimizer_job(curves, _weekly(spec), status, c.config.taxonomy.channels)
    unit = mmm_kpi_unit(c.warehouse)

    def run(progress: Progress, fn: Callable[[Progress], dict[str, Any]] = weekly) -> dict[str, Any]:
        out = per_period(fn(progress), spec.period)
        return {**out, "notes_coded": coded_notes(list(out.get("notes") or []), out), "kpi_unit": unit,
                "currency": c.currency}

    job = c.jobs.submit("optimize", p.username, spec.model_dump(), run)
    return _job_json(job)


@router.get("/optimizer/runs", summary="Recent optimizer runs (newest first)")
def list_runs(c: Ctx, p: Viewer, mine: Annotated[bool, Query()] = False) -> dict[str, Any]:
    jobs = c.jobs.list(p.username if mine else None)
    return {"items": [_job_json(j) for j in jobs]}


def _with_reason_texts(out: dict[str, Any], request: Request, c: AppContext) -> dict[str, Any]:
    """Each channel's scale / hold / cut reason also as ``reason_text`` in the request's language
    (``?lang=``, the language cookie or Accept-Language), as the budget page writes a saved scenario's."""
    res = out.get("result")
    if not isinstance(res, dict):
        return out
    rec = res.get("recommendation")
    if not isinstance(rec, dict) or not rec:
        return out
    from omnimix.web.messages import advice_reason, held_texts
    from omnimix.web.rendering import formatter

    fmt = formatter(request, c)
    try:
        status = channel_status(c.warehouse) if c.warehouse.exists() else {}
    except OmnimixError:
        status = {}
    held = held_texts(status, fmt)
    texts = {ch: {**r, "reason_text": advice_reason(r.get("reason"), fmt, held, ch)} if isinstance(r, dict) else r
             for ch, r in rec.items()}
    return {**out, "result": {**res, "recommendation": texts}}


@router.get("/optimizer/runs/{job_id}", summary="One run: status, progress, result or error")
def get_run(request: Request, c: Ctx, p: Viewer, job_id: str) -> dict[str, Any]:
    """``result.recommendation[channel].reason_text`` is the reason in the request's language."""
    job = c.jobs.get(job_id)
    if job is None:
        raise ApiError(
            404, "not_found", f"no optimizer run {job_id!r}: list runs with GET /api/v1/optimizer/runs"
        )
    return _with_reason_texts(_job_json(job), request, c)


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
                "period": sc["spec"].get("period", "week"),
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
