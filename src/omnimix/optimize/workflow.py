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

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from omnimix.curves import ResponseCurves, curves_from_dict, load_curves
from omnimix.errors import (
    ConfigError,
    ConvergenceError,
    InfeasibleError,
    InputDataError,
    NotFittedError,
    UsageError,
)
from omnimix.optimize.advice import Advice, advise
from omnimix.optimize.allocation import Allocation
from omnimix.optimize.budget import minimize_spend, optimize_budget
from omnimix.optimize.constraints import ChannelBound, Constraints, Group, resolve
from omnimix.optimize.flighting import Flighting, FlightingPlan, optimize_flighting
from omnimix.optimize.frontier import Frontier, efficient_frontier
from omnimix.optimize.guard import (
    DEFAULT_CHANGE,
    ChannelNames,
    ChannelStatus,
    GuardedConstraints,
    guard_constraints,
    parse_status,
)
from omnimix.optimize.objective import Objective
from omnimix.optimize.scenarios import Scenario, compare_scenarios, scenarios_frame
from omnimix.taxonomy import CHANNELS as DEFAULT_DISPLAY_NAMES
from omnimix.workspace import Workspace

if TYPE_CHECKING:
    import pandas as pd

#: Tables an MMM fit writes that :func:`optimize_workspace` reads (``omnimix mmm fit --workspace DIR``).
MMM_TABLES = ("mmm_diagnostics", "response_curves", "response_curve_draws")
#: The MMM's per-channel verdicts (``ok``, ``weak``, ``conflict``), read when present.
STATUS_TABLE = "mmm_channel_status"


def no_interval_note(source: str) -> str:
    """What a plan says instead of a zero-width interval when its curves have a single draw."""
    if source.startswith("file"):
        return "no interval (curves file has no posterior draws)"
    return "no interval (the curves have no posterior draws)"


