"""A lift-test programme for a simulated world: what a test-and-innovation fund buys.

The seeds ask for part of the budget to be kept as a fund for tests. :func:`lift_test_programme`
designs the programme such a fund implies for a :class:`~omnimix.simulate.media.MediaWorld`: one
geo-holdout-style lift test on each of the **largest channels by spend**, taken in order of total spend
until the tested channels hold ``spend_share`` of all spend (default 75%), and never fewer than
``min_channels`` (default 3). Each test runs ``weeks`` weeks (default 6); the windows are staggered
through the period (test k of n starts near ``0.15 + 0.7·k/n`` of the way through, moved forward
off retail-event weeks and weeks the channel is off air). The measured lift is the channel's true
incremental KPI over the window plus noise with a ``rel_sd`` standard error (default 10%), the format
of ``truth["experiments"]``. :func:`with_experiments` returns the world with the programme in place
of its own experiments.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import numpy as np

from omnimix.errors import ConfigError
from omnimix.mmm.data import EVENT_NAMES
from omnimix.simulate.media import MediaWorld

__all__ = ["lift_test_programme", "programme_channels", "with_experiments"]


def programme_channels(spend_total: dict[str, float], *, spend_share: float = 0.75, min_channels: int = 3) -> list[str]:
    """Channels to test: largest total spend first, until ``spend_share`` of spend is covered
    (at least ``min_channels``, at most every channel with spend)."""
    if not 0.0 < spend_share <= 1.0:
        raise ConfigError(f"spend_share={spend_share} is not in (0, 1]", ["use e.g. 0.75"])
    if min_channels < 1:
        raise ConfigError(f"min_channels={min_channels} is below 1", ["test at least one channel"])
    ranked = sorted((c for c in spend_total if spend_total[c] > 0), key=lambda c: -spend_total[c])
    total = sum(spend_total[c] for c in ranked)
    out: list[str] = []
    covered = 0.0
    for c in ranked:
        if len(out) >= min_channels and covered >= spend_share * total:
            break
        out.append(c)
        covered += spend_total[c]
    return out


def lift_test_programme(
    world: MediaWorld,
    *,
    spend_share: float = 0.75,
    min_channels: int = 3,
    weeks: int = 6,
    rel_sd: float = 0.10,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Design the lift-test programme for ``world`` (see the module docstring).

    Returns:
        One record per test: ``channel``, ``start``, ``end`` (ISO dates, end inclusive), ``lift``
        (measured), ``lift_sd``, ``spend`` (in the window) and ``true_lift``.
    """
    df = world.weekly
    n = len(df)
    if not 1 <= weeks <= n // 2:
        raise ConfigError(f"weeks={weeks} does not fit a {n}-week world", [f"use 1..{n // 2} weeks"])
    if rel_sd <= 0:
        raise ConfigError(f"rel_sd={rel_sd} must be > 0", ["use e.g. 0.10 for a 10% standard error"])
    chans = programme_channels(
        {c: float(world.truth["channels"][c]["spend_total"]) for c in world.channels},
        spend_share=spend_share,
        min_channels=min(min_channels, len(world.channels)),
    )
    busy = np.zeros(n)
    for e in EVENT_NAMES:
        if e in df.columns:
            busy += df[e].to_numpy(dtype=float)
    rng = np.random.default_rng([seed, 7919])
    dates = list(df["week"])
    out = []
    for k, c in enumerate(chans):
        spend = df[f"spend_{c}"].to_numpy(dtype=float)
        contrib = df[f"contribution_{c}"].to_numpy(dtype=float)
        s0 = min(int(n * (0.15 + 0.7 * k / len(chans))), n - weeks)
        cands = [s for s in range(s0, n - weeks + 1)] + [s for s in range(s0 - 1, -1, -1)]
        ok = [s for s in cands if busy[s : s + weeks].sum() == 0 and (spend[s : s + weeks] > 0).all()]
        ok = ok or [s for s in cands if (spend[s : s + weeks] > 0).all()] or cands
        s = ok[0]
        true_lift = float(contrib[s : s + weeks].sum())
        sd = rel_sd * abs(true_lift) if true_lift else rel_sd
        out.append(
            {
                "channel": c,
                "start": dates[s].isoformat(),
                "end": (dates[s + weeks - 1] + dt.timedelta(days=6)).isoformat(),
                "lift": float(true_lift + rng.normal(0.0, sd)),
                "lift_sd": float(sd),
                "spend": float(spend[s : s + weeks].sum()),
                "true_lift": true_lift,
            }
        )
    return out


def with_experiments(world: MediaWorld, experiments: list[dict[str, Any]]) -> MediaWorld:
    """The world with ``truth["experiments"]`` replaced by ``experiments``."""
    truth = {**world.truth, "experiments": list(experiments)}
    return dataclasses.replace(world, truth=truth)
