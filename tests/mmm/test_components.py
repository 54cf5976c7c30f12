from __future__ import annotations

import numpy as np
import pytest

from omnimix.errors import ConfigError
from omnimix.mmm.components import (
    DelayedAdstock,
    GeometricAdstock,
    HillSaturation,
    LogisticSaturation,
    Prior,
    WeibullAdstock,
    adstock_names,
    make_adstock,
    make_saturation,
    saturation_names,
)
from omnimix.mmm.model import lag_tensor
from omnimix.simulate.media import adstock_np, geometric_weights


def test_geometric_weights_golden() -> None:
    w = GeometricAdstock(l_max=3).weights({"alpha": np.array([0.5, 0.0])})
    assert w.shape == (3, 2)
    np.testing.assert_allclose(w[:, 0], [4 / 7, 2 / 7, 1 / 7])
    np.testing.assert_allclose(w[:, 1], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(
        GeometricAdstock(l_max=8).weights({"alpha": np.array([0.3])})[:, 0], geometric_weights(0.3, 8)
    )


def test_delayed_and_weibull_weights() -> None:
    w = DelayedAdstock(l_max=6).weights({"alpha": np.array([0.5]), "theta": np.array([2.0])})[:, 0]
    assert w.sum() == pytest.approx(1.0)
    assert int(np.argmax(w)) == 2
    assert w[1] == pytest.approx(w[3])
    ww = WeibullAdstock(l_max=10).weights({"shape": np.array([2.0]), "scale": np.array([3.0])})[:, 0]
    assert ww.sum() == pytest.approx(1.0)
    assert 1 <= int(np.argmax(ww)) <= 3


def test_weights_batch_over_draws() -> None:
    alpha = np.array([[0.1, 0.5], [0.7, 0.2], [0.3, 0.3]])  # (S=3, C=2)
    w = GeometricAdstock(l_max=4).weights({"alpha": alpha})
    assert w.shape == (3, 4, 2)
    np.testing.assert_allclose(w[1, :, 0], geometric_weights(0.7, 4))


def test_saturation_golden() -> None:
    h = HillSaturation()
    p = {"half_saturation": np.array([2.0]), "slope": np.array([2.0])}
    np.testing.assert_allclose(h.apply(np.array([[0.0], [2.0], [4.0]]), p)[:, 0], [0.0, 0.5, 0.8], atol=1e-12)
    lg = LogisticSaturation()
    v = lg.apply(np.array([[0.0], [1.0]]), {"lam": np.array([np.log(3.0)])})
    np.testing.assert_allclose(v[:, 0], [0.0, (1 - 1 / 3) / (1 + 1 / 3)])
    k = h.to_kpi_units({"half_saturation": 1.5, "slope": 1.2}, beta=0.2, y_scale=1000.0, x_scale=50.0)
    assert k == {"type": "hill", "beta": 200.0, "half_saturation": 75.0, "slope": 1.2}


def test_lag_tensor_adstock_matches_bruteforce() -> None:
    rng = np.random.default_rng(0)
    x = rng.gamma(2.0, 1.0, (30, 3))
    w = np.stack([geometric_weights(a, 5) for a in (0.2, 0.5, 0.8)], axis=1)  # (L, C)
    lag = lag_tensor(x, 5)
    got = np.einsum("ltc,lc->tc", lag, w)
    for c in range(3):
        ref = np.array([sum(w[k, c] * x[t - k, c] for k in range(5) if t - k >= 0) for t in range(30)])
        np.testing.assert_allclose(got[:, c], ref)
        np.testing.assert_allclose(got[:, c], adstock_np(x[:, c], w[:, c]))


def test_registry_and_priors() -> None:
    assert adstock_names() == ["delayed", "geometric", "weibull"]
    assert saturation_names() == ["hill", "logistic"]
    a = make_adstock(
        "geometric", 6, {"alpha": {"dist": "Beta", "params": {"concentration1": 2, "concentration0": 2}}}
    )
    assert a.priors["alpha"] == Prior("Beta", {"concentration1": 2.0, "concentration0": 2.0})
    assert make_saturation("logistic").priors["lam"].dist == "Gamma"
    with pytest.raises(ConfigError, match="unknown"):
        make_adstock("carryover")
    with pytest.raises(ConfigError, match="unknown"):
        make_saturation("tanh")
    with pytest.raises(ConfigError, match="Cauchyish"):
        Prior("Cauchyish")
    with pytest.raises(ConfigError, match="l_max"):
        make_adstock("geometric", 0)
