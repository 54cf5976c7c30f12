"""Issue 20's security findings, one test each: sessions that outlive their user or a logout, login
floods, formula cells in exports, searching a hashed workspace, raw queries in logs, role changes made
by another process, HTML pages during a load, HSTS."""

from __future__ import annotations

import csv
import io
import logging
import re
import shutil
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from omnimix.ingest.pii import email_key
from omnimix.web.state import AppState, default_state_url
from omnimix.web.throttle import LoginThrottle, ThrottlePolicy

from .conftest import PASSWORDS, Env, login, make_env
from .test_warehouse import writer_process

with warnings.catch_warnings():  # starlette prefers httpx2; not our concern here
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture()
def own_env(sample_ws: Path, tmp_path: Path) -> Iterator[Env]:
    """A private copy of the sample workspace (users, sessions and the warehouse may be changed)."""
    ws = tmp_path / "ws"
    shutil.copytree(sample_ws, ws, ignore=shutil.ignore_patterns("app.db"))
    gen = make_env(ws)
    env = next(gen)
    try:
        yield env
    finally:
        gen.close()


def client(env: Env, **kw: object) -> TestClient:
    return TestClient(env.app, **kw)  # type: ignore[arg-type]


def form_token(c: TestClient) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
    assert m is not None
    return m.group(1)


def attempt(c: TestClient, user: str, password: str) -> int:
    r = c.post("/login", data={"username": user, "password": password, "csrf_token": form_token(c), "next": "/"},
               follow_redirects=False)
    if r.status_code == 303 and "error=1" in r.headers["location"]:
        return 401  # the form's "wrong username or password"
    return r.status_code


# ---------------------------------------------------------------------------------------- sessions
def test_removed_users_cookie_never_becomes_the_next_users_session(own_env: Env) -> None:
    st: AppState = own_env.app.state.ctx.state  # type: ignore[attr-defined]
    old = st.add_user("temp-viewer", "temp-pass-123", "viewer")
    c = client(own_env)
    login(c, "temp-viewer", "temp-pass-123")
    cookie = c.cookies.get("omx_session")
    assert c.get("/api/v1/me").json()["username"] == "temp-viewer"
    st.remove_user("temp-viewer")
    new = st.add_user("new-admin", "admin-pass-123", "admin")
    assert new.id != old.id  # ids are never reused (AUTOINCREMENT)
    stale = client(own_env)
    stale.cookies.set("omx_session", cookie)
    for path in ("/api/v1/me", "/api/v1/users", "/api/v1/audit"):
        assert stale.get(path).status_code == 401, path
    assert stale.get("/admin", follow_redirects=False).status_code == 303  # back to the login page


def test_logout_revokes_the_cookie_server_side(own_env: Env) -> None:
    c = client(own_env)
    csrf = login(c, "analyst")
    cookie = c.cookies.get("omx_session")
    assert c.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    replay = client(own_env)
    replay.cookies.set("omx_session", cookie)
    assert replay.get("/api/v1/me").status_code == 401


def test_password_change_ends_every_session_and_role_changes_apply_next_request(own_env: Env) -> None:
    st: AppState = own_env.app.state.ctx.state  # type: ignore[attr-defined]
    other = AppState(default_state_url(own_env.workspace))  # what `omnimix users` in another process opens
    st.add_user("mover", "mover-pass-123", "viewer")
    tok = st.create_token("mover", "t")[1]
    c = client(own_env)
    login(c, "mover", "mover-pass-123")
    bearer = {"Authorization": f"Bearer {tok}"}
    assert c.get("/api/v1/users").status_code == 403
    assert c.get("/api/v1/users", headers=bearer).status_code == 403
    other.set_role("mover", "admin")
    assert c.get("/api/v1/users").status_code == 200  # session: the very next request
    assert c.get("/api/v1/users", headers=bearer).status_code == 200  # token too, no 5 s cache
    other.revoke_token(st.list_tokens()[-1]["id"])
    assert c.get("/api/v1/me", headers=bearer).status_code == 401
    assert st.session_count("mover") == 1
    other.set_password("mover", "another-pass-123")
    assert st.session_count("mover") == 0
    assert c.get("/api/v1/me").status_code == 401


