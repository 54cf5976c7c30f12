"""Every API endpoint: 401 without credentials, 403 for each role below its minimum, success at it."""

from __future__ import annotations

import re
import sys
import types
from typing import Any

import pytest

from omnimix.web.state import ROLES

from .conftest import Env

# (method, path, minimum role, json body, expected status at the minimum role)
ENDPOINTS: list[tuple[str, str, str, Any, int]] = [
    ("GET", "/api/v1/me", "viewer", None, 200),
    ("GET", "/api/v1/workspace/status", "viewer", None, 200),
    ("GET", "/api/v1/data/loads", "viewer", None, 200),
    ("GET", "/api/v1/data/quarantine", "viewer", None, 200),
    ("GET", "/api/v1/kpis", "viewer", None, 200),
    ("GET", "/api/v1/kpis/trend", "viewer", None, 200),
    ("GET", "/api/v1/kpis/funnel", "viewer", None, 200),
    ("GET", "/api/v1/kpis/channels", "viewer", None, 200),
    ("GET", "/api/v1/customers", "viewer", None, 200),
    ("GET", "/api/v1/customers/{customer_id}", "viewer", None, 200),
    ("GET", "/api/v1/attribution", "viewer", None, 200),
    ("GET", "/api/v1/mmm/channels", "viewer", None, 200),
    ("GET", "/api/v1/review", "viewer", None, 200),
    ("GET", "/api/v1/mmm/diagnostics", "viewer", None, 200),
    ("GET", "/api/v1/mmm/response-curves", "viewer", None, 200),
    ("GET", "/api/v1/clv/segments", "viewer", None, 200),
    ("GET", "/api/v1/experiments", "viewer", None, 200),
    ("GET", "/api/v1/clv/customers", "viewer", None, 200),
    ("POST", "/api/v1/optimizer/runs", "analyst", {"budget": 100000, "reserve": 0.1}, 202),
    ("GET", "/api/v1/optimizer/runs", "viewer", None, 200),
    ("GET", "/api/v1/optimizer/runs/{job_id}", "viewer", None, 200),
    ("GET", "/api/v1/scenarios", "viewer", None, 200),
    ("POST", "/api/v1/scenarios", "analyst", "SAVE", 201),
    ("GET", "/api/v1/scenarios/compare", "viewer", None, 200),
    ("GET", "/api/v1/scenarios/{scenario_id}", "viewer", None, 200),
    ("PATCH", "/api/v1/scenarios/{scenario_id}", "analyst", {"shared": True}, 200),
    ("DELETE", "/api/v1/scenarios/{scenario_id}", "analyst", None, 200),
    ("GET", "/api/v1/export/{dataset}", "analyst", None, 200),
    ("GET", "/api/v1/users", "admin", None, 200),
    ("POST", "/api/v1/users", "admin", "NEWUSER", 201),
    ("PATCH", "/api/v1/users/{username}", "admin", {"role": "analyst"}, 200),
    ("DELETE", "/api/v1/users/{username}", "admin", None, 200),
    ("GET", "/api/v1/tokens", "admin", None, 200),
    ("POST", "/api/v1/tokens", "admin", {"name": "machine"}, 201),
    ("DELETE", "/api/v1/tokens/{token_id}", "admin", None, 200),
    ("GET", "/api/v1/audit", "admin", None, 200),
    ("GET", "/api/v1/settings", "viewer", None, 200),
    ("PUT", "/api/v1/settings", "admin", {"default_range_days": 90}, 200),
]


def fake_optimizer(curves: Any, budget: float, reserve: float, objective: str, **_kw: Any) -> dict[str, Any]:
    """Equal split of the usable budget: enough to exercise the job plumbing."""
    chans = sorted(curves.channels)  # the job passes ResponseCurves (with draws) and the guardrails
    usable = budget * (1 - reserve)
    return {
        "allocation": {c: usable / len(chans) for c in chans},
        "reserve": budget * reserve,
        "expected_kpi": 1.0,
        "marginal_roi": {c: 1.0 for c in chans},
    }


@pytest.fixture(autouse=True)
def _optimizer(monkeypatch: pytest.MonkeyPatch) -> None:
    mod = types.ModuleType("omnimix.optimize")
    mod.optimize_curves = fake_optimizer  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "omnimix.optimize", mod)


def _fill(env: Env, method: str, path: str, body: Any) -> tuple[str, Any]:
    """Concrete URL and body for a templated endpoint (creating what it needs)."""
    c = env.client
    admin = env.headers("admin")
    analyst = env.headers("analyst")
    if "{job_id}" in path or "{scenario_id}" in path or body == "SAVE" or path.endswith("/compare"):
        job = c.post(
            "/api/v1/optimizer/runs", json={"budget": 50000, "name": "matrix"}, headers=analyst
        ).json()
        env.app.state.ctx.jobs.wait(job["id"])  # type: ignore[attr-defined]
        if "{job_id}" in path:
            return path.replace("{job_id}", job["id"]), body
        if body == "SAVE":
            return path, {"job_id": job["id"], "name": "saved"}
        sc = c.post("/api/v1/scenarios", json={"job_id": job["id"], "shared": True}, headers=analyst).json()
        if path.endswith("/compare"):
            return path + f"?id={sc['id']}", body
        return path.replace("{scenario_id}", str(sc["id"])), body
    if "{customer_id}" in path:
        return path.replace("{customer_id}", "C00001"), body
    if "{dataset}" in path:
        return path.replace("{dataset}", "channels"), body
    if "{username}" in path:
        name = f"u{abs(hash((method, path))) % 10**8}"
        c.post("/api/v1/users", json={"username": name, "password": "longenough1"}, headers=admin)
        return path.replace("{username}", name), body
    if "{token_id}" in path:
        tok = c.post("/api/v1/tokens", json={"name": "x"}, headers=admin).json()
        return path.replace("{token_id}", str(tok["id"])), body
    if body == "NEWUSER":
        n = len(env.app.state.ctx.state.list_users())  # type: ignore[attr-defined]
        return path, {"username": f"new{n}", "password": "longenough1", "role": "viewer"}
    return path, body


