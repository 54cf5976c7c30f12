"""SMART validation of plan goals: each criterion true, false or None (cannot be judged), with the fix.

* **specific**: one KPI of the vocabulary (:data:`omnimix.plan.kpis.KPIS`), not a vague word, and a
  population (named in the goal, or the KPI's own: new customers count new customers);
* **measurable**: the KPI is one the warehouse measures, the goal says how much (a change, points, an
  amount or a level) and, when a workspace is given, the baseline is known (from the file or the
  warehouse, :mod:`omnimix.plan.baseline`);
* **achievable**: with a workspace and an MMM fit, P(reaching the target at the planned budget) from
  the posterior (:mod:`omnimix.plan.achieve`) is at least 50%; None without a workspace, or when the
  MMM does not drive the KPI;
* **relevant**: the goal has a ``parent`` or a ``strategy``, or its sentence ties it to a strategy
  (支撑公司…战略, in support of our … strategy) or names a line of ``[plan] strategy``;
* **time_bound**: a deadline (the ``deadline`` field or a time expression in the sentence).

Every failing criterion adds a problem that says what to add or change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from omnimix.plan.achieve import Achievability
from omnimix.plan.baseline import Baselines
from omnimix.plan.goals import ParsedGoal, parse_statement
from omnimix.plan.kpis import KPIS, kpi
from omnimix.plan.spec import Goal, Plan

#: Achievability threshold: a target reached with at least this probability is achievable.
ACHIEVABLE_AT = 0.5
CRITERIA = ("specific", "measurable", "achievable", "relevant", "time_bound")

Achiever = Callable[[str, float], Achievability | None]


@dataclass(frozen=True)
class GoalCheck:
    """One goal after parsing and SMART validation (a sentence with two KPIs gives two checks).

    Attributes:
        id: the goal's id (``g1``; ``g1.1``, ``g1.2`` when its sentence sets several goals).
        source_id: the ``[[goals]]`` entry it came from.
        statement: the sentence (None for a goal given by fields only).
        goal: the parsed goal (fields of the file override the sentence's).
        baseline: the baseline used (file, sentence or warehouse).
        baseline_source: ``file``, ``statement``, ``warehouse`` or None.
        target: the target level (None while the baseline is unknown for a relative target).
        smart: each criterion's verdict.
        problems: what to add or change, one line per failing criterion.
        achievability: the posterior's figures behind ``achievable``.
        parent, strategy, owner: from the file.
    """

    id: str
    source_id: str
    statement: str | None
    goal: ParsedGoal
    baseline: float | None
    baseline_source: str | None
    target: float | None
    smart: dict[str, bool | None]
    problems: tuple[str, ...]
    achievability: Achievability | None = None
    parent: str | None = None
    strategy: str | None = None
    owner: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def kpi(self) -> str | None:
        """The KPI's key."""
        return self.goal.kpi

    @property
    def deadline(self) -> dt.date | None:
        """When the goal is due."""
        return self.goal.deadline

    def to_json(self) -> dict[str, Any]:
        """The goal's entry in ``omnimix plan validate --json``."""
        g = self.goal
        return {
            "id": self.id, "source_id": self.source_id, "statement": self.statement, "kpi": g.kpi,
            "kpi_name": None if g.kpi is None else {"zh": KPIS[g.kpi].zh, "en": KPIS[g.kpi].en},
            "target": self.target, "deadline": None if g.deadline is None else g.deadline.isoformat(),
            "direction": g.direction, "change": g.change, "change_points": g.change_points,
            "change_abs": g.change_abs, "baseline": self.baseline, "baseline_source": self.baseline_source,
            "population": g.population, "parent": self.parent, "strategy": self.strategy, "owner": self.owner,
            "smart": dict(self.smart), "problems": list(self.problems),
            "achievability": None if self.achievability is None else self.achievability.to_dict(),
            "notes": list(self.notes),
        }


def goals_of(goal: Goal, plan: Plan) -> list[ParsedGoal]:
    """The parsed goals of one ``[[goals]]`` entry: its sentence's, with the file's fields applied."""
    p = plan.plan
    parsed = list(parse_statement(goal.statement, p.year, start=p.start, end=p.end, strategy=p.strategy)) \
        if goal.statement else [ParsedGoal()]
    if goal.kpi is not None:
        try:
            key = kpi(goal.kpi).key
        except KeyError:
            key = None
        match = [g for g in parsed if g.kpi == key] or parsed[:1]
        parsed = [dataclasses.replace(match[0], kpi=key, kpi_text=goal.kpi,
                                      population=match[0].population or (KPIS[key].population if key else None))]
    out = []
    for g in parsed:
        upd: dict[str, Any] = {}
        if goal.target is not None:
            upd.update(target=goal.target, change=None, change_points=None, change_abs=None,
                       bound="at_most" if g.kpi and KPIS[g.kpi].better == "down" else "at_least")
        elif goal.change is not None:
            upd.update(change=goal.change, target=None, change_points=None, change_abs=None,
                       direction="up" if goal.change >= 0 else "down")
        if goal.baseline is not None:
            upd["baseline"] = goal.baseline
        if goal.deadline is not None:
            upd.update(deadline=goal.deadline, deadline_text=goal.deadline.isoformat())
        if goal.population is not None:
            upd.update(population=goal.population, population_explicit=True)
        out.append(dataclasses.replace(g, **upd))
    return out


def check_goal(goal: Goal, plan: Plan, baselines: Baselines | None = None,
               achiever: Achiever | None = None) -> list[GoalCheck]:
    """Parse and SMART-validate one goal entry.

    Args:
        goal: the ``[[goals]]`` entry.
        plan: the plan it belongs to.
        baselines: the workspace's KPI baselines (None: no workspace; measurable then does not need a
            baseline and achievable is None).
        achiever: ``(kpi, target) → Achievability`` from the MMM posterior at the planned budget (None:
            no MMM fit; achievable is None).
    """
    parsed = goals_of(goal, plan)
    out = []
    for i, g in enumerate(parsed):
        gid = goal.id if len(parsed) == 1 else f"{goal.id}.{i + 1}"
        out.append(_check(gid, goal, g, plan, baselines, achiever))
    return out


def _check(gid: str, goal: Goal, g: ParsedGoal, plan: Plan, baselines: Baselines | None,
           achiever: Achiever | None) -> GoalCheck:
    problems: list[str] = []
    notes: list[str] = []
    k = KPIS.get(g.kpi) if g.kpi else None
    # specific
    specific = k is not None and bool(g.population)
    if k is None:
        vague = f" ({', '.join(repr(v) for v in g.vague)} is not a KPI: name e.g. " \
                f"{'; '.join(_vague_fix(v) for v in g.vague)})" if g.vague else ""
        named = f" ({goal.kpi!r} is not a KPI omnimix knows)" if goal.kpi else ""
        problems.append(f"specific: no KPI{vague}{named} — name one KPI and whom it counts, e.g. "
                        "「将新注册用户数量提升25%」 or kpi = \"new_customers\" (see docs/plan.md for the list)")
    # baseline and target
    baseline, source = _baseline(g, baselines)
    target = g.resolve_target(baseline)
    # measurable
    measurable: bool = k is not None and k.measured and g.quantified
    if k is not None and not k.measured:
        problems.append(f"measurable: {k.en} ({k.zh}) is not a metric the warehouse measures — pick a KPI it "
                        "measures (new customers, CAC, revenue, conversions, ROAS, leads, MQL, SQL, retention …) "
                        "or track this one with a survey outside the plan")
    if k is not None and not g.quantified:
        problems.append(f"measurable: no target for {k.en} — add how much, e.g. 提升25% / by 25% / to 12,000, "
                        "or set target = … or change = 0.25")
    if measurable and baselines is not None and baseline is None and g.target is None:
        measurable = False
        why = baselines.missing.get(g.kpi or "", "")
        problems.append(f"measurable: no baseline for {k.en if k else g.kpi} in the warehouse"
                        f"{' (' + why + ')' if why else ''} — set baseline = … in the goal or load the data")
    # achievable
    achievable: bool | None = None
    ach: Achievability | None = None
    if baselines is not None and achiever is not None and g.kpi and target is not None:
        ach = achiever(g.kpi, target)
        if ach is not None:
            achievable = ach.probability >= ACHIEVABLE_AT
            hist = baselines.history.get(g.kpi)
            if hist is not None:
                notes.append(f"history: {g.kpi} changed {hist:+.1%} year over year in the warehouse")
            if not achievable:
                problems.append(
                    f"achievable: P(reaching {target:,.4g}) = {ach.probability:.0%} at the planned budget (the MMM "
                    f"expects {ach.expected:,.4g}, 90% {ach.interval_90[0]:,.4g}–{ach.interval_90[1]:,.4g}) — set "
                    f"the target to {ach.reachable_50:,.4g} (reached with 50%) or {ach.reachable_80:,.4g} (80%), "
                    "or raise the budget")
        else:
            notes.append(f"achievable: the MMM models revenue and does not drive {g.kpi}; not judged")
    # relevant
    strategy = goal.strategy
    relevant = bool(goal.parent or goal.strategy or g.relevance)
    if not relevant:
        lines = f" (one of {list(plan.plan.strategy)})" if plan.plan.strategy else ""
        problems.append(f"relevant: not linked to a parent goal or a strategy line — set parent = \"…\" (a goal id) "
                        f"or strategy = \"…\"{lines}, or say which strategy it serves (支撑…战略 / in support of …)")
    # time-bound
    time_bound = g.deadline is not None
    if not time_bound:
        problems.append(f"time_bound: no deadline — add one (本年度, 6月底前, Q3, by {plan.plan.end.isoformat()}) "
                        f"or set deadline = {plan.plan.end.isoformat()}")
    elif g.deadline is not None and not plan.plan.start <= g.deadline <= plan.plan.end:
        notes.append(f"deadline {g.deadline.isoformat()} is outside the plan year "
                     f"{plan.plan.start.isoformat()}–{plan.plan.end.isoformat()}")
    smart = {"specific": specific, "measurable": measurable, "achievable": achievable, "relevant": relevant,
             "time_bound": time_bound}
    return GoalCheck(gid, goal.id, goal.statement, g, baseline, source, target, smart, tuple(problems), ach,
                     goal.parent, strategy, goal.owner, tuple(notes))


def _vague_fix(word: str) -> str:
    from omnimix.plan.kpis import VAGUE

    return VAGUE.get(word, VAGUE.get(word.lower(), "a KPI"))


def _baseline(g: ParsedGoal, baselines: Baselines | None) -> tuple[float | None, str | None]:
    if g.baseline is not None:
        return g.baseline, "statement"
    if baselines is not None and g.kpi is not None:
        v = baselines.get(g.kpi)
        if v is not None:
            return v, "warehouse"
    return None, None


@dataclass(frozen=True)
class PlanValidation:
    """``omnimix plan validate``: every goal of a plan, parsed and checked.

    Attributes:
        plan: the plan.
        goals: one check per goal (per KPI of a goal sentence).
        baselines: the workspace's baselines (None without a workspace).
        notes: why achievability could not be judged (no MMM fit, a fit that failed review …).
    """

    plan: Plan
    goals: tuple[GoalCheck, ...]
    baselines: Baselines | None = None
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no criterion of any goal is false."""
        return all(v is not False for g in self.goals for v in g.smart.values())

    def to_json(self) -> dict[str, Any]:
        """The ``omnimix plan validate --json`` document: ``{"goals": [...]}`` (and the baseline window)."""
        doc: dict[str, Any] = {"goals": [g.to_json() for g in self.goals], "ok": self.ok, "notes": list(self.notes)}
        if self.baselines is not None:
            b = self.baselines.to_dict()
            doc["baseline_window"] = {"start": b["start"], "end": b["end"]}
        return doc


def validate_goals(plan: Plan, baselines: Baselines | None = None,
                   achiever: Achiever | None = None) -> PlanValidation:
    """Parse and SMART-validate every goal of a plan (the body of ``omnimix plan validate``)."""
    checks: list[GoalCheck] = []
    for goal in plan.goals:
        checks += check_goal(goal, plan, baselines, achiever)
    return PlanValidation(plan, tuple(checks), baselines)
