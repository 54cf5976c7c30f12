"""Bayesian structural time series: the Kalman likelihood against brute force, a small read, analyze()."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from omnimix.errors import UsageError
from omnimix.experiments.its import ItsConfig, _kernels, its_fit

SMALL = ItsConfig(warmup=150, samples=200, chains=1)


def test_kalman_loglik_matches_multivariate_normal() -> None:
    rng = np.random.default_rng(0)
    n = 25
    y = rng.normal(0, 1, n)
    reg = rng.normal(0, 0.3, n)
    s_obs, s_level = 0.7, 0.2
    k = _kernels(n, 1, 1, False, 0.02, 10, 10, 1)
    jnp = k["jnp"]
    ll, _, _ = k["kfilter"](jnp.asarray(y), jnp.ones(n), jnp.asarray(reg), s_obs, jnp.diag(jnp.array([s_level**2])))
    t = np.arange(n)
    cov = 4.0 + s_level**2 * np.minimum.outer(t, t) + s_obs**2 * np.eye(n)
    ref = stats.multivariate_normal(reg, cov).logpdf(y)
    assert float(ll) == pytest.approx(ref, rel=1e-4)


def _world(seed: int, lift: float) -> tuple[np.ndarray, np.ndarray, float]:
    rng = np.random.default_rng(seed)
    t = np.arange(100)
    common = np.cumsum(rng.normal(0, 0.01, 100)) + 0.05 * np.sin(t / 9)
    ctrl = 3000 * np.exp(common) * (1 + rng.normal(0, 0.02, 100))
    treated = 500 * np.exp(common) * (1 + rng.normal(0, 0.03, 100))
    eff = np.where(t >= 80, lift * treated, 0.0)
    return treated + eff, ctrl, float(eff.sum())


def test_small_read_covers_and_p_agrees_with_interval() -> None:
    y, x, total = _world(1, 0.06)
    r = its_fit(y, x[:, None], test_start=80, n_treated=2, level=0.9, seed=3, config=SMALL)
    assert r.total["lo"] <= total <= r.total["hi"]
    assert r.att["mean"] == pytest.approx(r.total["mean"] / (20 * 2))
    assert r.point["mean"].shape == (20,) and r.counterfactual["mean"].shape == (100,)
    assert np.allclose(r.cumulative["mean"][-1], r.total["mean"])
    excl = r.total["lo"] > 0 or r.total["hi"] < 0
    assert excl == (r.p_value < 0.10)
    again = its_fit(y, x[:, None], test_start=80, n_treated=2, level=0.9, seed=3, config=SMALL)
    assert again.total == r.total  # same seed, same result


def test_trend_is_the_default_and_an_its_option_only() -> None:
    from omnimix.experiments import GeoPanel, analyze
    from omnimix.simulate.geo import simulate_geo_panel

    assert ItsConfig().trend is True
    frame, truth = simulate_geo_panel(n_geos=8, n_days=40, test_days=7, treated=1, seed=1, cost=False)
    with pytest.raises(UsageError, match="option of the 'its' model"):
        analyze(GeoPanel.from_frame(frame), "did", truth["treated"], truth["test_start"], truth["test_end"],
                trend=False)


def test_bad_windows() -> None:
    with pytest.raises(UsageError, match="does not fit"):
        its_fit(np.ones(10), None, test_start=1)


@pytest.mark.slow
def test_analyze_routes_its() -> None:
    from omnimix.experiments import GeoPanel, analyze

    rng = np.random.default_rng(5)
    dates = pd.date_range("2024-01-01", periods=100)
    rows = []
    common = np.exp(np.cumsum(rng.normal(0, 0.01, 100)))
    for g in range(8):
        lvl = 100 * (g + 1) * common * (1 + rng.normal(0, 0.03, 100))
        if g < 2:
            lvl = lvl * np.where(np.arange(100) >= 80, 1.05, 1.0)
        rows += [{"geo": f"g{g}", "date": d, "kpi": v} for d, v in zip(dates, lvl, strict=True)]
    p = GeoPanel.from_frame(pd.DataFrame(rows))
    r = analyze(p, "its", ["g0", "g1"], "2024-03-21", "2024-04-09", level=0.9, seed=0)
    js = r.to_json()
    assert js["method"] == "its" and js["att"]["lo"] <= js["att"]["mean"] <= js["att"]["hi"]
    assert (js["att"]["lo"] > 0 or js["att"]["hi"] < 0) == (js["p_value"] < 0.10)
    assert r.details["trend"] is True           # the local linear trend is the default (issue #16)
    flat = analyze(p, "its", ["g0", "g1"], "2024-03-21", "2024-04-09", level=0.9, seed=0, trend=False)
    assert flat.details["trend"] is False       # CausalImpact's local level
    assert flat.att.hi - flat.att.lo < r.att.hi - r.att.lo   # the slope's uncertainty widens the interval
