from __future__ import annotations

import pytest

from omnimix.errors import InputDataError
from omnimix.plan.raci import check_raci, owners, raci_table, validate_raci
from omnimix.plan.spec import parse_plan

from .conftest import PLAN


def test_raci_rows_with_owner_rows(plan) -> None:
    rows = validate_raci(plan)
    assert [(r.where, r.task) for r in rows] == [
        ("campaigns[0].raci[0]", "创意"), ("campaigns[0].raci[1]", "投放"), ("campaigns[1].owner", "owner")]
    assert rows[0].accountable == ("品牌经理",) and rows[1].responsible == ("投放组",)
    assert rows[2].accountable == ("电商部",)
    assert all(len(r.accountable) == 1 for r in rows)
    assert owners(plan) == {"电商部": ["c618", "c11"]}


def _with_raci(raci: list[dict]) -> list:
    camps = [dict(PLAN["campaigns"][0], raci=raci), PLAN["campaigns"][1]]
    return raci_table(parse_plan({**PLAN, "campaigns": camps}))


def test_exactly_one_accountable_per_row_errors_name_the_row() -> None:
    rows = _with_raci([
        {"task": "创意", "responsible": "设计组", "accountable": ["品牌经理", "市场总监"]},
        {"task": "投放", "responsible": "投放组"},
        {"task": "复盘", "accountable": "数据组", "consulted": ["销售部"], "informed": ["销售部"]},
        {"task": "同一人两次", "responsible": "A", "accountable": ["B", "B"]},
    ])
    problems = check_raci(rows)
    assert problems[0].startswith("campaigns[0].raci[0] (campaign 'c618', task '创意'): 2 Accountable (品牌经理, 市场总监)")
    assert problems[1].startswith("campaigns[0].raci[1] (campaign 'c618', task '投放'): no Accountable")
    assert problems[2].startswith("campaigns[0].raci[2] (campaign 'c618', task '复盘'): no Responsible")
    assert "销售部 both consulted and informed" in problems[3]
    assert len(problems) == 4  # ['B', 'B'] is one person
    zh = check_raci(rows, "zh-CN")  # the dashboard's zh-CN page: the same problems, in Chinese
    assert len(zh) == 4 and zh[0].startswith("campaigns[0].raci[0]（活动 'c618'，任务 '创意'）：有 2 位批准人")
    assert "没有批准人" in zh[1] and "没有执行人" in zh[2] and "同时是咨询人" in zh[3]
    assert not any(w in " ".join(zh) for w in ("Accountable", "Responsible", "both consulted"))
    with pytest.raises(InputDataError, match=r"plan.toml: has RACI rows .*\n  - campaigns\[0\].raci\[0\]"):
        validate_raci(parse_plan({**PLAN, "campaigns": [dict(PLAN["campaigns"][0], raci=[
            {"task": "创意", "responsible": "设计组", "accountable": ["品牌经理", "市场总监"]}])]}))
