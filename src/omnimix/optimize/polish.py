"""Continuous polish of a grid optimum onto the exact problem.

* :func:`_solve_at`: SLSQP from a start point with analytic gradients, then Newton iterations on the KKT
  conditions ``g_i'(x_i) = lambda`` over each block of free channels that share a multiplier (all free
  channels when the budget binds; the free channels of a tight group), which equalises marginal returns
  to machine precision, then an exact repair onto the constraints; the best candidate is kept.
* :func:`_risk_polish`: local search (SLSQP) of a quantile or CVaR objective from the mean optimum and
  from the current plan (CVaR of concave curves is concave, so it is global there).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from omnimix.curves import FloatArray, ResponseCurves
from omnimix.optimize.constraints import ResolvedConstraints
from omnimix.optimize.objective import Objective, _Problem, _risk_value


def _repair(x: FloatArray, rc: ResolvedConstraints, budget: float) -> FloatArray:
    """Move ``x`` onto the constraints exactly (changes are at rounding level after SLSQP)."""
    x = np.clip(x, rc.lower, rc.upper)
    for _ in range(3):
        for g in rc.groups:
            idx = g.index
            s = x[idx].sum()
            if s > g.upper:
                room = x[idx] - rc.lower[idx]
                if room.sum() > 0:
                    x[idx] -= room * min(1.0, (s - g.upper) / room.sum())
            elif s < g.lower:
                room = rc.upper[idx] - x[idx]
                if room.sum() > 0:
                    x[idx] += room * min(1.0, (g.lower - s) / room.sum())
        s = x.sum()
        if s > budget:
            room = x - rc.lower
            for g in rc.groups:
                if x[g.index].sum() <= g.lower + 1e-12 * max(1.0, g.lower):
                    room[g.index] = 0.0
            if room.sum() > 0:
                x = x - room * min(1.0, (s - budget) / room.sum())
        x = np.clip(x, rc.lower, rc.upper)
    return x


def _single_blas_thread() -> Any:
    """Limit BLAS to one thread around SLSQP (its tiny dense solves thrash with many threads).

    Uses ``threadpoolctl`` when it is installed; otherwise a no-op.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional speed-up
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _slsqp(
    fun: Any,
    x0: FloatArray,
    rc: ResolvedConstraints,
    budget: float,
    scale: float,
    budget_eq: bool = False,
) -> FloatArray:
    from scipy.optimize import minimize

    free = rc.upper - rc.lower > 1e-12 * scale
    if not np.any(free):
        return np.asarray(rc.lower.copy())
    fixed_x = rc.lower.copy()
    idx = np.flatnonzero(free)

    def full(z: FloatArray) -> FloatArray:
        x = fixed_x.copy()
        x[idx] = z * scale
        return x

    fscale = max(abs(fun(np.clip(x0, rc.lower, rc.upper))[0]), 1e-12)

    def f(z: FloatArray) -> tuple[float, FloatArray]:
        val, grad = fun(full(z))
        return -val / fscale, -grad[idx] * scale / fscale

    fixed_sum = fixed_x[~free].sum()
    cons: list[dict[str, Any]] = [
        {
            "type": "eq" if budget_eq else "ineq",
            "fun": lambda z: np.array([(budget - fixed_sum) / scale - z.sum()]),
            "jac": lambda z: -np.ones((1, z.shape[0])),
        }
    ]
    for g in rc.groups:
        mask = np.isin(idx, g.index).astype(float)
        gfix = fixed_x[g.index][~free[g.index]].sum()
        if np.isfinite(g.upper):
            cons.append(
                {
                    "type": "ineq",
                    "fun": lambda z, m=mask, u=g.upper, gf=gfix: np.array([(u - gf) / scale - m @ z]),
                    "jac": lambda z, m=mask: -m[None, :],
                }
            )
        if g.lower > 0:
            cons.append(
                {
                    "type": "ineq",
                    "fun": lambda z, m=mask, lo=g.lower, gf=gfix: np.array([m @ z - (lo - gf) / scale]),
                    "jac": lambda z, m=mask: m[None, :],
                }
            )
    bounds = list(zip(rc.lower[idx] / scale, rc.upper[idx] / scale, strict=True))
    z0 = np.clip(x0[idx] / scale, rc.lower[idx] / scale, rc.upper[idx] / scale)
    with _single_blas_thread():
        res = minimize(
            f,
            z0,
            jac=True,
            method="SLSQP",
            bounds=bounds,
            constraints=cons,
            options={"ftol": 1e-14, "maxiter": 300},
        )
    return full(np.asarray(res.x, dtype=float))


