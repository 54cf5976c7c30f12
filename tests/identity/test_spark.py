"""The Spark engine gives exactly what DuckDB gives: same customers, ids, paths and funnel.

One simulated world is resolved twice: with DuckDB (scipy clustering) and with ``engine = "spark"`` in
``omnimix.toml`` (pure-SQL connected components, each stage opening its own engine, so results go
through the write-back into the warehouse and the lazy reload). One SparkSession serves the module.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from omnimix.identity.cluster import cluster
from omnimix.identity.resolver import ResolveResult, resolve
from omnimix.ingest.loader import ingest_file
from omnimix.journeys.build import JourneyResult, build_journeys
from omnimix.journeys.funnel import funnel_report
from omnimix.simulate.world import simulate_world
from omnimix.workspace import Workspace

pytestmark = pytest.mark.spark

pytest.importorskip("pyspark")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs Java 17+ (no java on PATH, no JAVA_HOME)", allow_module_level=True)

from omnimix.engine.spark import SparkEngine, spark_session, stop_session, to_spark_sql  # noqa: E402


@pytest.fixture(scope="module")
def spark() -> Any:
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = spark_session()
    yield session
    stop_session()


@pytest.fixture(scope="module")
def runs(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same world resolved on DuckDB and on Spark; results and wall times."""
    root = tmp_path_factory.mktemp("spark_world")
    simulate_world(root / "world", customers=400, weeks=30, seed=5)
    base = Workspace.init(root / "base")
    for p in sorted((root / "world").iterdir()):
        if p.is_file():
            ingest_file(base, p)
    out: dict[str, Any] = {}
    for name in ("duckdb", "spark"):
        shutil.copytree(base.root, root / name)
        toml = root / name / "omnimix.toml"
        toml.write_text(toml.read_text().replace("engine = 'duckdb'", f"engine = '{name}'"))
        ws = Workspace.open(root / name)
        assert ws.config.workspace.engine == name
        t0 = time.perf_counter()
        # DuckDB clusters with scipy, Spark with the pure-SQL iteration: both must give the same ids
        r = resolve(ws, probabilistic=True, fast=name == "duckdb")
        j = build_journeys(ws)
        f = funnel_report(ws)
        out[name] = {"ws": ws, "resolve": r, "journeys": j, "funnel": f,
                     "seconds": round(time.perf_counter() - t0, 1)}
    return out


def _rows(ws: Workspace, sql: str) -> list[tuple[Any, ...]]:
    con = ws.connect(read_only=True)
    try:
        return [tuple(_round(v) for v in r) for r in con.execute(sql).fetchall()]
    finally:
        con.close()


def _round(v: Any) -> Any:
    # sums of doubles depend on the order the engine adds them in (last-bit differences only)
    return round(v, 6) if isinstance(v, float) else v


def _counts(r: ResolveResult) -> dict[str, Any]:
    return {k: v for k, v in r.to_json().items() if k not in ("engine", "method", "seconds")}


def test_resolve_counts_identical(runs: dict[str, Any]) -> None:
    d, s = runs["duckdb"]["resolve"], runs["spark"]["resolve"]
    assert (d.engine, d.method, s.engine, s.method) == ("duckdb", "scipy", "spark", "sql")
    assert _counts(s) == _counts(d)
    assert d.customers > 300 and d.probabilistic_edges > 0 and d.edges_cut > 0


@pytest.mark.parametrize("sql", [
    "SELECT id_type, id_value, customer_id, first_seen, last_seen FROM identifiers ORDER BY ALL",
    "SELECT * FROM row_customers ORDER BY ALL",
    "SELECT * FROM identity_edges ORDER BY ALL",
    "SELECT * FROM customers ORDER BY customer_id",
    "SELECT * FROM identity_merges ORDER BY ALL",
])
def test_identity_tables_identical(runs: dict[str, Any], sql: str) -> None:
    d, s = _rows(runs["duckdb"]["ws"], sql), _rows(runs["spark"]["ws"], sql)
    assert len(d) == len(s)
    assert s == d


def test_customer_table_keeps_canonical_types(runs: dict[str, Any]) -> None:
    sql = "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'customers' ORDER BY ALL"
    assert _rows(runs["spark"]["ws"], sql) == _rows(runs["duckdb"]["ws"], sql)


@pytest.mark.parametrize("sql", [
    "SELECT * FROM journeys ORDER BY journey_id",
    "SELECT * FROM journey_touches ORDER BY ALL",
    "SELECT * FROM paths ORDER BY path",
])
def test_journey_tables_identical(runs: dict[str, Any], sql: str) -> None:
    d, s = _rows(runs["duckdb"]["ws"], sql), _rows(runs["spark"]["ws"], sql)
    assert len(d) > 100
    assert s == d


