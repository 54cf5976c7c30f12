"""User-level A/B tests on conversion and revenue: CUPED and always-valid intervals.

:func:`ab_test` compares the mean of a per-user metric (0/1 conversion or revenue) between a control
and a treatment arm.

* **Fixed-horizon** estimate: the difference of means with Welch's standard error
  ``se = sqrt(s_t²/n_t + s_c²/n_c)``; the two-sided interval ``Δ ± z·se`` and the p-value
  ``2·(1 − Φ(|Δ|/se))`` come from the same normal statistic, so the interval excludes 0 exactly when
  ``p < 1 − level``.
* **CUPED** (Deng et al. 2013) when a pre-period covariate ``x`` is given: each user's metric becomes
  ``y − θ·(x − x̄)`` with ``θ = cov(y, x) / var(x)`` pooled over both arms and ``x̄`` the pooled mean;
  the difference of adjusted means is unbiased under randomisation and its variance falls by the
  factor ``1 − ρ²``. ``variance_reduction`` reports the realised ``1 − var(adjusted)/var(y)``.
* **Lift** ``μ_t/μ_c − 1`` with a delta-method interval on the log ratio.
* **Always-valid** interval and p-value (a confidence sequence): the two-sided normal-mixture boundary of
  Howard et al. (2021, eq. 14) on the information scale ``I = 1/se²``: at every look,
  ``|Δ̂ − Δ| ≤ sqrt((I + ρ)·log((I + ρ)/(ρ·α²))) / I`` holds for all looks at once with probability
  ≥ 1 − α (asymptotically, the CLT form of Waudby-Smith et al. 2021). ``ρ = I*/c`` with
  ``c = −2·log α + log(1 − 2·log α)`` makes the boundary tightest near the planned information
  ``I*`` (default: the information at the final look). The always-valid p-value is
  ``min(1, 1/M)`` with the mixture martingale ``M = sqrt(ρ/(I+ρ))·exp(I²Δ̂²/(2(I+ρ)))``; it is below α
  exactly when the sequence excludes 0. With ``looks``, the running intersection of the intervals and
  the running minimum of the p-values are reported (valid under optional stopping).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from omnimix.errors import InputDataError, UsageError

__all__ = ["ABResult", "ab_from_frame", "ab_test", "mixture_halfwidth"]

METRICS = ("conversion", "revenue")


def _iv(mean: float, lo: float, hi: float) -> dict[str, float]:
    return {"mean": float(mean), "lo": float(lo), "hi": float(hi)}


@dataclass(frozen=True)
class ABResult:
    """An A/B read-out.

    Attributes:
        metric: ``conversion`` or ``revenue``.
        n_control, n_treatment: users per arm.
        control_mean, treatment_mean: raw arm means.
        diff: treatment − control mean per user (CUPED-adjusted when a covariate was given).
        lift: relative lift ``μ_t/μ_c − 1`` (a fraction).
        p_value: fixed-horizon two-sided p-value from the same statistic as ``diff``.
        always_valid: the confidence-sequence interval of ``diff`` (valid at any look).
        always_valid_p: the always-valid p-value.
        cuped_theta: CUPED coefficient (0 without a covariate).
        variance_reduction: realised share of metric variance removed by CUPED.
        level: interval level.
        looks: per look ``n`` (users so far), ``diff``, ``lo``, ``hi``, ``p`` (running, always valid).
    """

    metric: str
    n_control: int
    n_treatment: int
    control_mean: float
    treatment_mean: float
    diff: dict[str, float]
    lift: dict[str, float]
    p_value: float
    always_valid: dict[str, float]
    always_valid_p: float
    cuped_theta: float
    variance_reduction: float
    level: float
    looks: list[dict[str, float]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``method`` = ``ab``)."""
        return {
            "method": "ab",
            "metric": self.metric,
            "n_control": self.n_control,
            "n_treatment": self.n_treatment,
            "control_mean": self.control_mean,
            "treatment_mean": self.treatment_mean,
            "att": dict(self.diff),
            "lift": dict(self.lift),
            "p_value": self.p_value,
            "always_valid": dict(self.always_valid),
            "always_valid_p": self.always_valid_p,
            "cuped_theta": self.cuped_theta,
            "variance_reduction": self.variance_reduction,
            "level": self.level,
            "looks": [dict(x) for x in self.looks],
        }


