"""Single-period budget allocation with a global optimum for S-shaped curves.

Method (separable objective ``sum_i g_i(x_i)`` with ``g_i = v * E[f_i] - c * x``):

1. **Dynamic programming on a grid** (exact global search). Spend above the channel minimums is cut
   into ``N`` steps of ``h``. Each channel's value on its grid is combined by max-plus convolution;
   disjoint groups are combined first (their caps and floors mask the group's value function), then
   across groups and ungrouped channels. This finds the best grid allocation whatever the curves'
   shapes (S-shaped Hill curves included: a channel that is worthless at zero spend is switched on when
   its whole curve pays), and yields the best value for *every* budget up to the total at once
   (the efficient frontier).
2. **Local polish**: SLSQP from the grid optimum with analytic gradients, on the continuous problem.
3. **KKT polish**: Newton iterations on ``g_i'(x_i) = lambda`` over each block of free channels that
   share a multiplier (all free channels when the budget binds; the free channels of a tight group),
   which equalises marginal returns to machine precision, then an exact repair onto the constraints.

Objectives: maximise expected KPI, revenue (``kpi_value`` per KPI unit) or profit (revenue − spend);
minimise spend for a KPI target; add a minimum ROI or minimum marginal ROI; risk-aware variants maximise
a low quantile or the CVaR of the posterior outcome (local search from the mean optimum; CVaR of
concave curves is concave, so it is global there).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from omnimix.curves import FloatArray, ResponseCurves
from omnimix.errors import ConfigError, InfeasibleError
from omnimix.optimize.constraints import Constraints, Group, ResolvedConstraints, resolve

log = logging.getLogger("omnimix")

_OBJECTIVES = ("kpi", "revenue", "profit")
_RISKS = ("mean", "quantile", "cvar")


@dataclass(frozen=True)
class Objective:
    """What to optimise.

    Attributes:
        kind: ``"kpi"`` (expected KPI), ``"revenue"`` (KPI × ``kpi_value``) or ``"profit"``
            (revenue − spend; may leave budget unspent when spend stops paying).
        kpi_value: revenue per KPI unit (1 for KPIs already in revenue).
        risk: ``"mean"``, ``"quantile"`` (maximise the ``alpha`` quantile over draws) or ``"cvar"``
            (maximise the mean of the worst ``alpha`` share of draws).
        alpha: quantile level / CVaR tail share.
        min_roi: require total revenue / spend ≥ this (spend is cut back until it holds).
        min_marginal_roi: require each funded channel's marginal revenue per unit ≥ this.
    """

    kind: str = "kpi"
    kpi_value: float = 1.0
    risk: str = "mean"
    alpha: float = 0.1
    min_roi: float | None = None
    min_marginal_roi: float | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.kind not in _OBJECTIVES:
            problems.append(f"kind: {self.kind!r}; expected one of {_OBJECTIVES}")
        if self.risk not in _RISKS:
            problems.append(f"risk: {self.risk!r}; expected one of {_RISKS}")
        if not 0 < self.alpha < 1:
            problems.append(f"alpha: {self.alpha} must be in (0, 1)")
        if not self.kpi_value > 0:
            problems.append(f"kpi_value: {self.kpi_value} must be > 0")
        if problems:
            raise ConfigError("Invalid objective.", problems)

    @property
    def value(self) -> float:
        """Currency (or KPI) per KPI unit used in the objective."""
        return 1.0 if self.kind == "kpi" else float(self.kpi_value)

    @property
    def cost(self) -> float:
        """Weight of spend subtracted in the objective (1 for profit)."""
        return 1.0 if self.kind == "profit" else 0.0


# ---------------------------------------------------------------------------------------------- problem
class _Problem:
    """Mean objective pieces for one period: g_i(x) = v * E f_i(x) - c * x."""

    def __init__(self, curves: ResponseCurves, rc: ResolvedConstraints, obj: Objective) -> None:
        self.curves = curves
        self.rc = rc
        self.obj = obj
        self.v = obj.value
        self.c = obj.cost
        self.scale = max(rc.allocatable, float(np.max(rc.lower, initial=0.0)), 1e-9)
        self.floor = 1e-10 * self.scale

    def g(self, x: FloatArray) -> FloatArray:
        return self.v * self.curves.response(x) - self.c * x

    def g1(self, x: FloatArray) -> FloatArray:
        return self.v * self.curves.response(np.maximum(x, self.floor), order=1) - self.c

    def g2(self, x: FloatArray) -> FloatArray:
        return self.v * self.curves.response(np.maximum(x, self.floor), order=2)

    def total(self, x: FloatArray) -> float:
        return float(self.g(x).sum())


# ---------------------------------------------------------------------------------------------- DP
def _maxplus(v: FloatArray, f: FloatArray) -> tuple[FloatArray, NDArray[np.int32]]:
    """``W[b] = max_k v[b-k] + f[k]``; shapes (N+1,), (m+1,) → (N+1,), argmax k (N+1,)."""
    n = v.shape[0] - 1
    m = min(f.shape[0] - 1, n)
    w = v + f[0]
    arg = np.zeros(n + 1, dtype=np.int32)
    for k in range(1, m + 1):
        fk = f[k]
        if fk == -np.inf:
            continue
        cand = v[: n + 1 - k] + fk
        sub = w[k:]
        mask = cand > sub
        np.copyto(sub, cand, where=mask)
        np.copyto(arg[k:], k, where=mask)
    return w, arg


@dataclass
class _Chain:
    """A DP chain over a list of units; ``args[s]`` is the argmax table when unit s+1 joined."""

    value: FloatArray
    args: list[NDArray[np.int32]]

    def split(self, b: int) -> list[int]:
        ks = [0] * (len(self.args) + 1)
        for s in range(len(self.args), 0, -1):
            k = int(self.args[s - 1][b])
            ks[s] = k
            b -= k
        ks[0] = b
        return ks


def _chain(funcs: Sequence[FloatArray], n: int) -> _Chain:
    first = np.full(n + 1, -np.inf)
    m0 = min(funcs[0].shape[0], n + 1)
    first[:m0] = funcs[0][:m0]
    value = first
    args = []
    for f in funcs[1:]:
        value, arg = _maxplus(value, f)
        args.append(arg)
    return _Chain(value, args)


@dataclass
class _DPResult:
    step: float
    frontier: FloatArray  # best value at spend sum(lower) + b*step, shape (N+1,)
    outer: _Chain
    units: list[tuple[NDArray[np.intp], _Chain | None]]

    def allocation(self, b: int, lower: FloatArray) -> FloatArray:
        x = lower.copy()
        for (idx, inner), kb in zip(self.units, self.outer.split(b), strict=True):
            if inner is None:
                x[idx[0]] += kb * self.step
            else:
                for j, kj in zip(idx, inner.split(kb), strict=True):
                    x[j] += kj * self.step
        return x


def _dp(prob: _Problem, n_grid: int, budget: float) -> _DPResult:
    rc = prob.rc
    lower, upper = rc.lower, rc.upper
    room = budget - lower.sum()
    n = n_grid if room > 0 else 0
    h = room / n if n > 0 else 0.0
    c = prob.curves.n_channels

    def channel_values(j: int) -> FloatArray:
        m = 0 if h == 0 else math.floor((upper[j] - lower[j]) / h + 1e-9)
        m = min(m, n)
        x = lower[j] + h * np.arange(m + 1)
        vals = prob.v * prob.curves.response(x, channel=j) - prob.c * x
        return np.asarray(vals)

    grouped = np.zeros(c, dtype=bool)
    units: list[tuple[NDArray[np.intp], _Chain | None]] = []
    funcs: list[FloatArray] = []
    for g in rc.groups:
        grouped[g.index] = True
        inner = _chain([channel_values(int(j)) for j in g.index], n)
        w = inner.value.copy()
        base = lower[g.index].sum()
        if h > 0:
            hi_k = math.floor((g.upper - base) / h + 1e-9) if np.isfinite(g.upper) else n
            lo_k = math.ceil((g.lower - base) / h - 1e-9)
            w[np.arange(n + 1) > hi_k] = -np.inf
            w[np.arange(n + 1) < lo_k] = -np.inf
        units.append((g.index, inner))
        funcs.append(w)
    for j in np.flatnonzero(~grouped):
        units.append((np.array([j], dtype=np.intp), None))
        funcs.append(channel_values(int(j)))
    outer = _chain(funcs, n)
    return _DPResult(step=h, frontier=outer.value, outer=outer, units=units)


# ---------------------------------------------------------------------------------------------- polish
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


# ---------------------------------------------------------------------------------------------- risk
def _risk_value(curves: ResponseCurves, obj: Objective, x: FloatArray) -> tuple[float, FloatArray]:
    per = obj.value * curves.draws(x) - obj.cost * x  # (D, C)
    tot = per.sum(axis=1)
    grad_d = obj.value * curves.draws(np.maximum(x, 1e-10 * max(x.sum(), 1.0)), order=1) - obj.cost
    d = tot.shape[0]
    order = np.argsort(tot)
    if obj.risk == "cvar":
        k = max(1, math.ceil(obj.alpha * d))
        sel = order[:k]
        return float(tot[sel].mean()), np.asarray(grad_d[sel].mean(axis=0))
    pos = obj.alpha * (d - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    w = pos - lo
    val = (1 - w) * tot[order[lo]] + w * tot[order[hi]]
    grad = (1 - w) * grad_d[order[lo]] + w * grad_d[order[hi]]
    return float(val), np.asarray(grad)


# ---------------------------------------------------------------------------------------------- result
def _interval(draws: FloatArray) -> tuple[float, float]:
    return float(np.quantile(draws, 0.05)), float(np.quantile(draws, 0.95))


@dataclass(frozen=True)
class Allocation:
    """An optimised single-period allocation and its evaluation.

    Arrays have shape (C,) in the order of ``channels``. KPI figures are per period; intervals are the
    5%–95% quantiles over posterior draws (a 90% interval; a single draw gives a zero-width interval).
    """

    channels: tuple[str, ...]
    allocation: FloatArray
    current: FloatArray
    lower: FloatArray
    upper: FloatArray
    status: tuple[str, ...]
    marginal_roi: FloatArray
    roi: FloatArray
    response: FloatArray
    budget: float
    reserve: float
    unallocated: float
    objective: Objective
    objective_value: float
    expected_kpi: float
    kpi_interval: tuple[float, float]
    current_kpi: float
    current_kpi_interval: tuple[float, float]
    uplift: float
    uplift_interval: tuple[float, float]
    kkt_spread: float
    group_totals: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    target: float | None = None

    @property
    def spend(self) -> float:
        """Total allocated spend (excluding reserve)."""
        return float(self.allocation.sum())

    @property
    def expected_revenue(self) -> float:
        """Expected KPI × kpi_value."""
        return self.expected_kpi * self.objective.kpi_value

    @property
    def expected_profit(self) -> float:
        """Expected revenue − allocated spend."""
        return self.expected_revenue - self.spend

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``omnimix optimize --json``."""
        names = self.channels

        def m(a: FloatArray) -> dict[str, float]:
            return {n: float(v) for n, v in zip(names, a, strict=True)}

        return {
            "allocation": m(self.allocation),
            "reserve": float(self.reserve),
            "expected_kpi": float(self.expected_kpi),
            "marginal_roi": m(self.marginal_roi),
            "budget": float(self.budget),
            "spend": self.spend,
            "unallocated": float(self.unallocated),
            "objective": self.objective.kind,
            "risk": self.objective.risk,
            "objective_value": float(self.objective_value),
            "kpi_interval_90": list(self.kpi_interval),
            "expected_revenue": self.expected_revenue,
            "expected_profit": self.expected_profit,
            "current_allocation": m(self.current),
            "current_kpi": float(self.current_kpi),
            "current_kpi_interval_90": list(self.current_kpi_interval),
            "uplift_kpi": float(self.uplift),
            "uplift_interval_90": list(self.uplift_interval),
            "roi": m(self.roi),
            "status": dict(zip(names, self.status, strict=True)),
            "kkt_max_relative_spread": float(self.kkt_spread),
            "group_totals": dict(self.group_totals),
            "target": self.target,
            "notes": list(self.notes),
        }

    def to_frame(self) -> Any:
        """Allocation table vs current plan (pandas DataFrame, one row per channel)."""
        import pandas as pd

        change = self.allocation - self.current
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = np.where(self.current > 0, change / self.current, np.nan)
        return pd.DataFrame(
            {
                "channel": list(self.channels),
                "current": self.current,
                "optimal": self.allocation,
                "change": change,
                "change_pct": pct,
                "min": self.lower,
                "max": self.upper,
                "status": list(self.status),
                "expected_kpi": self.response,
                "roi": self.roi,
                "marginal_roi": self.marginal_roi,
            }
        )

    def to_csv(self, path: str) -> None:
        """Write :meth:`to_frame` as CSV."""
        self.to_frame().to_csv(path, index=False)