def _drop_intervals(obj: Any) -> Any:
    """``None`` for every ``*interval_90`` value in a JSON document (a single draw has no interval)."""
    if isinstance(obj, dict):
        return {k: (None if k.endswith("interval_90") else _drop_intervals(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_drop_intervals(v) for v in obj]
    return obj

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
        advice: scale / hold / cut per channel (single-period plans).
        guard: the bounds, locks and holds the plan was made under (names resolved to keys).
    """

    curves: ResponseCurves
    source: str = "curves"
    allocation: Allocation | None = None
    plan: FlightingPlan | None = None
    scenarios: tuple[Scenario, ...] = ()
    frontier: Frontier | None = None
    advice: Advice | None = None
    guard: GuardedConstraints | None = None

    @property
    def has_interval(self) -> bool:
        """False when the curves have a single draw: the plan then shows no interval."""
        return self.curves.n_draws > 1

    @property
    def interval_note(self) -> str | None:
        """``"no interval (curves file has no posterior draws)"`` for single-draw curves, else None."""
        return None if self.has_interval else no_interval_note(self.source)

    def to_json(self) -> dict[str, Any]:
        """The ``omnimix optimize --json`` document (``allocation``, ``current_allocation``,
        ``expected_kpi``, ``current_kpi``, ``uplift_kpi``, ``kpi_interval_90``, … and ``scenarios`` /
        ``frontier`` when asked for; the flighting form for a multi-period plan)."""
        doc = self.plan.to_dict() if self.plan is not None else self._allocation().to_dict()
        if self.plan is None:
            if self.scenarios:
                doc["scenarios"] = [s.to_dict() for s in self.scenarios]
            if self.frontier is not None:
                doc["frontier"] = self.frontier.to_dict()
        if self.guard is not None:
            doc["guardrails"] = self.guard.guardrails
            if self.guard.default_change is not None:
                doc["guardrail_change"] = list(self.guard.default_change)
            doc["held"] = dict(self.guard.held)
            doc["notes"] = [*self.guard.notes, *doc.get("notes", [])]
        if self.advice is not None:
            doc["marginal_roi_threshold"] = self.advice.threshold
            doc["marginal_roi_threshold_rule"] = self.advice.threshold_rule
            doc["recommendation"] = {a.channel: a.to_dict() for a in self.advice.channels}
        if not self.has_interval:
            doc = _drop_intervals(doc)
        doc["interval_note"] = self.interval_note
        return doc

    def _allocation(self) -> Allocation:
        if self.allocation is None:
            raise NotFittedError("this run holds a multi-period plan, not a single-period allocation")
        return self.allocation

    def table(self) -> pd.DataFrame:
        """The allocation table (one row per channel; per period × channel for a flighting plan)."""
        if self.plan is not None:
            return self.plan.to_frame()
        a = self._allocation()
        frame = a.to_frame()
        frame.insert(frame.columns.get_loc("expected_kpi"), "current_response",
                     self.curves.response(a.current))
        if self.advice is not None:
            adv = self.advice.by_channel()
            frame["action"] = [adv[c].action for c in a.channels]
            frame["marginal_roi_now"] = [adv[c].marginal_roi for c in a.channels]
            frame["marginal_roi_now_p05"] = [adv[c].marginal_roi_interval[0] for c in a.channels]
            frame["marginal_roi_now_p95"] = [adv[c].marginal_roi_interval[1] for c in a.channels]
            frame["held"] = [(self.guard.held.get(c, "") if self.guard else "") for c in a.channels]
        return frame

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
        from omnimix.optimize.charts import summary_html, write_html

        return write_html(path, self.figures(), header=summary_html(self.to_json()))


# ---------------------------------------------------------------------------------------------- core
def _flighting_limits(curves: ResponseCurves, guard: GuardedConstraints, budget: float) -> dict[str, Any]:
    """Per-period min/max per channel for a multi-period plan from the guarded bounds (none: {})."""
    if not guard.bounds:
        return {}
    rc = resolve(curves, Constraints(budget=float(budget), reserve=0.0, bounds=guard.bounds))
    return {"period_min": rc.lower, "period_max": rc.upper}


def _scenarios(curves: ResponseCurves, spec: Constraints, obj: Objective, changes: Sequence[float],
               guarded: bool) -> tuple[tuple[Scenario, ...], list[str]]:
    """The budget scenarios; under guardrails a scenario they cannot meet is left out with a note."""
    if not guarded:
        return tuple(compare_scenarios(curves, spec, obj, list(changes))), []
    out: list[Scenario] = []
    notes: list[str] = []
    for ch in changes:
        try:
            out += compare_scenarios(curves, spec, obj, [ch])
        except InfeasibleError:
            notes.append(f"scenario {ch:+.0%}: left out, the guardrails cannot spend that budget "
                         "(widen them with --bound 'all=-50%:+50%' or use --no-guardrails)")
    return tuple(out), notes


def _frontier_budgets(curves: ResponseCurves, spec: Constraints, points: int, guarded: bool) -> list[float]:
    """50%–150% of the budget; under guardrails clipped to the budgets the guardrails can spend
    (from the sum of the minimums to the sum of the maximums, before the reserve)."""
    if points < 2:
        raise UsageError(f"--frontier {points}: a frontier needs at least 2 budgets (or 0 for none).")
    lo, hi = 0.5 * spec.budget, 1.5 * spec.budget
    if guarded:
        rc = resolve(curves, spec)
        keep = 1.0 - spec.reserve
        lo = max(lo, float(rc.lower.sum()) / keep)
        hi = max(lo, min(hi, float(rc.upper.sum()) / keep))
    return [float(b) for b in np.linspace(lo, hi, points)]


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
    guardrails: bool = False,
    default_change: tuple[float, float] = DEFAULT_CHANGE,
    channel_status: Mapping[str, ChannelStatus] | None = None,
    release: Sequence[str] = (),
    display_names: Mapping[str, str] | None = None,
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
        bounds: channel limits by key or display name (``"all"`` or ``"*"`` for every channel): a
            :class:`~omnimix.optimize.constraints.ChannelBound` or its keywords
            (``min``, ``max``, ``min_change``, ``max_change``); each side replaces the same side of
            the guardrail / ``all`` bound (see :mod:`omnimix.optimize.guard`).
        locked: channels held at an amount (``None``: their current spend).
        groups: group limits.
        scenarios: budget changes as fractions (``[-0.2, 0, 0.2]``) to compare; needs a budget.
        frontier: points on the efficient frontier (0: none); needs a budget.
        periods: allocate ``budget`` over this many periods (multi-period flighting).
        max_change_pct: flighting: largest change between periods, a fraction of current spend.
        source: where the curves came from (recorded on the run).
        guardrails: bound every channel to ``default_change`` of current spend and hold weak or
            conflicting channels (``channel_status``) at current spend.
        default_change: the guardrail (min_change, max_change), default −30% … +30%.
        channel_status: channel key → its MMM status (``mmm_channel_status``).
        release: channels (or ``"all"``) not to hold.
        display_names: channel key → display name, so names may be given either way.

    Raises:
        UsageError: a parameter is invalid (no budget and no target, an unknown channel, …).
        InfeasibleError: the limits cannot all hold.
    """
    if budget is None and target is None:
        raise UsageError("Give --budget (total budget per period) or --target (KPI to reach).")
    names = ChannelNames(curves.channels, dict(display_names if display_names is not None
                                               else DEFAULT_DISPLAY_NAMES))
    guard = guard_constraints(names, bounds=bounds, locked=locked, groups=groups, guardrails=guardrails,
                              default_change=default_change, status=channel_status, release=release,
                              current=dict(zip(curves.channels, map(float, curves.current_spend), strict=True)))
    try:
        obj = Objective(
            kind=objective,
            kpi_value=kpi_value,
            risk=risk,
            alpha=alpha,
            min_roi=min_roi,
            min_marginal_roi=min_marginal_roi,
        )
        if periods > 1:
            if budget is None:
                raise UsageError("--periods needs --budget (the total over all periods).")
            flighting = Flighting(periods=periods, max_change_pct=max_change_pct, groups=guard.groups,
                                  locked=guard.locked, **_flighting_limits(curves, guard, budget))
            plan = optimize_flighting(curves, budget, flighting, reserve=reserve, objective=obj)
            return OptimizeRun(curves=curves, source=source, plan=plan, guard=guard)
        spec = Constraints(
            budget=float(budget if budget is not None else 10 * max(curves.current_spend.sum(), 1.0)),
            reserve=reserve if budget is not None else 0.0,
            bounds=guard.bounds,
            locked=guard.locked,
            groups=guard.groups,
        )
        if target is not None:
            alloc = minimize_spend(curves, target, spec, kpi_value=kpi_value)
        else:
            alloc = optimize_budget(curves, spec, obj)
        sc: tuple[Scenario, ...] = ()
        fr: Frontier | None = None
        skipped: list[str] = []
        if scenarios and budget is not None:
            sc, skipped = _scenarios(curves, spec, obj, scenarios, guard.guardrails)
        if frontier and budget is not None:
            fr = efficient_frontier(curves, spec, obj, budgets=_frontier_budgets(curves, spec, frontier,
                                                                                 guard.guardrails))
    except ConfigError as exc:  # a bad parameter, not the workspace's omnimix.toml
        err = UsageError(str(exc))
        err.problems = list(exc.problems)
        raise err from exc
    except InfeasibleError as exc:
        if not guard.guardrails:
            raise
        lo, hi = default_change
        raise InfeasibleError(
            f"{exc}\n  (the guardrails keep every channel within {lo:+.0%} … {hi:+.0%} of current spend: "
            f"widen them with --bound 'all=-50%:+100%', bound one channel with --bound NAME=MIN:MAX, "
            f"or plan without them with --no-guardrails)"
        ) from exc
    if skipped:
        alloc = dataclasses.replace(alloc, notes=(*alloc.notes, *skipped))
    if guard.guardrails and alloc.unallocated > 1e-6 * max(alloc.budget, 1.0) and obj.kind == "kpi":
        alloc = dataclasses.replace(alloc, notes=(*alloc.notes, (
            f"{alloc.unallocated:,.6g} of the budget is unallocated: every channel is at its guardrail "
            "maximum; widen with --bound 'all=-30%:+50%' or --no-guardrails")))
    return OptimizeRun(curves=curves, source=source, allocation=alloc, scenarios=sc, frontier=fr,
                       advice=advise(curves, alloc, guard.held), guard=guard)


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


def load_channel_status(workspace: Workspace | str | Path) -> dict[str, ChannelStatus]:
    """The MMM's per-channel verdicts (table ``mmm_channel_status``: channel, status, reason).

    A workspace without the table has every channel ``ok`` (an empty mapping).

    Raises:
        InputDataError: a status is not one of ok, weak, conflict.
    """
    ws = Workspace.of(workspace)
    if not ws.has(STATUS_TABLE):
        return {}
    frame = ws.read(STATUS_TABLE)
    return parse_status(frame.to_dict("records"), f"{ws.warehouse_path} ({STATUS_TABLE})")


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
    guardrails: bool = True,
    default_change: tuple[float, float] = DEFAULT_CHANGE,
    release: Sequence[str] = (),
) -> OptimizeRun:
    """``omnimix optimize --workspace DIR``: plan from the workspace's latest passed MMM fit.

    Reads ``mmm_diagnostics``, ``response_curves`` and ``response_curve_draws`` (see
    :func:`load_workspace_curves`) and plans over the posterior draws, so ``kpi_interval_90`` is a
    real posterior interval. Guardrails are on by default: every channel within ±30% of current
    spend, channels the MMM marks ``weak`` or ``conflict`` (``mmm_channel_status``, when present) held
    at current spend unless released; channel names may be the workspace's display names
    (``[taxonomy.channels]``). The other arguments are those of :func:`run_optimizer`;
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
        max_change_pct=max_change_pct, source=f"workspace {ws.root}", guardrails=guardrails,
        default_change=default_change, channel_status=load_channel_status(ws), release=release,
        display_names=ws.config.taxonomy.channels,
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
    guardrails: bool = False,
    default_change: tuple[float, float] = DEFAULT_CHANGE,
    release: Sequence[str] = (),
) -> OptimizeRun:
    """``omnimix optimize --curves FILE``: plan from a curves file.

    The file is a CURVES.json (``{"channels": {NAME: {"type": "hill", "beta": …, …}}}``, parameters may
    be lists of draws) or the MMM's ``DIR/mmm/latest/response_curves.json`` (parameters under
    ``saturation``, draws under ``saturation_draws``; a fit that failed review is refused). A fit
    directory holding ``response_curves.json`` is accepted too. The file's own ``min``/``max`` are the
    only bounds unless ``bounds`` are given (``guardrails=True`` adds the ±30% default). The other
    arguments are those of :func:`run_optimizer`; ``max_draws``/``seed`` thin the draws.

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
        max_change_pct=max_change_pct, source=f"file {curves_path}", guardrails=guardrails,
        default_change=default_change, release=release,
    )


