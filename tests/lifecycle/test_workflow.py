"""End to end: the CRM simulator's files through ingest into ``lifecycle_report`` and the CLI, checked
against the simulator's truth; HubSpot's became-date columns through the hubspot_contacts preset."""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from omnimix.cli import main
from omnimix.errors import ConfigError, InputDataError
from omnimix.ingest.workflow import ingest_files
from omnimix.lifecycle.workflow import lifecycle_report
from omnimix.simulate.crm import simulate_crm
from omnimix.workspace import Workspace


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:  # type: ignore[type-arg]
    root = tmp_path_factory.mktemp("crm")
    simulate_crm(root / "sim", persons=4000, weeks=60, seed=7)
    truth = json.loads((root / "sim" / "truth" / "crm_truth.json").read_text(encoding="utf-8"))
    Workspace.init(root / "ws")
    run = ingest_files(root / "ws", [root / "sim" / "crm_stage_history.csv"])
    assert not run.failed and run.files[0].table == "stage_history" and run.rows_quarantined == 0
    return root / "sim", root / "ws", truth


def test_breaches_and_feedback_equal_the_truth(world: tuple[Path, Path, dict]) -> None:  # type: ignore[type-arg]
    sim, ws, truth = world
    rep = lifecycle_report(ws, as_of=dt.datetime.fromisoformat(truth["as_of"]))
    want = set(pd.read_csv(sim / "truth" / "crm_breaches.csv", dtype=str)["record_id"])
    assert want and {b.record_id for b in rep.sla.breaches} == want
    got = {ch: {k: v for k, v in c.items() if k in ("accepted", "rejected", "recycled") and v}
           for ch, c in rep.feedback.by_channel.items()}
    assert got == truth["feedback"]
    assert rep.feedback.reasons == truth["reasons"]
    assert rep.sla.contact_from_next_stage == 0  # the simulator writes every contact


def test_rates_near_the_known_ones(world: tuple[Path, Path, dict]) -> None:  # type: ignore[type-arg]
    _, ws, truth = world
    rep = lifecycle_report(ws, as_of=dt.datetime.fromisoformat(truth["as_of"]))
    for tr in rep.transitions:
        key = f"{tr.from_stage}→{tr.to_stage}"
        p = truth["rates"][key]
        assert tr.rate is not None
        se = math.sqrt(p * (1 - p) / tr.mature_entered)
        assert abs(tr.rate - p) < 4 * se + 0.005, (key, tr.rate, p, tr.mature_entered)
        # against the simulator's realized (uncensored) rate the only gap is the maturity cut-off
        assert abs(tr.rate - truth["realized"][key]["rate"]) < 4 * se, key
    assert rep.scoring is not None and rep.scoring.brier_model < rep.scoring.brier_base
    v = rep.velocity
    assert v.deal_value == pytest.approx(truth["deal_mean"], rel=0.15)


