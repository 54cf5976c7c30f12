"""The SBC harness's statistics against brute-force references, and a calibrated / over-confident
posterior that the rank test must tell apart (conjugate normal model, exact posterior)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from omnimix.errors import ConfigError
from omnimix.simulate import sbc


def test_thin_keeps_evenly_spaced_draws_through_the_chains() -> None:
    d = np.arange(40.0).reshape(4, 10)  # chains x draws; concatenated chain by chain
    kept = sbc.thin(d, 5)
    assert kept.tolist() == [0.0, 10.0, 20.0, 29.0, 39.0]  # round(linspace(0, 39, 5))
    assert sbc.thin(d, 40).tolist() == list(np.arange(40.0))
    with pytest.raises(ConfigError):
        sbc.thin(d, 41)


def test_rank_statistic_matches_a_loop() -> None:
    rng = np.random.default_rng(1)
    for _ in range(50):
        draws = rng.normal(size=rng.integers(1, 60))
        truth = float(rng.normal())
        brute = 0
        for x in draws:
            if x < truth:
                brute += 1
        assert sbc.rank_statistic(draws, truth) == brute
    assert sbc.rank_statistic(np.array([1.0, 2.0, 3.0]), 0.0) == 0
    assert sbc.rank_statistic(np.array([1.0, 2.0, 3.0]), 9.0) == 3


def test_rank_histogram_matches_a_loop() -> None:
    rng = np.random.default_rng(2)
    n_draws, bins = 99, 10
    ranks = rng.integers(0, n_draws + 1, 500)
    brute = [0] * bins
    for r in ranks:
        for b in range(bins):
            if b * 10 <= r <= b * 10 + 9:
                brute[b] += 1
    assert sbc.rank_histogram(ranks, n_draws, bins).tolist() == brute
    with pytest.raises(ConfigError, match="equal bins"):
        sbc.rank_histogram(ranks, 100, 10)
    with pytest.raises(ConfigError, match=r"0\.\.99"):
        sbc.rank_histogram([100], 99, 10)


def test_chi2_uniformity_matches_scipy_and_the_formula() -> None:
    counts = np.array([12, 7, 9, 15, 4, 8, 10, 11, 6, 18])
    got = sbc.chi2_uniformity(counts)
    ref = stats.chisquare(counts)
    assert got["chi2"] == pytest.approx(float(ref.statistic), rel=1e-12)
    assert got["p_value"] == pytest.approx(float(ref.pvalue), rel=1e-9)
    e = counts.sum() / counts.size
    assert got["chi2"] == pytest.approx(sum((c - e) ** 2 / e for c in counts))
    assert got["dof"] == 9 and got["n"] == counts.sum()
    assert sbc.chi2_uniformity([5, 5, 5, 5])["p_value"] == pytest.approx(1.0)
    with pytest.raises(ConfigError):
        sbc.chi2_uniformity([3])


def test_central_interval_and_covers() -> None:
    d = np.arange(1001.0)
    assert sbc.central_interval(d, 0.9) == pytest.approx((50.0, 950.0))
    assert sbc.central_interval(d, 0.5) == pytest.approx((250.0, 750.0))
    assert sbc.covers(d, 100.0) == {"50": False, "80": True, "90": True}
    assert sbc.covers(d, 50.0, (0.9,)) == {"90": True}  # the interval is closed
    assert sbc.covers(d, 950.0, (0.9,)) == {"90": True}
    assert sbc.covers(d, 49.9, (0.9,)) == {"90": False}
    with pytest.raises(ConfigError):
        sbc.central_interval(d, 1.0)


def test_contraction_and_coverage_summary() -> None:
    rng = np.random.default_rng(3)
    prior = rng.normal(0, 2, 4000)
    assert sbc.contraction(prior, rng.normal(0, 2, 4000)) == pytest.approx(0.0, abs=0.08)
    assert sbc.contraction(prior, rng.normal(0, 1, 4000)) == pytest.approx(0.75, abs=0.03)
    assert sbc.contraction(prior, np.full(10, 0.3)) == 1.0
    assert np.isnan(sbc.contraction(np.ones(5), prior))
    flags = [{"50": True, "90": True}, {"50": False, "90": True}, {"50": False, "90": False}, {"50": True, "90": True}]
    assert sbc.summarise_coverage(flags) == {"50": 0.5, "90": 0.75}


def _conjugate_ranks(scale: float, worlds: int = 400, seed: int = 4) -> tuple[list[int], list[bool]]:
    """θ ~ N(0, 1), y_1..y_5 ~ N(θ, 1): exact posterior N(Σy/6, 1/6); ``scale`` < 1 shrinks its sd."""
    rng = np.random.default_rng(seed)
    ranks, cover = [], []
    for _ in range(worlds):
        theta = rng.normal()
        y = rng.normal(theta, 1.0, 5)
        draws = rng.normal(y.sum() / 6, scale / np.sqrt(6), 99)
        ranks.append(sbc.rank_statistic(draws, theta))
        cover.append(sbc.covers(draws, theta, (0.9,))["90"])
    return ranks, cover


def test_ranks_of_an_exact_posterior_are_uniform_and_of_an_overconfident_one_are_not() -> None:
    ranks, cover = _conjugate_ranks(1.0)
    ok = sbc.chi2_uniformity(sbc.rank_histogram(ranks, 99, 10))
    assert ok["p_value"] > 0.01
    assert 0.86 <= np.mean(cover) <= 0.94
    ranks, cover = _conjugate_ranks(0.5)
    bad = sbc.chi2_uniformity(sbc.rank_histogram(ranks, 99, 10))
    assert bad["p_value"] < 1e-6
    assert np.mean(cover) < 0.7
