"""Statistics of simulation-based calibration (SBC): ranks, rank histograms, χ² uniformity, coverage.

Talts et al. (2018), "Validating Bayesian inference algorithms with simulation-based calibration":
draw a truth θ̃ from the prior, data from the model given θ̃, and L posterior draws θ_1..θ_L that are
(nearly) independent. The rank ``r = #{l : θ_l < θ̃}`` is then uniform on ``0..L`` when the inference
is right; a ∪-shaped histogram means over-confident posteriors, a ∩-shape under-confident ones, a
slope a bias. The functions here are plain NumPy/SciPy and know nothing about the MMM:

* :func:`thin` — L draws evenly spaced through the chains (the chains' draws concatenated);
* :func:`rank_statistic` — the rank of the truth among those draws;
* :func:`rank_histogram` — counts of ranks in equal-width bins of ``0..L``;
* :func:`chi2_uniformity` — Pearson's χ² test of the bin counts against the uniform expectation;
* :func:`central_interval` / :func:`covers` — the equal-tailed interval of a level and whether it
  holds the truth (coverage counting);
* :func:`contraction` — posterior contraction ``1 − var_post / var_prior`` (Betancourt 2018).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from omnimix.errors import ConfigError

__all__ = [
    "central_interval",
    "chi2_uniformity",
    "contraction",
    "covers",
    "rank_histogram",
    "rank_statistic",
    "thin",
]


def thin(draws: np.ndarray, n: int) -> np.ndarray:
    """``n`` draws evenly spaced through ``draws`` (1-D, or (chains, draws) concatenated chain by chain).

    With chains of ESS ≳ n the kept draws are close to independent, which the rank statistic assumes.
    """
    flat = np.asarray(draws, dtype=float).reshape(-1)
    if not 1 <= n <= flat.size:
        raise ConfigError(f"cannot keep {n} of {flat.size} draws", ["ask for 1 <= n <= the number of draws"])
    idx = np.linspace(0, flat.size - 1, n).round().astype(int)
    return np.asarray(flat[idx])


def rank_statistic(draws: np.ndarray, truth: float) -> int:
    """Rank of ``truth`` among ``draws``: the number of draws strictly below it (0..len(draws))."""
    return int(np.count_nonzero(np.asarray(draws, dtype=float).reshape(-1) < truth))


def rank_histogram(ranks: Sequence[int] | np.ndarray, n_draws: int, bins: int) -> np.ndarray:
    """Counts of ranks (each in ``0..n_draws``) in ``bins`` equal bins of the ``n_draws + 1`` values.

    ``n_draws + 1`` must be a multiple of ``bins`` so that every bin holds as many rank values and the
    expected counts are equal.
    """
    r = np.asarray(ranks, dtype=int)
    if (n_draws + 1) % bins:
        raise ConfigError(
            f"{n_draws + 1} rank values do not split into {bins} equal bins",
            ["pick n_draws so that n_draws + 1 is a multiple of bins (e.g. 99 draws, 10 or 20 bins)"],
        )
    if r.size and (r.min() < 0 or r.max() > n_draws):
        raise ConfigError(f"ranks must lie in 0..{n_draws}", ["compute them with rank_statistic"])
    width = (n_draws + 1) // bins
    return np.bincount(r // width, minlength=bins)


def chi2_uniformity(counts: Sequence[int] | np.ndarray) -> dict[str, float]:
    """Pearson's χ² test of bin counts against equal expected counts.

    Returns:
        ``{"chi2", "dof", "p_value", "n"}``; ``p_value`` is P[χ²_dof ≥ chi2].
    """
    from scipy import stats

    c = np.asarray(counts, dtype=float)
    n = float(c.sum())
    if c.size < 2 or n <= 0:
        raise ConfigError("the χ² test needs at least 2 bins and 1 count", ["pass a rank histogram"])
    e = n / c.size
    chi2 = float(((c - e) ** 2 / e).sum())
    dof = c.size - 1
    return {"chi2": chi2, "dof": float(dof), "p_value": float(stats.chi2.sf(chi2, dof)), "n": n}


def central_interval(draws: np.ndarray, level: float) -> tuple[float, float]:
    """Equal-tailed ``level`` interval of the draws: the (1−level)/2 and (1+level)/2 quantiles."""
    if not 0.0 < level < 1.0:
        raise ConfigError(f"level={level} is not in (0, 1)", ["use e.g. 0.5, 0.8 or 0.9"])
    d = np.asarray(draws, dtype=float).reshape(-1)
    lo, hi = np.quantile(d, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def covers(draws: np.ndarray, truth: float, levels: Sequence[float] = (0.5, 0.8, 0.9)) -> dict[str, bool]:
    """Whether each level's central interval holds ``truth``; keys ``"50"``, ``"80"``, ``"90"`` …"""
    out = {}
    for lv in levels:
        lo, hi = central_interval(draws, lv)
        out[f"{round(lv * 100):d}"] = bool(lo <= truth <= hi)
    return out


def contraction(prior_draws: np.ndarray, posterior_draws: np.ndarray) -> float:
    """Posterior contraction ``1 − var(posterior) / var(prior)``: 1 the data pinned it, 0 they taught nothing."""
    vp = float(np.var(np.asarray(prior_draws, dtype=float)))
    if not vp > 0:
        return float("nan")
    return 1.0 - float(np.var(np.asarray(posterior_draws, dtype=float))) / vp


def summarise_coverage(flags: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Share of records whose interval of each level held the truth: ``{"50": 0.52, "80": …}``."""
    if not flags:
        return {}
    keys = list(flags[0])
    return {k: float(np.mean([bool(f[k]) for f in flags])) for k in keys}