def _status(x: FloatArray, rc: ResolvedConstraints, scale: float) -> tuple[str, ...]:
    tol = 1e-7 * scale
    out = []
    tight = np.zeros(x.shape[0], dtype=bool)
    for g in rc.groups:
        s = x[g.index].sum()
        if s >= g.upper - tol or (g.lower > 0 and s <= g.lower + tol):
            tight[g.index] = True
    for j in range(x.shape[0]):
        if rc.locked[j]:
            out.append("locked")
        elif x[j] <= rc.lower[j] + tol:
            out.append("off" if rc.lower[j] <= tol else "at_min")
        elif x[j] >= rc.upper[j] - tol:
            out.append("at_max")
        elif tight[j]:
            out.append("group_limit")
        else:
            out.append("free")
    return tuple(out)


def evaluate(
    curves: ResponseCurves,
    x: FloatArray,
    rc: ResolvedConstraints,
    obj: Objective,
    *,
    objective_value: float | None = None,
    notes: Sequence[str] = (),
    target: float | None = None,
) -> Allocation:
    """Build an :class:`Allocation` report for allocation ``x`` of shape (C,)."""
    prob = _Problem(curves, rc, obj)
    kd = curves.total_draws(x)
    cur = curves.current_spend
    cd = curves.total_draws(cur)
    resp = curves.response(x)
    mroi = obj.value * curves.response(np.maximum(x, prob.floor), order=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        roi = np.where(x > 0, obj.value * resp / np.where(x > 0, x, 1.0), 0.0)
    status = _status(x, rc, prob.scale)
    free = np.array([s == "free" for s in status]) & (prob.g2(x) < 0)
    spread = 0.0
    if free.sum() >= 2:
        mm = mroi[free]
        spread = float((mm.max() - mm.min()) / abs(mm.mean())) if mm.mean() != 0 else 0.0
    if objective_value is None:
        objective_value = prob.total(x) if obj.risk == "mean" else _risk_value(curves, obj, x)[0]
    return Allocation(
        channels=curves.channels,
        allocation=x,
        current=cur.copy(),
        lower=rc.lower.copy(),
        upper=rc.upper.copy(),
        status=status,
        marginal_roi=mroi,
        roi=roi,
        response=resp,
        budget=rc.budget,
        reserve=rc.reserve,
        unallocated=float(max(0.0, rc.allocatable - x.sum())),
        objective=obj,
        objective_value=float(objective_value),
        expected_kpi=float(kd.mean()),
        kpi_interval=_interval(kd),
        current_kpi=float(cd.mean()),
        current_kpi_interval=_interval(cd),
        uplift=float((kd - cd).mean()),
        uplift_interval=_interval(kd - cd),
        kkt_spread=spread,
        group_totals={g.name: float(x[g.index].sum()) for g in rc.groups},
        notes=tuple(notes),
        target=target,
    )


# ---------------------------------------------------------------------------------------------- API
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


# ---------------------------------------------------------------------------------------------- multi-period
@dataclass(frozen=True)
class Flighting:
    """Multi-period set-up: periods, seasonality and flighting limits.

    Attributes:
        periods: number of periods T (weeks, quarters...).
        weights: response multipliers per period, shape (T,) or (T, C) (seasonality; default 1).
        period_min: minimum spend per period and channel, shape (C,) or (T, C).
        period_max: maximum spend per period and channel, shape (C,) or (T, C).
        max_change: largest change of a channel's spend between consecutive periods, absolute,
            scalar or (C,).
        max_change_pct: the same as a fraction of the channel's current per-period spend.
        period_budget: cap on the total spend of each period, scalar or (T,).
        labels: period names (default ``"p1".."pT"``).
        groups: group limits applied in every period: ``max`` is an amount per period, ``max_share``
            a share of that period's spend (floors are not supported here).
        locked: channels held at an amount per period (``None``: current spend) in every period.
    """

    periods: int
    weights: Any = None
    period_min: Any = None
    period_max: Any = None
    max_change: Any = None
    max_change_pct: float | None = None
    period_budget: Any = None
    labels: tuple[str, ...] = ()
    groups: Sequence[Group] = ()
    locked: Mapping[str, float | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.periods < 1:
            raise ConfigError(f"periods: {self.periods}; expected at least 1.")
        if self.labels and len(self.labels) != self.periods:
            raise ConfigError(f"labels: {len(self.labels)} given for {self.periods} periods.")


@dataclass(frozen=True)
class FlightingPlan:
    """A multi-period allocation. Arrays of shape (T, C); KPI figures summed over periods."""

    channels: tuple[str, ...]
    periods: tuple[str, ...]
    allocation: FloatArray
    current: FloatArray
    marginal_roi: FloatArray
    budget: float
    reserve: float
    expected_kpi: float
    kpi_interval: tuple[float, float]
    current_kpi: float
    current_kpi_interval: tuple[float, float]
    uplift: float
    uplift_interval: tuple[float, float]
    envelope_value: float
    objective: Objective
    objective_value: float
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON form: allocation per period and channel plus totals."""
        return {
            "periods": list(self.periods),
            "allocation": {
                p: {c: float(v) for c, v in zip(self.channels, row, strict=True)}
                for p, row in zip(self.periods, self.allocation, strict=True)
            },
            "channel_totals": {
                c: float(v) for c, v in zip(self.channels, self.allocation.sum(0), strict=True)
            },
            "reserve": float(self.reserve),
            "budget": float(self.budget),
            "spend": float(self.allocation.sum()),
            "expected_kpi": float(self.expected_kpi),
            "kpi_interval_90": list(self.kpi_interval),
            "current_kpi": float(self.current_kpi),
            "uplift_kpi": float(self.uplift),
            "uplift_interval_90": list(self.uplift_interval),
            "objective_value": float(self.objective_value),
            "first_lp_value": float(self.envelope_value),
            "notes": list(self.notes),
        }

    def to_frame(self) -> Any:
        """Long table: one row per period × channel."""
        import pandas as pd

        t, c = self.allocation.shape
        return pd.DataFrame(
            {
                "period": np.repeat(list(self.periods), c),
                "channel": list(self.channels) * t,
                "current": self.current.ravel(),
                "optimal": self.allocation.ravel(),
                "marginal_roi": self.marginal_roi.ravel(),
            }
        )


def _upper_hull(xs: FloatArray, ys: FloatArray) -> NDArray[np.intp]:
    """Indices of the upper concave hull of points sorted by x."""
    hull: list[int] = []
    for i in range(xs.shape[0]):
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            cross = (xs[b] - xs[a]) * (ys[i] - ys[a]) - (ys[b] - ys[a]) * (xs[i] - xs[a])
            if cross >= 0:
                hull.pop()
            else:
                break
        hull.append(i)
    return np.array(hull, dtype=np.intp)


def _broadcast_tc(value: Any, t: int, c: int, default: float, name: str) -> FloatArray:
    if value is None:
        return np.full((t, c), default)
    arr = np.asarray(value, dtype=float)
    try:
        if arr.ndim <= 1 and arr.size in (1, c):
            return np.array(np.broadcast_to(arr.reshape(-1) if arr.ndim else arr, (t, c)), dtype=float)
        if arr.ndim == 1 and arr.size == t:
            return np.array(np.broadcast_to(arr[:, None], (t, c)), dtype=float)
        return np.array(np.broadcast_to(arr, (t, c)), dtype=float)
    except ValueError as exc:
        raise ConfigError(
            f"{name} has shape {arr.shape}; expected a scalar, ({c},), ({t},) or ({t}, {c})."
        ) from exc


class _CellEnvelopes:
    """Piecewise-linear concave envelopes of every period × channel cell on its own interval."""

    def __init__(self, curves: ResponseCurves, obj: Objective, weights: FloatArray) -> None:
        self.curves = curves
        self.v = obj.value
        self.c = obj.cost
        self.w = weights
        self.cache: dict[tuple[int, float, float, int], tuple[FloatArray, FloatArray, NDArray[np.intp]]] = {}
        self.groups: list[tuple[NDArray[np.intp], float, float | None]] = []
        # spend where every draw's curve is within 0.1% of its ceiling: grids are fine below it
        hill = np.array([k == "hill" for k in curves.kinds])
        sat_h = curves.half_saturation * 999.0 ** (1.0 / curves.slope)
        sat_l = np.log(1999.0) / curves.lam
        self.sat = np.where(hill, sat_h.max(axis=0), sat_l.max(axis=0))

    def grid(self, i: int, lo: float, hi: float, m: int) -> FloatArray:
        """Breakpoint grid of channel i on [lo, hi]: uniform up to saturation, geometric beyond."""
        top = min(hi, max(self.sat[i], lo))
        xs = np.linspace(lo, top, m + 1)
        if top > 0 and m > 16:
            first = max(lo, top * 1e-4)
            if first < top:
                xs = np.unique(np.concatenate([xs, np.geomspace(first, top, m // 2 + 1)]))
        if hi > top * (1 + 1e-9) and top > 0:
            xs = np.concatenate([xs, np.geomspace(top, hi, 9)[1:]])
        elif hi > top:
            xs = np.concatenate([xs, np.linspace(top, hi, 9)[1:]])
        return xs

    def pieces(self, i: int, lo: float, hi: float, m: int) -> tuple[FloatArray, FloatArray, NDArray[np.intp]]:
        """Grid (x, f) of channel i's mean curve on [lo, hi] and the indices of its upper hull."""
        key = (i, round(lo, 9), round(hi, 9), m)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        xs = np.array([lo]) if hi - lo <= 0 else self.grid(i, lo, hi, m)
        ys = self.curves.response(xs, channel=i)
        out = (xs, ys, _upper_hull(xs, ys))
        self.cache[key] = out
        return out

    def chord_gap(self, i: int, lo: float, hi: float, m: int, x: float) -> tuple[float, float] | None:
        """The hull chord [a, b] around x when the curve lies materially below it, else None."""
        xs, ys, hull = self.pieces(i, lo, hi, m)
        if hull.shape[0] < 2:
            return None
        k = int(np.searchsorted(xs[hull], x, side="right")) - 1
        if k < 0 or k >= hull.shape[0] - 1:
            return None
        ia, ib = hull[k], hull[k + 1]
        if ib - ia <= 1:
            return None
        a, b = xs[ia], xs[ib]
        inner = slice(ia + 1, ib)
        chord = ys[ia] + (ys[ib] - ys[ia]) * (xs[inner] - a) / (b - a)
        if np.max(chord - ys[inner]) <= 1e-9 * max(abs(ys).max(), 1e-300):
            return None
        if x <= a + 1e-9 * max(b, 1.0) or x >= b - 1e-9 * max(b, 1.0):
            return None
        return float(a), float(b)


def _solve_lp(
    env: _CellEnvelopes,
    lo: FloatArray,
    hi: FloatArray,
    budget: float,
    delta: FloatArray,
    period_budget: FloatArray,
    m: int,
) -> tuple[FloatArray, float] | None:
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    t_n, c_n = lo.shape
    cost: list[FloatArray] = []
    ub: list[FloatArray] = []
    cell_of: list[NDArray[np.intp]] = []
    const = 0.0
    for t in range(t_n):
        for i in range(c_n):
            gx, gy, hull = env.pieces(i, float(lo[t, i]), float(hi[t, i]), m)
            xs, ys = gx[hull], gy[hull]
            w = env.w[t, i]
            const += w * env.v * ys[0] - env.c * xs[0]
            if xs.shape[0] > 1:
                dx = np.diff(xs)
                slope = w * env.v * np.diff(ys) / dx - env.c
                cost.append(-slope)
                ub.append(dx)
                cell_of.append(np.full(dx.shape[0], t * c_n + i, dtype=np.intp))
    if not cost:
        return lo.copy(), const
    cvec = np.concatenate(cost)
    ubv = np.concatenate(ub)
    cell = np.concatenate(cell_of)
    nv = cvec.shape[0]
    rows: list[NDArray[np.intp]] = []
    cols: list[NDArray[np.intp]] = []
    vals: list[FloatArray] = []
    rhs: list[float] = []
    r = 0
    var = np.arange(nv)
    rows.append(np.zeros(nv, dtype=np.intp))
    cols.append(var)
    vals.append(np.ones(nv))
    rhs.append(budget - lo.sum())
    r = 1
    per_t = cell // c_n
    ch = cell % c_n
    for t in range(t_n):
        if np.isfinite(period_budget[t]):
            sel = var[per_t == t]
            rows.append(np.full(sel.shape[0], r, dtype=np.intp))
            cols.append(sel)
            vals.append(np.ones(sel.shape[0]))
            rhs.append(period_budget[t] - lo[t].sum())
            r += 1
    for i in range(c_n):
        if not np.isfinite(delta[i]):
            continue
        for t in range(1, t_n):
            cur = var[(per_t == t) & (ch == i)]
            prev = var[(per_t == t - 1) & (ch == i)]
            base = lo[t, i] - lo[t - 1, i]
            for sign in (1.0, -1.0):
                rows.append(np.full(cur.shape[0] + prev.shape[0], r, dtype=np.intp))
                cols.append(np.concatenate([cur, prev]))
                vals.append(np.concatenate([np.full(cur.shape[0], sign), np.full(prev.shape[0], -sign)]))
                rhs.append(delta[i] - sign * base)
                r += 1
    for gidx, gmax, share in env.groups:
        in_g = np.isin(ch, gidx)
        for t in range(t_n):
            at_t = per_t == t
            if np.isfinite(gmax):
                sel = var[at_t & in_g]
                rows.append(np.full(sel.shape[0], r, dtype=np.intp))
                cols.append(sel)
                vals.append(np.ones(sel.shape[0]))
                rhs.append(gmax - lo[t, gidx].sum())
                r += 1
            if share is not None:
                sel = var[at_t]
                rows.append(np.full(sel.shape[0], r, dtype=np.intp))
                cols.append(sel)
                vals.append(np.where(in_g[at_t], 1.0 - share, -share))
                rhs.append(share * lo[t].sum() - lo[t, gidx].sum())
                r += 1
    a = coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r, nv)
    ).tocsr()
    res = linprog(
        cvec, A_ub=a, b_ub=np.array(rhs), bounds=np.column_stack([np.zeros(nv), ubv]), method="highs"
    )
    if res.status != 0:
        return None
    z = np.clip(np.asarray(res.x, dtype=float), 0.0, ubv)
    x = lo.copy().ravel()
    np.add.at(x, cell, z)
    return x.reshape(t_n, c_n), const - float(res.fun)


