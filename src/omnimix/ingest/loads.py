"""Load management: list the loads, remove one, replace earlier loads by a restatement.

Every file load writes one row to ``loads`` (file, SHA-256, table, preset, source, the day range of its
rows, counts, ``status``) and tags every row it inserts with its ``load_id``. That makes a load
undoable:

* :func:`list_loads` — ``omnimix loads list``: every load with the rows it still holds;
* :func:`remove_load` — ``omnimix loads remove LOAD_ID``: its rows leave their table and the
  quarantine, its ``loads`` row is marked ``removed`` (the same file can then be loaded again, e.g.
  after fixing a mapping), and the tables built from the canonical ones are marked stale;
* :func:`replace_earlier` — used by ``omnimix ingest --replace``: rows of earlier loads of the same
  table and platform whose day falls in the new file's day range are deleted in the new load's
  transaction, so a restated export replaces what it restates, atomically.

Stale tables are listed in ``stale_tables`` (see :mod:`omnimix.schema`); the stage that rebuilds one
clears its mark (:func:`omnimix.workspace.clear_stale`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omnimix.errors import UsageError
from omnimix.schema import ALL_TABLES, TABLES
from omnimix.workspace import STALE_TABLE, Workspace
from omnimix.workspace import quote_ident as _q

#: the column whose day places a row in a load's date range, per loadable table
DATE_COLUMN: dict[str, str] = {"spend": "date", "touchpoints": "ts", "conversions": "ts",
                               "contacts": "created_at", "content": "published_at", "experiments": "start",
                               "stage_history": "entered_at"}

#: tables built from the loaded ones by a later stage (marked stale when loaded rows are removed)
_INGESTED = ("omnimix ingest",)


def built_tables(con: Any) -> list[str]:
    """Present tables that a stage builds from the loaded ones (identity, journeys, results)."""
    present = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    out = []
    for name in sorted(present):
        spec = ALL_TABLES.get(name)
        if spec is None or name == STALE_TABLE or name in ("erasures",):
            continue
        if spec.written_by not in _INGESTED and con.execute(
                f"SELECT count(*) > 0 FROM {_q(name)}").fetchone()[0]:
            out.append(name)  # an empty table (never built) is not stale
    return out


def mark_stale(con: Any, reason: str) -> list[str]:
    """Record every built table as stale (its inputs changed) on an open transaction; returns them."""
    tables = built_tables(con)
    if not tables:
        return []
    con.execute(ALL_TABLES[STALE_TABLE].ddl())
    for t in tables:
        con.execute(f"DELETE FROM {_q(STALE_TABLE)} WHERE table_name = ?", [t])
        con.execute(f"INSERT INTO {_q(STALE_TABLE)} VALUES (?, ?, now()::TIMESTAMP)", [t, reason])
    return tables


def day_range(con: Any, staged: str, table: str) -> tuple[dt.date | None, dt.date | None]:
    """The first and last day of the valid rows of a staged load (None, None without dates)."""
    col = DATE_COLUMN.get(table)
    if col is None:
        return None, None
    lo, hi = con.execute(f"SELECT CAST(min({_q(col)}) AS DATE), CAST(max({_q(col)}) AS DATE) FROM {staged} "
                         "WHERE _reason IS NULL").fetchone()
    return lo, hi


def replace_earlier(con: Any, table: str, preset: str, sources: Sequence[str], lo: dt.date | None,
                    hi: dt.date | None, load_id: str) -> tuple[int, list[str]]:
    """Delete the rows a restatement replaces, on the new load's open transaction.

    Earlier loads qualify when they went to the same ``table`` with the same ``preset`` and are not
    removed; when ``sources`` is given (a canonical file with its own ``source`` column), only loads of
    those sources qualify. Their rows whose day lies in
    ``[lo, hi]`` are deleted (all their rows when the new file has no dates). A load left without rows
    is marked ``replaced`` and its quarantined rows go too.

    Returns:
        (rows deleted, ids of the earlier loads touched).
    """
    cond = "target_table = ? AND preset = ? AND coalesce(status, 'loaded') = 'loaded' AND load_id <> ?"
    params: list[Any] = [table, preset, load_id]
    if sources:
        cond += f" AND ({' OR '.join('list_contains(string_split(source, chr(44)), ?)' for _ in sources)})"
        params += list(sources)
    if lo is not None and hi is not None:
        cond += " AND (date_min IS NULL OR NOT (date_max < ? OR date_min > ?))"
        params += [lo, hi]
    earlier = [r[0] for r in con.execute(f"SELECT load_id FROM loads WHERE {cond}", params).fetchall()]
    if not earlier:
        return 0, []
    marks = ", ".join("?" for _ in earlier)
    where = f"load_id IN ({marks})"
    wparams: list[Any] = list(earlier)
    col = DATE_COLUMN.get(table)
    if col is not None and lo is not None and hi is not None:
        where += f" AND CAST({_q(col)} AS DATE) BETWEEN ? AND ?"
        wparams += [lo, hi]
    deleted = int(con.execute(f"DELETE FROM {_q(table)} WHERE {where}", wparams).fetchone()[0])
    left = dict(con.execute(f"SELECT load_id, count(*) FROM {_q(table)} WHERE load_id IN ({marks}) "
                            "GROUP BY load_id", earlier).fetchall())
    gone = [i for i in earlier if not left.get(i)]
    if gone:
        gmarks = ", ".join("?" for _ in gone)
        con.execute(f"UPDATE loads SET status = 'replaced', removed_at = now()::TIMESTAMP "
                    f"WHERE load_id IN ({gmarks})", gone)
        con.execute(f"DELETE FROM quarantine WHERE load_id IN ({gmarks})", gone)
    if deleted:
        mark_stale(con, f"ingest --replace: {deleted} row(s) of {table} replaced")
    return deleted, earlier


@dataclass(frozen=True)
class LoadInfo:
    """One load as ``omnimix loads list`` shows it."""

    load_id: str
    file: str
    table: str
    preset: str | None
    source: str | None
    date_min: str | None
    date_max: str | None
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    rows_skipped: int
    rows_now: int
    status: str
    loaded_at: str | None
    removed_at: str | None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class LoadsView:
    """Every load, oldest first, and the tables marked stale."""

    loads: tuple[LoadInfo, ...]
    stale: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """``{"loads": [LoadInfo…], "stale": [table…]}`` (the ``omnimix loads list --json`` document)."""
        return {"loads": [x.to_json() for x in self.loads], "stale": list(self.stale)}


def _s(v: Any) -> str | None:
    return None if v is None else str(v)


def list_loads(workspace: Workspace | str | Path) -> LoadsView:
    """Every load with the rows it still holds in its table (``rows_now``), and the stale tables."""
    ws = Workspace.loaded(workspace)
    con = ws.connect(read_only=True)
    try:
        rows = con.execute(
            "SELECT load_id, file, target_table, preset, source, date_min, date_max, rows_in, rows_loaded, "
            "rows_quarantined, rows_skipped, coalesce(status, 'loaded'), loaded_at, removed_at FROM loads "
            "ORDER BY loaded_at, load_id").fetchall()
        now: dict[str, int] = {}
        for t in sorted({r[2] for r in rows}):
            if t in TABLES:
                now.update({str(k): int(n) for k, n in con.execute(
                    f"SELECT load_id, count(*) FROM {_q(t)} GROUP BY load_id").fetchall()})
        stale: tuple[str, ...] = ()
        if con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                       [STALE_TABLE]).fetchone()[0]:
            stale = tuple(r[0] for r in con.execute(
                f"SELECT table_name FROM {_q(STALE_TABLE)} ORDER BY table_name").fetchall())
    finally:
        con.close()
    return LoadsView(tuple(LoadInfo(
        load_id=str(r[0]), file=str(r[1]), table=str(r[2]), preset=_s(r[3]), source=_s(r[4]),
        date_min=_s(r[5]), date_max=_s(r[6]), rows_in=int(r[7] or 0), rows_loaded=int(r[8] or 0),
        rows_quarantined=int(r[9] or 0), rows_skipped=int(r[10] or 0), rows_now=now.get(str(r[0]), 0),
        status=str(r[11]), loaded_at=_s(r[12]), removed_at=_s(r[13])) for r in rows), stale)


@dataclass(frozen=True)
class RemovedLoad:
    """What ``omnimix loads remove`` did."""

    load_id: str
    file: str
    table: str
    rows_deleted: int
    quarantine_deleted: int
    stale: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"load_id": self.load_id, "file": self.file, "table": self.table,
                "rows_deleted": self.rows_deleted, "quarantine_deleted": self.quarantine_deleted,
                "stale": list(self.stale)}


def remove_load(workspace: Workspace | str | Path, load_id: str) -> RemovedLoad:
    """Undo one load, in one transaction: its rows, its quarantined rows; mark it removed.

    Args:
        workspace: the workspace (or its directory).
        load_id: the load's id, or a unique prefix of at least 6 characters (``omnimix loads list``).

    Raises:
        UsageError: no such load, an ambiguous prefix, or the load was already removed or replaced.
    """
    ws = Workspace.loaded(workspace)
    key = load_id.strip()
    if len(key) < 6:
        raise UsageError(f"load id {load_id!r} is too short: give at least 6 characters of an id from "
                         "`omnimix loads list`")
    with ws.writer() as w:
        con = w.con
        found = con.execute("SELECT load_id, file, target_table, coalesce(status, 'loaded') FROM loads "
                            "WHERE starts_with(load_id, ?)", [key]).fetchall()
        if not found:
            raise UsageError(f"no load {load_id!r} in {ws.root}: see `omnimix loads list --workspace {ws.root}`")
        if len(found) > 1:
            raise UsageError(f"load id {load_id!r} is ambiguous ({len(found)} loads start with it): give "
                             "more characters")
        lid, file, table, status = (str(x) for x in found[0])
        if status != "loaded":
            raise UsageError(f"load {lid} ({file}) is already {status}: nothing to remove")
        deleted = 0
        if table in TABLES:
            deleted = int(con.execute(f"DELETE FROM {_q(table)} WHERE load_id = ?", [lid]).fetchone()[0])
        qdel = int(con.execute("DELETE FROM quarantine WHERE load_id = ?", [lid]).fetchone()[0])
        con.execute("UPDATE loads SET status = 'removed', removed_at = now()::TIMESTAMP WHERE load_id = ?", [lid])
        stale = mark_stale(con, f"loads remove {lid}: {deleted} row(s) of {table} removed") if deleted else []
    return RemovedLoad(lid, file, table, deleted, qdel, tuple(stale))