def optimize_curves(
    curves: dict[str, Any] | ResponseCurves,
    budget: float,
    reserve: float = 0.1,
    objective: str = "kpi",
    *,
    bounds: Mapping[str, BoundSpec] | Iterable[tuple[str, BoundSpec]] | None = None,
    guardrails: bool = False,
    channel_status: Mapping[str, ChannelStatus] | None = None,
    release: Sequence[str] = (),
    display_names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """One call for services: curves + budget → the ``omnimix optimize --json`` document.

    The dashboard's budget job calls it with the workspace's :class:`~omnimix.curves.ResponseCurves`
    (posterior draws included, so its intervals and ``current_kpi`` are the CLI's), the scenario's
    bounds, ``guardrails=True`` and the MMM's channel statuses.

    Args:
        curves: a :class:`~omnimix.curves.ResponseCurves` or the CURVES.json mapping
            (``{"channels": {NAME: {"type": ..., ...}}}``).
        budget: total budget of the period.
        reserve: share of the budget set aside as the test-and-innovation fund.
        objective: ``"kpi"`` or ``"profit"``.
        bounds, guardrails, channel_status, release, display_names: as :func:`run_optimizer`.
    """
    rc = curves if isinstance(curves, ResponseCurves) else curves_from_dict(curves)
    return run_optimizer(rc, float(budget), reserve=float(reserve), objective=objective, bounds=bounds,
                         guardrails=guardrails, channel_status=channel_status, release=release,
                         display_names=display_names, source="curves").to_json()
