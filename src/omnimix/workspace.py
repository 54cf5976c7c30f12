"""The one door to the warehouse: a workspace directory with ``omnimix.toml`` and its warehouse file.

:class:`Workspace` is the only thing in omnimix that opens the warehouse. Stages, the CLI and the web
take a ``Workspace`` (or a directory, turned into one by :meth:`Workspace.of`) and use four verbs:

* :meth:`Workspace.connect` — a DuckDB connection (read-only or writable; a writable one creates any
  missing canonical table) for the relational stages that run SQL through :mod:`omnimix.engine`;
* :meth:`Workspace.read` — one table (or some of its columns and rows) as a DataFrame;
* :meth:`Workspace.write` — replace a table, or the rows matching a condition, with a DataFrame, in one
  transaction; result tables are created from their definition in :mod:`omnimix.schema`;
* :meth:`Workspace.tables` — the tables present.

Identifiers are always quoted and values always bound as parameters; nothing read from a file is
pasted into SQL. The file name comes from ``[workspace] warehouse`` in omnimix.toml (default
``warehouse.duckdb``). See docs/architecture.md for how a lakehouse backend sits behind the same verbs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omnimix.config import CONFIG_FILE, Config, load_config, render_config
from omnimix.errors import ConfigError, EngineError, InputDataError, UsageError, WarehouseBusy
from omnimix.schema import ALL_TABLES, create_all

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_WAREHOUSE = "warehouse.duckdb"
STALE_TABLE = "stale_tables"
#: seconds to wait for a warehouse another process holds (the dashboard, a second ingest); the
#: environment variable ``OMNIMIX_BUSY_TIMEOUT`` overrides it
BUSY_TIMEOUT = 30.0


def busy_timeout() -> float:
    """The wait for a busy warehouse: ``OMNIMIX_BUSY_TIMEOUT`` seconds, else :data:`BUSY_TIMEOUT`."""
    import os

    text = os.environ.get("OMNIMIX_BUSY_TIMEOUT", "")
    try:
        return max(0.0, float(text)) if text.strip() else BUSY_TIMEOUT
    except ValueError:
        return BUSY_TIMEOUT


def clear_stale(con: Any, table: str) -> None:
    """Drop ``table``'s stale mark (it was just rebuilt), when the warehouse has marks at all."""
    if con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND "
                   "table_schema = 'main'", [STALE_TABLE]).fetchall()[0][0]:
        con.execute(f"DELETE FROM {quote_ident(STALE_TABLE)} WHERE table_name = ?", [table])


def quote_ident(name: str) -> str:
    """A SQL identifier in double quotes (embedded quotes doubled): safe for any column or table name."""
    return '"' + str(name).replace('"', '""') + '"'


def table_columns(con: Any, table: str) -> list[str]:
    """Column names of ``table`` in the main schema, in order (empty when the table does not exist)."""
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ? "
        "ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [str(r[0]) for r in rows]


def quote_literal(value: str) -> str:
    """A SQL string literal in single quotes (embedded quotes doubled), for the few statements
    (``SET``, ``read_csv`` paths) that take no bound parameters."""
    return "'" + str(value).replace("'", "''") + "'"


