"""Rule-based attribution: first, last, last non-direct, linear (two conventions), position, time decay.

Every rule gives each converting path's conversions (and value) to its touches with weights that sum
to 1 per path, so credit always sums to the totals. Weights are computed for all touches at once
(vectorised over the CSR path arrays).

Linear conventions:

* ``linear`` — per *distinct channel*: each channel present on the path gets ``1 / k`` (``k`` distinct
  channels), however often it appears. Identical to the simplified Shapley value of Zhao et al. 2018.
* ``linear_touch`` — per *touch*: each of the ``L`` touches gets ``1 / L``, so a channel seen twice
  gets twice the credit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from omnimix.attribution.credit import Attribution
from omnimix.attribution.paths import FloatArray, PathData, wbincount
from omnimix.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

DEFAULT_DIRECT = ("direct", "(direct)", "direct traffic", "(none)", "none")


def _credit(
    paths: PathData, weights: FloatArray, model: str, params: dict[str, object] | None = None
) -> Attribution:
    """Spread each path's conversions/value over its touches by ``weights`` (shape ``(n_touches,)``)."""
    p = paths.path_of_touch
    m = paths.n_channels
    conv = wbincount(paths.tokens, weights * paths.conversions[p], m)
    val = wbincount(paths.tokens, weights * paths.value[p], m)
    return Attribution(model, paths.channels, conv, val, params=params or {})


def _positions(paths: PathData) -> tuple[np.ndarray, np.ndarray]:
    p = paths.path_of_touch
    pos = np.arange(paths.tokens.size, dtype=np.int64) - paths.offsets[p]
    return pos, paths.lengths[p]


def first_touch(paths: PathData) -> Attribution:
    """All credit to the first touch of each path."""
    pos, _ = _positions(paths)
    return _credit(paths, (pos == 0).astype(np.float64), "first")


def last_touch(paths: PathData) -> Attribution:
    """All credit to the last touch of each path."""
    pos, length = _positions(paths)
    return _credit(paths, (pos == length - 1).astype(np.float64), "last")


def last_non_direct(paths: PathData, direct: Iterable[str] = DEFAULT_DIRECT) -> Attribution:
    """All credit to the last touch that is not a direct visit (the last touch if all are direct).

    Args:
        paths: the journeys.
        direct: channel names treated as direct (compared trimmed and case-insensitively).
    """
    direct_set = {d.strip().lower() for d in direct}
    is_direct = np.array([c.strip().lower() in direct_set for c in paths.channels], dtype=bool)
    pos, _ = _positions(paths)
    cand = np.where(is_direct[paths.tokens] if paths.n_channels else np.zeros(0, bool), -1, pos)
    if paths.n_paths:
        last_nd = np.maximum.reduceat(cand, paths.offsets[:-1])
    else:
        last_nd = np.zeros(0, dtype=np.int64)
    target = np.where(last_nd >= 0, last_nd, paths.lengths - 1)
    w = (pos == target[paths.path_of_touch]).astype(np.float64)
    return _credit(paths, w, "last_non_direct", {"direct": sorted(direct_set)})


def linear(paths: PathData) -> Attribution:
    """Equal credit to each distinct channel of a path (``1 / k`` each)."""
    m = max(paths.n_channels, 1)
    p = paths.path_of_touch
    key = p * m + paths.tokens
    _, inv, cnt = np.unique(key, return_inverse=True, return_counts=True)
    first_of_pair = np.zeros(key.size, dtype=bool)
    first_of_pair[np.unique(inv, return_index=True)[1]] = True
    n_distinct = np.bincount(p[first_of_pair], minlength=paths.n_paths)
    w = 1.0 / (cnt[inv] * n_distinct[p])
    return _credit(paths, w, "linear", {"convention": "per distinct channel"})


def linear_touch(paths: PathData) -> Attribution:
    """Equal credit to each touch of a path (``1 / L`` each)."""
    _, length = _positions(paths)
    return _credit(paths, 1.0 / length, "linear_touch", {"convention": "per touch"})


