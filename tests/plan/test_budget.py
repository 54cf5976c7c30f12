"""The plan's budget comes from the optimizer under the plan's constraints and reserve, to the cent."""

from __future__ import annotations

import numpy as np
import pytest

from omnimix.curves import curves_from_dict
from omnimix.errors import InfeasibleError, UsageError
from omnimix.optimize.workflow import run_optimizer
from omnimix.plan.budget import plan_budget
from omnimix.plan.cascade import to_units
from omnimix.plan.spec import parse_plan

CURVES = curves_from_dict({"channels": {
    "search": {"type": "hill", "beta": [900.0, 1000.0, 1100.0], "half_saturation": 400.0, "slope": 1.2,
               "current_spend": 300.0},
    "douyin": {"type": "hill", "beta": [1500.0, 1800.0, 2100.0], "half_saturation": 900.0, "slope": 1.0,
               "current_spend": 600.0},
    "wechat": {"type": "hill", "beta": [400.0, 500.0, 600.0], "half_saturation": 200.0, "slope": 1.5,
               "current_spend": 150.0},
    "stores": {"type": "hill", "beta": [300.0, 300.0, 300.0], "half_saturation": 500.0, "slope": 1.0,
               "current_spend": 100.0},
}})



def _plan(**constraints: object) -> object:
    return parse_plan({"plan": {"year": 2026, "budget": 60_000.0}, "goals": [{"id": "g", "kpi": "revenue"}],
                       "constraints": constraints})


def test_budget_is_the_optimizers_allocation_with_reserve_exact() -> None:
    p = _plan()
    b, run = plan_budget(p, CURVES)  # type: ignore[arg-type]
    assert b.weeks == pytest.approx(365 / 7)
    direct = run_optimizer(CURVES, 60_000.0 / b.weeks, reserve=0.1, guardrails=True)
    assert direct.allocation is not None
    for c, v in zip(direct.allocation.channels, direct.allocation.allocation, strict=True):
        assert b.weekly[c] == pytest.approx(float(v), rel=1e-9)
        assert b.channels[c] == pytest.approx(float(v) * b.weeks, abs=0.01)
    assert to_units(b.reserve) == 600_000  # 10% of 60,000.00 in cents
    assert to_units(b.reserve) + sum(to_units(v) for v in b.channels.values()) + to_units(b.unallocated) == 6_000_000
    assert b.to_json()["guardrails"] is True and run.guard is not None


def test_plan_constraints_reach_the_optimizer() -> None:
    p = _plan(reserve=0.2, locked={"stores": 5_000.0}, channels={"search": {"max": 12_000.0}},
              guardrails=False)
    b, _ = plan_budget(p, CURVES)  # type: ignore[arg-type]
    assert to_units(b.reserve) == to_units(60_000 * 0.2)
    assert b.channels["stores"] == pytest.approx(5_000.0, abs=0.01)
    assert b.channels["search"] <= 12_000.0 + 0.01
    assert sum(b.channels.values()) + b.reserve + b.unallocated == pytest.approx(60_000.0, abs=1e-6)
    # without guardrails the optimizer moves channels beyond ±30% of current spend
    w = np.array([b.weekly[c] for c in CURVES.channels])
    assert np.any(np.abs(w / CURVES.current_spend - 1) > 0.3)


def test_guardrails_hold_every_channel_within_30_percent() -> None:
    b, _ = plan_budget(_plan(), CURVES)  # type: ignore[arg-type]
    for c, cur in zip(CURVES.channels, CURVES.current_spend, strict=True):
        assert 0.7 * cur - 1e-6 <= b.weekly[c] <= 1.3 * cur + 1e-6


def test_errors_name_the_fix() -> None:
    p = parse_plan({"plan": {"year": 2026}, "goals": [{"id": "g", "kpi": "revenue"}]})
    with pytest.raises(UsageError, match=r"add budget = "):
        plan_budget(p, CURVES)  # type: ignore[arg-type]
    b, _ = plan_budget(p, CURVES, total=50_000.0)  # type: ignore[arg-type]
    assert b.total == 50_000.0
    with pytest.raises(InfeasibleError):
        plan_budget(_plan(channels={"search": {"min": 59_000.0}}, guardrails=False), CURVES)  # type: ignore[arg-type]