def _equalize(prob: _Problem, x: FloatArray, budget: float) -> FloatArray:
    """Newton on the KKT conditions of each block of free channels sharing a multiplier.

    Near-active bounds, group limits and the budget (within 1e-6 of the scale) are made exactly
    active; each block's total is held at its exact limit. Results breaking a constraint are dropped.
    """
    rc = prob.rc
    tol = 1e-6 * prob.scale
    y0 = x.copy()
    y0[y0 <= rc.lower + tol] = rc.lower[y0 <= rc.lower + tol]
    y0[y0 >= rc.upper - tol] = rc.upper[y0 >= rc.upper - tol]
    g2 = prob.g2(y0)
    free = (y0 > rc.lower) & (y0 < rc.upper) & (g2 < 0)
    blocks: list[tuple[NDArray[np.intp], float | None]] = []
    in_tight = np.zeros_like(free)
    for g in rc.groups:
        s = y0[g.index].sum()
        limit = g.upper if s >= g.upper - tol else (g.lower if g.lower > 0 and s <= g.lower + tol else None)
        if limit is None:
            continue
        in_tight[g.index] = True
        idx = g.index[free[g.index]]
        if idx.size:
            fixed = y0[g.index].sum() - y0[idx].sum()
            blocks.append((idx, float(limit - fixed)))
    rest = np.flatnonzero(free & ~in_tight)
    if rest.size:
        if y0.sum() >= budget - tol:
            blocks.append((rest, float(budget - (y0.sum() - y0[rest].sum()))))
        elif prob.c > 0:
            blocks.append((rest, None))
    cur = y0.copy()
    for idx, total in blocks:
        y = cur.copy()
        if total is not None:
            y[idx] += (total - y[idx].sum()) / idx.size
        ok = False
        for _ in range(60):
            d1 = prob.g1(y)[idx]
            d2 = prob.g2(y)[idx]
            if np.any(d2 >= 0):
                break
            lam = 0.0 if total is None else (total - y[idx].sum() + np.sum(d1 / d2)) / np.sum(1.0 / d2)
            step = (lam - d1) / d2
            new = y[idx] + step
            if np.any(new < rc.lower[idx]) or np.any(new > rc.upper[idx]):
                break
            y[idx] = new
            if total is not None:
                y[idx] += (total - y[idx].sum()) / idx.size
            if np.max(np.abs(step)) < 1e-13 * prob.scale:
                ok = True
                break
        if ok and prob.total(y) >= prob.total(cur) - 1e-12 * max(1.0, abs(prob.total(cur))):
            cur = y
    if rc.violations(cur, tol=1e-9 * prob.scale) or cur.sum() > budget + 1e-9 * prob.scale:
        return x
    return cur


def _mean_fun(prob: _Problem) -> Any:
    def fun(x: FloatArray) -> tuple[float, FloatArray]:
        return prob.total(x), prob.g1(x)

    return fun


def _solve_at(prob: _Problem, x0: FloatArray, budget: float) -> FloatArray:
    """Polish a start point at a given budget: SLSQP, KKT Newton, exact repair; keep the best."""
    rc = prob.rc
    cands = [_repair(x0.copy(), rc, budget)]
    x1 = _repair(_slsqp(_mean_fun(prob), x0, rc, budget, prob.scale), rc, budget)
    cands.append(x1)
    x2 = _repair(_equalize(prob, x1, budget), rc, budget)
    cands.append(x2)
    vals = [prob.total(c) for c in cands]
    best = int(np.argmax(vals))
    # prefer the KKT-polished point when it is as good to rounding
    if vals[2] >= vals[best] - 1e-11 * max(1.0, abs(vals[best])):
        best = 2
    return cands[best]


def _risk_polish(
    curves: ResponseCurves,
    rc: ResolvedConstraints,
    obj: Objective,
    x0: FloatArray,
    budget: float,
    scale: float,
) -> FloatArray:
    def fun(x: FloatArray) -> tuple[float, FloatArray]:
        return _risk_value(curves, obj, x)

    starts = [x0, _repair(curves.current_spend.astype(float), rc, budget)]
    best, best_v = x0, fun(x0)[0]
    for s in starts:
        xr = _repair(_slsqp(fun, s, rc, budget, scale), rc, budget)
        val = fun(xr)[0]
        if val > best_v:
            best, best_v = xr, val
    return best