def test_cli_report_json(world: tuple[Path, Path, dict], capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[type-arg]
    _, ws, truth = world
    main(["lifecycle", "report", "--workspace", str(ws), "--as-of", truth["as_of"], "--json"])
    out = json.loads(capsys.readouterr().out)
    assert {"stages", "conversion", "cohorts", "channels", "velocity", "sla", "feedback", "scoring"} <= set(out)
    assert [s["stage"] for s in out["stages"]][:3] == ["subscriber", "lead", "mql"]
    assert out["sla"]["breached"] == len(out["sla"]["breaches"]) == truth["breaches"]
    assert len(out["scoring"]["deciles"]) == 10
    main(["lifecycle", "report", "--workspace", str(ws), "--max-breaches", "2"])
    text = capsys.readouterr().out
    assert "MQL SLA (4 business hours)" in text and "more (--json lists all)" in text


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    Workspace.init(tmp_path / "empty")
    ingest = tmp_path / "x.csv"
    ingest.write_text("record_id,email\nr1,a@b.cn\n", encoding="utf-8")
    ingest_files(tmp_path / "empty", [ingest], table="contacts")
    with pytest.raises(InputDataError, match="stage_history"):
        lifecycle_report(tmp_path / "empty")
    res = subprocess.run([sys.executable, "-c", "import sys; from omnimix.cli import main; main(sys.argv[1:])",
                          "lifecycle", "report", "--workspace", str(tmp_path / "empty"), "--as-of", "soon"],
                         capture_output=True, text=True)
    assert res.returncode == 2 and "Error: --as-of 'soon'" in res.stderr and "Traceback" not in res.stderr


def test_hubspot_became_dates_through_ingest(tmp_path: Path) -> None:
    f = tmp_path / "hubspot.csv"
    f.write_text(
        "Record ID,Email,Create Date,Lifecycle Stage,Became a Lead Date,Became a Marketing Qualified Lead Date,"
        "Became a Sales Qualified Lead Date,Became a Customer Date,Contact owner,HubSpot Score,Original Source\n"
        "101,a@x.cn,2025-03-01 10:00,customer,2025-03-01 10:00,2025-03-03 09:00,2025-03-03 15:00,"
        "2025-04-01 12:00,王磊,80,Paid Search\n"
        "102,b@x.cn,2025-03-02 10:00,marketingqualifiedlead,2025-03-02 10:00,2025-03-07 17:00,,,李娜,40,"
        "Social Media\n",
        encoding="utf-8")
    Workspace.init(tmp_path / "ws")
    run = ingest_files(tmp_path / "ws", [f])
    assert run.files[0].preset == "hubspot_contacts" and run.rows_loaded == 2
    rep = lifecycle_report(tmp_path / "ws", as_of=dt.datetime(2025, 3, 11, 12))
    assert rep.sources == ("contacts",)
    st = {s["stage"]: s["entered"] for s in rep.stages}
    assert (st["lead"], st["mql"], st["sql"]) == (2, 2, 1)
    assert st["customer"] == 0  # 101 became a customer on 1 Apr, after as_of: not known yet
    assert lifecycle_report(tmp_path / "ws").stages[5]["entered"] == 1  # as of the data's end
    # 101: MQL Mon 09:00, SQL at 15:00 the same day = 5 business hours: a breach (contact from the SQL entry)
    # 102: MQL Fri 17:00, never contacted; by Tue 11 Mar 12:00: 1 + 8 + 3 = 12 h: a breach
    by = {b.record_id: b for b in rep.sla.breaches}
    assert set(by) == {"101", "102"}
    assert by["101"].hours == pytest.approx(5.0) and by["101"].owner == "王磊"
    assert by["102"].hours == pytest.approx(12.0) and by["102"].contacted_at is None
    assert rep.sla.contact_from_next_stage == 1
    assert by["101"].channel == "Paid Search"


def test_lifecycle_config_is_validated(tmp_path: Path) -> None:
    Workspace.init(tmp_path / "ws")
    cfg = tmp_path / "ws" / "omnimix.toml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + "\n[lifecycle]\nstages = ['lead', 'customer']\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="mql_stage"):
        Workspace.of(tmp_path / "ws").config  # noqa: B018


@pytest.mark.slow
def test_omnimix_simulate_writes_crm_files_that_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["simulate", "--out", str(tmp_path / "sim"), "--customers", "300", "--weeks", "26", "--json"])
    files = json.loads(capsys.readouterr().out)["files"]
    assert "crm_stage_history.csv" in files
    main(["init", str(tmp_path / "ws")])
    capsys.readouterr()
    ingest_files(tmp_path / "ws", sorted((tmp_path / "sim").glob("*.csv")))
    main(["lifecycle", "report", "--workspace", str(tmp_path / "ws"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert out["persons"] == 300 and out["sources"] == ["stage_history"]


def test_simulator_same_seed_same_bytes(tmp_path: Path) -> None:
    for d in ("a", "b"):
        simulate_crm(tmp_path / d, persons=300, weeks=30, seed=2)
    for f in ("crm_stage_history.csv", "truth/crm_truth.json", "truth/crm_breaches.csv"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    simulate_crm(tmp_path / "c", persons=300, weeks=30, seed=3)
    other = (tmp_path / "c" / "crm_stage_history.csv").read_bytes()
    assert other != (tmp_path / "a" / "crm_stage_history.csv").read_bytes()
