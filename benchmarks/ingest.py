"""Ingest benchmark: 10M touchpoint rows from CSV vs DuckDB's bare read_csv into a table.

Usage: python benchmarks/ingest.py [--rows N] [--repeats R]

Both sides write into a fresh DuckDB file on disk in the same run; omnimix runs its full pipeline
(read as text, type and validate every column, quarantine, duplicate-key check, lineage, load record)
inside one transaction. Prints rows/s for both, the median times and their ratio (target <= 2.0), and the median of each
run's own ratio (both sides timed back to back, so less exposed to a noisy machine).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path


def make_csv(path: Path, rows: int) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute(f"""
        COPY (
          SELECT 'ev' || i AS event_id,
                 TIMESTAMP '2024-01-01' + to_seconds(CAST(i * 7 % 31536000 AS BIGINT)) AS ts,
                 ['search','social','douyin','wechat','email','display','kol','xiaohongshu'][1 + i % 8] AS channel,
                 'campaign_' || (i % 97) AS campaign,
                 ['click','session_start','page_view','open'][1 + i % 4] AS event_type,
                 'anon' || (i % 3000017) AS anonymous_id,
                 CASE WHEN i % 5 = 0 THEN 'u' || (i % 1000003) END AS user_id,
                 round((i % 1000) / 100.0, 2) AS cost
          FROM range({rows}) t(i)
        ) TO '{path}' (HEADER, DELIMITER ',')""")
    con.close()


def bare_duckdb(csv: Path, db: Path) -> float:
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect(str(db))
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{csv}')")
    con.close()
    return time.perf_counter() - t0


def omnimix_ingest(csv: Path, root: Path) -> tuple[float, int]:
    from omnimix.ingest.loader import ingest_file
    from omnimix.workspace import Workspace

    ws = Workspace.init(root)
    t0 = time.perf_counter()
    r = ingest_file(ws, csv, table="touchpoints")
    elapsed = time.perf_counter() - t0
    assert r.rows_in == r.rows_loaded + r.rows_quarantined + r.rows_skipped
    return elapsed, r.rows_loaded


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="omnimix-bench-ingest-"))
    try:
        csv = tmp / "touchpoints.csv"
        t0 = time.perf_counter()
        make_csv(csv, args.rows)
        print(f"generated {args.rows:,} rows ({csv.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")
        bare, ours = [], []
        for i in range(args.repeats):
            bare.append(bare_duckdb(csv, tmp / f"bare{i}.duckdb"))
            (tmp / f"bare{i}.duckdb").unlink()
            t, loaded = omnimix_ingest(csv, tmp / f"ws{i}")
            assert loaded == args.rows, loaded
            ours.append(t)
            shutil.rmtree(tmp / f"ws{i}")
            print(f"run {i + 1}: duckdb read_csv {bare[-1]:.2f} s, omnimix ingest {t:.2f} s")
        b, o = statistics.median(bare), statistics.median(ours)
        print(f"duckdb bare read_csv : median {b:.2f} s  ({args.rows / b:,.0f} rows/s)")
        print(f"omnimix ingest       : median {o:.2f} s  ({args.rows / o:,.0f} rows/s)")
        print(f"ratio omnimix/duckdb : {o / b:.2f}  (target <= 2.0)")
        # each run times both sides back to back, so a run's own ratio sees the same machine load
        paired = statistics.median(x / y for x, y in zip(ours, bare, strict=True))
        print(f"median of the runs' own ratios: {paired:.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
