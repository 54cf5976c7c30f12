"""Time-based regression (Kerman, Wang & Vaver 2017, "Estimating ad effectiveness using geo experiments
in a time-based regression framework").

The treatment group's daily total ``y_t`` is regressed on the control group's daily total ``x_t`` over
the pre-period, ``y_t = a + b x_t + ε_t`` (OLS, ``ε`` iid normal). The counterfactual in the test
period is ``a + b x_t``; the cumulative effect ``Δ = Σ_test (y_t - a - b x_t)`` has the predictive
(Student-t, ``n_pre - 2`` degrees of freedom) distribution with variance
``σ² (T1 + cᵀ (XᵀX)⁻¹ c)``, ``c = Σ_test (1, x_t)`` — which is also the posterior of the paper's
flat-prior Bayesian form. Interval and two-sided p-value come from this one t distribution.
iROAS is ``Δ / Δcost`` with Δcost the cost's own TBR point estimate; its interval is Δ's interval
divided by Δcost (the cost is taken as known, as in the paper).

``inference="ar1"`` keeps TBR's point estimate (the same OLS fit and counterfactual) and replaces the
independent-error variance by the exact variance under autocorrelated regression errors: ``Δ̂ − Δ =
wᵀε`` with ``w = 1`` on the test dates and ``w_pre = −X_pre (X_preᵀX_pre)⁻¹ c`` on the pre-period (the
OLS coefficients' error), so ``Var = wᵀ Σ w``. The errors are an AR(1) component plus white noise,
``Σ_st = σ²(λ ρ^|s−t| + (1 − λ)·1[s = t])`` (an ARMA(1,1)), with ``ρ``, ``λ`` and ``σ²`` fitted to the
pre-period regression by restricted maximum likelihood (grid over ``ρ ∈ [0, 0.99]`` and ``λ ∈ [0, 1]``);
interval and p-value from a t distribution with ``n_pre − 4`` degrees of freedom. A plain AR(1) fitted
to the residuals' lag-1 autocorrelation is not enough: a slow shock the groups share to different
degrees, under daily noise, has a small lag-1 autocorrelation but dominates the variance of a 4-week
sum. This model is honest as long as the residual drift is stationary — a geo-specific *trend* in the
treatment group is not, and no error model on the residuals fixes it (docs/experiments.md).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from omnimix.errors import UsageError
from omnimix.experiments.prepared import Design, Estimate

Arr = NDArray[np.float64]


def _fit(y: Arr, x: Arr, pre: NDArray[np.bool_]) -> tuple[Arr, Arr, float, int]:
    X = np.column_stack([np.ones(int(pre.sum())), x[pre]])
    beta, *_ = np.linalg.lstsq(X, y[pre], rcond=None)
    resid = y[pre] - X @ beta
    dof = int(pre.sum()) - 2
    sigma2 = float(resid @ resid) / dof if dof > 0 else float("nan")
    XtX_inv = np.linalg.pinv(X.T @ X)
    return np.asarray(beta, dtype=float), np.asarray(XtX_inv, dtype=float), sigma2, dof


_RHO_GRID = np.concatenate([np.linspace(0.0, 0.9, 10), np.linspace(0.92, 0.99, 8)])
_MIX_GRID = np.linspace(0.0, 1.0, 11)


def ar1_covariance(X: Arr, y: Arr, n_dates: int) -> tuple[Arr, dict[str, float]]:
    """``(Σ over n_dates, {"rho", "ar_share", "sigma2"})``: the error covariance
    ``σ²(λ ρ^|s−t| + (1 − λ) 1[s = t])`` (an AR(1) component plus white noise) fitted to the pre-period
    regression ``y = Xβ + ε`` by restricted maximum likelihood over a grid of ``ρ`` and ``λ``."""
    n, k = X.shape
    lag = np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
    eye = np.eye(n)
    best: tuple[float, float, float, float] | None = None
    for rho in _RHO_GRID:
        R_ar = rho ** lag
        for lam in _MIX_GRID:
            R = lam * R_ar + (1.0 - lam) * eye
            try:
                L = np.linalg.cholesky(R)
            except np.linalg.LinAlgError:
                continue
            Xs, ys = np.linalg.solve(L, X), np.linalg.solve(L, y)
            A = Xs.T @ Xs
            r = ys - Xs @ np.linalg.solve(A, Xs.T @ ys)
            s2 = float(r @ r) / (n - k)
            if s2 <= 0:
                continue
            ll = -0.5 * ((n - k) * np.log(s2) + 2.0 * float(np.log(np.diag(L)).sum()) + np.linalg.slogdet(A)[1])
            if best is None or ll > best[0]:
                best = (ll, float(rho), float(lam), s2)
    if best is None:                       # degenerate (e.g. a perfect fit): independent errors
        r = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
        best = (0.0, 0.0, 0.0, float(r @ r) / max(n - k, 1))
    _, rho, lam, s2 = best
    lagT = np.abs(np.subtract.outer(np.arange(n_dates), np.arange(n_dates)))
    S = s2 * (lam * rho ** lagT + (1.0 - lam) * np.eye(n_dates))
    return S, {"rho": rho, "ar_share": lam, "sigma2": s2}


def analyze_tbr(d: Design, *, level: float, inference: str = "t") -> Estimate:
    """TBR on the treatment and control totals; effects reported per treated geo per date."""
    if d.pre.sum() < 4:
        raise UsageError("TBR needs at least 4 pre-period dates")
    if inference not in ("t", "ar1"):
        raise UsageError(f"inference {inference!r} is not available for tbr; use t or ar1")
    y = d.Y[:, d.treated].sum(axis=1)
    x = d.Y[:, d.control].sum(axis=1)
    beta, XtX_inv, sigma2, dof = _fit(y, x, d.pre)
    cf_total = beta[0] + beta[1] * x
    delta = float((y - cf_total)[d.post].sum())
    c = np.array([d.n_post, float(x[d.post].sum())])
    Xall = np.column_stack([np.ones(x.size), x])
    details: dict[str, float | int] = {}
    if inference == "t":
        var = sigma2 * (d.n_post + float(c @ XtX_inv @ c))
        sd_t = np.sqrt(sigma2 * (1.0 + np.einsum("ij,jk,ik->i", Xall, XtX_inv, Xall)))
    else:
        pre_idx, post_idx = np.flatnonzero(d.pre), np.flatnonzero(d.post)
        S, fitted = ar1_covariance(Xall[pre_idx], y[pre_idx], x.size)
        H = XtX_inv @ Xall[pre_idx].T                       # (2, n_pre): β̂ − β = H ε_pre
        w = np.zeros(x.size)
        w[post_idx] = 1.0
        w[pre_idx] = -(c @ H)
        var = float(w @ S @ w)
        # per date: ε_t − x_tᵀ(β̂ − β) for each date t (pre-period dates: the fitted residual's own variance)
        W = np.zeros((x.size, x.size))
        W[np.arange(x.size), np.arange(x.size)] = 1.0
        W[:, pre_idx] -= Xall @ H
        sd_t = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", W, S, W), 0.0))
        dof = max(int(d.pre.sum()) - 4, 1)
        details = dict(fitted)
    sd = float(np.sqrt(max(var, 0.0)))
    q = float(stats.t.ppf(0.5 + level / 2.0, dof))
    p = float(2.0 * stats.t.sf(abs(delta) / sd, dof)) if sd > 0 else float(delta == 0.0)
    per = d.n_treated * d.n_post
    n = d.n_treated
    weights = {g: float(beta[1]) / n for g in d.control_geos}
    return Estimate(delta / per, (delta - q * sd) / per, (delta + q * sd) / per, p, cf_total / n,
                    (cf_total - q * sd_t) / n, (cf_total + q * sd_t) / n, weights, inference,
                    {"intercept": float(beta[0]), "slope": float(beta[1]), "sigma": float(np.sqrt(sigma2)),
                     "dof": dof, "cumulative_sd": sd, **details})


def tbr_point(d: Design, M: Arr) -> float:
    """TBR point effect per treated geo per date of series ``M`` (e.g. cost)."""
    y = M[:, d.treated].sum(axis=1)
    x = M[:, d.control].sum(axis=1)
    if np.ptp(x[d.pre]) == 0.0:      # constant control cost: the counterfactual is the pre-period level
        cf = np.full(y.size, float(y[d.pre].mean()))
    else:
        beta, *_ = _fit(y, x, d.pre)
        cf = beta[0] + beta[1] * x
    return float((y - cf)[d.post].sum()) / (d.n_treated * d.n_post)
