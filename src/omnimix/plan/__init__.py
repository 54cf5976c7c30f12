"""The annual integrated plan (issue #17): SMART goals, budget by channel, cascade, calendar.

* :mod:`omnimix.plan.spec`: the plan file (``plan.toml``) and :func:`load_plan`;
* :mod:`omnimix.plan.goals`: goal sentences in Chinese or English → structured goals;
* :mod:`omnimix.plan.smart`: SMART validation with the fix for each failing criterion;
* :mod:`omnimix.plan.cascade`: year → quarter → month → channel amounts that add up exactly, KPI trees;
* :mod:`omnimix.plan.budget`: the budget by channel from the optimizer under the plan's constraints;
* :mod:`omnimix.plan.build`: :func:`validate_plan` and :func:`build_plan` (``omnimix plan validate|build``).

Names load on first use, so ``import omnimix.plan`` does not load NumPy or the optimizer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omnimix._lazy import lazy_exports

if TYPE_CHECKING:
    from omnimix.plan.build import PlanBuild, build_plan, validate_plan, write_plan
    from omnimix.plan.goals import ParsedGoal, parse_statement
    from omnimix.plan.smart import GoalCheck, PlanValidation
    from omnimix.plan.spec import Plan, load_plan, parse_plan

__all__ = [
    "GoalCheck",
    "ParsedGoal",
    "Plan",
    "PlanBuild",
    "PlanValidation",
    "build_plan",
    "load_plan",
    "parse_plan",
    "parse_statement",
    "validate_plan",
    "write_plan",
]

__getattr__, __dir__ = lazy_exports(__name__, {
    "GoalCheck": "omnimix.plan.smart",
    "ParsedGoal": "omnimix.plan.goals",
    "Plan": "omnimix.plan.spec",
    "PlanBuild": "omnimix.plan.build",
    "PlanValidation": "omnimix.plan.smart",
    "build_plan": "omnimix.plan.build",
    "load_plan": "omnimix.plan.spec",
    "parse_plan": "omnimix.plan.spec",
    "parse_statement": "omnimix.plan.goals",
    "validate_plan": "omnimix.plan.build",
    "write_plan": "omnimix.plan.build",
})