def mixture_halfwidth(info: np.ndarray | float, rho: float, alpha: float) -> np.ndarray:
    """Half-width of the two-sided normal-mixture confidence sequence at information ``info``."""
    i = np.asarray(info, dtype=float)
    return np.asarray(np.sqrt((i + rho) * np.log((i + rho) / (rho * alpha**2))) / i)


def _mixture_p(diff: np.ndarray, info: np.ndarray, rho: float) -> np.ndarray:
    log_m = 0.5 * np.log(rho / (info + rho)) + info**2 * diff**2 / (2.0 * (info + rho))
    return np.asarray(np.minimum(1.0, np.exp(-log_m)))


def _rho(info_star: float, alpha: float) -> float:
    la = -2.0 * math.log(alpha)
    return info_star / (la + math.log(1.0 + la))


def _check(name: str, a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=float).ravel()
    if a.size < 2:
        raise UsageError(f"{name} has {a.size} users", ["each arm needs at least 2 users"])
    if not np.isfinite(a).all():
        bad = int(np.flatnonzero(~np.isfinite(a))[0])
        raise UsageError(f"{name} has a missing or infinite value at position {bad}", ["drop or fill it"])
    return a


def _moments(yc: np.ndarray, yt: np.ndarray) -> tuple[float, float]:
    d = yt.mean() - yc.mean()
    se = math.sqrt(yt.var(ddof=1) / yt.size + yc.var(ddof=1) / yc.size)
    return float(d), se


def ab_test(
    control: Sequence[float] | np.ndarray,
    treatment: Sequence[float] | np.ndarray,
    *,
    covariate_control: Sequence[float] | np.ndarray | None = None,
    covariate_treatment: Sequence[float] | np.ndarray | None = None,
    metric: str = "revenue",
    level: float = 0.9,
    looks: Sequence[int] | None = None,
    planned_n: int | None = None,
) -> ABResult:
    """Read an A/B test from per-user metric values (see the module docstring).

    Args:
        control, treatment: per-user metric (0/1 for ``conversion``), in arrival order.
        covariate_control, covariate_treatment: pre-period value per user (CUPED), both or neither.
        metric: ``conversion`` (values must be 0/1) or ``revenue``.
        level: two-sided interval level.
        looks: cumulative users per arm at each interim look (the last look is the full data); the
            always-valid interval is then the running intersection over the looks.
        planned_n: users per arm the confidence sequence is tuned for (default: the final count).
    """
    if metric not in METRICS:
        raise UsageError(f"metric={metric!r}", [f"use one of {list(METRICS)}"])
    if not 0.0 < level < 1.0:
        raise UsageError(f"level={level} is not in (0, 1)", ["use e.g. 0.9"])
    yc, yt = _check("control", np.asarray(control)), _check("treatment", np.asarray(treatment))
    if metric == "conversion" and not (np.isin(yc, (0.0, 1.0)).all() and np.isin(yt, (0.0, 1.0)).all()):
        raise UsageError("metric='conversion' needs 0/1 values", ["use metric='revenue' for amounts"])
    theta, vr = 0.0, 0.0
    raw_c, raw_t = float(yc.mean()), float(yt.mean())
    if (covariate_control is None) != (covariate_treatment is None):
        raise UsageError("CUPED needs the covariate for both arms", ["pass both covariates or neither"])
    if covariate_control is not None and covariate_treatment is not None:
        xc = _check("covariate_control", np.asarray(covariate_control))
        xt = _check("covariate_treatment", np.asarray(covariate_treatment))
        if xc.size != yc.size or xt.size != yt.size:
            raise UsageError("covariates and metrics differ in length", ["one covariate value per user"])
        x, y = np.concatenate([xc, xt]), np.concatenate([yc, yt])
        vx = float(x.var(ddof=1))
        if vx > 0:
            theta = float(np.cov(y, x, ddof=1)[0, 1] / vx)
            xbar = float(x.mean())
            vy = float(y.var(ddof=1))
            yc, yt = yc - theta * (xc - xbar), yt - theta * (xt - xbar)
            vr = 1.0 - float(np.concatenate([yc, yt]).var(ddof=1)) / vy if vy > 0 else 0.0
    alpha = 1.0 - level
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    d, se = _moments(yc, yt)
    if se <= 0:
        raise UsageError("the metric does not vary", ["an A/B test needs a metric that differs between users"])
    p = float(2.0 * stats.norm.sf(abs(d) / se))
    mc, mt = float(yc.mean()), float(yt.mean())
    if mc > 0 and mt > 0:
        sl = math.sqrt(yt.var(ddof=1) / (yt.size * mt**2) + yc.var(ddof=1) / (yc.size * mc**2))
        r = math.log(mt / mc)
        lift = _iv(math.exp(r) - 1.0, math.exp(r - z * sl) - 1.0, math.exp(r + z * sl) - 1.0)
    else:
        lift = _iv(float("nan"), float("nan"), float("nan"))
    n_final = min(yc.size, yt.size)
    steps = sorted({int(n) for n in (looks or ())} | {n_final})
    if steps[0] < 2 or steps[-1] > n_final:
        raise UsageError(f"looks {list(looks or ())} fall outside 2..{n_final} users", ["fix the look sizes"])
    info_star = (1.0 / se**2) * ((planned_n or n_final) / n_final)
    rho = _rho(info_star, alpha)
    lo_run, hi_run, p_run = -math.inf, math.inf, 1.0
    rows = []
    for n in steps:
        dn, sen = _moments(yc[:n], yt[:n])
        if sen <= 0:
            continue
        info = 1.0 / sen**2
        hw = float(mixture_halfwidth(info, rho, alpha))
        lo_run, hi_run = max(lo_run, dn - hw), min(hi_run, dn + hw)
        p_run = min(p_run, float(_mixture_p(np.array(dn), np.array(info), rho)))
        rows.append({"n": float(n), "diff": dn, "lo": lo_run, "hi": hi_run, "p": p_run})
    return ABResult(
        metric=metric,
        n_control=int(yc.size),
        n_treatment=int(yt.size),
        control_mean=raw_c,
        treatment_mean=raw_t,
        diff=_iv(d, d - z * se, d + z * se),
        lift=lift,
        p_value=p,
        always_valid=_iv(d, lo_run, hi_run),
        always_valid_p=p_run,
        cuped_theta=theta,
        variance_reduction=vr,
        level=level,
        looks=rows if looks else [],
    )


