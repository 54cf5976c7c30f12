"""Shapley attribution: exact (subset transforms), simplified (Zhao et al. 2018) and ordered.

Notation: ``R(S)`` is the conversions of journeys whose set of channels is exactly ``S``; ``N(S)`` the
journeys (converting or not) with that set. Channel sets are bitmasks over ``m`` channels.

* **Exact Shapley.** The worth of a coalition ``S`` is ``v(S) = sum_{T ⊆ S} R(T)`` (conversions of
  journeys that used only channels of ``S``) or, with ``worth="rate"``, the conversion rate of those
  journeys ``sum_{T ⊆ S} R(T) / sum_{T ⊆ S} N(T)``. ``v`` is built with a zeta (subset-sum) transform
  over all ``2^m`` masks, its Harsanyi dividends ``d`` with the Möbius transform, and
  ``phi_j = sum_{T ∋ j} d(T) / |T|`` — ``O(m 2^m)`` in total, a second for 20 channels. Rate-worth
  credit is rescaled to the observed totals (``sum phi = v(all)``). With the conversion-count worth
  the dividends are ``R`` itself, so exact Shapley equals the simplified one (Zhao et al., Thm. 1).
* **Simplified Shapley** ``phi_j = sum_{S ∋ j} R(S) / |S|``: each path's conversions split equally
  over its distinct channels (no channel limit).
* **Ordered Shapley** breaks the simplified credit down by position. ``repeats="first"``: a channel
  sits at the position of its first appearance among the path's distinct channels;
  ``repeats="split"``: its share is split evenly over all its touches, at their touch positions.

Negative credit (possible with the rate worth) is reported as a warning.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from omnimix.attribution.credit import Attribution
from omnimix.attribution.paths import FloatArray, IntArray, PathData, wbincount
from omnimix.errors import ConfigError

logger = logging.getLogger("omnimix")

MAX_EXACT_CHANNELS = 24


def zeta_transform(f: FloatArray) -> FloatArray:
    """Subset-sum transform ``g(S) = sum_{T ⊆ S} f(T)`` over bitmasks. Shape ``(2^m,)`` in and out."""
    g = np.array(f, dtype=np.float64, copy=True)
    m = int(g.size).bit_length() - 1
    for i in range(m):
        v = g.reshape(-1, 2, 1 << i)
        v[:, 1, :] += v[:, 0, :]
    return g


def mobius_transform(g: FloatArray) -> FloatArray:
    """Inverse of :func:`zeta_transform`: ``f(S) = sum_{T ⊆ S} (-1)^{|S \\ T|} g(T)``."""
    f = np.array(g, dtype=np.float64, copy=True)
    m = int(f.size).bit_length() - 1
    for i in range(m):
        v = f.reshape(-1, 2, 1 << i)
        v[:, 1, :] -= v[:, 0, :]
    return f


def popcounts(m: int) -> npt.NDArray[np.int64]:
    """Number of set bits of every mask ``0 .. 2^m - 1``."""
    pc = np.zeros(1 << m, dtype=np.int64)
    for i in range(m):
        pc.reshape(-1, 2, 1 << i)[:, 1, :] += 1
    return pc


def shapley_from_worth(v: FloatArray) -> FloatArray:
    """Exact Shapley values of the game with worth ``v`` (shape ``(2^m,)``, ``v[0]`` ignored).

    Returns:
        ``phi`` of shape ``(m,)`` with ``sum(phi) = v[all] - v[0]``.
    """
    v = np.asarray(v, dtype=np.float64)
    m = int(v.size).bit_length() - 1
    if v.size != 1 << m:
        raise ConfigError(f"worth vector has {v.size} entries; expected a power of two (2^m).")
    w = v - v[0]
    d = mobius_transform(w)
    pc = popcounts(m)
    g = np.divide(d, pc, out=np.zeros_like(d), where=pc > 0)
    return np.array([g.reshape(-1, 2, 1 << j)[:, 1, :].sum() for j in range(m)])


def path_masks(paths: PathData) -> IntArray:
    """Channel-set bitmask of every path, shape ``(n_paths,)`` (needs ``m <= 62``)."""
    if paths.n_channels > 62:
        raise ConfigError(
            f"{paths.n_channels} channels do not fit a bitmask; exact Shapley supports "
            f"up to {MAX_EXACT_CHANNELS}. Use shapley_simplified."
        )
    bits = np.left_shift(np.int64(1), paths.tokens.astype(np.int64))
    if paths.n_paths == 0:
        return np.zeros(0, dtype=np.int64)
    return np.bitwise_or.reduceat(bits, paths.offsets[:-1])


def coalition_totals(paths: PathData) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``R(S)``, value ``V(S)`` and journeys ``N(S)`` per exact channel set ``S``; each ``(2^m,)``."""
    m = paths.n_channels
    if m > MAX_EXACT_CHANNELS:
        raise ConfigError(
            f"exact Shapley over {m} channels needs 2^{m} coalitions; the limit is "
            f"{MAX_EXACT_CHANNELS}. Group channels, or use --model shapley_simplified."
        )
    masks = path_masks(paths)
    size = 1 << m
    r = wbincount(masks, paths.conversions, size)
    v = wbincount(masks, paths.value, size)
    n = wbincount(masks, paths.conversions + paths.null, size)
    return r, v, n


