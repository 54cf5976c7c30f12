"""Synthetic control with unit fixed effects and its ridge-augmented form.

Notation: ``y1`` is the treatment group's series (mean per treated geo, one value per date), ``Y0`` the
``dates × donors`` matrix of the control geos and ``fit`` a boolean mask of the dates the weights are
fitted on (the pre-period; under a conformal null, every date).

* **Synthetic control with fixed effects** (Doudchenko & Imbens 2016; GeoLift's ``fixed_effects=TRUE``,
  augsynth's ``fixedeff=TRUE`` with ``progfunc="None"``): every series is demeaned by its mean over the
  fit dates, the simplex weights minimise ``||ỹ1 - Ỹ0 w||²`` over those dates, and the counterfactual is
  ``mean_fit(y1) + (Y0 - mean_fit(Y0)) w``.
* **Augmented synthetic control** (Ben-Michael, Feller & Rothstein 2021, ridge ASCM as in augsynth's
  ``progfunc="Ridge"``): on the same demeaned series, with donors centred per date,
  ``w_aug = w_sc + X0 (X0ᵀX0 + λI)⁻¹ (x1 - X0ᵀ w_sc)`` (``X0``: donors × fit dates); the weights
  still sum to one but may be negative. ``λ`` is chosen as augsynth does: leave-future-out
  cross-validation over the pre-period (fit on the first ``i`` dates, predict date ``i+1``) over a
  log grid of 20 values from ``σ₁(X0)²`` down by ``10⁻⁸``, taking the largest ``λ`` within one standard
  error of the smallest error.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from omnimix.errors import UsageError
from omnimix.experiments.inference import (
    conformal_pvalue,
    invert,
    placebo_space_effects,
    placebo_time_effects,
    rank_pvalue,
)
from omnimix.experiments.prepared import Design, Estimate, residual_band
from omnimix.experiments.simplex import simplex_ls

Arr = NDArray[np.float64]
Mask = NDArray[np.bool_]


def sc_fit(y1: Arr, Y0: Arr, fit: Mask, *, w0: Arr | None = None) -> tuple[Arr, Arr]:
    """Fixed-effect synthetic control: ``(counterfactual over all dates, simplex weights)``."""
    m1 = float(y1[fit].mean())
    m0 = Y0[fit].mean(axis=0)
    w = simplex_ls(Y0[fit] - m0, y1[fit] - m1, w0=w0)
    return m1 + (Y0 - m0) @ w, w


def _ridge_correction(x1: Arr, X0: Arr, w: Arr, lam: float) -> Arr:
    """``X0 (X0ᵀX0 + λI)⁻¹ (x1 - X0ᵀw)`` computed in the donor space (``X0``: donors × dates)."""
    resid = x1 - X0.T @ w
    # (X0ᵀX0 + λI_T)⁻¹ X0ᵀ... written through the push-through identity: X0 (X0ᵀX0+λI)⁻¹ = (X0X0ᵀ+λI)⁻¹ X0
    n = X0.shape[0]
    return np.asarray(np.linalg.solve(X0 @ X0.T + lam * np.eye(n), X0 @ resid), dtype=float)


def asc_fit(y1: Arr, Y0: Arr, fit: Mask, lam: float) -> tuple[Arr, Arr, Arr]:
    """Ridge-augmented SC with fixed effects: ``(counterfactual, augmented weights, SC weights)``."""
    m1 = float(y1[fit].mean())
    m0 = Y0[fit].mean(axis=0)
    D0 = Y0 - m0
    d1 = y1 - m1
    w = simplex_ls(D0[fit], d1[fit])
    X0 = D0[fit].T                       # donors × fit dates
    centre = X0.mean(axis=0)
    w_aug = w + _ridge_correction(d1[fit] - centre, X0 - centre, w, lam)
    return m1 + D0 @ w_aug, w_aug, w


def choose_lambda(y1: Arr, Y0: Arr, fit: Mask, *, n_lambda: int = 20, min_ratio: float = 1e-8,
                  holdout: int = 1) -> tuple[float, dict[str, list[float]]]:
    """augsynth's ``cv_lambda``: ``(λ, {"lambdas", "errors", "se"})`` on the fit dates."""
    m1 = float(y1[fit].mean())
    m0 = Y0[fit].mean(axis=0)
    X0 = (Y0[fit] - m0).T                # donors × T0
    x1 = y1[fit] - m1
    centre = X0.mean(axis=0)
    Xc = X0 - centre
    xt = x1 - centre
    t0 = Xc.shape[1]
    s1 = float(np.linalg.svd(Xc, compute_uv=False)[0]) if Xc.size else 1.0
    lam_max = max(s1 ** 2, 1e-12)
    lambdas = np.exp(np.linspace(np.log(lam_max), np.log(lam_max * min_ratio), n_lambda))
    rows = []
    for i in range(1, t0 - holdout + 1):
        Xa, xa = Xc[:, :i], xt[:i]
        Xb, xb = Xc[:, i:i + holdout], xt[i:i + holdout]
        w = simplex_ls(Xa.T, xa)
        resid = xa - Xa.T @ w
        evals, evecs = np.linalg.eigh(Xa @ Xa.T)
        proj = evecs.T @ (Xa @ resid)
        errs = []
        for lam in lambdas:
            corr = evecs @ (proj / (evals + lam))
            e = xb - Xb.T @ (w + corr)
            errs.append(float(e @ e))
        rows.append(errs)
    E = np.asarray(rows)
    if E.shape[0] < 2:
        return float(lambdas[0]), {"lambdas": lambdas.tolist(), "errors": [], "se": []}
    mean = E.mean(axis=0)
    se = E.std(axis=0, ddof=1) / np.sqrt(E.shape[0])
    best = int(np.argmin(mean))
    ok = np.flatnonzero(mean <= mean[best] + se[best])
    lam = float(lambdas[ok].max())
    return lam, {"lambdas": lambdas.tolist(), "errors": mean.tolist(), "se": se.tolist()}


