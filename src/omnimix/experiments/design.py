"""Test design: candidate treatment sets ranked by power and pre-period fit, MDE, cost and assurance.

**The design's estimator** (what the power refers to). For a treatment set ``S`` with daily KPI
``T_t = Σ_{i∈S} y_it`` and the other geos as control ``C_t``, a test of ``H`` days after a pre-period of
``L`` days is read with the ratio (TBR-without-intercept) estimator

    Δ̂ = Σ_test T − k·Σ_test C,    k = Σ_pre T / Σ_pre C,

the incremental KPI of the treated geos over the test. To first order around the history's ratio
``k̄_S = mean T / mean C`` its error is linear in per-geo placebo errors,
``E_S = (1 + k̄_S)·Σ_{i∈S} e_i − k̄_S·Σ_i e_i`` with ``e_i = Σ_test y_i − (H/L)·Σ_pre y_i``.

**Placebo-in-time simulation.** Every window of ``L + H`` consecutive history days is a simulated test
with no effect; ``M = mean_p e(p)·e(p)ᵀ`` (G × G) over those windows is the simulated error covariance, so
each set's simulated error variance is ``se_S² = w_Sᵀ M w_S`` (``w_S = (1 + k̄)·1_S − k̄·1``): a sum of
``|S|²`` entries of ``M`` and two of ``M·1``, evaluated for every set at once. The test rejects when
``|Δ̂| > z_{1−α/2}·se_S``; power at a true effect ``δ = lift·H·mean T_S`` is
``Φ(δ/se − z) + Φ(−δ/se − z)`` and the minimum detectable lift at power ``π`` is
``(z_{1−α/2} + z_π)·se / (H·mean T_S)``. :func:`placebo_power` counts instead the rejections of the
placebo windows with the effect added (the empirical power of the same rule on the history).

**Fit** is the pre-period root-mean-square of ``T_t − k̄·C_t`` over ``mean T`` (from the daily covariance
of the history, the same quadratic form). **Cost** of a design: the extra spend that buys the lift at
the expected ROI, ``δ / roi`` (when an ROI is given). **Assurance** (Bayesian power) averages the power
over posterior ROI draws: ``mean_d power(budget·roi_d)``.

:func:`search_designs` scores every set of ``min_size..max_size`` geos (all 760,058 sets of 2–5 of 40
geos in a few seconds), drops sets whose KPI share exceeds ``max_share``, and ranks by power, then fit.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from omnimix.errors import UsageError

__all__ = ["DesignSearch", "assurance", "error_covariance", "placebo_errors", "placebo_power", "power",
           "ratio_estimate", "search_designs", "set_power", "with_assurance"]  # fmt: skip


def placebo_errors(y: np.ndarray, duration: int, pre_days: int) -> np.ndarray:
    """Per-geo placebo errors ``e_i(p) = Σ_test y_i − (H/L)·Σ_pre y_i`` for every history window, (P, G)."""
    y = np.asarray(y, dtype=float)
    g, t = y.shape
    span = duration + pre_days
    if duration < 1 or pre_days < 2 or span > t:
        raise UsageError(f"a {pre_days}-day pre-period and {duration}-day test need {span} history days; the "
                         f"panel has {t}", ["shorten the test or the pre-period, or give more history"])  # fmt: skip
    cs = np.concatenate([np.zeros((g, 1)), np.cumsum(y, axis=1)], axis=1)
    p = np.arange(t - span + 1)
    pre = cs[:, p + pre_days] - cs[:, p]
    test = cs[:, p + span] - cs[:, p + pre_days]
    return np.asarray((test - (duration / pre_days) * pre).T)


ERROR_MODELS = ("shrunk", "full")


def error_covariance(e: np.ndarray, mean: np.ndarray, model: str = "shrunk",
                     shrink: float | None = 1.0) -> np.ndarray:  # fmt: skip
    """The placebo error covariance ``M`` (G × G) the search uses.

    ``full``: ``mean_p e(p)e(p)ᵀ``. With fewer independent windows than geos it is near-singular and a
    search over many sets finds combinations whose placebo error is small by chance (their power is
    overstated). ``shrunk`` (default): a common error proportional to geo size,
    ``c(p)·share_i`` with ``c = Σ_i e_i``, plus independent idiosyncratic errors
    ``u_i = e_i − share_i·c`` whose relative variances ``v_i/mean_i²`` are shrunk on the log scale toward
    a line in log geo size (two parameters for all geos) by ``shrink`` (default 1: on the line; None: the
    empirical-Bayes weight ``λ = noise/(noise + spread)``, ``noise`` from the disagreement of the two
    halves of the history's windows, ``spread`` the remaining between-geo variance around the line).
    On the benchmark's worlds the best of 760,058 sets had a realised error sd 3.08× its predicted se
    with ``full``, 1.27× with the empirical-Bayes weight and 1.07× on the line (30 worlds).
    """
    if model not in ERROR_MODELS:
        raise UsageError(f"error model {model!r}", [f"use one of {list(ERROR_MODELS)}"])
    if model == "full":
        return np.asarray(e.T @ e / e.shape[0])
    share = mean / mean.sum()
    c = e.sum(axis=1)
    u = e - np.outer(c, share)
    half = max(e.shape[0] // 2, 1)
    eps = 1e-300
    lm = np.log(mean)
    la = np.log((u[:half] ** 2).mean(axis=0) / mean**2 + eps)
    lb = np.log((u[half:] ** 2).mean(axis=0) / mean**2 + eps) if e.shape[0] > 1 else la
    lv = np.log((u**2).mean(axis=0) / mean**2 + eps)
    a = np.column_stack([np.ones_like(lm), lm - lm.mean()])
    line = a @ np.linalg.lstsq(a, lv, rcond=None)[0]
    if shrink is None:
        noise = float(np.var(la - lb)) / 4.0
        spread = max(float(np.var(lv - line)) - noise, 0.0)
        shrink = noise / (noise + spread) if noise + spread > 0 else 0.0
    v = np.exp((1 - shrink) * lv + shrink * line) * mean**2
    return np.asarray(np.outer(share, share) * float(np.mean(c**2)) + np.diag(v))


def power(effect: np.ndarray | float, se: np.ndarray | float, alpha: float = 0.05) -> np.ndarray:
    """Two-sided power of the ``|Δ̂| > z·se`` rule at true effect ``effect``."""
    z = stats.norm.ppf(1 - alpha / 2)
    r = np.asarray(effect, dtype=float) / np.asarray(se, dtype=float)
    return np.asarray(stats.norm.cdf(r - z) + stats.norm.cdf(-r - z))


def ratio_estimate(y: np.ndarray, treated: Sequence[int], test_start: int, test_end: int, pre_days: int) -> float:
    """The design's estimator ``Σ_test T − (Σ_pre T / Σ_pre C)·Σ_test C`` on a panel (G, T)."""
    y = np.asarray(y, dtype=float)
    m = np.zeros(y.shape[0], bool)
    m[list(treated)] = True
    tr, co = y[m].sum(0), y[~m].sum(0)
    pre = slice(test_start - pre_days, test_start)
    test = slice(test_start, test_end + 1)
    return float(tr[test].sum() - tr[pre].sum() / co[pre].sum() * co[test].sum())


@lru_cache(maxsize=8)
def _combos(n: int, s: int) -> np.ndarray:
    """Every ``s``-subset of ``range(n)`` as rows (cached: the search's index table)."""
    out = np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(n), s)), dtype=np.int32)
    return out.reshape(-1, s)


