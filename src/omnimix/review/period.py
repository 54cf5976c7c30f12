"""Review periods: a calendar month (``2026-05``) or quarter (``2026-Q2``), and the one before it."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from omnimix.errors import UsageError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)


@dataclass(frozen=True)
class Period:
    """A review period: its label, kind (``month`` or ``quarter``), first and last day (inclusive)."""

    label: str
    kind: str
    start: date
    end: date

    @property
    def days(self) -> int:
        """Number of days in the period."""
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        if self.kind == "month":
            d = self.start - timedelta(days=1)
            return month(d.year, d.month)
        q = (self.start.month - 1) // 3 + 1
        return quarter(self.start.year - 1, 4) if q == 1 else quarter(self.start.year, q - 1)


def month(year: int, m: int) -> Period:
    """The calendar month ``year-m``."""
    return Period(f"{year:04d}-{m:02d}", "month", date(year, m, 1), date(year, m, calendar.monthrange(year, m)[1]))


def quarter(year: int, q: int) -> Period:
    """Calendar quarter ``q`` (1..4) of ``year``."""
    m0 = 3 * (q - 1) + 1
    return Period(f"{year:04d}-Q{q}", "quarter", date(year, m0, 1),
                  date(year, m0 + 2, calendar.monthrange(year, m0 + 2)[1]))


def parse_period(text: str) -> Period:
    """``YYYY-MM`` (a month) or ``YYYY-Qn`` (a quarter).

    Raises:
        UsageError: anything else, with the expected forms.
    """
    s = str(text).strip()
    if (m := _MONTH.match(s)) and 1 <= int(m.group(2)) <= 12:
        return month(int(m.group(1)), int(m.group(2)))
    if q := _QUARTER.match(s):
        return quarter(int(q.group(1)), int(q.group(2)))
    raise UsageError(f"--period {text!r} is not a month or a quarter",
                     ["use YYYY-MM (e.g. 2026-05) or YYYY-Qn (e.g. 2026-Q2)"])


def last_full_month(last_day: date) -> Period:
    """The last calendar month that ends on or before ``last_day`` (the day the data run to)."""
    if last_day == month(last_day.year, last_day.month).end:
        return month(last_day.year, last_day.month)
    d = date(last_day.year, last_day.month, 1) - timedelta(days=1)
    return month(d.year, d.month)
