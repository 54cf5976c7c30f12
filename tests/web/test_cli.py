"""``omnimix users`` and ``omnimix serve`` through a throwaway typer app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from omnimix.cli.web import register
from omnimix.config import Config, render_config
from omnimix.web.state import AppState, default_state_url


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    (tmp_path / "omnimix.toml").write_text(render_config(Config()), encoding="utf-8")
    return tmp_path


def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def test_users_add_list_set_role_token_remove(ws: Path) -> None:
    r = CliRunner()
    app = cli()
    out = r.invoke(
        app, ["users", "add", "ana", "--role", "analyst", "--password", "ana-pass-1", "-w", str(ws)]
    )
    assert out.exit_code == 0 and out.output.strip() == "added ana (analyst)"
    out = r.invoke(
        app, ["users", "add", "root", "--role", "admin", "-w", str(ws)], input="root-pass-1\nroot-pass-1\n"
    )
    assert out.exit_code == 0, out.output
    out = r.invoke(app, ["users", "list", "-w", str(ws), "--json"])
    assert [(u["username"], u["role"]) for u in json.loads(out.output)] == [
        ("ana", "analyst"),
        ("root", "admin"),
    ]
    out = r.invoke(app, ["users", "set-role", "ana", "viewer", "-w", str(ws)])
    assert out.output.strip() == "ana is now viewer"
    out = r.invoke(app, ["users", "token", "ana", "--name", "bot", "-w", str(ws)])
    token = out.output.strip()
    assert token.startswith("omx_") and len(token) > 40
    st = AppState(default_state_url(ws))
    user = st.resolve_token(token)
    assert user is not None and user.username == "ana" and user.role == "viewer"
    out = r.invoke(app, ["users", "remove", "ana", "-w", str(ws)])
    assert out.exit_code == 0 and st.get_user("ana") is None
    _, log = st.audit_log(0, 10)
    assert [a["action"] for a in log][:5] == [
        "user_remove",
        "token_create",
        "role_change",
        "user_add",
        "user_add",
    ]
    assert log[0]["actor"].startswith("cli")


def test_users_errors(ws: Path, tmp_path: Path) -> None:
    r = CliRunner()
    app = cli()
    out = r.invoke(app, ["users", "add", "x", "--role", "boss", "--password", "long-enough", "-w", str(ws)])
    assert out.exit_code != 0 and "unknown role 'boss'" in str(out.exception)
    out = r.invoke(app, ["users", "remove", "ghost", "-w", str(ws)])
    assert "no user 'ghost'" in str(out.exception)
    out = r.invoke(app, ["users", "list", "-w", str(tmp_path / "nowhere")])
    assert "omnimix.toml not found" in str(out.exception)


def test_serve_builds_the_app_and_runs_uvicorn(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    seen = {}

    def fake_run(app: object, host: str, port: int, log_level: str) -> None:
        seen.update(app=app, host=host, port=port)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    out = CliRunner().invoke(
        cli(), ["serve", "--workspace", str(ws), "--host", "127.0.0.1", "--port", "8765"]
    )
    assert out.exit_code == 0, out.output
    assert "http://127.0.0.1:8765/" in out.output and seen["port"] == 8765
    assert seen["app"].title == "omnimix"  # type: ignore[attr-defined]


def test_demo_login_message(ws: Path) -> None:
    from omnimix.web.demo import dashboard_message

    msg = dashboard_message(ws, port=8123)
    assert "http://127.0.0.1:8123/" in msg and f"--workspace {ws}" in msg
    password = msg.rsplit(" / ", 1)[1]
    st = AppState(default_state_url(ws))
    user = st.authenticate("demo", password)
    assert user is not None and user.role == "admin"
    again = dashboard_message(ws).rsplit(" / ", 1)[1]  # rerun resets the password
    assert again != password and st.authenticate("demo", again) is not None