def _quad(mat: np.ndarray, sets: np.ndarray) -> np.ndarray:
    """``1_Sᵀ mat 1_S`` for each row of ``sets`` (n, s)."""
    out = np.zeros(sets.shape[0])
    for a in range(sets.shape[1]):
        for b in range(sets.shape[1]):
            out += mat[sets[:, a], sets[:, b]]
    return out


def _se_fit(sets: np.ndarray, m_err: np.ndarray, v_day: np.ndarray, mean: np.ndarray) -> tuple[np.ndarray, ...]:
    t_mean = mean[sets].sum(axis=1)
    k = t_mean / (mean.sum() - t_mean)
    r_err, r_day = m_err.sum(axis=1), v_day.sum(axis=1)
    tot_err, tot_day = m_err.sum(), v_day.sum()
    q_err, q_day = _quad(m_err, sets), _quad(v_day, sets)
    l_err, l_day = r_err[sets].sum(axis=1), r_day[sets].sum(axis=1)
    a = 1 + k
    var = a * a * q_err - 2 * a * k * l_err + k * k * tot_err
    var_d = a * a * q_day - 2 * a * k * l_day + k * k * tot_day
    return np.sqrt(np.maximum(var, 1e-300)), np.sqrt(np.maximum(var_d, 0.0)) / t_mean, t_mean, k


