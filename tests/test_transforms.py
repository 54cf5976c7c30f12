"""The one home of the media formulas: golden values, derivatives against finite differences, NumPy = JAX."""

from __future__ import annotations

import math

import numpy as np
import pytest

from omnimix import transforms as T


def test_hill_golden_values() -> None:
    # beta * x^s / (x^s + K^s) written out by hand
    assert T.hill(2.0, 2.0, 3.0, 10.0) == pytest.approx(5.0)
    assert T.hill(1.0, 2.0, 2.0, 1.0) == pytest.approx(1.0 / (1.0 + 4.0))
    assert T.hill(4.0, 2.0, 0.5, 3.0) == pytest.approx(3.0 * 2.0 / (2.0 + math.sqrt(2.0)))
    assert T.hill(0.0, 2.0, 3.0, 10.0) == 0.0
    assert T.hill(-1.0, 2.0, 3.0, 10.0) == 0.0


def test_logistic_golden_values() -> None:
    assert T.logistic(1.0, 2.0, 5.0) == pytest.approx(5.0 * math.tanh(1.0))
    assert T.logistic(0.0, 2.0, 5.0) == 0.0
    assert T.logistic(100.0, 2.0, 5.0) == pytest.approx(5.0)


@pytest.mark.parametrize("k,s", [(1.5, 0.7), (2.0, 1.0), (0.8, 2.5), (3.0, 4.0)])
def test_hill_derivatives_match_finite_differences(k: float, s: float) -> None:
    x = np.linspace(0.2, 6.0, 25)
    h = 1e-5
    d1 = (T.hill(x + h, k, s, 2.0) - T.hill(x - h, k, s, 2.0)) / (2 * h)
    d2 = (T.hill(x + h, k, s, 2.0, 1) - T.hill(x - h, k, s, 2.0, 1)) / (2 * h)
    np.testing.assert_allclose(T.hill(x, k, s, 2.0, order=1), d1, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(T.hill(x, k, s, 2.0, order=2), d2, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("lam", [0.1, 1.0, 3.0])
def test_logistic_derivatives_match_finite_differences(lam: float) -> None:
    x = np.linspace(0.0, 5.0, 21) + 0.01
    h = 1e-5
    d1 = (T.logistic(x + h, lam, 4.0) - T.logistic(x - h, lam, 4.0)) / (2 * h)
    d2 = (T.logistic(x + h, lam, 4.0, 1) - T.logistic(x - h, lam, 4.0, 1)) / (2 * h)
    np.testing.assert_allclose(T.logistic(x, lam, 4.0, order=1), d1, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(T.logistic(x, lam, 4.0, order=2), d2, rtol=1e-5, atol=1e-8)


def test_hill_derivative_at_zero_has_no_nan() -> None:
    for s in (0.5, 1.0, 1.5, 3.0):
        v = T.hill(np.array([0.0, 1.0]), 1.0, s, 1.0, order=1)
        assert not np.isnan(v).any()
    assert T.hill(np.array([0.0]), 1.0, 3.0, 1.0, order=1)[0] == 0.0


def test_saturation_by_name_and_unknown() -> None:
    assert T.saturation("hill", 2.0, {"half_saturation": 2.0, "slope": 1.0, "beta": 4.0}) == pytest.approx(2.0)
    assert T.saturation("logistic", 1.0, {"lam": 2.0}) == pytest.approx(math.tanh(1.0))
    with pytest.raises(ValueError, match="expected one of"):
        T.saturation("cubic", 1.0, {})


def test_adstock_weights_normalised_and_shaped() -> None:
    w = T.adstock_weights("geometric", 4, {"alpha": np.array([0.5, 0.0])})
    assert w.shape == (4, 2)
    np.testing.assert_allclose(w[:, 0], np.array([1, 0.5, 0.25, 0.125]) / 1.875)
    np.testing.assert_allclose(w[:, 1], [1, 0, 0, 0])
    d = T.adstock_weights("delayed", 5, {"alpha": np.array([0.5]), "theta": np.array([2.0])})
    assert int(np.argmax(d[:, 0])) == 2
    wb = T.adstock_weights("weibull", 6, {"shape": np.array([2.0, 1.0]), "scale": np.array([1.5, 2.0])})
    np.testing.assert_allclose(wb.sum(axis=0), 1.0)
    # batched parameters (draws, C) → (draws, L, C)
    batch = T.adstock_weights("geometric", 3, {"alpha": np.full((7, 2), 0.3)})
    assert batch.shape == (7, 3, 2)


def test_apply_adstock_is_a_causal_convolution() -> None:
    x = np.array([10.0, 0.0, 0.0, 5.0])
    w = np.array([0.5, 0.3, 0.2])
    out = T.apply_adstock(x, w)
    np.testing.assert_allclose(out, [5.0, 3.0, 2.0, 2.5])
    # brute force
    ref = [sum(w[lag] * x[t - lag] for lag in range(len(w)) if t - lag >= 0) for t in range(len(x))]
    np.testing.assert_allclose(out, ref)


def test_jax_and_numpy_agree() -> None:
    jnp = pytest.importorskip("jax.numpy")
    x = np.linspace(0, 5, 11)
    np.testing.assert_allclose(np.asarray(T.hill(jnp.asarray(x), 2.0, 1.7, 3.0)), T.hill(x, 2.0, 1.7, 3.0),
                               rtol=1e-6)
    np.testing.assert_allclose(np.asarray(T.logistic(jnp.asarray(x), 0.7, 3.0)), T.logistic(x, 0.7, 3.0),
                               rtol=1e-6)
    assert T.xp_of(jnp.asarray(x)) is jnp
    assert T.xp_of(x, 1.0) is np
