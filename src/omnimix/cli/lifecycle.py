"""``omnimix lifecycle report``: stages, conversion rates, velocity, the MQL SLA, feedback and scoring.

Parses the flags, calls :func:`omnimix.lifecycle.workflow.lifecycle_report` and prints the result
(``--json``: its ``to_json()``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

lifecycle_app = typer.Typer(help="Lifecycle stages and the marketing → sales hand-off (SLA, feedback, scoring).",
                            no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``lifecycle`` command group."""
    app.add_typer(lifecycle_app, name="lifecycle")


def _pct(x: Any) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


@lifecycle_app.command("report")
def report(
    workspace: Annotated[Path, typer.Option("--workspace", help="Workspace directory.")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="End of the data, 'YYYY-MM-DD[ HH:MM]' "
                                              "(default: its newest time).")] = None,
    sla_hours: Annotated[float | None, typer.Option("--sla-hours", help="Business hours allowed for the first "
                                                    "contact of an MQL (default [lifecycle] sla_hours).")] = None,
    window_days: Annotated[int, typer.Option("--window-days", help="Opportunities opened in this many days "
                                             "count in the velocity.")] = 90,
    scoring: Annotated[str, typer.Option("--scoring", help="Lead-score calibration: logistic or isotonic.")] = (
        "logistic"),
    max_breaches: Annotated[int, typer.Option("--max-breaches", help="Breaches listed in the text output "
                                              "(--json lists all).")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Stage counts, conversion by stage, cohort and channel, velocity, SLA breaches, feedback, scoring."""
    import datetime as dt

    from omnimix.cli._common import emit_json
    from omnimix.errors import UsageError
    from omnimix.lifecycle.workflow import lifecycle_report

    end = None
    if as_of is not None:
        try:
            end = dt.datetime.fromisoformat(as_of)
        except ValueError:
            raise UsageError(f"--as-of {as_of!r}: expected 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM'") from None
    rep = lifecycle_report(workspace, as_of=end, sla_hours=sla_hours, window_days=window_days, scoring=scoring)
    if as_json:
        emit_json(rep.to_json())
        return
    typer.echo(f"Lifecycle of {rep.persons:,} CRM records up to {rep.as_of:%Y-%m-%d %H:%M} "
               f"(from {', '.join(rep.sources)}):")
    for s in rep.stages:
        typer.echo(f"  {s['names']['en']:<34} {s['entered']:>8,} entered {s['current']:>8,} now")
    typer.echo("Conversion (mature entries) and time in stage:")
    for t in rep.transitions:
        d = t.days_median
        typer.echo(f"  {t.from_stage:>12} → {t.to_stage:<12} {_pct(t.rate):>7} of {t.mature_entered:,}"
                   f"   median {'—' if d is None else f'{d:.1f}'} days")
    v = rep.velocity
    per_day = v.per_day
    typer.echo(f"Pipeline velocity: {'—' if per_day is None else f'{per_day:,.0f}'} per day "
               f"({v.opportunities:,} opportunities in {v.window_days} days × win {_pct(v.win_rate)} × deal "
               f"{'—' if v.deal_value is None else f'{v.deal_value:,.0f}'} ÷ "
               f"{'—' if v.cycle_days is None else f'{v.cycle_days:.1f}'} days)")
    sla = rep.sla
    typer.echo(f"MQL SLA ({sla.sla_hours:g} business hours): {sla.handoffs:,} hand-offs, {sla.within:,} within, "
               f"{sla.breached:,} breached, {sla.pending:,} pending")
    for b in sla.breaches[:max_breaches]:
        c = "not contacted" if b.contacted_at is None else f"contacted {b.contacted_at:%Y-%m-%d %H:%M}"
        typer.echo(f"  {b.record_id:<12} MQL {b.mql_at:%Y-%m-%d %H:%M}  {c}  {b.hours:.2f} h")
    if sla.breached > max_breaches:
        typer.echo(f"  … {sla.breached - max_breaches:,} more (--json lists all)")
    f = rep.feedback.totals
    typer.echo(f"Sales feedback: {f['accepted']:,} accepted, {f['rejected']:,} rejected, {f['recycled']:,} recycled, "
               f"{f['none']:,} none")
    if rep.scoring is not None:
        sc = rep.scoring
        raw = "—" if sc.brier_raw is None else f"{sc.brier_raw:.4f}"
        typer.echo(f"Lead scoring ({sc.method}, {sc.n:,} hand-offs): Brier {sc.brier_model:.4f} "
                   f"(raw score {raw}, base rate {sc.brier_base:.4f})")
    for n in rep.notes:
        typer.echo(f"Note: {n}")
