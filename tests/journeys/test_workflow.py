"""The library workflows behind the data-layer commands: result objects whose ``to_json()`` is the CLI's ``--json``."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from omnimix.cli import app, main
from omnimix.errors import UsageError
from omnimix.identity.workflow import evaluate_identities, explain_identity, export_identity_map
from omnimix.ingest.workflow import ingest_files, quarantine_rows
from omnimix.journeys.workflow import export_journey_paths, forget_person, funnel, resolve_workspace
from omnimix.workspace import Workspace
from tests.journeys.test_journeys import ORDERS, TOUCHES

runner = CliRunner()


def _cli_json(*args: str) -> dict[str, object]:
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)  # type: ignore[no-any-return]


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    (tmp_path / "t.csv").write_text(TOUCHES)
    (tmp_path / "o.csv").write_text(ORDERS + "o9,yesterday,5,ben\n")
    return [tmp_path / "t.csv", tmp_path / "o.csv"]


def test_workflows_match_the_cli_json(tmp_path: Path, files: list[Path]) -> None:
    a, b = Workspace.init(tmp_path / "a"), Workspace.init(tmp_path / "b")
    run = ingest_files(a, files)
    assert dataclasses.is_dataclass(run) and run.rows_loaded == 12 and run.rows_quarantined == 1
    assert not run.failed and run.rows_in == run.rows_loaded + run.rows_quarantined + run.rows_skipped
    cli = _cli_json("ingest", *map(str, files), "-w", str(b.root))
    strip = lambda d: [{k: v for k, v in f.items() if k not in ("file", "load_id", "errors")} for f in d["files"]]  # noqa: E731
    assert strip(run.to_json()) == strip(cli)
    q = quarantine_rows(str(a.root), limit=5)
    assert q.total == 1 and q.rows[0].line == 6 and q.rows[0].column == "ts"
    cli_q = _cli_json("quarantine", "-w", str(b.root))
    assert {**q.to_json()["rows"][0], "file": ""} == {**cli_q["rows"][0], "file": ""}  # type: ignore[index]
    r = resolve_workspace(a.root, probabilistic=False)
    cli_r = _cli_json("resolve", "-w", str(b.root), "--no-probabilistic")
    drop = lambda d: {k: {x: y for x, y in v.items() if x != "seconds"} for k, v in d.items()}  # noqa: E731
    assert drop(r.to_json()) == drop(cli_r)
    assert r.identity.customers == 3 and r.journeys.distinct_paths == 5
    f = funnel(a)
    assert f.to_json() == _cli_json("funnel", "-w", str(b.root))
    assert f.stages[0]["customers"] == 3 and f.cross_channel_conversion_rate == pytest.approx(0.5)
    e = explain_identity(a, id_type="user_id", value="ann")
    assert e.to_json() == _cli_json("identity", "explain", "-w", str(b.root), "--id-type", "user_id", "--value", "ann")
    assert e.start == "user_id:ann" and len(e.identifiers) == 1
    assert export_journey_paths(a, tmp_path / "p.csv").paths == 5
    assert export_identity_map(a, tmp_path / "i.csv").to_json() == {"out": str(tmp_path / "i.csv"), "identifiers": 3}
    gone = forget_person(a, "user_id", "ann")
    assert gone.to_json() == _cli_json("identity", "forget", "-w", str(b.root), "--id-type", "user_id",
                                       "--value", "ann")
    assert gone.deleted["conversions"] == 3 and gone.deleted["journeys"] == 3 and gone.identifiers == 1
    truth = tmp_path / "truth.csv"
    truth.write_text("id_type,id_value,person_id\nuser_id,ben,P1\nuser_id,cat,P2\n")
    assert evaluate_identities(a, truth).to_json() == _cli_json("identity", "evaluate", "-w", str(b.root),
                                                                 "--truth", str(truth))


def test_bad_flags_are_usage_errors(tmp_path: Path, files: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    ws = Workspace.init(tmp_path / "w")
    with pytest.raises(UsageError, match="not both"):
        ingest_files(ws, files, preset="google_ads", table="touchpoints")
    with pytest.raises(UsageError, match="not a loadable table"):
        ingest_files(ws, files, table="customers")
    with pytest.raises(UsageError, match="limit"):
        quarantine_rows(ws, limit=-1)
    with pytest.raises(UsageError, match="customer id"):
        explain_identity(ws)
    with pytest.raises(UsageError, match="unknown identifier type 'fax'"):
        forget_person(ws, "fax", "123")
    with pytest.raises(UsageError, match="empty"):
        forget_person(ws, "email", "  ")
    for argv in (["ingest", str(files[0]), "-w", str(ws.root), "--table", "nope"],
                 ["identity", "explain", "-w", str(ws.root)],
                 ["identity", "forget", "-w", str(ws.root), "--id-type", "fax", "--value", "1"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2, argv
        assert capsys.readouterr().err.startswith("Error: ")


def test_forget_erases_result_tables_with_a_customer_id(tmp_path: Path, files: list[Path]) -> None:
    """Tables found through the schema (clv_customers) and unknown ones with a customer_id are erased too."""
    import pandas as pd

    ws = Workspace.init(tmp_path / "w")
    ingest_files(ws, files)
    resolve_workspace(ws, probabilistic=False)
    ids = ws.read("customers", ["customer_id"])["customer_id"].tolist()
    ws.write("clv_customers", pd.DataFrame({"customer_id": ids, "clv": [1.0, 2.0, 3.0]}))
    ws.write("my_export", pd.DataFrame({"customer_id": ids, "note": ["x", "y", "z"]}))
    ann = ws.read("identifiers", ["customer_id"], "id_value = ?", ["ann"])["customer_id"].iloc[0]
    doc = forget_person(ws, "user_id", "ann").to_json()
    assert doc["customer_id"] == ann
    assert doc["deleted"]["clv_customers"] == 1 and doc["deleted"]["my_export"] == 1
    assert ann not in set(ws.read("clv_customers")["customer_id"]) | set(ws.read("my_export")["customer_id"])
    assert len(ws.read("clv_customers")) == 2
    assert ws.read("paths")["total_conversions"].sum() == 1  # cat's order only
    assert ws.read("erasures", ["id_type"])["id_type"].tolist() == ["user_id"]
