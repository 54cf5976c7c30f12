"""``omnimix ingest`` and ``omnimix quarantine`` (workflows in :mod:`omnimix.ingest.workflow`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from omnimix.cli._common import JsonOpt, WsOpt
from omnimix.schema import LOADABLE

TableOpt = Annotated[str | None, typer.Option(
    "--table", help=f"canonical table of files already in canonical columns: {', '.join(LOADABLE)}")]


def register(app: typer.Typer) -> None:
    """Add ``ingest`` and ``quarantine``."""

    @app.command("ingest")
    def ingest(
        files: Annotated[list[Path], typer.Argument(help="CSV, Parquet, JSON lines or XLSX files")],
        workspace: WsOpt,
        preset: Annotated[str | None, typer.Option("--preset", help="platform preset (detected when omitted)")]
        = None,
        table: TableOpt = None,
        replace: Annotated[bool, typer.Option(
            "--replace", help="the files restate earlier loads of the same table and platform: replace "
            "those loads' rows on the files' days (see `omnimix loads list`)")] = False,
        maps: Annotated[list[str] | None, typer.Option(
            "--map", help="map a header to a canonical column, e.g. --map '项目名称=campaign' (repeatable)")] = None,
        sets: Annotated[list[str] | None, typer.Option(
            "--set", help="a canonical column's value for every row, e.g. --set channel=douyin (repeatable)")]
        = None,
        sheet: Annotated[str | None, typer.Option("--sheet", help="XLSX sheet name or number (1 = first)")] = None,
        header_row: Annotated[int | None, typer.Option(
            "--header-row", help="line (CSV) or row (XLSX) of the header, 1 = first; detected when omitted")]
        = None,
        as_json: Annotated[bool, typer.Option("--json", help="print the JSON summary (also on failure)")] = False,
    ) -> None:
        """Load files into the warehouse. Bad rows go to quarantine; reloading a file adds nothing.

        Presets (detected from the header when --preset is omitted; `omnimix presets` lists their
        columns): google_ads, meta_ads, ocean_engine, tencent_ads, ga4_events, ga4_transactions,
        shopify_orders, hubspot_contacts, pos_transactions, pos_members.
        """
        from omnimix.cli._common import emit_json
        from omnimix.errors import OmnimixError
        from omnimix.ingest.mapping import from_flags
        from omnimix.ingest.workflow import ingest_files
        from omnimix.workspace import Workspace

        flags = from_flags(maps, sets, sheet, header_row)
        try:
            run = ingest_files(Workspace.open(workspace), files, preset=preset, table=table,
                               progress=not as_json, replace=replace, overrides=None if flags.empty else flags)
        except OmnimixError as exc:
            if not as_json:
                raise
            # the whole run failed (busy warehouse, bad workspace): still one JSON document
            emit_json({"files": [{"file": str(f), "rows_in": 0, "rows_loaded": 0, "rows_quarantined": 0,
                                  "rows_skipped": 0, "errors": [str(exc)], "table": None} for f in files],
                       "error": str(exc), "error_type": type(exc).__name__})
            raise typer.Exit(exc.exit_code) from None
        if as_json:
            emit_json(run.to_json())
        else:
            for r in run.files:
                if r.table is None:
                    typer.echo(f"FAILED {r.file}\n  " + "\n  ".join(r.errors), err=True)
                    continue
                note = " (already loaded: nothing added)" if r.already_loaded else ""
                typer.echo(f"{r.file} → {r.table} [{r.preset}]: rows_in={r.rows_in} loaded={r.rows_loaded} "
                           f"quarantined={r.rows_quarantined} skipped={r.rows_skipped}{note}")
                for w in r.warnings:
                    typer.echo(f"  warning: {w}", err=True)
                for n in r.notes:
                    typer.echo(f"  note: {n}")
        if run.failed:
            raise typer.Exit(3)

    @app.command("quarantine")
    def quarantine(
        workspace: WsOpt,
        limit: Annotated[int, typer.Option(help="rows to show")] = 20,
        as_json: JsonOpt = False,
    ) -> None:
        """Show quarantined rows: file, line, column and reason."""
        from omnimix.cli._common import emit_json
        from omnimix.ingest.workflow import quarantine_rows
        from omnimix.workspace import Workspace

        view = quarantine_rows(Workspace.open(workspace), limit=limit)
        if as_json:
            emit_json(view.to_json())
            return
        typer.echo(f"{view.total} quarantined row(s)")
        for r in view.rows:
            typer.echo(f"{r.file}:{r.line} [{r.column or '-'}] {r.reason}")
