"""Optimizer jobs (with omnimix.optimize.optimize_curves monkeypatched) and saved scenarios."""

from __future__ import annotations

import html
import json
import re
import sys
import types
from typing import Any

import pytest

from omnimix.curves import curves_from_dict
from omnimix.errors import OmnimixError
from omnimix.web.jobs import ScenarioSpec, optimizer_job

from .conftest import Env, login

CALLS: list[dict[str, Any]] = []


def proportional(curves: Any, budget: float, reserve: float, objective: str, **kw: Any) -> dict[str, Any]:
    """Allocation proportional to beta, clipped to min/max (a deterministic stand-in optimizer)."""
    CALLS.append({"curves": curves.to_dict(), "budget": budget, "reserve": reserve, "objective": objective, **kw})
    ch = curves.to_dict()["channels"]
    bounds = kw.get("bounds") or {}
    usable = budget * (1 - reserve)
    tot = sum(c["beta"] for c in ch.values())
    alloc = {
        k: min(max(usable * c["beta"] / tot, bounds.get(k, {}).get("min", 0.0)),
               bounds.get(k, {}).get("max", float("inf")))
        for k, c in ch.items()
    }
    return {
        "allocation": alloc,
        "reserve": budget * reserve,
        "expected_kpi": 123.5,
        "marginal_roi": {k: 0.5 for k in ch},
    }


@pytest.fixture
def optimizer(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    mod = types.ModuleType("omnimix.optimize")
    mod.optimize_curves = proportional  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "omnimix.optimize", mod)
    CALLS.clear()
    return CALLS


def run(env: Env, spec: dict[str, Any], role: str = "analyst") -> dict[str, Any]:
    r = env.client.post("/api/v1/optimizer/runs", json=spec, headers=env.headers(role))
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] in ("queued", "running", "succeeded")
    env.app.state.ctx.jobs.wait(job["id"])  # type: ignore[attr-defined]
    return env.client.get(f"/api/v1/optimizer/runs/{job['id']}", headers=env.headers("viewer")).json()


def test_run_passes_curves_bounds_and_returns_result(env: Env, optimizer: list[dict[str, Any]]) -> None:
    job = run(
        env,
        {
            "name": "plan A",
            "budget": 100000,
            "reserve": 0.2,
            "objective": "profit",
            "channels": {"email": {"min": 5000, "max": 6000}, "douyin": {"max": 1000}},
        },
    )
    assert job["status"] == "succeeded" and job["progress"] == 1.0 and job["stage"] == "done"
    call = optimizer[-1]
    assert call["budget"] == 100000 and call["reserve"] == 0.2 and call["objective"] == "profit"
    ch = call["curves"]["channels"]
    assert set(ch) == {"baidu", "douyin", "email", "wechat"}
    assert call["bounds"] == {"email": {"min": 5000, "max": 6000}, "douyin": {"max": 1000}}
    assert call["guardrails"] is True and call["release"] == [] and call["channel_status"] == {}
    assert ch["douyin"]["type"] == "logistic" and "lam" in ch["douyin"] and "slope" not in ch["douyin"]
    assert ch["wechat"]["type"] == "hill" and ch["wechat"]["half_saturation"] == 24000.0
    res = job["result"]
    assert res["allocation"]["douyin"] == 1000 and 5000 <= res["allocation"]["email"] <= 6000
    assert res["reserve"] == pytest.approx(20000) and res["expected_kpi"] == 123.5
    assert res["current"]["wechat"] == 24000.0 and res["seconds"] >= 0


def test_invalid_specs_are_422(env: Env, optimizer: list[dict[str, Any]]) -> None:
    h = env.headers("analyst")
    for bad in (
        {"budget": -1},
        {"budget": 10, "reserve": 0.95},
        {"budget": 10, "objective": "fun"},
        {"budget": 10, "channels": {"email": {"min": 5, "max": 1}}},
    ):
        r = env.client.post("/api/v1/optimizer/runs", json=bad, headers=h)
        assert r.status_code == 422, bad
        assert r.json()["error"]["code"] == "invalid_request"


