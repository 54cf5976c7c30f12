"""Fixtures: a small sample workspace, the app, users of every role and their API tokens; for the browser
tests a live server per app, chromium through Playwright, a screenshot folder."""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():  # starlette warns that it prefers httpx2 over httpx; not our concern here
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from omnimix.config import Config, render_config
from omnimix.web.app import create_app

from .sample import build_sample_workspace

PASSWORDS = {"viewer": "viewer-pass-1", "analyst": "analyst-pass-1", "admin": "admin-pass-1"}


@dataclass
class Env:
    """A running app with one user and one token per role."""

    app: object
    client: TestClient
    workspace: Path
    tokens: dict[str, str]

    def headers(self, role: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}


def make_env(workspace: Path) -> Iterator[Env]:
    app = create_app(workspace, idle_close_s=1.0)
    st = app.state.ctx.state
    tokens = {}
    for role, pw in PASSWORDS.items():
        if st.get_user(role) is None:
            st.add_user(role, pw, role)
        tokens[role] = st.create_token(role, f"test-{role}")[1]
    with TestClient(app) as client:
        yield Env(app, client, workspace, tokens)


@pytest.fixture(scope="session")
def sample_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample_workspace(tmp_path_factory.mktemp("ws_full"))


@pytest.fixture(scope="session")
def bare_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Canonical tables only: no identity resolution, no result tables."""
    return build_sample_workspace(tmp_path_factory.mktemp("ws_bare"), with_results=False, with_identity=False)


@pytest.fixture(scope="session")
def empty_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with a config but no warehouse yet."""
    d = tmp_path_factory.mktemp("ws_empty")
    (d / "omnimix.toml").write_text(render_config(Config()), encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def env(sample_ws: Path) -> Iterator[Env]:
    yield from make_env(sample_ws)


@pytest.fixture(scope="module")
def bare_env(bare_ws: Path) -> Iterator[Env]:
    yield from make_env(bare_ws)


@pytest.fixture(scope="module")
def empty_env(empty_ws: Path) -> Iterator[Env]:
    yield from make_env(empty_ws)


def login(client: TestClient, role: str, password: str | None = None) -> str:
    """Log ``role`` in through the HTML form; returns the session's CSRF token (from a page)."""
    r = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
    assert token is not None
    r = client.post(
        "/login",
        data={
            "username": role,
            "password": password or PASSWORDS[role],
            "csrf_token": token.group(1),
            "next": "/data",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get("/data")
    m = re.search(r'<meta name="csrf-token" content="([^"]*)"', page.text)
    assert m is not None
    return m.group(1)


@pytest.fixture(scope="session")
def pages_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pages sample (:func:`tests.web.pages_sample.build_pages_workspace`), built once, read only."""
    from .pages_sample import build_pages_workspace

    return build_pages_workspace(tmp_path_factory.mktemp("ws_pages"))


@pytest.fixture(scope="module")
def penv(pages_ws: Path) -> Iterator[Env]:
    yield from make_env(pages_ws)


@pytest.fixture(scope="module")
def pclient(penv: Env) -> TestClient:
    """A viewer's client on the pages sample."""
    c = TestClient(penv.app)  # type: ignore[arg-type]
    login(c, "viewer")
    return c


# --------------------------------------------------------------------------------------------------------------
# Browser tests (marked ``browser``): one live uvicorn server per app, Debian's chromium through Playwright.

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Where screenshots go: ``$OMNIMIX_SCREENSHOTS``, else bench-out/screens/ of the checkout.
SCREENS = Path(__file__).resolve().parents[2] / "bench-out" / "screens"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(app: object) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port (in a thread) for the block; yields the base URL."""
    import threading
    import time

    import uvicorn

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))  # type: ignore[arg-type]
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start within 20 s"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        th.join(10)


@pytest.fixture(scope="session")
def shots() -> Path:
    d = Path(os.environ["OMNIMIX_SCREENSHOTS"]) if os.environ.get("OMNIMIX_SCREENSHOTS") else SCREENS
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: apt-get install -y chromium")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class BrowserPage:
    """A browser tab that records console errors and uncaught page errors (``errors``)."""

    def __init__(self, browser: Any, base: str, width: int = 1400, height: int = 1000) -> None:
        self.ctx = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
        self.page = self.ctx.new_page()
        self.base = base
        self.errors: list[str] = []
        self.page.on(
            "console",
            lambda m: self.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
        )
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))

    def goto(self, path: str) -> Any:
        resp = self.page.goto(self.base + path, wait_until="load")
        self.page.wait_for_load_state("networkidle")
        return resp

    def login(self, user: str, password: str) -> None:
        self.goto("/login")
        self.page.fill("#username", user)
        self.page.fill("#password", password)
        self.page.click("#login-submit")
        self.page.wait_for_load_state("networkidle")
