"""CLI: experiment design, ab, record and export (plan: slow, it needs an MMM fit)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from omnimix.cli import app
from omnimix.workspace import Workspace


def _panel_csv(path, geos: int = 8, days: int = 120) -> None:
    rng = np.random.default_rng(0)
    dates = pd.date_range("2024-01-01", periods=days)
    rows = [{"region": f"r{g}", "day": d.date().isoformat(), "orders": float(v)}
            for g in range(geos) for d, v in zip(dates, rng.normal(100 * (g + 1), 5, days), strict=True)]  # fmt: skip
    pd.DataFrame(rows).to_csv(path, index=False)


def test_design_json(tmp_path) -> None:
    _panel_csv(tmp_path / "p.csv")
    res = CliRunner().invoke(app, ["experiment", "design", str(tmp_path / "p.csv"), "--geo-col", "region",
                                   "--date-col", "day", "--kpi-col", "orders", "--duration", "14", "--lift",
                                   "0.03", "--max-size", "3", "--top", "3", "--roi", "2", "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["evaluated"] == 28 + 56 and len(out["designs"]) == 3
    d = out["designs"][0]
    assert {"geos", "power", "mde", "cost", "fit_rmse", "share"} <= set(d)
    assert d["cost"] == pytest.approx(d["effect"] / 2)


def test_ab_record_export(tmp_path) -> None:
    rng = np.random.default_rng(1)
    n = 400
    df = pd.DataFrame({"group": ["control", "treatment"] * n, "value": rng.gamma(2, 10, 2 * n),
                       "pre": rng.gamma(2, 10, 2 * n)})  # fmt: skip
    df.to_csv(tmp_path / "ab.csv", index=False)
    res = CliRunner().invoke(app, ["experiment", "ab", str(tmp_path / "ab.csv"), "--covariate-col", "pre", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["n_control"] == n and out["att"]["lo"] <= out["att"]["mean"] <= out["att"]["hi"]
    Workspace.init(tmp_path / "ws")
    (tmp_path / "r.json").write_text(json.dumps({"method": "tbr", "incremental_kpi": {"mean": 900.0, "lo": 600.0, "hi": 1200.0},
                                                "incremental_cost": 300.0, "treated": ["r1"]}))  # fmt: skip
    res = CliRunner().invoke(app, ["experiment", "record", str(tmp_path / "r.json"), "--workspace", str(tmp_path / "ws"),
                                   "--channel", "search", "--start", "2024-03-01", "--end", "2024-03-28", "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["spend"] == 300.0
    res = CliRunner().invoke(app, ["experiment", "export", "--workspace", str(tmp_path / "ws"), "--format", "robyn"])
    assert res.exit_code == 0, res.output
    (row,) = json.loads(res.output)
    assert row["liftAbs"] == 900.0 and row["channel"] == "search"


@pytest.mark.slow
def test_plan_on_workspace_fit(tmp_path) -> None:
    from omnimix.mmm.model import MMM, MMMConfig
    from omnimix.simulate.media import simulate_media
    from omnimix.simulate.truth import from_world

    w = simulate_media(weeks=52, seed=3)
    Workspace.init(tmp_path)
    MMM(MMMConfig()).fit(from_world(w), mode="map", seed=0).save(tmp_path / "mmm" / "latest", html=False)
    res = CliRunner().invoke(app, ["experiment", "plan", "--workspace", str(tmp_path), "--tests", "2", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert len(out["tests"]) == 2 and out["sd_after"] < out["sd_now"] and out["funding"] is None
    # with a plan, the tests are funded from its reserve: a fund smaller than every test plans none
    (tmp_path / "plan.toml").write_text('[plan]\nyear = 2024\nbudget = 10\n', encoding="utf-8")
    res = CliRunner().invoke(app, ["experiment", "plan", "--workspace", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["tests"] == [] and out["reserve"] == 1.0 and out["funding"]["share"] == 0.1