def test_journeys_and_funnel_identical(runs: dict[str, Any]) -> None:
    d, s = runs["duckdb"], runs["spark"]
    assert isinstance(s["journeys"], JourneyResult)
    assert s["journeys"] == d["journeys"]
    assert d["journeys"].distinct_paths > 50
    assert s["funnel"] == d["funnel"]
    assert d["funnel"]["stages"][0]["customers"] > 300


def test_scipy_path_on_spark_matches_sql_path(runs: dict[str, Any]) -> None:
    ws = runs["spark"]["ws"]
    sql_labels = _rows(ws, "SELECT * FROM identity_labels ORDER BY ALL")
    eng = SparkEngine.for_workspace(ws)
    try:
        assert cluster(eng, fast=True) == "scipy"  # arrow out, numpy, register_arrow back
        spark_labels = sorted(eng.fetchall("SELECT node, label FROM identity_labels"))
    finally:
        eng.close()
    assert spark_labels == sql_labels
    assert sql_labels == _rows(runs["duckdb"]["ws"], "SELECT * FROM identity_labels ORDER BY ALL")


# the constructs whose meaning differs between the engines, evaluated on both
SEMANTICS = [
    "SELECT date_diff('second', a, b) FROM t ORDER BY k",  # boundaries crossed, not whole seconds
    "SELECT date_diff('day', a, b) FROM t ORDER BY k",
    "SELECT date_diff('second', a, b) / 86400.0 FROM t ORDER BY k",  # decimal literal: float division
    "SELECT least(x, NULL), greatest(x, NULL), least(a, b) FROM t ORDER BY k",
    "SELECT 'C' || lpad(CAST(k AS VARCHAR), 9, '0'), name || NULL FROM t ORDER BY k",
    "SELECT name, regexp_matches(name, '^[0\\-. ]+$') FROM t ORDER BY k",
    "SELECT arg_min(name, struct_pack(ts := a, ch := name)) FROM t",
    "SELECT list_sort(list_distinct(list(name))) FROM t",
    "SELECT a - k * INTERVAL 1 DAY FROM t ORDER BY k",
    "SELECT coalesce(NULL, CAST([] AS VARCHAR[]))",
    "SELECT bool_or(x > 2), count(DISTINCT name) FROM t",
]


@pytest.mark.parametrize("sql", SEMANTICS)
def test_portable_sql_semantics(spark: Any, sql: str) -> None:
    import datetime as dt

    import duckdb

    ts = [dt.datetime(2024, 1, 1, 0, 0, 0, 900_000), dt.datetime(2024, 1, 1, 23, 59, 59),
          dt.datetime(2024, 3, 1, 12, 0, 0)]
    tbl = pa.table({"k": pa.array([1, 2, 3], pa.int64()),
                    "a": pa.array(ts, pa.timestamp("us")),
                    "b": pa.array([dt.datetime(2024, 1, 1, 0, 0, 2, 100_000), dt.datetime(2024, 1, 2, 0, 0, 1),
                                   dt.datetime(2024, 3, 1, 12, 0, 0)], pa.timestamp("us")),
                    "x": pa.array([1.5, None, 3.0]),
                    "name": pa.array(["0-0", "b", "a"])})
    con = duckdb.connect()
    con.register("t", tbl)
    want = [tuple(r) for r in con.execute(sql).fetchall()]
    eng = SparkEngine(spark)
    try:
        eng.register_arrow("t", tbl)
        got = eng.fetchall(sql)
    finally:
        eng.close()
    assert got == want, to_spark_sql(sql)


def test_now_is_workspace_local_time(spark: Any, ws: Workspace) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    eng = SparkEngine.for_workspace(ws)
    try:
        (got,) = eng.fetchall("SELECT CAST(now() AS TIMESTAMP)")[0]
    finally:
        eng.close()
    local = dt.datetime.now(ZoneInfo(ws.config.workspace.timezone)).replace(tzinfo=None)
    assert abs((got - local).total_seconds()) < 120


