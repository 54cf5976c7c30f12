"""Shared maximum-likelihood machinery for the CLV models.

Every model is fitted on log-parameters ``theta = log(params)`` (so positivity is free and the
optimiser never sees an overflow), with an analytic gradient where the model provides one, by
L-BFGS-B inside wide log-space bounds. Standard errors come from a central-difference Hessian of the
(analytic) gradient in log space, mapped to the natural parameters by the delta method
(``se(p) = p * se(theta)``), which is exact for the observed information at the optimum.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from omnimix.errors import ConvergenceError, NotFittedError

logger = logging.getLogger("omnimix")

FloatArray = NDArray[np.float64]
#: negative mean log-likelihood and its gradient, both in log-parameter space
ObjectiveFn = Callable[[FloatArray], tuple[float, FloatArray]]

LOG_BOUND = 14.0  # |log(param)| <= 14  (1e-6 .. 1.2e6)


@dataclass(frozen=True)
class FitResult:
    """The outcome of one maximum-likelihood fit.

    Attributes:
        model: model key (``bgnbd``, ``paretonbd``, ``gammagamma``, ``sbg``).
        params: parameter name → estimate, in the literature's names.
        stderr: parameter name → standard error (NaN where the Hessian is singular, e.g. a parameter
            pinned at a bound because the data cannot identify it).
        log_likelihood: maximised log-likelihood (sum over observations, weights applied).
        n_obs: number of observations (customers, or cohort members for sBG).
        converged: whether the optimiser met its gradient tolerance away from the bounds.
        iterations: optimiser iterations.
        time_unit: unit of the time inputs (``days``/``weeks``), ``None`` for unit-free models.
        at_bound: names of parameters that ended at a log-space bound (not identified by the data).
    """

    model: str
    params: dict[str, float]
    stderr: dict[str, float]
    log_likelihood: float
    n_obs: int
    converged: bool
    iterations: int
    time_unit: str | None = None
    at_bound: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``model, params, log_likelihood, stderr`` first, then diagnostics.

        Non-finite standard errors become ``None``.
        """
        return {
            "model": self.model,
            "params": dict(self.params),
            "log_likelihood": self.log_likelihood,
            "stderr": {k: (v if math.isfinite(v) else None) for k, v in self.stderr.items()},
            "n_obs": self.n_obs,
            "converged": self.converged,
            "time_unit": self.time_unit,
            "at_bound": list(self.at_bound),
        }


def require_fitted(result: FitResult | None, model: str) -> FitResult:
    """Return ``result`` or raise :class:`NotFittedError` naming the model."""
    if result is None:
        raise NotFittedError(f"{model} has no fitted parameters: call .fit(...) first (or pass params=...).")
    return result


class FittedModel:
    """Common state of a fitted model: known parameters or a :class:`FitResult` from ``fit``.

    Subclasses set ``model`` (the short name) and ``names`` (parameter names in the literature's order).
    """

    model: str = ""
    names: tuple[str, ...] = ()

    def __init__(self, params: dict[str, float] | None = None) -> None:
        self._result: FitResult | None = None
        if params is not None:
            self._result = FitResult(
                model=self.model,
                params={k: float(params[k]) for k in self.names},
                stderr={k: float("nan") for k in self.names},
                log_likelihood=float("nan"),
                n_obs=0,
                converged=True,
                iterations=0,
            )

    @property
    def result(self) -> FitResult:
        """The fit (raises NotFittedError before ``fit``)."""
        return require_fitted(self._result, type(self).__name__)

    @property
    def params(self) -> dict[str, float]:
        """Parameter name → value."""
        return self.result.params


def numerical_hessian(objective: ObjectiveFn, theta: FloatArray, step: float = 1e-4) -> FloatArray:
    """Central-difference Hessian of the objective from its gradient.

    Args:
        objective: returns (value, gradient) at a point, shape (k,) → (float, (k,)).
        theta: point, shape (k,).
        step: finite-difference step in log-parameter space.

    Returns:
        Symmetric Hessian, shape (k, k).
    """
    k = theta.size
    hess = np.empty((k, k))
    for i in range(k):
        e = np.zeros(k)
        e[i] = step
        g_plus = objective(theta + e)[1]
        g_minus = objective(theta - e)[1]
        hess[i] = (g_plus - g_minus) / (2.0 * step)
    return 0.5 * (hess + hess.T)


