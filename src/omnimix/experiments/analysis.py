"""Read a geo experiment: :func:`analyze` dispatches to a method and assembles the :class:`LiftResult`.

Methods (``method=``) and their inference (``inference=``, first = default):

=============================== ==========================================================
``synthetic_control``           ``placebo_space`` (conformal with < 20 placebo groups), ``conformal``,
                                ``placebo_time``
``augmented_synthetic_control`` ``conformal``, ``placebo_space``, ``placebo_time``
``tbr``                         ``t`` (the TBR predictive distribution), ``ar1`` (AR(1) errors)
``did``                         ``permutation``, ``cluster``
``sdid``                        ``placebo_variance``, ``jackknife`` (2+ treated geos)
``its``                         ``posterior`` (``omnimix.experiments.its``)
=============================== ==========================================================

Dates are inclusive; the pre-period runs from ``pre_start`` (default: the panel's first date) to the
day before ``test_start``. Results are deterministic for a given ``seed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import ceil, comb
from typing import Any

import numpy as np
import pandas as pd

from omnimix.errors import UsageError
from omnimix.experiments.panel import GeoPanel
from omnimix.experiments.prepared import Design, Estimate, prepare
from omnimix.experiments.result import Interval, LiftResult

METHODS: dict[str, tuple[str, ...]] = {
    "synthetic_control": ("placebo_space", "conformal", "placebo_time"),
    "augmented_synthetic_control": ("conformal", "placebo_space", "placebo_time"),
    "tbr": ("t", "ar1"),
    "did": ("permutation", "cluster"),
    "sdid": ("placebo_variance", "jackknife"),
    "its": ("posterior",),
}
"""Method → its inference methods (the first is the default; see :func:`default_inference` for the one
exception). ``its`` lives in
``omnimix.experiments.its`` (``analyze_its(d, *, level, inference, rng) -> Estimate`` and
``its_point(d, M) -> float``), imported when asked for."""


def _its() -> Any:
    import importlib

    try:
        return importlib.import_module("omnimix.experiments.its")
    except ModuleNotFoundError:
        raise UsageError("method 'its' (Bayesian time series) is not available in this build") from None


def _one_blas_thread() -> Any:
    """One BLAS thread: the matrices are small (tens of geos), and threads make each solve 10-30x slower
    on a loaded machine. Uses threadpoolctl when installed; otherwise a no-op."""
    global _CONTROLLER
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover
        from contextlib import nullcontext
        return nullcontext()
    if _CONTROLLER is None:          # inspecting the loaded libraries is slow: once per process
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")


_CONTROLLER: Any = None


def _run(d: Design, method: str, level: float, inference: str, rng: np.random.Generator,
         trend: bool | None = None) -> Estimate:
    if method in ("synthetic_control", "augmented_synthetic_control"):
        from omnimix.experiments.synth import analyze_synth
        return analyze_synth(d, augmented=method == "augmented_synthetic_control", level=level,
                             inference=inference, rng=rng)
    if method == "tbr":
        from omnimix.experiments.tbr import analyze_tbr
        return analyze_tbr(d, level=level, inference=inference)
    if method == "did":
        from omnimix.experiments.did import analyze_did
        return analyze_did(d, level=level, inference=inference, rng=rng)
    if method == "its":
        its = _its()
        config = None if trend is None else its.ItsConfig(trend=trend)
        return its.analyze_its(d, level=level, inference=inference, rng=rng, config=config)  # type: ignore[no-any-return]
    from omnimix.experiments.did import analyze_sdid
    return analyze_sdid(d, level=level, rng=rng, inference=inference)


def _point(d: Design, method: str, M: Any, est: Estimate) -> float:
    """The method's point effect (per treated geo per date) on another series, e.g. cost."""
    if method in ("synthetic_control", "augmented_synthetic_control"):
        from omnimix.experiments.synth import synth_point
        return synth_point(d, M, augmented=method != "synthetic_control", lam=est.details.get("lambda"))
    if method == "tbr":
        from omnimix.experiments.tbr import tbr_point
        return tbr_point(d, M)
    if method == "did":
        from omnimix.experiments.did import did_point
        return did_point(d, M)
    if method == "its":
        return float(_its().its_point(d, M))
    from omnimix.experiments.did import sdid_point
    return sdid_point(d, M)


MIN_PLACEBO_GROUPS = 19
"""Placebo-in-space is synthetic control's default only with at least this many placebo groups (the
smallest p-value is then 1/20 or less); with fewer it could never reject at 5%, and conformal is used."""


