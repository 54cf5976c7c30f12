"""Workspace-level ingestion: load files, list the quarantine (``omnimix ingest`` / ``omnimix quarantine``).

Each entry point takes a :class:`~omnimix.workspace.Workspace` (or its directory) and returns a frozen
result whose ``to_json()`` is the command's ``--json`` output::

    from omnimix.ingest.workflow import ingest_files, quarantine_rows

    run = ingest_files("ws", ["data/crm_contacts.csv"])
    print(run.rows_loaded, run.failed)
    print(quarantine_rows("ws", limit=5).total)

A file that cannot be read (missing, no header, no preset matches, unknown preset) is recorded in the
run with its error and the others still load; each file is its own transaction. Even an unexpected
failure of one file (a bug, a library error) is recorded as that file's error, with the details in
the debug log of the ``omnimix`` logger, and the next file is loaded.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omnimix.errors import OmnimixError, UsageError
from omnimix.ingest.loader import LoadResult, ingest_file
from omnimix.ingest.mapping import Overrides
from omnimix.progress import progress_iter
from omnimix.schema import LOADABLE
from omnimix.workspace import Workspace

log = logging.getLogger("omnimix")


@dataclass(frozen=True)
class IngestRun:
    """The files of one ``omnimix ingest``, in the order given.

    Attributes:
        workspace: the workspace directory.
        files: one :class:`~omnimix.ingest.loader.LoadResult` per file (``table is None`` when the file
            could not be loaded at all; its ``errors`` say why).
    """

    workspace: Path
    files: tuple[LoadResult, ...]

    @property
    def failed(self) -> bool:
        """Whether some file could not be loaded (the CLI exits 3)."""
        return any(r.table is None for r in self.files)

    @property
    def rows_in(self) -> int:
        return sum(r.rows_in for r in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(r.rows_loaded for r in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(r.rows_quarantined for r in self.files)

    @property
    def rows_skipped(self) -> int:
        return sum(r.rows_skipped for r in self.files)

    def to_json(self) -> dict[str, Any]:
        """``{"files": [LoadResult.to_json(), …]}`` (the ``omnimix ingest --json`` document)."""
        return {"files": [r.to_json() for r in self.files]}


def ingest_files(
    workspace: Workspace | str | Path,
    files: Iterable[str | Path],
    *,
    preset: str | None = None,
    table: str | None = None,
    progress: bool = False,
    replace: bool = False,
    overrides: Overrides | None = None,
) -> IngestRun:
    """Load ``files`` into the workspace's warehouse, one transaction per file.

    Args:
        workspace: the workspace (or its directory).
        files: CSV, Parquet, JSON lines or XLSX files.
        preset: platform preset for every file (detected per file when omitted).
        table: canonical table for files already in canonical columns; exclusive with ``preset``.
        progress: show a progress bar on a terminal (for several files).
        replace: each file restates earlier loads of its table and platform: their rows on the
            file's days are replaced in the file's transaction (``omnimix ingest --replace``).
        overrides: one-off mapping for every file (``--map``, ``--set``, ``--sheet``, ``--header-row``;
            :func:`omnimix.ingest.mapping.from_flags`).

    Raises:
        UsageError: both ``preset`` and ``table``, or ``table`` is not a loadable table.
        WarehouseBusy: another process held the warehouse for longer than the busy timeout.
    """
    if preset and table:
        raise UsageError("give either --preset or --table, not both.")
    if table is not None and table not in LOADABLE:
        raise UsageError(f"--table {table!r} is not a loadable table: use one of {', '.join(LOADABLE)}")
    ws = Workspace.of(workspace)
    paths = [Path(f) for f in files]
    results: list[LoadResult] = []
    con = ws.connect()
    try:
        for f in progress_iter(paths, "Ingesting", enabled=progress and len(paths) > 1):
            try:
                results.append(ingest_file(ws, f, preset=preset, table=table, con=con,
                                           overrides=overrides, replace=replace))
            except OmnimixError as exc:
                results.append(LoadResult(file=str(f), errors=[str(exc)]))
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as exc:  # never a traceback, never the files after it lost
                log.debug("loading %s failed unexpectedly", f, exc_info=True)
                first = str(exc).splitlines()[0][:300] if str(exc) else ""
                results.append(LoadResult(file=str(f), errors=[
                    f"{f}: could not be loaded ({type(exc).__name__}: {first}). Nothing of it was loaded; "
                    "the traceback is in the debug log of the omnimix logger."]))
    finally:
        con.close()
    return IngestRun(ws.root, tuple(results))


@dataclass(frozen=True)
class QuarantinedRow:
    """One rejected row: file, line (1 = header), offending column, reason and the raw row."""

    file: str
    line: int | None
    column: str | None
    reason: str
    raw: str | None

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column, "reason": self.reason,
                "raw": self.raw}


@dataclass(frozen=True)
class QuarantineView:
    """The quarantine's size and its oldest rows (``omnimix quarantine``)."""

    total: int
    rows: tuple[QuarantinedRow, ...]

    def to_json(self) -> dict[str, Any]:
        """``{"total": n, "rows": [{"file", "line", "column", "reason", "raw"}, …]}``."""
        return {"total": self.total, "rows": [r.to_json() for r in self.rows]}


def quarantine_rows(workspace: Workspace | str | Path, limit: int = 20) -> QuarantineView:
    """The number of quarantined rows and the first ``limit`` of them (by load time, file, line).

    Raises:
        UsageError: ``limit`` is negative.
    """
    if limit < 0:
        raise UsageError(f"--limit must be >= 0, not {limit}")
    ws = Workspace.of(workspace)
    con = ws.connect(read_only=True)
    try:
        total = int(con.execute("SELECT count(*) FROM quarantine").fetchone()[0])
        rows: Sequence[tuple[Any, ...]] = con.execute(
            "SELECT source_file, line, column_name, reason, raw FROM quarantine "
            "ORDER BY loaded_at, source_file, line LIMIT ?", [limit]).fetchall()
    finally:
        con.close()
    return QuarantineView(total, tuple(
        QuarantinedRow(file=str(f), line=None if line is None else int(line), column=col, reason=str(reason),
                       raw=raw) for f, line, col, reason, raw in rows))
