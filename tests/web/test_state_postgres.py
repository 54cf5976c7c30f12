"""The app state on PostgreSQL. Runs when ``OMNIMIX_TEST_POSTGRES_URL`` names a database it may write
(e.g. ``postgresql+psycopg://omx@127.0.0.1:55432/omnimix``) and a driver is installed; skipped otherwise."""

from __future__ import annotations

import os
import uuid
import warnings
from pathlib import Path

import pytest

from omnimix.web.state import AppState

URL = os.environ.get("OMNIMIX_TEST_POSTGRES_URL", "")
pytestmark = pytest.mark.skipif(not URL, reason="set OMNIMIX_TEST_POSTGRES_URL to run against PostgreSQL")


def test_state_round_trip_on_postgres() -> None:
    st = AppState(URL)
    name = "pg" + uuid.uuid4().hex[:8]
    st.add_user(name, "pg-password-1", "analyst")
    assert st.authenticate(name, "pg-password-1") is not None
    tid, tok = st.create_token(name, "bot")
    user = st.resolve_token(tok)
    assert user is not None and user.username == name and user.role == "analyst"
    sc = st.save_scenario("plan", name, {"budget": 1.0}, {"allocation": {"a": 1.0}}, shared=False)
    assert st.get_scenario(sc["id"])["result"] == {"allocation": {"a": 1.0}}  # type: ignore[index]
    st.set_setting("default_range_days", "30")
    assert st.settings()["default_range_days"] == "30"
    st.audit(name, "export", "channels", "rows=4")
    total, rows = st.audit_log(0, 5, "export")
    assert total >= 1 and rows[0]["actor"] == name
    assert st.revoke_token(tid) and st.resolve_token(tok) is None
    sid, csrf = st.create_session(st.get_user(name).id, "127.0.0.1")  # type: ignore[union-attr]
    found = st.resolve_session(sid)
    assert found is not None and found[0].username == name and found[1] == csrf
    assert st.revoke_session(sid) and st.resolve_session(sid) is None
    from omnimix.web.throttle import LoginThrottle, ThrottlePolicy

    th = LoginThrottle(st, ThrottlePolicy(account_limit=3, backoff_after=100))
    assert [th.failed(name, "10.9.9.9").allowed for _ in range(3)] == [True, True, False]
    assert th.check(name, "10.9.9.9").reason == "locked"
    th.unlock(username=name, ip="10.9.9.9")
    sid2, _ = st.create_session(st.get_user(name).id)  # type: ignore[union-attr]
    st.delete_scenario(sc["id"])
    st.remove_user(name)
    assert st.get_user(name) is None and st.resolve_session(sid2) is None


def test_app_on_postgres_state(sample_ws: Path) -> None:
    from omnimix.web.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    app = create_app(sample_ws, URL)
    st = app.state.ctx.state
    name = "pgv" + uuid.uuid4().hex[:8]
    st.add_user(name, "pg-password-1", "viewer")
    _, tok = st.create_token(name, "t")
    with TestClient(app) as c:
        r = c.get("/api/v1/kpis", headers={"Authorization": f"Bearer {tok}"})
        assert r.status_code == 200 and r.json()["spend"] > 0
        assert c.get("/api/v1/users", headers={"Authorization": f"Bearer {tok}"}).status_code == 403
    st.remove_user(name)
