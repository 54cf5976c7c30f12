"""``omnimix demo``: the whole loop on a synthetic company, in-process."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``demo``."""

    @app.command("demo")
    def demo(
        out: Annotated[Path, typer.Option("--out", help="demo directory (replaced if it holds a demo)")]
        = Path("demo-out"),
        customers: Annotated[int, typer.Option("--customers", min=100)] = 5_000,
        weeks: Annotated[int, typer.Option("--weeks", min=26, max=520)] = 104,
        seed: Annotated[int, typer.Option("--seed")] = 7,
    ) -> None:
        """Run the whole loop on a synthetic company: simulate, init, ingest and every later stage."""
        from omnimix.demo import run_demo
        from omnimix.web.demo import dashboard_message

        ctx = run_demo(out, customers=customers, weeks=weeks, seed=seed, say=typer.echo)
        typer.echo(f"Demo written to {ctx.out}. Workspace: {ctx.workspace}")
        typer.echo(dashboard_message(ctx.workspace))