def maximise(
    model: str,
    names: tuple[str, ...],
    objective: ObjectiveFn,
    theta0: FloatArray,
    n_obs: int,
    total_weight: float,
    time_unit: str | None = None,
    gtol: float = 1e-9,
    stderr: bool = True,
) -> FitResult:
    """Maximise a log-likelihood given as a mean negative log-likelihood in log space.

    Args:
        model: model key for the result.
        names: parameter names, length k.
        objective: mean negative log-likelihood and gradient w.r.t. log-parameters, (k,) → (float, (k,)).
        theta0: start, shape (k,).
        n_obs: number of observations (reported).
        total_weight: the sum of observation weights (objective × total_weight = −log-likelihood).
        time_unit: unit recorded on the result.
        gtol: projected-gradient tolerance of L-BFGS-B.
        stderr: compute standard errors (NaN when False).

    Returns:
        The fit.

    Raises:
        ConvergenceError: the log-likelihood is not finite at any start tried.
    """
    with _single_threaded_blas():
        return _maximise(model, names, objective, theta0, n_obs, total_weight, time_unit, gtol, stderr)


def _single_threaded_blas() -> Any:
    """Limit BLAS to one thread while optimising (L-BFGS-B makes tiny LAPACK calls; threaded OpenBLAS
    makes each 5-10x slower on a loaded machine). Uses threadpoolctl when installed."""
    import contextlib

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _maximise(
    model: str,
    names: tuple[str, ...],
    objective: ObjectiveFn,
    theta0: FloatArray,
    n_obs: int,
    total_weight: float,
    time_unit: str | None,
    gtol: float,
    want_stderr: bool,
) -> FitResult:
    from scipy.optimize import minimize

    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(names)

    def safe(theta: FloatArray) -> tuple[float, FloatArray]:
        val, grad = objective(theta)
        if not math.isfinite(val) or not np.all(np.isfinite(grad)):
            return 1e300, np.zeros_like(theta)
        return val, grad

    best: Any = None
    starts = [np.asarray(theta0, dtype=float), np.zeros(len(names))]
    for start in starts:
        res = minimize(
            safe,
            np.clip(start, -LOG_BOUND + 1, LOG_BOUND - 1),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 2000, "gtol": gtol, "ftol": 1e-15, "maxcor": 20},
        )
        if not res.success:  # polish: restart from where it stopped (line-search stalls near the optimum)
            res2 = minimize(
                safe,
                res.x,
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": 2000, "gtol": gtol, "ftol": 1e-15, "maxcor": 20},
            )
            if res2.fun <= res.fun:
                res2.nit += res.nit
                res = res2
        if best is None or res.fun < best.fun:
            best = res
        if res.fun < 1e299 and _gradient_ok(res, gtol):
            break
    assert best is not None
    if not best.fun < 1e299:
        raise ConvergenceError(
            f"{model}: the log-likelihood is not finite at any start (last point {best.x.tolist()}); "
            "check the summary: frequency >= 0, 0 <= recency <= T, T > 0, monetary_value > 0."
        )
    theta = np.asarray(best.x, dtype=float)
    at_bound = tuple(n for n, t in zip(names, theta, strict=True) if abs(t) >= LOG_BOUND - 1e-6)
    converged = _gradient_ok(best, gtol)
    if at_bound:
        logger.warning(
            "%s: parameter(s) %s at the search bound exp(±%g): the data do not identify them",
            model,
            ", ".join(at_bound),
            LOG_BOUND,
        )
    elif not converged:
        logger.warning("%s: optimiser stopped with message %r", model, best.message)
    params = np.exp(theta)
    stderr = _stderr(objective, theta, total_weight, params) if want_stderr else np.full(theta.size, np.nan)
    return FitResult(
        model=model,
        params={n: float(p) for n, p in zip(names, params, strict=True)},
        stderr={n: float(s) for n, s in zip(names, stderr, strict=True)},
        log_likelihood=float(-best.fun * total_weight),
        n_obs=n_obs,
        converged=bool(converged and not at_bound),
        iterations=int(best.nit),
        time_unit=time_unit,
        at_bound=at_bound,
    )


