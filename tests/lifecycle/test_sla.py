"""Business-hour arithmetic against hand-worked cases (mainland-China holidays and 调休 workdays) and
the SLA verdicts at the boundary."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from omnimix.config import LifecycleSection
from omnimix.errors import ConfigError
from omnimix.lifecycle.history import EVENT_COLUMNS
from omnimix.lifecycle.sla import BusinessCalendar, check_sla
from omnimix.lifecycle.stages import StageModel


def T(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s)


CN = BusinessCalendar.from_config(LifecycleSection())  # 09:00-12:00, 13:00-18:00, holidays = cn
WEEKDAYS = BusinessCalendar.from_config(LifecycleSection(holidays="none"))


@pytest.mark.parametrize(("a", "b", "hours"), [
    # same morning
    ("2025-03-03 09:30", "2025-03-03 11:00", 1.5),
    # across lunch: 11:30-12:00 and 13:00-13:30
    ("2025-03-03 11:30", "2025-03-03 13:30", 1.0),
    # evening to next morning before opening: nothing
    ("2025-03-03 20:00", "2025-03-04 08:00", 0.0),
    # Friday 17:00 → Sunday 28 Sep 2025, a 调休 workday before National Day: 1 h Friday + 1 h Sunday
    ("2025-09-26 17:00", "2025-09-28 10:00", 2.0),
    # 30 Sep 16:00 → 9 Oct 10:30 over the National Day / Mid-Autumn holiday (1-8 Oct): 2 h + 1.5 h
    ("2025-09-30 16:00", "2025-10-09 10:30", 3.5),
    # Friday 10 Oct 17:30 → Saturday 11 Oct 09:30 (调休 workday): 0.5 h + 0.5 h
    ("2025-10-10 17:30", "2025-10-11 09:30", 1.0),
    # Spring Festival 2024 (10-17 Feb off, Sunday 18 Feb worked): Friday 9 Feb 17:00 → 18 Feb 10:00
    ("2024-02-09 17:00", "2024-02-18 10:00", 2.0),
    # an MQL at 02:00 on a holiday, contacted at 09:45 on the first workday after it
    ("2025-10-05 02:00", "2025-10-09 09:45", 0.75),
    # a full working week of 8-hour days: Monday 09:00 → next Monday 09:00
    ("2025-03-03 09:00", "2025-03-10 09:00", 40.0),
])
def test_business_hours_cn(a: str, b: str, hours: float) -> None:
    assert CN.hours_between(T(a), T(b)) == pytest.approx(hours, abs=1e-9)
    assert CN.hours_between(T(b), T(a)) == pytest.approx(-hours, abs=1e-9)


@pytest.mark.parametrize(("a", "b", "hours"), [
    # without the Chinese calendar Saturday 11 Oct is off and 1 Oct is a Wednesday worked
    ("2025-10-10 17:30", "2025-10-11 09:30", 0.5),
    ("2025-09-30 16:00", "2025-10-01 10:30", 3.5),
    ("2025-09-26 17:00", "2025-09-28 10:00", 1.0),
])
def test_business_hours_weekdays(a: str, b: str, hours: float) -> None:
    assert WEEKDAYS.hours_between(T(a), T(b)) == pytest.approx(hours, abs=1e-9)


def test_overrides_and_custom_hours() -> None:
    cal = BusinessCalendar.from_config(LifecycleSection(holidays="none", work_hours=["10:00-16:00"],
                                                        workdays=[1, 2, 3, 4, 5, 6],
                                                        extra_holidays=["2025-03-04"], extra_workdays=["2025-03-09"]))
    # Mon 15:00 → Wed 11:00: Mon 1 h, Tue off (extra holiday), Wed 1 h
    assert cal.hours_between(T("2025-03-03 15:00"), T("2025-03-05 11:00")) == pytest.approx(2.0)
    # Sat 8 Mar (workday 6) and Sun 9 Mar (extra workday): 6 h each
    assert cal.hours_between(T("2025-03-08 00:00"), T("2025-03-10 00:00")) == pytest.approx(12.0)


def test_bad_work_hours_name_the_fix() -> None:
    with pytest.raises(ConfigError, match="HH:MM-HH:MM"):
        BusinessCalendar.from_config(LifecycleSection(work_hours=["9-12"]))
    with pytest.raises(ConfigError, match="overlap"):
        BusinessCalendar.from_config(LifecycleSection(work_hours=["09:00-12:00", "11:00-13:00"]))


def test_year_outside_the_holiday_table_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="holidays = 'none'"):
        CN.is_workday(dt.date(1990, 1, 2))


def _events(rows: list[dict[str, object]]) -> pd.DataFrame:
    df = pd.DataFrame(rows).reindex(columns=list(EVENT_COLUMNS))
    df["entered_at"] = pd.to_datetime(df["entered_at"])
    df["contacted_at"] = pd.to_datetime(df["contacted_at"])
    return df


def test_sla_verdicts_at_the_boundary() -> None:
    model = StageModel.from_config(LifecycleSection())
    ev = _events([
        # exactly 4 business hours (Fri 16:00 → Mon 11:00 = 2 h + 2 h): within
        {"record_id": "a", "stage": "mql", "entered_at": "2025-03-07 16:00", "contacted_at": "2025-03-10 11:00"},
        # one minute more: breach
        {"record_id": "b", "stage": "mql", "entered_at": "2025-03-07 16:00", "contacted_at": "2025-03-10 11:01"},
        # never contacted, over at as_of: breach with the hours to as_of
        {"record_id": "c", "stage": "mql", "entered_at": "2025-03-10 09:00"},
        # never contacted, still within at as_of (Tue 10:00: 2 h): pending
        {"record_id": "d", "stage": "mql", "entered_at": "2025-03-11 08:00"},
        # no contacted_at, but an SQL entry 3 business hours later: contacted (within)
        {"record_id": "e", "stage": "mql", "entered_at": "2025-03-10 09:00"},
        {"record_id": "e", "stage": "sql", "entered_at": "2025-03-10 12:30"},
        # not an MQL: ignored
        {"record_id": "f", "stage": "lead", "entered_at": "2025-03-01 09:00"},
    ])
    res = check_sla(ev, model, CN, 4.0, T("2025-03-11 11:00"))
    assert res.handoffs == 5
    assert {b.record_id for b in res.breaches} == {"b", "c"}
    assert (res.within, res.pending, res.contact_from_next_stage, res.contacted) == (2, 1, 1, 3)
    by = {b.record_id: b for b in res.breaches}
    assert by["b"].hours == pytest.approx(4 + 1 / 60)
    assert by["c"].contacted_at is None
    assert by["c"].hours == pytest.approx(8 + 2)  # Mon 8 h + Tue 09:00-11:00
    assert res.to_json()["breaches"][0]["record_id"] == "b"
