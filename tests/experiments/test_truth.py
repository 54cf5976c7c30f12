"""Recovery of known effects on simulated geo tests (the full run: benchmarks/experiments.py)."""

from __future__ import annotations

import pytest

from omnimix.simulate.geo_check import recovery

METHODS = ["synthetic_control", "augmented_synthetic_control", "tbr", "did", "sdid"]


def test_few_worlds_errors_are_small() -> None:
    """Four worlds: each method's ATT error is a fraction of the effect, the intervals bracket the estimate."""
    scores = recovery(4, ["synthetic_control", "tbr", "did"], seed=77, n_geos=20, n_days=84, test_days=21)
    for s in scores.values():
        j = s.to_json()
        assert j["worlds"] == 4
        assert j["median_rel_error"] < 1.0, j
        assert j["coverage"] >= 0.5, j


@pytest.mark.slow
@pytest.mark.parametrize("method", ["synthetic_control", "augmented_synthetic_control", "did", "sdid"])
def test_coverage_and_size_on_100_worlds(method: str) -> None:
    eff = recovery(100, [method], seed=0)[method].to_json()
    null = recovery(100, [method], null=True, seed=100_000)[method].to_json()
    assert 0.85 <= eff["coverage"] <= 0.95, eff
    assert null["rejection_rate"] <= 0.06 + 0.04, null   # 100 worlds: a 6% rate has a 2.4-point sd


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="TBR's interval assumes independent errors; the simulated geos' own trends, "
                   "shock loadings and AR(1) noise make the treatment-vs-control residuals persistent "
                   "(measured: 39% coverage, 54% null rejection; docs/experiments.md)")
def test_tbr_coverage_on_the_simulated_worlds() -> None:
    eff = recovery(100, ["tbr"], seed=0)["tbr"].to_json()
    null = recovery(100, ["tbr"], null=True, seed=100_000)["tbr"].to_json()
    assert 0.85 <= eff["coverage"] <= 0.95, eff
    assert null["rejection_rate"] <= 0.10, null


@pytest.mark.slow
def test_tbr_ar1_on_worlds_without_geo_trends() -> None:
    """TBR with ``inference="ar1"`` on worlds whose geos share one level path (trends=0): honest coverage;
    measured 87% coverage, 9% null rejection (docs/experiments.md) — the size is above the 6% target."""
    eff = recovery(100, ["tbr:ar1"], seed=0, trends=0.0)["tbr:ar1"].to_json()
    null = recovery(100, ["tbr:ar1"], null=True, seed=100_000, trends=0.0)["tbr:ar1"].to_json()
    assert 0.85 <= eff["coverage"] <= 0.95, eff
    assert null["rejection_rate"] <= 0.12, null
