"""The ``omnimix optimize`` workflow in the library: curves in, a plan out.

Three entry points return an :class:`OptimizeRun` whose :meth:`~OptimizeRun.to_json` is the document
``omnimix optimize --json`` prints:

* :func:`optimize_workspace` plans from the latest *passed* MMM fit of a workspace: the tables
  ``mmm_diagnostics`` (``passed`` must be 1), ``response_curves`` and ``response_curve_draws`` (the
  posterior draws, so the 90% intervals are real), all read through :class:`~omnimix.workspace.Workspace`;
* :func:`optimize_file` plans from a curves file: a CURVES.json or the MMM's own
  ``mmm/latest/response_curves.json``;
* :func:`run_optimizer` plans from a :class:`~omnimix.curves.ResponseCurves` object.

:func:`optimize_curves` is the one-call form the dashboard's budget job uses (a CURVES.json mapping in,
the JSON document out).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omnimix.curves import ResponseCurves, curves_from_dict, load_curves
from omnimix.errors import ConfigError, ConvergenceError, InputDataError, NotFittedError, UsageError
from omnimix.optimize.allocation import Allocation
from omnimix.optimize.budget import minimize_spend, optimize_budget
from omnimix.optimize.constraints import ChannelBound, Constraints, Group
from omnimix.optimize.flighting import Flighting, FlightingPlan, optimize_flighting
from omnimix.optimize.frontier import Frontier, efficient_frontier
from omnimix.optimize.objective import Objective
from omnimix.optimize.scenarios import Scenario, compare_scenarios, scenarios_frame
from omnimix.workspace import Workspace

if TYPE_CHECKING:
    import pandas as pd

#: Tables an MMM fit writes that :func:`optimize_workspace` reads (``omnimix mmm fit --workspace DIR``).
MMM_TABLES = ("mmm_diagnostics", "response_curves", "response_curve_draws")

BoundSpec = ChannelBound | Mapping[str, float]


@dataclass(frozen=True)
class OptimizeRun:
    """The result of one ``omnimix optimize`` run.

    Exactly one of ``allocation`` (a single-period plan, with optional ``scenarios`` and ``frontier``)
    and ``plan`` (a multi-period flighting plan) is set.

    Attributes:
        curves: the response curves planned with.
        source: where they came from (``"workspace DIR"`` or ``"file PATH"`` or ``"curves"``).
        allocation: the single-period :class:`~omnimix.optimize.allocation.Allocation`.
        plan: the multi-period :class:`~omnimix.optimize.flighting.FlightingPlan`.
        scenarios: budget scenarios compared with the current mix.
        frontier: the efficient frontier.
    """

    curves: ResponseCurves
    source: str = "curves"
    allocation: Allocation | None = None
    plan: FlightingPlan | None = None
    scenarios: tuple[Scenario, ...] = ()
    frontier: Frontier | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``omnimix optimize --json`` document (``allocation``, ``current_allocation``,
        ``expected_kpi``, ``current_kpi``, ``uplift_kpi``, ``kpi_interval_90``, … and ``scenarios`` /
        ``frontier`` when asked for; the flighting form for a multi-period plan)."""
        if self.plan is not None:
            return self.plan.to_dict()
        doc = self._allocation().to_dict()
        if self.scenarios:
            doc["scenarios"] = [s.to_dict() for s in self.scenarios]
        if self.frontier is not None:
            doc["frontier"] = self.frontier.to_dict()
        return doc

    def _allocation(self) -> Allocation:
        if self.allocation is None:
            raise NotFittedError("this run holds a multi-period plan, not a single-period allocation")
        return self.allocation

    def table(self) -> pd.DataFrame:
        """The allocation table (one row per channel; per period × channel for a flighting plan)."""
        if self.plan is not None:
            return self.plan.to_frame()
        return self._allocation().to_frame()

    def figures(self) -> list[Any]:
        """Plotly figures of the run (allocation, curves, scenarios, frontier; or the flighting plan)."""
        from omnimix.optimize.charts import (
            allocation_chart,
            curves_chart,
            flighting_chart,
            frontier_chart,
            scenarios_chart,
        )

        if self.plan is not None:
            return [flighting_chart(self.plan)]
        a = self._allocation()
        figs = [allocation_chart(a), curves_chart(self.curves, a)]
        if self.scenarios:
            figs.append(scenarios_chart(self.scenarios))
        if self.frontier is not None:
            figs.append(frontier_chart(self.frontier))
        return figs

    def write_csv(self, path: str | Path) -> list[Path]:
        """Write :meth:`table` to ``path``, plus ``<stem>_scenarios.csv`` / ``<stem>_frontier.csv``.

        Returns:
            The files written.
        """
        p = Path(path)
        written = []
        if self.scenarios:
            sp = p.with_name(f"{p.stem}_scenarios.csv")
            scenarios_frame(self.scenarios).to_csv(sp, index=False)
            written.append(sp)
        if self.frontier is not None:
            fp = p.with_name(f"{p.stem}_frontier.csv")
            self.frontier.to_frame().to_csv(fp, index=False)
            written.append(fp)
        self.table().to_csv(p, index=False)
        return [p, *written]

    def write_chart(self, path: str | Path) -> Path:
        """Write :meth:`figures` into one offline HTML page."""
        from omnimix.optimize.charts import write_html

        return write_html(path, self.figures())


