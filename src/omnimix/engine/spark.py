"""The :class:`~omnimix.engine.base.Engine` on Apache Spark (``[workspace] engine = "spark"``).

Stage SQL is written in DuckDB's dialect; this engine parses it with sqlglot, fixes the few places
where the two engines disagree on semantics (see :func:`to_spark_sql`) and runs it with
``spark.sql``. The DuckDB warehouse stays the system of record:

* a table a statement reads that Spark does not hold yet is exported from the warehouse to Parquet
  and read into Spark (lazily, once per engine);
* :meth:`SparkEngine.materialize` writes its result to Parquet and re-reads it, so every stage table
  is a real materialised table without lineage (the iterative connected components stay flat);
* :meth:`SparkEngine.close` writes every table the stages created or changed back into the warehouse
  (replacing it, in one transaction) and drops there the tables the stages dropped, so later stages,
  other engines and the CLI read the results as usual.

One local SparkSession is shared by every engine of the process (``local[2]`` by default; set
``OMNIMIX_SPARK_MASTER`` to use another master); :func:`stop_session` ends it.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import sys
import tempfile
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omnimix.errors import EngineError
from omnimix.workspace import clear_stale, quote_ident, quote_literal

if TYPE_CHECKING:
    import pyarrow as pa
    from sqlglot import exp as sqlexp

    from omnimix.workspace import Workspace

log = logging.getLogger("omnimix")

_LOCK = threading.Lock()
_SESSION: Any = None
_SESSION_DIR: Path | None = None

# DuckDB date_diff counts unit boundaries crossed; Spark's timestampdiff counts whole units elapsed.
# small local jobs are dominated by JIT warm-up: the C1 compiler alone starts much faster
_JAVA_OPTS = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1"
# Spark's own logging: errors only, to stderr (its default profile chats at WARN on every start)
_LOG4J = """rootLogger.level = error
rootLogger.appenderRef.stderr.ref = stderr
appender.console.type = Console
appender.console.name = stderr
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n
"""
#: the message when ``engine = 'spark'`` is asked for and pyspark is not installed
SPARK_MISSING = ("[workspace] engine = 'spark' needs pyspark, which is not installed ({exc}). Install the "
                 "Spark extra with `pip install 'omnimix[spark]'` (Spark also needs Java 17 or newer on PATH "
                 "or JAVA_HOME), or set engine = 'duckdb' in omnimix.toml.")
_BOUNDARY_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def spark_session() -> Any:
    """The process-wide local SparkSession (started on first use).

    Local mode, few shuffle partitions, no UI, UTC session time zone, ``TIMESTAMP`` meaning
    ``TIMESTAMP_NTZ`` (DuckDB's ``TIMESTAMP`` has no time zone either), warehouse and checkpoint
    directories under a fresh temporary directory so concurrent or repeated runs never collide.
    """
    global _SESSION, _SESSION_DIR
    with _LOCK:
        if _SESSION is not None and not _is_stopped(_SESSION):
            return _SESSION
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:
            raise EngineError(SPARK_MISSING.format(exc=exc)) from None
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        _SESSION_DIR = Path(tempfile.mkdtemp(prefix="omnimix-spark-"))
        log4j = _SESSION_DIR / "log4j2.properties"
        log4j.write_text(_LOG4J, encoding="utf-8")
        builder = (
            SparkSession.builder.appName("omnimix")
            .master(os.environ.get("OMNIMIX_SPARK_MASTER", "local[2]"))
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.log.level", "ERROR")
            .config("spark.sql.shuffle.partitions", os.environ.get("OMNIMIX_SPARK_PARTITIONS", "4"))
            .config("spark.default.parallelism", "2")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.codegen.wholeStage", os.environ.get("OMNIMIX_SPARK_CODEGEN", "false"))
            .config("spark.sql.timestampType", "TIMESTAMP_NTZ")
            .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
            .config("spark.sql.parquet.inferTimestampNTZ.enabled", "true")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.sql.warehouse.dir", str(_SESSION_DIR / "warehouse"))
            .config("spark.local.dir", str(_SESSION_DIR / "local"))
            .config("spark.checkpoint.dir", str(_SESSION_DIR / "checkpoints"))
            .config("spark.driver.extraJavaOptions",
                    f"-Djava.io.tmpdir={_SESSION_DIR} -Dlog4j2.configurationFile=file:{log4j} "
                    + os.environ.get("OMNIMIX_SPARK_JAVA_OPTS", _JAVA_OPTS))
        )
        try:
            with warnings.catch_warnings():  # pyspark 4 frowns on pandas 3; omnimix passes Arrow, not pandas
                warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
                _SESSION = builder.getOrCreate()
        except Exception as exc:  # Java missing, port clash …
            raise EngineError(f"cannot start Spark ({exc}). Spark needs Java 17 or newer on PATH or "
                              "JAVA_HOME; or set [workspace] engine = \"duckdb\"") from None
        _SESSION.sparkContext.setLogLevel("ERROR")
        _SESSION.sparkContext.setCheckpointDir(str(_SESSION_DIR / "checkpoints"))
        return _SESSION


@atexit.register
def _cleanup() -> None:
    try:
        stop_session()
    except Exception:  # the JVM may already be gone at interpreter exit
        if _SESSION_DIR is not None:
            shutil.rmtree(_SESSION_DIR, ignore_errors=True)


def _is_stopped(spark: Any) -> bool:
    try:
        return bool(spark.sparkContext._jsc is None or spark.sparkContext._jsc.sc().isStopped())
    except Exception:
        return True


def stop_session() -> None:
    """Stop the shared SparkSession (if any) and delete its temporary directory."""
    global _SESSION, _SESSION_DIR
    with _LOCK:
        if _SESSION is not None:
            _SESSION.stop()
            _SESSION = None
        if _SESSION_DIR is not None:
            shutil.rmtree(_SESSION_DIR, ignore_errors=True)
            _SESSION_DIR = None


def _cte_names(tree: sqlexp.Expr) -> set[str]:
    from sqlglot import exp

    return {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}


def table_refs(tree: sqlexp.Expr) -> set[str]:
    """Names of the tables a statement reads or writes (CTE names left out), lower case."""
    from sqlglot import exp

    ctes = _cte_names(tree)
    names = set()
    for t in tree.find_all(exp.Table):
        if t.name and not t.args.get("db") and t.name.lower() not in ctes:
            names.add(t.name.lower())
    return names


_NOW = {"now", "get_current_timestamp", "transaction_timestamp"}


def _portable(tree: sqlexp.Expr, tz: str = "UTC") -> sqlexp.Expr:
    """Rewrite the DuckDB constructs whose meaning sqlglot does not carry over to Spark.

    * ``a / b`` is floating division in DuckDB, decimal division for decimals in Spark → cast to DOUBLE;
    * ``date_diff(unit, a, b)`` counts unit boundaries in DuckDB, whole units elapsed in Spark;
    * ``now()`` is the workspace's local time in DuckDB; Spark's session time zone stays UTC so that
      arithmetic on zone-less timestamps never meets daylight saving → shift ``now()`` to ``tz``.
    """
    import sqlglot
    from sqlglot import exp

    def fix(node: exp.Expr) -> exp.Expr:
        # DuckDB `/` is always floating division; Spark divides decimals as decimals (x / 86400.0)
        if isinstance(node, exp.Div) and not node.args.get("typed"):
            node.set("this", exp.cast(node.this, exp.DataType.build("DOUBLE")))
            node.set("expression", exp.cast(node.expression, exp.DataType.build("DOUBLE")))
            return node
        # DuckDB date_diff(unit, a, b) counts boundaries crossed: floor(b/unit) - floor(a/unit)
        if isinstance(node, exp.DateDiff):
            unit_node = node.args.get("unit")
            unit = (unit_node.name if unit_node is not None else "day").lower()
            if unit in _BOUNDARY_SECONDS:
                u = _BOUNDARY_SECONDS[unit]

                def ticks(e: exp.Expr) -> str:
                    secs = f"unix_seconds(CAST({e.sql(dialect='spark')} AS TIMESTAMP_LTZ))"
                    return secs if u == 1 else f"floor({secs} / {u})"
                # sqlglot: DateDiff(this=end, expression=start)
                return sqlglot.parse_one(f"({ticks(node.this)} - {ticks(node.expression)})", read="spark")
        if isinstance(node, exp.CurrentTimestamp) or (
                isinstance(node, exp.Anonymous) and str(node.this).lower() in _NOW and not node.expressions):
            return sqlglot.parse_one(f"from_utc_timestamp(current_timestamp(), '{tz}')", read="spark")
        return node

    return tree.transform(fix)


def to_spark_sql(sql: str, tz: str = "UTC") -> str:
    """DuckDB-dialect SQL → Spark SQL (sqlglot, plus :func:`_portable`'s semantic fixes).

    Args:
        sql: one statement in DuckDB's dialect.
        tz: the IANA time zone DuckDB's ``now()`` is local to (the workspace's).
    """
    import sqlglot

    tree = sqlglot.parse_one(sql, read="duckdb")
    return _portable(tree, tz).sql(dialect="spark")


class SparkEngine:
    """An :class:`~omnimix.engine.base.Engine` on a local SparkSession over a workspace's warehouse.

    Attributes:
        name: ``"spark"``.
        spark: the SparkSession.
    """

    name = "spark"

    def __init__(self, spark: Any, ws: Workspace | None = None) -> None:
        self.spark = spark
        self.ws = ws
        self._dir = Path(tempfile.mkdtemp(prefix="omnimix-spark-engine-", dir=_SESSION_DIR))
        self._tables: dict[str, Any] = {}  # name → DataFrame over its Parquet copy
        self._paths: dict[str, Path] = {}
        self._seq = 0
        self._dirty: set[str] = set()  # created or changed here: written back on close
        self._dropped: set[str] = set()  # dropped here: dropped in the warehouse on close
        self._wh_tables: set[str] | None = None
        self._closed = False
        self._tz = ws.config.workspace.timezone if ws is not None else "UTC"
        self._partitions = int(spark.conf.get("spark.sql.shuffle.partitions"))

    @classmethod
    def for_workspace(cls, ws: Workspace) -> SparkEngine:
        """An engine over ``ws``'s warehouse on the shared local SparkSession."""
        return cls(spark_session(), ws)

    # ---- warehouse side -------------------------------------------------------------------------

    def _warehouse_tables(self) -> set[str]:
        if self._wh_tables is None:
            if self.ws is None:
                self._wh_tables = set()
            else:
                con = self.ws.connect()
                try:
                    self._wh_tables = {r[0].lower() for r in con.execute(
                        "SELECT table_name FROM information_schema.tables").fetchall()}
                finally:
                    con.close()
        return self._wh_tables

    def _load(self, names: set[str]) -> None:
        """Copy warehouse tables that Spark does not hold yet (and were not dropped here) into Spark."""
        todo = sorted(n for n in names if n not in self._tables and n not in self._dropped
                      and n in self._warehouse_tables())
        if not todo or self.ws is None:
            return
        con = self.ws.connect()
        try:
            for name in todo:
                path = self._new_path(name)
                path.mkdir(parents=True)
                part = path / "part-0.parquet"
                con.execute(f"COPY (SELECT * FROM {quote_ident(name)}) TO {quote_literal(str(part))} (FORMAT parquet)")
                self._register(name, self.spark.read.parquet(str(path)), path)
                log.debug("spark: loaded %s from the warehouse", name)
        finally:
            con.close()

    def _new_path(self, name: str) -> Path:
        self._seq += 1
        return self._dir / f"{name}.{self._seq}"

    def _register(self, name: str, df: Any, path: Path) -> None:
        old = self._paths.get(name)
        df.createOrReplaceTempView(name)
        self._tables[name] = df
        self._paths[name] = path
        self._dropped.discard(name)
        if old is not None and old != path:
            shutil.rmtree(old, ignore_errors=True)

    def _store(self, name: str, df: Any) -> None:
        """Write ``df`` to Parquet, re-read it and serve it as ``name`` (no lineage kept)."""
        path = self._new_path(name)
        try:
            # coalesce only merges partitions (a wide UNION ALL has one per branch): fewer tasks and files
            df.coalesce(self._partitions).write.mode("overwrite").parquet(str(path))
        except Exception as exc:
            raise EngineError(f"Spark could not materialise {name}: {_short(exc)}") from None
        self._register(name, self.spark.read.schema(df.schema).parquet(str(path)), path)
        self._dirty.add(name)

    # ---- Engine protocol ------------------------------------------------------------------------

    def _df(self, sql: str) -> Any:
        import sqlglot

        try:
            tree = sqlglot.parse_one(sql, read="duckdb")
        except sqlglot.errors.ParseError as exc:
            raise EngineError(f"cannot parse SQL for Spark: {exc}", sql) from None
        self._load(table_refs(tree))
        spark_sql = _portable(tree, self._tz).sql(dialect="spark")
        try:
            return self.spark.sql(spark_sql)
        except Exception as exc:
            raise EngineError(f"Spark rejected the statement: {_short(exc)}", spark_sql) from None

    def execute(self, sql: str) -> None:
        """Run a statement.

        ``INSERT INTO t [(cols)] SELECT …`` appends (positionally, cast to t's column types) and
        ``CREATE [OR REPLACE] TABLE t AS …`` materialises; anything else goes to ``spark.sql``.
        """
        import sqlglot
        from sqlglot import exp

        try:
            tree = sqlglot.parse_one(sql, read="duckdb")
        except sqlglot.errors.ParseError as exc:
            raise EngineError(f"cannot parse SQL for Spark: {exc}", sql) from None
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        if isinstance(tree, exp.Insert) and isinstance(tree.expression, exp.Query):
            self._insert(tree, target.name.lower(), sql)
        elif isinstance(tree, exp.Create) and tree.args.get("expression") is not None \
                and str(tree.args.get("kind") or "").upper() == "TABLE":
            self.materialize(target.name, tree.expression.sql(dialect="duckdb"))
        elif isinstance(tree, exp.Drop) and str(tree.args.get("kind") or "").upper() in ("TABLE", "VIEW"):
            self.drop(target.name)
        else:
            try:
                self._df(sql).collect()
            except EngineError:
                raise
            except Exception as exc:
                raise EngineError(f"Spark failed: {_short(exc)}", sql) from None

    def _insert(self, tree: sqlexp.Insert, name: str, sql: str) -> None:
        from pyspark.sql import functions as F
        from sqlglot import exp

        self._load(table_refs(tree))
        if name not in self._tables:
            raise EngineError(f"INSERT INTO {name}: no such table in the Spark engine", sql)
        old = self._tables[name]
        new = self._df(tree.expression.sql(dialect="duckdb"))
        if isinstance(tree.this, exp.Schema):  # INSERT INTO t (a, b) SELECT …: the rest are NULL
            cols = [c.name for c in tree.this.expressions]
            new = new.toDF(*cols)
            new = new.select(*[F.col(f"`{c}`") if c in cols else F.lit(None) for c in old.columns])
        if len(new.columns) != len(old.columns):
            raise EngineError(f"INSERT INTO {name}: the query gives {len(new.columns)} columns, "
                              f"the table has {len(old.columns)}", sql)
        new = new.toDF(*old.columns)
        new = new.select(*[F.col(f"`{f.name}`").cast(f.dataType).alias(f.name) for f in old.schema.fields])
        self._store(name, old.unionByName(new))

    def fetchall(self, sql: str) -> list[tuple[Any, ...]]:
        try:
            return [tuple(r) for r in self._df(sql).collect()]
        except EngineError:
            raise
        except Exception as exc:
            raise EngineError(f"Spark failed: {_short(exc)}", sql) from None

    def arrow(self, sql: str) -> pa.Table:
        try:
            df = self._df(sql)
            if hasattr(df, "toArrow"):  # pyspark 4
                return df.toArrow()
            import pyarrow as pa

            return pa.Table.from_pandas(df.toPandas(), preserve_index=False)
        except EngineError:
            raise
        except Exception as exc:
            raise EngineError(f"Spark failed: {_short(exc)}", sql) from None

    def register_arrow(self, name: str, table: pa.Table) -> None:
        try:
            df = self.spark.createDataFrame(table)  # pyspark 4 takes Arrow tables
        except TypeError:
            df = self.spark.createDataFrame(table.to_pandas())
        self._store(name.lower(), df)

    def materialize(self, name: str, sql: str) -> None:
        self._store(name.lower(), self._df(sql))

    def drop(self, name: str) -> None:
        name = name.lower()
        if name in self._tables:
            self.spark.catalog.dropTempView(name)
            del self._tables[name]
            shutil.rmtree(self._paths.pop(name), ignore_errors=True)
        self._dirty.discard(name)
        if name in self._warehouse_tables():
            self._dropped.add(name)

    def table_exists(self, name: str) -> bool:
        name = name.lower()
        if name in self._tables:
            return True
        return name not in self._dropped and name in self._warehouse_tables()

    def close(self) -> None:
        """Write the tables the stages created or changed back into the warehouse, then clean up."""
        if self._closed:
            return
        self._closed = True
        try:
            if self.ws is not None and (self._dirty or self._dropped):
                self._write_back()
        finally:
            for name in list(self._tables):
                self.spark.catalog.dropTempView(name)
            self._tables.clear()
            shutil.rmtree(self._dir, ignore_errors=True)

    def _write_back(self) -> None:
        import duckdb

        from omnimix.schema import TABLES

        assert self.ws is not None
        con = self.ws.connect()
        try:
            con.execute("BEGIN TRANSACTION")
            for name in sorted(self._dropped):
                con.execute(f"DROP TABLE IF EXISTS {quote_ident(name)}")
            for name in sorted(self._dirty):
                path = self._paths[name]
                files = sorted(str(p) for p in path.glob("*.parquet"))
                if files:
                    src = "read_parquet([" + ", ".join(quote_literal(f) for f in files) + "])"
                else:  # an empty result: Spark may write no file at all
                    con.register("_spark_empty", self._tables[name].toArrow())
                    src = "_spark_empty"
                canon = TABLES.get(name)
                cols = (", ".join(f"CAST({quote_ident(c.name)} AS {c.type}) AS {quote_ident(c.name)}"
                                  for c in canon.columns)
                        if canon is not None else "*")
                con.execute(f"CREATE OR REPLACE TABLE {quote_ident(name)} AS SELECT {cols} FROM {src}")
                if not files:
                    con.unregister("_spark_empty")
                clear_stale(con, name)  # rebuilt: no longer stale after a load was removed
            con.execute("COMMIT")
            log.info("spark: wrote back %d tables to %s", len(self._dirty), self.ws.warehouse_path)
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise EngineError(f"writing Spark results back to the warehouse failed: {exc}") from None
        finally:
            con.close()


def _short(exc: BaseException) -> str:
    """The first lines of a (possibly huge, Java-laden) Spark error."""
    text = str(exc).strip().splitlines()
    return " ".join(text[:3])[:800] if text else type(exc).__name__
