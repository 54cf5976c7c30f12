"""``omnimix journeys export`` and ``omnimix funnel`` (workflows in :mod:`omnimix.journeys.workflow`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from omnimix.cli._common import JsonOpt, WsOpt


def register(app: typer.Typer) -> None:
    """Add the ``journeys`` group and ``funnel``."""
    journeys = typer.Typer(help="Cross-channel journeys and paths.", no_args_is_help=True)
    app.add_typer(journeys, name="journeys")

    @journeys.command("export")
    def journeys_export(workspace: WsOpt, out: Annotated[Path, typer.Option("--out")]) -> None:
        """Write paths as path;total_conversions;total_conversion_value;total_null (`>` separated)."""
        from omnimix.journeys.workflow import export_journey_paths
        from omnimix.workspace import Workspace

        e = export_journey_paths(Workspace.open(workspace), out)
        typer.echo(f"Wrote {e.paths:,} paths to {e.out}")

    @app.command("funnel")
    def funnel_cmd(workspace: WsOpt, as_json: JsonOpt = False) -> None:
        """Funnel by stage, overall and by first-touch channel, and the cross-channel conversion rate."""
        from omnimix.cli._common import emit_json
        from omnimix.journeys.workflow import funnel
        from omnimix.workspace import Workspace

        doc = funnel(Workspace.open(workspace))
        if as_json:
            emit_json(doc.to_json())
            return
        for s in doc.stages:
            rate = "" if s["rate_from_previous"] is None else f"  ({s['rate_from_previous']:.1%} of previous)"
            typer.echo(f"{s['stage']:<14} {s['customers']:>9,}{rate}")
        ccr = doc.cross_channel_conversion_rate
        typer.echo(f"cross-channel conversion rate: {ccr:.1%}" if ccr is not None else "no converters")
