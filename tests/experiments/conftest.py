"""Shared fixtures: one simulated geo panel with a known effect."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from omnimix.experiments import GeoPanel
from omnimix.simulate.geo import simulate_geo_panel


@pytest.fixture(scope="session")
def world() -> tuple[pd.DataFrame, dict[str, Any]]:
    return simulate_geo_panel(n_geos=20, n_days=84, test_days=21, treated=3, effect=0.08, seed=11)


@pytest.fixture(scope="session")
def panel(world: tuple[pd.DataFrame, dict[str, Any]]) -> GeoPanel:
    return GeoPanel.from_frame(world[0], cost_col="cost")
