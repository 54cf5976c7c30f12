"""A small plan used by the calendar, content, RACI and export tests."""

from __future__ import annotations

import pytest

from omnimix.plan.spec import Plan, parse_plan

PLAN = {
    "plan": {"name": "2026 年度整合营销计划", "year": 2026, "currency": "CNY", "budget": 1_200_000},
    "goals": [
        {"id": "g1", "statement": "本年度将新注册用户数量提升25%"},
        {"id": "g2", "kpi": "revenue", "target": 6_000_000, "deadline": "2026-12-31", "parent": "g1"},
    ],
    "personas": [{"id": "young", "name": "年轻白领"}, {"id": "mom", "name": "宝妈"}],
    "campaigns": [
        {
            "id": "c618", "name": "618 大促", "start": "2026-05-25", "end": "2026-06-18",
            "channels": ["douyin", "wechat"], "goal_ids": ["g1"], "owner": "电商部", "budget": 300_000,
            "raci": [
                {"task": "创意", "responsible": ["设计组"], "accountable": "品牌经理", "informed": ["销售部"]},
                {"task": "投放", "responsible": "投放组", "accountable": ["电商总监"], "consulted": ["数据组"]},
            ],
        },
        {
            "id": "c11", "name": "双11", "start": "2026-10-20", "end": "2026-11-11",
            "channels": ["douyin", "baidu"], "goal_ids": ["g1", "g2"], "owner": "电商部",
            "budget_lines": [{"item": "KOL", "amount": 200_000, "channel": "douyin"},
                             {"item": "SEM", "amount": 50_000, "channel": "baidu"}],
        },
    ],
    "content": [
        {"id": "p1", "title": "护肤指南", "pillar": "护肤", "stage": "awareness", "persona": "young",
         "channel": "wechat", "status": "published", "start": "2026-03-01", "goal_ids": ["g1"]},
        {"id": "p1a", "title": "敏感肌", "pillar": "护肤", "cluster": "敏感肌", "stage": "consideration",
         "persona": "young", "channel": "wechat", "status": "draft", "start": "2026-03-10", "end": "2026-03-12",
         "campaign": "c618"},
        {"id": "p1b", "title": "防晒", "pillar": "护肤", "cluster": "防晒", "stage": "consideration",
         "persona": "mom", "channel": "douyin", "status": "idea", "goal_ids": ["g1"]},
        {"id": "p1c", "title": "抗老", "pillar": "护肤", "cluster": "抗老", "stage": "decision",
         "persona": "mom", "channel": "douyin", "status": "idea", "goal_ids": ["g1"]},
        {"id": "m1", "title": "母婴好物", "pillar": "母婴", "cluster": "奶粉", "stage": "decision",
         "persona": "mom", "channel": "douyin", "status": "review", "start": "2026-05-01", "goal_ids": ["g2"]},
    ],
}


@pytest.fixture
def plan() -> Plan:
    return parse_plan(PLAN, "plan.toml")
