"""``omnimix experiment analyze``: the JSON contract, assignment files and errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from omnimix.cli import app, main
from omnimix.experiments import GeoPanel, analyze


@pytest.fixture(scope="module")
def data(world: tuple[pd.DataFrame, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    f = tmp_path_factory.mktemp("geo") / "panel.csv"
    world[0].rename(columns={"geo": "city", "date": "day", "kpi": "sales", "cost": "spend"}).to_csv(f, index=False)
    return f


def _args(data: Path, truth: dict[str, Any], *extra: str) -> list[str]:
    return ["experiment", "analyze", str(data), "--geo-col", "city", "--date-col", "day", "--kpi-col", "sales",
            "--test-start", truth["test_start"], "--test-end", truth["test_end"], *extra]


def _json(args: list[str]) -> dict[str, Any]:
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, (res.output, res.exception)
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def test_json_shape_with_cost(data: Path, world: tuple[pd.DataFrame, dict[str, Any]]) -> None:
    truth = world[1]
    out = _json(_args(data, truth, "--method", "tbr", "--cost-col", "spend", "--treated", ",".join(truth["treated"]),
                      "--level", "0.8", "--json"))
    assert list(out) == ["method", "att", "incremental_kpi", "lift", "p_value", "weights", "iroas",
                         "incremental_cost"]
    assert out["method"] == "tbr"
    for k in ("att", "incremental_kpi", "lift", "iroas"):
        assert list(out[k]) == ["mean", "lo", "hi"] and out[k]["lo"] <= out[k]["mean"] <= out[k]["hi"]
    assert 0.0 < out["lift"]["mean"] < 0.3                     # a fraction, not a percent
    assert out["incremental_cost"] == pytest.approx(truth["incremental_cost"], rel=0.1)
    ref = analyze(GeoPanel.from_frame(world[0], cost_col="cost"), "tbr", truth["treated"], truth["test_start"],
                  truth["test_end"], level=0.8)
    assert out["att"]["lo"] == pytest.approx(ref.att.lo) and out["p_value"] == pytest.approx(ref.p_value)


def test_without_cost_no_iroas(data: Path, world: tuple[pd.DataFrame, dict[str, Any]]) -> None:
    truth = world[1]
    out = _json(_args(data, truth, "--method", "did", "--treated", ",".join(truth["treated"]), "--json"))
    assert list(out) == ["method", "att", "incremental_kpi", "lift", "p_value", "weights"]


def test_assignment_file_and_inclusive_dates(data: Path, world: tuple[pd.DataFrame, dict[str, Any]],
                                            tmp_path: Path) -> None:
    truth = world[1]
    geos = sorted(world[0]["geo"].unique())
    asg = tmp_path / "assignment.csv"
    pd.DataFrame({"geo": geos, "group": ["treatment" if g in truth["treated"] else "control" for g in geos]}
                 ).to_csv(asg, index=False)
    a = _json(_args(data, truth, "--method", "synthetic_control", "--assignment", str(asg), "--json"))
    b = _json(_args(data, truth, "--method", "synthetic_control", "--treated", ",".join(truth["treated"]), "--json"))
    assert a == b
    # inclusive: incremental KPI = ATT × treated geos × days from test-start to test-end, both counted
    days = (pd.Timestamp(truth["test_end"]) - pd.Timestamp(truth["test_start"])).days + 1
    assert a["incremental_kpi"]["mean"] == pytest.approx(a["att"]["mean"] * len(truth["treated"]) * days)
    # a later --pre-start shortens the pre-period and changes the fit
    c = _json(_args(data, truth, "--method", "synthetic_control", "--assignment", str(asg), "--pre-start",
                    "2024-01-29", "--json"))
    assert c["att"] != a["att"]


def test_errors(data: Path, world: tuple[pd.DataFrame, dict[str, Any]], tmp_path: Path,
                capsys: pytest.CaptureFixture[str]) -> None:
    truth = world[1]
    with pytest.raises(SystemExit) as e:
        main(_args(data, truth, "--method", "tbr"))
    assert e.value.code == 2 and "exactly one of --treated" in capsys.readouterr().err
    bad = tmp_path / "a.csv"
    bad.write_text("geo,group\nG01,test\n", encoding="utf-8")
    with pytest.raises(SystemExit) as e:
        main(_args(data, truth, "--method", "tbr", "--assignment", str(bad)))
    err = capsys.readouterr().err
    assert e.value.code == 3 and "'test'" in err and "row(s) [1]" in err and "control` or `treatment" in err
    with pytest.raises(SystemExit) as e:
        main(_args(data, truth, "--method", "tbr", "--treated", "Atlantis"))
    assert e.value.code == 2 and "'Atlantis'" in capsys.readouterr().err


def test_chart_written(data: Path, world: tuple[pd.DataFrame, dict[str, Any]], tmp_path: Path) -> None:
    truth = world[1]
    out = tmp_path / "lift.html"
    res = CliRunner().invoke(app, _args(data, truth, "--method", "did", "--treated", ",".join(truth["treated"]),
                                        "--chart", str(out)))
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert "counterfactual" in html and "cumulative effect" in html and "ATT per geo per day" in res.stdout
