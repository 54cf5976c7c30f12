"""Goal sentences → structured goals: KPIs, changes, targets, deadlines, populations, relevance."""

from __future__ import annotations

import datetime as dt

import pytest

from omnimix.plan.goals import parse_statement
from omnimix.plan.kpis import KPIS, find_kpis, kpi
from omnimix.plan.timewords import cn_number, find_deadlines, normalize

Y = 2026


def one(text: str, **kw: object) -> dict:
    goals = parse_statement(text, Y, **kw)  # type: ignore[arg-type]
    assert len(goals) == 1, [g.kpi for g in goals]
    return goals[0].to_dict()


def test_the_issue_example_is_two_goals() -> None:
    a, b = parse_statement("本年度通过整合营销活动，将新注册用户数量提升25%，并将平均用户获取成本(CAC)降低15%", Y)
    assert (a.kpi, a.direction, a.change, a.deadline) == ("new_customers", "up", 0.25, dt.date(2026, 12, 31))
    assert (b.kpi, b.direction, b.change, b.deadline) == ("cac", "down", -0.15, dt.date(2026, 12, 31))
    assert a.resolve_target(1000) == pytest.approx(1250) and b.resolve_target(200) == pytest.approx(170)


def test_english_pair_and_shared_quantity() -> None:
    a, b = parse_statement("Increase revenue by 20% and reduce CAC by 15% by the end of 2026", Y)
    assert (a.kpi, a.change, b.kpi, b.change) == ("revenue", 0.2, "cac", -0.15)
    assert a.deadline == b.deadline == dt.date(2026, 12, 31)
    m, s = parse_statement("Grow MQLs and SQLs by 30% in H1", Y)
    assert (m.kpi, s.kpi, m.change, s.change) == ("mql", "sql", 0.3, 0.3)
    assert m.deadline == dt.date(2026, 6, 30)


def test_respectively_assigns_in_order() -> None:
    a, b = parse_statement("将销售额和订单量分别提升15%和10%", Y)
    assert (a.kpi, a.change, b.kpi, b.change) == ("revenue", 0.15, "orders", 0.1)


@pytest.mark.parametrize(("text", "field", "value"), [
    ("第三季度末前将销售额从8000万元提升到1亿元", "target", 1e8),
    ("第三季度末前将销售额从8000万元提升到1亿元", "baseline", 8e7),
    ("CAC控制在200元以内", "target", 200.0),
    ("CAC控制在200元以内", "bound", "at_most"),
    ("新增注册用户12,000人", "target", 12000.0),
    ("Acquire 5,000 new customers this year", "target", 5000.0),
    ("Reach a conversion rate of 3.5% by Q4", "target", 0.035),
    ("转化率提升2个百分点", "change_points", 2.0),
    ("双11期间GMV翻一番", "change", 1.0),
    ("今年营收增长两成", "change", 0.2),
    ("把获客成本降低百分之十", "change", -0.1),
    ("Improve CAC by 12% this year", "change", -0.12),
    ("Increase revenue by ¥5 million", "change_abs", 5e6),
    ("Lower the cost per lead to $40 in H1", "target", 40.0),
    ("Keep revenue flat in Q1", "change", 0.0),
    ("把营销ROI提升至150%", "target", 1.5),
    ("Grow ROAS to 400%", "target", 4.0),
    ("将CAC从300元降到250元", "baseline", 300.0),
])
def test_quantities(text: str, field: str, value: object) -> None:
    assert one(text)[field] == value


@pytest.mark.parametrize(("text", "date"), [
    ("本年度", dt.date(2026, 12, 31)), ("6月底前", dt.date(2026, 6, 30)), ("第三季度", dt.date(2026, 9, 30)),
    ("2027年底前", dt.date(2027, 12, 31)), ("未来6个月内", dt.date(2026, 6, 30)), ("上半年", dt.date(2026, 6, 30)),
    ("9月30日前", dt.date(2026, 9, 30)), ("by June 30, 2026", dt.date(2026, 6, 30)), ("by Q3", dt.date(2026, 9, 30)),
    ("within 90 days", dt.date(2026, 3, 31)), ("before Black Friday", dt.date(2026, 11, 27)),
    ("by the end of March", dt.date(2026, 3, 31)), ("this fiscal year", dt.date(2026, 12, 31)),
    ("春节前", dt.date(2026, 2, 17)), ("618大促", dt.date(2026, 6, 18)), ("2026-09-30", dt.date(2026, 9, 30)),
])
def test_deadlines(text: str, date: dt.date) -> None:
    found = find_deadlines(normalize(text), Y)
    assert found and found[0].date == date


def test_no_deadline_in_vague_time_words() -> None:
    for text in ("尽快提升客单价", "as soon as possible", "每季度800个", "in the long term"):
        assert find_deadlines(normalize(text), Y) == []


def test_fiscal_year_end_and_relative_windows() -> None:
    start, end = dt.date(2026, 4, 1), dt.date(2027, 3, 31)
    assert find_deadlines("本年度", 2026, start, end)[0].date == end
    assert find_deadlines("within 6 months", 2026, start, end)[0].date == dt.date(2026, 9, 30)


def test_population_explicit_or_the_kpis_own() -> None:
    assert one("将上海地区新客数量提升20%")["population"] == "上海地区"
    g = one("Double online sales among Gen Z shoppers within 6 months")
    assert g["population_explicit"] and "Gen Z shoppers" in g["population"]
    g = one("将新注册用户数量提升25%")
    assert g["population"] == KPIS["new_customers"].population and not g["population_explicit"]


def test_vague_goals_have_no_kpi() -> None:
    for text, word in (("提升品牌影响力", "品牌影响力"), ("Improve our marketing performance", "performance"),
                       ("降低成本", "成本")):
        g = one(text)
        assert g["kpi"] is None and word in g["vague"]
    assert one("Make customers happier")["kpi"] is None


def test_relevance_cue_and_strategy_line() -> None:
    assert one("转化率提升2个百分点，以支撑公司年轻化战略")["relevance"] == "支撑公司年轻化战略"
    assert one("Acquire 5,000 new customers in support of our growth strategy")["relevance"]
    assert one("今年GMV增长10%，拓展下沉市场", strategy=["拓展下沉市场"])["relevance"] == "拓展下沉市场"
    assert one("今年GMV增长10%")["relevance"] is None


def test_population_mention_is_not_a_second_goal() -> None:
    assert one("Achieve a 40% retention rate for new app users within 90 days")["kpi"] == "retention_rate"


def test_vocabulary() -> None:
    assert cn_number("二十五") == 25 and cn_number("十二") == 12 and cn_number("三千") == 3000
    assert normalize("百分之二十，两成，第三季度") == "20%,20%,第3季度"
    assert kpi("获客成本").key == "cac" and kpi("CAC").key == "cac" and kpi("revenue").key == "revenue"
    with pytest.raises(KeyError):
        kpi("happiness")
    ms = find_kpis("平均用户获取成本(CAC)")
    assert [m.key for m in ms] == ["cac"] and ms[0].text == "平均用户获取成本(CAC)"
    assert all(k.better in ("up", "down") for k in KPIS.values())