# ---------------------------------------------------------------------------------------------- core
def _bounds_for(
    curves: ResponseCurves, bounds: Mapping[str, BoundSpec] | Iterable[tuple[str, BoundSpec]] | None
) -> dict[str, ChannelBound]:
    """Channel bounds by name; ``"*"`` applies to every channel; later entries override earlier ones."""
    pairs = bounds.items() if isinstance(bounds, Mapping) else (bounds or ())
    out: dict[str, ChannelBound] = {}
    for name, spec in pairs:
        b = spec if isinstance(spec, ChannelBound) else ChannelBound(**dict(spec))
        for n in curves.channels if name == "*" else (name,):
            out[n] = b
    return out


def run_optimizer(
    curves: ResponseCurves,
    budget: float | None,
    *,
    reserve: float = 0.1,
    objective: str = "kpi",
    kpi_value: float = 1.0,
    risk: str = "mean",
    alpha: float = 0.1,
    target: float | None = None,
    min_roi: float | None = None,
    min_marginal_roi: float | None = None,
    bounds: Mapping[str, BoundSpec] | Iterable[tuple[str, BoundSpec]] | None = None,
    locked: Mapping[str, float | None] | None = None,
    groups: Sequence[Group] = (),
    scenarios: Sequence[float] = (),
    frontier: int = 0,
    periods: int = 1,
    max_change_pct: float | None = None,
    source: str = "curves",
) -> OptimizeRun:
    """Plan a budget from response curves (the body of ``omnimix optimize``).

    Args:
        curves: the response curves (posterior draws or point estimates) with current spend.
        budget: total budget per period, reserve included (over all periods when ``periods > 1``).
            ``None`` with a ``target``: the least spend reaching the target.
        reserve: test-and-innovation reserve, a fraction of the budget.
        objective: ``"kpi"``, ``"revenue"`` or ``"profit"``.
        kpi_value: revenue per KPI unit.
        risk: ``"mean"``, ``"quantile"`` or ``"cvar"`` over posterior draws.
        alpha: quantile level / CVaR tail share.
        target: minimise spend to reach this expected KPI instead of spending the budget.
        min_roi: minimum total ROI (revenue / spend).
        min_marginal_roi: minimum marginal ROI of each funded channel.
        bounds: channel limits by name (``"*"`` for every channel): a
            :class:`~omnimix.optimize.constraints.ChannelBound` or its keywords
            (``min``, ``max``, ``min_change``, ``max_change``).
        locked: channels held at an amount (``None``: their current spend).
        groups: group limits.
        scenarios: budget changes as fractions (``[-0.2, 0, 0.2]``) to compare; needs a budget.
        frontier: points on the efficient frontier (0: none); needs a budget.
        periods: allocate ``budget`` over this many periods (multi-period flighting).
        max_change_pct: flighting: largest change between periods, a fraction of current spend.
        source: where the curves came from (recorded on the run).

    Raises:
        UsageError: a parameter is invalid (no budget and no target, an unknown channel, …).
        InfeasibleError: the limits cannot all hold.
    """
    if budget is None and target is None:
        raise UsageError("Give --budget (total budget per period) or --target (KPI to reach).")
    try:
        obj = Objective(
            kind=objective,
            kpi_value=kpi_value,
            risk=risk,
            alpha=alpha,
            min_roi=min_roi,
            min_marginal_roi=min_marginal_roi,
        )
        chan_bounds = _bounds_for(curves, bounds)
        locks = dict(locked or {})
        if periods > 1:
            if budget is None:
                raise UsageError("--periods needs --budget (the total over all periods).")
            flighting = Flighting(periods=periods, max_change_pct=max_change_pct, groups=tuple(groups),
                                  locked=locks)
            plan = optimize_flighting(curves, budget, flighting, reserve=reserve, objective=obj)
            return OptimizeRun(curves=curves, source=source, plan=plan)
        spec = Constraints(
            budget=float(budget if budget is not None else 10 * max(curves.current_spend.sum(), 1.0)),
            reserve=reserve if budget is not None else 0.0,
            bounds=chan_bounds,
            locked=locks,
            groups=tuple(groups),
        )
        if target is not None:
            alloc = minimize_spend(curves, target, spec, kpi_value=kpi_value)
        else:
            alloc = optimize_budget(curves, spec, obj)
        sc: tuple[Scenario, ...] = ()
        fr: Frontier | None = None
        if scenarios and budget is not None:
            sc = tuple(compare_scenarios(curves, spec, obj, list(scenarios)))
        if frontier and budget is not None:
            fr = efficient_frontier(curves, spec, obj, points=frontier)
    except ConfigError as exc:  # a bad parameter, not the workspace's omnimix.toml
        err = UsageError(str(exc))
        err.problems = list(exc.problems)
        raise err from exc
    return OptimizeRun(curves=curves, source=source, allocation=alloc, scenarios=sc, frontier=fr)