def test_engine_round_trip_through_the_warehouse(spark: Any, ws: Workspace) -> None:
    eng = SparkEngine.for_workspace(ws)
    try:
        assert eng.table_exists("touchpoints") and not eng.table_exists("scratch")
        eng.register_arrow("scratch", pa.table({"k": pa.array([1, 2], pa.int64()), "v": ["a", "b"]}))
        eng.execute("INSERT INTO scratch SELECT 3, 'c'")
        eng.execute("INSERT INTO identity_merges SELECT 'C000000002', 'C000000001', CAST(now() AS TIMESTAMP)")
        eng.materialize("scratch2", "SELECT k * 2 AS k2 FROM scratch WHERE k > 1")
        eng.materialize("scratch2", "SELECT k2 + 1 AS k2 FROM scratch2")  # replaces itself
        eng.materialize("gone", "SELECT 1 AS one")
        eng.drop("gone")
        assert not eng.table_exists("gone")
        assert sorted(eng.fetchall("SELECT * FROM scratch")) == [(1, "a"), (2, "b"), (3, "c")]
        assert eng.arrow("SELECT k2 FROM scratch2 ORDER BY k2").column("k2").to_pylist() == [5, 7]
    finally:
        eng.close()
    assert _rows(ws, "SELECT * FROM scratch ORDER BY k") == [(1, "a"), (2, "b"), (3, "c")]
    assert _rows(ws, "SELECT k2 FROM scratch2 ORDER BY k2") == [(5,), (7,)]
    assert _rows(ws, "SELECT merged_id, into_id FROM identity_merges") == [("C000000002", "C000000001")]
    types = dict(_rows(ws, "SELECT column_name, data_type FROM information_schema.columns "
                           "WHERE table_name = 'identity_merges'"))
    assert types == {"merged_id": "VARCHAR", "into_id": "VARCHAR", "merged_at": "TIMESTAMP"}
    eng = SparkEngine.for_workspace(ws)
    try:
        eng.drop("scratch")
        assert not eng.table_exists("scratch") and eng.table_exists("scratch2")
    finally:
        eng.close()
    assert _rows(ws, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'scratch'") == [(0,)]


@pytest.mark.slow
def test_rerun_with_a_bridge_merges_alike(runs: dict[str, Any], tmp_path: Path) -> None:
    """Re-resolving keeps every id; a new touch joining two customers merges them alike on both engines."""
    wss = {}
    for name in ("duckdb", "spark"):
        shutil.copytree(runs[name]["ws"].root, tmp_path / name)
        wss[name] = Workspace.open(tmp_path / name)
    # customer A: one user id; customer B: no user id but a WeChat unionid. One touch shows both.
    (a_id, user), = _rows(wss["duckdb"], """
        SELECT customer_id, min(id_value) FILTER (WHERE id_type = 'user_id') FROM identifiers
        GROUP BY customer_id HAVING count(*) FILTER (WHERE id_type = 'user_id') = 1
        ORDER BY customer_id LIMIT 1""")
    (b_id, unionid), = _rows(wss["duckdb"], """
        SELECT customer_id, min(id_value) FILTER (WHERE id_type = 'unionid') FROM identifiers
        WHERE id_value NOT IN (SELECT a_value FROM identity_edges WHERE cut_reason IS NOT NULL
                               UNION ALL SELECT b_value FROM identity_edges WHERE cut_reason IS NOT NULL)
        GROUP BY customer_id HAVING count(*) FILTER (WHERE id_type = 'user_id') = 0
           AND count(*) FILTER (WHERE id_type = 'unionid') = 1 ORDER BY customer_id DESC LIMIT 1""")
    bridge = tmp_path / "bridge.csv"
    bridge.write_text("event_id,ts,channel,user_id,unionid\n"
                      f"bridge1,2024-05-01 12:00:00,search,{user},{unionid}\n")
    results = {}
    for name, ws in wss.items():
        assert ingest_file(ws, bridge, table="touchpoints").rows_loaded == 1
        results[name] = resolve(ws, probabilistic=True, fast=True)
        build_journeys(ws)
    d, s = results["duckdb"], results["spark"]
    assert (s.engine, s.method) == ("spark", "scipy")
    assert _counts(s) == _counts(d)
    assert (d.merged_customers, d.new_customers, d.kept_customers) == (1, 0, runs["duckdb"]["resolve"].customers - 1)
    merges = "SELECT merged_id, into_id FROM identity_merges ORDER BY ALL"
    assert _rows(wss["spark"], merges) == _rows(wss["duckdb"], merges) == [(max(a_id, b_id), min(a_id, b_id))]
    for sql in ("SELECT id_type, id_value, customer_id FROM identifiers ORDER BY ALL",
                "SELECT * FROM customers ORDER BY customer_id", "SELECT * FROM journeys ORDER BY journey_id"):
        assert _rows(wss["spark"], sql) == _rows(wss["duckdb"], sql)


def test_spark_errors_are_engine_errors(spark: Any) -> None:
    from omnimix.errors import EngineError

    eng = SparkEngine(spark)
    try:
        with pytest.raises(EngineError, match="no_such_table"):
            eng.fetchall("SELECT * FROM no_such_table")
    finally:
        eng.close()

