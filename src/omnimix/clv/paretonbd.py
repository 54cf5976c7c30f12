"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987) fitted by maximum likelihood in log space.

While alive a customer buys at rate ``lambda ~ Gamma(r, alpha)`` and dies after an exponential
lifetime with rate ``mu ~ Gamma(s, beta)``. Integrating over the death time τ gives::

    L = Γ(r+x)/Γ(r) α^r β^s [ (α+T)^−(r+x) (β+T)^−s  +  s ∫_{t_x}^{T} (α+τ)^−(r+x) (β+τ)^−(s+1) dτ ]

The usual closed form writes the integral with two Gauss hypergeometric functions whose difference
cancels catastrophically and overflows for frequencies in the hundreds (the classic failure of
``lifetimes``). Here the integral is evaluated directly in log space, in ``v = ln(min(α, β) + τ)``:
the log-integrand is concave in v with one change of slope at ``v = ln|α − β|``, so two Gauss–Legendre
panels (20 nodes each) split there, each cut where concavity proves the remainder below e^-50, give
~1e-10 relative accuracy for any frequency (checked against adaptive quadrature in the tests). The same
nodes give the analytic gradient (derivatives under the integral sign). Fits on more than 200,000
distinct customers start from a fit on a 100,000-customer subsample.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from omnimix.clv._mle import (
    FittedModel,
    FloatArray,
    maximise,
    validate_rft,
    validate_weights,
)

NAMES = ("r", "alpha", "s", "beta")
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(20)
_U01 = 0.5 * (_NODES + 1.0)  # nodes on (0, 1), shape (m,)
_W01 = 0.5 * _WEIGHTS
_CUT = 50.0  # panels stop where the log-integrand has provably fallen by this much
_CHUNK = 32768


class ParetoNBDModel(FittedModel):
    """Pareto/NBD model.

    Args:
        params: optional known parameters, keys ``r, alpha, s, beta``.
    """

    model = "paretonbd"

    names = NAMES

    def fit(
        self, frequency: Any, recency: Any, T: Any, weights: Any = None, time_unit: str | None = None
    ) -> ParetoNBDModel:
        """Fit by maximum likelihood (arguments as :meth:`BetaGeoModel.fit`)."""
        x, t_x, big_t = validate_rft(frequency, recency, T)
        w = validate_weights(weights, x.size)
        x, t_x, big_t, w = _compress(x, t_x, big_t, w)
        objective = _objective(x, t_x, big_t, w)
        scale = float(np.average(big_t, weights=w))
        theta0 = np.array([0.0, np.log(max(scale, 1e-3) / 4.0), 0.0, np.log(max(scale, 1e-3) / 4.0)])
        if x.size > 200_000:  # warm start from a subsample: the full data then needs a few iterations
            idx = np.random.default_rng(0).choice(x.size, 100_000, replace=False)
            sub_fit = maximise(
                self.model,
                NAMES,
                _objective(x[idx], t_x[idx], big_t[idx], w[idx]),
                theta0,
                idx.size,
                float(w[idx].sum()),
                time_unit,
                gtol=1e-6,
                stderr=False,
            )
            theta0 = np.log([sub_fit.params[k] for k in NAMES])
        self._result = maximise(
            self.model, NAMES, objective, theta0, round(float(w.sum())), float(w.sum()), time_unit
        )
        return self

    def log_likelihood(self, frequency: Any, recency: Any, T: Any) -> FloatArray:
        """Per-customer log-likelihood at the fitted parameters, shape (n,)."""
        x, t_x, big_t = validate_rft(frequency, recency, T)
        theta = np.log([self.params[k] for k in NAMES])
        return _terms(theta, x, t_x, big_t, grad=False)[0]

    def p_alive(self, frequency: Any, recency: Any, T: Any) -> FloatArray:
        """P(alive at T | history), shape (n,)."""
        x, t_x, big_t = validate_rft(frequency, recency, T)
        theta = np.log([self.params[k] for k in NAMES])
        return _terms(theta, x, t_x, big_t, grad=False)[1]

    def expected_purchases(self, t: float, frequency: Any, recency: Any, T: Any) -> FloatArray:
        """Expected purchases in (T, T+t] given the history, shape (n,).

        ``E = P(alive) (r+x)(β+T) / ((α+T)(s−1)) [1 − ((β+T)/(β+T+t))^(s−1)]`` (limit ``ln`` at s = 1).
        """
        x, t_x, big_t = validate_rft(frequency, recency, T)
        r, alpha, s, beta = (self.params[k] for k in NAMES)
        if t <= 0:
            return np.zeros_like(x)
        pa = self.p_alive(x, t_x, big_t)
        lg = np.log1p(t / (beta + big_t))  # ln((β+T+t)/(β+T))
        return np.asarray(
            pa * (r + x) * (beta + big_t) / (alpha + big_t) * _expm1_ratio(s - 1.0, lg), dtype=float
        )

    def expected_purchases_new(self, t: Any) -> FloatArray:
        """Expected purchases in (0, t] of a new customer, shape of ``t``."""
        r, alpha, s, beta = (self.params[k] for k in NAMES)
        tt = np.asarray(t, dtype=float)
        return np.asarray(r * beta / alpha * _expm1_ratio(s - 1.0, np.log1p(tt / beta)), dtype=float)