def _warn_negative(model: str, channels: tuple[str, ...], credit: FloatArray) -> tuple[str, ...]:
    neg = [f"{channels[i]} ({credit[i]:.6g})" for i in np.flatnonzero(credit < -1e-12)]
    if not neg:
        return ()
    msg = (
        f"{model}: negative credit for {', '.join(neg)} — these channels lower the coalition worth "
        "(conversion rate) on average; read them as 'no positive contribution'."
    )
    logger.info(msg)
    return (msg,)


def shapley(paths: PathData, worth: Literal["auto", "conversions", "rate"] = "auto") -> Attribution:
    """Exact Shapley attribution over all ``2^m`` channel coalitions.

    Args:
        paths: the journeys (``m <= 24`` channels).
        worth: ``"conversions"`` (journeys using only channels of S), ``"rate"`` (their conversion
            rate; needs null counts) or ``"auto"`` (rate when the data carry null journeys).

    Returns:
        Credit per channel summing to total conversions and value; ``extras["shapley_value"]`` holds
        the raw Shapley values of the conversion game.
    """
    if worth not in ("auto", "conversions", "rate"):
        raise ConfigError(f"Shapley worth {worth!r} is unknown; expected auto, conversions or rate.")
    use_rate = worth == "rate" or (worth == "auto" and bool(paths.null.sum() > 0))
    if use_rate and not paths.null.sum() > 0:
        raise ConfigError("Shapley worth 'rate' needs non-converting journeys (a total_null column).")
    r, val, n = coalition_totals(paths)
    zr = zeta_transform(r)
    zv = zeta_transform(val)
    if use_rate:
        zn = zeta_transform(n)
        wc = np.divide(zr, zn, out=np.zeros_like(zr), where=zn > 0)
        wv = np.divide(zv, zn, out=np.zeros_like(zv), where=zn > 0)
    else:
        wc, wv = zr, zv
    phi_c = shapley_from_worth(wc)
    phi_v = shapley_from_worth(wv)
    total_c, total_v = paths.total_conversions, paths.total_value
    conv = phi_c / phi_c.sum() * total_c if abs(phi_c.sum()) > 0 else np.zeros_like(phi_c)
    value = phi_v / phi_v.sum() * total_v if abs(phi_v.sum()) > 0 else np.zeros_like(phi_v)
    warnings = _warn_negative("shapley", paths.channels, conv)
    return Attribution(
        "shapley",
        paths.channels,
        conv,
        value,
        extras={"shapley_value": phi_c},
        params={"worth": "rate" if use_rate else "conversions"},
        warnings=warnings,
    )


