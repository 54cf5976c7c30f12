"""Difference-in-differences (two-way fixed effects) and synthetic DiD (Arkhangelsky et al. 2021).

**DiD.** ``Y_it = α_i + λ_t + τ D_it + ε_it`` with ``D_it = 1`` for treated geos in the test period.
On a balanced panel the OLS ``τ̂`` is ``(ȳ_T,test - ȳ_T,pre) - (ȳ_C,test - ȳ_C,pre)``. Inference:

* ``permutation`` (default) — Fisher randomization: under the sharp null ``τ = τ0`` the untreated
  outcomes are ``Y - τ0 D``; the statistic ``|τ̂|`` is recomputed for every assignment of the treated
  group's size to the geos (all of them, or 2,000 seeded draws when there are more); p-value and
  interval come from that one test.
* ``cluster`` — geo-clustered (CR1) standard error of the TWFE coefficient, t with ``G - 1`` degrees
  of freedom (G geos). Unreliable with one or two treated geos (use permutation there).

**Synthetic DiD** (``synthdid``): unit weights ``ω`` (simplex, with intercept) minimise
``||ω0 + Y_co,preᵀω - ȳ_tr,pre||² + ζ² T_pre ||ω||²`` with ``ζ = (N_tr T_post)^{1/4} σ̂`` (σ̂: standard
deviation of the controls' first differences in the pre-period); time weights ``λ`` (simplex, with
intercept) minimise ``||λ0 + Y_co,pre λ - ȳ_co,post||² + ζ_λ² N_co ||λ||²`` with ``ζ_λ = 10⁻⁶ σ̂``;
``τ̂ = (ȳ_tr,post - λᵀȳ_tr,pre) - ωᵀ(ȳ_co,post - Y_co,pre λ)``. The weights are the exact minimisers
(synthdid's Frank–Wolfe solver adds a sparsifying second pass, not done here). Variance: synthdid's
placebo method (Algorithm 4): ``B`` times, ``N_tr`` random controls play the treated among the
controls; ``V = var(τ̂_b)``; the interval is ``τ̂ ± z √V`` and the p-value ``2 Φ(-|τ̂|/√V)``. The
paper's jackknife (Algorithm 3; ``inference="jackknife"``, two or more treated geos): each unit left out
with ``λ`` and the other units' ``ω`` (renormalised) kept, ``V = (N−1)/N Σ(τ̂₍₋ᵢ₎ − τ̄)²``. The paper
recommends the placebo method when treated units are few; with 2–5 treated geos the jackknife is
liberal here (docs/experiments.md).
"""

from __future__ import annotations

from itertools import combinations
from math import comb

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from omnimix.errors import UsageError
from omnimix.experiments.inference import invert
from omnimix.experiments.prepared import Design, Estimate, residual_band
from omnimix.experiments.simplex import simplex_ls

Arr = NDArray[np.float64]
Mask = NDArray[np.bool_]

MAX_ASSIGNMENTS = 2000


def did_point(d: Design, M: Arr) -> float:
    """TWFE DiD effect per treated geo per date of series ``M``."""
    g = M[d.post].mean(axis=0) - M[d.pre].mean(axis=0)
    return float(g[d.treated].mean() - g[d.control].mean())


def _assignments(n: int, k: int, observed: NDArray[np.int64], rng: np.random.Generator) -> NDArray[np.bool_]:
    """Boolean ``assignments × geos`` matrix: the observed one first, then all or ``MAX_ASSIGNMENTS`` draws."""
    obs = np.zeros(n, dtype=bool)
    obs[observed] = True
    rows = [obs]
    if comb(n, k) <= MAX_ASSIGNMENTS:
        for c in combinations(range(n), k):
            a = np.zeros(n, dtype=bool)
            a[list(c)] = True
            if not np.array_equal(a, obs):
                rows.append(a)
    else:
        for _ in range(MAX_ASSIGNMENTS - 1):
            a = np.zeros(n, dtype=bool)
            a[rng.choice(n, size=k, replace=False)] = True
            rows.append(a)
    return np.asarray(rows)


