"""Plan vs actual: the cascade's targets against the warehouse, by period and channel, with pacing.

Targets are :class:`Target` rows — a metric of the metrics layer (``spend``, ``new_customers``,
``cac``, ``revenue``, ``conversions``, ``stage_awareness`` … see docs/metrics.md), a date range, a value
and optionally a channel. :func:`targets_from_build` reads them from a built plan's JSON document (the
year's channel budgets and the quarter and month targets of the cascade). :func:`plan_vs_actual`
reads the actuals through :func:`omnimix.metrics.metric_frame` — the one definition of every KPI, so the
figures equal the dashboard's and the monitor's — and gives each target its actual to date, the
expected value to date, the pace, a projection to the period's end and the gap.

Pacing is linear in time: ``expected = target × elapsed days / period days`` for additive metrics
(sums and counts); a ratio (CAC, ROAS …) is compared as it stands. The ratio of a period is computed
from the period's summed numerator and denominator (spend / new customers of the quarter), never as a
mean of daily ratios.
"""

from __future__ import annotations

import calendar as _cal
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from omnimix.errors import UsageError
from omnimix.metrics import METRICS, base_metrics, metric, metric_frame

#: Keys of a built plan that name a metric differently.
ALIASES = {"budget": "spend", "customers": "new_customers", "new_users": "new_customers", "orders": "conversions"}
#: Pace within this fraction of 1 is on track.
TOLERANCE = 0.10
ALL = "all"

#: ``(workspace, metrics, start, end, by_channel) -> frame`` with ``period``, [``channel``,] one column per
#: metric at day grain: the metrics layer's ``metric_frame`` by default; a test or another layer can
#: pass its own.
ActualsSource = Callable[[Any, list[str], date, date, bool], pd.DataFrame]


def _metrics_layer(ws: Any, metrics: list[str], start: date, end: date, by_channel: bool) -> pd.DataFrame:
    return metric_frame(ws, metrics, start, end, grain="day", by_channel=by_channel)


@dataclass(frozen=True)
class Target:
    """One target of the cascade.

    Attributes:
        metric: a key of :data:`omnimix.metrics.METRICS`.
        start: first day of the period.
        end: last day of the period (inclusive).
        value: the target.
        channel: the channel, or None for all channels.
        period: the period's label (``2026``, ``Q1``, ``2026-03``).
        goal_id: the goal the target belongs to (None: a budget line).
    """

    metric: str
    start: date
    end: date
    value: float
    channel: str | None = None
    period: str = ""
    goal_id: str | None = None

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise UsageError(f"target {self.period or self.start}: unknown metric {self.metric!r}; expected one of "
                             f"{sorted(METRICS)}.")
        if self.end < self.start:
            raise UsageError(f"target {self.metric} {self.period}: end {self.end} is before start {self.start}.")


def _quarter(year: int, q: int, start_month: int = 1) -> tuple[date, date]:
    m0 = start_month + 3 * (q - 1)
    y0, m0 = year + (m0 - 1) // 12, (m0 - 1) % 12 + 1
    y1, m1 = y0 + (m0 + 1) // 12, (m0 + 1) % 12 + 1
    return date(y0, m0, 1), date(y1, m1, _cal.monthrange(y1, m1)[1])


def period_range(label: str, year: int, start_month: int = 1) -> tuple[date, date]:
    """Dates of a period label: ``Q1``..``Q4`` (of the plan year), ``2026-Q3``, ``2026-03``, ``M03``, ``2026``."""
    s = label.strip().upper()
    try:
        if s.startswith("Q") and s[1:].isdigit() and 1 <= int(s[1:]) <= 4:
            return _quarter(year, int(s[1:]), start_month)
        if "-Q" in s and s.split("-Q")[1] in ("1", "2", "3", "4"):
            ys, qs = s.split("-Q")
            return _quarter(int(ys), int(qs))
        if s.startswith("M") and s[1:].isdigit() and 1 <= int(s[1:]) <= 12:
            k = start_month + int(s[1:]) - 1
            yy, mm = year + (k - 1) // 12, (k - 1) % 12 + 1
            return date(yy, mm, 1), date(yy, mm, _cal.monthrange(yy, mm)[1])
        if len(s) == 7 and s[4] == "-":
            yy, mm = int(s[:4]), int(s[5:])
            return date(yy, mm, 1), date(yy, mm, _cal.monthrange(yy, mm)[1])
        if s.isdigit() and len(s) == 4:
            return _quarter(int(s), 1, start_month)[0], _quarter(int(s), 4, start_month)[1]
    except ValueError:
        pass
    raise UsageError(f"period {label!r}: expected Q1..Q4, YYYY-Qn, YYYY-MM, Mnn or YYYY.")


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return float(v) if math.isfinite(float(v)) else None


