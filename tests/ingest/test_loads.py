"""Load management (``omnimix loads list|remove``, ``ingest --replace``), overlap warnings, busy warehouse."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from omnimix.cli import main
from omnimix.errors import UsageError, WarehouseBusy
from omnimix.ingest.loader import LoadResult, ingest_file
from omnimix.ingest.loads import list_loads, remove_load
from omnimix.workspace import Workspace

GH = "Day,Campaign,Cost,Impressions,Clicks,Currency code\n"
JAN = GH + "2024-01-01,a,10,100,1,CNY\n2024-01-02,a,20,100,1,CNY\n2024-01-03,b,30,100,1,CNY\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def load(ws: Workspace, path: Path, **kw: Any) -> LoadResult:
    r = ingest_file(ws, path, **kw)
    assert r.rows_in == r.rows_loaded + r.rows_quarantined + r.rows_skipped
    return r


def spend(ws: Workspace) -> list[tuple[Any, ...]]:
    con = ws.connect(read_only=True)
    try:
        return con.execute("SELECT date, campaign, spend FROM spend ORDER BY date, campaign").fetchall()
    finally:
        con.close()


def d(day: int) -> dt.date:
    return dt.date(2024, 1, day)


def test_list_shows_every_load_with_its_days_and_rows(ws: Workspace, tmp_path: Path) -> None:
    r = load(ws, write(tmp_path, "jan.csv", JAN + "2024-01-04,a,x,1,1,CNY\n"))
    [info] = list_loads(ws).loads
    assert (info.load_id, info.table, info.preset, info.source, info.status) == (
        r.load_id, "spend", "google_ads", "google_ads", "loaded")
    assert (info.date_min, info.date_max) == ("2024-01-01", "2024-01-03")
    assert (info.rows_in, info.rows_loaded, info.rows_quarantined, info.rows_now) == (4, 3, 1, 3)


def test_remove_undoes_a_load_and_the_file_loads_again(ws: Workspace, tmp_path: Path) -> None:
    keep = load(ws, write(tmp_path, "feb.csv", GH + "2024-02-01,c,5,1,1,CNY\n"))
    p = write(tmp_path, "jan.csv", JAN + "2024-01-04,a,x,1,1,CNY\n")
    r = load(ws, p)
    assert load(ws, p).already_loaded
    done = remove_load(ws, r.load_id[:8])
    assert (done.load_id, done.rows_deleted, done.quarantine_deleted) == (r.load_id, 3, 1)
    assert spend(ws) == [(dt.date(2024, 2, 1), "c", 5.0)]
    con = ws.connect(read_only=True)
    assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0
    con.close()
    status = {x.load_id: (x.status, x.rows_now) for x in list_loads(ws).loads}
    assert status[r.load_id] == ("removed", 0) and status[keep.load_id] == ("loaded", 1)
    again = load(ws, p)  # after fixing a mapping, the same bytes load again
    assert (again.already_loaded, again.rows_loaded) == (False, 3)


def test_remove_refuses_unknown_short_ambiguous_and_removed(ws: Workspace, tmp_path: Path) -> None:
    r = load(ws, write(tmp_path, "jan.csv", JAN))
    with pytest.raises(UsageError, match="no load 'ffffffff'"):
        remove_load(ws, "ffffffff")
    with pytest.raises(UsageError, match="too short"):
        remove_load(ws, "ab")
    assert r.load_id is not None
    remove_load(ws, r.load_id)
    with pytest.raises(UsageError, match="already removed"):
        remove_load(ws, r.load_id)


def test_replace_restates_the_days_of_the_file_atomically(ws: Workspace, tmp_path: Path) -> None:
    first = load(ws, write(tmp_path, "jan.csv", JAN))
    restated = GH + "2024-01-02,a,25,100,1,CNY\n2024-01-03,b-renamed,30,100,1,CNY\n"
    r = load(ws, write(tmp_path, "jan_v2.csv", restated), replace=True)
    assert (r.rows_loaded, r.rows_replaced) == (2, 2)
    assert spend(ws) == [(d(1), "a", 10.0), (d(2), "a", 25.0), (d(3), "b-renamed", 30.0)]
    assert any("--replace" in w for w in r.warnings)
    status = {x.load_id: (x.status, x.rows_now) for x in list_loads(ws).loads}
    assert status[first.load_id] == ("loaded", 1)  # its 2024-01-01 row is outside the new file's days


def test_replace_of_a_whole_load_marks_it_replaced(ws: Workspace, tmp_path: Path) -> None:
    first = load(ws, write(tmp_path, "jan.csv", JAN + "2024-01-02,zz,x,1,1,CNY\n"))
    r = load(ws, write(tmp_path, "jan_fixed.csv", JAN.replace(",20,", ",21,")), replace=True)
    assert (r.rows_loaded, r.rows_replaced) == (3, 3)
    info = {x.load_id: x for x in list_loads(ws).loads}
    assert info[first.load_id].status == "replaced" and info[first.load_id].removed_at is not None
    con = ws.connect(read_only=True)
    assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0  # its rejects went with it
    con.close()
    assert sum(x[2] for x in spend(ws)) == 61.0


def test_replace_loads_the_same_bytes_again(ws: Workspace, tmp_path: Path) -> None:
    p = write(tmp_path, "jan.csv", JAN)
    load(ws, p)
    r = load(ws, p, replace=True)
    assert (r.already_loaded, r.rows_loaded, r.rows_replaced) == (False, 3, 3)
    assert len(spend(ws)) == 3


def test_replace_with_no_valid_row_replaces_nothing(ws: Workspace, tmp_path: Path) -> None:
    load(ws, write(tmp_path, "jan.csv", JAN))
    r = load(ws, write(tmp_path, "broken.csv", GH + "someday,a,x,1,1,CNY\n"), replace=True)
    assert (r.rows_loaded, r.rows_quarantined, r.rows_replaced) == (0, 1, 0)
    assert "replaces nothing" in r.warnings[0] and len(spend(ws)) == 3


def test_replace_touches_other_platforms_never(ws: Workspace, tmp_path: Path) -> None:
    load(ws, write(tmp_path, "ocean.csv", "日期,广告计划,消耗,展示数,点击数\n2024-01-02,抖音,7,1,1\n"))
    load(ws, write(tmp_path, "jan.csv", JAN), replace=True)
    assert (d(2), "抖音", 7.0) in spend(ws)


def test_replace_of_canonical_touchpoints_by_source_and_day(ws: Workspace, tmp_path: Path) -> None:
    head = "event_id,ts,channel,source\n"
    load(ws, write(tmp_path, "crm.csv", head + "e1,2024-01-01 09:00:00,email,crm\ne2,2024-01-02 09:00:00,email,crm\n"),
         table="touchpoints")
    load(ws, write(tmp_path, "app.csv", head + "a1,2024-01-02 10:00:00,app,app\n"), table="touchpoints")
    r = load(ws, write(tmp_path, "crm_v2.csv", head + "e2b,2024-01-02 11:00:00,email,crm\n"), table="touchpoints",
             replace=True)
    assert (r.rows_loaded, r.rows_replaced) == (1, 1)
    con = ws.connect(read_only=True)
    got = sorted(x[0] for x in con.execute("SELECT event_id FROM touchpoints").fetchall())
    con.close()
    assert got == ["a1", "e1", "e2b"]  # the app's row of the same day stays: another source


def test_restated_value_is_reported_not_skipped_silently(ws: Workspace, tmp_path: Path) -> None:
    load(ws, write(tmp_path, "jan.csv", JAN))
    r = load(ws, write(tmp_path, "jan_again.csv", GH + "2024-01-01,a,10,100,1,CNY\n2024-01-02,a,99,100,1,CNY\n"))
    assert (r.rows_loaded, r.rows_skipped) == (0, 2)
    [w] = r.warnings
    assert w.startswith("1 row(s) restate a value") and "line 3: spend 20.0 → 99.0" in w and "--replace" in w
    assert (d(2), "a", 20.0) in spend(ws)  # the earlier value is kept, and the user was told


def test_resaved_copy_with_a_renamed_campaign_warns_of_double_counting(ws: Workspace, tmp_path: Path) -> None:
    first = load(ws, write(tmp_path, "jan.csv", JAN))
    r = load(ws, write(tmp_path, "jan (1).csv", JAN.replace(",b,", ",b (new name),")))
    assert (r.rows_loaded, r.rows_skipped) == (1, 2)
    [w] = r.warnings
    assert "adds 1 row(s) on 2024-01-01–2024-01-03" in w and str(first.load_id)[:8] in w and "--replace" in w


def test_identical_copy_under_another_name_adds_nothing_and_warns_nothing(ws: Workspace, tmp_path: Path) -> None:
    load(ws, write(tmp_path, "jan.csv", JAN))
    r = load(ws, write(tmp_path, "copy.csv", JAN + "\n"))  # other bytes, same rows
    assert (r.rows_loaded, r.rows_skipped, r.warnings) == (0, 3, [])


def test_remove_marks_built_tables_stale_until_rebuilt(ws: Workspace, tmp_path: Path) -> None:
    r = load(ws, write(tmp_path, "jan.csv", JAN))
    ws.write("attribution_results", pd.DataFrame({"model": ["last_touch"], "channel": ["search"],
                                                  "conversions": [1.0], "value": [2.0]}))
    assert list_loads(ws).stale == ()
    assert r.load_id is not None
    assert remove_load(ws, r.load_id).stale == ("attribution_results",)
    assert list_loads(ws).stale == ("attribution_results",)
    ws.write("attribution_results", pd.DataFrame({"model": ["last_touch"], "channel": ["search"],
                                                  "conversions": [0.0], "value": [0.0]}))
    assert list_loads(ws).stale == ()


def test_engine_materialize_clears_the_stale_mark(ws: Workspace, tmp_path: Path) -> None:
    from omnimix.engine.base import DuckDBEngine

    r = load(ws, write(tmp_path, "jan.csv", JAN))
    con = ws.connect()
    con.execute("CREATE TABLE paths AS SELECT 'a' AS path, 1.0 AS total_conversions, 1.0 AS "
                "total_conversion_value, 0.0 AS total_null")
    con.close()
    assert r.load_id is not None
    remove_load(ws, r.load_id)
    assert list_loads(ws).stale == ("paths",)
    con = ws.connect()
    DuckDBEngine(con).materialize("paths", "SELECT * FROM paths")
    con.close()
    assert list_loads(ws).stale == ()


def test_an_older_warehouse_gains_the_loads_columns(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "old")
    con = ws.connect()
    con.execute("ALTER TABLE loads DROP COLUMN status")
    con.execute("ALTER TABLE loads DROP COLUMN date_min")
    con.close()
    p = write(tmp_path, "jan.csv", JAN)
    assert load(ws, p).rows_loaded == 3
    assert list_loads(ws).loads[0].date_min == "2024-01-01"


def test_cli_loads_list_and_remove(ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = load(ws, write(tmp_path, "jan.csv", JAN))
    main(["loads", "list", "-w", str(ws.root), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert [x["load_id"] for x in doc["loads"]] == [r.load_id] and doc["stale"] == []
    main(["loads", "remove", str(r.load_id)[:10], "-w", str(ws.root), "--json"])
    assert json.loads(capsys.readouterr().out)["rows_deleted"] == 3
    main(["loads", "list", "-w", str(ws.root)])
    assert "removed" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["loads", "remove", "nope-nope", "-w", str(ws.root)])
    assert exc.value.code == 2 and "no load" in capsys.readouterr().err


def test_cli_ingest_replace_prints_warnings(ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    load(ws, write(tmp_path, "jan.csv", JAN))
    p = write(tmp_path, "jan2.csv", GH + "2024-01-02,a,21,100,1,CNY\n")
    main(["ingest", str(p), "-w", str(ws.root)])
    assert "restate a value" in capsys.readouterr().err
    main(["ingest", str(p), "-w", str(ws.root), "--replace", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["files"][0]["rows_replaced"] == 1 and (d(2), "a", 21.0) in spend(ws)


# ---------------------------------------------------------------------------------------- busy warehouse
HOLD = ("import duckdb, sys, time; con = duckdb.connect(sys.argv[1], read_only=sys.argv[3] == 'ro'); "
        "print('held', flush=True); time.sleep(float(sys.argv[2]))")


def _hold(ws: Workspace, seconds: float, mode: str = "rw") -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(ws.warehouse_path), str(seconds), mode],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_busy_warehouse_is_waited_for(ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMNIMIX_BUSY_TIMEOUT", "30")
    p = write(tmp_path, "jan.csv", JAN)
    holder = _hold(ws, 1.5, "ro")  # the dashboard's read connection
    t0 = time.monotonic()
    try:
        assert load(ws, p).rows_loaded == 3
    finally:
        holder.wait(timeout=30)
    assert time.monotonic() - t0 > 0.5


def test_busy_warehouse_times_out_with_a_clear_message(ws: Workspace, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMNIMIX_BUSY_TIMEOUT", "0.3")
    holder = _hold(ws, 30)
    try:
        with pytest.raises(WarehouseBusy, match=r"in use by another process \(process \d+\): waited 0.3 s") as e:
            ws.connect()
        assert "OMNIMIX_BUSY_TIMEOUT" in str(e.value) and "omnimix web" in str(e.value)
    finally:
        holder.kill()
        holder.wait()


def test_concurrent_second_ingest_says_so_in_json(ws: Workspace, tmp_path: Path) -> None:
    a, b = write(tmp_path, "jan.csv", JAN), write(tmp_path, "feb.csv", GH + "2024-02-01,c,5,1,1,CNY\n")
    run = [sys.executable, "-c", "from omnimix.cli import main; main()"]
    env = {**os.environ, "OMNIMIX_TEST_HANG_BEFORE_COMMIT": "1"}
    first = subprocess.Popen([*run, "ingest", str(a), "-w", str(ws.root)], env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert first.stderr is not None and "pausing before commit" in first.stderr.readline()
        out = subprocess.run([*run, "ingest", str(b), "-w", str(ws.root), "--json"], capture_output=True, text=True,
                             env={**os.environ, "OMNIMIX_BUSY_TIMEOUT": "0.5"}, timeout=60)
    finally:
        first.kill()
        first.wait()
    assert out.returncode == 4 and "Traceback" not in out.stderr
    doc = json.loads(out.stdout)
    assert doc["error_type"] == "WarehouseBusy" and "in use by another process" in doc["error"]
    assert doc["files"][0]["file"] == str(b) and doc["files"][0]["rows_loaded"] == 0
    assert load(ws, a).rows_loaded == 3  # the killed load left nothing behind


def test_resolve_after_a_remove_clears_every_stale_mark(tmp_path: Path) -> None:
    from omnimix.ingest.workflow import ingest_files
    from omnimix.journeys.workflow import resolve_workspace
    from tests.journeys.test_journeys import ORDERS, TOUCHES

    ws = Workspace.init(tmp_path / "w")
    run = ingest_files(ws, [write(tmp_path, "t.csv", TOUCHES), write(tmp_path, "o.csv", ORDERS)])
    resolve_workspace(ws, probabilistic=False)
    assert list_loads(ws).stale == ()
    orders = run.files[1].load_id
    assert orders is not None
    stale = remove_load(ws, orders).stale
    assert {"identifiers", "customers", "journeys", "paths", "identity_labels"} <= set(stale)
    resolve_workspace(ws, probabilistic=False)
    assert list_loads(ws).stale == ()


def test_canonical_copy_under_another_name_warns_of_double_counting(ws: Workspace, tmp_path: Path) -> None:
    # canonical spend files without a source column take the file name as source: a renamed copy
    # would add every row again
    text = "date,channel,campaign,spend\n2024-01-01,search,a,10\n2024-01-02,search,a,20\n"
    load(ws, write(tmp_path, "spend_jan.csv", text), table="spend")
    resaved = text.replace("\n", "\r\n")  # re-saved by Excel: other bytes, same rows, another name
    r = load(ws, write(tmp_path, "spend_jan (2).csv", resaved), table="spend")
    assert r.rows_loaded == 2
    [w] = r.warnings
    assert "adds 2 row(s) on 2024-01-01–2024-01-02" in w and "counted twice" in w
    assert r.load_id is not None
    remove_load(ws, r.load_id)  # what the warning says to do
    assert sum(x[2] for x in spend(ws)) == 30.0
