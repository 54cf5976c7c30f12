"""Convergence and fit diagnostics, and the review gates a fit must pass before anyone uses it.

MCMC diagnostics follow Vehtari et al. (2021): rank-normalised split R-hat (the larger of the bulk
and folded versions), bulk ESS (split chains, rank-normalised draws) and tail ESS (the smaller ESS of
the 5% and 95% quantile indicators). The ESS estimator is NumPyro's
(:func:`numpyro.diagnostics.effective_sample_size`).

Review gates (:func:`review`): a fit fails, with the reason and what to try, when

* R-hat > 1.05 (NUTS),
* divergent transitions > 1% of draws (NUTS),
* bulk ESS < 100 (NUTS),
* the optimizer failed or the Laplace Hessian is not positive definite (MAP),
* the in-sample 90% predictive interval covers < 60% of periods (model misfit),
* the holdout 90% interval covers < 50% of held-out periods, or holdout MAPE > 3× in-sample MAPE,
* an ROI is implausible (posterior mean above ``max_plausible_roi``), or media explain > 90% of KPI.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

RHAT_MAX = 1.05
DIVERGENCE_RATE_MAX = 0.01
ESS_MIN = 100.0
PPC_COVERAGE_MIN = 0.6
HOLDOUT_COVERAGE_MIN = 0.5


def _ess(x: np.ndarray) -> float:
    """ESS of draws shaped (chains, draws) using NumPyro's estimator."""
    from numpyro.diagnostics import effective_sample_size

    if np.ptp(x) == 0:
        return float(x.size)
    return float(effective_sample_size(np.asarray(x, dtype=np.float64)))


def _split(x: np.ndarray) -> np.ndarray:
    """(chains, draws) → (2·chains, draws//2)."""
    n = x.shape[1]
    h = n // 2
    return np.concatenate([x[:, :h], x[:, n - h :]], axis=0)


def _rankdata(x: np.ndarray) -> np.ndarray:
    """Average ranks (1-based) of the flattened array, ties share their mean rank."""
    flat = x.ravel()
    order = np.argsort(flat, kind="mergesort")
    sorted_x = flat[order]
    ranks = np.empty(flat.size)
    ranks[order] = np.arange(1, flat.size + 1)
    # average ties
    _, first, counts = np.unique(sorted_x, return_index=True, return_counts=True)
    if (counts > 1).any():
        mean_rank = first + (counts + 1) / 2.0
        ranks[order] = np.repeat(mean_rank, counts)
    return ranks.reshape(x.shape)


def _rank_normal(x: np.ndarray) -> np.ndarray:
    from scipy.special import ndtri

    r = _rankdata(x)
    return np.asarray(ndtri((r - 0.375) / (x.size + 0.25)))


def _rhat_plain(x: np.ndarray) -> float:
    n = x.shape[1]
    if n < 2:
        return float("nan")
    means = x.mean(axis=1)
    w = x.var(axis=1, ddof=1).mean()
    b = n * means.var(ddof=1)
    if w <= 0:
        return 1.0
    var = (n - 1) / n * w + b / n
    return float(np.sqrt(var / w))


def rhat(x: np.ndarray) -> float:
    """Rank-normalised split R-hat of one scalar's draws, shape (chains, draws)."""
    if np.ptp(x) == 0:
        return 1.0
    s = _split(x)
    bulk = _rhat_plain(_rank_normal(s))
    folded = _rhat_plain(_rank_normal(np.abs(s - np.median(s))))
    return max(bulk, folded)


def ess_bulk(x: np.ndarray) -> float:
    """Bulk ESS: split chains, rank-normalised; x shape (chains, draws)."""
    if np.ptp(x) == 0:
        return float(x.size)
    return _ess(_rank_normal(_split(x)))


def ess_tail(x: np.ndarray) -> float:
    """Tail ESS: min ESS of the 5% and 95% quantile indicators; x shape (chains, draws)."""
    s = _split(x)
    q05, q95 = np.quantile(s, [0.05, 0.95])
    out = []
    for ind in ((s <= q05).astype(float), (s >= q95).astype(float)):
        out.append(float(ind.size) if np.ptp(ind) == 0 else _ess(ind))
    return min(out)


