"""Business-hour arithmetic and the MQL → SQL hand-off SLA.

The SLA: sales makes first contact with every MQL within ``sla_hours`` business hours of the MQL
time. Business hours are the ``work_hours`` intervals of a working day; with ``holidays = 'cn'`` a
working day is one that mainland China works (the ``chinese_calendar`` package: public holidays off,
调休 weekend make-up days on), otherwise the ``workdays`` weekdays; ``extra_holidays`` and
``extra_workdays`` override both. A hand-off breaches when the business hours from the MQL time to
the first contact — or, with no contact yet, to the data's end (``as_of``) — exceed the SLA. A
hand-off with no contact still within the SLA is pending, not a breach.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from omnimix.config import LifecycleSection
from omnimix.errors import ConfigError
from omnimix.lifecycle.stages import StageModel

_DAY = 86_400


def _parse_hours(spec: list[str]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for item in spec:
        try:
            a, b = item.split("-")
            ha, ma = (int(x) for x in a.strip().split(":"))
            hb, mb = (int(x) for x in b.strip().split(":"))
        except ValueError:
            raise ConfigError(f"[lifecycle] work_hours item {item!r}: expected 'HH:MM-HH:MM', "
                              "e.g. '09:00-12:00'") from None
        s, e = ha * 3600 + ma * 60, hb * 3600 + mb * 60
        if not 0 <= s < e <= _DAY:
            raise ConfigError(f"[lifecycle] work_hours item {item!r}: the start must be before the end, within one day")
        out.append((s, e))
    out.sort()
    for (_, e1), (s2, _) in itertools.pairwise(out):
        if s2 < e1:
            raise ConfigError(f"[lifecycle] work_hours {spec} overlap: give disjoint intervals")
    if not out:
        raise ConfigError("[lifecycle] work_hours is empty: give at least one 'HH:MM-HH:MM' interval")
    return tuple(out)


def _dates(items: list[str], key: str) -> frozenset[dt.date]:
    out = set()
    for d in items:
        try:
            out.add(dt.date.fromisoformat(d))
        except ValueError:
            raise ConfigError(f"[lifecycle] {key} item {d!r} is not an ISO date (YYYY-MM-DD)") from None
    return frozenset(out)


class BusinessCalendar:
    """Working days and business hours; :meth:`hours_between` counts business hours between two times."""

    def __init__(self, work_hours: tuple[tuple[int, int], ...], workdays: frozenset[int], holidays: str = "cn",
                 extra_holidays: frozenset[dt.date] = frozenset(),
                 extra_workdays: frozenset[dt.date] = frozenset()) -> None:
        self.work_hours = work_hours
        self.workdays = workdays
        self.holidays = holidays
        self.extra_holidays = extra_holidays
        self.extra_workdays = extra_workdays
        self._origin: dt.date | None = None
        self._cum: list[int] = [0]

    @classmethod
    def from_config(cls, section: LifecycleSection) -> BusinessCalendar:
        """The calendar of a ``[lifecycle]`` section."""
        return cls(_parse_hours(section.work_hours), frozenset(section.workdays), section.holidays,
                   _dates(section.extra_holidays, "extra_holidays"), _dates(section.extra_workdays, "extra_workdays"))

    def describe(self) -> dict[str, Any]:
        """The calendar's settings (for reports)."""
        return {"work_hours": [f"{s // 3600:02d}:{s % 3600 // 60:02d}-{e // 3600:02d}:{e % 3600 // 60:02d}"
                               for s, e in self.work_hours],
                "workdays": sorted(self.workdays), "holidays": self.holidays}

    def is_workday(self, d: dt.date) -> bool:
        """Whether ``d`` is a working day."""
        if d in self.extra_workdays:
            return True
        if d in self.extra_holidays:
            return False
        if self.holidays == "cn":
            import chinese_calendar

            try:
                return bool(chinese_calendar.is_workday(d))
            except NotImplementedError:
                raise ConfigError(
                    f"the mainland-China holiday calendar (chinesecalendar {chinese_calendar.__version__}) does "
                    f"not cover {d.year}: upgrade chinesecalendar, or set [lifecycle] holidays = 'none' and list "
                    "the year's holidays in extra_holidays and make-up workdays in extra_workdays") from None
        return d.isoweekday() in self.workdays

    def _within_day(self, seconds: float) -> float:
        """Business seconds of a working day from midnight to ``seconds`` after it."""
        return float(sum(max(0.0, min(seconds, e) - s) for s, e in self.work_hours))

    def _day_total(self) -> int:
        return sum(e - s for s, e in self.work_hours)

    def _cum_at(self, d: dt.date) -> int:
        """Business seconds of the days from the origin up to (not including) ``d``."""
        if self._origin is None or d < self._origin:
            self._origin = d - dt.timedelta(days=7)
            self._cum = [0]
        i = (d - self._origin).days
        total = self._day_total()
        while len(self._cum) <= i:
            day = self._origin + dt.timedelta(days=len(self._cum) - 1)
            self._cum.append(self._cum[-1] + (total if self.is_workday(day) else 0))
        return self._cum[i]

    def clock(self, t: dt.datetime) -> float:
        """Business seconds from the calendar's origin to ``t`` (differences are what matter)."""
        d = t.date()
        base = self._cum_at(d)
        if not self.is_workday(d):
            return float(base)
        sod = (t - dt.datetime.combine(d, dt.time())).total_seconds()
        return base + self._within_day(sod)

    def hours_between(self, a: dt.datetime, b: dt.datetime) -> float:
        """Business hours from ``a`` to ``b`` (negative when ``b`` is before ``a``)."""
        if b < a:
            return -self.hours_between(b, a)
        lo = min(a.date(), b.date())
        self._cum_at(lo)  # fix the origin before both readings
        return (self.clock(b) - self.clock(a)) / 3600.0


