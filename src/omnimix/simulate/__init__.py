"""Synthetic worlds with known ground truth, for tests, demos and recovery checks.

:func:`simulate_media` (in :mod:`omnimix.simulate.media`) draws weekly media spend, controls, events
and the true per-channel response; the person-level simulator builds on its weekly spend, KPI and
``contribution_<channel>`` columns.
"""

from __future__ import annotations

from omnimix.simulate.media import DEFAULT_CHANNELS, MediaWorld, simulate_media

__all__ = ["DEFAULT_CHANNELS", "MediaWorld", "simulate_media"]
