"""``omnimix schedule --list/--once/--run-pending`` and ``omnimix serve --schedule`` (the app's lifespan)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import RunCli
from tests.schedule.helpers import job, make_ws


def test_list_and_once_through_the_cli(tmp_path: Path, run_cli: RunCli) -> None:
    ws = make_ws(tmp_path / "ws", [job("load", kind="ingest", cron="*/15 * * * *"),
                                   job("review", kind="review", cron="0 8 1 * *", enabled=False)])
    code, out, _ = run_cli(["schedule", "--workspace", str(ws.root), "--list", "--json"])
    assert code == 0
    jobs = json.loads(out)["jobs"]
    assert [(j["name"], j["kind"], j["enabled"], j["timezone"]) for j in jobs] == [
        ("load", "ingest", True, "Asia/Shanghai"), ("review", "review", False, "Asia/Shanghai")]
    assert jobs[0]["next_run"].endswith("+08:00") and int(jobs[0]["next_run"][14:16]) % 15 == 0
    assert jobs[1]["next_run"] is None and jobs[0]["last_run"] is None

    code, out, _ = run_cli(["schedule", "--workspace", str(ws.root), "--once", "load", "--json"])
    assert code == 0
    (run,) = json.loads(out)["runs"]
    assert (run["job"], run["status"], run["trigger"]) == ("load", "ok", "once")
    assert run["message"] == "no files in the watch folders (inbox)"

    code, out, _ = run_cli(["schedule", "--workspace", str(ws.root), "--list", "--history", "5"])
    assert code == 0 and "last ok" in out.splitlines()[0] and "next disabled" in out.splitlines()[1]
    assert f"#{run['id']} load ok" in out

    code, out, err = run_cli(["schedule", "--workspace", str(ws.root), "--once", "nightly"])
    assert code == 2 and "no scheduled job named 'nightly'; configured: load, review" in err
    code, out, err = run_cli(["schedule", "--workspace", str(ws.root), "--once", "load", "--list"])
    assert code == 2 and "at most one of --once, --list and --run-pending" in err

    import omnimix.review

    if not hasattr(omnimix.review, "run_review"):  # a failed run exits 1 (here: before omnimix.review lands)
        code, out, _ = run_cli(["schedule", "--workspace", str(ws.root), "--once", "review", "--json"])
        assert code == 1 and json.loads(out)["runs"][0]["status"] == "failed"


def test_run_pending_and_an_empty_schedule(tmp_path: Path, run_cli: RunCli) -> None:
    ws = make_ws(tmp_path / "ws", [])
    code, out, _ = run_cli(["schedule", "--workspace", str(ws.root), "--run-pending"])
    assert (code, out.strip()) == (0, "nothing due")
    code, _, err = run_cli(["schedule", "--workspace", str(ws.root)])
    assert code == 2 and "no enabled job in [schedule]" in err
    bad = tmp_path / "bad"
    make_ws(bad, [])
    (bad / "omnimix.toml").write_text((bad / "omnimix.toml").read_text() + "\n[[schedule.jobs]]\nname = 'm'\n"
                                      "kind = 'monitor'\ncron = '0 24 * * *'\n")
    code, _, err = run_cli(["schedule", "--workspace", str(bad), "--list"])
    assert code == 2 and "schedule.jobs.0: job 'm': cron '0 24 * * *': field hour = '24' is invalid" in err


def test_serve_with_schedule_starts_and_stops_the_scheduler(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from omnimix.web.app import create_app

    ws = make_ws(tmp_path / "ws", [job("monitor", cron="0 7 * * *"), job("off", kind="ingest", enabled=False)])
    app = create_app(ws.root, schedule=True, idle_close_s=0.5)
    sched = app.state.scheduler
    assert sched is not None and not sched.running
    with TestClient(app):
        assert sched.running
        assert [j.id for j in sched.aps.get_jobs()] == ["monitor"]  # enabled jobs only
        assert sched.aps.get_job("monitor").next_run_time.utcoffset().total_seconds() == 8 * 3600
        assert type(sched.aps._executors["default"]).__name__ == "ProcessPoolExecutor"
        assert sched.state_url == app.state.ctx.state.url  # run history beside the dashboard's users
    assert not sched.running
    plain = create_app(ws.root)
    assert plain.state.scheduler is None
    with TestClient(plain):
        pass


def test_serve_has_the_schedule_flag(run_cli: RunCli) -> None:
    code, out, _ = run_cli(["serve", "--help"])
    assert code == 0 and "--schedule" in out


def test_serve_runs_a_job_in_a_process_of_its_own(tmp_path: Path) -> None:
    import time
    from datetime import datetime

    from fastapi.testclient import TestClient

    from omnimix.web.app import create_app

    ws = make_ws(tmp_path / "ws", [job("load", kind="ingest", cron="0 0 1 1 *")])
    (ws.root / "inbox").mkdir()
    (ws.root / "inbox" / "spend.csv").write_text("date,channel,campaign,spend\n2026-01-05,search,a,100.5\n")
    app = create_app(ws.root, schedule=True, idle_close_s=0.3)
    sched = app.state.scheduler
    with TestClient(app):
        sched.aps.modify_job("load", next_run_time=datetime.now(sched.aps.timezone))  # fire now
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not [r for r in sched.store.runs() if r.status != "running"]:
            time.sleep(0.1)
    (run,) = sched.store.runs()
    assert (run.job, run.trigger, run.status) == ("load", "cron", "ok"), run.message
    assert run.message.startswith("1 file(s): 1 rows loaded")
    con = ws.connect(read_only=True)
    try:
        assert con.execute("SELECT sum(spend) FROM spend").fetchone() == (100.5,)
    finally:
        con.close()


def test_the_foreground_scheduler_runs_until_stopped(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    ws = make_ws(tmp_path / "ws", [job("monitor", cron="0 7 * * *")])
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-c", "from omnimix.cli import main; main()", "schedule",
                             "--workspace", str(ws.root)], stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        assert first.startswith("monitor") and "next 20" in first and "+08:00" in first
        assert proc.stderr.readline().strip() == "omnimix schedule running; Ctrl-C stops it"
        proc.send_signal(signal.SIGTERM)  # a service manager stopping it: a clean exit
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
