"""Budget optimizer: response curves → allocation, scenarios, frontier (``omnimix optimize``).

Public API::

    from omnimix.optimize import (
        ResponseCurves, load_curves, curves_from_truth, curves_from_posterior,
        Constraints, ChannelBound, Group, Objective,
        optimize_budget, minimize_spend, optimize_flighting, Flighting,
        efficient_frontier, compare_scenarios,
    )
"""

from __future__ import annotations

from typing import Any

from omnimix.curves import (
    ResponseCurves,
    curves_from_dict,
    curves_from_posterior,
    curves_from_truth,
    load_curves,
)
from omnimix.optimize.constraints import ChannelBound, Constraints, Group
from omnimix.optimize.frontier import Frontier, efficient_frontier
from omnimix.optimize.optimizer import (
    Allocation,
    Flighting,
    FlightingPlan,
    Objective,
    evaluate,
    minimize_spend,
    optimize_budget,
    optimize_flighting,
)
from omnimix.optimize.scenarios import Scenario, compare_scenarios, scenarios_frame


def optimize_curves(curves: dict[str, Any], budget: float, reserve: float = 0.1,
                    objective: str = "kpi") -> dict[str, Any]:
    """One call for services: CURVES.json content + budget → the ``omnimix optimize --json`` document.

    Args:
        curves: the CURVES.json mapping (``{"channels": {NAME: {"type": ..., ...}}}``).
        budget: total budget of the period.
        reserve: share of the budget set aside as the test-and-innovation fund.
        objective: ``"kpi"`` or ``"profit"``.
    """
    rc = curves_from_dict(curves)
    return optimize_budget(rc, Constraints(budget=float(budget), reserve=float(reserve)), objective).to_dict()

__all__ = [
    "Allocation",
    "ChannelBound",
    "Constraints",
    "Flighting",
    "FlightingPlan",
    "Frontier",
    "Group",
    "Objective",
    "ResponseCurves",
    "Scenario",
    "compare_scenarios",
    "curves_from_dict",
    "curves_from_posterior",
    "curves_from_truth",
    "efficient_frontier",
    "evaluate",
    "load_curves",
    "minimize_spend",
    "optimize_budget",
    "optimize_curves",
    "optimize_flighting",
    "scenarios_frame",
]
