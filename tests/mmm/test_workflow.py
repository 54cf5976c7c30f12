"""Workflows on a workspace whose warehouse is not called warehouse.duckdb (MAP fits: seconds)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from omnimix.cli.mmm import register
from omnimix.config import Config
from omnimix.curves import ResponseCurves, load_curves
from omnimix.errors import UsageError
from omnimix.mmm.analysis import CURVE_DRAWS
from omnimix.mmm.workflow import FitSpec, fit_file, fit_workspace, report_fit
from omnimix.simulate.media import simulate_media
from omnimix.workspace import Workspace

CHANNELS = ["search", "douyin", "social"]


@pytest.fixture(scope="module")
def world():
    return simulate_media(weeks=104, seed=1, channels=CHANNELS)


def _marketing_workspace(root: Path, world) -> Workspace:
    """``omnimix init`` with ``warehouse = 'marketing.duckdb'``, then spend, conversions and lift tests."""
    base = Config()
    cfg = base.model_copy(update={"workspace": base.workspace.model_copy(update={"warehouse": "marketing.duckdb"})})
    ws = Workspace.init(root, config=cfg)
    df = world.weekly
    spend = pd.DataFrame([
        {"date": wk, "channel": c, "spend": float(v), "source": "test"}
        for c in CHANNELS for wk, v in zip(df["week"], df[f"spend_{c}"], strict=True)
    ])
    conv = pd.DataFrame({
        "conversion_id": [f"o{i}" for i in range(len(df))],
        "ts": [pd.Timestamp(wk) + pd.Timedelta(hours=12) for wk in df["week"]],
        "value": df["kpi"].to_numpy(float),
        "source": "test",
    })
    exps = pd.DataFrame(world.truth["experiments"]).drop(columns=["true_lift"])
    exps["start"] = pd.to_datetime(exps["start"]).dt.date
    exps["end"] = pd.to_datetime(exps["end"]).dt.date
    with ws.writer() as w:
        w.write("spend", spend)
        w.write("conversions", conv)
        w.write("experiments", exps)
    return ws


@pytest.fixture(scope="module")
def fitted(tmp_path_factory, world):
    root = tmp_path_factory.mktemp("ws")
    ws = _marketing_workspace(root, world)
    return ws, fit_workspace(ws, FitSpec(mode="map", seed=0, holdout=8))


def test_fit_workspace_stores_every_table_through_the_door(fitted, world) -> None:
    ws, run = fitted
    assert (ws.root / "marketing.duckdb").exists()
    assert not (ws.root / "warehouse.duckdb").exists()
    assert run.passed, run.payload["diagnostics"]["reasons"]
    counts = run.workspace_tables
    assert counts == {"mmm_channels": 3, "mmm_diagnostics": counts["mmm_diagnostics"], "mmm_fit": 104,
                      "mmm_channel_status": 3, "response_curves": 3, "response_curve_draws": CURVE_DRAWS * 3}
    chans = ws.read("mmm_channels", order_by=["channel"])
    assert list(chans["channel"]) == sorted(CHANNELS)
    for row in chans.itertuples():
        v = run.payload["channels"][row.channel]
        assert row.roi_mean == pytest.approx(v["roi"]["mean"]) and row.roi_lo <= row.roi_mean <= row.roi_hi
    diag = ws.read("mmm_diagnostics")
    assert diag.loc[diag["metric"] == "passed", "value"].tolist() == [1.0]
    assert diag["metric"].is_unique
    d = run.payload["diagnostics"]
    assert diag.loc[diag["metric"] == "health", "value"].item() == d["health"] and 0 <= d["health"] <= 100
    names = {c["name"] for c in d["checks"]}
    assert {"negative_baseline", "bayesian_ppp", "r2", "prior_posterior_shift", "roi_in_prior_range",
            "implausible_roi", "prior_data_conflict"} <= names
    for c in d["checks"]:
        assert set(c) >= {"name", "value", "threshold", "passed", "message"}
        row = diag.loc[diag["metric"] == f"check:{c['name']}:passed", "value"].item()
        assert row == (1.0 if c["passed"] else 0.0)
    status = ws.read("mmm_channel_status", order_by=["channel"])
    assert list(status.columns) == ["channel", "status", "reason"]
    assert list(status["channel"]) == sorted(CHANNELS)
    for row in status.itertuples():
        assert row.status in ("ok", "weak", "conflict")
        assert row.status == run.payload["channels"][row.channel]["status"]
    assert run.payload["prior"] == "share" and run.payload["prior_predictive"]["media_share"]["lo"] < 0.4
    fit = ws.read("mmm_fit", order_by=["date"])
    np.testing.assert_allclose(fit["actual"].to_numpy(float), world.weekly["kpi"].to_numpy(float), rtol=1e-9)
    assert np.corrcoef(fit["actual"], fit["predicted"])[0, 1] > 0.9
    draws = ws.read("response_curve_draws")
    assert len(draws) == CURVE_DRAWS * 3 and draws["draw"].nunique() == CURVE_DRAWS
    # the stored posterior mean is the mean of FittedMMM.curves()'s draws
    stored = ws.read("response_curves", order_by=["channel"]).set_index("channel")
    curves = run.fit.curves()
    assert curves.n_draws == CURVE_DRAWS and curves.kinds == ("hill",) * 3
    for j, c in enumerate(curves.channels):
        assert stored.loc[c, "beta"] == pytest.approx(curves.beta[:, j].mean(), rel=1e-12)
        assert stored.loc[c, "half_saturation"] == pytest.approx(curves.half_saturation[:, j].mean(), rel=1e-12)
        assert stored.loc[c, "slope"] == pytest.approx(curves.slope[:, j].mean(), rel=1e-12)
        assert stored.loc[c, "current_spend"] == pytest.approx(world.weekly[f"spend_{c}"].tail(13).mean())
        assert np.isnan(stored.loc[c, "min_spend"]) and np.isnan(stored.loc[c, "max_spend"])
    back = ResponseCurves.from_frames(ws.read("response_curves"), draws)
    assert back.n_draws == CURVE_DRAWS
    np.testing.assert_allclose(back.total_draws(back.current_spend).mean(),
                               curves.total_draws(back.current_spend).mean(), rtol=1e-9)


def test_curves_are_the_posterior_mean_conversion_per_draw(fitted) -> None:
    """Per-draw conversion: the mean of all draws equals response_curves()' posterior-mean block (up to
    the float32 sums behind the latter)."""
    _, run = fitted
    full = run.fit.curves(max_draws=None)
    rc = run.fit.response_curves(points=5)
    for j, c in enumerate(full.channels):
        sat = rc[c]["saturation"]
        assert full.beta[:, j].mean() == pytest.approx(sat["beta"], rel=1e-6)
        assert full.half_saturation[:, j].mean() == pytest.approx(sat["half_saturation"], rel=1e-6)
        assert full.slope[:, j].mean() == pytest.approx(sat["slope"], rel=1e-6)
        assert full.current_spend[j] == pytest.approx(rc[c]["current_weekly_spend"])
        # the curve at the grid, averaged over draws, is the posterior mean curve the report draws
        x = np.asarray(rc[c]["spend"])
        np.testing.assert_allclose(full.draws(x, channel=j).mean(axis=0), rc[c]["mean"], rtol=1e-4, atol=1e-6)


def test_fit_directory_and_its_curves_file(fitted) -> None:
    ws, run = fitted
    doc = run.to_json()
    assert doc["saved_to"] == str(ws.root / "mmm" / "latest")
    assert doc["workspace_tables"] == run.workspace_tables
    assert set(doc) >= {"channels", "baseline", "media_total", "kpi_total", "mode", "diagnostics", "seconds"}
    path = Path(doc["saved_to"]) / "response_curves.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    entry = meta["channels"]["search"]
    assert set(entry) >= {"spend", "mean", "lo", "hi", "current_weekly_spend", "saturation", "adstock"}
    assert set(entry["saturation_draws"]) == {"beta", "half_saturation", "slope"}
    assert len(entry["saturation_draws"]["beta"]) == CURVE_DRAWS
    curves = load_curves(path)  # what `omnimix optimize --curves FILE` reads
    assert curves.n_draws == CURVE_DRAWS and set(curves.channels) == set(CHANNELS)
    j = curves.channels.index("search")
    assert curves.beta[:, j].tolist() == pytest.approx(entry["saturation_draws"]["beta"])
    rep = report_fit(doc["saved_to"], html=ws.root / "again.html")
    assert rep.report.exists() and rep.to_json()["report"] == str(ws.root / "again.html")
    assert rep.payload["channels"]["search"]["roi"]["mean"] == pytest.approx(
        doc["channels"]["search"]["roi"]["mean"], rel=1e-5)


def test_failed_review_empties_both_curve_tables(tmp_path, world) -> None:
    ws = _marketing_workspace(tmp_path / "ws", world)
    good = fit_workspace(ws, FitSpec(mode="map", seed=0))
    assert good.passed and len(ws.read("response_curve_draws")) == CURVE_DRAWS * 3
    # an implausibility gate no real ROI passes: the fit fails review
    # (ROI in currency: the KPI is revenue)
    bad = fit_workspace(ws, FitSpec(mode="map", seed=0, kpi_type="revenue", prior="share",
                                    options={"max_plausible_roi": 0.01}))
    assert not bad.passed
    assert bad.workspace_tables is not None
    assert bad.workspace_tables["response_curves"] == bad.workspace_tables["response_curve_draws"] == 0
    assert ws.read("response_curves").empty and ws.read("response_curve_draws").empty
    diag = ws.read("mmm_diagnostics")
    assert diag.loc[diag["metric"] == "passed", "value"].tolist()[-1] == 0.0
    assert not (ws.root / "warehouse.duckdb").exists()


def test_cli_workspace_fit_on_a_renamed_warehouse(tmp_path, world) -> None:
    ws = _marketing_workspace(tmp_path / "ws", world)
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        pass

    register(app)
    res = CliRunner().invoke(app, ["mmm", "fit", "--workspace", str(ws.root), "--mode", "map", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert set(out["channels"]) == set(CHANNELS)
    assert out["workspace_tables"]["mmm_fit"] == 104
    assert len(ws.read("mmm_channels")) == 3
    assert not (ws.root / "warehouse.duckdb").exists()


def test_fit_file_reads_parquet(tmp_path, world) -> None:
    p = tmp_path / "weekly.parquet"
    world.weekly.to_parquet(p)
    run = fit_file(p, FitSpec(mode="map", seed=1), date_col="week", kpi_col="kpi",
                   channels=[f"spend_{c}" for c in CHANNELS], controls=["price_index", "promo"])
    assert set(run.to_json()["channels"]) == {f"spend_{c}" for c in CHANNELS}
    assert "saved_to" not in run.to_json() and run.workspace_tables is None


def test_fit_spec_validation() -> None:
    with pytest.raises(UsageError, match="--mode"):
        FitSpec(mode="vi")
    with pytest.raises(UsageError, match="--chain-method"):
        FitSpec(chain_method="threads")
    cfg = FitSpec(chains=2, draws=300, warmup=200, adstock="weibull", options={"l_max": 6}).config()
    assert (cfg.chains, cfg.samples, cfg.warmup, cfg.adstock, cfg.l_max) == (2, 300, 200, "weibull", 6)
