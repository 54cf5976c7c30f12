"""Running jobs: the run history, one run of a job at a time, a locked warehouse, failures, APScheduler."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

from omnimix.config import ScheduleJob
from omnimix.schedule import JobContext, Scheduler
from omnimix.workspace import Workspace
from tests.schedule.helpers import job, make_ws


def _wait(cond: Any, timeout: float = 2.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return bool(cond())


def test_a_run_is_recorded_with_times_status_and_message(tmp_path: Path) -> None:
    ws = make_ws(tmp_path / "ws", [job("m")])
    seen: list[str] = []

    def fake(w: Workspace, j: ScheduleJob, ctx: JobContext) -> str:
        seen.append(ctx.state_url)
        return f"checked {w.root.name}"

    sched = Scheduler(ws, kinds={"monitor": fake})
    run = sched.run("m")
    assert (run.job, run.kind, run.trigger, run.status, run.message) == ("m", "monitor", "once", "ok", "checked ws")
    assert run.ended is not None and run.started <= run.ended
    assert seen == [f"sqlite:///{ws.root.resolve() / 'app.db'}"]
    again = Scheduler(ws).store.runs()  # a new process reads the same history from DIR/app.db
    assert [(r.id, r.status) for r in again] == [(run.id, "ok")]
    assert again[0].to_json()["started"].endswith("Z")


def test_the_same_job_never_runs_twice_at_once(tmp_path: Path) -> None:
    ws = make_ws(tmp_path / "ws", [job("m"), job("other", kind="ingest")])
    entered, release = threading.Event(), threading.Event()

    def slow(w: Workspace, j: ScheduleJob, ctx: JobContext) -> str:
        entered.set()
        assert release.wait(5)
        return "done"

    sched = Scheduler(ws, kinds={"monitor": slow, "ingest": lambda w, j, c: "ingested"})
    first: list[Any] = []
    t = threading.Thread(target=lambda: first.append(sched.run("m")))
    t.start()
    assert entered.wait(2)
    second = Scheduler(ws, kinds={"monitor": slow}).run("m")  # another scheduler (process) on the same job
    assert second.status == "skipped" and "already running" in second.message
    assert sched.run("other").status == "ok"  # other jobs are not held up
    release.set()
    t.join(5)
    assert first[0].status == "ok"
    assert sched.run("m").status == "ok"  # the lock was released
    aps = sched.build()
    j = aps.get_job("m")
    assert (j.max_instances, j.coalesce, j.misfire_grace_time) == (1, True, 3600)


def test_a_locked_warehouse_skips_the_run(tmp_path: Path) -> None:
    ws = make_ws(tmp_path / "ws", [job("m"), job("load", kind="ingest")], lock_wait_s=0.3)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
         "time.sleep(20)", str(ws.warehouse_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        called: list[str] = []
        sched = Scheduler(ws, kinds={"monitor": lambda w, j, c: called.append("m") or "ran",
                                     "ingest": lambda w, j, c: called.append("i") or "ran"})
        for name in ("m", "load"):
            run = sched.run(name)
            assert run.status == "skipped", run
            assert run.message.startswith("warehouse locked: the warehouse") and "in use by another process" in run.message
        assert called == []
    finally:
        holder.kill()
        holder.wait()
    assert sched.run("m").status == "ok" and called == ["m"]


def test_a_failed_job_is_recorded_and_the_scheduler_keeps_going(tmp_path: Path) -> None:
    ws = make_ws(tmp_path / "ws", [job("bad", cron="0 0 1 1 *"), job("good", kind="ingest", cron="0 0 1 1 *")])
    calls = {"bad": 0, "good": 0}

    def bad(w: Workspace, j: ScheduleJob, ctx: JobContext) -> str:
        calls["bad"] += 1
        raise ZeroDivisionError("division by zero in the monitor")

    def good(w: Workspace, j: ScheduleJob, ctx: JobContext) -> str:
        calls["good"] += 1
        return "fine"

    sched = Scheduler(ws, kinds={"monitor": bad, "ingest": good})
    sched.start()
    try:
        assert sched.running
        zone = sched.aps.timezone
        for name in ("bad", "good", "bad"):
            n = len(sched.store.runs())
            sched.aps.modify_job(name, next_run_time=datetime.now(zone))  # fire now instead of on 1 January
            assert _wait(lambda n=n: len(sched.store.runs()) > n and sched.store.runs()[0].status != "running")
        runs = sched.store.runs()
        assert [(r.job, r.status, r.trigger) for r in reversed(runs)] == [
            ("bad", "failed", "cron"), ("good", "ok", "cron"), ("bad", "failed", "cron")]
        assert runs[0].message == "ZeroDivisionError: division by zero in the monitor"
        assert sched.running and calls == {"bad": 2, "good": 1}
        nxt = sched.aps.get_job("bad").next_run_time
        assert (nxt.month, nxt.day, nxt.hour) == (1, 1, 0)  # back on its cron times
    finally:
        sched.shutdown()
    assert not sched.running


def test_an_overlapping_cron_fire_is_recorded_as_skipped(tmp_path: Path) -> None:
    ws = make_ws(tmp_path / "ws", [job("m", cron="0 0 1 1 *")])
    entered, release = threading.Event(), threading.Event()

    def slow(w: Workspace, j: ScheduleJob, ctx: JobContext) -> str:
        entered.set()
        release.wait(5)
        return "done"

    sched = Scheduler(ws, kinds={"monitor": slow})
    sched.start()
    try:
        sched.aps.modify_job("m", next_run_time=datetime.now(sched.aps.timezone))
        assert entered.wait(2)
        sched.aps.modify_job("m", next_run_time=datetime.now(sched.aps.timezone))
        assert _wait(lambda: any(r.status == "skipped" for r in sched.store.runs()))
        skipped = next(r for r in sched.store.runs() if r.status == "skipped")
        assert "max_instances=1" in skipped.message
    finally:
        release.set()
        sched.shutdown()
    assert [r.status for r in sched.store.runs()].count("ok") == 1


def test_run_pending_runs_what_came_due_once(tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    due = now - timedelta(minutes=5)
    ws = make_ws(tmp_path / "ws", [job("due", cron=f"{due.minute} {due.hour} * * *", timezone="UTC"),
                                   job("later", cron=f"{due.minute} {(due.hour + 12) % 24} * * *", timezone="UTC"),
                                   job("off", cron="* * * * *", enabled=False)])
    sched = Scheduler(ws, kinds={"monitor": lambda w, j, c: "ok"})
    assert sched.due() == ["due"]
    assert [(r.job, r.trigger, r.status) for r in sched.run_pending()] == [("due", "pending", "ok")]
    assert sched.run_pending() == []  # its cron time was run already
    assert sched.due(now + timedelta(hours=12)) == ["later"]  # never run: due within the misfire grace
    assert sched.due(now + timedelta(days=1)) == ["due"]


def test_the_review_job_runs_the_review_into_the_reports_folder(tmp_path: Path) -> None:
    import pandas as pd

    ws = make_ws(tmp_path / "ws", [job("monthly", kind="review", cron="0 8 1 * *", lang="en")])
    days = pd.date_range("2026-10-01", "2026-11-30", freq="D")
    spend = pd.DataFrame([{"date": d.date(), "channel": c, "spend": 100.0 + i, "source": "t"}
                          for i, d in enumerate(days) for c in ("search", "social")])
    conv = pd.DataFrame({"conversion_id": [f"o{i}" for i in range(len(days))], "ts": days + pd.Timedelta(hours=9),
                         "type": "purchase", "value": 500.0, "source": "t"})
    with ws.writer() as w:
        w.write("spend", spend)
        w.write("conversions", conv)
    run = Scheduler(ws).run("monthly")
    assert run.status == "ok", run.message
    root = ws.root.resolve()
    assert run.message == f"review 2026-11 (en) written to {root / 'reports'}: 2 file(s)"
    assert sorted(p.name for p in (root / "reports").iterdir()) == ["review-2026-11.en.html", "review-2026-11.en.xlsx"]
    from omnimix.review import ReviewStore

    saved = ReviewStore(f"sqlite:///{root / 'app.db'}").decisions("2026-11")
    assert [(d["channel"], d["decision"], d["basis"]) for d in saved] == [
        ("search", "test", "no_model"), ("social", "test", "no_model")]


def test_the_refit_job_reuses_the_saved_fits_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from omnimix.mmm import workflow
    from omnimix.mmm.spec import MMMConfig

    ws = make_ws(tmp_path / "ws", [job("quarterly", kind="refit", cron="0 3 1 1,4,7,10 *")])
    failed = Scheduler(ws).run("quarterly")
    assert failed.status == "failed" and "no saved MMM fit" in failed.message and "omnimix mmm fit" in failed.message
    saved = MMMConfig(chains=2, warmup=300, samples=200, l_max=6, fourier_order=2, kpi_type="revenue",
                      adstock="delayed", prior="roi")
    (ws.root / "mmm" / "latest").mkdir(parents=True)
    (ws.root / "mmm" / "latest" / "model.json").write_text(json.dumps(
        {"mode": "map", "config": saved.to_dict(), "channels": ["search", "social"]}), encoding="utf-8")
    calls: list[tuple[Any, Any]] = []

    def fake_fit(w: Any, spec: Any, *, channels: Any = None, **kw: Any) -> Any:
        calls.append((spec, channels))
        return SimpleNamespace(payload={"diagnostics": {"passed": True, "reasons": []}})

    monkeypatch.setattr(workflow, "fit_workspace", fake_fit)
    run = Scheduler(ws).run("quarterly")
    assert run.status == "ok" and run.message == "refit (map) of 2 channel(s): passed review"
    spec, channels = calls[0]
    assert channels == ["search", "social"] and spec.mode == "map"
    assert spec.config() == saved  # the very settings of the saved fit


def test_the_ingest_job_loads_the_inbox_and_files_it_away(tmp_path: Path) -> None:
    ws = make_ws(tmp_path / "ws", [job("load", kind="ingest", cron="*/15 * * * *")])
    inbox = ws.root / "inbox"
    sched = Scheduler(ws)
    assert sched.run("load").message == "no files in the watch folders (inbox)"
    inbox.mkdir()
    pd.DataFrame({"date": ["2026-01-05", "2026-01-06"], "channel": ["search", "search"], "campaign": ["a", "a"],
                  "spend": [100.0, 120.0]}).to_csv(inbox / "spend.csv", index=False)
    (inbox / "broken.csv").write_text("garbage\n1\n", encoding="utf-8")
    (inbox / "notes.docx").write_bytes(b"not data")
    run = sched.run("load")
    assert run.status == "failed"
    assert run.message.startswith("2 file(s): 2 rows loaded, 0 quarantined, 0 already loaded; 1 failed")
    assert "broken.csv" in run.message
    day = datetime.now().strftime("%Y-%m-%d")
    assert (inbox / "loaded" / day / "spend.csv").is_file() and (inbox / "failed" / day / "broken.csv").is_file()
    assert sorted(p.name for p in inbox.iterdir()) == ["failed", "loaded", "notes.docx"]
    con = ws.connect(read_only=True)
    try:
        assert con.execute("SELECT count(*), sum(spend) FROM spend").fetchone() == (2, 220.0)
    finally:
        con.close()
    assert sched.run("load").status == "ok"  # nothing left to load
