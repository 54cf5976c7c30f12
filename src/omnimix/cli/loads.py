"""``omnimix loads list|remove`` (workflows in :mod:`omnimix.ingest.loads`)."""

from __future__ import annotations

from typing import Annotated

import typer

from omnimix.cli._common import JsonOpt, WsOpt


def register(app: typer.Typer) -> None:
    """Add the ``loads`` group."""
    loads = typer.Typer(help="File loads: list them, remove one (undo a load).", no_args_is_help=True)
    app.add_typer(loads, name="loads")

    @loads.command("list")
    def list_(workspace: WsOpt, as_json: JsonOpt = False) -> None:
        """Every load: id, file, table, days, rows loaded and still held, status; and stale tables."""
        from omnimix.cli._common import emit_json
        from omnimix.ingest.loads import list_loads

        view = list_loads(workspace)
        if as_json:
            emit_json(view.to_json())
            return
        if not view.loads:
            typer.echo("no loads yet")
        for x in view.loads:
            days = f"{x.date_min}–{x.date_max}" if x.date_min else "-"
            typer.echo(f"{x.load_id[:12]}  {x.status:<8} {x.table:<12} {days:<23} loaded={x.rows_loaded} "
                       f"now={x.rows_now} quarantined={x.rows_quarantined}  {x.file}")
        if view.stale:
            typer.echo(f"stale (rebuild them): {', '.join(view.stale)}")

    @loads.command("remove")
    def remove(
        load_id: Annotated[str, typer.Argument(help="a load id (or its first 6+ characters) from `loads list`")],
        workspace: WsOpt,
        as_json: JsonOpt = False,
    ) -> None:
        """Undo one load: its rows leave their table and the quarantine; the file can be loaded again."""
        from omnimix.cli._common import emit_json
        from omnimix.ingest.loads import remove_load

        done = remove_load(workspace, load_id)
        if as_json:
            emit_json(done.to_json())
            return
        typer.echo(f"removed load {done.load_id} ({done.file}): {done.rows_deleted} row(s) of {done.table}, "
                   f"{done.quarantine_deleted} quarantined row(s)")
        if done.stale:
            typer.echo(f"stale now (rebuild them, e.g. `omnimix resolve`): {', '.join(done.stale)}")
