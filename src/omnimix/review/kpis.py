"""KPIs of the review period against the previous period and the plan, and each channel's pacing.

Every figure comes from the metrics layer (:func:`omnimix.metrics.metric_frame`), so it equals the
dashboard's and the monitor's. Plan targets come from the workspace's ``plan.toml`` (structured goals
whose ``kpi`` is a metric, and campaign budget lines with a channel): each is cut to the days it shares
with the review period (an additive target pro rata, a ratio as it stands) and compared by
:func:`omnimix.plan.plan_vs_actual`. Without a plan, ``[monitor.budgets]`` gives each channel's spend
budget (the monthly budget, else 30.4 × the daily one, per month of the period).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from omnimix.metrics import METRICS, base_metrics, metric_frame
from omnimix.monitor.pacing import monthly_cap
from omnimix.plan.actual import Target, actual_value, plan_vs_actual
from omnimix.review.period import Period
from omnimix.workspace import Workspace

#: The KPIs of the review table (all channels), in order.
KPIS: tuple[str, ...] = ("spend", "revenue", "conversions", "new_customers", "mer", "cac", "aov")
PLAN_FILE = "plan.toml"


@dataclass
class KpiView:
    """KPI rows, per-channel spend and pacing of a review period.

    Attributes:
        rows: one dict per KPI: ``metric``, ``current``, ``previous``, ``change_pct``, ``target``,
            ``pace``, ``status`` (plan columns None without a target).
        spend: channel → spend in the period; spend_previous: the same for the previous period.
        pacing: channel → ``{"plan", "actual", "pace", "status", "source"}`` (``plan`` or ``budget``).
        plan_file: the plan used (None without one); plan_problem: why it could not be read.
    """

    rows: list[dict[str, Any]] = field(default_factory=list)
    spend: dict[str, float] = field(default_factory=dict)
    spend_previous: dict[str, float] = field(default_factory=dict)
    pacing: dict[str, dict[str, Any]] = field(default_factory=dict)
    plan_file: str | None = None
    plan_problem: str | None = None
    revenue: tuple[float, float] = (math.nan, math.nan)


def _sums(frame: pd.DataFrame, cols: list[str], p: Period) -> dict[str, float]:
    sel = (frame["period"] >= pd.Timestamp(p.start)) & (frame["period"] <= pd.Timestamp(p.end))
    return {c: float(frame.loc[sel, c].sum()) for c in cols}


def _clip(t: Target, p: Period) -> Target | None:
    lo, hi = max(t.start, p.start), min(t.end, p.end)
    if hi < lo:
        return None
    share = ((hi - lo).days + 1) / ((t.end - t.start).days + 1)
    value = t.value if METRICS[t.metric].kind == "ratio" else t.value * share
    return Target(t.metric, lo, hi, value, t.channel, p.label, t.goal_id)


def plan_targets(plan: Any) -> list[Target]:
    """Targets the plan file states: structured goals and campaign budget lines with a channel."""
    out: list[Target] = []
    for g in plan.goals:
        if g.kpi in METRICS and g.target is not None:
            end = g.deadline or plan.plan.end
            if end >= plan.plan.start:
                out.append(Target(g.kpi, plan.plan.start, end, float(g.target), None, g.id, g.id))
    for c in plan.campaigns:
        by: dict[str, float] = {}
        for line in c.budget_lines:
            if line.channel:
                by[line.channel] = by.get(line.channel, 0.0) + float(line.amount)
        for ch, amount in by.items():
            out.append(Target("spend", c.start, c.end, amount, ch, c.id))
    return out


def _budget_targets(ws: Workspace, p: Period) -> list[Target]:
    months = 1 if p.kind == "month" else 3
    out = []
    for ch, b in ws.config.monitor.budgets.items():
        cap = monthly_cap(b.daily, b.monthly)
        if cap is not None:
            out.append(Target("spend", p.start, p.end, cap * months, ch, p.label))
    return out


def _merge(targets: list[Target]) -> list[Target]:
    """One target per (metric, channel): spend lines of several campaigns add up; a ratio keeps the last."""
    acc: dict[tuple[str, str | None], Target] = {}
    for t in targets:
        key = (t.metric, t.channel)
        if key in acc and METRICS[t.metric].kind != "ratio":
            o = acc[key]
            acc[key] = Target(t.metric, min(o.start, t.start), max(o.end, t.end), o.value + t.value, t.channel,
                              t.period, o.goal_id or t.goal_id)
        else:
            acc[key] = t
    return list(acc.values())


def kpi_view(ws: Workspace, period: Period, previous: Period, tolerance: float) -> KpiView:
    """KPIs of ``period`` and ``previous``, their plan targets and each channel's pacing."""
    view = KpiView()
    need = base_metrics(list(KPIS))
    con = ws.connect(read_only=True)
    try:
        total = metric_frame(con, need, previous.start, period.end, grain="day")
        per = metric_frame(con, ["spend"], previous.start, period.end, grain="day", by_channel=True)
        cur, prev = _sums(total, need, period), _sums(total, need, previous)
        for ch, g in per.groupby("channel"):
            view.spend[str(ch)] = _sums(g, ["spend"], period)["spend"]
            view.spend_previous[str(ch)] = _sums(g, ["spend"], previous)["spend"]
        view.revenue = (prev["revenue"], cur["revenue"])
        targets: list[Target] = []
        source = "plan"
        path = Path(ws.root) / PLAN_FILE
        if path.is_file():
            from omnimix.errors import OmnimixError
            from omnimix.plan.spec import load_plan

            try:
                targets = [c for t in plan_targets(load_plan(path)) if (c := _clip(t, period)) is not None]
                view.plan_file = str(path)
            except OmnimixError as exc:
                view.plan_problem = str(exc)
        if not any(t.metric == "spend" and t.channel for t in targets):
            source = "budget"
            targets += _budget_targets(ws, period)
        targets = _merge(targets)
        pva = plan_vs_actual(con, targets, as_of=period.end, tolerance=tolerance).to_frame() if targets else None
    finally:
        con.close()
    plan_rows: dict[tuple[str, str], dict[str, Any]] = {}
    if pva is not None:
        for r in pva.to_dict("records"):
            plan_rows[(str(r["metric"]), str(r["channel"]))] = r
    for k in KPIS:
        now, before = actual_value(k, cur), actual_value(k, prev)
        row = plan_rows.get((k, "all"))
        view.rows.append({
            "metric": k, "current": _num(now), "previous": _num(before),
            "change_pct": _num(now / before - 1.0) if before and math.isfinite(before) and math.isfinite(now) else None,
            "target": _num(row["target"]) if row else None, "pace": _num(row["pace"]) if row else None,
            "status": row["status"] if row else None,
        })
    for (m, ch), r in plan_rows.items():
        if m == "spend" and ch != "all":
            view.pacing[ch] = {"plan": _num(r["target"]), "actual": _num(r["actual"]), "pace": _num(r["pace"]),
                               "status": _pace_status(r["pace"], tolerance), "source": source}
    return view


def _pace_status(pace: Any, tol: float) -> str | None:
    if pace is None or not math.isfinite(float(pace)):
        return None
    if float(pace) > 1 + tol:
        return "over"
    if float(pace) < 1 - tol:
        return "under"
    return "on_track"


def _num(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def data_end(ws: Workspace) -> date | None:
    """The last day with spend, touchpoints or conversions."""
    from omnimix.metrics import data_span

    span = data_span(ws)
    return None if span is None else span[1]
