"""Retail peaks of a calendar year: the Chinese shopping festivals and the Western ones.

:func:`retail_peaks` gives each peak of a year as a :class:`RetailPeak` with its selling window
(``start``..``end``, inclusive) and its peak day. Lunar festivals (春节, 年货节, 七夕, 中秋) are converted
from the Chinese calendar with the ``lunardate`` package; the others follow fixed dates or weekday rules
(Mother's Day is the second Sunday of May, Black Friday the day after the fourth Thursday of November).

The windows are the usual campaign windows, not public-holiday rules:

=============  ===================================================  =========
key            window                                               peak day
=============  ===================================================  =========
nianhuo        年货节: the 21 days before 春节                        春节 eve
spring         春节: 春节 to its 6th day (the holiday week)            春节
women          38女神节: 1–8 March                                   8 March
520            520 (网络情人节): 14–20 May                           20 May
618            618: 1–18 June                                       18 June
qixi           七夕: the 7 days up to lunar 7/7                      七夕
midautumn      中秋: the 10 days up to lunar 8/15                    中秋
national       国庆: 1–7 October                                     1 October
double11       双11: 20 October – 11 November (pre-sales included)   11 Nov
double12       双12: 1–12 December                                   12 Dec
valentines     Valentine's Day: 7–14 February                        14 Feb
mothers        Mother's Day (US): the week up to the 2nd Sunday of May
fathers        Father's Day (US): the week up to the 3rd Sunday of June
black_friday   Black Friday: the Friday after Thanksgiving          —
cyber_monday   Cyber Monday: the Monday after Black Friday          —
christmas      Christmas: 1–25 December                             25 Dec
=============  ===================================================  =========
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from omnimix.errors import UsageError

#: Regions of the presets: ``cn`` (Chinese retail festivals) and ``west``.
REGIONS = ("cn", "west")
MIN_YEAR, MAX_YEAR = 1901, 2099  # the range the lunar conversion covers


@dataclass(frozen=True)
class RetailPeak:
    """One retail peak of a year.

    Attributes:
        key: stable identifier (``"double11"``, ``"black_friday"`` ...).
        name_zh: Chinese name.
        name_en: English name.
        region: ``"cn"`` or ``"west"``.
        start: first day of the selling window.
        end: last day of the selling window (inclusive).
        peak: the festival day itself.
    """

    key: str
    name_zh: str
    name_en: str
    region: str
    start: date
    end: date
    peak: date

    def name(self, lang: str = "en") -> str:
        """The name in ``lang`` (``zh``/``zh-CN`` → Chinese, anything else English)."""
        return self.name_zh if lang.lower().startswith("zh") else self.name_en

    def to_dict(self) -> dict[str, str]:
        return {
            "key": self.key,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "region": self.region,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "peak": self.peak.isoformat(),
        }


def lunar_to_solar(year: int, month: int, day: int) -> date:
    """The Gregorian date of lunar ``month``/``day`` of the Chinese year that starts in ``year``."""
    from lunardate import LunarDate

    _check_year(year)
    solar: date = LunarDate(year, month, day).to_solar_date()
    return solar


def spring_festival(year: int) -> date:
    """春节 (lunar new year's day) of ``year``: e.g. 2025-01-29, 2026-02-17, 2027-02-06."""
    return lunar_to_solar(year, 1, 1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The ``n``-th ``weekday`` (Monday 0) of a month."""
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise UsageError(f"year {year}: retail peaks are computed for {MIN_YEAR}–{MAX_YEAR}; pick a year in range.")


def _cn(year: int) -> list[RetailPeak]:
    cny = spring_festival(year)
    qixi = lunar_to_solar(year, 7, 7)
    mid = lunar_to_solar(year, 8, 15)
    d = date
    return [
        RetailPeak("nianhuo", "年货节", "New Year Goods Festival", "cn", cny - timedelta(days=21),
                   cny - timedelta(days=1), cny - timedelta(days=1)),
        RetailPeak("spring", "春节", "Spring Festival", "cn", cny, cny + timedelta(days=6), cny),
        RetailPeak("women", "38女神节", "Women's Day (3.8)", "cn", d(year, 3, 1), d(year, 3, 8), d(year, 3, 8)),
        RetailPeak("520", "520网络情人节", "520 (online Valentine's)", "cn", d(year, 5, 14), d(year, 5, 20),
                   d(year, 5, 20)),
        RetailPeak("618", "618", "618 mid-year sale", "cn", d(year, 6, 1), d(year, 6, 18), d(year, 6, 18)),
        RetailPeak("qixi", "七夕", "Qixi (Chinese Valentine's)", "cn", qixi - timedelta(days=6), qixi, qixi),
        RetailPeak("midautumn", "中秋", "Mid-Autumn Festival", "cn", mid - timedelta(days=9), mid, mid),
        RetailPeak("national", "国庆", "National Day Golden Week", "cn", d(year, 10, 1), d(year, 10, 7),
                   d(year, 10, 1)),
        RetailPeak("double11", "双11", "Double 11 (Singles' Day)", "cn", d(year, 10, 20), d(year, 11, 11),
                   d(year, 11, 11)),
        RetailPeak("double12", "双12", "Double 12", "cn", d(year, 12, 1), d(year, 12, 12), d(year, 12, 12)),
    ]


def _west(year: int) -> list[RetailPeak]:
    d = date
    mothers = _nth_weekday(year, 5, 6, 2)
    fathers = _nth_weekday(year, 6, 6, 3)
    thanksgiving = _nth_weekday(year, 11, 3, 4)
    black_friday = thanksgiving + timedelta(days=1)
    cyber_monday = black_friday + timedelta(days=3)
    return [
        RetailPeak("valentines", "情人节", "Valentine's Day", "west", d(year, 2, 7), d(year, 2, 14), d(year, 2, 14)),
        RetailPeak("mothers", "母亲节", "Mother's Day", "west", mothers - timedelta(days=6), mothers, mothers),
        RetailPeak("fathers", "父亲节", "Father's Day", "west", fathers - timedelta(days=6), fathers, fathers),
        RetailPeak("black_friday", "黑色星期五", "Black Friday", "west", black_friday, black_friday, black_friday),
        RetailPeak("cyber_monday", "网络星期一", "Cyber Monday", "west", cyber_monday, cyber_monday, cyber_monday),
        RetailPeak("christmas", "圣诞节", "Christmas", "west", d(year, 12, 1), d(year, 12, 25), d(year, 12, 25)),
    ]


def retail_peaks(year: int, regions: Iterable[str] = REGIONS) -> list[RetailPeak]:
    """The retail peaks of ``year`` in the given regions, sorted by start date.

    Args:
        year: the calendar year (1901–2099).
        regions: any of ``"cn"`` and ``"west"``.

    Raises:
        UsageError: an unknown region or a year out of range.
    """
    _check_year(year)
    wanted = list(regions)
    unknown = [r for r in wanted if r not in REGIONS]
    if unknown:
        raise UsageError(f"retail regions {unknown}: expected any of {list(REGIONS)}.")
    peaks: list[RetailPeak] = []
    if "cn" in wanted:
        peaks += _cn(year)
    if "west" in wanted:
        peaks += _west(year)
    return sorted(peaks, key=lambda p: (p.start, p.key))


def peak_weights(year: int, lift: float = 0.25, regions: Iterable[str] = REGIONS) -> list[float]:
    """Seasonal response multipliers per month: ``1 + lift × (share of the month's days inside a peak window)``.

    A simple prior for flighting when no fitted seasonality is at hand; 12 values, January first.
    """
    covered = [0] * 12
    days = [0] * 12
    day = date(year, 1, 1)
    windows = [(p.start, p.end) for p in retail_peaks(year, regions)]
    while day.year == year:
        days[day.month - 1] += 1
        if any(s <= day <= e for s, e in windows):
            covered[day.month - 1] += 1
        day += timedelta(days=1)
    return [1.0 + lift * covered[m] / days[m] for m in range(12)]
