"""``omnimix review``: the monthly or quarterly Measure–Learn–Optimize review.

Parses the flags, calls :func:`omnimix.review.run_review` and prints the result (``--json``:
``{"period", "channels": {CH: {"decision", "reason", "mroi"}}, "experiments", "files"}`` per the CLI
contract of issue #19).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from omnimix.cli._common import emit_json


def register(app: typer.Typer) -> None:
    """Add ``review`` to the main app."""
    app.command("review")(review)


def review(
    workspace: Annotated[Path, typer.Option("--workspace", help="Workspace directory.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the report (HTML and Excel).")],
    period: Annotated[str | None, typer.Option(
        "--period", help="YYYY-MM (a month) or YYYY-Qn (a quarter); default the last full month.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="all (zh-CN and en), zh-CN or en.")] = "all",
    state: Annotated[str | None, typer.Option("--state", help="App-state database URL (default DIR/app.db).")] = None,
    no_record: Annotated[bool, typer.Option("--no-record", help="Do not store this review's decisions.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Decide scale / hold / cut / test per channel and write the review report."""
    from omnimix.review import run_review

    run = run_review(workspace, period=period, out=out, lang=lang, state_url=state, record=not no_record)
    if as_json:
        emit_json(run.to_json())
        return
    zh = lang == "zh-CN"
    typer.echo(f"review {run.period.label} ({run.period.start} – {run.period.end}), threshold "
               f"{run.doc['threshold']:g}, model advice: {run.doc['advice']['action']}")
    for d in run.decisions:
        typer.echo(f"  {d.channel:14s} {d.decision:5s} {d.reason('zh-CN' if zh else 'en')}")
    for e in run.doc["experiments"]:
        typer.echo(f"  next test: {e['channel']} ({e['start']} – {e['end']}), cost {e['cost']:,.0f}")
    for f in run.files:
        typer.echo(f"  wrote {f}")
