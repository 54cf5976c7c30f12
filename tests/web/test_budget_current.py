"""One "current KPI" everywhere: CLI JSON, plan CSVs, plan.html, the budget page and its API (issue 15).

The workspace is shaped like the demo's after its MMM fit (8 channels, posterior draws); the dashboard
runs the real optimizer with its default guardrails.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from omnimix.cli import app as cli_app

from ..optimize._demo_like import demo_like_curves, demo_like_workspace
from .conftest import Env, login, make_env


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    root = tmp_path_factory.mktemp("demo_like")
    status = pd.DataFrame({"channel": ["kol"], "status": ["weak"], "reason": ["ROI interval spans 0.1–3"]})
    demo_like_workspace(root / "ws", status=status)
    yield from make_env(root / "ws")


def _run_job(env: Env, spec: dict) -> dict:
    r = env.client.post("/api/v1/optimizer/runs", json=spec, headers=env.headers("analyst"))
    assert r.status_code == 202, r.text
    env.app.state.ctx.jobs.wait(r.json()["id"], timeout=120)  # type: ignore[attr-defined]
    job = env.client.get(f"/api/v1/optimizer/runs/{r.json()['id']}", headers=env.headers("viewer")).json()
    assert job["status"] == "succeeded", job["error"]
    return dict(job["result"])


def test_the_same_current_kpi_in_cli_json_csv_html_and_dashboard(demo_env: Env, tmp_path: Path) -> None:
    ws = demo_env.workspace
    budget = float(demo_like_curves().current_spend.sum())
    res = CliRunner().invoke(cli_app, ["optimize", "--workspace", str(ws), "--budget", f"{budget}",
                                       "--scenarios=-20,0,20", "--csv", str(tmp_path / "plan.csv"),
                                       "--chart", str(tmp_path / "plan.html"), "--json"])
    assert res.exit_code == 0, res.output[-2000:]
    doc = json.loads(res.stdout)
    current = doc["current_kpi"]
    assert current > 0
    # CSV: the scenarios file carries it on every row; the plan's per-channel current responses sum to it
    sc = pd.read_csv(tmp_path / "plan_scenarios.csv")
    assert sc["current_kpi"].tolist() == pytest.approx([current] * len(sc), rel=1e-12)
    plan = pd.read_csv(tmp_path / "plan.csv")
    assert plan["current_response"].sum() == pytest.approx(current, rel=1e-9)
    # the scenario rows' "current mix" is today's mix at the plan's spend (after the reserve), labelled so
    base = sc[sc["scenario"] == "current"]
    assert base["current_mix_kpi"].iloc[0] < current
    # HTML: the headline and the allocation chart's title
    page = html.unescape((tmp_path / "plan.html").read_text(encoding="utf-8"))
    shown = f"{current:,.1f}"
    assert f"vs current {shown}" in page and f"current KPI (today's spend)</th><td class='num'>{shown}" in page
    # dashboard: the budget page before a run, and the run's result through the API
    c = TestClient(demo_env.app)  # type: ignore[arg-type]
    login(c, "analyst")
    text = c.get("/budget?lang=en").text
    m = re.search(r'id="now-kpi" data-value="([^"]+)"', text)
    assert m is not None and float(m.group(1)) == pytest.approx(current, rel=1e-12)
    result = _run_job(demo_env, {"name": "guarded", "budget": budget, "reserve": 0.1})
    assert result["current_kpi"] == pytest.approx(current, rel=1e-12)
    assert result["expected_kpi"] == pytest.approx(doc["expected_kpi"], rel=1e-6)
    assert result["allocation"] == pytest.approx(doc["allocation"], rel=1e-6)
    lo, hi = result["kpi_interval_90"]
    assert lo < result["expected_kpi"] < hi
    # the weak channel is held on both sides, and the page says so
    assert set(doc["held"]) == set(result["held"]) == {"kol"}
    assert result["allocation"]["kol"] == pytest.approx(result["current"]["kol"])
    assert "ROI interval spans 0.1–3" in text and 'class="brelease"' in text


def test_dashboard_guardrails_keep_every_channel_and_can_be_released(demo_env: Env) -> None:
    budget = float(demo_like_curves().current_spend.sum())
    guarded = _run_job(demo_env, {"budget": budget})
    for ch, v in guarded["allocation"].items():
        assert v >= 0.7 * guarded["current"][ch] - 1e-6, ch
    assert {r["action"] for r in guarded["recommendation"].values()} <= {"scale", "hold", "cut"}
    released = _run_job(demo_env, {"budget": budget, "release": ["KOL"]})
    assert released["held"] == {}
    free = _run_job(demo_env, {"budget": budget, "guardrails": False})
    assert free["guardrails"] is False
    assert sum(v < 0.05 * free["current"][ch] for ch, v in free["allocation"].items()) >= 3
    # a saved scenario shows the same current KPI on its detail page
    sc = demo_env.client.post("/api/v1/scenarios", json={"job_id": _job_id(demo_env, budget), "shared": True},
                              headers=demo_env.headers("analyst")).json()
    c = TestClient(demo_env.app)  # type: ignore[arg-type]
    login(c, "viewer")
    page = c.get(f"/budget?scenario={sc['id']}&lang=en").text
    m = re.search(r'<span id="d-current" data-value="([^"]+)">CN¥([0-9,.]+)</span>', page)
    assert m is not None and float(m.group(1)) == pytest.approx(guarded["current_kpi"], rel=1e-12)
    assert m.group(2) == f'{guarded["current_kpi"]:,.2f}'  # the KPI is revenue: shown as money


def _job_id(env: Env, budget: float) -> str:
    r = env.client.post("/api/v1/optimizer/runs", json={"budget": budget}, headers=env.headers("analyst"))
    env.app.state.ctx.jobs.wait(r.json()["id"], timeout=120)  # type: ignore[attr-defined]
    return str(r.json()["id"])
