"""``omnimix plan validate`` and ``omnimix plan build``: a plan file and a workspace in, a plan out.

:func:`validate_plan` parses and SMART-checks the goals (with a workspace: baselines from the
warehouse and achievability from the MMM posterior at the planned budget). :func:`build_plan` adds the
budget by channel (the optimizer under the plan's constraints and reserve), the cascade of the budget
and of every additive target over quarters, months and channels, the KPI trees, the channel roles, the
trace of campaigns and content to goals, and the calendar. :func:`write_plan` writes the files.

Two hooks keep the calendar and the exports apart from this module: ``calendar`` (a function
``(plan, build) → [entries]``; the default is :func:`omnimix.plan.calendar.plan_calendar`: campaigns,
dated content and the plan year's retail peaks) and ``exporters`` (functions ``(build, out_dir) →
[paths]``; the default writes ``plan.xlsx``, ``plan.ics`` and ``plan.html`` with
:mod:`omnimix.plan.exports`, and ``plan.json``, the build's JSON document).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from omnimix.errors import ConvergenceError, InfeasibleError, NotFittedError, UsageError
from omnimix.plan.achieve import Achievability, Posterior, achievability, load_posterior
from omnimix.plan.baseline import Baselines, read_baselines
from omnimix.plan.budget import PlanBudget, workspace_budget
from omnimix.plan.cascade import (
    Cascade,
    ChannelCascade,
    KpiTree,
    cascade,
    channel_cascade,
    funnel_tree,
    split,
    target_tree,
    to_units,
    unit_tree,
)
from omnimix.plan.kpis import KPIS
from omnimix.plan.roles import ChannelRole, Trace, channel_roles, trace
from omnimix.plan.smart import GoalCheck, PlanValidation, validate_goals
from omnimix.plan.spec import Plan, load_plan
from omnimix.workspace import Workspace

CalendarHook = Callable[["Plan", "PlanBuild"], list[dict[str, Any]]]
Exporter = Callable[["PlanBuild", Path], list[Path]]
_ADDITIVE = ("count", "currency")
_NON_ADDITIVE_KPIS = ("cac", "cpl", "aov", "clv")


@dataclass(frozen=True)
class GoalCascade:
    """One goal's target over the plan year: quarters, months and channels (additive KPIs), or held."""

    goal_id: str
    kpi: str
    target: float
    additive: bool
    periods: Cascade | None = None
    channels: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (a non-additive target is the same in every period)."""
        d: dict[str, Any] = {"goal_id": self.goal_id, "kpi": self.kpi, "target": self.target,
                             "additive": self.additive}
        if self.periods is not None:
            d.update(self.periods.to_dict())
        if self.channels:
            d["channels"] = dict(self.channels)
        return d


@dataclass(frozen=True)
class PlanBuild:
    """A built plan: goals, budget, cascade, KPI trees, roles, trace and calendar.

    ``to_json()`` is the ``omnimix plan build --json`` document.
    """

    plan: Plan
    validation: PlanValidation
    budget: PlanBudget
    budget_cascade: dict[str, Cascade]
    channel_months: ChannelCascade
    goal_cascades: tuple[GoalCascade, ...]
    kpi_trees: tuple[KpiTree, ...]
    roles: tuple[ChannelRole, ...]
    trace: Trace
    baselines: Baselines
    calendar: tuple[dict[str, Any], ...] = ()
    files: tuple[str, ...] = ()

    @property
    def goals(self) -> tuple[GoalCheck, ...]:
        """The goals, parsed and SMART-checked."""
        return self.validation.goals

    def quarters(self) -> dict[str, Any]:
        """Quarter → total, reserve, unallocated and channel budgets (each quarter's parts add up to it)."""
        out: dict[str, Any] = {}
        for q in range(4):
            key = f"Q{q + 1}"
            chans = {ch: self.channel_months.quarter(q, c) / 100 for c, ch in enumerate(self.channel_months.channels)}
            parts = {k: c.quarters[q] for k, c in self.budget_cascade.items()}
            out[key] = {"total": sum(parts.values()) / 100, "reserve": parts["reserve"] / 100,
                        "unallocated": parts["unallocated"] / 100, "channels": chans,
                        "targets": {g.goal_id: (g.periods.value(g.periods.quarters[q]) if g.periods else g.target)
                                    for g in self.goal_cascades},
                        "spend": {"total": parts["channels"] / 100, **chans}}
            for g in self.goal_cascades:
                if g.periods is not None and g.kpi not in out[key] and g.kpi != "spend":
                    out[key][g.kpi] = g.periods.value(g.periods.quarters[q])
        return out

    def months(self) -> dict[str, Any]:
        """Month → total, reserve and channel budgets."""
        out: dict[str, Any] = {}
        cm = self.channel_months
        for m, d in enumerate(cm.month_starts):
            parts = {k: c.months[m] for k, c in self.budget_cascade.items()}
            chans = {ch: cm.table[m][c] / 100 for c, ch in enumerate(cm.channels)}
            row: dict[str, Any] = {"total": sum(parts.values()) / 100, "reserve": parts["reserve"] / 100,
                                   "channels": chans, "spend": {"total": parts["channels"] / 100, **chans}}
            for g in self.goal_cascades:
                if g.periods is not None and g.kpi not in row and g.kpi != "spend":
                    row[g.kpi] = g.periods.value(g.periods.months[m])
            out[d.strftime("%Y-%m")] = row
        return out

    def to_json(self) -> dict[str, Any]:
        """``{"budget", "quarters", "calendar", "goals", "files", …}`` (the CLI contract's keys first)."""
        return {
            "plan": {"name": self.plan.plan.name, "year": self.plan.plan.year, "currency": self.plan.plan.currency,
                     "start": self.plan.plan.start.isoformat(), "end": self.plan.plan.end.isoformat()},
            "budget": self.budget.to_json(),
            "quarters": self.quarters(),
            "calendar": list(self.calendar),
            "goals": [g.to_json() for g in self.goals],
            "files": list(self.files),
            "months": self.months(),
            "cascade": [g.to_dict() for g in self.goal_cascades],
            "kpi_trees": [t.to_dict() for t in self.kpi_trees],
            "channel_roles": [r.to_dict() for r in self.roles],
            "trace": self.trace.to_dict(),
            "baselines": self.baselines.to_dict(),
        }


def _achiever(post: Posterior, budget: PlanBudget,
              baselines: Baselines) -> Callable[[str, float], Achievability | None]:
    x = budget.weekly_vector(tuple(post.curves.channels))

    def run(kpi: str, target: float) -> Achievability | None:
        return achievability(post, kpi, target, x, budget.weeks, budget.total, baselines)
    return run


def _seasonality(ws: Workspace) -> dict[int, float] | None:
    """Each calendar month's share of the warehouse's revenue (all history), or None."""
    if not ws.has("conversions"):
        return None
    con = ws.connect(read_only=True)
    try:
        rows = con.execute("select month(ts), sum(value), count(distinct year(ts)) from conversions "
                           "group by 1").fetchall()
    finally:
        con.close()
    per = {int(m): float(v or 0.0) / max(int(n), 1) for m, v, n in rows}
    if len(per) < 12 or sum(per.values()) <= 0:
        return None
    tot = sum(per.values())
    return {m: v / tot for m, v in per.items()}


def _goal_cascades(checks: Sequence[GoalCheck], plan: Plan, post: Posterior | None, budget: PlanBudget,
                   seasonality: dict[int, float] | None) -> tuple[GoalCascade, ...]:
    shares: dict[str, float] = {}
    if post is not None:
        x = budget.weekly_vector(tuple(post.curves.channels))
        media = post.curves.response(x)
        shares = {c: float(v) for c, v in zip(post.curves.channels, media, strict=True)}
        shares["base"] = max(post.base, 0.0)
    out = []
    for g in checks:
        if g.kpi is None or g.target is None:
            continue
        k = KPIS[g.kpi]
        additive = k.unit in _ADDITIVE and g.kpi not in _NON_ADDITIVE_KPIS
        if not additive:
            out.append(GoalCascade(g.id, g.kpi, g.target, False))
            continue
        unit = 0.01 if k.unit == "currency" else 1.0
        periods = cascade(g.target, plan.plan.start, unit=unit, seasonality=seasonality)
        chans: dict[str, float] = {}
        if shares and g.kpi != "spend":
            names = list(shares)
            parts = split(to_units(g.target, unit), [shares[n] for n in names])
            chans = {n: periods.value(p) for n, p in zip(names, parts, strict=True)}
        out.append(GoalCascade(g.id, g.kpi, g.target, True, periods, chans))
    return tuple(out)


def _trees(baselines: Baselines, checks: Sequence[GoalCheck], budget: PlanBudget) -> tuple[KpiTree, ...]:
    c = baselines.counts
    out: list[KpiTree] = []
    if all(c.get(k, 0) > 0 for k in ("revenue", "leads", "mql", "sql", "won")):
        tree = funnel_tree(c["revenue"], c["leads"], c["mql"], c["sql"], c["won"])
        out.append(tree)
        for g in checks:
            if g.kpi == "revenue" and g.target is not None:
                out.append(target_tree(tree, g.target))
                break
    out += unit_tree(c.get("spend", 0.0), c.get("new_customers", 0.0), c.get("revenue", 0.0), c.get("orders", 0.0))
    return tuple(out)


def default_calendar(plan: Plan, build: PlanBuild) -> list[dict[str, Any]]:
    """Campaigns, dated content items and the plan year's retail peaks
    (:func:`omnimix.plan.calendar.plan_calendar`) as ``{"name", "start", "end", "channels", "goal_ids", …}``."""
    from omnimix.plan.calendar import plan_calendar

    return [e.to_dict() for e in plan_calendar(plan)]


def validate_plan(plan: Plan | str | Path, workspace: Workspace | str | Path | None = None) -> PlanValidation:
    """``omnimix plan validate``: parse and SMART-check every goal.

    Without a workspace ``achievable`` is None and ``measurable`` needs no baseline. With one, the
    baselines come from the warehouse and, when the workspace has a passed MMM fit, the achievability of
    each target at the planned budget from the posterior.
    """
    p = plan if isinstance(plan, Plan) else load_plan(plan)
    if workspace is None:
        return validate_goals(p)
    ws = Workspace.loaded(workspace)
    baselines = read_baselines(ws)
    achiever = None
    notes: list[str] = []
    try:
        post = load_posterior(ws)
        budget, _ = workspace_budget(p, ws, total=_default_total(p, baselines))
        achiever = _achiever(post, budget, baselines)
    except (NotFittedError, ConvergenceError, UsageError, InfeasibleError) as exc:
        notes.append(f"achievable not judged: {exc}")
    v = validate_goals(p, baselines, achiever)
    return dataclasses.replace(v, notes=tuple(notes))


def _default_total(plan: Plan, baselines: Baselines) -> float | None:
    """The workspace's spend of the last 52 weeks, scaled to the plan year, when the plan has no budget."""
    if plan.plan.budget is not None:
        return None
    spend = baselines.counts.get("spend")
    if spend is None:
        return None
    days = (plan.plan.end - plan.plan.start).days + 1
    return round(spend * days / 364.0, 2)


def build_plan(plan: Plan | str | Path, workspace: Workspace | str | Path, *,
               calendar: CalendarHook | None = None) -> PlanBuild:
    """``omnimix plan build``: the whole plan from a plan file and a workspace with a passed MMM fit.

    Raises:
        InputDataError: the plan file is invalid or the workspace has no warehouse.
        NotFittedError, ConvergenceError: no passed MMM fit to budget with.
        UsageError, InfeasibleError: the constraints cannot be met.
    """
    p = plan if isinstance(plan, Plan) else load_plan(plan)
    ws = Workspace.loaded(workspace)
    baselines = read_baselines(ws)
    budget, _curves = workspace_budget(p, ws, total=_default_total(p, baselines))
    post = load_posterior(ws)
    validation = validate_goals(p, baselines, _achiever(post, budget, baselines))
    start = p.plan.start
    chan_names = tuple(budget.channels)
    chan_units = [to_units(v) for v in budget.channels.values()]
    parts = {"channels": cascade(sum(chan_units) / 100, start), "reserve": cascade(budget.reserve, start),
             "unallocated": cascade(budget.unallocated, start)}
    cm = channel_cascade(chan_names, chan_units, parts["channels"])
    goal_cascades = _goal_cascades(validation.goals, p, post, budget, _seasonality(ws))
    built = PlanBuild(p, validation, budget, parts, cm, goal_cascades, _trees(baselines, validation.goals, budget),
                      tuple(channel_roles(ws)), trace(p), baselines)
    entries = (calendar or default_calendar)(p, built)
    return dataclasses.replace(built, calendar=tuple(entries))


def write_exports(build: PlanBuild, out: Path) -> list[Path]:
    """Write ``plan.xlsx``, ``plan.ics`` and ``plan.html`` (:func:`omnimix.plan.exports.write_plan_files`)."""
    from omnimix.plan.exports import write_plan_files

    return write_plan_files(build, build.plan, out)


def write_json(build: PlanBuild, out: Path) -> list[Path]:
    """Write the build's JSON document to ``out/plan.json``."""
    path = out / "plan.json"
    path.write_text(json.dumps(build.to_json(), ensure_ascii=False, indent=2, default=_default), encoding="utf-8")
    return [path]


def _default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if hasattr(o, "isoformat"):
        return o.isoformat()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


#: The exporters :func:`write_plan` runs by default.
DEFAULT_EXPORTERS: tuple[Exporter, ...] = (write_exports, write_json)


def write_plan(build: PlanBuild, out: str | Path, exporters: Sequence[Exporter] | None = None) -> PlanBuild:
    """Write the plan's files into ``out`` (created if missing); the build with ``files`` filled in."""
    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for fn in exporters if exporters is not None else DEFAULT_EXPORTERS:
        written += fn(build, d)
    build = dataclasses.replace(build, files=tuple(str(x) for x in written))
    if any(x.name == "plan.json" for x in written):
        write_json(build, d)
    return build
