"""The MMM's components and the simulator evaluate the formulas of omnimix.transforms."""

from __future__ import annotations

import numpy as np

from omnimix import transforms
from omnimix.mmm.components import (
    DelayedAdstock,
    GeometricAdstock,
    HillSaturation,
    LogisticSaturation,
    WeibullAdstock,
)
from omnimix.simulate.media import adstock_np, geometric_weights, saturation_np


def test_components_match_transforms() -> None:
    a = np.array([[0.0, 0.5], [1.0, 2.0], [3.0, 0.1]])
    hp = {"half_saturation": np.array([1.2, 0.8]), "slope": np.array([1.5, 2.5])}
    with np.errstate(over="ignore"):  # transforms.hill overflows exp() on its way to the exact 0 at a = 0
        ref = transforms.hill(a, hp["half_saturation"], hp["slope"])
    np.testing.assert_allclose(HillSaturation().apply(a, hp), ref, rtol=1e-12)
    lam = {"lam": np.array([0.7, 1.9])}
    np.testing.assert_allclose(LogisticSaturation().apply(a, lam), transforms.logistic(a, lam["lam"]), rtol=1e-12)
    for comp, params in (
        (GeometricAdstock(l_max=5), {"alpha": np.array([0.3, 0.6])}),
        (DelayedAdstock(l_max=5), {"alpha": np.array([0.3, 0.6]), "theta": np.array([1.0, 2.0])}),
        (WeibullAdstock(l_max=5), {"shape": np.array([1.5, 2.0]), "scale": np.array([2.0, 3.0])}),
    ):
        np.testing.assert_allclose(comp.weights(params), transforms.adstock_weights(comp.name, 5, params),
                                   rtol=1e-12)


def test_simulator_matches_transforms() -> None:
    x = np.array([0.0, 10.0, 50.0, 200.0])
    hill = {"type": "hill", "beta": 3.0, "half_saturation": 40.0, "slope": 1.7}
    np.testing.assert_allclose(saturation_np(x, hill), 3.0 * x**1.7 / (x**1.7 + 40.0**1.7), rtol=1e-12)
    logi = {"type": "logistic", "beta": 2.0, "lam": 0.02}
    np.testing.assert_allclose(saturation_np(x, logi), 2.0 * np.tanh(0.01 * x), rtol=1e-12)
    w = geometric_weights(0.5, 3)
    np.testing.assert_allclose(w, [4 / 7, 2 / 7, 1 / 7])
    np.testing.assert_allclose(adstock_np(np.array([7.0, 0.0, 0.0, 7.0]), w), [4, 2, 1, 4])


def test_hill_gradient_is_finite_at_zero_media_in_jax() -> None:
    """NUTS differentiates the Hill curve in float32 where adstocked media are 0 (before the data)."""
    import jax
    import jax.numpy as jnp

    a = jnp.array([0.0, 0.5, 2.0], dtype=jnp.float32)

    def total(k: jax.Array, s: jax.Array) -> jax.Array:
        return HillSaturation().apply(a, {"half_saturation": k, "slope": s}).sum()

    gk, gs = jax.grad(total, argnums=(0, 1))(jnp.float32(1.0), jnp.float32(1.5))
    assert np.isfinite(float(gk)) and np.isfinite(float(gs))
    assert float(HillSaturation().apply(a, {"half_saturation": jnp.float32(1.0), "slope": jnp.float32(1.5)})[0]) == 0.0
