"""The web on the one door: a renamed warehouse file, the registry from the schema, curves as objects,
admin actions audited with the client IP from forms and API alike, and the module layout."""

from __future__ import annotations

import ast
import sys
import types
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from omnimix.config import Config, WorkspaceSection
from omnimix.curves import ResponseCurves
from omnimix.schema import RESULTS as SCHEMA_RESULTS
from omnimix.web.queries.results import read_curves, response_curves
from omnimix.web.registry import RESULTS
from omnimix.web.warehouse import Warehouse
from omnimix.workspace import Workspace

from .conftest import Env, login, make_env
from .sample import build_sample_workspace

WEB = Path(__file__).resolve().parents[2] / "src" / "omnimix" / "web"


def test_a_renamed_warehouse_file_is_served_and_no_default_file_appears(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = Config(workspace=WorkspaceSection(warehouse="marketing.duckdb"))
    ws = build_sample_workspace(tmp_path / "ws", config=cfg, users=40, days=60)
    assert (ws / "marketing.duckdb").is_file() and not (ws / "warehouse.duckdb").exists()
    spend = Workspace.of(ws).read("spend")
    want = spend[(spend["date"] >= pd.Timestamp(2026, 2, 1)) & (spend["date"] <= pd.Timestamp(2026, 2, 28))]

    mod = types.ModuleType("omnimix.optimize")
    mod.optimize_curves = lambda c, b, r, o, **_kw: {  # type: ignore[attr-defined]
        "allocation": {k: b * (1 - r) / len(c.channels) for k in c.channels},  # c: the ResponseCurves
        "reserve": b * r,
        "expected_kpi": 1.0,
        "marginal_roi": {k: 1.0 for k in c.channels},
    }
    monkeypatch.setitem(sys.modules, "omnimix.optimize", mod)
    gen = make_env(ws)
    env = next(gen)
    try:
        h = env.headers("viewer")
        r = env.client.get("/api/v1/kpis?start=2026-02-01&end=2026-02-28", headers=h)
        assert r.status_code == 200, r.text
        assert r.json()["spend"] == pytest.approx(want["spend"].sum()) and r.json()["spend"] > 0
        st = env.client.get("/api/v1/workspace/status", headers=h).json()
        assert st["exists"] is True and st["warehouse"].endswith("marketing.duckdb")
        assert env.client.get("/api/v1/mmm/response-curves", headers=h).json()["computed"] is True
        run = env.client.post("/api/v1/optimizer/runs", json={"budget": 1000}, headers=env.headers("analyst"))
        job = env.app.state.ctx.jobs.wait(run.json()["id"])  # type: ignore[attr-defined]
        assert job.status == "succeeded", job.error
        c = env.client
        login(c, "viewer")
        for page in ("/", "/channels", "/mix", "/budget", "/customers", "/data"):
            assert c.get(page).status_code == 200, page
    finally:
        gen.close()
    assert not (ws / "warehouse.duckdb").exists()


def test_registry_is_the_schemas_result_tables() -> None:
    by_table = {r.table: r for r in RESULTS.values()}
    assert set(by_table) == {t.name for t in SCHEMA_RESULTS.values() if t.kind == "result"}
    for t in SCHEMA_RESULTS.values():
        assert by_table[t.name].columns == tuple(t.column_names)
        assert by_table[t.name].command == t.written_by
    assert RESULTS["attribution"].table == "attribution_results" and RESULTS["clv"].table == "clv_customers"


def test_curves_are_read_as_response_curves_with_their_draws(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    draws = 50
    truth = ResponseCurves.from_params(
        ["search", "social"],
        ["hill", "logistic"],
        beta=rng.uniform(900, 1100, (draws, 2)),
        half_saturation=rng.uniform(400, 600, (draws, 2)),
        slope=rng.uniform(1.2, 1.8, (draws, 2)),
        lam=rng.uniform(0.002, 0.004, (draws, 2)),
        current_spend=[500.0, 300.0],
    )
    ws = Workspace.init(tmp_path / "ws")
    curves_df, draws_df = truth.to_frames()
    with ws.writer() as w:
        w.write("response_curves", curves_df)
        w.write("response_curve_draws", draws_df)
    wh = Warehouse(ws, idle_close_s=0.2)
    try:
        rc = read_curves(wh)
        assert rc.channels == ("search", "social") and rc.n_draws == draws
        np.testing.assert_allclose(rc.beta, truth.beta)
        out = response_curves(wh, points=5)
        assert out["computed"] is True and out["draws"] == draws
        search = out["items"][0]
        assert search["error"] is None and search["x"][-1] == pytest.approx(2.5 * 500.0)
        np.testing.assert_allclose(search["y"], truth.response(np.array(search["x"]), channel=0))
        assert search["y_current"] == pytest.approx(float(truth.response([500.0], channel=0)[0]))
        assert all(lo < y < hi for lo, y, hi in zip(search["y_lo"][1:], search["y"][1:], search["y_hi"][1:],
                                                     strict=True))
    finally:
        wh.close()


def test_a_curve_row_missing_a_parameter_is_reported_not_guessed(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    ws.write("response_curves", pd.DataFrame([
        {"channel": "a", "type": "hill", "beta": 10.0, "half_saturation": None, "slope": 1.0, "current_spend": 5.0},
        {"channel": "b", "type": "logistic", "beta": 10.0, "lam": 0.1, "current_spend": 5.0},
    ]))
    wh = Warehouse(ws, idle_close_s=0.2)
    try:
        items = {r["channel"]: r for r in response_curves(wh, 3)["items"]}
        assert "half_saturation" in items["a"]["error"] and items["a"]["y"] == []
        assert items["b"]["error"] is None and items["b"]["y"][0] == 0.0 and items["b"]["y"][2] > 0
        with pytest.raises(Exception, match="hill curve of a needs half_saturation"):
            read_curves(wh)
    finally:
        wh.close()


def _audit(env: Env, action: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = env.client.get(
        f"/api/v1/audit?action={action}", headers=env.headers("admin")
    ).json()["items"]
    return rows


def test_admin_api_actions_record_the_client_ip(env: Env) -> None:
    a = env.headers("admin")
    c = env.client
    assert c.post("/api/v1/users", json={"username": "ipcheck", "password": "ipcheck-pass"}, headers=a).status_code == 201
    assert c.patch("/api/v1/users/ipcheck", json={"role": "analyst"}, headers=a).status_code == 200
    tok = c.post("/api/v1/tokens", json={"name": "bot", "username": "ipcheck"}, headers=a).json()
    assert c.delete(f"/api/v1/tokens/{tok['id']}", headers=a).status_code == 200
    assert c.delete("/api/v1/users/ipcheck", headers=a).status_code == 200
    assert c.put("/api/v1/settings", json={"default_range_days": 90}, headers=a).status_code == 200
    for action, target in (("user_add", "ipcheck"), ("role_change", "ipcheck"), ("token_create", f"token:{tok['id']}"),
                           ("token_revoke", f"token:{tok['id']}"), ("user_remove", "ipcheck"), ("settings", "")):
        row = _audit(env, action)[0]
        assert (row["actor"], row["target"], row["ip"]) == ("admin", target, "testclient"), action
    assert c.patch("/api/v1/users/nobody", json={"role": "analyst"}, headers=a).status_code == 404
    assert c.delete("/api/v1/tokens/999999", headers=a).status_code == 404


def test_admin_forms_and_api_write_the_same_audit_row(env: Env) -> None:
    from fastapi.testclient import TestClient

    c = TestClient(env.app)  # type: ignore[arg-type]
    csrf = login(c, "admin")
    r = c.post("/admin/users", data={"username": "formip", "password": "formip-pass", "role": "viewer",
                                      "csrf_token": csrf})
    assert r.status_code == 200
    form_row = _audit(env, "user_add")[0]
    env.client.delete("/api/v1/users/formip", headers=env.headers("admin"))
    env.client.post("/api/v1/users", json={"username": "formip", "password": "formip-pass"},
                    headers=env.headers("admin"))
    api_row = _audit(env, "user_add")[0]
    keys = ("actor", "action", "target", "detail", "ip")
    assert [form_row[k] for k in keys] == [api_row[k] for k in keys] == [
        "admin", "user_add", "formip", "role=viewer", "testclient"]


def _imports(path: Path) -> set[str]:
    """Every omnimix module ``path`` imports, at any depth (functions and TYPE_CHECKING blocks too)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return {m for m in out if m.startswith("omnimix.")}


def test_web_modules_are_small_and_import_no_cycle() -> None:
    mods: dict[str, Path] = {}
    for p in WEB.rglob("*.py"):
        parts = ("omnimix", *p.relative_to(WEB.parent).with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        mods[name] = p
        assert len(p.read_text(encoding="utf-8").splitlines()) <= 700, p
    graph = {m: {t for t in _imports(p) if t in mods and t != m} for m, p in mods.items()}

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = list(graph[start])
        while todo:
            m = todo.pop()
            if m not in seen:
                seen.add(m)
                todo += graph.get(m, ())
        return seen

    cycles = sorted(m for m in graph if m in reach(m))
    assert cycles == []
    assert "omnimix.web.state" not in reach("omnimix.web.security")
    assert "omnimix.web.auth" not in reach("omnimix.web.state")
    assert not (WEB / "queries.py").exists() and not (WEB / "routers" / "pages.py").exists()
    assert not (WEB / "sample.py").exists()  # the sample workspace lives in tests/web/sample.py


def test_no_hard_coded_warehouse_file_in_web() -> None:
    for p in WEB.rglob("*.py"):
        assert "warehouse.duckdb" not in p.read_text(encoding="utf-8"), p


def test_warehouse_pool_opens_through_the_workspace(sample_ws: Path) -> None:
    wh = Warehouse(sample_ws, idle_close_s=0.2)
    try:
        assert wh.path == Workspace.of(sample_ws).warehouse_path
        assert wh.count("spend") == len(Workspace.of(sample_ws).read("spend")) > 0
        assert wh.frame("SELECT min(date) AS d FROM spend")["d"].iloc[0].date() == date(2026, 1, 1)
    finally:
        wh.close()
