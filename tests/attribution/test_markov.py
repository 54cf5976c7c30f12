"""Exact Markov removal effects against independent dense and enumeration references."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from omnimix.attribution.markov import markov
from omnimix.attribution.paths import from_sequences, from_strings
from omnimix.errors import ConfigError

Journeys = list[tuple[list[str], float, float, float]]  # (channels, conversions, value, null)


def _windows(seq: list[str], k: int) -> list[tuple[str, ...]]:
    if len(seq) < k:
        return [tuple(seq)]
    return [tuple(seq[i : i + k]) for i in range(len(seq) - k + 1)]


def _merge(seq: list) -> list:  # type: ignore[type-arg]
    return [c for i, c in enumerate(seq) if i == 0 or seq[i - 1] != c]


def path_states(seq: list[str], k: int, collapse: bool = True, states: str = "channelattribution") -> list[tuple[str, ...]]:
    """The states one journey visits: ``channelattribution`` merges repeated windows, ``omnimix`` channels first."""
    if not collapse:
        return _windows(seq, k)
    if states == "channelattribution":
        return _merge(_windows(seq, k))
    return _windows(_merge(seq), k)


def dense_reference(
    journeys: Journeys, k: int, collapse: bool = True, states: str = "channelattribution"
) -> dict[str, object]:
    """Textbook absorbing chain with dense matrices; removal redirects a channel's states to null."""
    counts: dict[tuple[object, object], float] = {}
    val_out: dict[object, float] = {}

    def add(a: object, b: object, w: float) -> None:
        counts[(a, b)] = counts.get((a, b), 0.0) + w

    for seq, conv, value, null in journeys:
        st = path_states(list(seq), k, collapse, states)
        w = conv + null
        nodes: list[object] = ["(start)", *st]
        for a, b in itertools.pairwise(nodes):
            add(a, b, w)
        add(st[-1], "(conversion)", conv)
        add(st[-1], "(null)", null)
        val_out[st[-1]] = val_out.get(st[-1], 0.0) + value
    transient = sorted({a for a, _ in counts} - {"(start)"}, key=str)
    nodes = ["(start)", *transient]
    idx = {n: i for i, n in enumerate(nodes)}
    n = len(nodes)
    out = np.zeros(n)
    for (a, _), w in counts.items():
        out[idx[a]] += w
    q = np.zeros((n, n))
    r = np.zeros((n, 2))  # conversion, value reward
    for (a, b), w in counts.items():
        if b == "(conversion)":
            r[idx[a], 0] += w / out[idx[a]]
        elif b != "(null)":
            q[idx[a], idx[b]] += w / out[idx[a]]
    for s, v in val_out.items():
        r[idx[s], 1] = v / out[idx[s]]

    def absorb(qm: np.ndarray, rm: np.ndarray) -> np.ndarray:
        return np.linalg.solve(np.eye(n) - qm, rm)[0]

    base = absorb(q, r)
    channels = sorted({c for seq, *_ in journeys for c in seq})
    re, re_v = [], []
    for c in channels:
        qc, rc = q.copy(), r.copy()
        for s in transient:
            if c in s:  # type: ignore[operator]
                qc[idx[s], :] = 0.0
                rc[idx[s], :] = 0.0
        pc = absorb(qc, rc)
        re.append(1 - pc[0] / base[0])
        re_v.append(1 - pc[1] / base[1] if base[1] > 0 else 0.0)
    return {"channels": channels, "p_conv": base[0], "re": np.array(re), "re_v": np.array(re_v)}


def _pd(journeys: Journeys):  # type: ignore[no-untyped-def]
    return from_sequences(
        [j[0] for j in journeys], [j[1] for j in journeys], [j[2] for j in journeys], [j[3] for j in journeys]
    )


CYCLIC: Journeys = [
    (["a", "b", "c"], 3, 30.0, 5),
    (["a", "b", "a", "c"], 2, 26.0, 1),
    (["b", "a"], 1, 4.0, 6),
    (["c", "c", "b", "a", "b"], 4, 50.0, 2),
    (["a"], 1, 9.0, 8),
    (["d", "a", "d", "b"], 2, 11.0, 3),
    (["c", "d"], 0, 0.0, 4),
    (["b", "d", "c", "a", "b", "d"], 3, 60.0, 1),
]


