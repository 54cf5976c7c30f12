"""Known-curve oracle: exact on noiseless data, honest 90% intervals under AR(1) noise (brute force)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from omnimix.simulate.media import simulate_media
from omnimix.simulate.oracle import ar1_gls, known_curve_fit


def _with_kpi(world, kpi: np.ndarray):  # type: ignore[no-untyped-def]
    weekly = world.weekly.copy()
    weekly["kpi"] = kpi
    return dataclasses.replace(world, weekly=weekly)


def _ar1(rng: np.random.Generator, n: int, rho: float, sd: float) -> np.ndarray:
    e = rng.normal(0.0, sd, n)
    out = np.empty(n)
    out[0] = e[0] / np.sqrt(1 - rho**2)
    for t in range(1, n):
        out[t] = rho * out[t - 1] + e[t]
    return out


def test_exact_when_kpi_is_in_the_regressor_span() -> None:
    w = simulate_media(weeks=104, seed=3)
    chans = w.channels
    media = sum(w.weekly[f"contribution_{c}"].to_numpy() for c in chans)
    kpi = 5e6 + 2e5 * w.weekly["promo"].to_numpy() + media
    kpi = kpi + _ar1(np.random.default_rng(0), len(kpi), 0.5, 1.0)  # 1 CNY of noise
    res = known_curve_fit(_with_kpi(w, kpi))
    for c in chans:
        assert res["channels"][c]["coef"] == pytest.approx(1.0, abs=1e-3)
        assert res["channels"][c]["roi"] == pytest.approx(w.truth["channels"][c]["roi"], rel=1e-3)
    assert abs(res["media_total_error"]) < 1e-4
    assert res["coverage"] >= 0.75  # intervals are tiny here; the point estimates are what matter


def test_intervals_cover_at_the_nominal_rate_brute_force() -> None:
    """300 noise draws on one design: the 90% intervals of all 8 coefficients cover ~90% of the time."""
    w = simulate_media(weeks=104, seed=5)
    chans = w.channels
    media = sum(w.weekly[f"contribution_{c}"].to_numpy() for c in chans)
    signal = 4.5e6 + 1e5 * np.sin(np.arange(104) / 8) + media
    rng = np.random.default_rng(1)
    hits = total = 0
    for _ in range(300):
        res = known_curve_fit(_with_kpi(w, signal + _ar1(rng, 104, 0.5, 9e4)))
        hits += sum(v["covered"] for v in res["channels"].values())
        total += len(chans)
    assert 0.85 <= hits / total <= 0.95, hits / total


def test_ar1_gls_recovers_rho_and_coefficients() -> None:
    rng = np.random.default_rng(2)
    n = 5000
    a = np.column_stack([np.ones(n), rng.normal(size=n), rng.normal(size=n)])
    y = a @ np.array([3.0, -2.0, 0.5]) + _ar1(rng, n, 0.6, 1.0)
    coef, se, rho, sigma = ar1_gls(a, y)
    assert rho == pytest.approx(0.6, abs=0.04)
    assert sigma == pytest.approx(1.0, abs=0.05)
    assert np.all(np.abs(coef - [3.0, -2.0, 0.5]) < 4 * se)


def test_ar1_gls_refuses_too_few_rows() -> None:
    with pytest.raises(ValueError, match="cannot identify"):
        ar1_gls(np.ones((3, 3)), np.ones(3))


def test_lift_test_enters_the_oracle_as_an_observation() -> None:
    """The calibrated oracle moves the confounded channel towards the measured lift and narrows it."""
    w = simulate_media(weeks=104, seed=2)
    exp = w.truth["experiments"][0]
    measured = exp["lift"] / exp["true_lift"]  # the lift test's reading, as a multiple of the truth
    naive = known_curve_fit(w, calibrate=False)["channels"]["search"]
    cal = known_curve_fit(w, calibrate=True)["channels"]["search"]
    assert naive["coef"] > 1.3  # the confounding: search over-credited without the test
    assert abs(cal["coef"] - measured) < abs(naive["coef"] - measured)
    assert cal["coef_se"] < naive["coef_se"]
