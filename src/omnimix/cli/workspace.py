"""``omnimix init``: create a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``init``."""

    @app.command("init")
    def init(
        directory: Annotated[Path, typer.Argument(help="workspace directory to create")],
        keep_pii: Annotated[bool, typer.Option("--keep-pii", help="keep raw emails/phones/names")] = False,
    ) -> None:
        """Create a workspace: DIR/omnimix.toml and an empty DuckDB warehouse."""
        from omnimix.workspace import Workspace

        ws = Workspace.init(directory, keep_pii=keep_pii)
        typer.echo(f"Created workspace {ws.root} (config {ws.root / 'omnimix.toml'}, "
                   f"warehouse {ws.warehouse_path}).")
