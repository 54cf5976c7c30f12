"""The plan's calendar: campaigns, content, the year's retail peaks, flighting and a Gantt chart.

:func:`plan_calendar` lists every dated thing of a plan as :class:`CalendarEntry` rows
(``{name, start, end, channels, goal_ids}`` plus their kind): the campaigns, the dated content items and
the retail peaks of the plan year (:mod:`omnimix.plan.retail`; ``[calendar] regions`` picks ``cn`` and/or
``west``, ``[calendar] lang`` the names' language). :func:`plan_flighting` spreads a year's budget over
the weeks of the plan year with the optimizer's multi-period solver
(:func:`omnimix.optimize.optimize_flighting`), lifting the response of weeks inside a retail peak, and
:func:`flight_entries` turns that plan into one calendar bar per channel and month.
:func:`gantt_figure` draws entries as a plotly timeline spec (``{"data", "layout"}``), the same plain
form the dashboard and the HTML export render offline.
"""

from __future__ import annotations

import calendar as _cal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from omnimix.errors import UsageError
from omnimix.plan.retail import REGIONS, RetailPeak, retail_peaks

if TYPE_CHECKING:
    from omnimix.curves import ResponseCurves
    from omnimix.optimize.flighting import FlightingPlan

#: Kinds of entry, in the order the Gantt chart stacks them.
KINDS = ("retail_peak", "campaign", "content", "flight")
DEFAULT_LIFT = 0.25


@dataclass(frozen=True)
class CalendarEntry:
    """One bar of the calendar.

    Attributes:
        name: what it is (campaign name, content title, peak name, channel of a flight).
        start: first day.
        end: last day (inclusive).
        channels: channels involved (none for a retail peak).
        goal_ids: goals it serves.
        kind: ``campaign``, ``content``, ``retail_peak`` or ``flight``.
        key: the id of the campaign / content item, the key of the peak, ``channel:YYYY-MM`` of a flight.
        owner: who owns it.
        amount: the budget of a campaign or the spend of a flight.
        status: a content item's status.
    """

    name: str
    start: date
    end: date
    channels: tuple[str, ...] = ()
    goal_ids: tuple[str, ...] = ()
    kind: str = "campaign"
    key: str = ""
    owner: str | None = None
    amount: float | None = None
    status: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise UsageError(f"calendar entry {self.name!r}: kind {self.kind!r}; expected one of {list(KINDS)}.")
        if self.end < self.start:
            raise UsageError(f"calendar entry {self.name!r}: end {self.end} is before start {self.start}.")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``omnimix plan build --json``'s ``calendar`` items)."""
        return {
            "name": self.name,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "channels": list(self.channels),
            "goal_ids": list(self.goal_ids),
            "kind": self.kind,
            "key": self.key,
            "owner": self.owner,
            "amount": self.amount,
            "status": self.status,
        }


def peak_entry(peak: RetailPeak, lang: str = "zh-CN") -> CalendarEntry:
    return CalendarEntry(peak.name(lang), peak.start, peak.end, kind="retail_peak", key=peak.key)


def _settings(plan: Any) -> dict[str, Any]:
    cal = getattr(plan, "calendar", None)
    return dict(cal) if isinstance(cal, dict) else {}


def _year_of(plan: Any) -> int:
    return int(plan.plan.year)


def plan_regions(plan: Any) -> tuple[str, ...]:
    """``[calendar] regions`` (default both ``cn`` and ``west``); a string is one region."""
    reg = _settings(plan).get("regions", REGIONS)
    regions = (reg,) if isinstance(reg, str) else tuple(str(r) for r in reg)
    bad = [r for r in regions if r not in REGIONS]
    if bad:
        raise UsageError(f"{getattr(plan, 'source', 'plan.toml')}: [calendar] regions {bad}: "
                         f"expected any of {list(REGIONS)}.")
    return regions


def campaign_entries(plan: Any) -> list[CalendarEntry]:
    """One entry per ``[[campaigns]]`` row."""
    out = []
    for c in plan.campaigns:
        out.append(CalendarEntry(
            c.name or c.id, c.start, c.end, tuple(c.channels), tuple(c.goal_ids), "campaign", c.id, c.owner,
            c.planned_cost or None,
        ))
    return out


def content_entries(plan: Any) -> list[CalendarEntry]:
    """One entry per dated ``[[content]]`` item (a single publish date when ``end`` is missing).

    An item without goals of its own carries its campaign's goals.
    """
    goals_of = {c.id: tuple(c.goal_ids) for c in plan.campaigns}
    out = []
    for item in plan.content:
        if item.start is None:
            continue
        goals = tuple(item.goal_ids) or goals_of.get(item.campaign or "", ())
        out.append(CalendarEntry(
            item.title or item.id, item.start, item.end or item.start,
            (item.channel,) if item.channel else (), goals, "content", item.id, item.owner, None, item.status,
        ))
    return out


