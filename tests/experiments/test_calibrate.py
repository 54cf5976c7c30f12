"""A read test → an ``experiments`` row that ``mmm fit`` reads; Meridian, PyMC-Marketing, Robyn exports."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from omnimix.errors import UsageError
from omnimix.experiments.calibrate import (
    calibration_row,
    read_experiments,
    record_experiment,
    to_meridian,
    to_pymc_marketing,
    to_robyn,
)
from omnimix.workspace import Workspace

RESULT = {"method": "tbr", "level": 0.9, "treated": ["g1", "g2"],
          "incremental_kpi": {"mean": 1000.0, "lo": 1000.0 - 1.6448536 * 200, "hi": 1000.0 + 1.6448536 * 200}}  # fmt: skip


def test_row_from_interval() -> None:
    r = calibration_row(RESULT, channel="search", start="2024-03-04", end="2024-04-14", spend=500.0)
    assert r["lift"] == 1000.0 and r["lift_sd"] == pytest.approx(200.0, rel=1e-6)
    assert r["method"] == "tbr" and r["geos"] == "g1,g2" and r["start"] == dt.date(2024, 3, 4)
    with pytest.raises(UsageError, match="before start"):
        calibration_row(RESULT, channel="search", start="2024-04-14", end="2024-03-04")


def test_row_reaches_mmm_data(tmp_path) -> None:
    from omnimix.mmm.data import load_workspace

    ws = Workspace.init(tmp_path)
    weeks = pd.date_range("2024-01-01", periods=30, freq="W-MON")
    rng = np.random.default_rng(0)
    ws.write("spend", pd.DataFrame({"date": np.repeat(weeks.date, 2), "channel": ["search", "social"] * 30,
                                    "spend": rng.uniform(50, 100, 60)}))  # fmt: skip
    ws.write("conversions", pd.DataFrame({"conversion_id": [f"c{i}" for i in range(30)], "ts": weeks,
                                          "value": rng.uniform(900, 1100, 30)}))  # fmt: skip
    row = calibration_row(RESULT, channel="search", start="2024-03-04", end="2024-04-14", spend=500.0)
    record_experiment(ws, row)
    record_experiment(ws, {**row, "lift": 1200.0})  # a re-read replaces the row
    data = load_workspace(ws)
    (e,) = data.experiments
    assert e.channel == "search" and e.lift == 1200.0 and e.lift_sd == pytest.approx(200.0, rel=1e-6)
    stored = read_experiments(ws)
    assert stored["method"].tolist() == ["tbr"] and stored["geos"].tolist() == ["g1,g2"]


def test_exports() -> None:
    row = calibration_row(RESULT, channel="search", start="2024-03-04", end="2024-04-14", spend=500.0)
    m = to_meridian([row]).iloc[0]
    assert m["roi_mean"] == 2.0 and m["roi_sd"] == pytest.approx(0.4, rel=1e-6)
    # the LogNormal(mu, sigma) has that mean and sd
    mean = math.exp(m["mu"] + m["sigma"] ** 2 / 2)
    sd = mean * math.sqrt(math.exp(m["sigma"] ** 2) - 1)
    assert mean == pytest.approx(2.0) and sd == pytest.approx(0.4, rel=1e-6)
    p = to_pymc_marketing([row]).iloc[0]  # 42 days = 6 weeks
    assert (p["x"], p["delta_x"], p["delta_y"]) == (0.0, pytest.approx(500 / 6), pytest.approx(1000 / 6))
    assert p["sigma"] == pytest.approx(200 / 6, rel=1e-6)
    rb = to_robyn([row]).iloc[0]
    assert rb["liftAbs"] == 1000.0 and rb["liftStartDate"] == "2024-03-04" and rb["calibration_scope"] == "immediate"
    assert rb["confidence"] == pytest.approx(1 - 2 * 2.866515719e-7, abs=1e-9)  # z = 5
    with pytest.raises(UsageError, match="no spend"):
        to_robyn([{**row, "spend": float("nan")}])
