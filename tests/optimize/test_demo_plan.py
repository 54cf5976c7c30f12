"""Issue 15 acceptance on the real demo workspace (``omnimix demo`` defaults: NUTS fit, 5,000 customers,
104 weeks): with the default guardrails no channel that spends today is cut to 0, the 90% interval has
lo < hi, and the current KPI is the same in the JSON, the CSVs and the HTML."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import pytest

from omnimix.demo import run_demo
from omnimix.optimize.workflow import load_workspace_curves, optimize_workspace


@pytest.mark.slow
def test_demo_plan_with_defaults_is_guarded(tmp_path: Path) -> None:
    ctx = run_demo(tmp_path / "demo", say=lambda _m: None)
    # the demo's default fit must pass review: a failed fit is a failure of the demo, not a reason to skip
    diag = ctx.results["mmm"]["diagnostics"]
    assert diag["passed"], f"the demo's MMM fit failed review: {diag.get('reasons')}"
    doc = ctx.results["optimize"]  # the demo's own step: optimize_workspace(ws, today's total, reserve=0.1)
    cur = doc["current_allocation"]
    for ch, v in doc["allocation"].items():
        if cur[ch] > 0:
            assert v >= 0.7 * cur[ch] - 1e-6 and v <= 1.3 * cur[ch] + 1e-6, (ch, cur[ch], v)
    lo, hi = doc["kpi_interval_90"]
    assert lo < doc["expected_kpi"] < hi
    budget = float(load_workspace_curves(ctx.workspace).current_spend.sum())
    run = optimize_workspace(ctx.workspace, budget, scenarios=[0.0])
    run.write_csv(tmp_path / "plan.csv")
    run.write_chart(tmp_path / "plan.html")
    same = run.to_json()["current_kpi"]
    assert same == pytest.approx(doc["current_kpi"], rel=1e-12)
    assert pd.read_csv(tmp_path / "plan_scenarios.csv")["current_kpi"].iloc[0] == pytest.approx(same, rel=1e-12)
    assert f"vs current {same:,.1f}" in html.unescape((tmp_path / "plan.html").read_text(encoding="utf-8"))
