"""Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV").

A customer's transaction values are Gamma(shape p, rate ν) with ``ν ~ Gamma(shape q, rate γ)``
across customers; spend is assumed independent of purchase frequency. For a customer with ``x``
repeat purchases averaging ``m``::

    LL = lnΓ(px+q) − lnΓ(px) − lnΓ(q) + q ln γ + (px−1) ln m + px ln x − (px+q) ln(γ + m x)

    E[spend | x, m] = p (γ + m x) / (p x + q − 1)

Only customers with x > 0 and m > 0 enter the fit (one-time buyers carry no repeat-spend data).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from omnimix.clv._mle import (
    FittedModel,
    FloatArray,
    as_float_array,
    maximise,
    validate_weights,
)
from omnimix.errors import InputDataError

logger = logging.getLogger("omnimix")
NAMES = ("p", "q", "gamma")


class GammaGammaModel(FittedModel):
    """Gamma-Gamma spend model.

    Args:
        params: optional known parameters, keys ``p, q, gamma``.
    """

    model = "gammagamma"

    names = NAMES

    def __init__(self, params: dict[str, float] | None = None) -> None:
        super().__init__(params)
        self._fallback_mean = float("nan")

    def fit(self, frequency: Any, monetary_value: Any, weights: Any = None) -> GammaGammaModel:
        """Fit on repeat buyers.

        Args:
            frequency: repeat purchases, shape (n,); rows with 0 are ignored.
            monetary_value: mean value of the repeat purchases, shape (n,); rows <= 0 are ignored.
            weights: optional row weights, shape (n,).

        Returns:
            self.

        Raises:
            InputDataError: fewer than 3 customers with repeat purchases and positive spend.
        """
        x = as_float_array("frequency", frequency)
        m = as_float_array("monetary_value", monetary_value)
        if x.size != m.size:
            raise InputDataError("summary", f"frequency has {x.size} rows, monetary_value {m.size}")
        w = validate_weights(weights, x.size)
        keep = (x > 0) & (m > 0) & (w > 0)
        if int(keep.sum()) < 3:
            raise InputDataError(
                "summary",
                f"only {int(keep.sum())} customers have repeat purchases with spend > 0; "
                "the Gamma-Gamma model needs at least 3 (use a longer calibration period)",
            )
        x, m, w = x[keep], m[keep], w[keep]
        self._fallback_mean = float(np.average(m, weights=w))
        objective = _objective(x, m, w)
        mean_m = float(np.average(m, weights=w))
        theta0 = np.array([np.log(2.0), np.log(2.0), np.log(mean_m)])
        self._result = maximise(self.model, NAMES, objective, theta0, int(x.size), float(w.sum()))
        return self

    def log_likelihood(self, frequency: Any, monetary_value: Any) -> FloatArray:
        """Per-customer log-likelihood (x > 0, m > 0 required), shape (n,)."""
        x = as_float_array("frequency", frequency)
        m = as_float_array("monetary_value", monetary_value)
        p, q, g = (self.params[k] for k in NAMES)
        return _ll(p, q, g, x, m)

    def expected_spend(self, frequency: Any, monetary_value: Any) -> FloatArray:
        """Expected value of a future transaction per customer, shape (n,).

        Customers without repeat purchases get the population mean ``p γ / (q − 1)`` (when ``q <= 1``
        that mean is infinite and the observed mean spend of repeat buyers is used instead).
        """
        x = as_float_array("frequency", frequency)
        m = as_float_array("monetary_value", monetary_value)
        p, q, g = (self.params[k] for k in NAMES)
        has = (x > 0) & (m > 0)
        xs = np.where(has, x, 0.0)
        ms = np.where(has, m, 0.0)
        denom = p * xs + q - 1.0
        if q > 1.0:
            pop = p * g / (q - 1.0)
        else:
            pop = self._fallback_mean if np.isfinite(self._fallback_mean) else float(np.mean(m[has]))
            logger.warning(
                "gammagamma: q = %.4g <= 1, the population mean spend is infinite; "
                "using the observed mean %.4g for customers without repeat purchases",
                q,
                pop,
            )
        cond = np.where(denom > 0, p * (g + ms * xs) / np.where(denom > 0, denom, 1.0), pop)
        return np.asarray(np.where(has, cond, pop), dtype=float)


def _ll(p: float, q: float, g: float, x: FloatArray, m: FloatArray) -> FloatArray:
    from scipy.special import gammaln

    px = p * x
    return np.asarray(
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(g)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(g + m * x),
        dtype=float,
    )


def _objective(x: FloatArray, m: FloatArray, w: FloatArray):  # type: ignore[no-untyped-def]
    from scipy.special import digamma

    wsum = float(w.sum())
    lm, lx = np.log(m), np.log(x)
    mx = m * x

    def fun(theta: FloatArray) -> tuple[float, FloatArray]:
        p, q, g = np.exp(theta)
        ll = _ll(p, q, g, x, m)
        px = p * x
        lgm = np.log(g + mx)
        dpq = digamma(px + q)
        g_p = np.dot(w, x * (dpq - digamma(px) + lm + lx - lgm))
        g_q = np.dot(w, dpq - digamma(q) + np.log(g) - lgm)
        g_g = np.dot(w, q / g - (px + q) / (g + mx))
        grad = np.array([g_p * p, g_q * q, g_g * g])
        return -float(np.dot(w, ll)) / wsum, -grad / wsum

    return fun