# ---------------------------------------------------------------------------------------------- sources
def load_workspace_curves(workspace: Workspace | str | Path, *, max_draws: int | None = None,
                          seed: int = 0) -> ResponseCurves:
    """The response curves of a workspace's latest passed MMM fit, with their posterior draws.

    Args:
        workspace: a :class:`~omnimix.workspace.Workspace` or its directory.
        max_draws: keep a random subset of this many posterior draws (all when None).
        seed: seed of that subset.

    Raises:
        NotFittedError: the MMM tables are missing or hold no curves (run ``omnimix mmm fit --workspace``).
        ConvergenceError: the latest MMM fit failed review (``passed`` is not 1 in ``mmm_diagnostics``).
    """
    ws = Workspace.of(workspace)
    present = set(ws.tables())
    missing = [t for t in MMM_TABLES if t not in present]
    if missing:
        raise NotFittedError(
            f"the workspace {ws.root} has no {', '.join(missing)}: fit a media mix model first with "
            f"`omnimix mmm fit --workspace {ws.root}`, then run `omnimix optimize --workspace {ws.root}`."
        )
    diag = ws.read("mmm_diagnostics")
    values = dict(zip(diag["metric"].astype(str), diag["value"], strict=True))
    passed = values.get("passed")
    if passed is None or passed != passed or float(passed) != 1.0:
        shown = ", ".join(f"{k}={v:.4g}" for k, v in values.items()
                          if k != "passed" and isinstance(v, float) and v == v)
        raise ConvergenceError(
            f"the latest MMM fit in {ws.root} failed review (mmm_diagnostics passed = "
            f"{'missing' if passed is None else passed}{'; ' + shown if shown else ''}), so its curves are "
            f"not used. See `omnimix mmm report` for the reasons, fix the model or the data and refit with "
            f"`omnimix mmm fit --workspace {ws.root}`; or plan from a curves file with `--curves FILE`."
        )
    frame = ws.read("response_curves")
    if frame.empty:
        raise NotFittedError(
            f"the workspace {ws.root} has no response curves: refit with `omnimix mmm fit --workspace {ws.root}`."
        )
    draws = ws.read("response_curve_draws", order_by=("draw", "channel"))
    try:
        curves = ResponseCurves.from_frames(frame, draws)
    except ConfigError as exc:
        raise InputDataError(f"{ws.warehouse_path} (response_curves)", "invalid response curves",
                             exc.problems) from exc
    return curves if max_draws is None else curves.thin(max_draws, seed=seed)


