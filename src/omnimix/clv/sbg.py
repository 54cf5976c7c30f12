"""Shifted-beta-geometric (sBG) model of contractual retention (Fader & Hardie 2007).

Each customer churns at the end of a period with probability ``θ ~ Beta(alpha, beta)``. From a cohort's
counts alive at the start of each period ``n_0, n_1, …, n_k``::

    P(T = t) = B(α+1, β+t−1) / B(α, β),    S(t) = B(α, β+t) / B(α, β)
    LL = Σ_{t=1..k} (n_{t−1} − n_t) ln P(T = t) + n_k ln S(k)

Retention in period t is ``(β+t−1)/(α+β+t−1)``; the discounted expected lifetime (in periods, first
payment undiscounted) is ``DEL(d) = 2F1(1, β; α+β; 1/(1+d))``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from omnimix.clv._mle import FittedModel, FloatArray, as_float_array, maximise
from omnimix.errors import InputDataError

NAMES = ("alpha", "beta")


def parse_survival(text: str) -> FloatArray:
    """Parse ``"1000,631,468"`` into counts, shape (k+1,)."""
    try:
        vals = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError as exc:
        raise InputDataError("--survival", f"{text!r} is not a comma-separated list of numbers") from exc
    return np.asarray(vals, dtype=float)


def validate_survival(survival: Any) -> FloatArray:
    """Check cohort counts: at least two, non-negative, non-increasing, first > 0; shape (k+1,)."""
    n = as_float_array("survival", survival)
    if n.size < 2:
        raise InputDataError(
            "survival",
            f"got {n.size} count(s); expected the number alive at the start of "
            "at least two periods, e.g. 1000,631,468",
        )
    if n[0] <= 0 or np.any(n < 0) or np.any(np.diff(n) > 0):
        raise InputDataError(
            "survival",
            f"counts {n.tolist()} must start > 0, be >= 0 and never increase "
            "(customers alive at the start of each period of one cohort)",
        )
    return n


class ShiftedBetaGeoModel(FittedModel):
    """sBG model for contractual churn.

    Args:
        params: optional known parameters, keys ``alpha, beta``.
    """

    model = "sbg"

    names = NAMES

    def fit(self, survival: Any) -> ShiftedBetaGeoModel:
        """Fit on one cohort's counts alive at the start of each period, shape (k+1,)."""
        n = validate_survival(survival)
        lost = n[:-1] - n[1:]
        t = np.arange(1, n.size, dtype=float)
        last = float(n[-1])
        k = float(n.size - 1)
        total = float(n[0])

        def objective(theta: FloatArray) -> tuple[float, FloatArray]:
            from scipy.special import betaln, digamma

            a, b = np.exp(theta)
            base = betaln(a, b)
            lp = betaln(a + 1.0, b + t - 1.0) - base
            ls = betaln(a, b + k) - base
            ll = float(np.dot(lost, lp) + last * ls)
            dab, da, db = digamma(a + b), digamma(a), digamma(b)
            # d ln P(T=t): ψ(a+1) − ψ(a+b+t) − (ψ(a) − ψ(a+b)) ; ψ(b+t−1) − ψ(a+b+t) − (ψ(b) − ψ(a+b))
            dabt = digamma(a + b + t)
            g_a = np.dot(lost, digamma(a + 1.0) - dabt - da + dab) + last * (
                da - digamma(a + b + k) - da + dab
            )
            g_b = np.dot(lost, digamma(b + t - 1.0) - dabt - db + dab) + last * (
                digamma(b + k) - digamma(a + b + k) - db + dab
            )
            return -ll / total, -np.array([g_a * a, g_b * b]) / total

        self._result = maximise(self.model, NAMES, objective, np.zeros(2), int(total), total)
        return self

    def survival(self, t: Any) -> FloatArray:
        """S(t): share of a cohort still active at the start of period t (S(0) = 1), shape of ``t``."""
        from scipy.special import betaln

        a, b = self.params["alpha"], self.params["beta"]
        tt = np.asarray(t, dtype=float)
        return np.asarray(np.exp(betaln(a, b + tt) - betaln(a, b)), dtype=float)

    def retention(self, t: Any) -> FloatArray:
        """Retention rate in period t >= 1: ``(β+t−1)/(α+β+t−1)``, shape of ``t``."""
        a, b = self.params["alpha"], self.params["beta"]
        tt = np.asarray(t, dtype=float)
        return np.asarray((b + tt - 1.0) / (a + b + tt - 1.0), dtype=float)

    def discounted_expected_lifetime(self, discount_rate: float) -> float:
        """DEL: expected discounted number of periods paid by a new customer (first undiscounted)."""
        from scipy.special import hyp2f1

        if discount_rate <= 0:
            raise InputDataError("discount_rate", f"{discount_rate!r}; expected > 0 (e.g. 0.1 per period)")
        a, b = self.params["alpha"], self.params["beta"]
        return float(hyp2f1(1.0, b, a + b, 1.0 / (1.0 + discount_rate)))
