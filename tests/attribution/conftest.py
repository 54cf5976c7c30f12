"""Shared fixtures for attribution tests."""

from __future__ import annotations

import pytest

from omnimix.attribution.paths import PathData, from_strings


@pytest.fixture
def small_paths() -> PathData:
    """Five hand-made paths with conversions, value and nulls."""
    return from_strings(
        ["a > b > c", "a", "b > a", "c > direct", "a > a > b"],
        conversions=[2, 1, 0, 3, 1],
        value=[20.0, 5.0, 0.0, 30.0, 7.0],
        null=[3, 4, 5, 1, 2],
    )
