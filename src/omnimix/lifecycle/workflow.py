"""``lifecycle_report``: stages, conversion rates, velocity, the MQL SLA, feedback and lead scoring."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omnimix.errors import InputDataError, UsageError
from omnimix.lifecycle.feedback import FeedbackCounts, count_feedback
from omnimix.lifecycle.history import first_entries, load_events, person_channels, until
from omnimix.lifecycle.rates import Transition, Velocity, by_channel, by_cohort, stage_counts, transitions, velocity
from omnimix.lifecycle.scoring import ScoringResult, calibrate, scoring_sample
from omnimix.lifecycle.sla import BusinessCalendar, SlaResult, check_sla
from omnimix.lifecycle.stages import StageModel
from omnimix.workspace import Workspace


@dataclass(frozen=True)
class LifecycleReport:
    """What ``omnimix lifecycle report`` prints.

    Attributes:
        as_of: the data's end (newest entry or contact) unless given.
        persons: CRM records with at least one stage event.
        stages: per stage, persons who entered it and persons now in it.
        transitions: conversion and time in stage per consecutive pair of stages.
        cohorts / channels: conversion by month of entering and by source channel.
        velocity: pipeline velocity.
        sla: the MQL → SQL SLA with every breach.
        feedback: sales feedback per channel.
        scoring: lead-score calibration (None without scored hand-offs).
        notes: what was left out.
    """

    as_of: dt.datetime
    persons: int
    sources: tuple[str, ...]
    stages: list[dict[str, Any]]
    transitions: list[Transition]
    cohorts: dict[str, list[dict[str, Any]]]
    channels: dict[str, dict[str, dict[str, Any]]]
    velocity: Velocity
    sla: SlaResult
    feedback: FeedbackCounts
    scoring: ScoringResult | None
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(sep=" "), "persons": self.persons, "sources": list(self.sources),
                "stages": self.stages, "conversion": [t.to_json() for t in self.transitions],
                "cohorts": self.cohorts, "channels": self.channels, "velocity": self.velocity.to_json(),
                "sla": self.sla.to_json(), "feedback": self.feedback.to_json(),
                "scoring": None if self.scoring is None else self.scoring.to_json(), "notes": list(self.notes)}


def lifecycle_report(workspace: Workspace | str | Path, *, as_of: dt.datetime | None = None,
                     sla_hours: float | None = None, window_days: int = 90, scoring: str = "logistic",
                     folds: int = 5, seed: int = 0) -> LifecycleReport:
    """The lifecycle report of a workspace's CRM stage events.

    Args:
        workspace: the workspace (or its directory).
        as_of: the end of the data (default: its newest time); SLA pending/breach is judged at it.
        sla_hours: business hours allowed for the first contact (default ``[lifecycle] sla_hours``).
        window_days: opportunities opened in this many days count in the velocity.
        scoring: ``logistic`` (score + channel acceptance) or ``isotonic`` (score alone).
        folds / seed: cross-fitting of the scoring calibration.

    Raises:
        InputDataError: the workspace holds no stage events (neither ``stage_history`` nor became-dates).
        UsageError: a bad option.
    """
    ws = Workspace.loaded(workspace)
    if sla_hours is not None and sla_hours <= 0:
        raise UsageError(f"--sla-hours must be positive, not {sla_hours}")
    if window_days < 1:
        raise UsageError(f"--window-days must be 1 or more, not {window_days}")
    section = ws.config.lifecycle
    model = StageModel.from_config(section)
    ev = load_events(ws, model)
    events = ev.frame
    if events.empty:
        raise InputDataError(str(ws.warehouse_path), "no lifecycle stage events: load a stage-history export "
                             "(`omnimix ingest -w DIR FILE --table stage_history`, columns in docs/data-model.md) or a "
                             "HubSpot contacts export with its 'Became a … Date' columns")
    end = as_of or ev.as_of
    assert end is not None
    events = until(events, end)
    first = first_entries(events, model)
    channels = person_channels(events)
    trans = transitions(first, model, end, section.maturity_quantile)
    calendar = BusinessCalendar.from_config(section)
    sla = check_sla(events, model, calendar, sla_hours or section.sla_hours, end)
    fb = count_feedback(events, channels, model)
    score = calibrate(scoring_sample(events, first, channels, model), scoring, folds, seed)
    notes = [f"left out {n} row(s) of stage {s!r} (not in [lifecycle] stages or aliases)"
             for s, n in sorted(ev.dropped.items())]
    if score is None:
        notes.append("no lead-score calibration: fewer than 20 scored MQL hand-offs, or all with one outcome")
    return LifecycleReport(as_of=end, persons=len(first), sources=ev.sources, stages=stage_counts(first, events, model),
                           transitions=trans, cohorts=by_cohort(first, model, trans, end),
                           channels=by_channel(first, channels, model, trans, end),
                           velocity=velocity(first, events, model, trans, end, window_days), sla=sla, feedback=fb,
                           scoring=score, notes=tuple(notes))
