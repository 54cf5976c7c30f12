"""The engine interface and its DuckDB implementation."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

from omnimix.errors import EngineError
from omnimix.workspace import clear_stale, quote_ident

if TYPE_CHECKING:
    import pyarrow as pa

    from omnimix.workspace import Workspace

log = logging.getLogger("omnimix")


class Engine(Protocol):
    """What a relational stage needs from an engine. SQL is written in DuckDB's dialect."""

    name: str

    def execute(self, sql: str) -> None:
        """Run a statement (DDL or DML)."""

    def fetchall(self, sql: str) -> list[tuple[Any, ...]]:
        """Run a query and return its rows."""

    def arrow(self, sql: str) -> pa.Table:
        """Run a query and return an Arrow table."""

    def register_arrow(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table queryable as ``name`` (a table, replaced if present)."""

    def materialize(self, name: str, sql: str) -> None:
        """``CREATE OR REPLACE TABLE name AS sql`` (a real table, not a view)."""

    def drop(self, name: str) -> None:
        """Drop a table if it exists."""

    def table_exists(self, name: str) -> bool:
        """Whether a table exists."""

    def close(self) -> None:
        """Release the engine's connection."""


class DuckDBEngine:
    """An :class:`Engine` on a DuckDB connection."""

    name = "duckdb"

    def __init__(self, con: Any) -> None:
        self.con = con

    def _run(self, sql: str) -> Any:
        import duckdb

        try:
            return self.con.execute(sql)
        except duckdb.Error as exc:
            raise EngineError(str(exc), sql) from None

    def execute(self, sql: str) -> None:
        self._run(sql)

    def fetchall(self, sql: str) -> list[tuple[Any, ...]]:
        return list(self._run(sql).fetchall())

    def arrow(self, sql: str) -> pa.Table:
        import duckdb

        try:
            rel = self.con.sql(sql)
            return rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()
        except duckdb.Error as exc:
            raise EngineError(str(exc), sql) from None

    def register_arrow(self, name: str, table: pa.Table) -> None:
        view = f"_arrow_{name}"
        self.con.register(view, table)
        try:
            self._run(f"CREATE OR REPLACE TABLE {quote_ident(name)} AS SELECT * FROM {quote_ident(view)}")
        finally:
            self.con.unregister(view)
        if not name.startswith("_"):
            clear_stale(self.con, name)  # rebuilt: no longer stale after a load was removed

    def materialize(self, name: str, sql: str) -> None:
        self._run(f"CREATE OR REPLACE TABLE {quote_ident(name)} AS {sql}")
        if not name.startswith("_"):
            clear_stale(self.con, name)  # rebuilt: no longer stale after a load was removed

    def drop(self, name: str) -> None:
        self._run(f"DROP TABLE IF EXISTS {quote_ident(name)}")

    def table_exists(self, name: str) -> bool:
        import duckdb

        try:
            rows = self.con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                                    [name]).fetchall()
        except duckdb.Error as exc:
            raise EngineError(str(exc)) from None
        return bool(rows[0][0])

    def close(self) -> None:
        self.con.close()


@contextmanager
def engine_scope(ws: Workspace, engine: Engine | None) -> Iterator[Engine]:
    """Use ``engine`` if given, else open the workspace's engine and close it afterwards."""
    if engine is not None:
        yield engine
        return
    eng = open_engine(ws)
    try:
        yield eng
    finally:
        eng.close()


def open_engine(ws: Workspace, con: Any | None = None) -> Engine:
    """The engine the workspace asks for (``[workspace] engine``), over its warehouse."""
    if ws.config.workspace.engine == "spark":
        from omnimix.engine.spark import SparkEngine

        spark: Engine = SparkEngine.for_workspace(ws)
        return spark
    return DuckDBEngine(con if con is not None else ws.connect())