def ab_from_frame(
    df: pd.DataFrame,
    *,
    group_col: str,
    metric_col: str,
    covariate_col: str | None = None,
    control: str = "control",
    treatment: str = "treatment",
    metric: str = "revenue",
    level: float = 0.9,
    source: str = "<frame>",
) -> ABResult:
    """:func:`ab_test` on a user-level table with a group column (values ``control``/``treatment``)."""
    need = [group_col, metric_col] + ([covariate_col] if covariate_col else [])
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise InputDataError(source, f"missing columns {missing}", [f"columns present: {list(df.columns)}"])
    g = df[group_col].astype(str)
    bad = sorted(set(g) - {control, treatment})
    if bad:
        row = int(np.flatnonzero(~g.isin([control, treatment]).to_numpy())[0]) + 1
        raise InputDataError(
            source, f"column {group_col!r} has groups {bad[:5]} (first at data row {row})",
            [f"use {control!r} or {treatment!r}"],
        )  # fmt: skip
    for c in need[1:]:
        v = pd.to_numeric(df[c], errors="coerce")
        if v.isna().any():
            row = int(np.flatnonzero(v.isna().to_numpy())[0]) + 1
            raise InputDataError(source, f"column {c!r} is not numeric at data row {row}", ["fix or drop the row"])
    ic, it = (g == control).to_numpy(), (g == treatment).to_numpy()
    y = df[metric_col].to_numpy(dtype=float)
    x = df[covariate_col].to_numpy(dtype=float) if covariate_col else None
    return ab_test(
        y[ic], y[it],
        covariate_control=None if x is None else x[ic],
        covariate_treatment=None if x is None else x[it],
        metric=metric, level=level,
    )  # fmt: skip