def optimize_workspace(
    workspace: Workspace | str | Path,
    budget: float | None,
    *,
    reserve: float = 0.1,
    objective: str = "kpi",
    kpi_value: float = 1.0,
    risk: str = "mean",
    alpha: float = 0.1,
    target: float | None = None,
    min_roi: float | None = None,
    min_marginal_roi: float | None = None,
    bounds: Mapping[str, BoundSpec] | Iterable[tuple[str, BoundSpec]] | None = None,
    locked: Mapping[str, float | None] | None = None,
    groups: Sequence[Group] = (),
    scenarios: Sequence[float] = (),
    frontier: int = 0,
    periods: int = 1,
    max_change_pct: float | None = None,
    max_draws: int | None = None,
    seed: int = 0,
) -> OptimizeRun:
    """``omnimix optimize --workspace DIR``: plan from the workspace's latest passed MMM fit.

    Reads ``mmm_diagnostics``, ``response_curves`` and ``response_curve_draws`` (see
    :func:`load_workspace_curves`) and plans over the posterior draws, so ``kpi_interval_90`` is a
    real posterior interval. The other arguments are those of :func:`run_optimizer`;
    ``max_draws``/``seed`` thin the draws.

    Raises:
        NotFittedError: no MMM fit in the workspace.
        ConvergenceError: the latest fit failed review.
        UsageError, InfeasibleError: as :func:`run_optimizer`.
    """
    ws = Workspace.of(workspace)
    curves = load_workspace_curves(ws, max_draws=max_draws, seed=seed)
    return run_optimizer(
        curves, budget, reserve=reserve, objective=objective, kpi_value=kpi_value, risk=risk, alpha=alpha,
        target=target, min_roi=min_roi, min_marginal_roi=min_marginal_roi, bounds=bounds, locked=locked,
        groups=groups, scenarios=scenarios, frontier=frontier, periods=periods,
        max_change_pct=max_change_pct, source=f"workspace {ws.root}",
    )


def optimize_file(
    curves_path: str | Path,
    budget: float | None,
    *,
    reserve: float = 0.1,
    objective: str = "kpi",
    kpi_value: float = 1.0,
    risk: str = "mean",
    alpha: float = 0.1,
    target: float | None = None,
    min_roi: float | None = None,
    min_marginal_roi: float | None = None,
    bounds: Mapping[str, BoundSpec] | Iterable[tuple[str, BoundSpec]] | None = None,
    locked: Mapping[str, float | None] | None = None,
    groups: Sequence[Group] = (),
    scenarios: Sequence[float] = (),
    frontier: int = 0,
    periods: int = 1,
    max_change_pct: float | None = None,
    max_draws: int | None = None,
    seed: int = 0,
) -> OptimizeRun:
    """``omnimix optimize --curves FILE``: plan from a curves file.

    The file is a CURVES.json (``{"channels": {NAME: {"type": "hill", "beta": …, …}}}``, parameters may
    be lists of draws) or the MMM's ``DIR/mmm/latest/response_curves.json`` (parameters under
    ``saturation``, draws under ``saturation_draws``; a fit that failed review is refused). A fit
    directory holding ``response_curves.json`` is accepted too. The other arguments are those of
    :func:`run_optimizer`; ``max_draws``/``seed`` thin the draws.

    Raises:
        InputDataError: the file cannot be read or holds invalid curves.
        ConvergenceError: the file is a failed MMM fit's.
        UsageError, InfeasibleError: as :func:`run_optimizer`.
    """
    curves = load_curves(curves_path)
    if max_draws is not None:
        curves = curves.thin(max_draws, seed=seed)
    return run_optimizer(
        curves, budget, reserve=reserve, objective=objective, kpi_value=kpi_value, risk=risk, alpha=alpha,
        target=target, min_roi=min_roi, min_marginal_roi=min_marginal_roi, bounds=bounds, locked=locked,
        groups=groups, scenarios=scenarios, frontier=frontier, periods=periods,
        max_change_pct=max_change_pct, source=f"file {curves_path}",
    )


def optimize_curves(curves: dict[str, Any], budget: float, reserve: float = 0.1,
                    objective: str = "kpi") -> dict[str, Any]:
    """One call for services: CURVES.json content + budget → the ``omnimix optimize --json`` document.

    Args:
        curves: the CURVES.json mapping (``{"channels": {NAME: {"type": ..., ...}}}``).
        budget: total budget of the period.
        reserve: share of the budget set aside as the test-and-innovation fund.
        objective: ``"kpi"`` or ``"profit"``.
    """
    rc = curves_from_dict(curves)
    return optimize_budget(rc, Constraints(budget=float(budget), reserve=float(reserve)), objective).to_dict()