def _targets_of_period(label: str, body: Mapping[str, Any], year: int, start_month: int) -> list[Target]:
    start, end = period_range(label, year, start_month)
    out = []
    for key, v in body.items():
        m = ALIASES.get(key, key)
        if m not in METRICS:
            continue
        if (x := _number(v)) is not None:
            out.append(Target(m, start, end, x, None, label))
        elif isinstance(v, Mapping):
            for ch, cv in v.items():
                if (y := _number(cv)) is not None:
                    out.append(Target(m, start, end, y, None if ch in (ALL, "total") else str(ch), label))
    return out


def targets_from_build(doc: Mapping[str, Any], year: int, start_month: int = 1) -> list[Target]:
    """Targets of a built plan's JSON document.

    Reads ``budget.channels`` (each channel's spend for the year), every period of ``quarters``
    and ``months`` — ``{period: {metric: value}}`` or ``{period: {metric: {channel: value}}}``, with
    ``budget`` meaning ``spend``; keys that are not metrics are skipped — and each goal of ``goals``
    whose ``kpi`` is a metric and has a ``target``: one target from the plan start to its deadline
    (default the plan end), labelled with the plan year and the goal id. A ratio goal (CAC) is compared
    over that whole span.
    """
    y0 = date(year, start_month, 1)
    y1 = (date(year + 1, start_month, 1) if start_month > 1 else date(year + 1, 1, 1)) - timedelta(days=1)
    out: list[Target] = []
    budget = doc.get("budget")
    if isinstance(budget, Mapping) and isinstance(budget.get("channels"), Mapping):
        for ch, v in budget["channels"].items():
            if (x := _number(v)) is not None:
                out.append(Target("spend", y0, y1, x, str(ch), str(year)))
    for section in ("quarters", "months"):
        periods = doc.get(section)
        if isinstance(periods, Mapping):
            for label, body in periods.items():
                if isinstance(body, Mapping):
                    out += _targets_of_period(str(label), body, year, start_month)
    for g in doc.get("goals") or ():
        if not isinstance(g, Mapping):
            continue
        kpi = ALIASES.get(str(g.get("kpi")), str(g.get("kpi")))
        value = _number(g.get("target"))
        if kpi not in METRICS or value is None:
            continue
        end = y1
        if isinstance(g.get("deadline"), str):
            try:
                end = min(y1, date.fromisoformat(g["deadline"]))
            except ValueError:
                end = y1
        if end >= y0:
            out.append(Target(kpi, y0, end, value, None, str(year), str(g.get("id"))))
    return out


@dataclass(frozen=True)
class PlanVsActual:
    """Every target with its actual, pacing and gap (one row per target).

    ``rows`` columns: metric, channel (``all`` for all channels), period, goal_id, start, end, target, actual
    (to ``as_of``), elapsed (share of the period's days up to ``as_of``), expected (target to date),
    pace (actual / expected; for a ratio actual / target), projected (to the period's end), gap
    (projected − target), gap_pct, status (``on_track``, ``ahead``, ``behind``, ``over``, ``under``,
    ``not_started``, ``no_data``).
    """

    as_of: date
    rows: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        return self.rows.copy()

    def alerts(self) -> pd.DataFrame:
        """Rows off pace (``behind``, ``over``, ``under``): what the monitor alerts on."""
        return self.rows[self.rows["status"].isin(["behind", "over", "under"])].reset_index(drop=True)

    def to_json(self) -> dict[str, Any]:
        recs = []
        for r in self.rows.to_dict("records"):
            recs.append({k: (v.isoformat() if isinstance(v, date) else (None if isinstance(v, float)
                        and not math.isfinite(v) else v)) for k, v in r.items()})
        return {"as_of": self.as_of.isoformat(), "rows": recs,
                "alerts": int(self.rows["status"].isin(["behind", "over", "under"]).sum())}