def analyze_did(d: Design, *, level: float, inference: str, rng: np.random.Generator) -> Estimate:
    """Two-way fixed-effects DiD with permutation or cluster-robust inference."""
    Y = d.Y
    g = Y[d.post].mean(axis=0) - Y[d.pre].mean(axis=0)          # per-geo change
    tau = float(g[d.treated].mean() - g[d.control].mean())
    y1, y0 = d.y1(), Y[:, d.control].mean(axis=1)
    cf = float(y1[d.pre].mean()) + (y0 - float(y0[d.pre].mean()))
    alpha = 1.0 - level
    details: dict[str, object] = {}
    n, k = len(d.geos), d.n_treated
    if inference == "permutation":
        A = _assignments(n, k, d.treated, rng)
        Af = A.astype(float)
        nt = Af.sum(axis=1)
        a = (Af @ g) / nt - ((1.0 - Af) @ g) / (n - nt)
        Tobs = Af[0]
        b = (Af @ Tobs) / nt - ((1.0 - Af) @ Tobs) / (n - nt)   # the permuted DiD of D itself
        details["assignments"] = int(A.shape[0])

        def pfun(tau0: float) -> float:
            s = np.abs(a - tau0 * b)
            return float(np.mean(s >= s[0] - 1e-12 * max(1.0, s[0])))

        scale = float(np.std(a[1:])) if a.size > 1 else abs(tau) + 1.0
        lo, hi, p = invert(pfun, tau, scale, alpha)
    elif inference == "cluster":
        # collapsed TWFE: the coefficient equals the difference of mean changes; CR1 by geo
        D = np.zeros(n)
        D[d.treated] = 1.0
        X = np.column_stack([np.ones(n), D])
        beta, *_ = np.linalg.lstsq(X, g, rcond=None)
        e = g - X @ beta
        bread = np.linalg.inv(X.T @ X)
        meat = (X * e[:, None]).T @ (X * e[:, None])
        V = bread @ meat @ bread * n / (n - 1)
        se = float(np.sqrt(max(V[1, 1], 0.0)))
        q = float(stats.t.ppf(0.5 + level / 2.0, n - 1))
        lo, hi = tau - q * se, tau + q * se
        p = float(2.0 * stats.t.sf(abs(tau) / se, n - 1)) if se > 0 else float(tau == 0.0)
        details["se"] = se
    else:
        raise UsageError(f"inference {inference!r} is not available for did; use permutation or cluster")
    blo, bhi = residual_band(y1, cf, d.pre, level)
    w = {geo: 1.0 / d.control.size for geo in d.control_geos}
    return Estimate(tau, lo, hi, p, cf, blo, bhi, w, inference, details)


def sdid_weights(Y_pre: Arr, Y_post: Arr, tr: Mask) -> tuple[Arr, Arr, float, float]:
    """``(ω, λ, ω0-free offset, τ̂)``: synthdid's unit and time weights on ``pre/post × geos`` blocks."""
    co = ~tr
    Yc_pre, Yc_post = Y_pre[:, co], Y_post[:, co]
    t_pre, n_co = Yc_pre.shape
    n_tr, t_post = int(tr.sum()), Y_post.shape[0]
    diffs = np.diff(Yc_pre, axis=0)
    sigma = float(diffs.std(ddof=1)) if diffs.size > 1 else 0.0
    zeta = (n_tr * t_post) ** 0.25 * sigma
    ytr_pre = Y_pre[:, tr].mean(axis=1)
    ytr_post = Y_post[:, tr].mean(axis=1)
    A = Yc_pre - Yc_pre.mean(axis=0)
    omega = simplex_ls(A, ytr_pre - ytr_pre.mean(), zeta ** 2 * t_pre)
    B = Yc_pre.T - Yc_pre.T.mean(axis=0)          # controls × pre dates, centred per date
    target = Yc_post.mean(axis=0)
    lam = simplex_ls(B, target - target.mean(), (1e-6 * sigma) ** 2 * n_co)
    tau = float((ytr_post.mean() - lam @ ytr_pre) - omega @ (Yc_post.mean(axis=0) - Yc_pre.T @ lam))
    offset = float(lam @ ytr_pre - omega @ (Yc_pre.T @ lam))
    return omega, lam, offset, tau


