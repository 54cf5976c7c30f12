"""The plan file model: defaults, dates, every problem reported with its key path and fix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from omnimix.errors import InputDataError
from omnimix.plan.spec import DEFAULT_RESERVE, load_plan, parse_plan

MINIMAL = """
[plan]
name = "最小计划"
year = 2026
budget = 1_000_000

[[goals]]
id = "g1"
statement = "本年度将新注册用户数量提升25%"
"""


def test_minimal_file_defaults(tmp_path: Path) -> None:
    f = tmp_path / "plan.toml"
    f.write_text(MINIMAL, encoding="utf-8")
    p = load_plan(f)
    assert p.plan.year == 2026 and p.plan.currency == "CNY" and p.plan.budget == 1_000_000
    assert p.plan.start == dt.date(2026, 1, 1) and p.plan.end == dt.date(2026, 12, 31)
    assert p.constraints.reserve == DEFAULT_RESERVE == 0.10
    assert p.goals[0].statement is not None and p.goals[0].kpi is None
    assert p.source == str(f)


def test_fiscal_year_end() -> None:
    p = parse_plan({"plan": {"year": 2026, "start_month": 4}})
    assert p.plan.start == dt.date(2026, 4, 1) and p.plan.end == dt.date(2027, 3, 31)


def test_structured_fields_and_normalised_names() -> None:
    p = parse_plan({
        "plan": {"year": 2026, "strategy": "拓展年轻客群"},
        "goals": [{"id": "g1", "kpi": "revenue", "target": 6e7, "deadline": "2026-12-31",
                   "strategy": "拓展年轻客群"},
                  {"id": "g2", "kpi": "cac", "change": -0.15, "parent": "g1"}],
        "campaigns": [{"id": "c1", "start": dt.date(2026, 6, 1), "end": "2026-06-18", "channels": "douyin",
                       "goal_ids": "g1", "budget_lines": [{"item": "投放", "amount": 100.0, "channel": "douyin"},
                                                          {"item": "KOL", "amount": 50.0}],
                       "raci": [{"task": "创意", "responsible": ["张三", "李四"], "accountable": "王五"}]}],
        "content": [{"id": "a1", "campaign": "c1", "status": "draft", "start": "2026-06-01"}],
        "constraints": {"locked": ["stores"], "channels": {"search": {"min": 10.0, "max": 20.0}}},
    })
    assert p.plan.strategy == ("拓展年轻客群",)
    assert p.goals[0].deadline == dt.date(2026, 12, 31)
    c = p.campaigns[0]
    assert c.channels == ("douyin",) and c.goal_ids == ("g1",) and c.planned_cost == 150.0
    assert c.raci[0].accountable == ("王五",) and c.raci[0].responsible == ("张三", "李四")
    assert p.constraints.locked == {"stores": None}
    assert p.constraints.channels["search"].max == 20.0
    assert p.goal("g2").parent == "g1"


def test_every_problem_reported_with_key_path() -> None:
    with pytest.raises(InputDataError) as info:
        parse_plan({"plan": {"year": 2026, "budgt": 1},
                    "goals": [{"id": "g1"}, {"id": "g2", "kpi": "cac", "deadline": "2026-13-01"}],
                    "campaigns": [{"id": "c", "start": "2026-02-01", "end": "2026-01-01"}],
                    "constraints": {"reserve": 1.5}}, "my.toml")
    text = str(info.value)
    assert text.startswith("my.toml:")
    for needle in ("plan.budgt: unknown key", "goals[0]: a goal needs a statement",
                   "goals[1].deadline: '2026-13-01' is not a date", "campaigns[0]: end 2026-01-01 is before",
                   "constraints.reserve"):
        assert needle in text
    assert len(info.value.problems) == 5


def test_reference_problems() -> None:
    with pytest.raises(InputDataError) as info:
        parse_plan({"plan": {"year": 2026, "strategy": ["a"]},
                    "goals": [{"id": "g1", "kpi": "cac", "parent": "zz", "strategy": "b"},
                              {"id": "g1", "kpi": "cac"}],
                    "campaigns": [{"id": "c", "start": "2026-01-01", "end": "2026-02-01", "goal_ids": "q"}],
                    "content": [{"id": "x", "campaign": "nope"}]})
    text = str(info.value)
    for needle in ("'g1' is used twice", "goals[0].parent: no goal has id 'zz'",
                   "goals[0].strategy: 'b' is not a line", "campaigns[0].goal_ids: no goal has id 'q'",
                   "content[0].campaign: no campaign has id 'nope'"):
        assert needle in text


def test_parent_cycle() -> None:
    with pytest.raises(InputDataError, match="loops back"):
        parse_plan({"plan": {"year": 2026}, "goals": [{"id": "a", "kpi": "cac", "parent": "b"},
                                                      {"id": "b", "kpi": "cac", "parent": "a"}]})


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="not found"):
        load_plan(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[plan\nyear=1", encoding="utf-8")
    with pytest.raises(InputDataError, match="not valid TOML"):
        load_plan(bad)
    with pytest.raises(InputDataError, match=r"no \[plan\] table"):
        parse_plan({"goals": []})