def analyze_synth(d: Design, *, augmented: bool, level: float, inference: str,
                  rng: np.random.Generator) -> Estimate:
    """Read ``d`` by (augmented) synthetic control with the chosen inference (see module docstring)."""
    y1, Y0 = d.y1(), d.Y0()
    pre, post = d.pre, d.post
    alpha = 1.0 - level
    details: dict[str, Any] = {}
    if augmented:
        lam, _cv = choose_lambda(y1, Y0, pre)
        details["lambda"] = lam

        def fitter(y: Arr, X: Arr, fit: Mask) -> Arr:
            return asc_fit(y, X, fit, lam)[0]

        cf, w, w_sc = asc_fit(y1, Y0, pre, lam)
        details["sc_weights"] = {g: float(v) for g, v in zip(d.control_geos, w_sc, strict=True)}
    else:
        warm: dict[str, Arr] = {}

        def fitter(y: Arr, X: Arr, fit: Mask) -> Arr:
            key = f"{X.shape}"
            out, ww = sc_fit(y, X, fit, w0=warm.get(key))
            warm[key] = ww
            return out

        cf, w = sc_fit(y1, Y0, pre)
    att = float((y1 - cf)[post].mean())
    rmse = float(np.sqrt(np.mean((y1 - cf)[pre] ** 2)))
    scale = max(rmse, 1e-9) / np.sqrt(max(d.n_post, 1)) * 2.0
    rows = pre | post
    if inference == "conformal":
        def pfun(tau0: float) -> float:
            return conformal_pvalue(y1, Y0, rows, post, tau0, fitter)
        details["permutations"] = int(rows.sum())
    elif inference == "placebo_space":
        eff, slope, r = placebo_space_effects(d.Y, d.treated, pre, post, fitter, rng)
        details["placebos"] = int(eff.size)

        def pfun(tau0: float) -> float:
            return rank_pvalue(abs(att - tau0) / max(rmse, 1e-12), np.abs(eff - tau0 * slope) / r)
    elif inference == "placebo_time":
        eff = placebo_time_effects(y1, Y0, pre, d.n_post, fitter)
        if eff.size < 1:
            raise UsageError("placebo-in-time needs a pre-period at least as long as the test period")
        details["placebos"] = int(eff.size)

        def pfun(tau0: float) -> float:
            return rank_pvalue(abs(att - tau0), np.abs(eff))
    else:
        raise UsageError(f"inference {inference!r} is not available for synthetic control; use "
                         "conformal, placebo_space or placebo_time")
    lo, hi, p0 = invert(pfun, att, scale, alpha)
    blo, bhi = residual_band(y1, cf, pre, level)
    weights = {g: float(v) for g, v in zip(d.control_geos, w, strict=True)}
    return Estimate(att, lo, hi, p0, cf, blo, bhi, weights, inference, details)


def synth_point(d: Design, M: Arr, *, augmented: bool, lam: float | None = None) -> float:
    """The point effect per treated geo per date of series ``M`` (e.g. cost) with the same estimator."""
    y1, Y0 = d.y1(M), d.Y0(M)
    if augmented:
        cf = asc_fit(y1, Y0, d.pre, lam if lam is not None else choose_lambda(y1, Y0, d.pre)[0])[0]
    else:
        cf = sc_fit(y1, Y0, d.pre)[0]
    return float((y1 - cf)[d.post].mean())