def sdid_jackknife_se(Y_pre: Arr, Y_post: Arr, tr: Mask, omega: Arr, lam: Arr) -> float:
    """Arkhangelsky et al. (2021) Algorithm 3: leave each unit out, keep ``λ`` and the remaining ``ω``
    (renormalised), recompute ``τ̂``; ``V = (N−1)/N Σ (τ̂₍₋ᵢ₎ − τ̄)²``. Needs two or more treated units."""
    co_idx, tr_idx = np.flatnonzero(~tr), np.flatnonzero(tr)
    taus = []
    for i in range(tr.size):
        keep_co = co_idx[co_idx != i]
        keep_tr = tr_idx[tr_idx != i]
        w = omega[np.isin(co_idx, keep_co)]
        if w.sum() <= 0 or keep_tr.size == 0:
            continue
        w = w / w.sum()
        ytr_pre, ytr_post = Y_pre[:, keep_tr].mean(axis=1), Y_post[:, keep_tr].mean(axis=1)
        yc_pre, yc_post = Y_pre[:, keep_co], Y_post[:, keep_co]
        taus.append(float((ytr_post.mean() - lam @ ytr_pre) - w @ (yc_post.mean(axis=0) - yc_pre.T @ lam)))
    t = np.asarray(taus)
    n = t.size
    return float(np.sqrt((n - 1) / n * np.sum((t - t.mean()) ** 2))) if n > 1 else float("nan")


def analyze_sdid(d: Design, *, level: float, rng: np.random.Generator, replications: int = 200,
                 inference: str = "placebo_variance") -> Estimate:
    """Synthetic DiD with synthdid's placebo variance (Algorithm 4) or its jackknife (Algorithm 3)."""
    tr = np.zeros(len(d.geos), dtype=bool)
    tr[d.treated] = True
    Y_pre, Y_post = d.Y[d.pre], d.Y[d.post]
    if inference == "jackknife":
        if d.n_treated < 2:
            raise UsageError("the jackknife variance of synthetic DiD needs at least 2 treated geos "
                             "(Arkhangelsky et al. 2021); use --inference placebo_variance")
    elif inference != "placebo_variance":
        raise UsageError(f"inference {inference!r} is not available for sdid; use placebo_variance or jackknife")
    elif d.control.size <= d.n_treated:
        raise UsageError("synthetic DiD's placebo variance needs more control geos than treated geos")
    omega, lam, offset, tau = sdid_weights(Y_pre, Y_post, tr)
    if inference == "jackknife":
        se = sdid_jackknife_se(Y_pre, Y_post, tr, omega, lam)
        replications = 0
    else:
        Yc_pre, Yc_post = Y_pre[:, d.control], Y_post[:, d.control]
        taus = []
        for _ in range(replications):
            perm = rng.permutation(d.control.size)
            ptr = np.zeros(d.control.size, dtype=bool)
            ptr[perm[:d.n_treated]] = True
            taus.append(sdid_weights(Yc_pre, Yc_post, ptr)[3])
        se = float(np.sqrt(np.var(taus)))
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    p = float(2.0 * stats.norm.sf(abs(tau) / se)) if se > 0 else float(tau == 0.0)
    cf = d.Y[:, d.control] @ omega + offset
    y1 = d.y1()
    blo, bhi = residual_band(y1, cf, d.pre, level)
    w = {g: float(v) for g, v in zip(d.control_geos, omega, strict=True)}
    return Estimate(tau, tau - z * se, tau + z * se, p, cf, blo, bhi, w, inference,
                    {"replications": replications, "se": se,
                     "time_weights": {str(t.date()): float(v) for t, v in zip(d.dates[d.pre], lam, strict=True)
                                      if v > 1e-9}})


def sdid_point(d: Design, M: Arr) -> float:
    tr = np.zeros(len(d.geos), dtype=bool)
    tr[d.treated] = True
    return sdid_weights(M[d.pre], M[d.post], tr)[3]