def mcmc_summary(samples: dict[str, np.ndarray]) -> dict[str, Any]:
    """Worst-case R-hat, bulk and tail ESS over every scalar of every site.

    Args:
        samples: site → (chains, draws, *shape).

    Returns:
        ``rhat_max``, ``ess_bulk_min``, ``ess_tail_min`` and the scalar names where each is worst.
    """
    worst: dict[str, Any] = {
        "rhat_max": 1.0,
        "ess_bulk_min": np.inf,
        "ess_tail_min": np.inf,
        "rhat_param": "",
        "ess_bulk_param": "",
        "ess_tail_param": "",
    }
    for name, v in samples.items():
        c, n = v.shape[:2]
        flat = v.reshape(c, n, -1)
        for j in range(flat.shape[2]):
            x = flat[:, :, j]
            label = name if flat.shape[2] == 1 else f"{name}[{j}]"
            r, eb, et = rhat(x), ess_bulk(x), ess_tail(x)
            if np.isfinite(r) and r > worst["rhat_max"]:
                worst["rhat_max"], worst["rhat_param"] = r, label
            if eb < worst["ess_bulk_min"]:
                worst["ess_bulk_min"], worst["ess_bulk_param"] = eb, label
            if et < worst["ess_tail_min"]:
                worst["ess_tail_min"], worst["ess_tail_param"] = et, label
    return worst


@dataclass
class Diagnostics:
    """Everything the review gates look at, and their verdict.

    Attributes:
        mode: ``"nuts"`` or ``"map"``.
        rhat_max, ess_bulk_min, ess_tail_min: MCMC diagnostics (None for MAP).
        divergences: number of divergent transitions (0 for MAP).
        divergence_rate: divergences / draws.
        ppc_coverage: share of training periods inside the 90% posterior predictive interval.
        r2: in-sample R² of the posterior mean prediction.
        mape: in-sample MAPE of the posterior mean prediction.
        holdout_mape, holdout_coverage: out-of-sample MAPE and 90% coverage (None without holdout).
        passed: whether every gate passed.
        reasons: why the fit failed (empty when passed).
        suggestions: what to try, one per failed gate.
        details: extra facts (worst parameters, optimizer message, ``identification``: per channel
            the contraction of log ROI from prior to posterior).
        warnings: findings that do not fail the fit but limit what it can say (weakly identified
            channels whose ROI still mostly reflects the prior).
        health: 0–100 score over :attr:`checks` (:func:`omnimix.mmm.checks.health_score`).
        checks: every review check as ``{name, value, threshold, passed, message, level}``
            (:mod:`omnimix.mmm.checks`).
    """

    mode: str
    rhat_max: float | None
    ess_bulk_min: float | None
    ess_tail_min: float | None
    divergences: int
    divergence_rate: float
    ppc_coverage: float
    r2: float
    mape: float
    holdout_mape: float | None
    holdout_coverage: float | None
    passed: bool = True
    reasons: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    health: int | None = None
    checks: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Diagnostics:
        """Inverse of :meth:`to_dict`."""
        return cls(**d)


#: A channel whose log-ROI posterior variance is above this share of its prior variance is flagged
#: as weakly identified (contraction below 1 - WEAK_ID_SHARE).
WEAK_ID_SHARE = 0.5


def identification(
    roi_post: np.ndarray, roi_prior: np.ndarray, channels: tuple[str, ...] | list[str]
) -> tuple[dict[str, float], list[str]]:
    """Posterior contraction of each channel's log ROI, and warnings for weakly identified channels.

    Contraction is ``1 - var_post / var_prior`` of log ROI (1: the data pinned it; 0: the posterior is
    the prior). Log scale because ROI priors are heavy-tailed: on the raw scale a long prior tail makes
    almost any posterior look contracted.

    Args:
        roi_post: posterior ROI draws, shape (S, C).
        roi_prior: prior ROI draws (the same model without data), shape (S', C).
        channels: channel names, length C.
    """
    out: dict[str, float] = {}
    warns: list[str] = []
    for i, c in enumerate(channels):
        post = roi_post[:, i][np.isfinite(roi_post[:, i]) & (roi_post[:, i] > 0)]
        prior = roi_prior[:, i][np.isfinite(roi_prior[:, i]) & (roi_prior[:, i] > 0)]
        if post.size < 2 or prior.size < 2:
            continue
        v_prior = float(np.var(np.log(prior)))
        if v_prior <= 0:
            continue
        k = 1.0 - float(np.var(np.log(post))) / v_prior
        out[c] = round(k, 4)
        if k < 1.0 - WEAK_ID_SHARE:
            warns.append(
                f"{c}: ROI is weakly identified (the data removed only {max(k, 0.0):.0%} of the prior's "
                f"log-ROI variance); its estimate leans on the prior. A lift test on {c} would pin it."
            )
    return out, warns


