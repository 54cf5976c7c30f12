"""Scenario comparison: the optimal plan and the current plan at budget changes such as −20%, 0, +20%."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from omnimix.curves import ResponseCurves
from omnimix.optimize.allocation import Allocation, current_plan
from omnimix.optimize.budget import optimize_budget
from omnimix.optimize.constraints import Constraints
from omnimix.optimize.objective import Objective


@dataclass(frozen=True)
class Scenario:
    """One budget scenario.

    Attributes:
        name: e.g. ``"-20%"``, ``"current"``, ``"+20%"``.
        change: budget change as a fraction of the base budget.
        optimal: the optimised allocation at that budget.
        current_plan_kpi: expected KPI of today's mix scaled to the scenario's allocatable spend
            (after the reserve): the same-spend benchmark, ``current_mix_kpi`` in JSON and CSV
            (:func:`~omnimix.optimize.allocation.current_plan`). Today's plan as it is, with nothing held
            back, is ``optimal.current_kpi`` (``current_kpi``), the same in every scenario.
        current_plan_interval: its 90% interval over draws.
    """

    name: str
    change: float
    optimal: Allocation
    current_plan_kpi: float
    current_plan_interval: tuple[float, float]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        a = self.optimal
        return {
            "scenario": self.name,
            "change": self.change,
            "budget": a.budget,
            "reserve": a.reserve,
            "spend": a.spend,
            "allocation": {c: float(v) for c, v in zip(a.channels, a.allocation, strict=True)},
            "expected_kpi": a.expected_kpi,
            "kpi_interval_90": list(a.kpi_interval),
            "current_mix_kpi": self.current_plan_kpi,
            "current_mix_interval_90": list(self.current_plan_interval),
            "gain_vs_current_mix": a.expected_kpi - self.current_plan_kpi,
            "current_kpi": a.current_kpi,
            "marginal_roi": {c: float(v) for c, v in zip(a.channels, a.marginal_roi, strict=True)},
        }


def _name(change: float) -> str:
    return "current" if abs(change) < 1e-12 else f"{change:+.0%}"


def compare_scenarios(
    curves: ResponseCurves,
    constraints: Constraints,
    objective: Objective | str = "kpi",
    changes: Sequence[float] = (-0.2, 0.0, 0.2),
    *,
    grid: int = 1000,
) -> list[Scenario]:
    """Optimise at each budget change and compare with today's mix scaled to the same spend.

    Args:
        curves: response curves with current spend.
        constraints: base constraints (its budget is the "current" scenario's budget).
        objective: objective.
        changes: budget changes as fractions (-0.2 = 20% less).
        grid: DP resolution.
    """
    out = []
    for ch in changes:
        spec = dataclasses.replace(constraints, budget=float(constraints.budget * (1 + ch)))
        a = optimize_budget(curves, spec, objective, grid=grid)
        mix = current_plan(curves, spec.allocatable)
        out.append(
            Scenario(
                name=_name(ch),
                change=float(ch),
                optimal=a,
                current_plan_kpi=mix.kpi,
                current_plan_interval=mix.interval,
            )
        )
    return out


def scenarios_frame(scenarios: Sequence[Scenario]) -> Any:
    """A table with one row per scenario and channel (pandas DataFrame) for CSV export."""
    import pandas as pd

    rows = []
    for s in scenarios:
        a = s.optimal
        for j, c in enumerate(a.channels):
            rows.append(
                {
                    "scenario": s.name,
                    "budget": a.budget,
                    "channel": c,
                    "optimal": float(a.allocation[j]),
                    "current": float(a.current[j]),
                    "marginal_roi": float(a.marginal_roi[j]),
                    "scenario_expected_kpi": a.expected_kpi,
                    "scenario_kpi_p05": a.kpi_interval[0],
                    "scenario_kpi_p95": a.kpi_interval[1],
                    "current_mix_kpi": s.current_plan_kpi,
                    "current_kpi": a.current_kpi,
                }
            )
    return pd.DataFrame(rows)
