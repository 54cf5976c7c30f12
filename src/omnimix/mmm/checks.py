"""Review checks beyond convergence: prior–data conflict, Meridian-style checks and the health score.

Every check is a :class:`Check` ``{name, value, threshold, passed, message, level}``; ``level`` is
``"gate"`` (failing it fails the fit's review) or ``"review"`` (failing it lowers the health score and
asks for a look, the fit still passes). The checks of a fit are in ``diagnostics.checks``.

**Prior–data conflict** (:func:`prior_data_conflict`). For each channel, the channel-effect quantity q
(share of the KPI, or ROI in currency under an ROI prior) is compared three ways: its prior draws, its
posterior draws, and its value at the *flat-prior profile* — the mode of the model with the
channel-effect priors switched off (every other prior kept), i.e. where the likelihood alone puts the
channel. A channel is in conflict when all of these hold:

1. the likelihood really prefers the profile: ``2·gain > χ²₀.₉₉(k)``, with ``gain`` the log-density
   improvement of the profile over the fit's mode without the channel-effect priors and ``k`` the number
   of channel-effect parameters;
2. the profile value lies outside the posterior 90% interval;
3. the prior holds the channel there: the profile value is outside the prior's 1–99% range, or the
   posterior median sits in the prior's tail (beyond its 5% or 95% quantile) on the profile's side.

The total media share is checked the same way (``"media total"``).

**Health score** (:func:`health_score`): ``100 · Σ wᵢ·passedᵢ / Σ wᵢ`` over the checks that apply, with
weight 3 for gates and 1 for review checks; a fit that failed a gate scores at most 49. Reading: 80–100
healthy; 50–79 usable, read the failed review checks; below 50 failed review.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = [
    "GATE_WEIGHT",
    "NEGATIVE_BASELINE_FAIL",
    "NEGATIVE_BASELINE_REVIEW",
    "REVIEW_WEIGHT",
    "Check",
    "Conflict",
    "health_score",
    "negative_baseline_probability",
    "posterior_predictive_p",
    "prior_data_conflict",
    "prior_posterior_shift",
]

GATE_WEIGHT = 3.0
REVIEW_WEIGHT = 1.0
#: Meridian's thresholds for the probability that the baseline is negative over the period.
NEGATIVE_BASELINE_REVIEW = 0.2
NEGATIVE_BASELINE_FAIL = 0.8
#: Significance of the likelihood-ratio part of the conflict test.
CONFLICT_LEVEL = 0.99


@dataclass(frozen=True)
class Check:
    """One review check.

    Attributes:
        name: stable identifier (``rhat``, ``prior_data_conflict`` …).
        value: the measured figure (None when the check does not apply; it then counts as passed and
            does not enter the health score).
        threshold: the bound it is held to, in words (``"<= 1.05"``).
        passed: whether it passed.
        message: what it means, and what to do when it failed.
        level: ``"gate"`` or ``"review"``.
    """

    name: str
    value: float | None
    threshold: str
    passed: bool
    message: str
    level: str = "review"

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)


def health_score(checks: list[Check]) -> int:
    """0–100 (see the module docstring)."""
    num = den = 0.0
    gate_failed = False
    for c in checks:
        if c.value is None:
            continue
        w = GATE_WEIGHT if c.level == "gate" else REVIEW_WEIGHT
        den += w
        num += w * float(c.passed)
        gate_failed |= c.level == "gate" and not c.passed
    score = 100.0 * num / den if den else 100.0
    if gate_failed:
        score = min(score, 49.0)
    return round(score)


def negative_baseline_probability(baseline: np.ndarray, train: np.ndarray) -> float:
    """Posterior probability that the baseline summed over the training periods is negative.

    Args:
        baseline: baseline KPI per draw and period, shape (S, T).
        train: training-period mask, shape (T,).
    """
    return float(np.mean(baseline[:, train].sum(axis=1) < 0))


def posterior_predictive_p(y: np.ndarray, y_rep: np.ndarray, train: np.ndarray) -> float:
    """Bayesian posterior predictive p-value of the total KPI: P(Σ y_rep ≥ Σ y) over training periods."""
    return float(np.mean(y_rep[:, train].sum(axis=1) >= y[train].sum()))


def _log_pos(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return np.asarray(np.log(x[np.isfinite(x) & (x > 0)]))


def prior_posterior_shift(prior: np.ndarray, post: np.ndarray) -> tuple[float, float]:
    """(contraction, shift) of a positive quantity on the log scale.

    contraction = ``1 − var_post / var_prior``; shift = |median_post − median_prior| in prior sd.
    """
    lp, lq = _log_pos(prior), _log_pos(post)
    if lp.size < 2 or lq.size < 2 or np.var(lp) <= 0:
        return float("nan"), float("nan")
    k = 1.0 - float(np.var(lq)) / float(np.var(lp))
    s = abs(float(np.median(lq) - np.median(lp))) / float(np.std(lp))
    return k, s


@dataclass(frozen=True)
class Conflict:
    """Facts of the conflict test for one channel (or ``"media total"``)."""

    name: str
    prior_q01: float
    prior_q99: float
    post_median: float
    post_lo: float
    post_hi: float
    prior_rank: float
    flat: float
    conflict: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)


def prior_data_conflict(
    names: list[str],
    prior: np.ndarray,
    post: np.ndarray,
    flat: np.ndarray,
    gain: float,
    n_params: int,
) -> tuple[list[Conflict], bool]:
    """Conflict facts per quantity, and whether the likelihood-ratio condition holds.

    Args:
        names: one name per column.
        prior: prior draws, shape (N, K).
        post: posterior draws, shape (S, K).
        flat: the quantities at the flat-prior profile, shape (K,).
        gain: log-density gain of the profile over the fit's mode (channel-effect priors off).
        n_params: number of channel-effect parameters (degrees of freedom of the test).
    """
    from scipy.stats import chi2

    significant = bool(2.0 * gain > chi2.ppf(CONFLICT_LEVEL, max(n_params, 1)))
    out = []
    for j, name in enumerate(names):
        pr = prior[:, j][np.isfinite(prior[:, j])]
        po = post[:, j][np.isfinite(post[:, j])]
        f = float(flat[j])
        if pr.size < 2 or po.size < 2 or not np.isfinite(f):
            continue
        q01, q99 = (float(v) for v in np.quantile(pr, [0.01, 0.99]))
        lo, med, hi = (float(v) for v in np.quantile(po, [0.05, 0.5, 0.95]))
        rank = float(np.mean(pr <= med))
        outside_post = f < lo or f > hi
        held = f < q01 or f > q99 or (rank > 0.95 and f > hi) or (rank < 0.05 and f < lo)
        out.append(Conflict(name, q01, q99, med, lo, hi, rank, f, significant and outside_post and held))
    return out, significant


@dataclass
class Assessment:
    """What :func:`assess` found: the checks, the health score, per-channel status and new gate failures.

    Attributes:
        checks: every check, in a fixed order.
        health: :func:`health_score` of ``checks``.
        status: channel → (status, reason); status ∈ {"ok", "weak", "conflict"}.
        reasons: gate failures not already in the diagnostics (the conflict gate, negative baseline).
        suggestions: what to try, one per reason.
        conflicts: the conflict facts per channel (and the media total).
        warnings: review findings worth printing.
    """

    checks: list[Check]
    health: int
    status: dict[str, tuple[str, str]]
    reasons: list[str]
    suggestions: list[str]
    conflicts: list[Conflict]
    warnings: list[str]


def _fmt(x: float, quantity: str) -> str:
    return f"{100 * x:.3g}%" if quantity == "share" else f"{x:.3g}"


def assess(
    *,
    diag: Any,
    quantity: str,
    channels: list[str],
    prior_q: np.ndarray,
    post_q: np.ndarray,
    flat_q: np.ndarray | None,
    gain: float,
    n_params: int,
    total: tuple[np.ndarray, np.ndarray, float] | None,
    baseline: np.ndarray,
    y: np.ndarray,
    y_rep: np.ndarray,
    train: np.ndarray,
    value_roi_mean: dict[str, float] | None,
    max_plausible_roi: float | None,
    media_share: float,
    weak_share: float = 0.5,
) -> Assessment:
    """Run every check on a fit (see the module docstring).

    Args:
        diag: the fit's :class:`~omnimix.mmm.diagnostics.Diagnostics` (convergence and fit figures).
        quantity: ``"share"`` (channel share of the KPI) or ``"roi"`` (ROI in currency): what the
            channel-effect prior is on and what ``prior_q``/``post_q``/``flat_q`` hold.
        channels: channel names, length C.
        prior_q, post_q: prior (N, C) and posterior (S, C) draws of the quantity.
        flat_q: the quantity at the flat-prior profile (C,), or None when it was not computed.
        gain, n_params: the profile's log-density gain and the number of channel-effect parameters.
        total: (prior, posterior, profile) of the total media share, or None.
        baseline: baseline KPI per draw and period (S, T); y (T,), y_rep (S, T), train (T,).
        value_roi_mean: posterior mean ROI in currency per channel, or None when the KPI's value is unknown.
        max_plausible_roi: the implausible-ROI threshold (None: off).
        media_share: posterior mean media share of the KPI.
        weak_share: a channel whose log-quantity contraction is below ``1 - weak_share`` is weak.
    """
    checks: list[Check] = []
    reasons: list[str] = []
    tips: list[str] = []
    warns: list[str] = []
    gate_reasons = list(diag.reasons)
    if diag.mode == "nuts":
        checks.append(Check("rhat", diag.rhat_max, "<= 1.05", diag.rhat_max is not None and diag.rhat_max <= 1.05,
                            "largest rank-normalised split R-hat over every parameter", "gate"))
        checks.append(Check("divergences", diag.divergence_rate, "<= 0.01", diag.divergence_rate <= 0.01,
                            "share of divergent NUTS transitions", "gate"))
        checks.append(Check("ess_bulk", diag.ess_bulk_min, ">= 100",
                            diag.ess_bulk_min is not None and diag.ess_bulk_min >= 100,
                            "smallest bulk effective sample size", "gate"))
    else:
        ok = not any(r.startswith(("MAP optimizer", "the Laplace Hessian")) for r in gate_reasons)
        checks.append(Check("map_optimizer", 1.0 if ok else 0.0, "converged, Hessian positive definite", ok,
                            "posterior mode found and its Laplace approximation valid", "gate"))
    checks.append(Check("ppc_coverage", diag.ppc_coverage, ">= 0.6", diag.ppc_coverage >= 0.6,
                        "share of training periods inside the 90% posterior predictive interval", "gate"))
    if diag.holdout_coverage is not None:
        ok = diag.holdout_coverage >= 0.5 and diag.holdout_mape is not None and (
            diag.holdout_mape <= 3 * max(diag.mape, 0.01))
        checks.append(Check("holdout", diag.holdout_coverage, "coverage >= 0.5 and MAPE <= 3x in-sample", ok,
                            f"holdout 90% coverage {diag.holdout_coverage:.0%}, MAPE {diag.holdout_mape:.1%}",
                            "gate"))
    # negative baseline (Meridian: review above 0.2, fail above 0.8)
    p_neg = negative_baseline_probability(baseline, train)
    level = "gate" if p_neg > NEGATIVE_BASELINE_FAIL else "review"
    checks.append(Check("negative_baseline", p_neg, f"<= {NEGATIVE_BASELINE_REVIEW}",
                        p_neg <= NEGATIVE_BASELINE_REVIEW,
                        "posterior probability that the baseline (KPI without media) is negative over the period",
                        level))
    if p_neg > NEGATIVE_BASELINE_FAIL:
        reasons.append(f"the baseline is negative over the period with probability {p_neg:.0%} "
                       "(media explain more than the KPI)")
        tips.append("tighten the channel-effect priors (media_share_prior), add baseline drivers, "
                    "or check that the KPI and media columns are the right ones")
    ppp = posterior_predictive_p(y, y_rep, train)
    checks.append(Check("bayesian_ppp", ppp, "0.05..0.95", 0.05 <= ppp <= 0.95,
                        "Bayesian posterior predictive p-value of the total KPI (extreme: the model misses "
                        "the KPI's level)", "review"))
    checks.append(Check("r2", diag.r2, ">= 0.5", diag.r2 >= 0.5, "in-sample R² of the posterior mean fit",
                        "review"))
    # prior–posterior shift and identification per channel
    status: dict[str, tuple[str, str]] = {c: ("ok", "") for c in channels}
    no_shift = []
    outside = []
    for j, c in enumerate(channels):
        k, s = prior_posterior_shift(prior_q[:, j], post_q[:, j])
        if np.isfinite(k) and k < 1.0 - weak_share:
            status[c] = ("weak", f"weakly identified: the data removed only {max(k, 0.0):.0%} of the prior's "
                                 "variance; a lift test would pin it")
            if s < 0.5:
                no_shift.append(c)
        pr = prior_q[:, j][np.isfinite(prior_q[:, j])]
        if pr.size > 1:
            q01, q99 = np.quantile(pr, [0.01, 0.99])
            med = float(np.nanmedian(post_q[:, j]))
            if not q01 <= med <= q99:
                outside.append(c)
    checks.append(Check("prior_posterior_shift", float(len(no_shift)), "0 channels", not no_shift,
                        "channels whose posterior is still the prior (no contraction, no shift): "
                        + (", ".join(no_shift) if no_shift else "none"), "review"))
    label = "ROI" if quantity == "roi" else "share"
    checks.append(Check("roi_in_prior_range", float(len(outside)), "0 channels", not outside,
                        f"channels whose posterior median {label} is outside the prior's 1–99% range: "
                        + (", ".join(outside) if outside else "none"), "review"))
    # implausible ROI (only where ROI is in currency)
    if value_roi_mean is None or max_plausible_roi is None:
        checks.append(Check("implausible_roi", None, f"<= {max_plausible_roi}", True,
                            "not checked: the KPI's value in currency is unknown "
                            "(pass --kpi-type revenue, or --kpi-value for a count KPI)", "gate"))
    else:
        worst = max(value_roi_mean.values()) if value_roi_mean else 0.0
        checks.append(Check("implausible_roi", worst, f"<= {max_plausible_roi}", worst <= max_plausible_roi,
                            "largest posterior mean ROI in currency", "gate"))
    checks.append(Check("media_share", media_share, "<= 0.9", media_share <= 0.9,
                        "posterior mean share of the KPI explained by media", "gate"))
    # prior–data conflict
    conflicts: list[Conflict] = []
    if flat_q is not None:
        names, pq, oq, fq = list(channels), prior_q, post_q, np.asarray(flat_q, float)
        if total is not None:
            names = [*names, "media total"]
            pq = np.column_stack([pq, total[0]])
            oq = np.column_stack([oq, total[1]])
            fq = np.append(fq, total[2])
        conflicts, _ = prior_data_conflict(names, pq, oq, fq, gain, n_params)
    bad = [x for x in conflicts if x.conflict]
    def q_of(x: Conflict) -> str:
        return "share" if x.name not in status else quantity

    for x in bad:
        if x.name in status:
            status[x.name] = ("conflict", f"prior–data conflict: the data put its {label} at {_fmt(x.flat, quantity)}"
                                          f", the posterior at {_fmt(x.post_median, quantity)}")
    checks.append(Check("prior_data_conflict", None if flat_q is None else float(len(bad)), "0",
                        not bad, "quantities the prior holds away from where the likelihood puts them: "
                        + (", ".join(x.name for x in bad) if bad else "none"), "gate"))
    if bad:
        txt = "; ".join(
            f"{x.name}: the likelihood alone puts its {'ROI' if q_of(x) == 'roi' else 'share'} at "
            f"{_fmt(x.flat, q_of(x))}, the posterior at {_fmt(x.post_median, q_of(x))} "
            f"[{_fmt(x.post_lo, q_of(x))}, {_fmt(x.post_hi, q_of(x))}], the prior's 1–99% range is "
            f"[{_fmt(x.prior_q01, q_of(x))}, {_fmt(x.prior_q99, q_of(x))}]"
            for x in bad)
        reasons.append(f"prior–data conflict ({txt})")
        if quantity == "roi":
            tips.append("the ROI prior cannot reach what the data say: check the units of spend and KPI "
                        "(an ROI prior needs the KPI in the currency of spend), fit with the unit-free "
                        "default (--prior share), or widen roi_prior for those channels")
        else:
            tips.append("the media-share prior cannot reach what the data say: widen media_share_prior, "
                        "check the KPI and media columns, or calibrate the channel with a lift test")
    if outside and not bad:
        warns.append(f"posterior {label} outside the prior's 1–99% range for {', '.join(outside)}: "
                     "check the prior or the data")
    if not bad and not all(c.passed for c in checks if c.name in ("bayesian_ppp", "r2")):
        warns.extend(f"{c.name}: {c.message} = {c.value:.3g} (expected {c.threshold})"
                     for c in checks if c.name in ("bayesian_ppp", "r2") and not c.passed and c.value is not None)
    return Assessment(checks, health_score_after(checks, gate_reasons + reasons), status, reasons, tips,
                      conflicts, warns)


def health_score_after(checks: list[Check], gate_reasons: list[str]) -> int:
    """:func:`health_score`, capped at 49 when the fit failed any gate (also one without a check)."""
    score = health_score(checks)
    return min(score, 49) if gate_reasons else score