@dataclass(frozen=True)
class Breach:
    """One MQL hand-off over the SLA."""

    record_id: str
    mql_at: dt.datetime
    contacted_at: dt.datetime | None
    hours: float
    owner: str | None = None
    channel: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "mql_at": self.mql_at.isoformat(sep=" "),
                "contacted_at": None if self.contacted_at is None else self.contacted_at.isoformat(sep=" "),
                "hours": round(self.hours, 4), "owner": self.owner, "channel": self.channel}


@dataclass(frozen=True)
class SlaResult:
    """The SLA over every MQL hand-off.

    Attributes:
        sla_hours: business hours allowed.
        handoffs: MQL entries checked.
        contacted: hand-offs with a first contact (``contacted_at``, or the next stage's entry).
        within: contacted within the SLA.
        breached: over the SLA (contacted late, or not contacted and already over at ``as_of``).
        pending: not contacted yet, still within the SLA at ``as_of``.
        contact_from_next_stage: contacts taken from the next stage's entry (no ``contacted_at``).
        median_hours: median business hours to the first contact.
        breaches: every breach, oldest MQL first.
    """

    sla_hours: float
    as_of: dt.datetime
    calendar: dict[str, Any]
    handoffs: int
    contacted: int
    within: int
    breached: int
    pending: int
    contact_from_next_stage: int
    median_hours: float | None
    breaches: tuple[Breach, ...]

    def to_json(self) -> dict[str, Any]:
        return {"sla_hours": self.sla_hours, "as_of": self.as_of.isoformat(sep=" "), "calendar": self.calendar,
                "handoffs": self.handoffs, "contacted": self.contacted, "within": self.within,
                "breached": self.breached, "pending": self.pending,
                "breach_rate": self.breached / self.handoffs if self.handoffs else None,
                "contact_from_next_stage": self.contact_from_next_stage,
                "median_hours": None if self.median_hours is None else round(self.median_hours, 4),
                "breaches": [b.to_json() for b in self.breaches]}


def _opt(v: Any) -> str | None:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA else str(v)


def check_sla(events: pd.DataFrame, model: StageModel, calendar: BusinessCalendar, sla_hours: float,
              as_of: dt.datetime) -> SlaResult:
    """Every MQL entry of ``events`` (see :mod:`omnimix.lifecycle.history`) checked against the SLA.

    The first contact is the row's ``contacted_at``; without one, the person's first entry into a later
    stage after the MQL time (sales cannot accept a lead it has not contacted).
    """
    mql = events[events["stage"] == model.mql].sort_values(["entered_at", "record_id"])
    later_stages = set(model.stages[model.index(model.mql) + 1:])
    later = events[events["stage"].isin(later_stages)][["record_id", "entered_at"]]
    next_by_person: dict[str, list[pd.Timestamp]] = {}
    for rid, ts in zip(later["record_id"], later["entered_at"], strict=True):
        next_by_person.setdefault(rid, []).append(ts)
    breaches: list[Breach] = []
    contacted = within = pending = proxied = 0
    elapsed: list[float] = []
    for row in mql.itertuples(index=False):
        t0 = pd.Timestamp(row.entered_at).to_pydatetime()
        tc = row.contacted_at
        contact: dt.datetime | None = None if pd.isna(tc) else pd.Timestamp(tc).to_pydatetime()
        if contact is None:
            after = [t for t in next_by_person.get(row.record_id, []) if t >= row.entered_at]
            if after:
                contact = min(after).to_pydatetime()
                proxied += 1
        if contact is not None:
            h = max(0.0, calendar.hours_between(t0, contact))
            contacted += 1
            elapsed.append(h)
            if h <= sla_hours + 1e-9:
                within += 1
                continue
        else:
            h = max(0.0, calendar.hours_between(t0, as_of))
            if h <= sla_hours + 1e-9:
                pending += 1
                continue
        breaches.append(Breach(str(row.record_id), t0, contact, h, _opt(row.owner), _opt(row.channel)))
    return SlaResult(sla_hours=sla_hours, as_of=as_of, calendar=calendar.describe(), handoffs=len(mql),
                     contacted=contacted, within=within, breached=len(breaches), pending=pending,
                     contact_from_next_stage=proxied, median_hours=float(np.median(elapsed)) if elapsed else None,
                     breaches=tuple(breaches))
