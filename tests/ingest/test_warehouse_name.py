"""A workspace whose omnimix.toml names another warehouse file: every data-layer command uses it.

``warehouse = 'marketing.duckdb'`` under ``[workspace]``: init, ingest, quarantine, resolve, journeys
export, funnel and the identity commands all read and write that file, and none creates
``warehouse.duckdb`` beside it.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from omnimix.cli import app
from omnimix.workspace import Workspace

TOUCHES = """event_id,ts,channel,stage,user_id,email,event_type
a1,2024-01-20 09:00:00,search,consideration,ann,ann@x.com,click
a2,2024-01-25 09:00:00,wechat,consideration,ann,,click
b1,2024-01-05 09:00:00,display,awareness,ben,ben@x.com,impression
c1,2024-01-07 09:00:00,direct,decision,cat,,click
"""
ORDERS = """conversion_id,ts,value,user_id
o1,2024-02-01 12:00:00,100,ann
o2,2024-01-08 12:00:00,30,cat
o3,not a date,5,ben
"""


def _run(*args: str) -> str:
    res = CliRunner().invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res.output


def test_every_stage_uses_the_configured_warehouse(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    _run("init", str(root))
    toml = root / "omnimix.toml"
    toml.write_text(toml.read_text().replace("warehouse = 'warehouse.duckdb'", "warehouse = 'marketing.duckdb'"))
    (root / "warehouse.duckdb").unlink()  # `omnimix init` made the default one before the edit
    ws = Workspace.open(root)
    assert ws.warehouse_path == root / "marketing.duckdb"
    (tmp_path / "t.csv").write_text(TOUCHES)
    (tmp_path / "o.csv").write_text(ORDERS)
    w = str(root)
    doc = json.loads(_run("ingest", str(tmp_path / "t.csv"), "-w", w, "--table", "touchpoints", "--json"))
    assert doc["files"][0]["rows_loaded"] == 4
    doc = json.loads(_run("ingest", str(tmp_path / "o.csv"), "-w", w, "--table", "conversions", "--json"))
    assert (doc["files"][0]["rows_loaded"], doc["files"][0]["rows_quarantined"]) == (2, 1)
    assert json.loads(_run("quarantine", "-w", w, "--json"))["total"] == 1
    doc = json.loads(_run("resolve", "-w", w, "--no-probabilistic", "--json"))
    assert doc["identity"]["customers"] == 3 and doc["journeys"]["converting_journeys"] == 2
    _run("journeys", "export", "-w", w, "--out", str(tmp_path / "paths.csv"))
    paths = {r[0] for r in csv.reader((tmp_path / "paths.csv").open(), delimiter=";")}
    assert {"search > wechat", "direct", "display"} <= paths
    assert json.loads(_run("funnel", "-w", w, "--json"))["converters"] == 2
    _run("identity", "export", "-w", w, "--out", str(tmp_path / "ids.csv"))
    assert json.loads(_run("identity", "explain", "-w", w, "--id-type", "user_id", "--value", "ann",
                           "--json"))["start"] == "user_id:ann"
    doc = json.loads(_run("identity", "forget", "-w", w, "--id-type", "user_id", "--value", "ann", "--json"))
    assert doc["deleted"]["touchpoints"] == 2 and doc["deleted"]["journeys"] == 1
    con = ws.connect(read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM erasures").fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM customers").fetchone()[0] == 2
    finally:
        con.close()
    assert sorted(p.name for p in root.iterdir() if p.suffix == ".duckdb") == ["marketing.duckdb"]