def test_impossible_requests_are_refused_with_error_codes(
    env: Env, optimizer: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    h = env.headers("analyst")

    def post(spec: dict[str, Any]) -> dict[str, Any]:
        r = env.client.post("/api/v1/optimizer/runs", json=spec, headers=h)
        return {"status": r.status_code, **r.json()["error"]}

    e = post({"budget": 1000, "channels": {"tv": {"min": 1}}})
    assert (e["status"], e["code"]) == (422, "unknown_channel") and "response curve" in e["message"]
    assert e["details"]["channels"] == ["tv"] and "email" in e["details"]["known"]
    e = post({"budget": 1000, "reserve": 0.5, "channels": {"email": {"min": 900}}})
    assert (e["status"], e["code"]) == (422, "minimums_exceed_budget") and "minimums add up to 900.00" in e["message"]
    assert e["details"]["minimums"] == 900 and e["details"]["usable"] == 500
    e = post({"budget": 1000, "period": "year"})
    assert (e["status"], e["code"]) == (422, "invalid_request") and e["details"][0]["loc"][-1] == "period"
    e = post({"budget": 1000, "reserve": 10})  # a percentage sent as a fraction's field
    assert (e["status"], e["code"]) == (422, "invalid_request") and e["details"][0]["loc"][-1] == "reserve"
    monkeypatch.setitem(sys.modules, "omnimix.optimize", None)  # import fails
    e = post({"budget": 1000})
    assert (e["status"], e["code"]) == (409, "optimizer_unavailable")
    assert "omnimix.optimize.optimize_curves" in e["message"]
    assert optimizer == []  # nothing reached the optimizer
    r = env.client.post("/api/v1/optimizer/runs", json={"budget": 1000}, headers=env.headers("viewer"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"


def test_a_failing_optimizer_fails_the_job(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    mod = types.ModuleType("omnimix.optimize")

    def infeasible(*_a: Any, **_kw: Any) -> dict[str, Any]:
        raise OmnimixError("no allocation meets the bounds")

    mod.optimize_curves = infeasible  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "omnimix.optimize", mod)
    job = run(env, {"budget": 1000})
    assert job["status"] == "failed" and job["error"] == "no allocation meets the bounds"
    r = env.client.post("/api/v1/scenarios", json={"job_id": job["id"]}, headers=env.headers("analyst"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_finished"


def test_monthly_budget_is_planned_per_week_and_answered_per_month(
    env: Env, optimizer: list[dict[str, Any]]
) -> None:
    weekly = run(env, {"budget": 10000, "reserve": 0.2, "channels": {"email": {"min": 500}}})["result"]
    month = run(env, {"budget": 10000 * 4.3482, "reserve": 0.2, "period": "month",
                      "channels": {"email": {"min": 500 * 4.3482}}})
    call = optimizer[-1]
    assert call["budget"] == pytest.approx(10000) and call["bounds"] == {"email": {"min": pytest.approx(500)}}
    res = month["result"]
    assert month["spec"]["period"] == "month" and res["period"] == "month" and res["weeks_per_period"] == 4.3482
    assert weekly["period"] == "week" and weekly["weeks_per_period"] == 1.0
    for ch, v in weekly["allocation"].items():
        assert res["allocation"][ch] == pytest.approx(v * 4.3482)
        assert res["current"][ch] == pytest.approx(weekly["current"][ch] * 4.3482)
    assert res["reserve"] == pytest.approx(weekly["reserve"] * 4.3482)
    assert res["expected_kpi"] == pytest.approx(weekly["expected_kpi"] * 4.3482)
    assert res["marginal_roi"] == weekly["marginal_roi"]  # ratios are per period alike
    assert res["kpi_unit"] == "currency" and res["currency"] == "CNY"


def test_budget_page_states_period_units_current_kpi_and_reserve_in_percent(env: Env) -> None:
    c = env.client
    login(c, "analyst")
    for lang, week, month, unit in (("en", "per week", "per month", "revenue, CNY"),
                                    ("zh-CN", "每周", "每月", "收入，CNY")):
        page = c.get(f"/budget?lang={lang}").text
        assert f'<option value="week" selected>{week}</option><option value="month">{month}</option>' in page
        assert "4.3482" in page  # the month's length in weeks is stated
        assert f'<span class="kpi-of">KPI（{unit}，{week}）</span>' in page if lang == "zh-CN" else \
            f'<span class="kpi-of">KPI ({unit}, {week})</span>' in page
        now = re.search(r'id="now-kpi" data-value="([^"]+)">([^<]+)</b>', page)
        assert now is not None and now.group(2).startswith("¥" if lang == "zh-CN" else "CN¥")
        assert 'id="s-reserve" type="number" min="0" max="89"' in page and 'value="10"' in page
        assert 'data-kpi-unit="currency"' in page and '"error.minimums_exceed_budget"' in page


def test_scenarios_save_share_compare_delete(env: Env, optimizer: list[dict[str, Any]]) -> None:
    c = env.client
    a, v, ad = env.headers("analyst"), env.headers("viewer"), env.headers("admin")
    j1 = run(env, {"name": "small", "budget": 50000})
    j2 = run(env, {"name": "big", "budget": 150000})
    s1 = c.post("/api/v1/scenarios", json={"job_id": j1["id"]}, headers=a).json()
    s2 = c.post(
        "/api/v1/scenarios", json={"job_id": j2["id"], "name": "big plan", "shared": True}, headers=a
    ).json()
    assert s1["name"] == "small" and s1["owner"] == "analyst" and s1["shared"] is False
    assert s1["result"]["allocation"] == j1["result"]["allocation"]
    # the viewer sees only the shared one; the admin sees both
    assert {s["id"] for s in c.get("/api/v1/scenarios", headers=v).json()["items"]} >= {s2["id"]}
    assert s1["id"] not in {s["id"] for s in c.get("/api/v1/scenarios", headers=v).json()["items"]}
    assert c.get(f"/api/v1/scenarios/{s1['id']}", headers=v).status_code == 404
    assert c.get(f"/api/v1/scenarios/{s1['id']}", headers=ad).status_code == 200
    # share it
    r = c.patch(f"/api/v1/scenarios/{s1['id']}", json={"shared": True}, headers=a)
    assert r.status_code == 200 and r.json()["shared"] is True
    assert c.get(f"/api/v1/scenarios/{s1['id']}", headers=v).status_code == 200
    cmp = c.get(f"/api/v1/scenarios/compare?id={s1['id']}&id={s2['id']}", headers=v).json()
    assert cmp["channels"] == ["baidu", "douyin", "email", "wechat"]
    assert [i["name"] for i in cmp["items"]] == ["small", "big plan"]
    assert sum(cmp["items"][1]["allocation"]) == pytest.approx(150000 * 0.9)
    # another analyst may not delete it; the owner may; deletion is audited
    env.app.state.ctx.state.add_user("analyst2", "analyst2-pass", "analyst")  # type: ignore[attr-defined]
    tok2 = env.app.state.ctx.state.create_token("analyst2", "t")[1]  # type: ignore[attr-defined]
    r = c.delete(f"/api/v1/scenarios/{s1['id']}", headers={"Authorization": f"Bearer {tok2}"})
    assert r.status_code == 403
    assert c.delete(f"/api/v1/scenarios/{s1['id']}", headers=a).json() == {"deleted": s1["id"]}
    assert c.get(f"/api/v1/scenarios/{s1['id']}", headers=ad).status_code == 404
    audit = c.get("/api/v1/audit?action=scenario_delete", headers=ad).json()["items"]
    assert audit[0]["actor"] == "analyst" and audit[0]["target"] == f"scenario:{s1['id']}"


def test_optimizer_job_function_directly() -> None:
    curves = {"a": {"type": "hill", "beta": 1.0, "half_saturation": 1.0, "slope": 1.0, "current_spend": 2.0}}
    seen: list[tuple[float, str]] = []
    mod = types.ModuleType("omnimix.optimize")
    mod.optimize_curves = lambda c, b, r, o, **kw: {"allocation": {"a": b * (1 - r)}}  # type: ignore[attr-defined]
    saved = sys.modules.get("omnimix.optimize")
    sys.modules["omnimix.optimize"] = mod
    try:
        fn = optimizer_job(curves_from_dict({"channels": curves}), ScenarioSpec(budget=10.0))
        with pytest.raises(Exception, match="returned no reserve, expected_kpi, marginal_roi"):
            fn(lambda p, s: seen.append((p, s)))
    finally:
        if saved is None:
            sys.modules.pop("omnimix.optimize", None)
        else:
            sys.modules["omnimix.optimize"] = saved
    assert [s for _, s in seen] == ["validating", "loading optimizer", "optimizing", "summarising"]


def test_no_curves_means_409(bare_env: Env) -> None:
    r = bare_env.client.post(
        "/api/v1/optimizer/runs", json={"budget": 10}, headers=bare_env.headers("analyst")
    )
    assert r.status_code == 409 and "omnimix mmm fit" in r.json()["error"]["message"]


def test_with_the_real_optimizer_when_installed(env: Env) -> None:
    """Active once omnimix.optimize is merged: the job honours limits and the reserve end to end."""
    pytest.importorskip("omnimix.optimize")
    spec = {
        "budget": 100000,
        "reserve": 0.2,
        "channels": {"email": {"min": 5000, "max": 6000}, "douyin": {"max": 1000}},
        "guardrails": False,
    }
    job = run(env, spec)
    assert job["status"] == "succeeded", job["error"]
    alloc = job["result"]["allocation"]
    assert 5000 - 1e-6 <= alloc["email"] <= 6000 + 1e-6 and alloc["douyin"] <= 1000 + 1e-6
    assert sum(alloc.values()) <= 80000 + 1e-6 and job["result"]["reserve"] == pytest.approx(20000)
    m = job["result"]["marginal_roi"]
    assert m["baidu"] == pytest.approx(m["wechat"], rel=0.01)  # equal marginal returns where unconstrained


def test_plan_notes_and_run_errors_carry_a_message_code(env: Env) -> None:
    """The real optimizer's notes and a guardrail-infeasible error get a message_code the page writes in its
    own language (the English message stays beside it); the page ships those strings in zh-CN."""
    pytest.importorskip("omnimix.optimize")
    cur = env.client.get("/api/v1/mmm/response-curves", headers=env.headers("viewer")).json()["items"]
    spend = {str(r["channel"]): float(r["current_spend"] or 0.0) for r in cur}
    big = sum(spend.values()) * 10
    top = max(spend, key=lambda k: spend[k])
    job = run(env, {"budget": big, "guardrails": True})
    crossed = run(env, {"budget": sum(spend.values()) * 2, "guardrails": True, "channels": {top: {"min": spend[top] * 2}}})
    for j in (job, crossed):
        assert j["status"] == "succeeded", j["error"]
        coded = j["result"]["notes_coded"]
        assert [n["message"] for n in coded] == j["result"]["notes"] and coded
        assert None not in {n["message_code"] for n in coded}, coded  # every note these runs write has a code
    codes = [n["message_code"] for n in job["result"]["notes_coded"]]
    assert codes[0] == "guardrails" and "unallocated_guardrail" in codes
    assert job["result"]["notes_coded"][0]["params"] == {"lo": -30, "hi": 30}
    un = next(n for n in job["result"]["notes_coded"] if n["message_code"] == "unallocated_guardrail")
    assert un["params"]["amount"] == pytest.approx(job["result"]["unallocated"]) and un["params"]["amount"] > 0
    drop = [n for n in crossed["result"]["notes_coded"] if n["message_code"] == "default_max_dropped"]
    assert [n["params"] for n in drop] == [{"channel": top}]
    # the scale / hold / cut reasons also come in the request's language (the result table's tooltips)
    def get(lang: str) -> dict[str, Any]:
        return dict(env.client.get(f"/api/v1/optimizer/runs/{job['id']}", params={"lang": lang},
                                   headers=env.headers("viewer")).json()["result"]["recommendation"])

    rec = get("en")
    assert rec and all(r["reason_text"] == r["reason"] for r in rec.values())  # English: the module's own text
    for ch, r in get("zh-CN").items():
        assert r["reason"] == rec[ch]["reason"] and re.search(r"[\u4e00-\u9fff]", r["reason_text"]), r
        assert not re.search(r"[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}", r["reason_text"]), r["reason_text"]
    bad = run(env, {"budget": sum(spend.values()) * 0.05, "guardrails": True})
    assert bad["status"] == "failed" and bad["error_code"] == "infeasible_guardrails", bad["error"]
    assert bad["error_params"] == {"lo": -30, "hi": 30}
    c = env.client
    login(c, "analyst")

    def strings(lang: str) -> dict[str, Any]:
        m = re.search(r"data-i18n='([^']+)'", c.get(f"/budget?lang={lang}").text)
        assert m is not None
        return dict(json.loads(html.unescape(m.group(1))))

    zh, en = strings("zh-CN"), strings("en")
    assert "已达到护栏允许的最大值" in zh["note.unallocated_guardrail"] and "在护栏内" in zh["error.infeasible_guardrails"]
    assert "hold_why" in zh and "护栏" in zh["note.guardrails"]
    assert "every channel is at its guardrail maximum" in en["note.unallocated_guardrail"]
    assert not re.search(r"[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}", "".join(v for k, v in zh.items() if k.startswith(
        ("note.", "error.infeasible"))))
