from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from omnimix.cli.attribution import register

from .test_paths import _make_workspace


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """test root"""

    register(app)
    return app


def _write_paths(tmp_path: Path) -> Path:
    f = tmp_path / "paths.csv"
    f.write_text(
        "path;total_conversions;total_conversion_value;total_null\n"
        "A > B;20;200;10\nA;10;50;30\nB;5;20;40\nB > C;6;60;12\nA > B > C;9;90;3\n",
        encoding="utf-8",
    )
    return f


def test_cli_json_contract_simplified_shapley(tmp_path: Path) -> None:
    f = _write_paths(tmp_path)
    r = CliRunner().invoke(_app(), ["attribute", str(f), "--model", "shapley_simplified", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["model"] == "shapley_simplified"
    assert {k: v["conversions"] for k, v in out["channels"].items()} == pytest.approx(
        {"A": 23.0, "B": 21.0, "C": 6.0}
    )


def test_cli_markov_json_has_removal_effect(tmp_path: Path) -> None:
    f = _write_paths(tmp_path)
    r = CliRunner().invoke(_app(), ["attribute", str(f), "--model", "markov", "--order", "2", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert set(out["channels"]) == {"A", "B", "C"}
    assert all(0 <= v["removal_effect"] <= 1 for v in out["channels"].values())
    assert sum(v["conversions"] for v in out["channels"].values()) == pytest.approx(50.0)


def test_cli_custom_sep(tmp_path: Path) -> None:
    f = tmp_path / "p.csv"
    f.write_text("path,total_conversions\nx|y,2\ny,1\n", encoding="utf-8")
    r = CliRunner().invoke(_app(), ["attribute", str(f), "--model", "last", "--sep", "|", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["channels"]["y"]["conversions"] == 3.0


def test_cli_workspace_all_with_spend_and_chart(tmp_path: Path) -> None:
    _make_workspace(tmp_path)
    html = tmp_path / "chart.html"
    r = CliRunner().invoke(
        _app(), ["attribute", "--workspace", str(tmp_path), "--model", "all", "--json", "--chart", str(html)]
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert "time_decay" in out["models"] and "markov" in out["models"]
    search = out["channels"]["search"]
    assert search["spend"] == 150.0
    # last touch: "search > email" and "social > search > email" end in email -> search gets 0
    assert search["last"]["conversions"] == 0.0
    assert search["first"]["conversions"] == 3.0
    assert search["first"]["cpa"] == pytest.approx(50.0)
    assert search["first"]["roas"] == pytest.approx(30.0 / 150.0)
    assert html.exists() and "plotly" in html.read_text(encoding="utf-8")[:5_000_000].lower()


def test_cli_unknown_model_errors(tmp_path: Path) -> None:
    f = _write_paths(tmp_path)
    r = CliRunner().invoke(_app(), ["attribute", str(f), "--model", "nope"])
    assert r.exit_code != 0
    assert "unknown" in str(r.exception)


def test_cli_time_decay_needs_touches(tmp_path: Path) -> None:
    f = _write_paths(tmp_path)
    r = CliRunner().invoke(_app(), ["attribute", str(f), "--model", "time_decay"])
    assert r.exit_code != 0
    assert "touch" in str(r.exception)


def test_cli_module_import_is_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import omnimix.cli.attribution; "
        "print(','.join(m for m in ('numpy','pandas','scipy','pyarrow','jax') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_cli_markov_transitions(tmp_path: Path) -> None:
    f = _write_paths(tmp_path)
    r = CliRunner().invoke(_app(), ["attribute", str(f), "--model", "markov", "--transitions", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    start = {t["to"]: t["probability"] for t in out["transition_matrix"] if t["from"] == "(start)"}
    # journeys: A>B 30, A 40, B 45, B>C 18, A>B>C 12 -> 145 ; start->A = 82/145
    assert start["A"] == pytest.approx(82 / 145)
    assert start["B"] == pytest.approx(63 / 145)


def test_cli_touch_file_time_decay(tmp_path: Path) -> None:
    f = tmp_path / "touches.csv"
    f.write_text(
        "customer_id,ts,channel,converted,conversion_value\n"
        "c1,2024-01-01,search,true,70\nc1,2024-01-08,email,true,70\nc1,2024-01-15,social,true,70\n"
        "c2,2024-01-01,email,false,\n",
        encoding="utf-8",
    )
    r = CliRunner().invoke(_app(), ["attribute", str(f), "--model", "time_decay", "--json"])
    assert r.exit_code == 0, r.output
    ch = json.loads(r.stdout)["channels"]
    assert ch["social"]["conversions"] == pytest.approx(4 / 7)
    assert ch["search"]["value"] == pytest.approx(10.0)
    r2 = CliRunner().invoke(_app(), ["attribute", str(f), "--model", "markov", "--json"])
    assert r2.exit_code == 0, r2.output
    assert sum(v["conversions"] for v in json.loads(r2.stdout)["channels"].values()) == pytest.approx(1.0)
