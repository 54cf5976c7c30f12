"""Independent reference solvers for the optimizer tests (brute force and multi-start SLSQP)."""

from __future__ import annotations

import itertools

import numpy as np
from scipy.optimize import minimize

from omnimix.curves import ResponseCurves
from omnimix.optimize.constraints import ResolvedConstraints


def feasible(x: np.ndarray, rc: ResolvedConstraints, budget: float, tol: float = 1e-9) -> np.ndarray:
    """Row mask of allocations (N, C) meeting every constraint."""
    ok = np.all(x >= rc.lower - tol, axis=1) & np.all(x <= rc.upper + tol, axis=1)
    ok &= x.sum(axis=1) <= budget + tol
    for g in rc.groups:
        s = x[:, g.index].sum(axis=1)
        ok &= (s <= g.upper + tol) & (s >= g.lower - tol)
    return ok


def brute_force(curves: ResponseCurves, rc: ResolvedConstraints, budget: float, n: int = 301) -> float:
    """Best mean KPI by exhaustive grids (C <= 3), zoomed three times around the best point.

    The last channel takes what the budget leaves (clipped to its bounds): with increasing curves the
    best allocation of the others leaves the last channel as much as the limits allow.
    """
    c = curves.n_channels
    lo, hi = rc.lower.copy(), rc.upper.copy()
    best_v, best_x = -np.inf, None
    for _ in range(4):
        axes = [np.linspace(lo[j], hi[j], n) for j in range(c - 1)]
        mesh = (
            np.stack([a.ravel() for a in np.meshgrid(*axes, indexing="ij")], axis=1)
            if c > 1
            else np.zeros((1, 0))
        )
        rest = budget - mesh.sum(axis=1)
        cands = []
        for last in (np.clip(rest, rc.lower[-1], rc.upper[-1]),):
            full = np.column_stack([mesh, last])
            # respect a group containing the last channel by trimming it to the cap
            for g in rc.groups:
                if c - 1 in g.index:
                    others = full[:, g.index].sum(axis=1) - full[:, c - 1]
                    full[:, c - 1] = np.clip(np.minimum(full[:, c - 1], g.upper - others), rc.lower[-1], None)
            cands.append(full)
        full = np.concatenate(cands)
        ok = feasible(full, rc, budget)
        if not ok.any():
            break
        vals = curves.response(full[ok]).sum(axis=1)
        k = int(np.argmax(vals))
        if vals[k] > best_v:
            best_v, best_x = float(vals[k]), full[ok][k]
        width = (hi - lo) / (n - 1) * 3
        lo = np.maximum(rc.lower, best_x - width)
        hi = np.minimum(rc.upper, best_x + width)
    return best_v


def multistart(
    curves: ResponseCurves,
    rc: ResolvedConstraints,
    budget: float,
    starts: int = 20,
    seed: int = 0,
    lower: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """Best mean KPI from SLSQP started at random feasible-ish points (global for concave curves)."""
    rng = np.random.default_rng(seed)
    lo = rc.lower if lower is None else np.maximum(rc.lower, lower)
    hi = np.maximum(rc.upper, lo)
    scale = max(budget, 1e-9)
    cons = [{"type": "ineq", "fun": lambda z: np.array([budget / scale - z.sum()])}]
    for g in rc.groups:
        m = np.zeros(curves.n_channels)
        m[g.index] = 1.0
        cons.append({"type": "ineq", "fun": lambda z, m=m, u=g.upper: np.array([u / scale - m @ z])})
        cons.append({"type": "ineq", "fun": lambda z, m=m, low=g.lower: np.array([m @ z - low / scale])})

    fscale = max(float(curves.response((lo + hi) / 2).sum()), 1e-12)

    def f(z: np.ndarray) -> tuple[float, np.ndarray]:
        x = z * scale
        g = curves.response(np.maximum(x, 1e-12 * scale), order=1)
        return -curves.response(x).sum() / fscale, -g * scale / fscale

    best_v, best_x = -np.inf, lo.copy()
    for _ in range(starts):
        w = rng.dirichlet(np.ones(curves.n_channels))
        x0 = np.clip(lo + w * max(budget - lo.sum(), 0.0), lo, hi)
        res = minimize(
            f,
            x0 / scale,
            jac=True,
            method="SLSQP",
            bounds=list(zip(lo / scale, hi / scale, strict=True)),
            constraints=cons,
            options={"ftol": 1e-13, "maxiter": 500},
        )
        x = np.clip(res.x * scale, lo, hi)
        if not feasible(x[None, :], rc, budget, tol=1e-6 * scale)[0]:
            continue
        v = float(curves.response(x).sum())
        if v > best_v:
            best_v, best_x = v, x
    return best_v, best_x


def enumerate_on_off(curves: ResponseCurves, rc: ResolvedConstraints, budget: float) -> float:
    """Global optimum for Hill curves: enumerate which S-shaped channels are on (spend ≥ inflection)
    and which are off (at their minimum); each case is concave on its feasible set, so multi-start
    SLSQP solves it exactly."""
    c = curves.n_channels
    k = curves.half_saturation.mean(0)
    s = curves.slope.mean(0)
    hill = np.array([kind == "hill" for kind in curves.kinds])
    sshape = np.flatnonzero(hill & (s > 1))
    infl = np.where(hill & (s > 1), k * np.maximum((s - 1) / (s + 1), 0.0) ** (1 / np.maximum(s, 1e-9)), 0.0)
    best = -np.inf
    for on in itertools.product((False, True), repeat=sshape.size):
        lower = rc.lower.copy()
        upper = rc.upper.copy()
        for j, flag in zip(sshape, on, strict=True):
            if flag:
                lower[j] = max(lower[j], infl[j])
            else:
                upper[j] = lower[j]
        if lower.sum() > budget or np.any(lower > upper):
            continue
        sub = ResolvedConstraints(
            lower,
            upper,
            rc.locked,
            rc.groups,
            budget,
            rc.reserve,
            rc.budget,
            rc.lower_labels,
            rc.upper_labels,
        )
        v, _ = multistart(curves, sub, budget, starts=2, seed=c)
        best = max(best, v)
    return best