@dataclass(frozen=True)
class DesignSearch:
    """The ranked candidate designs.

    Attributes:
        table: one row per kept set, best first: ``geos``, ``size``, ``share`` (of KPI), ``power``,
            ``mde`` (lift), ``se`` (KPI over the test), ``effect`` (KPI over the test at ``lift``),
            ``fit_rmse`` (relative), ``cost`` (spend at ``roi``; NaN without one).
        evaluated: sets scored; kept: sets within ``max_share``.
        settings: the search's inputs (duration, pre_days, lift, alpha, target power, windows).
    """

    table: pd.DataFrame
    evaluated: int
    kept: int
    settings: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"evaluated": self.evaluated, "kept": self.kept, "settings": dict(self.settings),
                "designs": self.table.to_dict("records")}  # fmt: skip


def search_designs(
    y: np.ndarray,
    geos: Sequence[str] | None = None,
    *,
    duration: int,
    pre_days: int,
    lift: float,
    alpha: float = 0.05,
    target_power: float = 0.8,
    min_size: int = 2,
    max_size: int = 5,
    max_share: float = 0.5,
    roi: float | None = None,
    exclude: Sequence[str] = (),
    top: int = 20,
    error_model: str = "shrunk",
) -> DesignSearch:
    """Score every treatment set of ``min_size..max_size`` geos (see the module docstring).

    Args:
        y: history KPI panel, (G, T) geos × days (the days before the planned test).
        geos: geo names (default ``"0".."G-1"``).
        duration: test days H; pre_days: pre-period days L the analysis will use.
        lift: the effect to detect, a fraction of the treated geos' KPI.
        alpha: two-sided test level; target_power: the power of the MDE.
        min_size, max_size: treatment-set sizes; max_share: largest KPI share a set may hold.
        roi: expected KPI per unit of spend of the tested channel (for the cost); exclude: geos never treated.
        top: designs to return.
        error_model: ``shrunk`` (default) or ``full`` placebo covariance (see :func:`error_covariance`).
    """
    y = np.asarray(y, dtype=float)
    g = y.shape[0]
    names = [str(x) for x in (geos if geos is not None else range(g))]
    problems = []
    if len(names) != g:
        problems.append(f"{len(names)} geo names for {g} panel rows")
    if not 1 <= min_size <= max_size < g:
        problems.append(f"sizes {min_size}..{max_size} do not fit {g} geos")
    if not 0 < alpha < 1 or not 0 < target_power < 1:
        problems.append("alpha and target_power must be in (0, 1)")
    if not np.isfinite(y).all() or (y.sum(axis=1) <= 0).any():
        problems.append("the panel needs finite values and a positive KPI in every geo")
    if problems:
        raise UsageError("cannot search designs", problems)
    e = placebo_errors(y, duration, pre_days)
    v_day = np.cov(y)
    mean = y.mean(axis=1)
    m_err = error_covariance(e, mean, error_model)
    allowed = np.array([n not in set(exclude) for n in names])
    idx = np.flatnonzero(allowed)
    zq = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(target_power)
    frames, evaluated, kept = [], 0, 0
    for s in range(min_size, max_size + 1):
        if s > idx.size:
            continue
        sets = idx[_combos(int(idx.size), s)].astype(np.int32)
        evaluated += sets.shape[0]
        t_mean = mean[sets].sum(axis=1)
        ok = t_mean / mean.sum() <= max_share
        sets = sets[ok]
        kept += sets.shape[0]
        if not sets.size:
            continue
        se, fit, t_mean, _ = _se_fit(sets, m_err, v_day, mean)
        eff = lift * duration * t_mean
        pw = power(eff, se, alpha)
        order = np.lexsort((fit, -pw))[:top]
        frames.append(pd.DataFrame({
            "set": [tuple(int(i) for i in sets[j]) for j in order], "size": s,
            "share": t_mean[order] / mean.sum(), "power": pw[order],
            "mde": zq * se[order] / (duration * t_mean[order]), "se": se[order], "effect": eff[order],
            "fit_rmse": fit[order],
        }))  # fmt: skip
    if not frames:
        raise UsageError("no treatment set is within max_share", [f"raise max_share (now {max_share})"])
    tab = pd.concat(frames).sort_values(["power", "fit_rmse"], ascending=[False, True]).head(top)
    tab.insert(0, "geos", [[names[i] for i in st] for st in tab["set"]])
    tab["cost"] = tab["effect"] / roi if roi else float("nan")
    tab = tab.reset_index(drop=True)
    settings = {"duration": duration, "pre_days": pre_days, "lift": lift, "alpha": alpha,
                "target_power": target_power, "windows": int(e.shape[0]), "roi": roi,
                "error_model": error_model}  # fmt: skip
    return DesignSearch(tab.drop(columns=["set"]), evaluated, kept, settings)


