"""A load killed with SIGKILL mid-transaction leaves the warehouse unchanged; the retry loads once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from omnimix.ingest.loader import ingest_file
from omnimix.workspace import Workspace


def _counts(ws: Workspace) -> tuple[int, int, int]:
    con = ws.connect(read_only=True)
    try:
        return tuple(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[return-value]
                     for t in ("touchpoints", "quarantine", "loads"))
    finally:
        con.close()


def test_sigkill_mid_load_leaves_warehouse_unchanged(ws: Workspace, tmp_path: Path) -> None:
    first = tmp_path / "first.csv"
    first.write_text("event_id,ts,channel\n" + "".join(f"a{i},2024-01-01 10:00:00,email\n" for i in range(100)))
    ingest_file(ws, first, table="touchpoints")
    before = _counts(ws)
    assert before == (100, 0, 1)

    big = tmp_path / "big.csv"
    rows = [f"e{i},2024-01-02 10:{i % 60:02d}:00,search\n" for i in range(50_000)]
    rows[7] = "e7,not a time,search\n"
    big.write_text("event_id,ts,channel\n" + "".join(rows))
    env = {**os.environ, "OMNIMIX_TEST_HANG_BEFORE_COMMIT": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from omnimix.cli import main; main()", "ingest", str(big),
         "--workspace", str(ws.root), "--table", "touchpoints"],
        env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert "pausing before commit" in line, line
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    assert _counts(ws) == before  # nothing of the killed load is visible

    retry = ingest_file(ws, big, table="touchpoints")
    assert (retry.rows_in, retry.rows_loaded, retry.rows_quarantined) == (50_000, 49_999, 1)
    assert _counts(ws) == (100 + 49_999, 1, 2)
    again = ingest_file(ws, big, table="touchpoints")
    assert (again.rows_loaded, again.already_loaded) == (0, True)
    assert _counts(ws) == (100 + 49_999, 1, 2)
