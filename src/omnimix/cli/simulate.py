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
        anomalies: Annotated[int, typer.Option(
            "--anomalies", min=0, max=12,
            help="plant N anomalies (spend spike, tracking break, KPI drop, source stops) in the last 28 days; "
                 "truth in truth/anomalies.json")] = 0,
        anomaly_seed: Annotated[int | None, typer.Option(
            "--anomaly-seed", help="seed of the anomalies' kinds, channels and dates (default: --seed)")] = None,
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
        plants = []
        if anomalies:
            from omnimix.errors import UsageError
            from omnimix.simulate.anomalies import plant_exports

            try:
                plants = plant_exports(out, anomalies, seed=seed if anomaly_seed is None else anomaly_seed)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
            summary.truth_files = sorted({*summary.truth_files, "anomalies.csv", "anomalies.json"})
        if as_json:
            emit_json({**summary.to_json(), **({"anomalies": [vars(p) for p in plants]} if anomalies else {})})
            return
        typer.echo(f"Wrote {len(summary.files)} source files to {out} "
                   f"({summary.persons:,} persons, {summary.orders:,} orders, {summary.touchpoints:,} contacts):")
        for name, n in summary.files.items():
            typer.echo(f"  {name:<28} {n:>10,} rows")
        typer.echo(f"Ground truth in {out / 'truth'}: {', '.join(summary.truth_files)}")
        for p in plants:
            typer.echo(f"  planted {p.kind:<14} {p.metric:<12} {p.channel or 'all':<12} {p.start} – {p.end}")