def optimize_flighting(
    curves: ResponseCurves,
    budget: float,
    flighting: Flighting,
    *,
    reserve: float = 0.10,
    objective: Objective | str = "kpi",
    grid: int = 48,
) -> FlightingPlan:
    """Allocate a total budget over T periods and C channels under flighting limits.

    Each period's response is ``weights[t, i] * f_i(x[t, i])`` (steady-state weekly curves).
    Method: a linear programme (HiGHS) over the piecewise-linear concave envelope of every cell's curve
    (its grid narrowed to where the solution lives), then S-shaped cells left on an envelope chord are
    switched to
    one end of it ("off" or at the tangent point, i.e. pulsing) and the LP is re-solved, then three
    trust-region LPs refine each cell on the true curve around its solution. When S-shaped cells were
    found, a second start (the exact DP optimum of each period at the LP's period totals) is refined the
    same way and the better plan is kept.

    Args:
        curves: response curves per period (weekly curves for weeks).
        budget: total budget over all periods, including the reserve.
        flighting: periods, seasonality and limits.
        reserve: test-and-innovation reserve fraction, set aside first.
        objective: ``"kpi"``, ``"revenue"`` or ``"profit"`` (mean over draws).
        grid: envelope breakpoints per cell in the first LP.

    Raises:
        InfeasibleError: the limits cannot all hold (names them).
    """
    obj = objective if isinstance(objective, Objective) else Objective(kind=objective)
    spec = Constraints(budget=budget, reserve=reserve)
    alloc = spec.allocatable
    t_n, c_n = flighting.periods, curves.n_channels
    names = curves.channels
    w = _broadcast_tc(flighting.weights, t_n, c_n, 1.0, "weights")
    lo = _broadcast_tc(flighting.period_min, t_n, c_n, 0.0, "period_min")
    hi = np.minimum(_broadcast_tc(flighting.period_max, t_n, c_n, alloc, "period_max"), alloc)
    delta = np.full(c_n, np.inf)
    if flighting.max_change is not None:
        delta = np.minimum(delta, np.broadcast_to(np.asarray(flighting.max_change, dtype=float), (c_n,)))
    if flighting.max_change_pct is not None:
        delta = np.minimum(delta, flighting.max_change_pct * curves.current_spend)
    pb = (
        np.full(t_n, np.inf)
        if flighting.period_budget is None
        else np.broadcast_to(np.asarray(flighting.period_budget, dtype=float), (t_n,)).astype(float)
    )
    labels = flighting.labels or tuple(f"p{k + 1}" for k in range(t_n))
    problems = []
    pos = {n: j for j, n in enumerate(names)}
    unknown = [n for n in flighting.locked if n not in pos] + [
        n for g in flighting.groups for n in g.channels if n not in pos
    ]
    if unknown:
        raise ConfigError(f"Flighting names unknown channels {sorted(set(unknown))}; known: {list(names)}.")
    for n, amount in flighting.locked.items():
        j = pos[n]
        v = float(curves.current_spend[j] if amount is None else amount)
        lo[:, j] = v
        hi[:, j] = v
    env_groups: list[tuple[NDArray[np.intp], float, float | None]] = []
    for g in flighting.groups:
        if g.min is not None or g.min_share is not None:
            raise ConfigError(
                f"group {g.name}: floors are not supported in multi-period plans; use period_min."
            )
        gidx = np.array([pos[n] for n in g.channels], dtype=np.intp)
        gmax = float(g.max) if g.max is not None else np.inf
        env_groups.append((gidx, gmax, g.max_share))
        need = lo[:, gidx].sum(axis=1)
        if np.any(need > gmax + 1e-9):
            t = int(np.argmax(need))
            problems.append(
                f"group {g.name}: cap {gmax:,.6g} per period is below the locked/minimum spend "
                f"{need[t]:,.6g} in {labels[t]}"
            )
    for t, i in zip(*np.nonzero(lo > hi + 1e-12), strict=True):
        problems.append(f"{labels[t]} {names[i]}: period_min {lo[t, i]:,.6g} > period_max {hi[t, i]:,.6g}")
    if lo.sum() > alloc + 1e-9 * max(alloc, 1.0):
        problems.append(
            f"the per-period minimums sum to {lo.sum():,.6g} over {t_n} periods but the budget after the "
            f"{reserve:.0%} reserve is {alloc:,.6g}"
        )
    for t in range(t_n):
        if lo[t].sum() > pb[t] + 1e-9:
            problems.append(f"{labels[t]}: minimums {lo[t].sum():,.6g} exceed period_budget {pb[t]:,.6g}")
    for i in range(c_n):
        for t in range(1, t_n):
            if lo[t, i] - hi[t - 1, i] > delta[i] + 1e-9 or lo[t - 1, i] - hi[t, i] > delta[i] + 1e-9:
                problems.append(
                    f"{names[i]}: max_change {delta[i]:,.6g} cannot bridge the limits of {labels[t - 1]} "
                    f"[{lo[t - 1, i]:,.6g}, {hi[t - 1, i]:,.6g}] and {labels[t]} "
                    f"[{lo[t, i]:,.6g}, {hi[t, i]:,.6g}]"
                )
                break
    if problems:
        raise InfeasibleError(
            "The flighting limits cannot all hold:\n" + "\n".join(f"  - {p}" for p in problems)
        )
    env = _CellEnvelopes(curves, obj, w)
    env.groups = env_groups
    first = _solve_lp(env, lo, hi, alloc, delta, pb, grid)
    if first is None:
        raise InfeasibleError(
            "The flighting limits cannot all hold together (per-period min/max, max_change between periods, "
            "period_budget and the total budget); relax max_change or the per-period limits"
        )
    x, bound = first
    # narrow each cell's grid range to where the solution lives (re-widened when the solution hits it)
    hill = np.array([k == "hill" for k in curves.kinds])
    shape_scale = np.where(hill, curves.half_saturation.max(axis=0), 1.0 / curves.lam.min(axis=0))
    rng_hi = hi.copy()
    for _ in range(4):
        want = np.maximum(2.0 * x.max(axis=0, keepdims=True), 3.0 * shape_scale[None, :])
        new_hi = np.maximum(np.minimum(hi, np.maximum(want, 2.0 * x)), lo)
        if np.allclose(new_hi, rng_hi):
            break
        trial = _solve_lp(env, lo, new_hi, alloc, delta, pb, grid)
        if trial is None:
            break
        rng_hi = new_hi
        x = trial[0]
        if not np.any((x >= rng_hi * (1 - 1e-9)) & (rng_hi < hi)):
            break
    notes: list[str] = []
    clo, chi = lo.copy(), rng_hi.copy()
    had_gap = False
    # switch S-shaped cells off an envelope chord (pulsing), then re-solve
    for _ in range(3):
        changed = False
        for t in range(t_n):
            for i in range(c_n):
                chord = env.chord_gap(i, float(clo[t, i]), float(chi[t, i]), grid, float(x[t, i]))
                if chord is None:
                    continue
                a, b = chord
                if x[t, i] - a < b - x[t, i]:
                    chi[t, i] = a
                else:
                    clo[t, i] = b
                changed = had_gap = True
        if not changed:
            break
        trial = _solve_lp(env, clo, chi, alloc, delta, pb, grid)
        if trial is None:
            notes.append(
                "switching S-shaped cells on/off conflicted with the flighting limits; kept the LP plan"
            )
            clo, chi = lo.copy(), rng_hi.copy()
            break
        x = trial[0]
    cands: list[FloatArray] = []
    za = _zoom(env, x, clo, chi, alloc, delta, pb, grid)
    if za is not None:
        cands.append(za)
    if had_gap:
        # second start: the exact (DP) single-period optimum of every period at the LP's period totals
        xd = np.zeros_like(x)
        for t in range(t_n):
            rct = ResolvedConstraints(
                lower=lo[t],
                upper=hi[t],
                locked=np.zeros(c_n, dtype=bool),
                groups=(),
                allocatable=float(x[t].sum()),
                reserve=0.0,
                budget=float(x[t].sum()),
                lower_labels=("",) * c_n,
                upper_labels=("",) * c_n,
            )
            prob_t = _Problem(_Tabulated(env, t, rng_hi.max(axis=0)), rct, obj)  # type: ignore[arg-type]
            dpt = _dp(prob_t, 200, float(x[t].sum()))
            xd[t] = dpt.allocation(int(np.argmax(dpt.frontier)), lo[t])
        zb = _zoom(env, xd, lo, hi, alloc, delta, pb, grid)
        if zb is not None:
            cands.append(zb)
    if not cands:
        cands.append(x)
    vals = [_plan_value(env, c) for c in cands]
    x = cands[int(np.argmax(vals))]
    x = np.clip(x, lo, hi)
    return _flighting_report(curves, obj, w, x, alloc, spec.reserve_amount, budget, bound, labels, notes)


