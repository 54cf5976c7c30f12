"""Login, sessions, CSRF, tokens, roles, audit log and PII masking."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from omnimix.web.auth import SessionSigner
from omnimix.web.state import AppState

from .conftest import PASSWORDS, Env, login

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def fresh(env: Env) -> TestClient:
    return TestClient(env.app)  # type: ignore[arg-type]


def test_login_logout_and_audit(env: Env) -> None:
    c = fresh(env)
    r = c.get("/budget", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fbudget"
    csrf = login(c, "viewer")
    assert c.get("/api/v1/me").json() == {"username": "viewer", "role": "viewer", "via": "session"}
    page = c.get("/")
    assert page.status_code == 200 and 'data-nav="admin"' not in page.text
    r = c.post("/logout", data={"csrf_token": "wrong"}, follow_redirects=False)
    assert r.status_code == 403
    r = c.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert c.get("/api/v1/me").status_code == 401
    log = env.client.get("/api/v1/audit?limit=20", headers=env.headers("admin")).json()["items"]
    actions = [(a["action"], a["actor"]) for a in log]
    assert ("logout", "viewer") in actions and ("login", "viewer") in actions


def test_failed_logins_are_audited_and_generic(env: Env) -> None:
    c = fresh(env)
    page = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    for user, pw in (("viewer", "wrong-password"), ("nobody", "whatever-pw")):
        r = c.post(
            "/login", data={"username": user, "password": pw, "csrf_token": token}, follow_redirects=False
        )
        assert r.status_code == 303 and "error=1" in r.headers["location"]
    assert c.get("/login?error=1&lang=en").text.count("Wrong username or password.") == 1
    # a login without the pre-login CSRF cookie is refused even with the right password
    c2 = fresh(env)
    r = c2.post(
        "/login",
        data={"username": "viewer", "password": PASSWORDS["viewer"], "csrf_token": token},
        follow_redirects=False,
    )
    assert "error=1" in r.headers["location"] and c2.get("/api/v1/me").status_code == 401
    log = env.client.get("/api/v1/audit?action=login_failed", headers=env.headers("admin")).json()["items"]
    details = {(a["actor"], a["detail"]) for a in log}
    assert ("viewer", "wrong username or password") in details and (
        "nobody",
        "wrong username or password",
    ) in details
    assert ("viewer", "bad CSRF token") in details


def test_open_redirect_is_blocked(env: Env) -> None:
    c = fresh(env)
    page = c.get("/login?next=//evil.example.com/")
    assert 'name="next" value="/"' in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = c.post(
        "/login",
        data={
            "username": "viewer",
            "password": PASSWORDS["viewer"],
            "csrf_token": token,
            "next": "https://evil.example.com/",
        },
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"


def test_session_api_writes_need_csrf_header(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    c = fresh(env)
    csrf = login(c, "admin")
    body = {"username": "csrfcheck", "password": "long-enough-1", "role": "viewer"}
    r = c.post("/api/v1/users", json=body)
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf"
    r = c.post("/api/v1/users", json=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201
    # tokens need no CSRF header
    r = env.client.delete("/api/v1/users/csrfcheck", headers=env.headers("admin"))
    assert r.status_code == 200


def test_admin_forms_need_csrf_and_are_audited(env: Env) -> None:
    c = fresh(env)
    csrf = login(c, "admin")
    r = c.post("/admin/users", data={"username": "formuser", "password": "form-pass-1", "role": "viewer"})
    assert r.status_code == 403
    r = c.post(
        "/admin/users",
        data={"username": "formuser", "password": "form-pass-1", "role": "viewer", "csrf_token": csrf},
    )
    assert r.status_code == 200 and "formuser" in r.text
    r = c.post("/admin/users/formuser/role", data={"role": "analyst", "csrf_token": csrf})
    assert r.status_code == 200
    assert env.app.state.ctx.state.get_user("formuser").role == "analyst"  # type: ignore[attr-defined]
    r = c.post("/admin/tokens", data={"name": "bot", "username": "formuser", "csrf_token": csrf})
    tok = re.search(r"<code>(omx_[^<]+)</code>", r.text).group(1)  # type: ignore[union-attr]
    assert (
        env.client.get("/api/v1/me", headers={"Authorization": f"Bearer {tok}"}).json()["role"] == "analyst"
    )
    r = c.post("/admin/users/formuser/delete", data={"csrf_token": csrf})
    assert r.status_code == 200
    assert env.client.get("/api/v1/me", headers={"Authorization": f"Bearer {tok}"}).status_code == 401
    log = env.client.get("/api/v1/audit?limit=10", headers=env.headers("admin")).json()["items"]
    acts = [(a["action"], a["target"]) for a in log]
    assert ("user_remove", "formuser") in acts and ("role_change", "formuser") in acts
    assert ("user_add", "formuser") in acts
    assert next(a for a in log if a["action"] == "role_change")["detail"] == "viewer -> analyst"


def test_viewer_and_analyst_cannot_open_admin_page(env: Env) -> None:
    for role in ("viewer", "analyst"):
        c = fresh(env)
        login(c, role)
        r = c.get("/admin")
        assert r.status_code == 403
        csrf = re.search(r'<meta name="csrf-token" content="([^"]*)"', c.get("/").text).group(1)  # type: ignore[union-attr]
        r = c.post(
            "/admin/users", data={"username": "x1", "password": "x" * 10, "role": "admin", "csrf_token": csrf}
        )
        assert r.status_code == 403
    assert env.app.state.ctx.state.get_user("x1") is None  # type: ignore[attr-defined]


def test_role_change_via_api_applies_at_once_and_is_audited(env: Env) -> None:
    st = env.app.state.ctx.state  # type: ignore[attr-defined]
    st.add_user("mover", "mover-pass-1", "viewer")
    tok = st.create_token("mover", "t")[1]
    h = {"Authorization": f"Bearer {tok}"}
    assert env.client.get("/api/v1/export/channels", headers=h).status_code == 403
    r = env.client.patch("/api/v1/users/mover", json={"role": "analyst"}, headers=env.headers("admin"))
    assert r.json()["role"] == "analyst"
    assert env.client.get("/api/v1/export/channels", headers=h).status_code == 200
    log = env.client.get("/api/v1/audit?action=role_change", headers=env.headers("admin")).json()["items"]
    assert log[0]["target"] == "mover" and log[0]["detail"] == "viewer -> analyst"
    exp = env.client.get("/api/v1/audit?action=export", headers=env.headers("admin")).json()["items"]
    assert exp[0]["actor"] == "mover" and exp[0]["target"] == "channels"


def test_export_csv(env: Env) -> None:
    r = env.client.get(
        "/api/v1/export/channels?start=2026-02-01&end=2026-02-28", headers=env.headers("analyst")
    )
    assert r.headers["content-type"].startswith("text/csv")
    lines = r.text.strip().splitlines()
    assert lines[0].startswith("channel,spend,impressions,clicks") and len(lines) == 5
    r = env.client.get("/api/v1/export/attribution", headers=env.headers("analyst"))
    assert r.text.splitlines()[0] == "model,channel,conversions,value" and len(r.text.splitlines()) == 13


def test_last_admin_is_protected(env: Env) -> None:
    admins = [
        u
        for u in env.client.get("/api/v1/users", headers=env.headers("admin")).json()["items"]
        if u["role"] == "admin"
    ]
    assert len(admins) == 1
    r = env.client.patch("/api/v1/users/admin", json={"role": "viewer"}, headers=env.headers("admin"))
    assert r.status_code == 409 and "last admin" in r.json()["error"]["message"]
    assert env.client.delete("/api/v1/users/admin", headers=env.headers("admin")).status_code == 409


def test_token_revocation_is_immediate(env: Env) -> None:
    r = env.client.post(
        "/api/v1/tokens", json={"name": "temp", "username": "viewer"}, headers=env.headers("admin")
    )
    tid, tok = r.json()["id"], r.json()["token"]
    h = {"Authorization": f"Bearer {tok}"}
    assert env.client.get("/api/v1/me", headers=h).status_code == 200
    listed = env.client.get("/api/v1/tokens", headers=env.headers("admin")).json()["items"]
    assert all("token" not in t and "digest" not in t for t in listed)
    env.client.delete(f"/api/v1/tokens/{tid}", headers=env.headers("admin"))
    assert env.client.get("/api/v1/me", headers=h).status_code == 401


def test_tampered_or_foreign_session_cookie(env: Env, tmp_path: Path) -> None:
    c = fresh(env)
    login(c, "viewer")
    value = c.cookies.get("omx_session")
    assert value
    c.cookies.set("omx_session", value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
    assert c.get("/api/v1/me").status_code == 401
    forged = SessionSigner("another-secret").dump("x" * 43)
    c.cookies.set("omx_session", forged)
    assert c.get("/api/v1/me").status_code == 401
    # signed with the right key but naming no live session (a guessed or recycled id): refused
    c.cookies.set("omx_session", env.app.state.ctx.signer.dump("x" * 43))  # type: ignore[attr-defined]
    assert c.get("/api/v1/me").status_code == 401


def test_passwords_are_argon2(tmp_path: Path) -> None:
    st = AppState(f"sqlite:///{tmp_path / 'a.db'}")
    st.add_user("u", "secret-pass-1", "viewer")
    from sqlalchemy import select

    from omnimix.web.state import User

    with st.session() as s:
        h = s.scalar(select(User.password_hash))
    assert h is not None and h.startswith("$argon2id$") and "secret-pass-1" not in h
    assert st.authenticate("u", "secret-pass-1") is not None
    assert st.authenticate("u", "secret-pass-2") is None
    with pytest.raises(Exception, match="too short"):
        st.add_user("v", "short", "viewer")
    with pytest.raises(Exception, match="unknown role"):
        st.add_user("v", "long-enough", "root")


def test_pii_masking(env: Env) -> None:
    q_viewer = env.client.get("/api/v1/data/quarantine", headers=env.headers("viewer")).json()
    raws = " ".join(r["raw"] for r in q_viewer["items"])
    assert q_viewer["masked"] is True
    assert "li.wei@example.com" not in raws and "l***@example.com" in raws
    assert "+8613800138000" not in raws and "****8000" in raws
    q_admin = env.client.get("/api/v1/data/quarantine", headers=env.headers("admin")).json()
    assert "li.wei@example.com" in " ".join(r["raw"] for r in q_admin["items"])
    prof = env.client.get("/api/v1/customers/C00003", headers=env.headers("viewer")).json()
    email = next(i for i in prof["identifiers"] if i["id_type"] == "email")
    assert email["id_value"] == "u***@example.com" and prof["pii_revealed"] is False
    # reveal: viewers 403; admins 409 because this workspace does not keep raw PII
    r = env.client.get("/api/v1/customers/C00003?reveal=true", headers=env.headers("viewer"))
    assert r.status_code == 403
    r = env.client.get("/api/v1/customers/C00003?reveal=true", headers=env.headers("admin"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "pii_not_kept"
    assert env.client.get("/api/v1/customers/nobody", headers=env.headers("viewer")).status_code == 404


def test_admin_reveals_raw_identifiers_where_pii_is_kept(tmp_path: Path) -> None:
    from omnimix.config import Config, PIISection, render_config

    from .conftest import make_env
    from .sample import build_sample_workspace

    ws = build_sample_workspace(tmp_path / "ws", with_results=False, users=20)
    (ws / "omnimix.toml").write_text(render_config(Config(pii=PIISection(keep_pii=True))), encoding="utf-8")
    gen = make_env(ws)
    e = next(gen)
    try:
        cid = e.client.get("/api/v1/customers?limit=1", headers=e.headers("viewer")).json()["items"][0][
            "customer_id"
        ]
        prof = e.client.get(f"/api/v1/customers/{cid}?reveal=true", headers=e.headers("admin")).json()
        email = next(i for i in prof["identifiers"] if i["id_type"] == "email")
        assert prof["pii_revealed"] is True and email["id_value"] == f"user{int(cid[1:])}@example.com"
        log = e.client.get("/api/v1/audit?action=reveal_pii", headers=e.headers("admin")).json()["items"]
        assert log[0]["target"] == cid and log[0]["actor"] == "admin"
        assert (
            e.client.get(f"/api/v1/customers/{cid}?reveal=true", headers=e.headers("analyst")).status_code
            == 403
        )
    finally:
        gen.close()