def _distinct_first(paths: PathData) -> tuple[npt.NDArray[np.bool_], IntArray, IntArray]:
    """For each touch: is it the first occurrence of its channel in its path; touch count per
    (path, channel); distinct channels per path."""
    m = max(paths.n_channels, 1)
    p = paths.path_of_touch
    key = p * m + paths.tokens
    _, first_idx, inv, cnt = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
    is_first = np.zeros(key.size, dtype=bool)
    is_first[first_idx] = True
    n_distinct = np.bincount(p[is_first], minlength=paths.n_paths)
    return is_first, cnt[inv], n_distinct


def shapley_simplified(paths: PathData) -> Attribution:
    """Simplified Shapley value of Zhao et al. 2018: ``phi_j = sum_{S ∋ j} R(S) / |S|``."""
    is_first, _, n_distinct = _distinct_first(paths)
    p = paths.path_of_touch
    share = np.where(is_first, 1.0 / n_distinct[p], 0.0)
    m = paths.n_channels
    conv = wbincount(paths.tokens, share * paths.conversions[p], m)
    val = wbincount(paths.tokens, share * paths.value[p], m)
    return Attribution("shapley_simplified", paths.channels, conv, val)


@dataclass(frozen=True, eq=False)
class OrderedShapley:
    """Position-aware simplified Shapley credit.

    Attributes:
        channels: channel names, shape ``(m,)``.
        conversions: credit by channel and position, shape ``(m, P)`` (position 1 first).
        value: value credit by channel and position, shape ``(m, P)``.
        repeats: ``"first"`` or ``"split"``.
    """

    channels: tuple[str, ...]
    conversions: FloatArray
    value: FloatArray
    repeats: str


def shapley_ordered(
    paths: PathData, repeats: Literal["first", "split"] = "first"
) -> tuple[Attribution, OrderedShapley]:
    """Ordered Shapley (Zhao et al. 2018): simplified Shapley credit broken down by position.

    Args:
        paths: the journeys.
        repeats: ``"first"`` — a repeated channel counts once, at the position of its first appearance
            among the path's distinct channels; ``"split"`` — its equal share is divided over all its
            touches at their positions in the path.

    Returns:
        ``(attribution, by_position)``; channel totals equal :func:`shapley_simplified`.
    """
    if repeats not in ("first", "split"):
        raise ConfigError(f"ordered Shapley repeats={repeats!r} is unknown; expected 'first' or 'split'.")
    is_first, occurrences, n_distinct = _distinct_first(paths)
    p = paths.path_of_touch
    m = paths.n_channels
    if repeats == "first":
        share = np.where(is_first, 1.0 / n_distinct[p], 0.0)
        rank = np.cumsum(is_first) - 1
        start_rank = np.zeros(paths.n_paths, dtype=np.int64)
        if paths.n_paths:
            start_rank = rank[paths.offsets[:-1]]
        position = rank - start_rank[p]
    else:
        share = 1.0 / (n_distinct[p] * occurrences)
        position = np.arange(paths.tokens.size, dtype=np.int64) - paths.offsets[p]
    n_pos = int(position.max()) + 1 if position.size else 0
    cell = paths.tokens * max(n_pos, 1) + position
    size = m * max(n_pos, 1)
    by_c = wbincount(cell, share * paths.conversions[p], size).reshape(m, -1)
    by_v = wbincount(cell, share * paths.value[p], size).reshape(m, -1)
    att = Attribution(
        "shapley_ordered",
        paths.channels,
        by_c.sum(axis=1),
        by_v.sum(axis=1),
        params={"repeats": repeats},
        position_conversions=by_c,
        position_value=by_v,
    )
    return att, OrderedShapley(paths.channels, by_c, by_v, repeats)
