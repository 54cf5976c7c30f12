"""The dashboard's read-only access to the workspace warehouse: a cursor pool, idle release, a result cache.

The warehouse is opened through the one door, :class:`omnimix.workspace.Workspace` (its file name comes
from ``[workspace] warehouse`` in omnimix.toml), read-only: one DuckDB database handle with a small
pool of cursors (one per concurrent request). When no request has used the warehouse for
``idle_close_s`` seconds the handle is closed, so other omnimix commands can take the file's write
lock; it reopens on the next request. Results of the aggregate queries are cached, keyed by the
warehouse file's size and modification time plus the query parameters, so a new load invalidates them.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb

from omnimix.errors import EngineError, OmnimixError, WarehouseBusy
from omnimix.web.registry import RESULTS, not_computed
from omnimix.workspace import Workspace, quote_ident

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger("omnimix")
T = TypeVar("T")
#: Returned by :meth:`Warehouse.peek` when nothing is cached under a key.
MISSING: Any = object()


class Warehouse:
    """Read-only access to a workspace's warehouse with a cursor pool and a result cache.

    Args:
        workspace: a :class:`~omnimix.workspace.Workspace` or its directory (see
            :meth:`Workspace.of <omnimix.workspace.Workspace.of>`).
        idle_close_s: close the handle after this many idle seconds (frees the file lock).
        cache_size: number of cached query results.

    Attributes:
        workspace: the workspace.
        path: its warehouse file (``Workspace.warehouse_path``).
    """

    def __init__(
        self, workspace: Workspace | str | Path, idle_close_s: float = 3.0, cache_size: int = 512
    ) -> None:
        self.workspace = Workspace.of(workspace)
        self.path: Path = self.workspace.warehouse_path
        self.idle_close_s = idle_close_s
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._free: list[duckdb.DuckDBPyConnection] = []
        self._in_use = 0
        self._last_used = 0.0
        self._stamp: tuple[int, int] | None = None
        self._cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._cache_size = cache_size
        self._tables: dict[str, list[str]] | None = None
        self._stop = threading.Event()
        self._reaper = threading.Thread(target=self._reap, name="omnimix-warehouse-reaper", daemon=True)
        self._reaper.start()

    # ---- connection management ----------------------------------------------------------------
    def exists(self) -> bool:
        return self.path.is_file()

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        wal = self.path.with_name(self.path.name + ".wal")
        wal_m = os.stat(wal).st_mtime_ns if wal.exists() else 0
        return (st.st_size, max(st.st_mtime_ns, wal_m))

    def _close_locked(self) -> None:
        for cur in self._free:
            try:
                cur.close()
            except duckdb.Error:  # pragma: no cover - closing never matters
                pass
        self._free.clear()
        if self._con is not None:
            try:
                self._con.close()
            except duckdb.Error:  # pragma: no cover
                pass
        self._con = None

    def _reap(self) -> None:
        while not self._stop.wait(0.5):
            with self._lock:
                if (
                    self._con is not None
                    and self._in_use == 0
                    and time.monotonic() - self._last_used > self.idle_close_s
                ):
                    self._close_locked()

    def close(self) -> None:
        """Close the handle and stop the idle reaper."""
        self._stop.set()
        with self._lock:
            self._close_locked()

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor from the pool; raises :class:`WarehouseBusy` when the file is write-locked."""
        with self._lock:
            if self._con is None:
                stamp = self._file_stamp()
                if stamp is None:
                    raise OmnimixError(f"no warehouse at {self.path}: load data with `omnimix ingest` first")
                try:
                    self._con = self.workspace.connect(read_only=True, wait=0)  # a request never queues
                except (WarehouseBusy, EngineError) as exc:  # the write lock of another process
                    raise WarehouseBusy(
                        f"the warehouse {self.path} is locked by another omnimix process "
                        f"(a load or a model run is writing); retry in a moment ({exc})"
                    ) from None
                if stamp != self._stamp:
                    self._stamp = stamp
                    self._cache.clear()
                    self._tables = None
            cur = self._free.pop() if self._free else self._con.cursor()
            self._in_use += 1
        try:
            yield cur
        finally:
            with self._lock:
                self._in_use -= 1
                self._last_used = time.monotonic()
                if self._con is not None:
                    self._free.append(cur)
                else:  # pragma: no cover - closed under us; drop the cursor
                    cur.close()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run a query and return rows as dicts."""
        with self.cursor() as cur:
            try:
                res = cur.execute(sql, list(params))
                names = [d[0] for d in res.description or []]
                return [dict(zip(names, r, strict=True)) for r in res.fetchall()]
            except duckdb.Error as exc:
                raise EngineError(f"warehouse query failed: {exc}", sql) from exc

    def frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """Run a query and return a DataFrame."""
        with self.cursor() as cur:
            try:
                return cur.execute(sql, list(params)).df()
            except duckdb.Error as exc:
                raise EngineError(f"warehouse query failed: {exc}", sql) from exc

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self.cursor() as cur:
            try:
                row = cur.execute(sql, list(params)).fetchone()
            except duckdb.Error as exc:
                raise EngineError(f"warehouse query failed: {exc}", sql) from exc
        return row[0] if row else None

    def peek(self, key: tuple[Any, ...]) -> Any:
        """The cached value for ``key`` while the handle is open, else :data:`MISSING` (no I/O, no wait)."""
        with self._lock:
            if self._con is None:
                return MISSING
            hit = self._cache.get(key, MISSING)
            if hit is not MISSING:
                self._cache.move_to_end(key)
                self._last_used = time.monotonic()
            return hit

    def remember(self, key: tuple[Any, ...], value: Any) -> None:
        """Store ``value`` under ``key`` while the handle is open (what :meth:`peek` then answers)."""
        with self._lock:
            if self._con is None:
                return
            self._cache[key] = value
            self._cache.move_to_end(key)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def cached(self, key: tuple[Any, ...], fn: Callable[[], T]) -> T:
        """``fn()`` memoised under ``key`` until the warehouse file changes."""
        with self.cursor():  # opens (and revalidates the stamp) before the lookup
            with self._lock:
                if key in self._cache:
                    self._cache.move_to_end(key)
                    hit: T = self._cache[key]
                    return hit
            value = fn()
            with self._lock:
                self._cache[key] = value
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
            return value

    # ---- catalogue ---------------------------------------------------------------------------
    def tables(self) -> dict[str, list[str]]:
        """Table name → column names in the ``main`` schema (cached until the file changes)."""
        if not self.exists():
            return {}
        with self.cursor():
            if self._tables is None:
                rows = self.rows(
                    "SELECT table_name, column_name FROM information_schema.columns "
                    "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
                )
                out: dict[str, list[str]] = {}
                for r in rows:
                    out.setdefault(r["table_name"], []).append(r["column_name"])
                self._tables = out
            return self._tables

    def has(self, table: str, columns: Sequence[str] = ()) -> bool:
        cols = self.tables().get(table)
        return cols is not None and all(c in cols for c in columns)

    def count(self, table: str) -> int:
        if not self.has(table):
            return 0
        sql = f"SELECT count(*) FROM {quote_ident(table)}"
        return int(self.cached(("count", table), lambda: self.scalar(sql)))

    def result_state(self, key: str) -> dict[str, Any] | None:
        """None when result ``key`` can be read, else the "not computed yet" body."""
        src = RESULTS[key]
        cols = self.tables().get(src.table)
        if cols is None:
            return not_computed(key)
        missing = [c for c in src.columns if c not in cols]
        if missing:
            return not_computed(key, f"table {src.table} lacks columns {', '.join(missing)}")
        if self.count(src.table) == 0:
            return not_computed(key, f"table {src.table} is empty")
        return None
