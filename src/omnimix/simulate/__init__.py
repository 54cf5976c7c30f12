"""Synthetic worlds with known ground truth, for tests, demos and recovery checks.

:func:`simulate_media` (in :mod:`omnimix.simulate.media`) draws weekly media spend, controls, events
and the true per-channel response; the person-level simulator (:mod:`omnimix.simulate.world`) builds
on its weekly spend, KPI and ``contribution_<channel>`` columns. :mod:`omnimix.simulate.truth` turns a
world into MMM data (``from_world``) and scores a fit against its truth (``compare_to_truth``);
:mod:`omnimix.simulate.oracle` is the known-curve reference fit. Names are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omnimix._lazy import lazy_exports

if TYPE_CHECKING:
    from omnimix.simulate.media import DEFAULT_CHANNELS, MediaWorld, simulate_media

__all__ = ["DEFAULT_CHANNELS", "MediaWorld", "simulate_media"]

__getattr__, __dir__ = lazy_exports(__name__, {
    "DEFAULT_CHANNELS": "omnimix.simulate.media",
    "MediaWorld": "omnimix.simulate.media",
    "simulate_media": "omnimix.simulate.media",
})
