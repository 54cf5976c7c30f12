from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest

from omnimix.attribution.paths import from_sequences, from_strings
from omnimix.attribution.shapley import (
    mobius_transform,
    shapley,
    shapley_from_worth,
    shapley_ordered,
    shapley_simplified,
    zeta_transform,
)


def _golden():  # type: ignore[no-untyped-def]
    # R({A})=10, R({B})=5, R({A,B})=20, R({B,C})=6, R({A,B,C})=9
    return from_strings(["A", "B", "A > B", "B > C", "A > B > C"], [10, 5, 20, 6, 9])


def test_simplified_shapley_golden() -> None:
    res = shapley_simplified(_golden())
    assert res.channels == ("A", "B", "C")
    np.testing.assert_allclose(res.conversions, [23.0, 21.0, 6.0], atol=1e-12)


def test_exact_shapley_count_worth_equals_simplified() -> None:
    res = shapley(_golden(), worth="conversions")
    np.testing.assert_allclose(res.conversions, [23.0, 21.0, 6.0], atol=1e-12)


def brute_force_shapley(v: dict[frozenset[int], float], m: int) -> np.ndarray:
    phi = np.zeros(m)
    for perm in itertools.permutations(range(m)):
        s: frozenset[int] = frozenset()
        for j in perm:
            phi[j] += v[s | {j}] - v[s]
            s = s | {j}
    return phi / math.factorial(m)


@pytest.mark.parametrize("m", [1, 2, 3, 5, 6])
def test_shapley_from_worth_matches_permutation_definition(m: int) -> None:
    rng = np.random.default_rng(m)
    w = rng.normal(size=1 << m)
    w[0] = 0.0
    v = {frozenset(i for i in range(m) if mask >> i & 1): float(w[mask]) for mask in range(1 << m)}
    np.testing.assert_allclose(shapley_from_worth(w), brute_force_shapley(v, m), atol=1e-12)


def test_zeta_and_mobius_are_inverse_and_correct() -> None:
    rng = np.random.default_rng(0)
    f = rng.normal(size=16)
    g = zeta_transform(f)
    assert g[0b1011] == pytest.approx(sum(f[t] for t in range(16) if t & 0b1011 == t))
    np.testing.assert_allclose(mobius_transform(g), f, atol=1e-12)


def test_rate_worth_against_brute_force() -> None:
    seqs = [["a"], ["b"], ["a", "b"], ["c"], ["a", "c"], ["b", "c", "a"]]
    conv = [2, 1, 5, 0, 3, 4]
    null = [8, 9, 5, 10, 2, 1]
    pd_ = from_sequences(seqs, conv, None, null)
    res = shapley(pd_, worth="rate")
    sets = [frozenset(s) for s in seqs]
    chans = ["a", "b", "c"]

    def rate(s: frozenset[str]) -> float:
        c = sum(cv for st, cv in zip(sets, conv, strict=True) if st <= s)
        n = sum(cv + nl for st, cv, nl in zip(sets, conv, null, strict=True) if st <= s)
        return c / n if n else 0.0

    v = {
        frozenset(i for i in range(3) if mask >> i & 1): rate(
            frozenset(chans[i] for i in range(3) if mask >> i & 1)
        )
        for mask in range(8)
    }
    phi = brute_force_shapley(v, 3)
    np.testing.assert_allclose(res.extras["shapley_value"], phi, atol=1e-12)
    np.testing.assert_allclose(res.conversions, phi / phi.sum() * sum(conv), atol=1e-9)
    assert res.params["worth"] == "rate"


def test_negative_credit_is_warned() -> None:
    # channel z only ever appears on journeys that do not convert -> lowers the rate
    pd_ = from_sequences([["a"], ["a", "z"], ["z"]], [5, 1, 0], None, [5, 9, 10])
    res = shapley(pd_, worth="rate")
    assert res.conversions[1] < 0
    assert res.warnings and "z" in res.warnings[0]
    assert res.conversions.sum() == pytest.approx(6.0)


def test_ordered_shapley_conventions() -> None:
    pd_ = from_strings(["a > b > a > c", "b"], [6, 2])
    att, pos = shapley_ordered(pd_, repeats="first")
    # path 1: distinct order a,b,c -> 2 each at positions 1,2,3 ; path 2: b at 1 gets 2
    np.testing.assert_allclose(pos.conversions, [[2, 0, 0], [2, 2, 0], [0, 0, 2]], atol=1e-12)
    np.testing.assert_allclose(att.conversions, [2, 4, 2], atol=1e-12)
    att2, pos2 = shapley_ordered(pd_, repeats="split")
    # a's share 2 split over touches 1 and 3
    np.testing.assert_allclose(pos2.conversions, [[1, 0, 1, 0], [2, 2, 0, 0], [0, 0, 0, 2]], atol=1e-12)
    np.testing.assert_allclose(att2.conversions, shapley_simplified(pd_).conversions, atol=1e-12)


def test_exact_shapley_twenty_channels_is_fast() -> None:
    rng = np.random.default_rng(1)
    names = [f"c{i:02d}" for i in range(20)]
    seqs = [list(rng.choice(names, size=rng.integers(1, 8))) for _ in range(5000)]
    pd_ = from_sequences(seqs, rng.integers(0, 5, 5000), rng.random(5000), rng.integers(0, 20, 5000))
    t0 = time.perf_counter()
    res = shapley(pd_, worth="rate")
    elapsed = time.perf_counter() - t0
    assert res.conversions.sum() == pytest.approx(pd_.total_conversions)
    assert elapsed < 5.0


def test_too_many_channels_for_exact_shapley() -> None:
    from omnimix.errors import ConfigError

    names = [f"c{i}" for i in range(25)]
    p = from_sequences([names], [1])
    with pytest.raises(ConfigError, match="shapley_simplified"):
        shapley(p)
    assert shapley_simplified(p).conversions.sum() == pytest.approx(1.0)
