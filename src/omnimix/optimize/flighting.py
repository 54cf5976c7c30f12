"""Multi-period flighting: allocate a total budget over T periods and C channels under flighting limits.

Each period's response is ``weights[t, i] * f_i(x[t, i])`` (steady-state weekly curves). The solver is a
linear programme (HiGHS) over the piecewise-linear concave envelope of every cell's curve, with
S-shaped cells switched off their envelope chords (pulsing) and trust-region LPs on the true curves;
see :func:`optimize_flighting`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from omnimix.curves import HILL, FloatArray, ResponseCurves
from omnimix.errors import ConfigError, InfeasibleError
from omnimix.optimize.allocation import _interval
from omnimix.optimize.constraints import Constraints, Group, ResolvedConstraints
from omnimix.optimize.grid import _dp
from omnimix.optimize.objective import Objective, _Problem


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
        self.sat = curves.spend_at_share(0.999).max(axis=0)

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
    hill = np.array([k == HILL for k in curves.kinds])
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