def set_power(
    y: np.ndarray,
    treated: Sequence[int],
    *,
    durations: Sequence[int],
    pre_days: int,
    lifts: Sequence[float] = (),
    budgets: Sequence[float] = (),
    roi: float | None = None,
    alpha: float = 0.05,
    target_power: float = 0.8,
    error_model: str = "shrunk",
) -> pd.DataFrame:
    """Power and MDE of one set for each duration × lift (or × budget at ``roi``: effect = budget·roi)."""
    y = np.asarray(y, dtype=float)
    if budgets and not roi:
        raise UsageError("budgets need an roi", ["pass roi=expected KPI per unit of spend"])
    sets = np.array([sorted(int(i) for i in treated)], dtype=np.int32)
    rows = []
    zq = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(target_power)
    for h in durations:
        e = placebo_errors(y, h, pre_days)
        se, _fit, t_mean, _ = _se_fit(sets, error_covariance(e, y.mean(axis=1), error_model), np.cov(y), y.mean(axis=1))
        base = float(h * t_mean[0])
        mde = float(zq * se[0] / base)
        for lf in lifts:
            rows.append({"duration": h, "lift": lf, "budget": float("nan"), "effect": lf * base,
                         "power": float(power(lf * base, se[0], alpha)), "mde": mde, "se": float(se[0])})  # fmt: skip
        for b in budgets:
            eff = b * float(roi or 0.0)
            rows.append({"duration": h, "lift": eff / base, "budget": b, "effect": eff,
                         "power": float(power(eff, se[0], alpha)), "mde": mde, "se": float(se[0])})  # fmt: skip
    return pd.DataFrame(rows)


def placebo_power(y: np.ndarray, treated: Sequence[int], *, duration: int, pre_days: int, lift: float,
                  alpha: float = 0.05, error_model: str = "shrunk") -> dict[str, float]:  # fmt: skip
    """Empirical power on the history: the estimator run on every placebo window with the effect added
    (``lift`` × the treated geos' KPI of the window's test days), against the rule ``|Δ̂| > z·se``."""
    y = np.asarray(y, dtype=float)
    tr = sorted(int(i) for i in treated)
    e = placebo_errors(y, duration, pre_days)
    sets = np.array([tr], dtype=np.int32)
    m = error_covariance(e, y.mean(axis=1), error_model)
    se = float(_se_fit(sets, m, np.cov(y), y.mean(axis=1))[0][0])
    z = stats.norm.ppf(1 - alpha / 2)
    span = duration + pre_days
    hits = []
    for p in range(y.shape[1] - span + 1):
        w = y[:, p : p + span].copy()
        w[tr, pre_days:] *= 1 + lift
        hits.append(abs(ratio_estimate(w, tr, pre_days, span - 1, pre_days)) > z * se)
    return {"power": float(np.mean(hits)), "windows": float(len(hits)), "se": se}


def with_assurance(search: DesignSearch, roi_draws: np.ndarray, budget: float) -> DesignSearch:
    """The search with an ``assurance`` column: each design's power averaged over posterior ROI draws
    of the tested channel when ``budget`` of extra spend goes into its treated geos."""
    alpha = float(search.settings["alpha"])
    tab = search.table.copy()
    tab["assurance"] = [assurance(float(se), budget, roi_draws, alpha) for se in tab["se"]]
    return DesignSearch(tab, search.evaluated, search.kept, {**search.settings, "budget": budget})


def assurance(se: float, budget: float, roi_draws: np.ndarray, alpha: float = 0.05) -> float:
    """Bayesian assurance: power averaged over posterior ROI draws (effect = budget × ROI)."""
    d = np.asarray(roi_draws, dtype=float)
    d = d[np.isfinite(d)]
    if not d.size:
        raise UsageError("no finite ROI draws", ["pass the MMM's posterior ROI draws of the channel"])
    return float(power(budget * d, se, alpha).mean())
