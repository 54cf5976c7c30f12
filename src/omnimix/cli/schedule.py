"""``omnimix schedule``: list, run once, run what is due, or run the cron schedule of ``[[schedule.jobs]]``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from omnimix.cli._common import emit_json


def register(app: typer.Typer) -> None:
    """Add ``schedule``."""

    @app.command("schedule")
    def schedule(
        workspace: Annotated[Path, typer.Option("--workspace", "-w", help="Workspace directory.")],
        once: Annotated[str | None, typer.Option("--once", help="Run this job now, then exit.")] = None,
        list_jobs: Annotated[bool, typer.Option("--list", help="Print the jobs and their next run times.")] = False,
        run_pending: Annotated[bool, typer.Option(
            "--run-pending", help="Run every job due since its last run, then exit (for a system cron).")] = False,
        history: Annotated[int, typer.Option("--history", min=0, help="With --list: this many recent runs.")] = 0,
        state: Annotated[str | None, typer.Option("--state", help="App-state database URL (default DIR/app.db).")
                         ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> int:
        """Run the workspace's scheduled jobs (ingest, monitor, refit, review) on their cron times."""
        from omnimix.errors import UsageError
        from omnimix.schedule import Scheduler

        if sum([once is not None, list_jobs, run_pending]) > 1:
            raise UsageError("give at most one of --once, --list and --run-pending")
        sched = Scheduler(workspace, state_url=state)
        if list_jobs:
            rows = sched.listing()
            runs = [r.to_json() for r in sched.store.runs(limit=history)] if history else []
            if as_json:
                emit_json({"jobs": rows, **({"runs": runs} if history else {})})
                return 0
            if not rows:
                typer.echo("no jobs: add [[schedule.jobs]] to omnimix.toml (docs/schedule.md)")
            for r in rows:
                last = r["last_run"]
                typer.echo(f"{r['name']:<16} {r['kind']:<8} {r['cron']:<18} {r['timezone']:<16} "
                           f"next {r['next_run'] or 'disabled'}"
                           + (f"  last {last['status']} {last['started']}" if last else ""))
            for run in runs:
                typer.echo(f"  #{run['id']} {run['job']} {run['status']} {run['started']}: {run['message']}")
            return 0
        if once is not None or run_pending:
            done = [sched.run(once, trigger="once")] if once is not None else sched.run_pending()
            if as_json:
                emit_json({"runs": [r.to_json() for r in done]})
            else:
                if not done:
                    typer.echo("nothing due")
                for d in done:
                    typer.echo(f"{d.job} ({d.kind}): {d.status}: {d.message}")
            return 1 if any(d.status == "failed" for d in done) else 0
        def ready() -> None:
            for r in sched.listing():
                if r["enabled"]:
                    typer.echo(f"{r['name']:<16} {r['kind']:<8} next {r['next_run']}", err=True)
            typer.echo("omnimix schedule running; Ctrl-C stops it", err=True)

        sched.run_forever(ready)
        return 0
