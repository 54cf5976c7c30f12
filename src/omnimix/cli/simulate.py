"""``omnimix simulate``: a synthetic company's exports and ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``simulate``."""

    @app.command("simulate")
    def simulate(
        out: Annotated[Path, typer.Option("--out", help="directory for the exports and truth/")],
        customers: Annotated[int, typer.Option("--customers", min=10)] = 20_000,
        weeks: Annotated[int, typer.Option("--weeks", min=12, max=520)] = 104,
        seed: Annotated[int, typer.Option("--seed")] = 0,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Write a synthetic company's source exports (preset formats) and the ground truth."""
        from omnimix.cli._common import emit_json
        from omnimix.simulate.world import simulate_world

        summary = simulate_world(out, customers=customers, weeks=weeks, seed=seed,
                                 progress=None if as_json else (lambda m: typer.echo(f"  … {m}", err=True)))
        from omnimix.simulate.crm import simulate_crm

        summary.files.update(simulate_crm(out, persons=customers, weeks=weeks, seed=seed).files)
        summary.truth_files += ["crm_breaches.csv", "crm_truth.json"]
        if as_json:
            emit_json(summary.to_json())
            return
        typer.echo(f"Wrote {len(summary.files)} source files to {out} "
                   f"({summary.persons:,} persons, {summary.orders:,} orders, {summary.touchpoints:,} contacts):")
        for name, n in summary.files.items():
            typer.echo(f"  {name:<28} {n:>10,} rows")
        typer.echo(f"Ground truth in {out / 'truth'}: {', '.join(summary.truth_files)}")
