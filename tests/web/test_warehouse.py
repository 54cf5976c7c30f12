"""The read-only warehouse pool: idle release of the file lock, busy answers, cache invalidation."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from omnimix.web.queries.common import Filters
from omnimix.web.queries.kpis import kpis
from omnimix.web.warehouse import MISSING, Warehouse

from .conftest import make_env


@contextmanager
def writer_process(db: Path) -> Iterator[None]:
    """Another process holding the warehouse's write lock (as `omnimix ingest` would)."""
    code = (
        "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
        "print('locked', flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        yield
    finally:
        proc.kill()
        proc.wait()


def try_write(db: Path, sql: str) -> bool:
    code = "import duckdb, sys; con = duckdb.connect(sys.argv[1]); con.execute(sys.argv[2]); con.close()"
    return subprocess.run([sys.executable, "-c", code, str(db), sql], capture_output=True).returncode == 0


def test_idle_handle_is_released_and_cache_follows_the_file(sample_ws: Path, tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(sample_ws / "warehouse.duckdb", db)
    wh = Warehouse(tmp_path, idle_close_s=0.3)
    try:
        f = Filters(date(2026, 2, 1), date(2026, 2, 28))
        before = kpis(wh, f)["spend"]
        assert wh.peek(("kpis", *f.key(), 30, None)) is not MISSING
        update = "UPDATE spend SET spend = spend * 2 WHERE date BETWEEN '2026-02-01' AND '2026-02-28'"
        with wh.cursor():  # a request in flight holds the shared lock: writers wait
            assert not try_write(db, update)
        time.sleep(1.2)  # idle: the reaper closes the handle
        assert wh.peek(("kpis", *f.key(), 30, None)) is MISSING
        assert try_write(db, update)  # a writer gets in now
        assert kpis(wh, f)["spend"] == pytest.approx(2 * before)  # new file stamp: cache dropped
    finally:
        wh.close()


def test_locked_warehouse_answers_503(sample_ws: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(sample_ws, ws, ignore=shutil.ignore_patterns("app.db"))
    gen = make_env(ws)
    env = next(gen)
    try:
        env.app.state.ctx.warehouse.close()  # type: ignore[attr-defined]
        with writer_process(ws / "warehouse.duckdb"):
            r = env.client.get("/api/v1/kpis", headers=env.headers("viewer"))
            assert r.status_code == 503 and r.headers["retry-after"] == "2"
            err = r.json()["error"]
            assert err["code"] == "warehouse_busy" and "retry in a moment" in err["message"]
        assert env.client.get("/api/v1/kpis", headers=env.headers("viewer")).status_code == 200
    finally:
        gen.close()