class _Tabulated:
    """Mean curves of one period tabulated on each channel's breakpoint grid (fast DP starts)."""

    def __init__(self, env: _CellEnvelopes, t: int, hi: FloatArray) -> None:
        self.w = env.w[t]
        self.tab = [env.pieces(i, 0.0, float(hi[i]), 512)[:2] for i in range(hi.shape[0])]
        self.n_channels = hi.shape[0]

    def response(self, x: Any, channel: int | None = None, order: int = 0) -> FloatArray:
        assert channel is not None and order == 0
        xs, ys = self.tab[channel]
        return np.asarray(self.w[channel] * np.interp(np.asarray(x, dtype=float), xs, ys))


def _plan_value(env: _CellEnvelopes, x: FloatArray) -> float:
    total = 0.0
    for t in range(x.shape[0]):
        total += float((env.w[t] * env.v * env.curves.response(x[t])).sum() - env.c * x[t].sum())
    return total


def _zoom(
    env: _CellEnvelopes,
    x: FloatArray,
    clo: FloatArray,
    chi: FloatArray,
    alloc: float,
    delta: FloatArray,
    pb: FloatArray,
    grid: int,
) -> FloatArray | None:
    """Trust-region LPs on the true curves around ``x`` until the windows are tiny."""
    step = (np.minimum(chi, np.maximum(env.sat[None, :], clo)) - clo) / grid + 1e-12
    tiny = 1e-6 * max(alloc, 1.0) / x.shape[0]
    ok = False
    for _ in range(30):
        zlo = np.maximum(clo, x - 2 * step)
        zhi = np.minimum(chi, x + 2 * step)
        trial = _solve_lp(env, zlo, zhi, alloc, delta, pb, 8)
        if trial is None:
            break
        ok = True
        xn = trial[0]
        at_edge = ((xn <= zlo + tiny) & (zlo > clo + tiny)) | ((xn >= zhi - tiny) & (zhi < chi - tiny))
        x = xn
        step = np.where(at_edge, step, step / 4)
        if np.all(step < tiny):
            break
    return x if ok else None


