"""``omnimix ingest`` and ``omnimix quarantine``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from omnimix.schema import LOADABLE

TableOpt = Annotated[str | None, typer.Option(
    "--table", help=f"canonical table of files already in canonical columns: {', '.join(LOADABLE)}")]


def register(app: typer.Typer) -> None:
    """Add ``ingest`` and ``quarantine``."""

    @app.command("ingest")
    def ingest(
        files: Annotated[list[Path], typer.Argument(help="CSV, Parquet, JSON lines or XLSX files")],
        workspace: Annotated[Path, typer.Option("--workspace", "-w", help="workspace directory")],
        preset: Annotated[str | None, typer.Option("--preset", help="platform preset (detected when omitted)")]
        = None,
        table: TableOpt = None,
        as_json: Annotated[bool, typer.Option("--json", help="print the JSON summary")] = False,
    ) -> None:
        """Load files into the warehouse. Bad rows go to quarantine; reloading a file adds nothing."""
        from omnimix.cli._common import emit_json
        from omnimix.errors import OmnimixError
        from omnimix.ingest.loader import LoadResult, ingest_file
        from omnimix.progress import progress_iter
        from omnimix.workspace import Workspace

        ws = Workspace.open(workspace)
        con = ws.connect()
        results: list[LoadResult] = []
        failed = False
        try:
            for f in progress_iter(files, "Ingesting", enabled=not as_json and len(files) > 1):
                try:
                    results.append(ingest_file(ws, f, preset=preset, table=table, con=con))
                except OmnimixError as exc:
                    failed = True
                    results.append(LoadResult(file=str(f), errors=[str(exc)]))
        finally:
            con.close()
        if as_json:
            emit_json({"files": [r.to_json() for r in results]})
        else:
            for r in results:
                if r.table is None:
                    typer.echo(f"FAILED {r.file}\n  " + "\n  ".join(r.errors), err=True)
                    continue
                note = " (already loaded: nothing added)" if r.already_loaded else ""
                typer.echo(f"{r.file} → {r.table} [{r.preset}]: rows_in={r.rows_in} loaded={r.rows_loaded} "
                           f"quarantined={r.rows_quarantined} skipped={r.rows_skipped}{note}")
        if failed:
            raise typer.Exit(3)

    @app.command("quarantine")
    def quarantine(
        workspace: Annotated[Path, typer.Option("--workspace", "-w")],
        limit: Annotated[int, typer.Option(help="rows to show")] = 20,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Show quarantined rows: file, line, column and reason."""
        from omnimix.cli._common import emit_json
        from omnimix.workspace import Workspace

        ws = Workspace.open(workspace)
        con = ws.connect(read_only=True)
        try:
            total = con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
            rows = con.execute(
                "SELECT source_file, line, column_name, reason, raw FROM quarantine "
                "ORDER BY loaded_at, source_file, line LIMIT ?", [limit]).fetchall()
        finally:
            con.close()
        if as_json:
            emit_json({"total": total, "rows": [dict(zip(["file", "line", "column", "reason", "raw"], r,
                                                          strict=True)) for r in rows]})
            return
        typer.echo(f"{total} quarantined row(s)")
        for f, line, col, reason, _raw in rows:
            typer.echo(f"{f}:{line} [{col or '-'}] {reason}")
