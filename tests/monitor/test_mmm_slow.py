"""A real (small, MAP) MMM fit explains a spend cut: no KPI alert (slow: one fit)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from omnimix.monitor import monitor_workspace
from omnimix.simulate.anomalies import plant_world

KPI = {"revenue", "conversions", "new_customers", "converting_customers", "cac", "roas", "mer"}


@pytest.mark.slow
def test_fitted_mmm_explains_a_spend_cut(tmp_path: Path) -> None:
    from omnimix.mmm import FitSpec, fit_data, load_workspace

    w = plant_world(tmp_path / "cut", "spend_cut", seed=7, days=364, channels=3, window=28)
    data = load_workspace(w.root)
    weeks_before = sum(d < date.fromisoformat(w.window_start) for d in data.dates)
    train, _ = data.split(data.n_periods - weeks_before)
    run = fit_data(train, FitSpec(mode="map", seed=0))
    curves = run.fit.curves()
    res = monitor_workspace(w.root, w.window_start, record=False, curves=curves)
    assert res.mmm
    assert [a for a in res.alerts if a.kind == "anomaly" and a.metric in KPI] == []
    assert any(a.metric == "spend" for a in res.alerts)