@dataclass
class Workspace:
    """An opened workspace.

    Attributes:
        root: the workspace directory.
        config: the validated configuration.
    """

    root: Path
    config: Config

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, root: str | Path) -> Workspace:
        """Open an existing workspace (validates its config).

        Raises:
            ConfigError: no ``omnimix.toml`` in ``root`` or the file is invalid.
        """
        path = Path(root)
        return cls(path, load_config(path))

    @classmethod
    def of(cls, workspace: Workspace | str | Path) -> Workspace:
        """A :class:`Workspace` from itself or a directory.

        A directory with ``omnimix.toml`` is opened with its config; a bare directory that only holds
        ``warehouse.duckdb`` (a warehouse built elsewhere) is used with the default config.

        Raises:
            ConfigError: the directory is neither.
        """
        if isinstance(workspace, Workspace):
            return workspace
        root = Path(workspace)
        if (root / CONFIG_FILE).exists():
            return cls.open(root)
        if (root / DEFAULT_WAREHOUSE).exists():
            return cls(root, Config())
        raise ConfigError(f"{root} is not a workspace: no {CONFIG_FILE} and no {DEFAULT_WAREHOUSE}. "
                          f"Create one with `omnimix init {root}`.")

    @classmethod
    def loaded(cls, workspace: Workspace | str | Path) -> Workspace:
        """:meth:`of`, for analyses that read what was loaded: the warehouse file must exist.

        Raises:
            InputDataError: no workspace there, or nothing has been loaded into it yet (names the file
                and the commands to run).
            ConfigError: its omnimix.toml is invalid.
        """
        try:
            ws = cls.of(workspace)
        except ConfigError:
            if isinstance(workspace, Workspace) or (Path(workspace) / CONFIG_FILE).exists():
                raise
            raise InputDataError(
                str(workspace), "no warehouse here (not a workspace directory)",
                ["run `omnimix init DIR` and `omnimix ingest FILE… --workspace DIR` (or `omnimix demo`), "
                 "or pass the directory that holds omnimix.toml"]) from None
        if not ws.exists:
            raise InputDataError(str(ws.warehouse_path), "no warehouse in this workspace yet",
                                 [f"run `omnimix ingest FILE… --workspace {ws.root}` first"])
        return ws

    @classmethod
    def init(cls, root: str | Path, keep_pii: bool = False, config: Config | None = None) -> Workspace:
        """Create ``root/omnimix.toml`` and an empty warehouse with every canonical table.

        Raises:
            ConfigError: the directory already holds a workspace.
        """
        path = Path(root)
        if (path / CONFIG_FILE).exists():
            raise ConfigError(f"{path / CONFIG_FILE} already exists: this directory is a workspace. "
                              "Use another directory, or delete the file to start over.")
        path.mkdir(parents=True, exist_ok=True)
        cfg = config or Config()
        if keep_pii:
            cfg = cfg.model_copy(update={"pii": cfg.pii.model_copy(update={"keep_pii": True})})
        (path / CONFIG_FILE).write_text(render_config(cfg), encoding="utf-8")
        ws = cls(path, load_config(path))
        con = ws.connect()
        con.close()
        return ws

    @property
    def warehouse_path(self) -> Path:
        """The warehouse file (``[workspace] warehouse`` in omnimix.toml, relative to the root)."""
        return self.root / self.config.workspace.warehouse

    @property
    def exists(self) -> bool:
        """Whether the warehouse file has been created."""
        return self.warehouse_path.exists()

    # ------------------------------------------------------------------ the four verbs
    def connect(self, read_only: bool = False, wait: float | None = None) -> Any:
        """Open the DuckDB warehouse (creating missing canonical tables when writable).

        When another process holds the file (a second ingest, or the dashboard, whose read
        connections lock writers out for a few seconds), the open is retried for up to ``wait``
        seconds (default :func:`busy_timeout`) before giving up.

        Raises:
            ConfigError: read-only and the warehouse does not exist yet.
            WarehouseBusy: another process still held the file after the wait (names the process).
            EngineError: DuckDB cannot open the file for another reason.
        """
        import duckdb

        if read_only and not self.warehouse_path.exists():
            raise ConfigError(f"{self.warehouse_path} does not exist: nothing has been loaded into this "
                              f"workspace yet. Run `omnimix ingest FILE… --workspace {self.root}` first.")
        con = self._open(read_only, busy_timeout() if wait is None else wait)
        con.execute("SET enable_progress_bar = false")
        try:
            con.execute(f"SET TimeZone = {quote_literal(self.config.workspace.timezone)}")
        except duckdb.Error:
            pass  # ICU not available: timestamps stay as written
        if not read_only:
            create_all(con)
        return con

    def _open(self, read_only: bool, wait: float) -> Any:
        import re
        import time

        import duckdb

        deadline = time.monotonic() + wait
        pause = 0.05
        while True:
            try:
                return duckdb.connect(str(self.warehouse_path), read_only=read_only)
            except duckdb.IOException as exc:
                text = str(exc)
                if "lock" not in text.lower():
                    raise EngineError(f"cannot open the warehouse {self.warehouse_path}: "
                                      f"{text.splitlines()[0] if text else exc!r}") from None
                if time.monotonic() >= deadline:
                    pid = re.search(r"PID (\d+)", text)
                    who = f" (process {pid.group(1)})" if pid else ""
                    raise WarehouseBusy(
                        f"the warehouse {self.warehouse_path} is in use by another process{who}: waited "
                        f"{wait:g} s. Another `omnimix ingest` or the dashboard (`omnimix web`) holds it; "
                        "retry when it has finished, stop it, or wait longer with OMNIMIX_BUSY_TIMEOUT=SECONDS."
                    ) from None
                time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
                pause = min(pause * 2, 0.5)
            except duckdb.Error as exc:
                text = str(exc)
                raise EngineError(f"cannot open the warehouse {self.warehouse_path}: "
                                  f"{text.splitlines()[0] if text else exc!r}. If another omnimix process "
                                  "is writing to it, wait for it to finish.") from None

    def compact(self) -> None:
        """Rewrite the warehouse into a fresh file and swap it in atomically.

        DuckDB reuses the blocks that deleted rows occupied but does not wipe them, so erased values
        stay readable in the file until overwritten. After an erasure the warehouse is checkpointed,
        copied table by table into ``<warehouse>.compact`` (only live rows are written) and renamed
        over the original while the write lock is still held.

        Raises:
            WarehouseBusy: another process holds the warehouse.
            EngineError: the copy failed (the original file is left as it was).
        """
        import os

        import duckdb

        path = self.warehouse_path
        tmp = path.with_name(path.name + ".compact")
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
        con = self.connect()
        try:
            try:
                con.execute("CHECKPOINT")
                db = con.execute("SELECT current_database()").fetchone()[0]
                con.execute(f"ATTACH {quote_literal(str(tmp))} AS _omx_compact")
                con.execute(f"COPY FROM DATABASE {quote_ident(db)} TO _omx_compact")
                con.execute("CHECKPOINT _omx_compact")  # everything in the new file, no WAL beside it
                con.execute("DETACH _omx_compact")
            except duckdb.Error as exc:
                tmp.unlink(missing_ok=True)
                raise EngineError(f"rewriting the warehouse {path} failed: "
                                  f"{str(exc).splitlines()[0] if str(exc) else exc!r}") from None
            os.replace(tmp, path)
        finally:
            con.close()

    def tables(self) -> list[str]:
        """Names of the tables present in the warehouse (sorted; empty when it does not exist)."""
        if not self.warehouse_path.exists():
            return []
        con = self.connect(read_only=True)
        try:
            return sorted(r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall())
        finally:
            con.close()

    def has(self, table: str) -> bool:
        """Whether ``table`` exists in the warehouse."""
        return table in self.tables()

    def read(
        self,
        table: str,
        columns: Sequence[str] | None = None,
        where: str | None = None,
        params: Sequence[Any] = (),
        *,
        order_by: Sequence[str] = (),
    ) -> pd.DataFrame:
        """One table as a DataFrame.

        Args:
            table: the table name.
            columns: columns to read (all when None); names are quoted.
            where: optional SQL condition with ``?`` placeholders for values, e.g. ``"model = ?"``.
            params: the values of the placeholders.
            order_by: columns to sort by.

        Raises:
            ConfigError: the table does not exist; the message names the command that writes it.
        """
        con = self.connect(read_only=True)
        try:
            return read_table(con, table, columns, where, params, order_by=order_by)
        finally:
            con.close()

    def write(
        self,
        table: str,
        frame: pd.DataFrame,
        replace_where: str | None = None,
        params: Sequence[Any] = (),
    ) -> int:
        """Replace a table's rows (all, or those matching ``replace_where``) with ``frame``, atomically.

        Args:
            table: the table name; a result or derived table from :mod:`omnimix.schema` is created from
                its definition when missing, any other name takes the frame's columns.
            frame: the rows; columns are matched by name (missing ones are NULL).
            replace_where: SQL condition (``?`` placeholders) of the rows to replace; None replaces all.
            params: the placeholders' values.

        Returns:
            The number of rows written.
        """
        with self.writer() as w:
            return w.write(table, frame, replace_where, params)

    @contextmanager
    def writer(self) -> Iterator[TableWriter]:
        """Several writes in one transaction: ``with ws.writer() as w: w.write(...); w.write(...)``."""
        con = self.connect()
        try:
            con.execute("BEGIN TRANSACTION")
            try:
                yield TableWriter(con)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        finally:
            con.close()


