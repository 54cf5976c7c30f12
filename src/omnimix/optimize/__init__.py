"""Budget optimizer: response curves → allocation, scenarios, frontier (``omnimix optimize``).

Public API::

    from omnimix.optimize import (
        ResponseCurves, load_curves, curves_from_truth, curves_from_posterior,
        Constraints, ChannelBound, Group, Objective,
        optimize_budget, minimize_spend, optimize_flighting, Flighting,
        efficient_frontier, compare_scenarios,
        optimize_workspace, optimize_file, OptimizeRun,
    )

Modules, one job each: :mod:`~omnimix.optimize.objective` (what is maximised),
:mod:`~omnimix.optimize.grid` (exact DP search), :mod:`~omnimix.optimize.polish` (SLSQP, KKT and risk
polish), :mod:`~omnimix.optimize.allocation` (the result), :mod:`~omnimix.optimize.budget` (the
single-period solvers), :mod:`~omnimix.optimize.flighting` (multi-period plans),
:mod:`~omnimix.optimize.frontier`, :mod:`~omnimix.optimize.scenarios`, :mod:`~omnimix.optimize.charts`,
:mod:`~omnimix.optimize.constraints`, and :mod:`~omnimix.optimize.workflow` (the ``omnimix optimize``
command's body). Names are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omnimix._lazy import lazy_exports

if TYPE_CHECKING:
    from omnimix.curves import (
        ResponseCurves,
        curves_from_dict,
        curves_from_posterior,
        curves_from_truth,
        load_curves,
    )
    from omnimix.optimize.allocation import Allocation, evaluate
    from omnimix.optimize.budget import minimize_spend, optimize_budget
    from omnimix.optimize.constraints import ChannelBound, Constraints, Group
    from omnimix.optimize.flighting import Flighting, FlightingPlan, optimize_flighting
    from omnimix.optimize.frontier import Frontier, efficient_frontier
    from omnimix.optimize.objective import Objective
    from omnimix.optimize.scenarios import Scenario, compare_scenarios, scenarios_frame
    from omnimix.optimize.workflow import OptimizeRun, optimize_curves, optimize_file, optimize_workspace

_WHERE = {
    "Allocation": "omnimix.optimize.allocation",
    "ChannelBound": "omnimix.optimize.constraints",
    "Constraints": "omnimix.optimize.constraints",
    "Flighting": "omnimix.optimize.flighting",
    "FlightingPlan": "omnimix.optimize.flighting",
    "Frontier": "omnimix.optimize.frontier",
    "Group": "omnimix.optimize.constraints",
    "Objective": "omnimix.optimize.objective",
    "OptimizeRun": "omnimix.optimize.workflow",
    "ResponseCurves": "omnimix.curves",
    "Scenario": "omnimix.optimize.scenarios",
    "compare_scenarios": "omnimix.optimize.scenarios",
    "curves_from_dict": "omnimix.curves",
    "curves_from_posterior": "omnimix.curves",
    "curves_from_truth": "omnimix.curves",
    "efficient_frontier": "omnimix.optimize.frontier",
    "evaluate": "omnimix.optimize.allocation",
    "load_curves": "omnimix.curves",
    "minimize_spend": "omnimix.optimize.budget",
    "optimize_budget": "omnimix.optimize.budget",
    "optimize_curves": "omnimix.optimize.workflow",
    "optimize_file": "omnimix.optimize.workflow",
    "optimize_flighting": "omnimix.optimize.flighting",
    "optimize_workspace": "omnimix.optimize.workflow",
    "scenarios_frame": "omnimix.optimize.scenarios",
}

__all__ = [
    "Allocation",
    "ChannelBound",
    "Constraints",
    "Flighting",
    "FlightingPlan",
    "Frontier",
    "Group",
    "Objective",
    "OptimizeRun",
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
    "optimize_file",
    "optimize_flighting",
    "optimize_workspace",
    "scenarios_frame",
]

__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