def _status(key: str, pace: float, elapsed: float, tol: float) -> str:
    if elapsed <= 0:
        return "not_started"
    if not math.isfinite(pace):
        return "no_data"
    better = metric(key).higher_is_better
    if abs(pace - 1.0) <= tol:
        return "on_track"
    if better is None:
        return "over" if pace > 1 else "under"
    good = pace > 1 if better else pace < 1
    return "ahead" if good else "behind"


def _sum(frame: pd.DataFrame, cols: Sequence[str], start: date, end: date, channel: str | None) -> dict[str, float]:
    sel = (frame["period"] >= pd.Timestamp(start)) & (frame["period"] <= pd.Timestamp(end))
    if channel is not None:
        sel &= frame["channel"] == channel
    part = frame.loc[sel, list(cols)]
    return {c: float(part[c].sum(min_count=1)) if part[c].notna().any() else math.nan for c in cols}


def actual_value(key: str, sums: Mapping[str, float]) -> float:
    """The metric's value from its base sums (a ratio: numerator / denominator, NaN over zero)."""
    m = metric(key)
    if m.kind != "ratio":
        return sums[key]
    num, den = sums[m.numerator], sums[m.denominator]
    return num / den if den and math.isfinite(den) and math.isfinite(num) else math.nan


def plan_vs_actual(
    ws: Any,
    targets: Sequence[Target],
    as_of: date | None = None,
    *,
    tolerance: float = TOLERANCE,
    source: ActualsSource | None = None,
) -> PlanVsActual:
    """Actuals of every target from the warehouse, to ``as_of`` (default: the last target's end).

    Args:
        ws: a workspace (or its directory) with a warehouse.
        targets: the targets (:func:`targets_from_build`).
        as_of: the day the actuals run to (inclusive); periods after it are ``not_started``.
        tolerance: pace within ``1 ± tolerance`` is on track.
        source: where actuals come from (default the metrics layer, day grain).
    """
    if not targets:
        raise UsageError("plan vs actual: no targets; build the plan first (omnimix plan build).")
    read = source or _metrics_layer
    first = min(t.start for t in targets)
    last = max(t.end for t in targets)
    upto = as_of or last
    need = base_metrics(sorted({t.metric for t in targets}))
    span_end = max(first, min(upto, last))
    by_ch = read(ws, list(need), first, span_end, True) if any(t.channel for t in targets) else None
    total = read(ws, list(need), first, span_end, False)
    rows = []
    for t in targets:
        days = (t.end - t.start).days + 1
        to = min(t.end, upto)
        elapsed = max(0, (to - t.start).days + 1) / days
        if elapsed > 0:
            frame = total if t.channel is None else by_ch
            assert frame is not None
            actual = actual_value(t.metric, _sum(frame, need, t.start, to, t.channel))
        else:
            actual = math.nan
        ratio = metric(t.metric).kind == "ratio"
        expected = t.value if ratio else t.value * elapsed
        pace = actual / expected if expected and math.isfinite(actual) else math.nan
        projected = actual if ratio else (actual / elapsed if elapsed > 0 else math.nan)
        gap = projected - t.value
        rows.append({
            "metric": t.metric, "channel": t.channel or ALL, "period": t.period, "goal_id": t.goal_id,
            "start": t.start, "end": t.end,
            "target": t.value, "actual": actual, "elapsed": elapsed, "expected": expected, "pace": pace,
            "projected": projected, "gap": gap, "gap_pct": gap / t.value if t.value else math.nan,
            "status": _status(t.metric, pace, elapsed, tolerance),
        })
    return PlanVsActual(upto, pd.DataFrame(rows))
