"""``omnimix monitor`` and ``omnimix alerts list|ack|resolve``: run the monitor, manage alert state.

The commands parse their flags, call :func:`omnimix.monitor.monitor_workspace` or the alert store and
print the result (``--json``: ``{"alerts": [...]}`` per the CLI contract of issue #19).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from omnimix.cli._common import emit_json

WsOpt = Annotated[Path, typer.Option("--workspace", help="Workspace directory.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
StateOpt = Annotated[str | None, typer.Option("--state", help="App-state database URL (default DIR/app.db).")]

SinceOpt = Annotated[str | None, typer.Option("--since", help="First day to report on (default: last 28 days).")]
NoRecordOpt = Annotated[bool, typer.Option("--no-record", help="Leave the alert state untouched (no delivery).")]

alerts_app = typer.Typer(help="Alerts the monitor raised: list, acknowledge, resolve.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``monitor`` and the ``alerts`` group to the main app."""
    app.command("monitor")(monitor)
    app.add_typer(alerts_app, name="alerts")


def monitor(
    workspace: WsOpt,
    since: SinceOpt = None,
    no_send: Annotated[bool, typer.Option("--no-send", help="Record alerts but deliver nothing.")] = False,
    no_record: NoRecordOpt = False,
    state: StateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Score every metric and channel against its expected band; data, model and pacing checks."""
    from omnimix.monitor import monitor_workspace

    run = monitor_workspace(workspace, since, state_url=state, record=not no_record, send=not no_send)
    if as_json:
        emit_json(run.to_json())
        return
    typer.echo(f"{run.series} series, {run.since} – {run.end}{' (MMM-explained KPIs)' if run.mmm else ''}: "
               f"{len(run.alerts)} alert(s), {len(run.new)} new")
    for a in run.alerts:
        typer.echo(f"  [{a.severity}] {a.kind:8s} {a.date} {a.message}")
    for d in run.deliveries:
        typer.echo(f"  delivered to {d.target}: {'ok' if d.ok else 'FAILED ' + (d.error or '')} "
                   f"({d.attempts} attempt(s))")


@alerts_app.command("list")
def list_alerts(
    workspace: WsOpt,
    status: Annotated[str | None, typer.Option("--status", help="open, acked or resolved.")] = None,
    state: StateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Stored alerts, newest first."""
    from omnimix.monitor.state import AlertStore, default_url

    rows = AlertStore(state or default_url(workspace)).list(status, trace=False)
    if as_json:
        emit_json({"alerts": rows})
        return
    for r in rows:
        typer.echo(f"{r['id']:>5} {r['status']:8s} [{r['severity']}] {r['date']} {r['message']}")


def _set(workspace: Path, alert_id: int, state: str | None, what: str, by: str, note: str | None,
         as_json: bool) -> None:
    from omnimix.monitor.state import AlertStore, default_url

    store = AlertStore(state or default_url(workspace))
    row = store.acknowledge(alert_id, by, note) if what == "ack" else store.resolve(alert_id, by, note)
    if as_json:
        emit_json(row)
    else:
        typer.echo(f"alert {alert_id}: {row['status']}")


ByOpt = Annotated[str, typer.Option("--by", help="Who acknowledges or resolves.")]
NoteOpt = Annotated[str | None, typer.Option("--note", help="A note kept with the alert.")]


@alerts_app.command("ack")
def ack(workspace: WsOpt, alert_id: Annotated[int, typer.Argument(help="Alert id.")], by: ByOpt = "",
        note: NoteOpt = None, state: StateOpt = None, as_json: JsonOpt = False) -> None:
    """Acknowledge an alert (it stays deduplicated)."""
    _set(workspace, alert_id, state, "ack", by, note, as_json)


@alerts_app.command("resolve")
def resolve(workspace: WsOpt, alert_id: Annotated[int, typer.Argument(help="Alert id.")], by: ByOpt = "",
            note: NoteOpt = None, state: StateOpt = None, as_json: JsonOpt = False) -> None:
    """Resolve an alert (alerting again reopens it)."""
    _set(workspace, alert_id, state, "resolve", by, note, as_json)
