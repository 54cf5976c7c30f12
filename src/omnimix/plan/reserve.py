"""The plan's test-and-innovation reserve, and the lift tests it funds next.

A plan (``DIR/plan.toml``, :func:`omnimix.plan.spec.load_plan`) holds back ``[constraints] reserve``
(default 10%) of the year's budget for tests. :func:`plan_reserve` says what that fund is in currency —
``budget × reserve`` to the cent, the budget being ``[plan] budget`` or, when the plan has none, the
workspace's spend of the last 52 weeks scaled to the plan year (as ``omnimix plan build`` does) — what
the lift tests recorded in the plan year have spent of it (``experiments.spend`` of tests starting in
the year) and what is left. :func:`plan_next_tests` hands what is left to the experiment planner
(:func:`omnimix.experiments.planner.plan_from_fit`), so ``omnimix experiment plan`` and the dashboard
propose only tests the reserve can pay for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omnimix.workspace import Workspace, table_columns

if TYPE_CHECKING:
    from omnimix.experiments.planner import LiftTestPlan
    from omnimix.plan.spec import Plan

PLAN_FILE = "plan.toml"


@dataclass(frozen=True)
class PlanReserve:
    """The plan year's test fund.

    Attributes:
        source: the plan file.
        year_start, year_end: the plan year (inclusive).
        budget: the year's total budget (reserve included).
        budget_source: ``"plan"`` (``[plan] budget``) or ``"workspace spend"`` (last 52 weeks, scaled).
        share: the reserve's share of the budget.
        reserve: ``budget × share`` to the cent.
        spent: spend of the lift tests recorded in the plan year (``experiments.spend``).
        left: ``max(reserve − spent, 0)``.
        tests: the recorded tests counted in ``spent``: ``{"channel", "start", "end", "spend"}``.
    """


    source: str
    year_start: dt.date
    year_end: dt.date
    budget: float
    budget_source: str
    share: float
    reserve: float
    spent: float
    left: float
    tests: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"source": self.source, "year_start": self.year_start.isoformat(),
                "year_end": self.year_end.isoformat(), "budget": self.budget, "budget_source": self.budget_source,
                "share": self.share, "reserve": self.reserve, "spent": self.spent, "left": self.left,
                "tests": list(self.tests)}


def plan_path(workspace: Workspace | str | Path) -> Path:
    """Where a workspace's plan lives: ``DIR/plan.toml``."""
    root = workspace.root if isinstance(workspace, Workspace) else Path(workspace)
    return root / PLAN_FILE


def _recorded_tests(ws: Workspace, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    if not ws.warehouse_path.exists():
        return []
    con = ws.connect(read_only=True)
    try:
        if "spend" not in table_columns(con, "experiments"):
            return []
        rows = con.execute('SELECT channel, "start", "end", coalesce(spend, 0) FROM experiments '
                           'WHERE "start" BETWEEN ? AND ? ORDER BY "start", channel', [start, end]).fetchall()
    finally:
        con.close()
    return [{"channel": str(c), "start": str(s), "end": str(e), "spend": float(v)} for c, s, e, v in rows]


def plan_reserve(workspace: Workspace | str | Path, plan: Plan | str | Path | None = None) -> PlanReserve | None:
    """The plan's test fund, or None when the workspace has no plan file (and none is given).

    Args:
        workspace: the workspace (its warehouse gives the recorded tests and, when the plan has no
            budget, last year's spend).
        plan: the plan or its file (default ``DIR/plan.toml``).

    Raises:
        InputDataError: the plan file is invalid.
        UsageError: the plan has no budget and the workspace has no spend to take it from.
    """
    from omnimix.errors import UsageError
    from omnimix.plan.spec import Plan, load_plan

    ws = Workspace.of(workspace)
    if plan is None:
        path = plan_path(ws)
        if not path.exists():
            return None
        plan = path
    p = plan if isinstance(plan, Plan) else load_plan(plan)
    if p.plan.budget is not None:
        budget, how = float(p.plan.budget), "plan"
    else:
        from omnimix.plan.baseline import read_baselines
        from omnimix.plan.build import _default_total

        total = _default_total(p, read_baselines(ws))
        if total is None:
            raise UsageError(f"{p.source}: [plan] has no budget and the workspace has no spend to take it from: "
                             "add budget = … (the year's total) to [plan], or pass --reserve")
        budget, how = float(total), "workspace spend"
    share = float(p.constraints.reserve)
    reserve = round(budget * share, 2)
    start, end = p.plan.start, p.plan.end
    tests = _recorded_tests(ws, start, end)
    spent = round(sum(t["spend"] for t in tests), 2)
    return PlanReserve(str(p.source), start, end, budget, how, share, reserve, spent,
                       max(round(reserve - spent, 2), 0.0), tests)


def plan_next_tests(workspace: Workspace | str | Path, fit: Any = None, *, reserve: float | None = None,
                    **kwargs: Any) -> tuple[LiftTestPlan, PlanReserve | None]:
    """The planner's next tests, funded from the plan's reserve when there is a plan.

    Args:
        workspace: the workspace.
        fit: a fitted MMM (default: ``DIR/mmm/latest``).
        reserve: a test fund in currency; overrides the plan's.
        **kwargs: :func:`omnimix.experiments.planner.plan_tests` options (``n_tests``, ``weeks``, …).

    Returns:
        ``(plan of tests, the plan's reserve or None)``; the tests' costs add up to at most what is
        left of the reserve (or ``reserve``).

    Raises:
        ConfigError: no MMM fit in the workspace.
    """
    from omnimix.errors import ConfigError
    from omnimix.experiments.planner import plan_from_fit

    ws = Workspace.of(workspace)
    if fit is None:
        from omnimix.mmm.analysis import load_fit

        src = ws.root / "mmm" / "latest"
        if not src.exists():
            raise ConfigError(f"no MMM fit at {src}: run `omnimix mmm fit --workspace {ws.root}` first")
        fit = load_fit(src)
    fund = plan_reserve(ws) if reserve is None else None
    budget = reserve if reserve is not None else (fund.left if fund is not None else None)
    funding = ({"source": "--reserve", "left": float(reserve)} if reserve is not None
               else fund.to_json() if fund is not None else None)
    return plan_from_fit(fit, reserve=budget, funding=funding, **kwargs), fund
