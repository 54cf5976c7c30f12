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


def analyze_tbr(d: Design, *, level: float) -> Estimate:
    """TBR on the treatment and control totals; effects reported per treated geo per date."""
    if d.pre.sum() < 4:
        raise UsageError("TBR needs at least 4 pre-period dates")
    y = d.Y[:, d.treated].sum(axis=1)
    x = d.Y[:, d.control].sum(axis=1)
    beta, XtX_inv, sigma2, dof = _fit(y, x, d.pre)
    cf_total = beta[0] + beta[1] * x
    delta = float((y - cf_total)[d.post].sum())
    c = np.array([d.n_post, float(x[d.post].sum())])
    var = sigma2 * (d.n_post + float(c @ XtX_inv @ c))
    sd = float(np.sqrt(max(var, 0.0)))
    q = float(stats.t.ppf(0.5 + level / 2.0, dof))
    p = float(2.0 * stats.t.sf(abs(delta) / sd, dof)) if sd > 0 else float(delta == 0.0)
    per = d.n_treated * d.n_post
    Xall = np.column_stack([np.ones(x.size), x])
    sd_t = np.sqrt(sigma2 * (1.0 + np.einsum("ij,jk,ik->i", Xall, XtX_inv, Xall)))
    n = d.n_treated
    weights = {g: float(beta[1]) / n for g in d.control_geos}
    return Estimate(delta / per, (delta - q * sd) / per, (delta + q * sd) / per, p, cf_total / n,
                    (cf_total - q * sd_t) / n, (cf_total + q * sd_t) / n, weights, "t",
                    {"intercept": float(beta[0]), "slope": float(beta[1]), "sigma": float(np.sqrt(sigma2)),
                     "dof": dof, "cumulative_sd": sd})


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
