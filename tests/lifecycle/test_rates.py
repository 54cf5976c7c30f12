"""Conversion, maturity, cohorts, channels, time in stage and velocity on hand-made histories."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from omnimix.config import LifecycleSection
from omnimix.lifecycle.history import EVENT_COLUMNS, first_entries, normalise, person_channels
from omnimix.lifecycle.rates import by_channel, by_cohort, stage_counts, transitions, velocity
from omnimix.lifecycle.stages import StageModel

MODEL = StageModel.from_config(LifecycleSection())


def _events(rows: list[tuple[str, str, str, str | None, float | None]]) -> pd.DataFrame:
    df = pd.DataFrame([{"record_id": r, "stage": s, "entered_at": t, "channel": c, "amount": a}
                       for r, s, t, c, a in rows]).reindex(columns=list(EVENT_COLUMNS))
    return normalise(df, MODEL)[0]


ROWS = [
    ("p1", "lead", "2025-01-01", "search", None), ("p1", "marketingqualifiedlead", "2025-01-03", None, None),
    ("p1", "sql", "2025-01-05", None, None), ("p1", "opportunity", "2025-01-10", None, 100.0),
    ("p1", "customer", "2025-01-20", None, 100.0),
    ("p2", "lead", "2025-01-02", "social", None), ("p2", "mql", "2025-01-06", None, None),
    ("p3", "lead", "2025-02-01", "search", None),
    # p4 skips SQL and opportunity: converts from MQL (to customer) directly
    ("p4", "lead", "2025-02-01", "search", None), ("p4", "mql", "2025-02-02", None, None),
    ("p4", "customer", "2025-02-12", None, 300.0),
    # p5: recycled back to lead after MQL; the first lead entry counts
    ("p5", "lead", "2025-01-15", "email", None), ("p5", "mql", "2025-01-16", None, None),
    ("p5", "lead", "2025-01-20", None, None),
    ("p6", "opportunity", "2025-03-20", "events", 50.0),
]


def test_conversion_counts_and_time_in_stage() -> None:
    ev = _events(ROWS)
    first = first_entries(ev, MODEL)
    tr = {(t.from_stage, t.to_stage): t for t in transitions(first, MODEL, dt.datetime(2025, 12, 31), 1.0)}
    lm = tr[("lead", "mql")]
    assert (lm.entered, lm.converted) == (5, 4)  # p1, p2, p4, p5 of p1..p5
    assert lm.days_mean == pytest.approx((2 + 4 + 1 + 1) / 4)
    assert lm.maturity_days == pytest.approx(4.0)  # quantile 1.0 = the longest delay
    ms = tr[("mql", "sql")]
    assert (ms.entered, ms.converted) == (4, 2)  # p1 (to SQL), p4 (to customer)
    assert ms.days_mean == pytest.approx((2 + 10) / 2)
    oc = tr[("opportunity", "customer")]
    assert (oc.entered, oc.converted, oc.rate) == (2, 1, 0.5)


def test_recent_entries_are_not_mature() -> None:
    ev = _events(ROWS)
    first = first_entries(ev, MODEL)
    # as of 2025-02-04 the longest lead→MQL delay is 4 days: lead entries after 2025-01-31 are too recent
    tr = {(t.from_stage, t.to_stage): t for t in transitions(first, MODEL, dt.datetime(2025, 2, 4), 1.0)}
    lm = tr[("lead", "mql")]
    assert (lm.mature_entered, lm.mature_converted) == (3, 3)
    assert lm.rate == 1.0


def test_cohorts_channels_counts_and_velocity() -> None:
    ev = _events(ROWS)
    first = first_entries(ev, MODEL)
    end = dt.datetime(2025, 3, 31)
    trans = transitions(first, MODEL, end, 1.0)
    coh = {r["cohort"]: r for r in by_cohort(first, MODEL, trans, end)["lead→mql"]}
    assert (coh["2025-01"]["entered"], coh["2025-01"]["converted"]) == (3, 3)
    assert (coh["2025-02"]["entered"], coh["2025-02"]["converted"]) == (2, 1)
    ch = by_channel(first, person_channels(ev), MODEL, trans, end)["lead→mql"]
    assert ch["search"] == {"entered": 3, "converted": 2, "rate": pytest.approx(2 / 3, abs=1e-4)}
    assert ch["social"]["converted"] == 1
    counts = {c["stage"]: c for c in stage_counts(first, ev, MODEL)}
    assert counts["lead"]["entered"] == 5 and counts["lead"]["current"] == 2  # p3 and p5 (recycled)
    assert counts["customer"]["current"] == 2
    v = velocity(first, ev, MODEL, trans, end, window_days=90)
    # p1 and p6 opened opportunities in the window; win rate 1/2 (p6 still open counts as entered);
    # deal = p1's 100, cycle = 10 days
    assert (v.opportunities, v.win_rate, v.deal_value, v.cycle_days) == (2, 0.5, 100.0, 10.0)
    assert v.per_day == pytest.approx(2 * 0.5 * 100.0 / 10.0)


def test_unknown_stages_are_counted_and_dropped() -> None:
    raw = pd.DataFrame([{"record_id": "x", "stage": "other", "entered_at": "2025-01-01"},
                        {"record_id": "x", "stage": "Marketing Qualified Lead", "entered_at": "2025-01-02"},
                        {"record_id": "x", "stage": "MQL", "entered_at": "2025-01-02"}]).reindex(
        columns=list(EVENT_COLUMNS))
    ev, dropped = normalise(raw, MODEL)
    assert dropped == {"other": 1}
    assert ev["stage"].tolist() == ["mql"]  # the two spellings of one event are one row


def test_until_drops_what_was_not_known_yet() -> None:
    from omnimix.lifecycle.history import until

    df = pd.DataFrame([
        {"record_id": "a", "stage": "mql", "entered_at": "2025-01-01 10:00", "contacted_at": "2025-01-03 10:00",
         "feedback": "accepted"},
        {"record_id": "a", "stage": "sql", "entered_at": "2025-01-04 10:00"},
    ]).reindex(columns=list(EVENT_COLUMNS))
    ev = normalise(df, MODEL)[0]
    e = until(ev, dt.datetime(2025, 1, 2))
    assert e["stage"].tolist() == ["mql"]
    assert pd.isna(e.loc[0, "contacted_at"]) and pd.isna(e.loc[0, "feedback"])