def position_based(paths: PathData, first: float = 0.4, last: float = 0.4) -> Attribution:
    """Position-based ("U-shaped") credit.

    A path of one touch gives it everything; of two touches, ``first / (first + last)`` and
    ``last / (first + last)`` (50/50 for 40/40); of ``L >= 3`` touches, ``first`` to the first,
    ``last`` to the last and ``1 - first - last`` split evenly over the ``L - 2`` middle touches.
    """
    if first < 0 or last < 0 or first + last > 1 + 1e-12 or first + last <= 0:
        raise ConfigError(
            f"position weights first={first}, last={last} are invalid; expected "
            "first >= 0, last >= 0 and 0 < first + last <= 1 (e.g. 0.4 and 0.4)."
        )
    pos, length = _positions(paths)
    middle = (1.0 - first - last) / np.maximum(length - 2, 1)
    w = np.where(pos == 0, first, np.where(pos == length - 1, last, middle))
    two = length == 2
    w = np.where(two, np.where(pos == 0, first, last) / (first + last), w)
    w = np.where(length == 1, 1.0, w)
    return _credit(paths, w.astype(np.float64), "position", {"first": first, "last": last})


def time_decay(
    touches: pd.DataFrame,
    half_life_days: float = 7.0,
    lookback_days: float | None = None,
    level: str = "channel",
) -> Attribution:
    """Time-decay credit on real timestamps.

    Each touch of a converting journey weighs ``2 ** (-age / half_life)``, ``age`` being the days
    between the touch and the conversion (``conversion_ts``, else the journey's last touch); weights
    are normalised per journey. Touches after the conversion are ignored; with ``lookback_days`` so
    are touches older than that. A converting journey left with no touch is credited to
    ``"(unattributed)"`` so that totals still hold.

    Args:
        touches: touch rows (DataFrame from :func:`omnimix.attribution.paths.read_touches`).
        half_life_days: half-life in days (> 0).
        lookback_days: optional lookback window in days (> 0).
        level: ``"channel"`` or ``"campaign"`` (credit ``"channel / campaign"`` units).
    """
    import pandas as pd

    from omnimix.attribution.paths import ensure_normalised, journey_table

    if not half_life_days > 0:
        raise ConfigError(f"half-life {half_life_days!r} days is invalid; expected a number > 0 (e.g. 7).")
    if lookback_days is not None and not lookback_days > 0:
        raise ConfigError(f"lookback {lookback_days!r} days is invalid; expected a number > 0 (e.g. 30).")
    if not isinstance(touches, pd.DataFrame):
        raise ConfigError("time_decay needs touch-level rows (journey_id, ts, channel, converted, ...).")
    touches = ensure_normalised(touches)
    all_units = sorted(journey_table(touches, None, level)["unit"].unique().tolist())
    df = journey_table(touches, lookback_days, level)
    conv = df[df["j_converted"]]
    w = np.power(2.0, -conv["age_days"].to_numpy() / half_life_days)
    wsum = pd.Series(w, index=conv.index).groupby(conv["journey_id"]).transform("sum").to_numpy()
    share = w / wsum
    per_unit = (
        pd.DataFrame({"unit": conv["unit"].to_numpy(), "c": share, "v": share * conv["j_value"].to_numpy()})
        .groupby("unit")[["c", "v"]]
        .sum()
    )
    journeys = touches.groupby("journey_id")
    converted = journeys["converted"].max().astype(bool)
    total_c = float(converted.sum())
    total_v = float(journeys["conversion_value"].max()[converted].sum())
    units = list(all_units)
    missing_c = total_c - float(per_unit["c"].sum())
    missing_v = total_v - float(per_unit["v"].sum())
    warnings: list[str] = []
    if missing_c > 1e-9:
        units.append("(unattributed)")
        warnings.append(f"{missing_c:g} conversions have no touch inside the lookback window")
    per_unit = per_unit.reindex(units).fillna(0.0)
    if missing_c > 1e-9:
        per_unit.loc["(unattributed)"] = [missing_c, max(missing_v, 0.0)]
    return Attribution(
        "time_decay",
        tuple(units),
        per_unit["c"].to_numpy(dtype=np.float64),
        per_unit["v"].to_numpy(dtype=np.float64),
        params={"half_life_days": half_life_days, "lookback_days": lookback_days, "level": level},
        warnings=tuple(warnings),
    )