class TableWriter:
    """Writes on one open transaction (see :meth:`Workspace.writer`)."""

    def __init__(self, con: Any) -> None:
        self.con = con

    def ensure(self, table: str, frame: pd.DataFrame | None = None) -> None:
        """Create ``table`` from its schema definition (or the frame's columns) when it does not exist."""
        spec = ALL_TABLES.get(table)
        if spec is not None:
            self.con.execute(spec.ddl())
        elif frame is not None:
            self.con.register("_omx_w", frame.head(0))
            try:
                self.con.execute(f"CREATE TABLE IF NOT EXISTS {quote_ident(table)} AS SELECT * FROM _omx_w")
            finally:
                self.con.unregister("_omx_w")
        else:
            raise UsageError(f"{table!r} is not a warehouse table and no rows were given to define it")

    def write(self, table: str, frame: pd.DataFrame, replace_where: str | None = None,
              params: Sequence[Any] = ()) -> int:
        """See :meth:`Workspace.write`."""
        self.ensure(table, frame)
        existing = table_columns(self.con, table)
        extra = [c for c in frame.columns if c not in existing]
        if extra:
            raise UsageError(f"cannot write columns {extra} into {table!r}; it has {existing}")
        where = f" WHERE {replace_where}" if replace_where else ""
        self.con.execute(f"DELETE FROM {quote_ident(table)}{where}", list(params))
        if replace_where is None:
            clear_stale(self.con, table)
        if len(frame):
            cols = [c for c in existing if c in frame.columns]
            names = ", ".join(quote_ident(c) for c in cols)
            self.con.register("_omx_w", frame)
            try:
                self.con.execute(f"INSERT INTO {quote_ident(table)} ({names}) SELECT {names} FROM _omx_w")
            finally:
                self.con.unregister("_omx_w")
        return len(frame)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement in the transaction (for tables computed from others in SQL)."""
        return self.con.execute(sql, list(params))


def read_table(
    con: Any,
    table: str,
    columns: Sequence[str] | None = None,
    where: str | None = None,
    params: Sequence[Any] = (),
    *,
    order_by: Sequence[str] = (),
) -> pd.DataFrame:
    """:meth:`Workspace.read` on an open connection."""
    present = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    if table not in present:
        spec = ALL_TABLES.get(table)
        hint = f" Run `{spec.written_by}` first." if spec is not None else ""
        raise ConfigError(f"the warehouse has no table {table!r}.{hint}")
    cols = "*" if not columns else ", ".join(quote_ident(c) for c in columns)
    sql = f"SELECT {cols} FROM {quote_ident(table)}"
    if where:
        sql += f" WHERE {where}"
    if order_by:
        sql += " ORDER BY " + ", ".join(quote_ident(c) for c in order_by)
    return con.execute(sql, list(params)).df()


def connect_warehouse(directory: Workspace | str | Path, read_only: bool = False) -> Any:
    """``Workspace.of(directory).connect(read_only)``: a workspace or a bare directory with a warehouse."""
    return Workspace.of(directory).connect(read_only=read_only)
