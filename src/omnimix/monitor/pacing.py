"""Budget pacing with the ad platforms' semantics (Google Ads: a campaign may spend up to 2× its
daily budget on one day and up to 30.4× its daily budget in a month).

For each channel with a budget (``[monitor.budgets] CH = { daily = …, monthly = … }`` or a plan's
mapping passed to :func:`pacing_alerts`):

* **day over-delivery**: a day's spend above ``OVER_DAY × daily`` (the platform's own cap, so this is
  spend that should not have happened);
* **month over-delivery**: month-to-date spend above the monthly cap (``monthly``, else
  ``30.4 × daily``), or on pace to end the month above ``OVER_PACE ×`` the cap;
* **month under-delivery**: from day ``MIN_DAYS`` of a month on, on pace to end below
  ``UNDER_PACE ×`` the cap.

The pace is month-to-date spend divided by the days elapsed, times the days of the month.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date

import pandas as pd

from omnimix.monitor.alerts import Alert

OVER_DAY = 2.0
DAYS_PER_MONTH = 30.4
OVER_PACE = 1.1
UNDER_PACE = 0.8
MIN_DAYS = 7


def monthly_cap(daily: float | None, monthly: float | None) -> float | None:
    """The month's cap: the monthly budget, else 30.4 × the daily budget."""
    if monthly is not None:
        return float(monthly)
    return DAYS_PER_MONTH * float(daily) if daily is not None else None


def pacing_alerts(spend: pd.DataFrame, budgets: Mapping[str, tuple[float | None, float | None]],
                  since: date, end: date) -> list[Alert]:
    """Pacing alerts for days ``since … end``.

    Args:
        spend: daily spend per channel: columns ``period`` (day), ``channel``, ``spend``.
        budgets: channel → (daily budget, monthly budget); either may be None.
        since: first day to report on.
        end: the last day with data (the month's pace is judged as of this day).
    """
    out: list[Alert] = []
    if spend.empty:
        return out
    df = spend.assign(day=pd.to_datetime(spend["period"]).dt.date)
    for ch, (daily, monthly) in sorted(budgets.items()):
        g = df[df["channel"] == ch].set_index("day")["spend"].astype(float)
        if daily is not None:
            for d, v in g.items():
                if d >= since and v > OVER_DAY * daily:
                    out.append(Alert("pacing", "spend", ch, d.isoformat(), v, daily, 0.0, OVER_DAY * daily,
                                     "critical", f"{ch} spent {v:,.2f} on {d.isoformat()}: above {OVER_DAY:g}× "
                                     f"its daily budget {daily:,.2f}",
                                     detail={"code": "spend_day", "daily": daily, "factor": OVER_DAY}))
        cap = monthly_cap(daily, monthly)
        if cap is None:
            continue
        month0 = date(end.year, end.month, 1)
        if month0 < date(since.year, since.month, 1):
            continue
        mtd = float(g[(g.index >= month0) & (g.index <= end)].sum())
        elapsed = (end - month0).days + 1
        n_days = calendar.monthrange(end.year, end.month)[1]
        pace = mtd / elapsed * n_days
        expected = cap * elapsed / n_days
        lo, hi = UNDER_PACE * cap, OVER_PACE * cap
        day = end.isoformat()
        if mtd > cap:
            out.append(Alert("pacing", "spend_month", ch, day, mtd, expected, None, cap, "critical",
                             f"{ch} has spent {mtd:,.2f} this month: above the monthly cap {cap:,.2f}",
                             detail={"code": "month_over_cap", "cap": cap}))
        elif pace > hi:
            out.append(Alert("pacing", "spend_month", ch, day, mtd, expected, None, cap, "warning",
                             f"{ch} is on pace for {pace:,.2f} this month: above the cap {cap:,.2f} "
                             f"(over-delivery)", detail={"code": "month_over_pace", "pace": pace, "cap": cap}))
        elif elapsed >= MIN_DAYS and pace < lo:
            out.append(Alert("pacing", "spend_month", ch, day, mtd, expected, lo * elapsed / n_days, cap,
                             "warning", f"{ch} is on pace for {pace:,.2f} this month: below "
                             f"{UNDER_PACE:.0%} of the budget {cap:,.2f} (under-delivery)",
                             detail={"code": "month_under_pace", "pace": pace, "cap": cap, "share": UNDER_PACE}))
    return out