def _flighting_report(
    curves: ResponseCurves,
    obj: Objective,
    w: FloatArray,
    x: FloatArray,
    alloc: float,
    reserve: float,
    budget: float,
    bound: float,
    labels: tuple[str, ...],
    notes: list[str],
) -> FlightingPlan:
    t_n = x.shape[0]
    kd = np.zeros(curves.n_draws)
    cd = np.zeros(curves.n_draws)
    mroi = np.zeros_like(x)
    cur = np.broadcast_to(curves.current_spend, x.shape).copy()
    for t in range(t_n):
        kd += (w[t] * curves.draws(x[t])).sum(axis=1)
        cd += (w[t] * curves.draws(cur[t])).sum(axis=1)
        mroi[t] = obj.value * w[t] * curves.response(np.maximum(x[t], 1e-10 * max(alloc, 1.0)), order=1)
    value = obj.value * float(kd.mean()) - obj.cost * float(x.sum())
    return FlightingPlan(
        channels=curves.channels,
        periods=labels,
        allocation=x,
        current=cur,
        marginal_roi=mroi,
        budget=float(budget),
        reserve=float(reserve),
        expected_kpi=float(kd.mean()),
        kpi_interval=_interval(kd),
        current_kpi=float(cd.mean()),
        current_kpi_interval=_interval(cd),
        uplift=float((kd - cd).mean()),
        uplift_interval=_interval(kd - cd),
        envelope_value=float(bound),
        objective=obj,
        objective_value=value,
        notes=tuple(notes),
    )