def _expm1_ratio(k: float, lg: Any) -> Any:
    """(1 − exp(−k·lg)) / k, continuous at k = 0 (→ lg)."""
    if abs(k) < 1e-10:
        return lg
    return -np.expm1(-k * lg) / k


def _compress(
    x: FloatArray, t_x: FloatArray, big_t: FloatArray, w: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Merge identical (x, t_x, T) rows into weights (e.g. all one-time buyers of one cohort)."""
    stacked = np.stack([x, t_x, big_t], axis=1)
    uniq, inv = np.unique(stacked, axis=0, return_inverse=True)
    if uniq.shape[0] > 0.8 * x.size:
        return x, t_x, big_t, w
    wu = np.bincount(inv.reshape(-1), weights=w, minlength=uniq.shape[0])
    keep = wu > 0
    out: tuple[FloatArray, FloatArray, FloatArray, FloatArray] = (
        uniq[keep, 0],
        uniq[keep, 1],
        uniq[keep, 2],
        np.asarray(wu[keep], dtype=float),
    )
    return out


def _terms(
    theta: FloatArray, x: FloatArray, t_x: FloatArray, big_t: FloatArray, grad: bool
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-customer log-likelihood (n,), P(alive) (n,), and gradient w.r.t. natural params (n, 4)."""
    from scipy.special import digamma, gammaln

    r, alpha, s, beta = np.exp(theta)
    n = x.size
    ll = np.empty(n)
    pa = np.empty(n)
    g = np.empty((n, 4)) if grad else np.empty((0, 4))
    for lo in range(0, n, _CHUNK):
        sl = slice(lo, min(n, lo + _CHUNK))
        xc, tc, bc = x[sl], t_x[sl], big_t[sl]
        rho = r + xc
        sig = s + 1.0
        # log of the survival branch: −ρ ln(α+T) − s ln(β+T)
        la_t = np.log(alpha + bc)
        lb_t = np.log(beta + bc)
        big_a = -rho * la_t - s * lb_t
        # integral over the death time, in log space: v = ln(m + τ), m = min(α, β), on two panels
        # split at the transition v = ln|α − β|, each cut where concavity bounds the rest below e^-50
        la, lb, inv_a, inv_b, mx, e, tot, log_i = _log_integral(alpha, beta, rho, sig, tc, bc)
        b_branch = np.log(s) + log_i
        lse = np.logaddexp(big_a, b_branch)
        const = gammaln(rho) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        ll[sl] = const + lse
        w_a = np.exp(big_a - lse)
        pa[sl] = w_a
        if grad:
            w_i = 1.0 - w_a
            # node weights normalised per customer: E_I[h] = Σ_j e_j h_j / Σ_j e_j
            w_n = np.where(np.isfinite(mx) & (tot > 0), w_i / np.where(tot > 0, tot, 1.0), 0.0)

            def avg(h: FloatArray, e: FloatArray = e, w_n: FloatArray = w_n) -> FloatArray:
                return np.asarray(np.einsum("ij,ij->i", e, h) * w_n, dtype=float)

            g[sl, 0] = digamma(rho) - digamma(r) + np.log(alpha) - w_a * la_t - avg(la)
            g[sl, 1] = r / alpha - w_a * rho / (alpha + bc) - rho * avg(inv_a)
            g[sl, 2] = np.log(beta) - w_a * lb_t + w_i / s - avg(lb)
            g[sl, 3] = s / beta - w_a * s / (beta + bc) - sig * avg(inv_b)
    return ll, pa, g


def _log_integral(
    alpha: float, beta: float, rho: FloatArray, sig: float, tc: FloatArray, bc: FloatArray
) -> tuple[FloatArray, ...]:
    """log ∫_{t_x}^{T} (α+τ)^−ρ (β+τ)^−σ dτ by two-panel Gauss–Legendre in v = ln(m+τ).

    The log-integrand ``h(v) = v − ρ ln(α+τ) − σ ln(β+τ)`` is concave in v, with slope
    ``1 − ρ e^v/(α+τ) − σ e^v/(β+τ)`` stepping down around ``v = ln|α−β|``; each panel starts at a
    point ``v_a`` and is cut at ``v_a + 50/|h'(v_a)|`` (beyond it, ``h < h(v_a) − 50`` by concavity).

    Returns:
        ln(α+τ_j), ln(β+τ_j), 1/(α+τ_j), 1/(β+τ_j) (c, 2m); row max of the log terms (c,);
        exp(terms − max) (c, 2m); their row sums (c,); log integral (c,) (−inf where t_x = T).
    """
    m = min(alpha, beta)
    da, db = alpha - m, beta - m
    delta = max(da, db)
    v0 = np.log(m + tc)
    v1 = np.log(m + bc)
    vt = np.clip(np.log(delta) if delta > 0 else -np.inf, v0, v1)

    def slope(v: FloatArray) -> FloatArray:
        ev = np.exp(v)
        return np.asarray(1.0 - rho * ev / (ev + da) - sig * ev / (ev + db), dtype=float)

    panels = []
    for lo, hi in ((v0, vt), (vt, v1)):
        sl = slope(lo)
        cut = np.where(sl < 0, lo + _CUT / np.maximum(-sl, 1e-300), np.inf)
        hi_c = np.minimum(hi, cut)
        span = np.maximum(hi_c - lo, 0.0)
        v = lo[:, None] + span[:, None] * _U01[None, :]
        with np.errstate(divide="ignore"):
            lw = np.log(_W01)[None, :] + np.log(span)[:, None]
        panels.append((v, lw))
    v = np.concatenate([panels[0][0], panels[1][0]], axis=1)
    lw = np.concatenate([panels[0][1], panels[1][1]], axis=1)
    ev_neg = np.exp(-v)  # 1/(m+τ)
    # one of α+τ, β+τ is m+τ = e^v itself; only the other needs a logarithm
    l_far = v + np.log1p(delta * ev_neg)
    inv_far = ev_neg / (1.0 + delta * ev_neg)
    if da > 0:
        la, lb, inv_a, inv_b = l_far, v, inv_far, ev_neg
    else:
        la, lb, inv_a, inv_b = v, l_far, ev_neg, inv_far
    lw += v
    lw -= rho[:, None] * la
    lw -= sig * lb
    mx = np.max(lw, axis=1)
    fin = np.isfinite(mx)
    mx_safe = np.where(fin, mx, 0.0)
    e = np.exp(lw - mx_safe[:, None])
    tot = e.sum(axis=1)
    with np.errstate(divide="ignore"):
        log_i = np.where(fin, mx_safe + np.log(np.where(fin, tot, 1.0)), -np.inf)
    return la, lb, inv_a, inv_b, mx, e, tot, log_i


def _objective(x: FloatArray, t_x: FloatArray, big_t: FloatArray, w: FloatArray):  # type: ignore[no-untyped-def]
    wsum = float(w.sum())

    def fun(theta: FloatArray) -> tuple[float, FloatArray]:
        ll, _, g = _terms(theta, x, t_x, big_t, grad=True)
        grad = (w @ g) * np.exp(theta)
        return -float(w @ ll) / wsum, -grad / wsum

    return fun


def simulate_summary(
    params: dict[str, float], T: Any, rng: np.random.Generator | int | None = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Draw (frequency, recency, T) from the Pareto/NBD process; each shape (n,)."""
    gen = np.random.default_rng(rng)
    big_t = np.asarray(T, dtype=float).reshape(-1)
    n = big_t.size
    lam = gen.gamma(params["r"], 1.0 / params["alpha"], n)
    mu = gen.gamma(params["s"], 1.0 / params["beta"], n)
    life = np.minimum(gen.exponential(1.0 / np.maximum(mu, 1e-300)), big_t)
    x = gen.poisson(lam * life)
    recency = np.zeros(n)
    pos = x > 0
    recency[pos] = life[pos] * gen.beta(x[pos], 1.0)
    return x.astype(float), recency, big_t
