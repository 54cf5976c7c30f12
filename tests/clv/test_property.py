"""Property test: every model fits any realistic summary without ConvergenceError or NaN."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnimix.clv import bgnbd, paretonbd
from omnimix.clv.bgnbd import BetaGeoModel
from omnimix.clv.gammagamma import GammaGammaModel
from omnimix.clv.paretonbd import ParetoNBDModel
from omnimix.clv.predict import discounted_clv


@st.composite
def summaries(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(40, 400))
    unit_scale = draw(st.sampled_from([1.0, 7.0]))  # weeks or days
    horizon = draw(st.floats(8.0, 104.0)) * unit_scale
    params = {
        "r": draw(st.floats(0.05, 5.0)),
        "alpha": draw(st.floats(0.5, 40.0)) * unit_scale,
        "a": draw(st.floats(0.1, 5.0)),
        "b": draw(st.floats(0.2, 20.0)),
        "s": draw(st.floats(0.05, 5.0)),
        "beta": draw(st.floats(1.0, 100.0)) * unit_scale,
    }
    big_t = rng.uniform(0.05, 1.0, n) * horizon
    sim = bgnbd.simulate_summary if draw(st.booleans()) else paretonbd.simulate_summary
    x, t_x, big_t = sim(params, big_t, rng)
    heavy = draw(st.integers(0, 5))  # customers with frequency in the hundreds
    if heavy:
        idx = rng.choice(n, heavy, replace=False)
        x[idx] = rng.integers(100, 900, heavy)
        t_x[idx] = big_t[idx] * rng.uniform(0.0, 1.0, heavy) ** 0.2
    # at least a few repeat buyers so the spend model has data
    if (x > 0).sum() < 3:
        idx = rng.choice(n, 3, replace=False)
        x[idx] = rng.integers(1, 5, 3)
        t_x[idx] = big_t[idx] * rng.uniform(0.1, 1.0, 3)
    mv = np.where(x > 0, rng.gamma(draw(st.floats(0.5, 10.0)), draw(st.floats(1.0, 200.0)), n), 0.0)
    return x, t_x, big_t, mv


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(summaries())
def test_fits_never_fail_or_nan(data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> None:
    x, t_x, big_t, mv = data
    gg = GammaGammaModel().fit(x, mv)
    spend = gg.expected_spend(x, mv)
    assert np.all(np.isfinite(spend)) and np.all(spend > 0)
    for model in (BetaGeoModel(), ParetoNBDModel()):
        res = model.fit(x, t_x, big_t).result
        assert all(np.isfinite(v) and v > 0 for v in res.params.values()), res
        assert np.isfinite(res.log_likelihood)
        assert np.all(np.isfinite(model.log_likelihood(x, t_x, big_t)))
        pa = model.p_alive(x, t_x, big_t)
        assert np.all((pa >= 0) & (pa <= 1))
        ey = model.expected_purchases(float(np.median(big_t)), x, t_x, big_t)
        assert np.all(np.isfinite(ey)) and np.all(ey >= -1e-9)
        clv = discounted_clv(model, x, t_x, big_t, spend, months=6, period_length=float(np.median(big_t)) / 6)
        assert np.all(np.isfinite(clv))