def test_matrix_covers_every_api_route(env: Env) -> None:
    spec = env.client.get("/openapi.json").json()
    routes = {
        (m.upper(), path) for path, ops in spec["paths"].items() if path.startswith("/api/") for m in ops
    }
    listed = {(m, p) for m, p, *_ in ENDPOINTS}
    assert routes == listed


@pytest.mark.parametrize(
    ("method", "path", "min_role", "body", "ok"), ENDPOINTS, ids=[f"{m} {p}" for m, p, *_ in ENDPOINTS]
)
def test_access(env: Env, method: str, path: str, min_role: str, body: Any, ok: int) -> None:
    url, payload = _fill(env, method, path, body)
    c = env.client
    # no credentials, a bogus token, a forged cookie: 401 with the error body
    for headers, cookies in (
        ({}, {}),
        ({"Authorization": "Bearer omx_bogus"}, {}),
        ({}, {"omx_session": "x.y.z"}),
    ):
        c.cookies.clear()
        for k, v in cookies.items():
            c.cookies.set(k, v)
        r = c.request(method, url, json=payload, headers=headers)
        assert r.status_code == 401, (url, r.text)
        err = r.json()["error"]
        assert err["status"] == 401 and err["code"] == "unauthorized" and err["message"]
        assert r.headers["www-authenticate"] == "Bearer"
    c.cookies.clear()
    rank = ROLES.index(min_role)
    for role in ROLES[:rank]:
        r = c.request(method, url, json=payload, headers=env.headers(role))
        assert r.status_code == 403, (role, url, r.text)
        assert r.json()["error"]["code"] == "forbidden"
    r = c.request(method, url, json=payload, headers=env.headers(min_role))
    assert r.status_code == ok, (min_role, url, r.text)


def test_health_and_openapi_are_public(env: Env) -> None:
    c = env.client
    assert c.get("/health").json() == {"status": "ok", "version": "0.1.0"}
    spec = c.get("/openapi.json").json()
    assert "/api/v1/kpis" in spec["paths"]
    assert spec["paths"]["/health"]["get"]["security"] == []
    assert spec["paths"]["/api/v1/kpis"]["get"]["security"] == [{"bearer": []}, {"session": []}]


def test_unknown_api_path_needs_auth_then_404(env: Env) -> None:
    r = env.client.get("/api/v1/nope")
    assert r.status_code == 401
    r = env.client.get("/api/v1/nope", headers=env.headers("viewer"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_validation_errors_use_the_error_body(env: Env) -> None:
    r = env.client.get("/api/v1/kpis?start=2026-13-01", headers=env.headers("viewer"))
    assert r.status_code == 422
    err = r.json()["error"]
    assert (
        err["code"] == "invalid_request"
        and "start" in err["message"]
        and err["details"][0]["loc"][-1] == "start"
    )
    r = env.client.get("/api/v1/kpis?start=2026-03-01&end=2026-02-01", headers=env.headers("viewer"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_range"
    r = env.client.get("/api/v1/data/loads?limit=0", headers=env.headers("viewer"))
    assert r.status_code == 422


def test_pages_redirect_to_login_without_session(env: Env) -> None:
    c = env.client
    c.cookies.clear()
    for path in (
        "/",
        "/channels",
        "/mix",
        "/budget",
        "/customers",
        "/customers/C00001",
        "/data",
        "/admin",
        "/does-not-exist",
    ):
        r = c.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/login?next=")
    # a token is for machines: pages accept it too (it is a valid credential) but a bogus one redirects
    r = c.get("/", headers={"Authorization": "Bearer omx_bogus"}, follow_redirects=False)
    assert r.status_code == 303
    r = c.post(
        "/admin/users", data={"username": "x", "password": "y" * 9, "role": "admin"}, follow_redirects=False
    )
    assert r.status_code == 303


def test_static_assets_are_served_without_auth(env: Env) -> None:
    r = env.client.get("/static/plotly.min.js")
    assert r.status_code == 200 and len(r.content) > 1_000_000 and b"plotly" in r.content[:2000].lower()
    assert env.client.get("/static/omnimix.css").status_code == 200
    assert re.search(r"default-src 'self'", env.client.get("/health").headers["content-security-policy"])


def test_settings_change_default_range_and_language(env: Env) -> None:
    admin = env.headers("admin")
    try:
        r = env.client.put(
            "/api/v1/settings", json={"default_range_days": 30, "default_locale": "en"}, headers=admin
        )
        assert r.json()["default_range_days"] == 30 and r.json()["default_locale"] == "en"
        k = env.client.get("/api/v1/kpis", headers=env.headers("viewer")).json()
        assert (k["start"], k["end"]) == ("2026-04-01", "2026-04-30")
        log = env.client.get("/api/v1/audit?action=settings", headers=admin).json()["items"]
        assert "default_range_days=30" in log[0]["detail"]
    finally:
        env.client.put(
            "/api/v1/settings", json={"default_range_days": 90, "default_locale": "zh-CN"}, headers=admin
        )
    k = env.client.get("/api/v1/kpis", headers=env.headers("viewer")).json()
    assert (k["start"], k["end"]) == ("2026-01-31", "2026-04-30")