@pytest.mark.parametrize("order", [1, 2, 3, 4])
@pytest.mark.parametrize("solver", ["dense", "iterative", "sparse_lu"])
@pytest.mark.parametrize("states", ["channelattribution", "omnimix"])
def test_markov_matches_dense_reference(order: int, solver: str, states: str) -> None:
    ref = dense_reference(CYCLIC, order, states=states)
    res = markov(_pd(CYCLIC), order=order, solver=solver, states=states)  # type: ignore[arg-type]
    assert list(res.channels) == ref["channels"]
    np.testing.assert_allclose(res.removal_effect, ref["re"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(res.removal_effect_value, ref["re_v"], rtol=0, atol=1e-9)
    assert res.conversion_probability == pytest.approx(ref["p_conv"], abs=1e-12)
    # the empirical chain reproduces the observed conversion rate exactly
    total = sum(j[1] + j[3] for j in CYCLIC)
    assert res.conversion_probability == pytest.approx(sum(j[1] for j in CYCLIC) / total, abs=1e-12)
    assert res.conversions.sum() == pytest.approx(16.0, abs=1e-9)
    assert res.value.sum() == pytest.approx(190.0, abs=1e-9)


@pytest.mark.parametrize("states", ["channelattribution", "omnimix"])
def test_markov_without_collapse_and_without_null(states: str) -> None:
    ref = dense_reference([(s, c, v, 0.0) for s, c, v, _ in CYCLIC if c > 0], 2, collapse=False)
    res = markov(_pd(CYCLIC), order=2, collapse_repeats=False, use_null=False, states=states)  # type: ignore[arg-type]
    np.testing.assert_allclose(res.removal_effect, ref["re"], atol=1e-9)
    assert res.conversion_probability == pytest.approx(1.0)


def test_markov_matches_exhaustive_path_enumeration() -> None:
    """On an acyclic chain every route from (start) can be listed; removal = drop routes through c."""
    journeys: Journeys = [
        (["a", "b", "c"], 3, 3.0, 2),
        (["a", "c"], 1, 1.0, 4),
        (["b", "c"], 2, 2.0, 1),
        (["a", "b"], 1, 1.0, 3),
        (["c"], 2, 2.0, 5),
    ]
    res = markov(_pd(journeys), order=1)
    # transition probabilities from counts
    cnt: dict[str, dict[str, float]] = {}
    for seq, conv, _, null in journeys:
        nodes = ["S", *seq]
        for a, b in itertools.pairwise(nodes):
            cnt.setdefault(a, {}).setdefault(b, 0.0)
            cnt[a][b] += conv + null
        cnt.setdefault(seq[-1], {}).setdefault("conv", 0.0)
        cnt[seq[-1]]["conv"] += conv
        cnt[seq[-1]].setdefault("null", 0.0)
        cnt[seq[-1]]["null"] += null

    def routes(node: str, prob: float, seen: tuple[str, ...]) -> list[tuple[tuple[str, ...], float]]:
        out: list[tuple[tuple[str, ...], float]] = []
        total = sum(cnt[node].values())
        for nxt, w in cnt[node].items():
            p = prob * w / total
            if nxt == "conv":
                out.append((seen, p))
            elif nxt != "null":
                out.extend(routes(nxt, p, (*seen, nxt)))
        return out

    conv_routes = routes("S", 1.0, ())
    p_conv = sum(p for _, p in conv_routes)
    for i, c in enumerate(res.channels):
        visit = sum(p for r, p in conv_routes if c in r) / p_conv
        assert res.removal_effect[i] == pytest.approx(visit, abs=1e-12)


def test_markov_hand_computed_two_channels() -> None:
    # a > b converts 1, b converts 1: p(start->a)=1/2, a->b=1, b->conv=1 ; RE(a)=1/2, RE(b)=1
    res = markov(from_strings(["a > b", "b"], [1, 1]), order=1)
    np.testing.assert_allclose(res.removal_effect, [0.5, 1.0], atol=1e-15)
    np.testing.assert_allclose(res.conversions, [2 / 3, 4 / 3], atol=1e-12)


def test_transition_matrix_rows_sum_to_one() -> None:
    res = markov(_pd(CYCLIC), order=2)
    labels, mat = res.transition_matrix()
    assert labels[0] == "(start)" and labels[-2:] == ["(conversion)", "(null)"]
    np.testing.assert_allclose(np.asarray(mat.sum(axis=1)).ravel(), 1.0, atol=1e-12)
    table = {(a, b): p for a, b, p in markov(_pd(CYCLIC), order=1).transition_table()}
    assert table[("(start)", "a")] == pytest.approx(20 / 46, abs=1e-15)
    # b is left 5+3+6+6+3+1 (+1 inside the last path) times; b -> conv from "b > a"? no: ends with a
    assert sum(p for (a, _), p in table.items() if a == "b") == pytest.approx(1.0)


def test_markov_rejects_bad_order() -> None:
    with pytest.raises(ConfigError, match="order"):
        markov(_pd(CYCLIC), order=5)


def test_large_chain_code_paths_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    """The np.unique branches used for big state spaces give the same chain as the fast tables."""
    from omnimix.attribution import markov as mk

    p = _pd(CYCLIC)
    ref = markov(p, order=3)
    monkeypatch.setattr(mk, "_LUT_MAX", 0)
    monkeypatch.setattr(mk, "_BINCOUNT_MAX", 0)
    got = markov(p, order=3)
    np.testing.assert_allclose(got.removal_effect, ref.removal_effect, atol=1e-14)
    assert got.chain.n_states == ref.chain.n_states


def test_uncertified_iteration_falls_back_to_sparse_lu(monkeypatch: pytest.MonkeyPatch) -> None:
    from omnimix.attribution import markov as mk

    p = _pd(CYCLIC)
    ref = markov(p, order=2, solver="dense")
    monkeypatch.setattr(mk, "_MAX_ITER", 1)
    got = markov(p, order=2, solver="iterative")
    assert got.solver == "sparse_lu"
    np.testing.assert_allclose(got.removal_effect, ref.removal_effect, atol=1e-12)


def test_iterative_products_in_numpy_and_scipy_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    from omnimix.attribution import markov as mk

    p = _pd(CYCLIC)
    ref = markov(p, order=2, solver="dense")
    numpy_side = markov(p, order=2, solver="iterative")
    monkeypatch.setattr(mk, "_NUMPY_PRODUCT_MAX_EDGES", 0)
    scipy_side = markov(p, order=2, solver="iterative")
    assert numpy_side.solver == scipy_side.solver == "iterative"
    np.testing.assert_allclose(numpy_side.removal_effect, ref.removal_effect, atol=1e-12)
    np.testing.assert_allclose(scipy_side.removal_effect, ref.removal_effect, atol=1e-12)
