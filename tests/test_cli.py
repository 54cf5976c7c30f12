from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from omnimix.cli import app

runner = CliRunner()


def test_init_simulate_ingest_json_contract(tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", str(tmp_path / "ws")]).exit_code == 0
    res = runner.invoke(app, ["simulate", "--out", str(tmp_path / "data"), "--customers", "300", "--weeks", "30",
                              "--seed", "1", "--json"])
    assert res.exit_code == 0, res.output
    files = [str(p) for p in sorted((tmp_path / "data").iterdir()) if p.is_file()]
    res = runner.invoke(app, ["ingest", *files, "--workspace", str(tmp_path / "ws"), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert len(doc["files"]) == len(files)
    for f in doc["files"]:
        assert {"file", "rows_in", "rows_loaded", "rows_quarantined", "errors"} <= set(f)
        assert f["rows_in"] == f["rows_loaded"] + f["rows_quarantined"]
    res = runner.invoke(app, ["quarantine", "--workspace", str(tmp_path / "ws"), "--json"])
    assert json.loads(res.output)["total"] == sum(f["rows_quarantined"] for f in doc["files"])


def test_table_flag_and_unknown_preset(tmp_path: Path) -> None:
    runner.invoke(app, ["init", str(tmp_path / "ws")])
    f = tmp_path / "e.csv"
    f.write_text("channel,start,end,lift,lift_sd\nsearch,2024-01-01,2024-01-28,100,10\n")
    res = runner.invoke(app, ["ingest", str(f), "-w", str(tmp_path / "ws"), "--table", "experiments", "--json"])
    assert json.loads(res.output)["files"][0]["rows_loaded"] == 1
    res = runner.invoke(app, ["ingest", str(f), "-w", str(tmp_path / "ws"), "--preset", "nope"])
    assert res.exit_code == 3
