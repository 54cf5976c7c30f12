"""The annual integrated plan (issue #17): SMART goals, budget by channel, cascade, calendar.

* :mod:`omnimix.plan.spec`: the plan file (``plan.toml``) and :func:`load_plan`;
* :mod:`omnimix.plan.goals`: goal sentences in Chinese or English → structured goals;
* :mod:`omnimix.plan.smart`: SMART validation with the fix for each failing criterion;
* :mod:`omnimix.plan.cascade`: year → quarter → month → channel amounts that add up exactly, KPI trees;
* :mod:`omnimix.plan.budget`: the budget by channel from the optimizer under the plan's constraints;
* :mod:`omnimix.plan.build`: :func:`validate_plan` and :func:`build_plan` (``omnimix plan validate|build``);
* :mod:`omnimix.plan.retail`, :mod:`~omnimix.plan.calendar`: retail peaks, the calendar, flighting, Gantt;
* :mod:`omnimix.plan.content`, :mod:`~omnimix.plan.raci`: topic clusters, the content matrix, RACI;
* :mod:`omnimix.plan.exports`: plan.xlsx, plan.ics and plan.html; :mod:`omnimix.plan.actual`: plan vs actual.

Names load on first use, so ``import omnimix.plan`` does not load NumPy or the optimizer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omnimix._lazy import lazy_exports

if TYPE_CHECKING:
    from omnimix.plan.actual import PlanVsActual, Target, plan_vs_actual, targets_from_build
    from omnimix.plan.build import PlanBuild, build_plan, validate_plan, write_plan
    from omnimix.plan.calendar import CalendarEntry, flight_entries, gantt_figure, plan_calendar, plan_flighting
    from omnimix.plan.content import content_matrix, topic_clusters
    from omnimix.plan.exports import write_plan_files
    from omnimix.plan.goals import ParsedGoal, parse_statement
    from omnimix.plan.raci import raci_table, validate_raci
    from omnimix.plan.retail import RetailPeak, retail_peaks
    from omnimix.plan.smart import GoalCheck, PlanValidation
    from omnimix.plan.spec import Plan, load_plan, parse_plan

__all__ = [
    "CalendarEntry",
    "GoalCheck",
    "ParsedGoal",
    "Plan",
    "PlanBuild",
    "PlanValidation",
    "PlanVsActual",
    "RetailPeak",
    "Target",
    "build_plan",
    "content_matrix",
    "flight_entries",
    "gantt_figure",
    "load_plan",
    "parse_plan",
    "parse_statement",
    "plan_calendar",
    "plan_flighting",
    "plan_vs_actual",
    "raci_table",
    "retail_peaks",
    "targets_from_build",
    "topic_clusters",
    "validate_plan",
    "validate_raci",
    "write_plan",
    "write_plan_files",
]

__getattr__, __dir__ = lazy_exports(__name__, {
    "CalendarEntry": "omnimix.plan.calendar",
    "GoalCheck": "omnimix.plan.smart",
    "ParsedGoal": "omnimix.plan.goals",
    "Plan": "omnimix.plan.spec",
    "PlanBuild": "omnimix.plan.build",
    "PlanValidation": "omnimix.plan.smart",
    "PlanVsActual": "omnimix.plan.actual",
    "RetailPeak": "omnimix.plan.retail",
    "Target": "omnimix.plan.actual",
    "build_plan": "omnimix.plan.build",
    "content_matrix": "omnimix.plan.content",
    "flight_entries": "omnimix.plan.calendar",
    "gantt_figure": "omnimix.plan.calendar",
    "load_plan": "omnimix.plan.spec",
    "parse_plan": "omnimix.plan.spec",
    "parse_statement": "omnimix.plan.goals",
    "plan_calendar": "omnimix.plan.calendar",
    "plan_flighting": "omnimix.plan.calendar",
    "plan_vs_actual": "omnimix.plan.actual",
    "raci_table": "omnimix.plan.raci",
    "retail_peaks": "omnimix.plan.retail",
    "targets_from_build": "omnimix.plan.actual",
    "topic_clusters": "omnimix.plan.content",
    "validate_plan": "omnimix.plan.build",
    "validate_raci": "omnimix.plan.raci",
    "write_plan": "omnimix.plan.build",
    "write_plan_files": "omnimix.plan.exports",
})
