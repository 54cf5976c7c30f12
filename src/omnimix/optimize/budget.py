"""Single-period budget allocation with a global optimum for S-shaped curves.

Method: the exact grid search of :mod:`omnimix.optimize.grid` (dynamic programming, max-plus
convolution) finds the best grid allocation for every budget at once; :mod:`omnimix.optimize.polish`
moves it onto the continuous problem (SLSQP, then KKT Newton so marginal returns are equal to machine
precision, then an exact repair onto the constraints).

Objectives (:class:`~omnimix.optimize.objective.Objective`): maximise expected KPI, revenue
(``kpi_value`` per KPI unit) or profit (revenue − spend); minimise spend for a KPI target
(:func:`minimize_spend`); add a minimum ROI (spend is cut back by bisection on the frontier) or a
minimum marginal ROI (channel caps); risk-aware variants maximise a low quantile or the CVaR of the
posterior outcome.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

from omnimix.curves import FloatArray, ResponseCurves
from omnimix.errors import InfeasibleError
from omnimix.optimize.allocation import Allocation, evaluate
from omnimix.optimize.constraints import Constraints, resolve
from omnimix.optimize.grid import _dp, _DPResult
from omnimix.optimize.objective import Objective, _Problem
from omnimix.optimize.polish import _repair, _risk_polish, _solve_at

log = logging.getLogger("omnimix")


def _marginal_caps(prob: _Problem, m: float) -> FloatArray:
    """Largest spend per channel at which the marginal ROI is still ≥ m (lower bound if none)."""
    rc = prob.rc
    c = prob.curves.n_channels
    caps = rc.lower.copy()
    for j in range(c):
        if rc.locked[j] or rc.upper[j] <= rc.lower[j]:
            continue
        grid = np.linspace(rc.lower[j], rc.upper[j], 2001)
        d = prob.v * prob.curves.response(np.maximum(grid, prob.floor), channel=j, order=1)
        ok = np.flatnonzero(d >= m)
        if ok.size == 0:
            continue
        k = int(ok[-1])
        if k == grid.size - 1:
            caps[j] = rc.upper[j]
            continue
        lo, hi = grid[k], grid[k + 1]
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            dm = prob.v * prob.curves.response(np.array([max(mid, prob.floor)]), channel=j, order=1)[0]
            lo, hi = (mid, hi) if dm >= m else (lo, mid)
        caps[j] = lo
    return caps


def _spend_search(
    prob: _Problem, dp: _DPResult, b_lo: int, cond: Any, value_at: Any
) -> tuple[FloatArray, float]:
    """Bisection on spend between grid points b_lo and b_lo+1 for the largest spend meeting ``cond``."""
    lower = prob.rc.lower
    s_lo = lower.sum() + b_lo * dp.step
    s_hi = min(lower.sum() + (b_lo + 1) * dp.step, prob.rc.allocatable)
    x_lo = _solve_at(prob, dp.allocation(b_lo, lower), s_lo)
    best = x_lo
    for _ in range(40):
        mid = 0.5 * (s_lo + s_hi)
        xm = _solve_at(prob, best, mid)
        if cond(value_at(xm), mid):
            s_lo, best = mid, xm
        else:
            s_hi = mid
        if s_hi - s_lo < 1e-10 * prob.scale:
            break
    return best, s_lo


def optimize_budget(
    curves: ResponseCurves,
    constraints: Constraints | float,
    objective: Objective | str = "kpi",
    *,
    grid: int = 1000,
) -> Allocation:
    """Allocate one period's budget across channels.

    Args:
        curves: response curves (posterior draws or point estimates) with current spend.
        constraints: a :class:`Constraints` spec, or just the total budget (10% reserve, no limits).
        objective: an :class:`Objective` or one of ``"kpi"``, ``"revenue"``, ``"profit"``.
        grid: number of DP steps over the budget above minimums (global search resolution).

    Returns:
        The optimal :class:`Allocation` (allocation vs current, expected KPI with 90% interval,
        marginal ROI per channel, KKT spread, statuses).

    Raises:
        InfeasibleError: the constraints conflict, or a minimum ROI cannot be met.
    """
    spec = constraints if isinstance(constraints, Constraints) else Constraints(budget=float(constraints))
    obj = objective if isinstance(objective, Objective) else Objective(kind=objective)
    rc = resolve(curves, spec)
    notes: list[str] = []
    prob = _Problem(curves, rc, obj)
    if obj.min_marginal_roi is not None:
        caps = _marginal_caps(prob, obj.min_marginal_roi)
        rc = rc.with_upper(np.minimum(rc.upper, np.maximum(caps, rc.lower)))
        prob = _Problem(curves, rc, obj)
        notes.append(
            f"min marginal ROI {obj.min_marginal_roi}: channel caps {np.round(rc.upper, 6).tolist()}"
        )
    budget = rc.allocatable
    dp = _dp(prob, grid, budget)
    if not np.isfinite(dp.frontier).any():
        raise InfeasibleError("No allocation meets the group floors and caps on the budget grid.")
    b_star = int(np.argmax(dp.frontier))
    x = _solve_at(prob, dp.allocation(b_star, rc.lower), budget)
    if obj.min_roi is not None:
        x = _apply_min_roi(prob, dp, x, obj.min_roi, notes)
    if obj.risk != "mean":
        x = _risk_polish(curves, rc, obj, x, budget, prob.scale)
    if rc.allocatable - x.sum() > 1e-6 * prob.scale and obj.kind != "profit" and obj.min_roi is None:
        notes.append(
            f"{rc.allocatable - x.sum():,.6g} of the budget is left unallocated: "
            "every channel is at its maximum"
        )
    bad = rc.violations(x, tol=1e-6 * max(1.0, prob.scale) * 1e-3)
    if bad:
        log.warning("optimizer: allocation breaks constraints after repair: %s", bad)
    return evaluate(curves, x, rc, obj, notes=notes)


def _apply_min_roi(prob: _Problem, dp: _DPResult, x: FloatArray, r: float, notes: list[str]) -> FloatArray:
    v = prob.v
    kpi_obj = Objective(kind="revenue", kpi_value=v)
    kprob = _Problem(prob.curves, prob.rc, kpi_obj)

    def roi_of(xx: FloatArray) -> float:
        s = xx.sum()
        return float(v * prob.curves.response(xx).sum() / s) if s > 0 else math.inf

    if roi_of(x) >= r:
        return x
    lower = prob.rc.lower
    kdp = _dp(kprob, dp.frontier.shape[0] - 1, prob.rc.allocatable)
    spend = lower.sum() + kdp.step * np.arange(kdp.frontier.shape[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        roi = np.where(spend > 0, kdp.frontier / np.where(spend > 0, spend, 1.0), -np.inf)
    ok = np.flatnonzero(roi >= r)
    if ok.size == 0:
        raise InfeasibleError(
            f"min ROI {r} cannot be met: the best ROI on the frontier is {np.max(roi):.4g}; "
            "lower min_roi or relax the channel minimums"
        )
    b = int(ok[-1])
    if b == kdp.frontier.shape[0] - 1:
        return x
    best, s = _spend_search(
        kprob, kdp, b, lambda val, spend_: val >= r * spend_, lambda xx: v * prob.curves.response(xx).sum()
    )
    notes.append(f"min ROI {r} binds: spend cut to {s:,.6g}")
    return best


def minimize_spend(
    curves: ResponseCurves,
    target: float,
    constraints: Constraints | float | None = None,
    *,
    kpi_value: float = 1.0,
    grid: int = 1000,
) -> Allocation:
    """Least spend whose expected KPI reaches ``target`` (per period).

    Args:
        curves: response curves.
        target: expected KPI to reach.
        constraints: limits; its budget caps the search (default: the sum of channel maximums, or
            10× the current spend when no channel has a maximum). Default reserve applies.
        kpi_value: carried into the report's revenue figures.
        grid: DP resolution.

    Raises:
        InfeasibleError: the target is above the best expected KPI reachable within the budget.
    """
    if constraints is None:
        cap = float(10.0 * max(curves.current_spend.sum(), 1.0))
        spec = Constraints(budget=cap, reserve=0.0)
    elif isinstance(constraints, Constraints):
        spec = constraints
    else:
        spec = Constraints(budget=float(constraints))
    obj = Objective(kind="kpi", kpi_value=kpi_value)
    rc = resolve(curves, spec)
    prob = _Problem(curves, rc, obj)
    dp = _dp(prob, grid, rc.allocatable)
    ok = np.flatnonzero(dp.frontier >= target)
    if ok.size == 0:
        best = float(np.max(dp.frontier))
        raise InfeasibleError(
            f"KPI target {target:,.6g} is above the best expected KPI {best:,.6g} reachable with the budget "
            f"{rc.allocatable:,.6g} (after reserve) and these limits; lower the target or raise the budget"
        )
    b = int(ok[0])
    lower = rc.lower
    if b == 0:
        x = _repair(lower.copy(), rc, lower.sum())
        return evaluate(
            curves, x, rc, obj, notes=["the channel minimums already reach the target"], target=target
        )
    # largest spend that stays below the target lies in [b-1, b]; search the smallest reaching it
    s_lo = lower.sum() + (b - 1) * dp.step
    s_hi = lower.sum() + b * dp.step
    x_hi = _solve_at(prob, dp.allocation(b, lower), s_hi)
    for _ in range(60):
        mid = 0.5 * (s_lo + s_hi)
        xm = _solve_at(prob, x_hi, mid)
        if prob.total(xm) >= target:
            s_hi, x_hi = mid, xm
        else:
            s_lo = mid
        if s_hi - s_lo < 1e-11 * prob.scale:
            break
    return evaluate(
        curves,
        x_hi,
        rc,
        obj,
        notes=[f"target {target:,.6g} reached with spend {x_hi.sum():,.6g}"],
        target=target,
    )


def frontier_values(
    curves: ResponseCurves, constraints: Constraints, objective: Objective | str = "kpi", grid: int = 1000
) -> tuple[FloatArray, FloatArray]:
    """The DP value of the best allocation for every budget on the grid.

    Returns:
        ``(spend, value)``, each of shape (grid+1,): spend above is the channel minimums plus b steps.
    """
    obj = objective if isinstance(objective, Objective) else Objective(kind=objective)
    rc = resolve(curves, constraints)
    prob = _Problem(curves, rc, obj)
    dp = _dp(prob, grid, rc.allocatable)
    spend = rc.lower.sum() + dp.step * np.arange(dp.frontier.shape[0])
    return spend, dp.frontier
