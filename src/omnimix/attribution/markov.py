"""Markov-chain attribution with exact removal effects, for chains of order 1 to 4.

Model (the one ChannelAttribution and Anderl et al. 2016 use, computed exactly instead of simulated):

* A state of an order-``k`` chain is a window of ``k`` consecutive channels of a path; a path of
  ``L >= k`` touches visits its ``L - k + 1`` windows in turn, a shorter path visits one state (the
  whole path). Every journey starts in ``(start)`` and ends in ``(conversion)`` or ``(null)``.
* Transition probabilities are the observed transition counts, each path weighted by its number of
  journeys (``total_conversions + total_null``), divided by the state's total outflow.
* With ``collapse_repeats`` (default), repeats are merged. By default (``states="channelattribution"``,
  ChannelAttribution's construction) the windows are taken from the path as recorded and consecutive
  equal windows merged: ``a > a > b > b > b`` at order 2 visits ``a > a``, ``a > b``, ``b > b``. With
  ``states="omnimix"`` (omnimix's first construction) repeated channels are merged first: ``a > b``.
  At order 1 the two are the same.
* Removing channel ``c`` sends every state that contains ``c`` to ``(null)``. The removal effect is
  ``RE_c = 1 - P(conversion without c) / P(conversion)``, which equals the probability that a
  converting journey of the chain visits ``c``. Conversions are credited in proportion to ``RE_c``
  and sum to the observed total. Value uses the same chain with an absorbing reward equal to the mean
  conversion value of journeys that leave from that state, so value credit sums to the total value.

The full chain needs no solve: the expected visits of the empirical chain equal the observed visit
counts per journey. Each removal needs one linear solve ``(I - Q_RR)^T y = p0_R`` on the states ``R``
that survive the removal. Small chains use dense LU (LAPACK); larger ones a batched fixed-point
(Neumann) iteration over all removals at once, stopped only when the remaining tail is below
``1e-15`` relative and then certified by the residual; if that does not happen within the iteration
cap, every removal is solved with a sparse LU factorisation (SuperLU). All three give the same numbers
to machine precision; none is random.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from omnimix.attribution.credit import Attribution
from omnimix.attribution.paths import FloatArray, IntArray, PathData, wbincount
from omnimix.errors import ConfigError

logger = logging.getLogger("omnimix")

Solver = Literal["auto", "dense", "iterative", "sparse_lu"]
States = Literal["channelattribution", "omnimix"]
STATES: tuple[str, ...] = ("channelattribution", "omnimix")
_DENSE_MAX_STATES = 400
_TAIL_TOL = 1e-15
_MAX_ITER = 20_000
_LUT_MAX = 50_000_000  # state codes below this are factorised with a lookup table, else np.unique
_NUMPY_PRODUCT_MAX_EDGES = 25_000  # iterative solver: Q^T products in NumPy up to here, else scipy.sparse
_BINCOUNT_MAX = 20_000_000  # n_states**2 below this: edges counted with one bincount, else np.unique


@dataclass(frozen=True, eq=False)
class MarkovChain:
    """The fitted absorbing chain over transient states.

    Attributes:
        order: the chain order ``k``.
        state_codes: the channel ids of each state, ``-1`` padded. Shape ``(n_states, k)``.
        src: transition source state per edge. Shape ``(n_edges,)``.
        dst: transition target state per edge. Shape ``(n_edges,)``.
        prob: transition probability per edge. Shape ``(n_edges,)``.
        p_start: probability of entering each state from ``(start)``. Shape ``(n_states,)``.
        p_conv: probability of going from each state to ``(conversion)``. Shape ``(n_states,)``.
        p_null: probability of going from each state to ``(null)``. Shape ``(n_states,)``.
        reward_value: expected conversion value absorbed when leaving each state. Shape ``(n_states,)``.
        visits: expected visits of each state per journey in the full chain. Shape ``(n_states,)``.
    """

    order: int
    state_codes: IntArray
    src: IntArray
    dst: IntArray
    prob: FloatArray
    p_start: FloatArray
    p_conv: FloatArray
    p_null: FloatArray
    reward_value: FloatArray
    visits: FloatArray

    @property
    def n_states(self) -> int:
        """Number of transient states."""
        return int(self.state_codes.shape[0])


@dataclass(frozen=True, eq=False)
class MarkovResult:
    """Exact Markov attribution.

    Attributes:
        channels: channel names, shape ``(m,)``.
        order: chain order.
        conversions: conversions credited per channel; sums to the total. Shape ``(m,)``.
        value: conversion value credited per channel; sums to the total value. Shape ``(m,)``.
        removal_effect: relative removal effect on conversions, in [0, 1]. Shape ``(m,)``.
        removal_effect_value: relative removal effect on value, in [0, 1]. Shape ``(m,)``.
        conversion_probability: P(conversion) from ``(start)`` in the full chain.
        value_per_journey: expected conversion value per journey in the full chain.
        chain: the fitted chain (transition matrix, states).
        solver: the solver that produced the removals.
        states: the state construction, ``channelattribution`` or ``omnimix`` (see :func:`markov`).
    """

    channels: tuple[str, ...]
    order: int
    conversions: FloatArray
    value: FloatArray
    removal_effect: FloatArray
    removal_effect_value: FloatArray
    conversion_probability: float
    value_per_journey: float
    chain: MarkovChain = field(repr=False)
    solver: str = "dense"
    states: str = "channelattribution"

    def to_attribution(self, use_null: bool = True, collapse_repeats: bool = True) -> Attribution:
        """This result as the ``markov`` model's :class:`~omnimix.attribution.credit.Attribution`.

        The credit is ``conversions``/``value``; ``removal_effect`` and ``removal_effect_value`` are
        per-channel extras; ``params`` records the order, the settings the chain was fitted with
        (``use_null``, ``collapse_repeats``, ``markov_states``), P(conversion), the solver and the number
        of states.
        """
        return Attribution(
            "markov",
            self.channels,
            self.conversions,
            self.value,
            extras={"removal_effect": self.removal_effect, "removal_effect_value": self.removal_effect_value},
            params={
                "order": self.order,
                "use_null": use_null,
                "collapse_repeats": collapse_repeats,
                "markov_states": self.states,
                "conversion_probability": self.conversion_probability,
                "solver": self.solver,
                "states": self.chain.n_states,
            },
        )

    def state_labels(self, sep: str = " > ") -> list[str]:
        """Readable label of each transient state (channel names joined by ``sep``)."""
        return [sep.join(self.channels[c] for c in row if c >= 0) for row in self.chain.state_codes.tolist()]

    def transition_matrix(self) -> tuple[list[str], Any]:
        """The full transition matrix including ``(start)``, ``(conversion)`` and ``(null)``.

        Returns:
            ``(labels, matrix)``: ``labels`` has ``n_states + 3`` names (``(start)`` first,
            ``(conversion)`` and ``(null)`` last); ``matrix`` is a ``scipy.sparse.csr_array`` of shape
            ``(n_states + 3, n_states + 3)`` whose rows sum to 1 (absorbing rows have a 1 on the diagonal).
        """
        import scipy.sparse as sp

        ch = self.chain
        n = ch.n_states
        start, conv, null = 0, n + 1, n + 2
        nz_s = np.flatnonzero(ch.p_start)
        nz_c = np.flatnonzero(ch.p_conv)
        nz_n = np.flatnonzero(ch.p_null)
        rows = np.concatenate([np.full(nz_s.size, start), ch.src + 1, nz_c + 1, nz_n + 1, [conv, null]])
        cols = np.concatenate(
            [nz_s + 1, ch.dst + 1, np.full(nz_c.size, conv), np.full(nz_n.size, null), [conv, null]]
        )
        vals = np.concatenate([ch.p_start[nz_s], ch.prob, ch.p_conv[nz_c], ch.p_null[nz_n], [1.0, 1.0]])
        mat = sp.csr_array((vals, (rows, cols)), shape=(n + 3, n + 3))
        return ["(start)", *self.state_labels(), "(conversion)", "(null)"], mat

    def transition_table(self) -> list[tuple[str, str, float]]:
        """``(from, to, probability)`` for every nonzero transition, ``(start)`` rows first."""
        labels, mat = self.transition_matrix()
        coo = mat.tocoo()
        order = np.lexsort((coo.col, coo.row))
        out: list[tuple[str, str, float]] = []
        for i in order.tolist():
            r, c = int(coo.row[i]), int(coo.col[i])
            if r >= len(labels) - 2:
                continue  # absorbing self-loops
            out.append((labels[r], labels[c], float(coo.data[i])))
        return out


def _windows(paths: PathData, order: int, merge_states: bool = False) -> tuple[IntArray, IntArray]:
    """State code of every visited window.

    With ``merge_states`` a window equal to the one before it on the same path is dropped (consecutive
    repeated *states* merged, ChannelAttribution's convention).

    Returns:
        ``(codes, state_path)``: ``codes`` (``(n_visits,)``) is a base-``m+1`` integer per visited state
        in path order, digit ``i`` being channel id ``+ 1`` of the window's ``i``-th touch (``0`` past
        the end of a path shorter than the order); ``state_path`` is the path of each visit.
    """
    tokens = paths.tokens
    offsets = paths.offsets
    lengths = np.diff(offsets)
    n_tok = tokens.size
    base = paths.n_channels + 1
    path_of = np.repeat(np.arange(lengths.size, dtype=np.int64), lengths)
    pos = np.arange(n_tok, dtype=np.int64) - offsets[path_of]
    plen = lengths[path_of]
    keep = (pos + order <= plen) | ((pos == 0) & (plen < order))
    starts = np.flatnonzero(keep)
    state_path = path_of[starts]
    end = offsets[state_path + 1]
    codes = tokens[starts] + 1
    for i in range(1, order):
        idx = starts + i
        d = np.where(idx < end, tokens[np.minimum(idx, n_tok - 1)] + 1, 0)
        codes = codes * base + d
    if merge_states and codes.size > 1:
        keep_v = np.ones(codes.size, dtype=bool)
        keep_v[1:] = (codes[1:] != codes[:-1]) | (state_path[1:] != state_path[:-1])
        if not keep_v.all():
            return codes[keep_v], state_path[keep_v]
    return codes, state_path


def _decode(codes: IntArray, order: int, base: int) -> IntArray:
    """Channel ids (``-1`` padded) of state codes: shape ``(len(codes), order)``."""
    out = np.empty((codes.size, order), dtype=np.int64)
    rest = codes.astype(np.int64, copy=True)
    for i in range(order - 1, -1, -1):
        out[:, i] = rest % base - 1
        rest //= base
    return out


def fit_chain(
    paths: PathData,
    order: int = 1,
    use_null: bool = True,
    collapse_repeats: bool = True,
    states: States = "channelattribution",
) -> MarkovChain:
    """Estimate the absorbing Markov chain of order ``order`` from aggregated paths.

    Args:
        paths: the journeys.
        order: chain order ``k`` in 1..4.
        use_null: use ``total_null`` (non-converting journeys); if false only converting paths count.
        collapse_repeats: merge consecutive repeats: of states (``states="channelattribution"``) or of
            channels before the states are built (``states="omnimix"``); the same at order 1.
        states: how repeats are merged, see :data:`STATES`.

    Returns:
        The fitted :class:`MarkovChain`.
    """
    if order not in (1, 2, 3, 4):
        raise ConfigError(f"Markov order {order!r} is not supported; expected 1, 2, 3 or 4.")
    if states not in STATES:
        raise ConfigError(f"Markov states {states!r} are unknown; expected {' or '.join(STATES)}.")
    if not use_null:
        paths = paths.converting_only()
    merge_states = collapse_repeats and states == "channelattribution" and order > 1
    if collapse_repeats and not merge_states:
        paths = paths.collapsed()
    weight = paths.conversions + paths.null
    keep = weight > 0
    if not keep.all():
        paths = paths.select(keep)
        weight = weight[keep]
    n_journeys = float(weight.sum())
    codes, state_path = _windows(paths, order, merge_states)
    # factorise codes -> dense state ids
    base = paths.n_channels + 1
    if codes.size and base**order <= _LUT_MAX:
        present = np.zeros(base**order, dtype=bool)
        present[codes] = True
        uniq = np.flatnonzero(present)
        lut = np.cumsum(present) - 1
        state = lut[codes]
    else:
        uniq, state = np.unique(codes, return_inverse=True)
    n = int(uniq.size)
    state_codes = _decode(uniq, order, base)
    w_visit = weight[state_path]
    # edges between consecutive visits of the same path
    same = state_path[1:] == state_path[:-1]
    src = state[:-1][same]
    dst = state[1:][same]
    w_edge = w_visit[1:][same]
    if n * n <= _BINCOUNT_MAX:
        key = src * n + dst
        counts = wbincount(key, w_edge, n * n)
        nz = np.flatnonzero(counts)
        src, dst, w_e = nz // n, nz % n, counts[nz]
    else:
        key = src * n + dst
        ukey, inv = np.unique(key, return_inverse=True)
        w_e = wbincount(inv, w_edge, ukey.size)
        src, dst = ukey // n, ukey % n
    # first and last visit of each path
    is_first = np.ones(state.size, dtype=bool)
    is_first[1:] = ~same
    is_last = np.ones(state.size, dtype=bool)
    is_last[:-1] = ~same
    first_state = state[is_first]
    last_state = state[is_last]
    p_idx = state_path[is_last]
    start_w = wbincount(first_state, weight, n)
    conv_w = wbincount(last_state, paths.conversions[p_idx], n)
    null_w = wbincount(last_state, paths.null[p_idx], n)
    val_w = wbincount(last_state, paths.value[p_idx], n)
    out_w = wbincount(src, w_e, n) + conv_w + null_w
    safe = np.where(out_w > 0, out_w, 1.0)
    denom = n_journeys if n_journeys > 0 else 1.0
    return MarkovChain(
        order=order,
        state_codes=state_codes,
        src=src.astype(np.int64),
        dst=dst.astype(np.int64),
        prob=w_e / safe[src],
        p_start=start_w / denom,
        p_conv=conv_w / safe,
        p_null=null_w / safe,
        reward_value=val_w / safe,
        visits=out_w / denom,
    )


def _removal_masks(chain: MarkovChain, n_channels: int) -> npt.NDArray[np.bool_]:
    """``keep[s, c]``: state ``s`` survives the removal of channel ``c``. Shape ``(n_states, m)``."""
    contains = np.zeros((chain.n_states, n_channels + 1), dtype=bool)
    rows = np.arange(chain.n_states)
    for i in range(chain.order):
        contains[rows, chain.state_codes[:, i] + 1] = True  # -1 padding lands in column 0
    return ~contains[:, 1:]


def _one_blas_thread(n_states: int) -> Any:
    """Limit BLAS to one thread for the dense solves of a chain of ``n_states`` states.

    Threaded OpenBLAS makes these small LU solves many times slower on a loaded machine (order 2 on
    ChannelAttribution's Data.csv, 120 states: 2.4 s against 0.05 s). Chains under 64 states are below
    OpenBLAS's threading threshold and skip the ``threadpoolctl`` call; without it installed, a no-op.
    """
    import contextlib

    if n_states < 64:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional speed-up
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _solve_dense(chain: MarkovChain, keep: npt.NDArray[np.bool_]) -> FloatArray:
    n = chain.n_states
    a = np.eye(n)
    np.subtract.at(a, (chain.dst, chain.src), chain.prob)  # a = I - Q^T
    out = np.zeros((n, keep.shape[1]))
    with _one_blas_thread(n):
        for c in range(keep.shape[1]):
            r = np.flatnonzero(keep[:, c])
            if r.size:
                out[r, c] = np.linalg.solve(a[np.ix_(r, r)], chain.p_start[r])
    return out


def _solve_sparse_lu(chain: MarkovChain, keep: npt.NDArray[np.bool_]) -> FloatArray:
    import scipy.sparse as sp
    from scipy.sparse.linalg import splu

    n = chain.n_states
    qt = sp.csc_array((chain.prob, (chain.dst, chain.src)), shape=(n, n))
    a = (sp.identity(n, format="csc") - qt).tocsc()
    out = np.zeros((n, keep.shape[1]))
    for c in range(keep.shape[1]):
        r = np.flatnonzero(keep[:, c])
        if r.size:
            sub = a[r][:, r].tocsc()
            out[r, c] = splu(sub).solve(chain.p_start[r])
    return out


def _transposed_product(chain: MarkovChain) -> Callable[[FloatArray], FloatArray]:
    """``d -> Q^T d`` for a block ``d`` of shape ``(n_states, r)``.

    Up to ``_NUMPY_PRODUCT_MAX_EDGES`` edges in NumPy: the edges are sorted by target once; a product
    gathers ``prob * d[src]`` and sums each target's run with ``np.add.reduceat``. That avoids importing
    ``scipy.sparse`` (0.15-0.4 s of a CLI run) where the whole solve takes less (order 3 on 12 channels,
    ~12,000 edges: 0.07 s). Larger chains use a SciPy CSR matrix (order 4, ~57,000 edges: 0.09 s
    against 0.46 s in NumPy).
    """
    n = chain.n_states
    if chain.src.size > _NUMPY_PRODUCT_MAX_EDGES:
        import scipy.sparse as sp

        qt = sp.csr_array((chain.prob, (chain.dst, chain.src)), shape=(n, n))
        return lambda d: np.asarray(qt @ d)
    order = np.argsort(chain.dst, kind="stable")
    src = chain.src[order]
    prob = chain.prob[order][:, None]
    dst = chain.dst[order]
    if dst.size == 0:
        return lambda d: np.zeros_like(d)
    head = np.flatnonzero(np.concatenate(([True], dst[1:] != dst[:-1])))
    rows = dst[head]

    def product(d: FloatArray) -> FloatArray:
        out = np.zeros((n, d.shape[1]))
        out[rows] = np.add.reduceat(prob * d[src], head, axis=0)
        return out

    return product


def _solve_iterative(chain: MarkovChain, keep: npt.NDArray[np.bool_]) -> FloatArray | None:
    """Batched fixed-point solve of ``y = p0 + Q^T y`` restricted per removal; ``None`` if not certified."""
    qt = _transposed_product(chain)
    maskf = keep.astype(np.float64)
    p0 = chain.p_start[:, None] * maskf
    y = p0.copy()
    d = p0.copy()
    prev = d.sum(axis=0)
    total = y.sum(axis=0)
    for _ in range(_MAX_ITER):
        d = qt(d) * maskf
        cur = d.sum(axis=0)
        y += d
        total = y.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(prev > 0, cur / prev, 0.0)
        if np.all(ratio < 1.0):
            tail = cur * ratio / (1.0 - ratio)
            if np.all(tail <= _TAIL_TOL * np.maximum(total, 1e-300)):
                break
        prev = cur
    else:
        return None
    resid = y - qt(y) * maskf - p0
    if np.abs(resid).max() > 1e-12 * max(float(np.abs(y).max()), 1.0):
        return None
    return np.asarray(y)


def markov(
    paths: PathData,
    order: int = 1,
    use_null: bool = True,
    collapse_repeats: bool = True,
    solver: Solver = "auto",
    states: States = "channelattribution",
) -> MarkovResult:
    """Exact Markov-chain attribution (removal effects) of order ``order``.

    Args:
        paths: the journeys.
        order: chain order ``k`` in 1..4.
        use_null: use non-converting journeys (``total_null``); without them every journey of the
            chain converts and removal effects measure how often a channel lies on converting paths.
        collapse_repeats: merge consecutive repeats of a channel (default on).
        solver: ``"auto"`` (dense LU for small chains, else certified iteration with sparse-LU
            fallback), ``"dense"``, ``"iterative"`` or ``"sparse_lu"``.
        states: ``"channelattribution"`` (default): windows of the journey as recorded, consecutive
            repeated windows merged; ``"omnimix"``: repeated channels merged first, then windows.

    Returns:
        The :class:`MarkovResult`; ``conversions`` and ``value`` sum to the observed totals.
    """
    if solver not in ("auto", "dense", "iterative", "sparse_lu"):
        raise ConfigError(
            f"Markov solver {solver!r} is unknown; expected auto, dense, iterative or sparse_lu."
        )
    chain = fit_chain(paths, order, use_null, collapse_repeats, states)
    m = paths.n_channels
    keep = _removal_masks(chain, m)
    p_conv = float(chain.visits @ chain.p_conv)
    ev = float(chain.visits @ chain.reward_value)
    used = solver
    if solver == "dense" or (solver == "auto" and chain.n_states <= _DENSE_MAX_STATES):
        y = _solve_dense(chain, keep)
        used = "dense"
    elif solver == "sparse_lu":
        y = _solve_sparse_lu(chain, keep)
    else:
        y_it = _solve_iterative(chain, keep)
        if y_it is None:
            logger.info(
                "Markov: fixed-point iteration not certified; using sparse LU for %d states", chain.n_states
            )
            y = _solve_sparse_lu(chain, keep)
            used = "sparse_lu"
        else:
            y = y_it
            used = "iterative"
    p_without = y.T @ chain.p_conv
    v_without = y.T @ chain.reward_value
    re = np.clip(1.0 - p_without / p_conv, 0.0, 1.0) if p_conv > 0 else np.zeros(m)
    re_v = np.clip(1.0 - v_without / ev, 0.0, 1.0) if ev > 0 else np.zeros(m)
    used_paths = paths if use_null else paths.converting_only()
    total_c = used_paths.total_conversions
    total_v = used_paths.total_value
    conv = re / re.sum() * total_c if re.sum() > 0 else np.zeros(m)
    val = re_v / re_v.sum() * total_v if re_v.sum() > 0 else np.zeros(m)
    return MarkovResult(paths.channels, order, conv, val, re, re_v, p_conv, ev, chain, used, states)
