"""A plan.toml for the sample workspace (tests of the /plan pages)."""

from __future__ import annotations

from pathlib import Path

PLAN_TOML = """
[plan]
name = "2026 年度整合营销计划"
year = 2026
currency = "CNY"
budget = 1_200_000

[[goals]]
id = "g1"
statement = "本年度将新注册用户数量提升25%"

[[goals]]
id = "g2"
kpi = "spend"
target = 100_000
deadline = 2026-04-30
owner = "市场部"
parent = "g1"

[[personas]]
id = "young"
name = "年轻白领"

[[campaigns]]
id = "spring"
name = "春节焕新"
start = 2026-01-20
end = 2026-02-28
channels = ["douyin", "wechat"]
goal_ids = ["g1"]
owner = "电商部"

[[campaigns.budget_lines]]
item = "信息流"
channel = "douyin"
amount = 12_000

[[campaigns.raci]]
task = "创意"
responsible = ["设计组"]
accountable = ["品牌经理", "市场总监"]

[[content]]
id = "p1"
title = "护肤指南"
pillar = "护肤"
stage = "awareness"
persona = "young"
channel = "wechat"
start = 2026-03-01
goal_ids = ["g1"]

[[content]]
id = "p1a"
title = "敏感肌"
pillar = "护肤"
cluster = "敏感肌"
stage = "consideration"
persona = "young"
channel = "wechat"
goal_ids = ["g1"]
"""


def write_plan(workspace: Path) -> Path:
    p = Path(workspace) / "plan.toml"
    p.write_text(PLAN_TOML, encoding="utf-8")
    return p
