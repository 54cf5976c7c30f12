"""Lifecycle stages and the marketing → sales hand-off (issue #17).

Stage events from the CRM exports (:mod:`omnimix.lifecycle.history`), conversion by stage, cohort and
channel with time in stage and pipeline velocity (:mod:`omnimix.lifecycle.rates`), the MQL → SQL SLA
in business hours with mainland-China holidays (:mod:`omnimix.lifecycle.sla`), sales feedback
(:mod:`omnimix.lifecycle.feedback`) and lead-score calibration (:mod:`omnimix.lifecycle.scoring`);
:func:`lifecycle_report` runs them all on a workspace. Names load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omnimix._lazy import lazy_exports

if TYPE_CHECKING:
    from omnimix.lifecycle.feedback import FeedbackCounts, count_feedback
    from omnimix.lifecycle.history import StageEvents, first_entries, load_events
    from omnimix.lifecycle.rates import Transition, Velocity
    from omnimix.lifecycle.scoring import ScoringResult, calibrate
    from omnimix.lifecycle.sla import Breach, BusinessCalendar, SlaResult, check_sla
    from omnimix.lifecycle.stages import StageModel
    from omnimix.lifecycle.workflow import LifecycleReport, lifecycle_report

__all__ = [
    "Breach",
    "BusinessCalendar",
    "FeedbackCounts",
    "LifecycleReport",
    "ScoringResult",
    "SlaResult",
    "StageEvents",
    "StageModel",
    "Transition",
    "Velocity",
    "calibrate",
    "check_sla",
    "count_feedback",
    "first_entries",
    "lifecycle_report",
    "load_events",
]

__getattr__, __dir__ = lazy_exports(__name__, {
    "Breach": "omnimix.lifecycle.sla",
    "BusinessCalendar": "omnimix.lifecycle.sla",
    "SlaResult": "omnimix.lifecycle.sla",
    "check_sla": "omnimix.lifecycle.sla",
    "FeedbackCounts": "omnimix.lifecycle.feedback",
    "count_feedback": "omnimix.lifecycle.feedback",
    "StageEvents": "omnimix.lifecycle.history",
    "first_entries": "omnimix.lifecycle.history",
    "load_events": "omnimix.lifecycle.history",
    "Transition": "omnimix.lifecycle.rates",
    "Velocity": "omnimix.lifecycle.rates",
    "ScoringResult": "omnimix.lifecycle.scoring",
    "calibrate": "omnimix.lifecycle.scoring",
    "StageModel": "omnimix.lifecycle.stages",
    "LifecycleReport": "omnimix.lifecycle.workflow",
    "lifecycle_report": "omnimix.lifecycle.workflow",
})