def plan_calendar(plan: Any, year: int | None = None, lang: str | None = None,
                  flights: Sequence[CalendarEntry] = ()) -> list[CalendarEntry]:
    """Campaigns, dated content and the retail peaks of the plan year (and ``flights``), sorted by start.

    Args:
        plan: a :class:`omnimix.plan.spec.Plan`.
        year: the year whose retail peaks are listed (default the plan's year; a fiscal plan year that
            starts after January also gets the peaks of the next calendar year inside it).
        lang: language of the peak names (default ``[calendar] lang``, else ``zh-CN``).
        flights: ``flight`` entries to add (:func:`flight_entries` of :func:`plan_flighting`).
    """
    y = _year_of(plan) if year is None else year
    language = lang or str(_settings(plan).get("lang", "zh-CN"))
    regions = plan_regions(plan)
    start_month = int(getattr(plan.plan, "start_month", 1))
    peaks = retail_peaks(y, regions)
    if start_month != 1:
        first = date(y, start_month, 1)
        last = date(y + 1, start_month, 1) - timedelta(days=1)
        peaks = [p for p in peaks + retail_peaks(y + 1, regions) if first <= p.peak <= last]
    entries = campaign_entries(plan) + content_entries(plan) + [peak_entry(p, language) for p in peaks]
    entries += list(flights)
    return sorted(entries, key=lambda e: (e.start, KINDS.index(e.kind), e.name))


# --- flighting -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Weeks:
    """The plan year cut into weekly periods (the last one takes the year's remaining 1–2 days)."""

    starts: tuple[date, ...]
    ends: tuple[date, ...]
    labels: tuple[str, ...] = field(default=())

    @classmethod
    def of_year(cls, first: date, last: date) -> Weeks:
        n = ((last - first).days + 1) // 7
        starts = tuple(first + timedelta(days=7 * i) for i in range(n))
        ends = tuple([s + timedelta(days=6) for s in starts[:-1]] + [last])
        return cls(starts, ends, tuple(f"W{i + 1:02d}" for i in range(n)))


def peak_week_weights(weeks: Weeks, peaks: Iterable[RetailPeak], lift: float = DEFAULT_LIFT) -> list[float]:
    """``1 + lift × (share of the week's days inside a retail peak window)`` per week."""
    windows = [(p.start, p.end) for p in peaks]
    out = []
    for s, e in zip(weeks.starts, weeks.ends, strict=True):
        n = (e - s).days + 1
        inside = sum(1 for k in range(n) if any(a <= s + timedelta(days=k) <= b for a, b in windows))
        out.append(1.0 + lift * inside / n)
    return out


def plan_flighting(
    curves: ResponseCurves,
    budget: float,
    year: int,
    *,
    start_month: int = 1,
    reserve: float = 0.10,
    regions: Sequence[str] = REGIONS,
    lift: float = DEFAULT_LIFT,
    weights: Any = None,
    max_change_pct: float | None = None,
) -> tuple[FlightingPlan, Weeks]:
    """Spread ``budget`` over the weeks of the plan year with :func:`omnimix.optimize.optimize_flighting`.

    Args:
        curves: weekly response curves (the MMM's).
        budget: the year's total, reserve included.
        year: the plan year; ``start_month`` its first month.
        reserve: the test-and-innovation reserve set aside first.
        regions: retail regions whose peaks lift the response (``weights`` overrides them).
        lift: response lift of a week fully inside a peak window.
        weights: response multipliers, shape (weeks,) or (weeks, channels); default from the peaks.
        max_change_pct: largest week-to-week change of a channel's spend, as a share of its current spend.

    Returns:
        The flighting plan (allocation shape (weeks, channels)) and the weeks it covers.
    """
    from omnimix.optimize.flighting import Flighting, optimize_flighting

    first = date(year, start_month, 1)
    last = (date(year + 1, start_month, 1) if start_month > 1 else date(year + 1, 1, 1)) - timedelta(days=1)
    weeks = Weeks.of_year(first, last)
    if weights is None:
        peaks = retail_peaks(year, regions) + (retail_peaks(year + 1, regions) if start_month > 1 else [])
        weights = peak_week_weights(weeks, peaks, lift)
    fl = Flighting(periods=len(weeks.starts), weights=weights, labels=weeks.labels, max_change_pct=max_change_pct)
    return optimize_flighting(curves, budget, fl, reserve=reserve), weeks