def review(
    *,
    mode: str,
    samples: dict[str, np.ndarray],
    diverging: np.ndarray | None,
    info: dict[str, Any],
    y: np.ndarray,
    y_rep: np.ndarray,
    train: np.ndarray,
    roi_mean: dict[str, float],
    media_share: float,
    max_plausible_roi: float | None,
) -> Diagnostics:
    """Compute the diagnostics and apply the review gates.

    Args:
        mode: ``"nuts"`` or ``"map"``.
        samples: site → (chains, draws, *shape).
        diverging: (chains, draws) booleans, or None.
        info: sampler/optimizer facts from inference.
        y: observed KPI per period, shape (T,).
        y_rep: posterior predictive draws, shape (S, T).
        train: boolean mask of training periods, shape (T,).
        roi_mean: posterior mean ROI per channel.
        media_share: posterior mean share of the KPI explained by media.
        max_plausible_roi: ROI gate (None: off).
    """
    reasons: list[str] = []
    tips: list[str] = []
    details: dict[str, Any] = {}
    rhat_max = ess_b = ess_t = None
    n_div, rate = 0, 0.0
    if mode == "nuts":
        summ = mcmc_summary(samples)
        rhat_max, ess_b, ess_t = summ["rhat_max"], summ["ess_bulk_min"], summ["ess_tail_min"]
        details.update({k: summ[k] for k in ("rhat_param", "ess_bulk_param", "ess_tail_param")})
        if diverging is not None:
            n_div = int(diverging.sum())
            rate = n_div / max(diverging.size, 1)
        if rhat_max > RHAT_MAX:
            reasons.append(
                f"R-hat {rhat_max:.3f} > {RHAT_MAX} (worst: {summ['rhat_param']}): chains disagree"
            )
            tips.append(
                "run more warm-up and draws (--warmup/--samples), or tighten the priors of that parameter"
            )
        if rate > DIVERGENCE_RATE_MAX:
            reasons.append(f"{n_div} divergent transitions ({rate:.1%} > {DIVERGENCE_RATE_MAX:.0%})")
            tips.append("raise target_accept to 0.95, or use stronger saturation/adstock priors")
        if ess_b < ESS_MIN:
            reasons.append(f"bulk ESS {ess_b:.0f} < {ESS_MIN:.0f} (worst: {summ['ess_bulk_param']})")
            tips.append("draw more samples or simplify the model (fewer channels, merge small ones)")
    else:
        details["optimizer_message"] = info.get("optimizer_message", "")
        if not info.get("optimizer_success", True):
            reasons.append(f"MAP optimizer did not converge ({info.get('optimizer_message')})")
            tips.append("fit with --mode nuts, or give tighter priors")
        if not info.get("laplace_ok", True):
            reasons.append(
                "the Laplace Hessian at the mode is not positive definite (flat or saddle posterior)"
            )
            tips.append("fit with --mode nuts for honest intervals")

    lo, hi = np.quantile(y_rep, [0.05, 0.95], axis=0)
    mean = y_rep.mean(axis=0)
    inside = (y >= lo) & (y <= hi)
    ppc_cov = float(inside[train].mean())
    resid = y[train] - mean[train]
    r2 = float(1 - (resid**2).sum() / max(((y[train] - y[train].mean()) ** 2).sum(), 1e-12))
    nz = np.abs(y) > 0
    mape = float(np.mean(np.abs(resid[nz[train]] / y[train][nz[train]])))
    if ppc_cov < PPC_COVERAGE_MIN:
        reasons.append(f"posterior predictive 90% interval covers only {ppc_cov:.0%} of periods (misfit)")
        tips.append("add controls or events that drive the KPI, raise fourier_order, or enable ar_errors")
    h_mape = h_cov = None
    hold = ~train
    if hold.any():
        h_cov = float(inside[hold].mean())
        h_mape = float(np.mean(np.abs((y[hold] - mean[hold]) / np.where(nz[hold], y[hold], 1.0))))
        if h_cov < HOLDOUT_COVERAGE_MIN:
            reasons.append(f"holdout 90% interval covers only {h_cov:.0%} of held-out periods")
            tips.append("the model does not forecast: check for a structural break or missing drivers")
        if h_mape > 3 * max(mape, 0.01):
            reasons.append(
                f"holdout MAPE {h_mape:.1%} is more than 3x the in-sample MAPE {mape:.1%} (overfit)"
            )
            tips.append("use stronger priors or fewer channels/controls")
    if max_plausible_roi is not None:
        bad = {c: r for c, r in roi_mean.items() if r > max_plausible_roi}
        if bad:
            txt = ", ".join(f"{c}={r:.1f}" for c, r in bad.items())
            reasons.append(f"implausible ROI ({txt} > {max_plausible_roi})")
            tips.append("calibrate with a lift test, set an ROI prior for that channel, or check spend units")
    if media_share > 0.9:
        reasons.append(f"media explain {media_share:.0%} of the KPI (baseline collapsed)")
        tips.append("tighten the ROI/beta priors or add baseline drivers (controls, events)")
    return Diagnostics(
        mode=mode,
        rhat_max=rhat_max,
        ess_bulk_min=ess_b,
        ess_tail_min=ess_t,
        divergences=n_div,
        divergence_rate=rate,
        ppc_coverage=ppc_cov,
        r2=r2,
        mape=mape,
        holdout_mape=h_mape,
        holdout_coverage=h_cov,
        passed=not reasons,
        reasons=reasons,
        suggestions=tips,
        details=details,
    )
