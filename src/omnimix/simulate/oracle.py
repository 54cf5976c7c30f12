"""Known-curve reference: how well could *any* MMM recover a simulated world's ROIs?

An MMM has to learn each channel's adstock and saturation from the data. The oracle is told them:
it regresses the KPI on every channel's *true* contribution series (so each coefficient is 1 in
truth) plus the same baseline regressors the MMM uses (intercept, linear trend, yearly Fourier terms,
the retail event flags and the controls), by feasible GLS with AR(1) errors (Prais–Winsten,
iterated). What is left is pure identification: spend variation against KPI noise, latent demand and
collinearity between channels. If the oracle's 90% interval misses a channel, or its estimate is far
from 1, the data of that world cannot pin that channel down, and a fitted MMM that misses it is not
evidence of a modelling bug.

``benchmarks/mmm.py --recovery`` prints the oracle next to every fit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

Z90 = 1.6448536269514722  # two-sided 90% normal quantile


def _prais_winsten(a: np.ndarray, y: np.ndarray, rho: float) -> tuple[np.ndarray, np.ndarray]:
    """Transform (A, y) so that AR(1) errors with coefficient ``rho`` become white noise."""
    head = np.sqrt(1.0 - rho**2)
    a2 = np.vstack([head * a[:1], a[1:] - rho * a[:-1]])
    y2 = np.concatenate([head * y[:1], y[1:] - rho * y[:-1]])
    return a2, y2


def ar1_gls(
    a: np.ndarray,
    y: np.ndarray,
    iterations: int = 5,
    extra: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Feasible GLS of ``y`` on the columns of ``a`` with AR(1) errors.

    Args:
        a, y: design (n, k) and response (n,).
        iterations: further Cochrane–Orcutt style updates of ``rho`` and ``sigma`` after the first.
        extra: independent extra observations ``(a_e (m, k), y_e (m,), sd_e (m,))`` with known
            standard errors (lift tests): ``y_e ~ Normal(a_e @ coef, sd_e)``, stacked with the series.

    Returns:
        ``(coef, se, rho, sigma)``: coefficients, their standard errors, the AR(1) coefficient
        (clipped to [-0.95, 0.95]) and the innovation standard deviation.
    """
    n, k = a.shape
    if n <= k + 1:
        raise ValueError(f"{n} rows cannot identify {k} coefficients and an AR(1) error")
    coef = np.linalg.lstsq(a, y, rcond=None)[0]
    for _ in range(iterations + 1):
        res = y - a @ coef
        den = float(res[:-1] @ res[:-1])
        rho = float(np.clip(res[1:] @ res[:-1] / den, -0.95, 0.95)) if den > 0 else 0.0
        a2, y2 = _prais_winsten(a, y, rho)
        r2 = y2 - a2 @ coef
        sigma = float(np.sqrt(r2 @ r2 / (n - k - 1)))
        if extra is not None:  # rows in units of the innovation sd: weight sigma / sd_e
            wgt = sigma / extra[2]
            a2 = np.vstack([a2, extra[0] * wgt[:, None]])
            y2 = np.concatenate([y2, extra[1] * wgt])
        coef = np.linalg.lstsq(a2, y2, rcond=None)[0]
    cov = sigma**2 * np.linalg.pinv(a2.T @ a2)
    return coef, np.sqrt(np.clip(np.diag(cov), 0.0, None)), rho, sigma


def known_curve_fit(world: Any, fourier_order: int = 2, calibrate: bool = True) -> dict[str, Any]:
    """Fit the known-curve oracle to a :class:`omnimix.simulate.media.MediaWorld`.

    Args:
        world: the simulated world.
        fourier_order: yearly Fourier pairs in the baseline (as the MMM's default).
        calibrate: use the world's lift tests as extra observations (each: the measured lift equals
            the coefficient times the true contribution over its window, with its standard error).

    Returns:
        ``{"channels": {name: {"true_roi", "roi", "lo", "hi", "covered", "coef", "coef_se"}},
        "coverage", "media_total_error", "rho", "sigma"}`` — the same keys as
        :func:`omnimix.simulate.truth.compare_to_truth` where they overlap; ``coef`` is the estimated
        multiple of the true contribution (1 is exact).
    """
    from omnimix.mmm.spec import MMMConfig, prepare
    from omnimix.simulate.truth import from_world

    # the MMM's own design: the same Fourier terms, kept event flags, controls and lift-test windows
    prep = prepare(from_world(world, calibrate=calibrate), MMMConfig(fourier_order=fourier_order))
    df = world.weekly
    chans = list(world.truth["channels"])
    t_n = len(df)
    base = np.column_stack([np.ones(t_n), prep.time, prep.seasonal, prep.controls[:, 0, :]])
    contrib = np.column_stack([df[f"contribution_{c}"].to_numpy(float) for c in chans])
    k = base.shape[1]
    extra = None
    if prep.exp_weight.shape[0]:
        a_e = np.zeros((prep.exp_weight.shape[0], k + len(chans)))
        for r, j in enumerate(prep.exp_channel):
            a_e[r, k + j] = prep.exp_weight[r] @ contrib[:, j]
        ys_mean = float(prep.y_scale.mean())  # prepare() scales lifts by the mean KPI scale
        extra = (a_e, prep.exp_lift.astype(float) * ys_mean, prep.exp_sd.astype(float) * ys_mean)
    coef, se, rho, sigma = ar1_gls(np.column_stack([base, contrib]), df["kpi"].to_numpy(float), extra=extra)
    out: dict[str, Any] = {}
    hits = 0
    for i, c in enumerate(chans):
        b, s = float(coef[k + i]), float(se[k + i])
        roi = float(world.truth["channels"][c]["roi"])
        lo, hi = b - Z90 * s, b + Z90 * s
        ok = bool(lo <= 1.0 <= hi)
        hits += ok
        out[c] = {"true_roi": roi, "roi": b * roi, "lo": lo * roi, "hi": hi * roi, "covered": ok,
                  "coef": b, "coef_se": s}  # fmt: skip
    media = float(contrib.sum(axis=0) @ coef[k:])
    return {
        "channels": out,
        "coverage": hits / len(chans),
        "media_total_error": media / float(world.truth["media_total"]) - 1.0,
        "rho": rho,
        "sigma": sigma,
    }
