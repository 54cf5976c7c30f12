"""Inference for geo experiments by test inversion: one p-value function gives both the p-value and the interval.

Every method here is a function ``p(τ0)``: the p-value of the sharp null "the effect per treated geo
per test date is τ0". The reported p-value is ``p(0)`` and the ``level`` interval is the set
``{τ0 : p(τ0) > 1 - level}`` found by :func:`invert`, so the two never contradict: ``p(0) <= 1 -
level`` exactly when 0 lies outside the interval.

* :func:`conformal_pvalue` — Chernozhukov, Wüthrich & Zhu (2021): impose the null on the treated
  series, refit the counterfactual on *all* dates, and compare the test-period mean residual with
  its values under the ``T`` cyclic (moving-block) shifts of the residual series.
* :func:`placebo_space_effects` — placebo-in-space over assignments: every other group of the treated
  group's size (from all geos; seeded draws when there are many) is read exactly as the treated group,
  with the treated geos' outcomes under the null; its ``|effect| / pre-period RMSE`` is compared with
  the treated group's ``|τ̂ - τ0| / RMSE``.
* :func:`placebo_time_pvalue` — placebo-in-time: windows of the test's length inside the pre-period
  play the test; the treated group's shifted effect is ranked among the windows' effects.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations
from math import comb

import numpy as np
from numpy.typing import NDArray

Arr = NDArray[np.float64]
Mask = NDArray[np.bool_]
Fitter = Callable[[Arr, Arr, Mask], Arr]   # (y1, Y0, fit mask) -> counterfactual over all dates


def conformal_stats(u: Arr, post: Mask) -> Arr:
    """``|mean of u over the test positions|`` for each cyclic shift of ``u`` (shift 0 first)."""
    T = u.size
    idx = np.flatnonzero(post)
    shifts = (idx[None, :] + np.arange(T)[:, None]) % T
    return np.asarray(np.abs(u[shifts].mean(axis=1)), dtype=float)


def conformal_pvalue(y1: Arr, Y0: Arr, rows: Mask, post: Mask, tau0: float, fitter: Fitter) -> float:
    """CWZ conformal p-value of "effect = τ0 on every test date" (``rows``: dates used, pre + test)."""
    y = y1[rows] - tau0 * post[rows]
    X = Y0[rows]
    cf = fitter(y, X, np.ones(y.size, dtype=bool))
    s = conformal_stats(y - cf, post[rows])
    return float(np.mean(s >= s[0] - 1e-12 * max(1.0, abs(s[0]))))


def rank_pvalue(stat: float, placebo: Arr) -> float:
    """``(1 + #{placebo >= stat}) / (1 + n)``: the permutation p-value counting the observed draw."""
    return float((1 + np.sum(placebo >= stat - 1e-12 * max(1.0, abs(stat)))) / (1 + placebo.size))


def invert(pfun: Callable[[float], float], center: float, scale: float, alpha: float, *,
           n_grid: int = 41, refine: int = 14) -> tuple[float, float, float]:
    """``(lo, hi, p(0))``: the interval ``{τ0 : p(τ0) > alpha}`` around ``center`` and the p-value at 0.

    The accepted set is searched on a grid of ``center ± k·scale`` (widened until both ends are
    rejected) and its edges refined by bisection. When 0 is rejected but lies between accepted points
    (a non-convex accepted set), the interval is the accepted stretch around the best-supported value,
    which then excludes 0; when 0 is accepted, the interval is the hull of the accepted values, which
    then contains 0. Either way ``p(0) <= alpha`` exactly when 0 is outside ``[lo, hi]``.
    """
    scale = max(abs(scale), 1e-9 * max(1.0, abs(center)), 1e-12)
    p0 = pfun(0.0)
    half = 4.0
    for _ in range(12):
        grid = np.unique(np.append(np.linspace(center - half * scale, center + half * scale, n_grid), 0.0))
        ps = np.array([p0 if g == 0.0 else pfun(float(g)) for g in grid])
        acc = ps > alpha
        if not acc.any():
            k = int(np.argmax(ps))
            return float(grid[k]), float(grid[k]), p0   # nothing accepted: a degenerate interval
        if not acc[0] and not acc[-1]:
            break
        half *= 2.0
    else:
        return -np.inf, np.inf, p0
    if p0 > alpha:
        first, last = int(np.flatnonzero(acc)[0]), int(np.flatnonzero(acc)[-1])
    else:
        k = int(np.argmax(np.where(acc, ps, -1.0)))
        first = k
        while first > 0 and acc[first - 1]:
            first -= 1
        last = k
        while last < grid.size - 1 and acc[last + 1]:
            last += 1

    def edge(inside: float, outside: float) -> float:
        for _ in range(refine):
            mid = 0.5 * (inside + outside)
            if (mid <= 0.0 <= inside or inside <= 0.0 <= mid) and p0 <= alpha:
                outside = mid  # never let a rejected 0 inside the interval
            elif pfun(mid) > alpha:
                inside = mid
            else:
                outside = mid
        return inside

    lo = edge(float(grid[first]), float(grid[first - 1]))
    hi = edge(float(grid[last]), float(grid[last + 1]))
    if p0 > alpha:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    return lo, hi, p0


def placebo_space_effects(Y: Arr, treated: NDArray[np.int64], pre: Mask, post: Mask, fitter: Fitter,
                          rng: np.random.Generator, max_placebos: int = 200) -> tuple[Arr, Arr, Arr]:
    """Placebo-in-space over assignments: ``(effects at τ0 = 0, slopes in τ0, pre-period RMSEs)``.

    ``Y`` holds *every* geo (dates × geos), ``treated`` the observed group. A placebo is another group
    of the treated group's size drawn from all geos (every other geo when one is treated; every other
    group when there are at most ``max_placebos``; else ``max_placebos`` distinct seeded draws), read
    exactly like the observed group: its mean series against the synthetic control of all the geos
    outside it, fitted on the pre-period. Under the sharp null "effect τ0" the observed treated geos'
    untreated test-period outcomes are ``Y - τ0``; they may sit inside a placebo group or among its
    donors. The weights are fitted on pre-period dates only, so the counterfactual is affine in the
    test-period values and a placebo's effect at τ0 is ``effects - τ0 · slopes`` (slope: the placebo's
    share of treated geos minus its donor weight on them). The observed group's statistic is then one
    draw of the same statistic over assignments, which makes the rank test exact (size ≤ α) under
    random assignment (Abadie, Diamond & Hainmueller 2010; Firpo & Possebom 2018).
    """
    n = Y.shape[1]
    k = int(treated.size)
    obs = tuple(sorted(int(j) for j in treated))
    groups: list[tuple[int, ...]]
    if comb(n, k) - 1 <= max_placebos:
        groups = [c for c in combinations(range(n), k) if c != obs]
    else:
        seen: set[tuple[int, ...]] = {obs}
        groups = []
        for _ in range(max_placebos * 5):
            key = tuple(sorted(rng.choice(n, size=k, replace=False).tolist()))
            if key not in seen:
                seen.add(key)
                groups.append(key)
            if len(groups) >= max_placebos:
                break
    is_tr = np.zeros(n, dtype=bool)
    is_tr[treated] = True
    rows = pre | post
    fit, test = pre[rows], post[rows]
    eff, slope, rmse = [], [], []
    for key in groups:
        g = np.array(key, dtype=np.int64)
        donors = np.setdiff1d(np.arange(n), g)
        y = Y[rows][:, g].mean(axis=1)
        X = Y[rows][:, donors]
        cf = fitter(y, X, fit)
        r = y - cf
        share = float(is_tr[g].mean())
        if is_tr[donors].any():
            shifted = X + np.outer(test, is_tr[donors]).astype(float)
            on_treated = float((fitter(y, shifted, fit) - cf)[test].mean())
        else:
            on_treated = 0.0
        eff.append(float(r[test].mean()))
        slope.append(share - on_treated)
        rmse.append(float(np.sqrt(np.mean(r[fit] ** 2))))
    return np.asarray(eff), np.asarray(slope), np.maximum(np.asarray(rmse), 1e-12)


def placebo_time_effects(y1: Arr, Y0: Arr, pre: Mask, n_test: int, fitter: Fitter) -> Arr:
    """Effects of fake tests: every window of ``n_test`` pre-period dates, fitted on the other pre dates."""
    idx = np.flatnonzero(pre)
    out = []
    for s in range(0, idx.size - n_test + 1):
        win = np.zeros_like(pre)
        win[idx[s:s + n_test]] = True
        fit = pre & ~win
        if fit.sum() < max(3, n_test // 2):
            continue
        cf = fitter(y1, Y0, fit)
        out.append(float((y1 - cf)[win].mean()))
    return np.asarray(out)