def default_inference(method: str, n_geos: int, n_treated: int, level: float) -> tuple[str, str | None]:
    """The inference used when none is asked for, and why when it is not the method's first.

    Synthetic control defaults to placebo-in-space, exact under random assignment (issue #16: on 1,000 null
    worlds with the simulator's assignment the conformal 5% test rejected 6.5%, placebo-in-space 5.2%).
    A permutation test over ``m`` placebo groups cannot give a p-value below ``1/(m+1)``, so with too few geos for
    ``max(MIN_PLACEBO_GROUPS, 1/(1-level) - 1)`` groups the conformal test is used instead and the
    reason is returned.
    """
    first = METHODS[method][0]
    if method != "synthetic_control":
        return first, None
    groups = comb(n_geos, n_treated) - 1
    need = max(MIN_PLACEBO_GROUPS, ceil(1.0 / (1.0 - level) - 1e-9) - 1)
    if groups >= need:
        return first, None
    return "conformal", (f"placebo-in-space would have only {groups} placebo group(s) ({n_geos} geos, "
                         f"{n_treated} treated; it needs {need}), so its p-value could not go below "
                         f"1/{groups + 1}: the conformal test is used")


def analyze(panel: GeoPanel, method: str, treated: Sequence[str], test_start: Any, test_end: Any, *,
            pre_start: Any = None, level: float = 0.9, seed: int = 0, inference: str | None = None,
            trend: bool | None = None) -> LiftResult:
    """Estimate the effect of a geo test.

    Args:
        panel: the geo × date panel.
        method: one of :data:`METHODS`.
        treated: the treated geos; every other geo of the panel is a control.
        test_start, test_end: the test period, inclusive.
        pre_start: first date of the pre-period (default: the panel's first date).
        level: two-sided interval level, in (0, 1).
        seed: seed of the permutation / placebo draws (same seed, same result).
        inference: the inference method (default: the method's first, see :func:`default_inference`).
        trend: ``its`` only: the local linear trend (default on, ``ItsConfig.trend``); ``False`` is
            CausalImpact's local-level model.

    Returns:
        The :class:`LiftResult`; its intervals and p-value come from the one inference method.
    """
    if method not in METHODS:
        raise UsageError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    if not 0.0 < level < 1.0:
        raise UsageError(f"level {level} must be between 0 and 1 (0.9 = 90%)")
    if trend is not None and method != "its":
        raise UsageError(f"trend is an option of the 'its' model, not of {method}")
    if inference is not None and inference not in METHODS[method]:
        raise UsageError(f"inference {inference!r} is not available for {method}; use one of {METHODS[method]}")
    min_controls = 1 if method in ("tbr", "its") else 2
    d = prepare(panel, treated, test_start, test_end, pre_start, min_controls=min_controls,
                min_pre=1 if method == "did" else 3)
    why: str | None = None
    if inference is None:
        inf, why = default_inference(method, len(d.geos), d.n_treated, level)
    else:
        inf = inference
    rng = np.random.default_rng(seed)
    with _one_blas_thread():
        est = _run(d, method, level, inf, rng, trend)
    if why:
        est.details["inference_note"] = why
    n_t, n_post = d.n_treated, d.n_post
    k = float(n_t * n_post)
    att = Interval(est.att, est.lo, est.hi)
    inc = att.scale(k)
    y1 = d.y1()
    observed = float(y1[d.post].sum()) * n_t

    def lift_of(x: float) -> float:
        base = observed - x
        return x / base if base > 0 else float("nan")

    lift = Interval(lift_of(inc.mean), lift_of(inc.lo), lift_of(inc.hi))
    cf = est.counterfactual
    r = (y1 - cf)[d.pre] * n_t
    ss_tot = float(np.sum((y1[d.pre] * n_t - float(y1[d.pre].mean()) * n_t) ** 2))
    pre_fit = {"rmse": float(np.sqrt(np.mean(r ** 2))),
               "r2": 1.0 - float(r @ r) / ss_tot if ss_tot > 0 else float("nan")}
    periods = pd.DataFrame({"date": d.dates, "observed": y1 * n_t, "counterfactual": cf * n_t,
                            "lo": est.band_lo * n_t, "hi": est.band_hi * n_t, "in_test": d.post})
    iroas: Interval | None = None
    inc_cost: float | None = None
    if d.C is not None:
        inc_cost = _point(d, method, d.C, est) * k
        if inc_cost > 0:
            iroas = inc.scale(1.0 / inc_cost)
        else:
            iroas = Interval(float("nan"), float("nan"), float("nan"))
    treated_geos = [d.geos[j] for j in d.treated]
    return LiftResult(method=method, att=att, incremental_kpi=inc, lift=lift, p_value=est.p_value,
                      weights=est.weights, level=level, inference=est.inference, treated=treated_geos,
                      pre_start=str(d.dates[0].date()), test_start=str(d.dates[d.post][0].date()),
                      test_end=str(d.dates[-1].date()), periods=periods, pre_fit=pre_fit, iroas=iroas,
                      incremental_cost=inc_cost, details=est.details)
