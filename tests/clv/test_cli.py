"""`omnimix clv …` through a throwaway typer app."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from omnimix.cli.clv import register
from omnimix.errors import InputDataError

from .test_rfm_cac import make_workspace
from .test_summary_holdout import simulate_bgnbd_orders


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    a = typer.Typer()

    @a.callback()
    def _root() -> None:
        """omnimix (test)"""

    register(a)
    return a


def _run(app: typer.Typer, args: list[str]) -> dict:  # type: ignore[type-arg]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, (res.output, res.exception)
    return json.loads(res.stdout)


def test_fit_summary_bgnbd_json(app: typer.Typer, cdnow: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "summary.csv"
    cdnow.assign(monetary_value=0.0).to_csv(path, index=False)
    out = _run(
        app, ["clv", "fit", "--summary", str(path), "--model", "bgnbd", "--time-unit", "weeks", "--json"]
    )
    assert out["model"] == "bgnbd"
    assert list(out)[:4] == ["model", "params", "log_likelihood", "stderr"]
    assert {k: round(v, 3) for k, v in out["params"].items()} == {
        "r": 0.243,
        "alpha": 4.414,
        "a": 0.793,
        "b": 2.426,
    }
    assert round(out["log_likelihood"], 1) == -9582.4
    assert set(out["stderr"]) == {"r", "alpha", "a", "b"}
    # days: alpha scales by 7, the likelihood shifts by the Jacobian of the time change only
    days = tmp_path / "days.csv"
    cdnow.assign(recency=cdnow["recency"] * 7, T=cdnow["T"] * 7).to_csv(days, index=False)
    out_d = _run(
        app, ["clv", "fit", "--summary", str(days), "--model", "bgnbd", "--time-unit", "days", "--json"]
    )
    assert out_d["params"]["alpha"] == pytest.approx(7 * out["params"]["alpha"], rel=1e-4)
    assert out_d["params"]["r"] == pytest.approx(out["params"]["r"], rel=1e-4)


def test_fit_summary_paretonbd_and_gammagamma(
    app: typer.Typer, cdnow_monetary: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "s.csv"
    cdnow_monetary.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"}).to_csv(
        path, index=False
    )
    p = _run(
        app, ["clv", "fit", "--summary", str(path), "--model", "paretonbd", "--time-unit", "weeks", "--json"]
    )
    assert set(p["params"]) == {"r", "alpha", "s", "beta"} and round(p["params"]["r"], 3) == 0.553
    g = _run(
        app, ["clv", "fit", "--summary", str(path), "--model", "gammagamma", "--time-unit", "weeks", "--json"]
    )
    assert set(g["params"]) == {"p", "q", "gamma"} and round(g["params"]["p"], 2) == 6.25


def test_fit_sbg(app: typer.Typer) -> None:
    out = _run(
        app, ["clv", "fit", "--model", "sbg", "--survival", "1000,869,743,653,593,551,517,491", "--json"]
    )
    assert out["model"] == "sbg"
    assert round(out["params"]["alpha"], 3) == 0.668 and round(out["params"]["beta"], 3) == 3.806
    assert out["stderr"]["alpha"] > 0


def test_time_unit_is_required(app: typer.Typer, cdnow: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "summary.csv"
    cdnow.to_csv(path, index=False)
    res = CliRunner().invoke(app, ["clv", "fit", "--summary", str(path), "--model", "bgnbd", "--json"])
    assert res.exit_code != 0 and isinstance(res.exception, InputDataError)
    assert "--time-unit" in str(res.exception)


def test_fit_and_predict_transactions(app: typer.Typer, tmp_path: Path) -> None:
    orders = simulate_bgnbd_orders(
        800, {"r": 0.8, "alpha": 40.0, "a": 0.6, "b": 4.0}, 400, np.random.default_rng(8)
    )
    path = tmp_path / "orders.csv"
    orders.to_csv(path, index=False)
    cols = [
        "--transactions",
        str(path),
        "--customer-col",
        "person_id",
        "--date-col",
        "ts",
        "--value-col",
        "value",
    ]
    fit = _run(app, ["clv", "fit", *cols, "--model", "bgnbd", "--time-unit", "days", "--json"])
    assert fit["params"]["alpha"] == pytest.approx(40.0, rel=0.5)
    chart = tmp_path / "holdout.html"
    pred = _run(
        app,
        [
            "clv",
            "predict",
            *cols,
            "--model",
            "bgnbd",
            "--time-unit",
            "days",
            "--horizon",
            "90",
            "--calibration-end",
            "2023-11-01",
            "--chart",
            str(chart),
            "--output",
            str(tmp_path / "pred.csv"),
            "--limit",
            "5",
            "--json",
        ],
    )
    assert pred["n_customers"] > 0 and len(pred["customers"]) == 5
    assert pred["holdout"]["correlation"] > 0.5 and chart.exists()
    first = pred["customers"][0]
    assert {"customer_id", "p_alive", "expected_purchases", "expected_spend", "clv"} <= set(first)
    assert first["clv"] >= pred["customers"][-1]["clv"]
    rows = pd.read_csv(tmp_path / "pred.csv")
    assert len(rows) == pred["n_customers"] and rows["clv"].notna().all()


def test_segments_and_cac_workspace(app: typer.Typer, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    seg = _run(app, ["clv", "segments", "--workspace", str(ws), "--json"])
    assert seg["n_customers"] == 60
    assert sum(s["size"] for s in seg["segments"]) == 60
    assert all(s["top_regions"] == [{"name": "north", "share": 1.0}] for s in seg["segments"])
    assert all(s["mean_clv"] is not None and s["mean_clv"] >= 0 for s in seg["segments"])
    cac = _run(app, ["clv", "cac", "--workspace", str(ws), "--json"])
    by = {r["channel"]: r for r in cac["by_channel"]}
    assert set(by) == {"search", "social"}
    assert by["search"]["new_customers"] == 30 and by["social"]["new_customers"] == 30
    assert by["search"]["cac"] == pytest.approx(by["search"]["spend"] / 30)
    assert by["social"]["cac"] == pytest.approx(4 * by["search"]["cac"])
    for r in cac["by_channel"]:
        assert r["flag"] in {"loss", "ok", "strong"}
        assert r["ltv_cac"] == pytest.approx(r["mean_clv"] / r["cac"])
    assert any(r.get("cohort_month") for r in cac["rows"])
    text = CliRunner().invoke(app, ["clv", "cac", "--workspace", str(ws), "--by-channel"])
    assert text.exit_code == 0 and "search" in text.stdout


def test_segments_save_and_cac_channel_col(app: typer.Typer, tmp_path: Path) -> None:
    import duckdb

    from .test_rfm_cac import make_resolved_workspace

    ws = make_resolved_workspace(tmp_path)
    seg = _run(app, ["clv", "segments", "--workspace", str(ws), "--save", "--json"])
    assert seg["saved"] == 40
    champ = [s for s in seg["segments"] if s["typical_path"]]
    assert champ and champ[0]["typical_path"] == "search > email"
    con = duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True)
    n = con.execute("SELECT count(*) FROM customers WHERE segment IS NOT NULL").fetchall()[0][0]
    con.close()
    assert n == 40
    cac = _run(
        app, ["clv", "cac", "--workspace", str(ws), "--channel-col", "acq_markov", "--by-channel", "--json"]
    )
    by = {r["channel"]: r for r in cac["by_channel"]}
    assert by["email"]["new_customers"] == 40 and by["search"]["flag"] == "no customers"


def test_predict_from_summary_keeps_customer_ids(
    app: typer.Typer, cdnow_monetary: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "s.csv"
    df = cdnow_monetary.rename(
        columns={"ID": "customer_id", "x": "frequency", "t_x": "recency", "zbar": "monetary_value"}
    )
    df.to_csv(path, index=False)
    out = _run(
        app,
        [
            "clv",
            "predict",
            "--summary",
            str(path),
            "--time-unit",
            "weeks",
            "--horizon",
            "39",
            "--limit",
            "3",
            "--json",
        ],
    )
    assert out["n_customers"] == 2357 and out["spend_params"]["p"] == pytest.approx(6.2488, rel=1e-3)
    top = out["customers"][0]
    assert isinstance(top["customer_id"], str) and top["customer_id"] in set(df["customer_id"].astype(str))
    # the top customer by CLV has the largest expected purchases × spend among the printed ones
    assert top["clv"] == max(c["clv"] for c in out["customers"])
    total = out["totals"]["expected_purchases"]
    # Σ conditional expectations over the next 39 weeks (equal to lifetimes', see test_models)
    assert total == pytest.approx(1653.42, abs=0.05)
