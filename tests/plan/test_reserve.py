"""The plan's test reserve: the fund in currency, what recorded tests spent of it, and the planner it funds."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from omnimix.experiments.calibrate import record_experiment
from omnimix.plan.reserve import plan_next_tests, plan_reserve
from omnimix.workspace import Workspace

PLAN = """
[plan]
name = "p"
year = 2024
budget = {budget}

[constraints]
reserve = 0.05
"""


def _fit(weeks: int = 20) -> SimpleNamespace:
    """What the planner reads of a fitted MMM: contribution draws, spend and dates (3 channels)."""
    rng = np.random.default_rng(1)
    s = 2000
    scale = rng.lognormal(0, np.array([0.6, 0.1, 0.3]), (s, 3))
    contrib = np.ones((s, weeks, 3)) * scale[:, None, :] * np.array([100.0, 100.0, 50.0])
    spend = np.full((weeks, 3), 1000.0)
    dates = [np.datetime64("2024-01-01") + np.timedelta64(7 * i, "D") for i in range(weeks)]
    return SimpleNamespace(data=SimpleNamespace(spend=spend, n_periods=weeks, dates=dates),
                           channels=("a", "b", "c"), contributions=contrib)


def _ws(tmp_path: Path, budget: float) -> Workspace:
    ws = Workspace.init(tmp_path / "ws")
    (ws.root / "plan.toml").write_text(PLAN.format(budget=budget), encoding="utf-8")
    return ws


def test_no_plan_no_reserve(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    assert plan_reserve(ws) is None
    plan, fund = plan_next_tests(ws, _fit(), n_tests=2, weeks=4)
    assert fund is None and plan.funding is None and len(plan.tests) == 2
    assert plan.to_json()["reserve"] is None


def test_reserve_minus_recorded_tests_funds_the_planner(tmp_path: Path) -> None:
    ws = _ws(tmp_path, 200_000)
    fund = plan_reserve(ws)
    assert fund is not None and fund.reserve == 10_000.0 and fund.spent == 0.0 and fund.left == 10_000.0
    # each candidate test costs 20% of 4 weeks x 1000 = 800; a fund of 10,000 pays for all three
    plan, _ = plan_next_tests(ws, _fit(), weeks=4)
    assert len(plan.tests) == 3 and plan.funding is not None and plan.funding["left"] == 10_000.0
    # tests recorded in the plan year draw on the reserve; one outside the year does not
    record_experiment(ws, {"channel": "a", "start": "2024-02-01", "end": "2024-03-01", "lift": 1.0,
                           "lift_sd": 0.1, "spend": 8_500.0})
    record_experiment(ws, {"channel": "b", "start": "2023-06-01", "end": "2023-07-01", "lift": 1.0,
                           "lift_sd": 0.1, "spend": 99_999.0})
    fund = plan_reserve(ws)
    assert fund is not None and fund.spent == 8_500.0 and fund.left == 1_500.0
    assert [t["channel"] for t in fund.tests] == ["a"]
    plan, _ = plan_next_tests(ws, _fit(), weeks=4)
    assert len(plan.tests) == 1 and plan.tests[0].cost == pytest.approx(800.0)
    assert plan.to_json()["reserve"] == 1_500.0 and plan.to_json()["funding"]["spent"] == 8_500.0
    # an explicit fund overrides the plan's
    plan, fund = plan_next_tests(ws, _fit(), weeks=4, reserve=5_000.0)
    assert fund is None and len(plan.tests) == 3 and plan.funding == {"source": "--reserve", "left": 5_000.0}


def test_spent_reserve_plans_nothing(tmp_path: Path) -> None:
    ws = _ws(tmp_path, 10_000)            # reserve 500 < one test's 800
    plan, fund = plan_next_tests(ws, _fit(), weeks=4)
    assert fund is not None and fund.left == 500.0 and plan.tests == []
    assert plan.sd_after == plan.sd_now