def monthly_flighting(fp: FlightingPlan, weeks: Weeks) -> dict[str, dict[str, float]]:
    """The weekly allocation summed into calendar months (a week's spend spread evenly over its days).

    Returns ``{YYYY-MM: {channel: amount}}``; the months' totals add up to the plan's spend.
    """
    out: dict[str, np.ndarray] = {}
    for t, (s, e) in enumerate(zip(weeks.starts, weeks.ends, strict=True)):
        n = (e - s).days + 1
        per_day = np.asarray(fp.allocation[t], dtype=float) / n
        for k in range(n):
            month = (s + timedelta(days=k)).strftime("%Y-%m")
            out[month] = out.get(month, np.zeros(len(fp.channels))) + per_day
    return {m: {c: float(v) for c, v in zip(fp.channels, row, strict=True)} for m, row in sorted(out.items())}


def flight_entries(fp: FlightingPlan, weeks: Weeks, min_amount: float = 0.0) -> list[CalendarEntry]:
    """One ``flight`` entry per channel and month with spend above ``min_amount``."""
    out = []
    for month, by_channel in monthly_flighting(fp, weeks).items():
        y, m = (int(x) for x in month.split("-"))
        start, end = date(y, m, 1), date(y, m, _cal.monthrange(y, m)[1])
        start = max(start, weeks.starts[0])
        end = min(end, weeks.ends[-1])
        for ch, amount in by_channel.items():
            if amount > min_amount:
                out.append(CalendarEntry(ch, start, end, (ch,), (), "flight", f"{ch}:{month}", None, amount))
    return out


# --- Gantt ---------------------------------------------------------------------------------------

_KIND_COLOURS = {"retail_peak": "#d62728", "campaign": "#1f77b4", "content": "#2ca02c", "flight": "#9467bd"}
_KIND_NAMES = {
    "en": {"retail_peak": "Retail peaks", "campaign": "Campaigns", "content": "Content", "flight": "Flighting"},
    "zh": {"retail_peak": "零售节点", "campaign": "营销活动", "content": "内容", "flight": "投放排期"},
}
_DAY_MS = 86_400_000


def gantt_figure(entries: Sequence[CalendarEntry], lang: str = "en", height_per_row: int = 22) -> dict[str, Any]:
    """A plotly timeline spec: one horizontal bar per entry (rows top to bottom in calendar order).

    Bars are ``type: bar`` traces with ``orientation: h``, ``base`` the start date and ``x`` the length
    in milliseconds on a date axis, one trace per kind (legend: retail peaks, campaigns, content,
    flighting). Flights are one row per channel.
    """
    names = _KIND_NAMES["zh" if lang.lower().startswith("zh") else "en"]
    rows: list[str] = []
    seen: set[str] = set()
    for e in entries:
        label = _row_label(e)
        if label not in seen:
            seen.add(label)
            rows.append(label)
    data = []
    for kind in KINDS:
        items = [e for e in entries if e.kind == kind]
        if not items:
            continue
        data.append({
            "type": "bar",
            "orientation": "h",
            "name": names[kind],
            "y": [_row_label(e) for e in items],
            "base": [e.start.isoformat() for e in items],
            "x": [e.days * _DAY_MS for e in items],
            "marker": {"color": _KIND_COLOURS[kind]},
            "text": [_hover(e) for e in items],
            "hovertemplate": "%{text}<extra></extra>",
            "textposition": "none",
        })
    return {
        "data": data,
        "layout": {
            "barmode": "overlay",
            "height": max(240, 60 + height_per_row * len(rows)),
            "margin": {"t": 20, "r": 10, "b": 40, "l": 180},
            "xaxis": {"type": "date"},
            "yaxis": {"autorange": "reversed", "categoryorder": "array", "categoryarray": rows, "automargin": True},
            "legend": {"orientation": "h", "y": -0.12},
        },
    }


def _row_label(e: CalendarEntry) -> str:
    return f"▸ {e.name}" if e.kind == "flight" else e.name


def _hover(e: CalendarEntry) -> str:
    parts = [e.name, f"{e.start.isoformat()} – {e.end.isoformat()}"]
    if e.channels and e.kind != "flight":
        parts.append(", ".join(e.channels))
    if e.goal_ids:
        parts.append("goals: " + ", ".join(e.goal_ids))
    if e.amount is not None:
        parts.append(f"{e.amount:,.0f}")
    return "<br>".join(parts)