def _gradient_ok(res: Any, gtol: float) -> bool:
    g = np.asarray(res.jac, dtype=float)
    x = np.asarray(res.x, dtype=float)
    free = np.abs(x) < LOG_BOUND - 1e-6
    return bool(np.all(np.abs(g[free]) < max(1e3 * gtol, 1e-5)))


def _stderr(objective: ObjectiveFn, theta: FloatArray, total_weight: float, params: FloatArray) -> FloatArray:
    try:
        hess = numerical_hessian(objective, theta) * total_weight
        if not np.all(np.isfinite(hess)):
            return np.full(theta.size, np.nan)
        cov = np.linalg.inv(hess)
        var = np.diag(cov)
    except np.linalg.LinAlgError:
        return np.full(theta.size, np.nan)
    se_theta = np.where(var > 0, np.sqrt(np.abs(var)), np.nan)
    return np.asarray(params * se_theta, dtype=float)


def as_float_array(name: str, values: Any) -> FloatArray:
    """Convert to a 1-D float array (shape (n,)), raising a clear error on bad input."""
    from omnimix.errors import InputDataError

    arr = np.asarray(values, dtype=float).reshape(-1)
    if not np.all(np.isfinite(arr)):
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise InputDataError(
            name, f"non-finite value at row {bad}: {float(arr[bad])!r}; expected finite numbers"
        )
    return arr


def validate_rft(frequency: Any, recency: Any, T: Any) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate a (frequency, recency, T) summary; each returned with shape (n,).

    Raises:
        InputDataError: lengths differ, frequency < 0 or non-integer, recency outside [0, T], T <= 0,
            or recency > 0 with frequency 0.
    """
    from omnimix.errors import InputDataError

    x = as_float_array("frequency", frequency)
    t_x = as_float_array("recency", recency)
    big_t = as_float_array("T", T)
    if not (x.size == t_x.size == big_t.size):
        raise InputDataError(
            "summary", f"lengths differ: frequency {x.size}, recency {t_x.size}, T {big_t.size}"
        )
    if x.size == 0:
        raise InputDataError("summary", "no customers; expected at least one row")
    problems: list[str] = []

    def first(mask: NDArray[np.bool_]) -> int:
        return int(np.flatnonzero(mask)[0])

    if np.any(x < 0) or np.any(x != np.round(x)):
        i = first((x < 0) | (x != np.round(x)))
        problems.append(
            f"row {i}: frequency {float(x[i])!r}; expected a whole number >= 0 (repeat purchases)"
        )
    if np.any(big_t <= 0):
        i = first(big_t <= 0)
        problems.append(f"row {i}: T {float(big_t[i])!r}; expected > 0 (age of the customer at the end)")
    tol = 1e-9 * np.maximum(1.0, big_t)
    if np.any(t_x < 0) or np.any(t_x > big_t + tol):
        i = first((t_x < 0) | (t_x > big_t + tol))
        problems.append(
            f"row {i}: recency {float(t_x[i])!r} with T {float(big_t[i])!r}; expected 0 <= recency <= T"
        )
    if np.any((x == 0) & (t_x > 0)):
        i = first((x == 0) & (t_x > 0))
        problems.append(
            f"row {i}: recency {float(t_x[i])!r} with frequency 0; expected recency 0 without repeats"
        )
    if problems:
        raise InputDataError("summary", "invalid customer summary", problems)
    return x, np.minimum(t_x, big_t), big_t


def validate_weights(weights: Any, n: int) -> FloatArray:
    """Observation weights of shape (n,) (ones when ``None``), each >= 0."""
    from omnimix.errors import InputDataError

    if weights is None:
        return np.ones(n)
    w = as_float_array("weights", weights)
    if w.size != n or np.any(w < 0):
        raise InputDataError("weights", f"expected {n} non-negative weights, got {w.size} values")
    return w
