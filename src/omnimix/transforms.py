"""Media transforms written once: saturation (Hill, logistic), adstock lag weights, and derivatives.

Every function is array-agnostic: it takes NumPy arrays (or floats) and returns NumPy results, or JAX
arrays inside a traced NumPyro model, choosing the namespace from its first array argument. The MMM,
the simulator, the optimizer and the dashboard all evaluate curves through these functions, so the
formula that fits a curve is the one that plans with it.

Saturation of a per-period media level ``x >= 0`` (``beta`` the maximum response):

* Hill: ``beta · x^s / (x^s + K^s)`` = ``beta / (1 + (K/x)^s)`` (S-shaped for ``s > 1``);
* logistic: ``beta · (1 − e^{−λx}) / (1 + e^{−λx})`` = ``beta · tanh(λx/2)`` (concave).

Adstock spreads spend over ``L`` lags with weights ``w_l`` (summing to 1 over the lag axis):

* geometric ``w_l ∝ α^l``; delayed ``w_l ∝ α^{(l−θ)^2}``; Weibull-PDF ``w_l ∝ pdf(l + ½; k, λ)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

HILL = "hill"
LOGISTIC = "logistic"
SATURATIONS = (HILL, LOGISTIC)
ADSTOCKS = ("geometric", "delayed", "weibull")


def xp_of(*arrays: Any) -> Any:
    """The array namespace of the arguments: ``numpy`` unless one of them is a JAX array or tracer."""
    for a in arrays:
        if a is None or isinstance(a, np.ndarray | float | int | np.generic):
            continue
        mod = type(a).__module__
        if mod.startswith(("jax", "jaxlib")):
            import jax.numpy as jnp

            return jnp
    return np


# ---------------------------------------------------------------------------------------- saturation
def hill(x: Any, half_saturation: Any, slope: Any, beta: Any = 1.0, order: int = 0) -> Any:
    """Hill response ``beta · x^s / (x^s + K^s)`` or its first/second derivative in ``x``.

    Args:
        x: media level(s), any shape broadcastable with the parameters; negative values count as 0.
        half_saturation: ``K > 0``, the level giving half of ``beta``.
        slope: ``s > 0``.
        beta: maximum response.
        order: 0 (value), 1 (d/dx) or 2 (d²/dx²).

    Returns:
        The broadcast shape of the inputs. At ``x = 0`` the value is 0 and derivatives follow their
        limits (0 where they are infinite for ``s < 1``/``s < 2``, rather than NaN).
    """
    xp = xp_of(x, half_saturation, slope, beta)
    xx = xp.maximum(xp.asarray(x, dtype=float), 0.0)
    if order == 0:
        # beta / (1 + (K/x)^s) in logs: stable for large s and tiny x, exactly 0 at x = 0
        if xp is np:
            with np.errstate(divide="ignore", over="ignore"):  # x = 0: log → -inf, exp → inf, value → 0
                return beta / (1.0 + np.exp(slope * (np.log(half_saturation) - np.log(xx))))
        # JAX (float32, gradients through where) keeps the MMM's floor of 1e-12 media units
        v = 1.0 / (1.0 + xp.exp(slope * (xp.log(half_saturation) - xp.log(xp.maximum(xx, 1e-12)))))
        return beta * xp.where(xx > 0, v, 0.0)
    if xp is np:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = _hill_derivative(np, xx, half_saturation, slope, beta, order)
        return np.where(np.isnan(out), 0.0, out)
    out = _hill_derivative(xp, xx, half_saturation, slope, beta, order)
    return xp.where(xp.isnan(out), 0.0, out)


def _hill_derivative(xp: Any, x: Any, k: Any, s: Any, beta: Any, order: int) -> Any:
    r = x / k
    u = r**s
    if order == 1:
        return beta * s * r ** (s - 1.0) / (k * (1.0 + u) ** 2)
    if order == 2:
        return beta * s * r ** (s - 2.0) * ((s - 1.0) - (s + 1.0) * u) / (k**2 * (1.0 + u) ** 3)
    raise ValueError(f"order {order}: use 0, 1 or 2")


def logistic(x: Any, lam: Any, beta: Any = 1.0, order: int = 0) -> Any:
    """Logistic response ``beta · (1 − e^{−λx}) / (1 + e^{−λx})`` or its derivatives in ``x``.

    Args:
        x: media level(s); negative values count as 0.
        lam: rate ``λ > 0`` per unit of ``x``.
        beta: maximum response.
        order: 0, 1 or 2.
    """
    xp = xp_of(x, lam, beta)
    xx = xp.maximum(xp.asarray(x, dtype=float), 0.0)
    e = xp.exp(-lam * xx)
    if order == 0:
        return beta * (1.0 - e) / (1.0 + e)
    if order == 1:
        return 2.0 * beta * lam * e / (1.0 + e) ** 2
    if order == 2:
        return -2.0 * beta * lam**2 * e * (1.0 - e) / (1.0 + e) ** 3
    raise ValueError(f"order {order}: use 0, 1 or 2")


def saturation(kind: str, x: Any, params: dict[str, Any], order: int = 0) -> Any:
    """Evaluate a saturation by name with a parameter mapping (``beta`` defaults to 1).

    ``params`` holds ``half_saturation`` and ``slope`` for Hill, ``lam`` for logistic.
    """
    beta = params.get("beta", 1.0)
    if kind == HILL:
        return hill(x, params["half_saturation"], params["slope"], beta, order)
    if kind == LOGISTIC:
        return logistic(x, params["lam"], beta, order)
    raise ValueError(f"saturation {kind!r}: expected one of {SATURATIONS}")


# ---------------------------------------------------------------------------------------- adstock
def lags(l_max: int, xp: Any = np) -> Any:
    """Lag index column ``[[0], [1], …, [l_max − 1]]`` of shape (L, 1)."""
    return xp.arange(l_max, dtype=float).reshape((l_max, 1))


def geometric_weights(lag: Any, alpha: Any) -> Any:
    """Unnormalised geometric weights ``α^l``."""
    return alpha**lag


def delayed_weights(lag: Any, alpha: Any, theta: Any) -> Any:
    """Unnormalised delayed weights ``α^{(l − θ)^2}`` (peak at lag θ)."""
    return alpha ** ((lag - theta) ** 2)


def weibull_weights(lag: Any, shape: Any, scale: Any) -> Any:
    """Unnormalised Weibull-PDF weights at ``l + ½`` (a tiny floor keeps every lag positive)."""
    xp = xp_of(lag, shape, scale)
    z = (lag + 0.5) / scale
    return shape / scale * z ** (shape - 1) * xp.exp(-(z**shape)) + 1e-12


def adstock_weights(kind: str, l_max: int, params: dict[str, Any]) -> Any:
    """Normalised lag weights of shape (..., L, C) for parameters of shape (..., C) (or scalars → (L, 1)).

    Args:
        kind: ``"geometric"`` (``alpha``), ``"delayed"`` (``alpha``, ``theta``) or ``"weibull"``
            (``shape``, ``scale``).
        l_max: number of lags L.
        params: the kind's parameters.
    """
    xp = xp_of(*params.values())
    lag = lags(l_max, xp)
    q = {k: xp.expand_dims(xp.asarray(v, dtype=float), -2) for k, v in params.items()}
    if kind == "geometric":
        w = geometric_weights(lag, q["alpha"])
    elif kind == "delayed":
        w = delayed_weights(lag, q["alpha"], q["theta"])
    elif kind == "weibull":
        w = weibull_weights(lag, q["shape"], q["scale"])
    else:
        raise ValueError(f"adstock {kind!r}: expected one of {ADSTOCKS}")
    return w / xp.sum(w, axis=-2, keepdims=True)


def apply_adstock(x: Any, weights: Any) -> np.ndarray:
    """Carry-over with zero history: ``out[t] = Σ_l w_l · x[t − l]`` along axis 0 (NumPy).

    Args:
        x: spend, shape (T,) or (T, C).
        weights: shape (L,) (one set for every column) or (L, C).
    """
    xa = np.asarray(x, dtype=float)
    w = np.asarray(weights, dtype=float)
    t = xa.shape[0]
    out = np.zeros_like(xa)
    for lag in range(min(w.shape[0], t)):
        out[lag:] += w[lag] * xa[: t - lag]
    return out
