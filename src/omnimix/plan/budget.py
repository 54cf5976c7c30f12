"""The plan's budget by channel, from the optimizer under the plan's constraints and test reserve.

The year's budget ``B`` (``[plan] budget``; else the spend of the warehouse's last 52 weeks) is planned
per week on the response curves of the workspace's latest passed MMM fit: the optimizer
(:func:`omnimix.optimize.workflow.run_optimizer`, the core of ``optimize_curves``) allocates ``B / W``
(``W`` = weeks in the plan year) with the reserve share held back, guardrails on (each channel within
−30% … +30% of its current spend, weak or conflicting channels held) unless ``[constraints]
guardrails = false``, the per-channel bounds of ``[constraints.channels.NAME]`` (yearly amounts / W)
and the locked channels. The weekly allocation times ``W`` is then rounded to the cent by largest
remainders so that the channel budgets + the reserve (+ what the guardrails could not place) equal ``B``
exactly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from omnimix.plan.cascade import split, to_units
from omnimix.plan.spec import Plan

if TYPE_CHECKING:
    from omnimix.curves import ResponseCurves
    from omnimix.optimize.workflow import OptimizeRun
    from omnimix.workspace import Workspace


def plan_weeks(start: dt.date, end: dt.date) -> float:
    """Weeks in the plan year (days / 7: 52.14 for a 365-day year)."""
    return ((end - start).days + 1) / 7.0


@dataclass(frozen=True)
class PlanBudget:
    """The year's budget split into channels and the test reserve, to the cent.

    Attributes:
        total: the year's budget.
        reserve: the test-and-innovation reserve.
        channels: channel → the year's budget.
        unallocated: budget the guardrails could not place on any channel (0 normally).
        weekly: channel → planned spend per week (the optimizer's allocation).
        weeks: weeks in the plan year.
        expected_kpi_weekly: the optimizer's expected weekly KPI (media response) at the allocation.
        kpi_interval_weekly: its 90% posterior interval.
        current_weekly: channel → current weekly spend (the curves').
        source: where the curves came from.
        optimizer: the optimizer's JSON document.
        notes: what the guardrails held, infeasibilities relaxed, etc.
    """

    total: float
    reserve: float
    channels: dict[str, float]
    unallocated: float
    weekly: dict[str, float]
    weeks: float
    expected_kpi_weekly: float
    kpi_interval_weekly: tuple[float, float]
    current_weekly: dict[str, float]
    source: str
    optimizer: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The ``budget`` entry of ``omnimix plan build --json``."""
        return {"total": self.total, "reserve": self.reserve, "channels": dict(self.channels),
                "unallocated": self.unallocated, "reserve_share": self.reserve / self.total if self.total else 0.0,
                "weeks": self.weeks, "weekly": dict(self.weekly), "current_weekly": dict(self.current_weekly),
                "expected_kpi_weekly": self.expected_kpi_weekly,
                "kpi_interval_weekly": list(self.kpi_interval_weekly), "source": self.source,
                "guardrails": self.optimizer.get("guardrails"), "held": self.optimizer.get("held", {}),
                "notes": list(self.notes)}

    def weekly_vector(self, channels: tuple[str, ...]) -> np.ndarray:
        """Planned weekly spend in the order of ``channels``."""
        return np.array([self.weekly.get(c, 0.0) for c in channels], dtype=float)


def _bounds(plan: Plan, weeks: float) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for ch, lim in plan.constraints.channels.items():
        b: dict[str, float] = {}
        if lim.min is not None:
            b["min"] = lim.min / weeks
        if lim.max is not None:
            b["max"] = lim.max / weeks
        if lim.min_change is not None:
            b["min_change"] = lim.min_change
        if lim.max_change is not None:
            b["max_change"] = lim.max_change
        out[ch] = b
    return out


def exact_split(total: float, reserve_share: float, channels: tuple[str, ...], amounts: np.ndarray,
                unallocated: float = 0.0) -> tuple[float, dict[str, float], float]:
    """(reserve, channel budgets, unallocated) in cents with ``reserve + Σ channels + unallocated == total``.

    The reserve is ``total × reserve_share`` to the cent, the unallocated amount to the cent (at most
    what is left), and the rest goes to the channels in proportion to ``amounts`` by largest remainders.
    """
    t = to_units(total)
    r = to_units(total * reserve_share)
    u = min(max(to_units(unallocated), 0), t - r)
    weights = [max(float(a), 0.0) for a in amounts]
    parts = split(t - r - u, weights) if channels else []
    return r / 100, {c: p / 100 for c, p in zip(channels, parts, strict=True)}, u / 100


def plan_budget(plan: Plan, curves: ResponseCurves, *, total: float | None = None, source: str = "curves",
                channel_status: dict[str, Any] | None = None, display_names: dict[str, str] | None = None
                ) -> tuple[PlanBudget, OptimizeRun]:
    """Plan the year's channel budgets on ``curves`` under ``plan.constraints``.

    Args:
        plan: the plan (budget, reserve, bounds, locks, guardrails).
        curves: weekly response curves with current spend.
        total: the year's budget when the plan has none (e.g. last year's spend).
        source: where the curves came from.
        channel_status: the MMM's per-channel verdicts (held at current spend under guardrails).
        display_names: channel key → display name (names in the plan may use either).

    Raises:
        UsageError: no budget in the plan and none given; a bound names an unknown channel.
        InfeasibleError: the constraints cannot all hold (the message names them and the fix).
    """
    from omnimix.errors import UsageError
    from omnimix.optimize.workflow import run_optimizer

    budget = plan.plan.budget if plan.plan.budget is not None else total
    if budget is None:
        raise UsageError(f"{plan.source}: [plan] has no budget and none could be read from the workspace: "
                         "add budget = … (the year's total) to [plan]")
    weeks = plan_weeks(plan.plan.start, plan.plan.end)
    locked = {ch: (None if v is None else v / weeks) for ch, v in plan.constraints.locked.items()}
    run = run_optimizer(curves, budget / weeks, reserve=plan.constraints.reserve, bounds=_bounds(plan, weeks),
                        locked=locked, guardrails=plan.constraints.guardrails, channel_status=channel_status,
                        display_names=display_names, source=source)
    alloc = run.allocation
    assert alloc is not None
    reserve, channels, unalloc = exact_split(budget, plan.constraints.reserve, alloc.channels,
                                             alloc.allocation * weeks, alloc.unallocated * weeks)
    doc = run.to_json()
    return PlanBudget(
        total=float(budget), reserve=reserve, channels=channels, unallocated=unalloc,
        weekly={c: float(v) for c, v in zip(alloc.channels, alloc.allocation, strict=True)}, weeks=weeks,
        expected_kpi_weekly=float(alloc.expected_kpi),
        kpi_interval_weekly=(float(alloc.kpi_interval[0]), float(alloc.kpi_interval[1])),
        current_weekly={c: float(v) for c, v in zip(alloc.channels, alloc.current, strict=True)},
        source=source, optimizer=doc, notes=tuple(doc.get("notes", ())),
    ), run


def workspace_budget(plan: Plan, ws: Workspace, *, total: float | None = None) -> tuple[PlanBudget, ResponseCurves]:
    """:func:`plan_budget` on the workspace's latest passed MMM fit (its curves, statuses, channel names)."""
    from omnimix.optimize.workflow import load_channel_status, load_workspace_curves

    curves = load_workspace_curves(ws)
    budget, _ = plan_budget(plan, curves, total=total, source=f"workspace {ws.root}",
                            channel_status=load_channel_status(ws), display_names=ws.config.taxonomy.channels)
    return budget, curves
