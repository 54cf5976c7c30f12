"""SMART validation: accuracy on the labelled statements, the fixes named, fields over sentences."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from omnimix.plan.achieve import Achievability
from omnimix.plan.baseline import Baselines
from omnimix.plan.smart import CRITERIA, check_goal, validate_goals
from omnimix.plan.spec import parse_plan

HERE = Path(__file__).parent


def _scorer():  # the acceptance script, benchmarks/plan_smart.py
    spec = importlib.util.spec_from_file_location("plan_smart", HERE.parents[1] / "benchmarks" / "plan_smart.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["plan_smart"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("labels", ["smart_labels.jsonl", "smart_holdout.jsonl", "smart_holdout2.jsonl", "smart_holdout3.jsonl"])
def test_accuracy_per_criterion_on_labelled_statements(labels: str) -> None:
    res = _scorer().score(HERE / labels)
    assert res["statements"] >= 20
    for f in ("kpi", *CRITERIA):
        assert res["accuracy"][f] >= 0.95, (f, res["misses"])


def _plan(goal: dict, **plan: object) -> object:
    return parse_plan({"plan": {"year": 2026, **plan}, "goals": [goal]})


def test_each_failing_criterion_names_its_fix() -> None:
    p = _plan({"id": "g", "statement": "提升品牌影响力"})
    (c,) = check_goal(p.goals[0], p)  # type: ignore[attr-defined]
    assert c.smart == {"specific": False, "measurable": False, "achievable": None, "relevant": False,
                       "time_bound": False}
    text = "\n".join(c.problems)
    assert "specific:" in text and "品牌影响力" in text and "name one KPI" in text
    assert "relevant:" in text and "parent" in text and "time_bound:" in text and "deadline = 2026-12-31" in text
    p = _plan({"id": "g", "statement": "增加销售线索"})
    (c,) = check_goal(p.goals[0], p)  # type: ignore[attr-defined]
    assert c.smart["specific"] and not c.smart["measurable"]
    assert any(x.startswith("measurable: no target") for x in c.problems)
    p = _plan({"id": "g", "statement": "今年NPS提升10分"})
    (c,) = check_goal(p.goals[0], p)  # type: ignore[attr-defined]
    assert not c.smart["measurable"] and any("not a metric the warehouse measures" in x for x in c.problems)


def test_a_goal_that_passes_has_no_problem() -> None:
    p = _plan({"id": "g", "statement": "本年度将新注册用户数量提升25%", "strategy": "拓新"}, strategy=["拓新"])
    (c,) = check_goal(p.goals[0], p)  # type: ignore[attr-defined]
    assert c.smart == {"specific": True, "measurable": True, "achievable": None, "relevant": True,
                       "time_bound": True}
    assert c.problems == ()


def test_fields_override_the_sentence_and_fields_alone_work() -> None:
    p = parse_plan({"plan": {"year": 2026}, "goals": [
        {"id": "a", "statement": "本年度将新注册用户数量提升25%", "change": 0.3, "deadline": "2026-06-30"},
        {"id": "b", "kpi": "获客成本", "baseline": 200, "target": 170, "deadline": "2026-12-31", "parent": "a"},
        {"id": "c", "kpi": "revenue"},
    ]})
    checks = validate_goals(p).goals
    a, b, c = checks
    assert a.goal.change == 0.3 and a.deadline.isoformat() == "2026-06-30"  # type: ignore[union-attr]
    assert b.kpi == "cac" and b.target == 170 and b.smart["relevant"] and b.smart["measurable"]
    assert c.smart["specific"] and not c.smart["measurable"] and not c.smart["time_bound"]
    assert validate_goals(p).to_json()["goals"][1]["id"] == "b"


def test_two_goal_sentence_gives_suffixed_ids() -> None:
    p = _plan({"id": "g1", "statement": "本年度将新注册用户数量提升25%，并将CAC降低15%"})
    ids = [c.id for c in check_goal(p.goals[0], p)]  # type: ignore[attr-defined]
    assert ids == ["g1.1", "g1.2"]


def test_workspace_baseline_and_achievability() -> None:
    p = _plan({"id": "g", "statement": "本年度将新注册用户数量提升25%", "parent": None})
    base = Baselines(None, None, {"new_customers": 400.0}, {}, {"new_customers": 400.0})
    seen: list[tuple[str, float]] = []

    def achiever(kpi: str, target: float) -> Achievability:
        seen.append((kpi, target))
        p_reach = 0.3 if target > 450 else 0.9
        return Achievability(p_reach, 440.0, (400.0, 480.0), target, 440.0, 420.0)

    (c,) = check_goal(p.goals[0], p, base, achiever)  # type: ignore[attr-defined]
    assert c.baseline == 400.0 and c.baseline_source == "warehouse" and c.target == pytest.approx(500.0)
    assert seen == [("new_customers", pytest.approx(500.0))]
    assert c.smart["achievable"] is False
    assert any(x.startswith("achievable: P(reaching 500) = 30%") and "440" in x for x in c.problems)
    # no baseline in the warehouse: not measurable, the fix says to set one
    (c,) = check_goal(p.goals[0], p, Baselines(None, None, {}, {"new_customers": "no customers table"}), achiever)  # type: ignore[attr-defined]
    assert c.smart["measurable"] is False and c.smart["achievable"] is None
    assert any("no baseline" in x and "no customers table" in x for x in c.problems)
