"""Journeys, paths and the funnel on a hand-checkable world.

The tests taking ``built`` run once per engine (DuckDB and Spark, see tests/identity/engines.py) with
the same assertions: both engines must build the same journeys, paths and funnel.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from omnimix.cli import app
from omnimix.identity.resolver import resolve
from omnimix.ingest.loader import ingest_file
from omnimix.journeys import JourneyResult, build_journeys, export_paths, funnel_report
from omnimix.workspace import Workspace
from tests.identity.engines import on_engine

TOUCHES = """event_id,ts,channel,stage,user_id,event_type
a1,2024-01-01 09:00:00,douyin,awareness,ann,impression
a2,2024-01-20 09:00:00,search,consideration,ann,click
a3,2024-01-25 09:00:00,search,consideration,ann,click
a4,2024-02-10 09:00:00,wechat,consideration,ann,click
a5,2024-03-20 09:00:00,referral,advocacy,ann,click
b1,2024-01-05 09:00:00,display,awareness,ben,impression
b2,2024-01-06 09:00:00,xiaohongshu,consideration,ben,click
c1,2024-01-07 09:00:00,direct,decision,cat,click
"""
ORDERS = """conversion_id,ts,value,user_id
o1,2024-02-01 12:00:00,100,ann
o2,2024-02-15 12:00:00,50,ann
o3,2024-03-30 12:00:00,70,ann
o4,2024-01-08 12:00:00,30,cat
"""


def _world(tmp_path: Path) -> Workspace:
    w = Workspace.init(tmp_path / "w")
    for name, text, table in [("t.csv", TOUCHES, "touchpoints"), ("o.csv", ORDERS, "conversions")]:
        (tmp_path / name).write_text(text)
        assert ingest_file(w, tmp_path / name, table=table).rows_loaded > 0
    return w


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    w = _world(tmp_path)
    resolve(w, probabilistic=False)
    return w


@pytest.fixture(scope="module")
def built(engine: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, JourneyResult]:
    """The world resolved and its journeys built on ``engine`` (once per module and engine)."""
    w = on_engine(_world(tmp_path_factory.mktemp(f"journeys_{engine}")), engine)
    resolve(w, probabilistic=False)
    return w, build_journeys(w)


def test_journeys_respect_lookback_and_previous_conversion(built: tuple[Workspace, JourneyResult]) -> None:
    ws, r = built
    con = ws.connect(read_only=True)
    got = dict(con.execute("SELECT journey_id, path FROM journeys").fetchall())
    con.close()
    # o1: a1 is 31 days before (outside 30-day lookback); o2: only touches after o1; o3: a5 (39 days
    # after o2, 10 days before o3); ben never converted: one open journey; o4: cat's direct visit
    assert got["o1"] == "search > search"
    assert got["o2"] == "wechat"
    assert got["o3"] == "referral"
    assert got["o4"] == "direct"
    ben = [k for k in got if k.endswith(":open")]
    assert len(ben) == 1 and got[ben[0]] == "display > xiaohongshu"
    assert (r.converting_journeys, r.null_journeys, r.conversions_without_touches) == (4, 1, 0)


def test_lookback_per_event_type(ws: Workspace) -> None:
    cfg = ws.config.model_copy(update={"journeys": ws.config.journeys.model_copy(
        update={"lookback_days": 60, "lookback_by_event_type": {"impression": 7}})})
    w = Workspace(ws.root, cfg)
    build_journeys(w)
    con = w.connect(read_only=True)
    got = dict(con.execute("SELECT journey_id, path FROM journeys").fetchall())
    con.close()
    assert got["o1"] == "search > search"  # the impression a1 is older than 7 days


def test_paths_export_format(built: tuple[Workspace, JourneyResult], tmp_path: Path) -> None:
    ws, _ = built
    out = tmp_path / "paths.csv"
    assert export_paths(ws, out) == 5
    rows = list(csv.reader(out.open(), delimiter=";"))
    assert rows[0] == ["path", "total_conversions", "total_conversion_value", "total_null"]
    table = {r[0]: r[1:] for r in rows[1:]}
    assert table["search > search"] == ["1", "100.0", "0"]
    assert table["display > xiaohongshu"] == ["0", "0.0", "1"]


def test_funnel(built: tuple[Workspace, JourneyResult]) -> None:
    ws, _ = built
    f = funnel_report(ws)
    stages = {s["stage"]: s["customers"] for s in f["stages"]}
    # ann: advocacy (referral after her first order); ben: consideration; cat: decision (ordered once)
    assert stages == {"awareness": 3, "consideration": 3, "decision": 2, "retention": 1, "advocacy": 1}
    assert f["stages"][2]["rate_from_previous"] == pytest.approx(2 / 3)
    assert f["by_first_touch"]["douyin"][4]["customers"] == 1
    assert f["by_first_touch"]["display"][1]["customers"] == 1
    # converters with touches: ann (search, wechat, referral) and cat (direct): one of two cross-channel
    assert f["cross_channel_conversion_rate"] == pytest.approx(0.5)


def test_cli_contract(ws: Workspace, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["resolve", "--workspace", str(ws.root), "--no-probabilistic", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["identity"]["customers"] == 3 and doc["journeys"]["distinct_paths"] == 5
    res = runner.invoke(app, ["funnel", "--workspace", str(ws.root), "--json"])
    assert json.loads(res.output)["stages"][0] == {"stage": "awareness", "customers": 3, "rate_from_previous": None}
    res = runner.invoke(app, ["journeys", "export", "--workspace", str(ws.root), "--out", str(tmp_path / "p.csv")])
    assert res.exit_code == 0 and (tmp_path / "p.csv").exists()
    res = runner.invoke(app, ["identity", "export", "--workspace", str(ws.root), "--out", str(tmp_path / "i.csv")])
    rows = list(csv.DictReader((tmp_path / "i.csv").open()))
    assert {r["id_value"] for r in rows} == {"ann", "ben", "cat"} and set(rows[0]) == {"id_type", "id_value",
                                                                                       "customer_id"}
    res = runner.invoke(app, ["identity", "explain", "--workspace", str(ws.root), "--id-type", "user_id",
                              "--value", "nobody"])
    assert res.exit_code != 0


def test_derived_tables_have_their_schema_columns(built: tuple[Workspace, JourneyResult]) -> None:
    """The stages' SQL (on either engine, Spark through its write-back) creates exactly the columns of omnimix.schema."""
    from omnimix.schema import DERIVED

    ws, _ = built
    con = ws.connect(read_only=True)
    try:
        for name, spec in DERIVED.items():
            got = con.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                              "ORDER BY ordinal_position", [name]).fetchall()
            if name in ("erasures", "stale_tables"):
                assert got == []  # written by `omnimix identity forget` / `omnimix loads remove` only
                continue
            assert got == [(c.name, c.type) for c in spec.columns], name
    finally:
        con.close()
