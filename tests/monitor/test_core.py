"""Numeric cores of the monitor: BH against a brute-force reference, band calibration, change points,
pacing semantics and the MMM explanation factor."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from omnimix.monitor.changepoints import cusum_changepoints
from omnimix.monitor.forecast import rolling_bands
from omnimix.monitor.mmm_band import curves_from_daily_truth, media_daily, media_lift
from omnimix.monitor.pacing import pacing_alerts
from omnimix.monitor.testing import bh_reject


def _bh_brute(p: np.ndarray, q: float) -> np.ndarray:
    """Reference: the largest k with p_(k) <= q k / m; reject the k smallest."""
    m = len(p)
    best = 0
    for k in range(1, m + 1):
        if np.sort(p)[k - 1] <= q * k / m:
            best = k
    out = np.zeros(m, dtype=bool)
    out[np.argsort(p, kind="mergesort")[:best]] = True
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bh_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = np.concatenate([rng.uniform(size=200), rng.uniform(0, 1e-3, 20)])
    assert np.array_equal(bh_reject(p, 0.05), _bh_brute(p, 0.05))
    with_nan = np.concatenate([p, [np.nan, np.nan]])
    assert not bh_reject(with_nan, 0.05)[-2:].any()
    assert bh_reject(with_nan, 0.05)[:-2].sum() == _bh_brute(p, 0.05).sum()


def test_bh_reference_values() -> None:
    # hand-worked: m=5, q=0.05 → thresholds 0.01 0.02 0.03 0.04 0.05; sorted p 0.001 0.012 0.025 0.04 0.2:
    # p_(4) = 0.04 <= 0.04 is the largest k, so the four smallest are rejected
    p = np.array([0.04, 0.001, 0.025, 0.2, 0.012])
    assert list(bh_reject(p, 0.05)) == [True, True, True, False, True]
    assert list(bh_reject(p, 0.039)) == [False, True, False, False, True]  # thresholds 0.0078 k


def _world(rng: np.random.Generator, n: int, t: int) -> np.ndarray:
    days = np.arange(t)
    level = rng.uniform(50, 5000, (n, 1))
    dow = 1 + 0.2 * np.sin(2 * np.pi * (days[None, :] + rng.integers(0, 7, (n, 1))) / 7)
    trend = 1 + rng.uniform(-0.2, 0.3, (n, 1)) * days[None, :] / 365
    lam = level * dow * trend
    return rng.poisson(lam).astype(float)


def test_band_coverage_on_clean_series() -> None:
    rng = np.random.default_rng(5)
    y = _world(rng, 60, 200)
    b = rolling_bands(y, 120, level=0.95)
    inside = (y[:, 120:] >= b.lo[:, 120:]) & (y[:, 120:] <= b.hi[:, 120:])
    assert 0.93 <= inside.mean() <= 0.999
    # a clean run of 60 series x 80 days stays quiet under BH
    assert bh_reject(b.p[:, 120:], 0.01).sum() <= 2


def test_band_follows_weekday_and_trend() -> None:
    t = np.arange(200)
    y = (1000 * (1 + t / 200) * np.where(t % 7 == 5, 2.0, 1.0))[None, :]
    b = rolling_bands(y, 150)
    rel = np.abs(b.mean[0, 150:] - y[0, 150:]) / y[0, 150:]
    assert rel.max() < 0.03


def test_spike_is_found_and_dated() -> None:
    rng = np.random.default_rng(9)
    y = _world(rng, 20, 150)
    y[7, 130] *= 3
    b = rolling_bands(y, 122)
    flagged = bh_reject(b.p[:, 122:], 0.01)
    assert flagged[7, 130 - 122]
    assert flagged.sum() == 1


def test_change_point_day() -> None:
    rng = np.random.default_rng(1)
    z = rng.standard_normal((2, 60))
    z[0, 40:] += 2.5
    cp = cusum_changepoints(z, 20)
    assert abs(int(cp.day[0]) - 40) <= 2 and cp.p[0] < 1e-4
    assert cp.p[1] > 0.01


def test_pacing_semantics() -> None:
    days = pd.date_range("2026-03-01", "2026-03-15")
    spend = pd.DataFrame({"period": days, "channel": "search", "spend": 90.0})
    spend.loc[4, "spend"] = 250.0  # 2.5x the 100 daily budget on 03-05
    a = pacing_alerts(spend, {"search": (100.0, None)}, date(2026, 3, 1), date(2026, 3, 15))
    assert [(x.metric, x.date) for x in a] == [("spend", "2026-03-05")]
    spend.loc[4, "spend"] = 190.0  # under the 2x day cap: fine
    assert pacing_alerts(spend, {"search": (100.0, None)}, date(2026, 3, 1), date(2026, 3, 15)) == []
    # 15 days at 90 → pace 2790 over 31 days against a 30.4 x 120 = 3648 cap: 0.85 → fine; at 60 → under
    low = spend.assign(spend=60.0)
    under = pacing_alerts(low, {"search": (120.0, None)}, date(2026, 3, 1), date(2026, 3, 15))
    assert len(under) == 1 and "under-delivery" in under[0].message
    high = spend.assign(spend=180.0)
    over = pacing_alerts(high, {"search": (None, 3000.0)}, date(2026, 3, 1), date(2026, 3, 15))
    assert len(over) == 1 and "over-delivery" in over[0].message
    assert pacing_alerts(high.assign(spend=300.0), {"search": (None, 3000.0)}, date(2026, 3, 1),
                         date(2026, 3, 15))[0].severity == "critical"


def test_media_lift() -> None:
    truth = {"a": {"beta": 500.0, "half_saturation": 1000.0, "slope": 1.0}}
    curves = curves_from_daily_truth(truth)
    spend = np.array([[1000.0, 1000.0, 0.0, 3000.0]])
    # daily media at 1000 = 500 * 1000 / 2000 = 250, at 3000 = 375; baseline = 2250 - 250 = 2000
    assert media_daily(curves, ["a"], spend) == pytest.approx([250.0, 250.0, 0.0, 375.0])
    lift = media_lift(curves, ["a"], spend, np.array([2250.0, 2250.0, 2000.0, 2375.0]), first=2)
    assert lift == pytest.approx([0.125, 0.125, 0.0, 0.1875])


def test_tail_fit_sets_past_outliers_aside_and_keeps_heavy_tails() -> None:
    from omnimix.monitor.forecast import fit_tail_df

    rng = np.random.default_rng(3)
    one = np.zeros(60, dtype=np.int64)
    g = rng.standard_normal((60, 200))
    assert np.mean(fit_tail_df(g, groups=one) >= 20) > 0.9  # near-normal
    g[:, 17] = 9.0  # one past 9-sigma day in every history: set aside, the tail stays near-normal
    assert np.mean(fit_tail_df(g, groups=one) >= 20) > 0.9
    assert np.mean(fit_tail_df(g, alpha=1e-12) >= 20) < 0.7  # hardly set aside: many series look heavy
    heavy = rng.standard_t(3, (60, 200)) * stats_norm_q75() / 0.7649
    assert np.all(fit_tail_df(heavy, groups=one) <= 6)
    mixed = np.vstack([rng.standard_normal((8, 200)), heavy[:2]])  # two heavy series in a normal family
    df = fit_tail_df(mixed, groups=np.zeros(10, dtype=np.int64))
    assert np.all(df[8:] <= 8) and np.mean(df[:8] >= 20) >= 0.75


def stats_norm_q75() -> float:
    from scipy import stats

    return float(stats.norm.ppf(0.75))


def test_window_test_accounts_for_the_shared_forecast_error() -> None:
    from omnimix.monitor.detect import scan_flags

    rng = np.random.default_rng(11)
    y = _world(rng, 200, 200)
    b = rolling_bands(y, 110)
    assert b.rho is not None and 0.05 < float(np.nanmedian(b.rho[:, 110:])) < 0.3
    # 200 clean series x 90 days x (1, 3, 7)-day windows: BH at 0.01 stays (almost) quiet
    assert scan_flags(b, 110, 0.01).sum() <= 3


def test_additive_mmm_band_follows_a_spend_cut() -> None:
    from omnimix.monitor.detect import Series, detect

    rng = np.random.default_rng(4)
    t_n, cut = 160, 130
    days = pd.date_range("2025-01-01", periods=t_n)
    spend = 1000.0 * (1 + 0.1 * rng.standard_normal(t_n))
    spend[cut:] *= 0.3
    truth = {"a": {"beta": 3000.0, "half_saturation": 800.0, "slope": 1.2}}
    curves = curves_from_daily_truth(truth)
    media = media_daily(curves, ["a"], spend[None, :])
    revenue = rng.poisson(4000.0 * (1 + 0.1 * np.cos(2 * np.pi * np.arange(t_n) / 7)) + media).astype(float)
    orders = rng.poisson(revenue / 200.0).astype(float)
    keys = [("spend", None), ("revenue", None), ("conversions", None), ("roas", None), ("spend", "a")]
    s = Series(keys, np.vstack([spend, revenue, orders, revenue / spend, spend]), days)
    found, bands = detect(s, 100, curves=curves)
    assert not [a for a in found if a.metric in ("revenue", "conversions", "roas")]
    # the band moved with the explained drop: revenue's expected value after the cut is near the truth
    expected = 4000.0 * (1 + 0.1 * np.cos(2 * np.pi * np.arange(cut, t_n) / 7)) + media[cut:]
    assert np.max(np.abs(bands.mean[1, cut:] / expected - 1)) < 0.06
    assert np.allclose(bands.mean[3, cut:], bands.mean[1, cut:] / spend[cut:])
    bare, _ = detect(s, 100)
    assert any(a.metric == "revenue" for a in bare)  # unexplained, the same drop is an alert