# ---------------------------------------------------------------------------------------- login floods
def test_ten_failures_lock_the_account_even_for_the_right_password(own_env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = own_env.app.state.ctx  # type: ignore[attr-defined]
    ctx.throttle = LoginThrottle(ctx.state, ThrottlePolicy(backoff_after=1000))  # lockout alone
    checks = []
    real = ctx.state.hasher.verify
    monkeypatch.setattr(ctx.state.hasher, "verify", lambda h, p: checks.append(1) or real(h, p))
    c = client(own_env)
    codes = [attempt(c, "viewer", "wrong-password") for _ in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]
    assert len(checks) == 10  # refused attempts cost no argon2 work
    r = c.post("/login", data={"username": "viewer", "password": PASSWORDS["viewer"], "csrf_token": form_token(c)},
               follow_redirects=False)
    assert r.status_code == 429 and 800 <= int(r.headers["retry-after"]) <= 900
    assert "登录失败次数过多" in r.text or "Too many failed sign-ins" in r.text
    assert len(checks) == 10
    audit = [e["action"] for e in ctx.state.audit_log(limit=50)[1]]
    assert "login_refused" in audit
    ctx.throttle.unlock(username="viewer")
    assert attempt(c, "viewer", PASSWORDS["viewer"]) == 303  # an admin's unlock lets the owner in


def test_a_fast_flood_costs_a_handful_of_password_checks(own_env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """The outside review's attack: 120 wrong passwords as fast as possible, then the right one."""
    ctx = own_env.app.state.ctx  # type: ignore[attr-defined]
    checks = []
    real = ctx.state.hasher.verify
    monkeypatch.setattr(ctx.state.hasher, "verify", lambda h, p: checks.append(1) or real(h, p))
    c = client(own_env)
    t0 = time.perf_counter()
    codes = [attempt(c, "admin", f"guess-{i:03d}") for i in range(120)]
    elapsed = time.perf_counter() - t0
    assert codes.count(401) <= 10 and codes.count(429) >= 110  # backoff from the 3rd failure
    assert len(checks) == codes.count(401)
    assert attempt(c, "admin", PASSWORDS["admin"]) == 429  # still refused right after the flood
    print(f"120 attempts in {elapsed:.1f} s: {len(checks)} password checks, {codes.count(429)} refused")


def test_spraying_many_accounts_from_one_address_blocks_the_address(own_env: Env) -> None:
    ctx = own_env.app.state.ctx  # type: ignore[attr-defined]
    ctx.throttle = LoginThrottle(ctx.state, ThrottlePolicy(ip_limit=20))
    c = client(own_env)
    codes = [attempt(c, f"nobody{i}", "password-1") for i in range(22)]
    assert codes[:20] == [401] * 20 and codes[20:] == [429, 429]
    assert attempt(c, "viewer", PASSWORDS["viewer"]) == 429  # the address, not the account


# ---------------------------------------------------------------------------------------- exports
HOSTILE = ("=HYPERLINK(\"http://evil.example\",\"x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1")


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def test_every_export_neutralises_formula_cells(own_env: Env, tmp_path: Path) -> None:
    ctx = own_env.app.state.ctx  # type: ignore[attr-defined]
    ctx.warehouse.close()
    con = duckdb.connect(str(own_env.workspace / "warehouse.duckdb"))
    try:
        con.execute("UPDATE spend SET channel = ? WHERE channel = (SELECT min(channel) FROM spend)", [HOSTILE[0]])
        con.execute("UPDATE spend SET channel = ? WHERE channel = (SELECT max(channel) FROM spend)", [HOSTILE[1]])
    finally:
        con.close()
    ctx.state.save_scenario(HOSTILE[2], "analyst", {"budget": 1}, {"allocation": {HOSTILE[3]: 1.0}}, True)
    h = own_env.headers("analyst")
    for dataset in ("channels", "funnel", "attribution", "mmm", "segments", "scenarios"):
        r = own_env.client.get(f"/api/v1/export/{dataset}", headers=h, params={"start": "2020-01-01", "end": "2030-12-31"})
        if r.status_code == 404:
            continue
        assert r.status_code == 200, (dataset, r.text[:200])
        for cell in _cells(r.text):
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (dataset, cell)
    chans = _cells(own_env.client.get("/api/v1/export/channels", headers=h, params={"start": "2020-01-01", "end": "2030-12-31"}).text)
    assert "'" + HOSTILE[0] in chans and "'" + HOSTILE[1] in chans, str(chans[:60])
    scen = _cells(own_env.client.get("/api/v1/export/scenarios", headers=h).text)
    assert "'" + HOSTILE[2] in scen and "'alloc_" + HOSTILE[3] not in scen  # the column is alloc_@SUM…


def test_file_exports_of_the_optimizer_and_the_mmm_are_spreadsheet_safe(tmp_path: Path) -> None:
    import pandas as pd

    from omnimix.formatting import spreadsheet_safe, spreadsheet_safe_frame

    frame = pd.DataFrame({"channel": list(HOSTILE), "spend": [-1.5, 2.0, 3.0, 4.0, 5.0], HOSTILE[0]: 1})
    safe = spreadsheet_safe_frame(frame)
    assert list(safe["channel"]) == ["'" + v for v in HOSTILE]
    assert list(safe["spend"]) == [-1.5, 2.0, 3.0, 4.0, 5.0]  # numbers stay numbers
    assert safe.columns[-1] == "'" + HOSTILE[0]
    assert spreadsheet_safe("plain") == "plain" and spreadsheet_safe(-3) == -3
    from omnimix.curves import curves_from_dict
    from omnimix.optimize import optimize_budget
    from omnimix.optimize.workflow import OptimizeRun

    curves = curves_from_dict({"channels": {HOSTILE[1]: {"type": "hill", "beta": 100.0, "half_saturation": 50.0,
                                                          "slope": 1.0, "current_spend": 40.0},
                                             "search": {"type": "hill", "beta": 80.0, "half_saturation": 30.0,
                                                        "slope": 1.0, "current_spend": 30.0}}})
    from omnimix.optimize import Constraints

    alloc = optimize_budget(curves, Constraints(budget=70.0, reserve=0.0))
    run = OptimizeRun(curves=curves, allocation=alloc)
    for path in run.write_csv(tmp_path / "plan.csv"):
        for cell in _cells(path.read_text(encoding="utf-8")):
            assert not cell.startswith(("=", "+", "@")), (path.name, cell)


# ---------------------------------------------------------------------------------------- search and logs
def test_search_by_email_in_a_hashed_workspace_and_no_raw_query_in_logs(
    own_env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    ctx = own_env.app.state.ctx  # type: ignore[attr-defined]
    ctx.warehouse.close()
    con = duckdb.connect(str(own_env.workspace / "warehouse.duckdb"))
    try:
        raw = con.execute("SELECT id_value, customer_id FROM identifiers WHERE id_type = 'email' "
                          "ORDER BY id_value LIMIT 1").fetchone()
        assert raw is not None
        rows = con.execute("SELECT id_value FROM identifiers WHERE id_type = 'email'").fetchall()
        for (v,) in rows:  # hash the e-mails as a workspace without keep_pii stores them
            con.execute("UPDATE identifiers SET id_value = ? WHERE id_type = 'email' AND id_value = ?",
                        [email_key(v, False, ""), v])
    finally:
        con.close()
    typed = "  " + raw[0].upper() + " "  # as a person types it
    with caplog.at_level(logging.DEBUG):
        items = own_env.client.get("/api/v1/customers", params={"q": typed}, headers=own_env.headers("viewer")).json()
        assert [i["customer_id"] for i in items["items"]] == [raw[1]]
        page = own_env.client.get("/customers", params={"q": typed}, headers=own_env.headers("viewer"))
        assert raw[1] in page.text
    assert raw[0] not in caplog.text.lower() and raw[0].upper() not in caplog.text
    # uvicorn's access-log record goes through the redaction filter the app installed
    rec = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                            ("127.0.0.1:5000", "GET", f"/customers?q={raw[0]}&segment=A", "1.1", 200), None)
    for f in logging.getLogger("uvicorn.access").filters:
        f.filter(rec)  # type: ignore[union-attr]
    assert raw[0] not in rec.getMessage() and "q=[redacted]&segment=A" in rec.getMessage()


# ---------------------------------------------------------------------------------------- busy and HSTS
def test_html_pages_say_busy_with_retry_after_during_a_load(own_env: Env) -> None:
    c = client(own_env)
    login(c, "viewer")
    own_env.app.state.ctx.warehouse.close()  # type: ignore[attr-defined]
    with writer_process(own_env.workspace / "warehouse.duckdb"):
        for path in ("/", "/channels", "/mix", "/budget", "/customers", "/data"):
            r = c.get(path, params={"lang": "en"})
            assert r.status_code == 503 and r.headers["retry-after"] == "2", (path, r.status_code)
            assert "text/html" in r.headers["content-type"] and "Data is being loaded" in r.text
            assert '<meta http-equiv="refresh" content="2">' in r.text
        zh = c.get("/", params={"lang": "zh-CN"})
        assert zh.status_code == 503 and "正在载入数据" in zh.text and "Data is being loaded" not in zh.text
    assert c.get("/").status_code == 200


def test_hsts_only_over_https(env: Env) -> None:
    plain = TestClient(env.app).get("/health")  # type: ignore[arg-type]
    assert "strict-transport-security" not in plain.headers
    tls = TestClient(env.app, base_url="https://testserver").get("/health")  # type: ignore[arg-type]
    assert tls.headers["strict-transport-security"].startswith("max-age=31536000")


def test_one_clock_the_audit_log_shows_workspace_time(own_env: Env) -> None:
    """The app state keeps UTC; the admin page shows it in the workspace's zone (Asia/Shanghai, UTC+8),
    the zone the warehouse's load times are written in."""
    from datetime import UTC, datetime, timedelta

    from omnimix.web.i18n import Formatter

    ctx = own_env.app.state.ctx  # type: ignore[attr-defined]
    assert ctx.config.workspace.timezone == "Asia/Shanghai"
    c = client(own_env)
    login(c, "admin")
    _, rows = ctx.state.audit_log(0, 1, "login")
    ts = rows[0]["ts"]  # naive UTC
    local = (ts.replace(tzinfo=UTC) + timedelta(hours=8)).replace(tzinfo=None)
    page = c.get("/admin", params={"lang": "en"}).text
    assert f"{local:%H:%M}" in page
    fmt = Formatter("en", "CNY", "Asia/Shanghai")
    assert fmt.app_time(datetime(2026, 12, 1, 20, 30)).endswith("04:30")  # next day 04:30 in Shanghai
    assert Formatter("en", "CNY", None).app_time(datetime(2026, 12, 1, 20, 30)).endswith("20:30")
