"""CLI contract (file and workspace modes) and the data layer."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from omnimix.cli.mmm import register
from omnimix.errors import InputDataError, UsageError
from omnimix.mmm.data import load_csv, load_workspace, retail_events
from omnimix.simulate.media import simulate_media

CHANNELS = ["search", "douyin", "social"]


@pytest.fixture(scope="module")
def world():
    return simulate_media(weeks=104, seed=3, channels=CHANNELS)


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:  # keep `mmm` as a sub-command
        pass

    register(app)
    return app


def test_retail_events_golden() -> None:
    mondays = [
        dt.date(2024, 2, 5),
        dt.date(2024, 2, 12),
        dt.date(2024, 6, 17),
        dt.date(2024, 11, 11),
        dt.date(2024, 12, 9),
        dt.date(2025, 1, 27),
        dt.date(2025, 3, 3),
    ]
    ev = retail_events(mondays)
    assert ev["event_cny"].tolist() == [1, 0, 0, 0, 0, 1, 0]  # 春节 2024-02-10, 2025-01-29
    assert ev["event_cny_after"].tolist() == [0, 1, 0, 0, 0, 0, 0]
    assert ev["event_618"].tolist() == [0, 0, 1, 0, 0, 0, 0]
    assert ev["event_double11"].tolist() == [0, 0, 0, 1, 0, 0, 0]
    assert ev["event_double12"].tolist() == [0, 0, 0, 0, 1, 0, 0]


def test_csv_errors_name_the_problem(tmp_path, world) -> None:
    p = tmp_path / "w.csv"
    df = world.weekly.copy()
    df["spend_search"] = df["spend_search"].astype(object)
    df.loc[3, "spend_search"] = "abc"
    df.to_csv(p, index=False)
    with pytest.raises(InputDataError, match="spend_search") as e:
        load_csv(p, date_col="week", kpi_col="kpi", channels=["spend_search"])
    assert "non-numeric" in str(e.value)
    with pytest.raises(InputDataError, match="missing columns"):
        load_csv(p, date_col="week", kpi_col="revenue", channels=["spend_search"])
    with pytest.raises(InputDataError, match="file not found"):
        load_csv(tmp_path / "nope.csv", date_col="week", kpi_col="kpi", channels=["x"])


def test_cli_fit_json_contract(tmp_path, world) -> None:
    p = tmp_path / "weekly.csv"
    world.weekly.to_csv(p, index=False)
    exp = tmp_path / "exp.csv"
    pd.DataFrame(world.truth["experiments"]).to_csv(exp, index=False)
    chans = ",".join(f"spend_{c}" for c in CHANNELS)
    res = CliRunner().invoke(
        _app(),
        [
            "mmm",
            "fit",
            str(p),
            "--date-col",
            "week",
            "--kpi-col",
            "kpi",
            "--channels",
            chans,
            "--controls",
            "price_index,promo",
            "--mode",
            "map",
            "--seed",
            "1",
            "--json",
            "--out",
            str(tmp_path / "fit"),
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert set(out["channels"]) == {f"spend_{c}" for c in CHANNELS}
    for v in out["channels"].values():
        for k in ("contribution", "roi"):
            assert set(v[k]) == {"mean", "lo", "hi"}
            assert v[k]["lo"] <= v[k]["mean"] <= v[k]["hi"]
    d = out["diagnostics"]
    assert {"rhat_max", "ess_bulk_min", "divergences", "passed", "reasons"} <= set(d)
    assert isinstance(d["passed"], bool) and isinstance(d["reasons"], list)
    # health score, review checks, per-channel status and the prior predictive media share
    assert isinstance(d["health"], int) and 0 <= d["health"] <= 100
    assert all({"name", "value", "threshold", "passed", "message"} <= set(c) for c in d["checks"])
    assert {v["status"] for v in out["channels"].values()} <= {"ok", "weak", "conflict"}
    pp = out["prior_predictive"]["media_share"]
    assert pp["lo"] < pp["mean"] < pp["hi"] and out["prior"] == "share"
    total = sum(v["contribution"]["mean"] for v in out["channels"].values())
    assert 0.1 < total / world.weekly["kpi"].sum() < 0.6
    rep = CliRunner().invoke(_app(), ["mmm", "report", str(tmp_path / "fit"), "--json"])
    assert rep.exit_code == 0, rep.output
    again = json.loads(rep.output)
    assert again["channels"]["spend_search"]["roi"]["mean"] == pytest.approx(
        out["channels"]["spend_search"]["roi"]["mean"], rel=1e-5
    )
    assert (tmp_path / "fit" / "report.html").exists()
    human = CliRunner().invoke(_app(), ["mmm", "report", str(tmp_path / "fit")])
    assert human.exit_code == 0, human.output
    assert "spend_search" in human.output and (
        "Review gates passed" in human.output or "FAILED" in human.output
    )


def test_cli_errors(tmp_path) -> None:
    res = CliRunner().invoke(_app(), ["mmm", "fit", "--mode", "map", "--json"])
    assert res.exit_code != 0
    assert isinstance(res.exception, InputDataError) and "no data given" in str(res.exception)
    res = CliRunner().invoke(_app(), ["mmm", "fit", "x.csv", "--kpi-type", "profit", "--json"])
    assert isinstance(res.exception, UsageError) and "--kpi-type 'profit'" in str(res.exception)


def test_fit_spec_prior_follows_the_kpi_type() -> None:
    from omnimix.errors import ConfigError
    from omnimix.mmm.workflow import FitSpec

    assert FitSpec().config().prior == "share"  # unit-free by default
    assert FitSpec(kpi_type="revenue").config().prior == "roi"  # ROI in the currency of spend
    assert FitSpec(kpi_type="count").config().prior == "share"  # conversions per currency: no ROI prior
    cfg = FitSpec(kpi_type="count", kpi_value=80.0).config()
    assert cfg.prior == "roi" and cfg.value_per_kpi == 80.0
    assert FitSpec(kpi_type="revenue", prior="share").config().prior == "share"
    with pytest.raises(ConfigError, match="kpi_value"):
        FitSpec(kpi_type="revenue", kpi_value=3.0).config()
    from omnimix.mmm.components import Prior
    from omnimix.mmm.spec import MMMConfig

    with pytest.raises(ConfigError, match="roi_priors need"):
        MMMConfig(prior="share", roi_priors={"a": Prior("LogNormal", {"loc": 0.0, "scale": 1.0})})


def _workspace(tmp_path, world) -> None:
    import duckdb

    df = world.weekly
    rows = []
    for c in CHANNELS:
        for wk, v in zip(df["week"], df[f"spend_{c}"], strict=True):
            # spread each week's spend over two days
            rows += [(wk, c, v * 0.6), (wk + dt.timedelta(days=3), c, v * 0.4)]
    spend = pd.DataFrame(rows, columns=["date", "channel", "spend"])
    conv = []
    for wk, v in zip(df["week"], df["kpi"], strict=True):
        conv += [
            (pd.Timestamp(wk) + pd.Timedelta(hours=10), v * 0.5),
            (pd.Timestamp(wk) + pd.Timedelta(days=5), v * 0.5),
        ]
    conversions = pd.DataFrame(conv, columns=["ts", "value"])
    experiments = pd.DataFrame(world.truth["experiments"]).drop(columns=["true_lift"])
    experiments["start"] = pd.to_datetime(experiments["start"]).dt.date
    experiments["end"] = pd.to_datetime(experiments["end"]).dt.date
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    for name, frame in (("spend", spend), ("conversions", conversions), ("experiments", experiments)):
        con.register("f", frame)
        con.execute(f"create table {name} as select * from f")
        con.unregister("f")
    con.close()


def test_workspace_aggregation_and_cli(tmp_path, world) -> None:
    _workspace(tmp_path, world)
    data = load_workspace(tmp_path)
    assert data.channels == ("douyin", "search", "social")
    assert data.n_periods == 104
    np.testing.assert_allclose(data.kpi, world.weekly["kpi"].to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(data.media[:, 1], world.weekly["spend_search"].to_numpy(), rtol=1e-9)
    (e,) = data.experiments
    assert e.channel == "search" and e.lift == pytest.approx(world.truth["experiments"][0]["lift"])
    res = CliRunner().invoke(_app(), ["mmm", "fit", "--workspace", str(tmp_path), "--mode", "map", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert set(out["channels"]) == set(CHANNELS)
    with pytest.raises(InputDataError, match="workspace warehouse not found"):
        load_workspace(tmp_path / "empty")
