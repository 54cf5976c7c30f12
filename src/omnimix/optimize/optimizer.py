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
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from omnimix.errors import ConfigError, InfeasibleError
from omnimix.optimize.constraints import Constraints, ResolvedConstraints, resolve
from omnimix.optimize.curves import FloatArray, ResponseCurves

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
        m = 0 if h == 0 else int(math.floor((upper[j] - lower[j]) / h + 1e-9))
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

    def f(z: FloatArray) -> tuple[float, FloatArray]:
        val, grad = fun(full(z))
        return -val, -grad[idx] * scale

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
    res = minimize(
        f, z0, jac=True, method="SLSQP", bounds=bounds, constraints=cons, options={"ftol": 1e-14, "maxiter": 300}
    )
    return full(np.asarray(res.x, dtype=float))


def _equalize(prob: _Problem, x: FloatArray, budget: float) -> FloatArray:
    """Newton on the KKT conditions of each block of free channels sharing a multiplier."""
    rc = prob.rc
    tol = 1e-7 * prob.scale
    g2 = prob.g2(x)
    free = (x > rc.lower + tol) & (x < rc.upper - tol) & (g2 < 0)
    blocks: list[tuple[NDArray[np.intp], float | None]] = []
    in_tight = np.zeros_like(free)
    for g in rc.groups:
        s = x[g.index].sum()
        if s >= g.upper - tol or (g.lower > 0 and s <= g.lower + tol):
            in_tight[g.index] = True
            idx = g.index[free[g.index]]
            if idx.size:
                blocks.append((idx, float(x[idx].sum())))
    rest = np.flatnonzero(free & ~in_tight)
    if rest.size:
        if x.sum() >= budget - tol:
            blocks.append((rest, float(x[rest].sum())))
        elif prob.c > 0:
            blocks.append((rest, None))
    best = x.copy()
    for idx, total in blocks:
        y = best.copy()
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
            if np.max(np.abs(step)) < 1e-14 * prob.scale:
                ok = True
                break
        else:
            ok = True
        if ok and prob.total(y) >= prob.total(best) - 1e-12 * max(1.0, abs(prob.total(best))):
            best = y
    return best


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
    lo, hi = int(math.floor(pos)), int(math.ceil(pos))
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
        notes.append(f"min marginal ROI {obj.min_marginal_roi}: channel caps {np.round(rc.upper, 6).tolist()}")
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
            f"{rc.allocatable - x.sum():,.6g} of the budget is left unallocated: every channel is at its maximum"
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
        roi = np.where(spend > 0, kdp.frontier / np.where(spend > 0, spend, 1.0), np.inf)
    ok = np.flatnonzero(roi >= r)
    if ok.size == 0:
        raise InfeasibleError(
            f"min ROI {r} cannot be met: the best ROI on the frontier is {np.nanmax(roi[spend > 0]):.4g}; "
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
    curves: ResponseCurves, rc: ResolvedConstraints, obj: Objective, x0: FloatArray, budget: float, scale: float
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
        return evaluate(curves, x, rc, obj, notes=["the channel minimums already reach the target"], target=target)
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
    return evaluate(curves, x_hi, rc, obj, notes=[f"target {target:,.6g} reached with spend {x_hi.sum():,.6g}"],
                    target=target)


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
