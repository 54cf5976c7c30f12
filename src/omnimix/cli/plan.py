"""``omnimix plan …``: validate the goals of a plan file (SMART) and build the whole plan.

``plan validate PLAN.toml [--workspace DIR]`` parses every goal and prints each SMART criterion
(``--json``: ``{"goals": [{"id", "statement", "kpi", "target", "deadline", "smart", "problems"}]}``);
``plan build PLAN.toml --workspace DIR --out DIR`` budgets with the optimizer, cascades and writes the
plan's files (``--json``: ``{"budget", "quarters", "calendar", "goals", "files", …}``). The workflows
are in :mod:`omnimix.plan.build`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

plan_app = typer.Typer(help="The annual plan: SMART goals, budget by channel, cascade, calendar.",
                       no_args_is_help=True)

PlanArg = Annotated[Path, typer.Argument(help="The plan file (plan.toml; see docs/plan.md).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]

_MARK = {True: "✓", False: "✗", None: "–"}


def register(app: typer.Typer) -> None:
    """Add the ``plan`` command group to the main app."""
    app.add_typer(plan_app, name="plan")


def _print_goals(goals: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title="Goals (S M A R T)")
    for col in ("id", "kpi", "target", "deadline", "S", "M", "A", "R", "T"):
        t.add_column(col)
    for g in goals:
        s = g["smart"]
        target = "—" if g["target"] is None else f"{g['target']:,.4g}"
        t.add_row(g["id"], str(g["kpi"]), target, str(g["deadline"] or "—"),
                  *(_MARK[s[k]] for k in ("specific", "measurable", "achievable", "relevant", "time_bound")))
    con = Console()
    con.print(t)
    for g in goals:
        for p in g["problems"]:
            con.print(f"  {g['id']}: {p}")


@plan_app.command("validate")
def validate_cmd(
    plan: PlanArg,
    workspace: Annotated[Path | None,
                         typer.Option("--workspace", help="Workspace: baselines and achievability.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Parse every goal and check it is specific, measurable, achievable, relevant and time-bound."""
    from omnimix.plan.build import validate_plan

    doc = validate_plan(plan, workspace).to_json()
    if as_json:
        from omnimix.cli._common import emit_json

        emit_json(doc)
    else:
        _print_goals(doc["goals"])


@plan_app.command("build")
def build_cmd(
    plan: PlanArg,
    workspace: Annotated[Path, typer.Option("--workspace", help="Workspace with a passed MMM fit.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the plan's files.")],
    as_json: JsonOpt = False,
) -> None:
    """Build the plan: budget by channel from the optimizer, cascade, KPI trees, calendar, files."""
    from omnimix.plan.build import build_plan, write_plan

    built = write_plan(build_plan(plan, workspace), out)
    doc = built.to_json()
    if as_json:
        from omnimix.cli._common import emit_json

        emit_json(doc)
        return
    from rich.console import Console
    from rich.table import Table

    b = doc["budget"]
    t = Table(title=f"{doc['plan']['name']} {doc['plan']['year']}: budget {b['total']:,.2f} {doc['plan']['currency']}")
    t.add_column("channel")
    t.add_column("year", justify="right")
    for q in doc["quarters"]:
        t.add_column(q, justify="right")
    for ch, amount in b["channels"].items():
        t.add_row(ch, f"{amount:,.2f}", *(f"{doc['quarters'][q]['channels'][ch]:,.2f}" for q in doc["quarters"]))
    t.add_row("reserve", f"{b['reserve']:,.2f}", *(f"{doc['quarters'][q]['reserve']:,.2f}" for q in doc["quarters"]))
    Console().print(t)
    _print_goals(doc["goals"])
    for f in doc["files"]:
        typer.echo(f"wrote {f}")
