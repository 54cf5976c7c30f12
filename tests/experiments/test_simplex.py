"""The simplex least-squares solver against a brute-force enumeration of supports."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from omnimix.experiments.simplex import project_simplex, simplex_ls


def brute_force(A: np.ndarray, b: np.ndarray, eta: float) -> np.ndarray:
    """Minimum over every support of the equality-constrained solution that stays non-negative."""
    n = A.shape[1]
    best, best_w = np.inf, np.zeros(n)
    for k in range(1, n + 1):
        for s in combinations(range(n), k):
            As = A[:, list(s)]
            K = np.zeros((k + 1, k + 1))
            K[:k, :k] = 2 * (As.T @ As + eta * np.eye(k))
            K[:k, k] = 1
            K[k, :k] = 1
            sol = np.linalg.lstsq(K, np.r_[2 * As.T @ b, 1.0], rcond=None)[0][:k]
            if np.all(sol >= -1e-12):
                w = np.zeros(n)
                w[list(s)] = sol
                f = float(np.sum((A @ w - b) ** 2) + eta * w @ w)
                if f < best - 1e-12:
                    best, best_w = f, w
    return best_w


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("eta", [0.0, 0.5])
def test_matches_brute_force(seed: int, eta: float) -> None:
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(12, 5))
    b = A @ rng.dirichlet(np.ones(5) * 0.5) + rng.normal(0, 0.7, 12) + (seed % 3 - 1) * 2.0
    w = simplex_ls(A, b, eta)
    ref = brute_force(A, b, eta)
    f = lambda v: float(np.sum((A @ v - b) ** 2) + eta * v @ v)  # noqa: E731
    assert abs(w.sum() - 1) < 1e-9 and w.min() >= 0
    assert f(w) <= f(ref) + 1e-9
    np.testing.assert_allclose(w, ref, atol=1e-6)


def test_projection_is_the_closest_simplex_point() -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        v = rng.normal(size=6) * 2
        p = project_simplex(v)
        assert abs(p.sum() - 1) < 1e-12 and p.min() >= 0
        for _ in range(50):  # no random simplex point is closer
            q = rng.dirichlet(np.ones(6))
            assert np.sum((p - v) ** 2) <= np.sum((q - v) ** 2) + 1e-12
