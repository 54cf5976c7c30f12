"""CLI: ``omnimix serve`` and ``omnimix users add|list|remove|set-role|token``.

The user commands run the same actions as the dashboard's admin forms and API
(:mod:`omnimix.web.admin`), audited with the actor ``cli:LOGIN``.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from omnimix.web.admin import Actor
    from omnimix.web.state import AppState

WorkspaceOpt = Annotated[
    Path, typer.Option("--workspace", "-w", help="workspace directory (has omnimix.toml)")
]
StateOpt = Annotated[
    str | None, typer.Option("--state-url", help="app-state database URL (default sqlite:///DIR/app.db)")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]


def _state(workspace: Path, state_url: str | None) -> AppState:
    import os

    from omnimix.web.state import AppState, default_state_url
    from omnimix.workspace import Workspace

    ws = Workspace.open(workspace)  # a clear error when the directory is not a workspace
    return AppState(state_url or os.environ.get("OMNIMIX_STATE_URL") or default_state_url(ws.root))


def _actor() -> Actor:
    from omnimix.web.admin import Actor

    try:
        return Actor("cli:" + getpass.getuser())
    except Exception:  # no login name in some containers
        return Actor("cli")


def register(app: typer.Typer) -> None:
    """Add ``serve`` and the ``users`` group to the main app."""
    users = typer.Typer(
        help="Manage dashboard users (roles: viewer, analyst, admin) and API tokens.", no_args_is_help=True
    )

    @app.command("serve")
    def serve(
        workspace: WorkspaceOpt = Path("."),
        host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="TCP port")] = 8000,
        state_url: StateOpt = None,
        log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "info",
        schedule: Annotated[bool, typer.Option(
            "--schedule", help="also run the workspace's [[schedule.jobs]] (as `omnimix schedule`)")] = False,
    ) -> None:
        """Run the web dashboard and API for a workspace."""
        import uvicorn

        from omnimix.web.app import create_app

        application = create_app(workspace, state_url, schedule=schedule)
        if schedule:
            sched = application.state.scheduler
            names = [j.name for j in sched.jobs.values() if j.enabled]
            typer.echo(f"scheduler: {', '.join(names) if names else 'no enabled jobs in [schedule]'}", err=True)
        st = application.state.ctx.state
        if not st.list_users():
            typer.echo(
                f"No users yet: add one with `omnimix users add NAME --role admin -w {workspace}`", err=True
            )
        typer.echo(f"omnimix dashboard on http://{host}:{port}/  (workspace {Path(workspace).resolve()})")
        uvicorn.run(application, host=host, port=port, log_level=log_level)

    @users.command("add")
    def users_add(
        username: Annotated[str, typer.Argument(help="login name")],
        role: Annotated[str, typer.Option(help="viewer, analyst or admin")] = "viewer",
        password: Annotated[
            str,
            typer.Option(
                prompt=True,
                hide_input=True,
                confirmation_prompt=True,
                help="at least 8 characters (prompted when omitted)",
            ),
        ] = "",
        workspace: WorkspaceOpt = Path("."),
        state_url: StateOpt = None,
        json: JsonOpt = False,
    ) -> None:
        """Add a user."""
        from omnimix.web import admin

        u = admin.add_user(_state(workspace, state_url), _actor(), username, password, role)
        if json:
            from omnimix.cli._common import emit_json

            emit_json({"username": u.username, "role": u.role})
        else:
            typer.echo(f"added {u.username} ({u.role})")

    @users.command("list")
    def users_list(
        workspace: WorkspaceOpt = Path("."), state_url: StateOpt = None, json: JsonOpt = False
    ) -> None:
        """List users and roles."""
        st = _state(workspace, state_url)
        rows = st.list_users()
        if json:
            from omnimix.cli._common import emit_json

            emit_json([{"username": u.username, "role": u.role, "created_at": u.created_at} for u in rows])
            return
        for u in rows:
            typer.echo(f"{u.username}\t{u.role}\t{u.created_at:%Y-%m-%d %H:%M}")

    @users.command("remove")
    def users_remove(
        username: Annotated[str, typer.Argument(help="login name")],
        workspace: WorkspaceOpt = Path("."),
        state_url: StateOpt = None,
    ) -> None:
        """Remove a user (and their API tokens)."""
        from omnimix.web import admin

        admin.remove_user(_state(workspace, state_url), _actor(), username)
        typer.echo(f"removed {username}")

    @users.command("set-role")
    def users_set_role(
        username: Annotated[str, typer.Argument(help="login name")],
        role: Annotated[str, typer.Argument(help="viewer, analyst or admin")],
        workspace: WorkspaceOpt = Path("."),
        state_url: StateOpt = None,
    ) -> None:
        """Change a user's role."""
        from omnimix.web import admin

        u = admin.set_role(_state(workspace, state_url), _actor(), username, role)
        typer.echo(f"{u.username} is now {u.role}")

    @users.command("token")
    def users_token(
        username: Annotated[str, typer.Argument(help="owner; the token acts with this role")],
        name: Annotated[str, typer.Option(help="label, e.g. the machine using it")] = "cli",
        workspace: WorkspaceOpt = Path("."),
        state_url: StateOpt = None,
    ) -> None:
        """Create an API token (printed once) for machines: send it as 'Authorization: Bearer TOKEN'."""
        from omnimix.web import admin

        _, token = admin.create_token(_state(workspace, state_url), _actor(), username, name)
        typer.echo(token)

    app.add_typer(users, name="users")
