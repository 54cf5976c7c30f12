from __future__ import annotations

import datetime as dt
from pathlib import Path

import icalendar
import pytest
from openpyxl import load_workbook

from omnimix.errors import UsageError
from omnimix.plan.calendar import plan_calendar
from omnimix.plan.exports import SHEETS, build_document, calendar_ics, render_html, write_plan_files
from omnimix.plan.retail import retail_peaks

#: A built plan's JSON document as `omnimix plan build --json` prints it (issue #17's contract).
BUILD = {
    "budget": {"total": 1_200_000.0, "reserve": 120_000.0,
               "channels": {"douyin": 500_000.0, "wechat": 380_000.0, "baidu": 200_000.0}},
    "quarters": {"Q1": {"budget": 270_000.0, "new_customers": 900.0},
                 "Q2": {"budget": 270_000.0, "new_customers": 900.0},
                 "Q3": {"budget": 270_000.0, "new_customers": 900.0},
                 "Q4": {"budget": 270_000.0, "new_customers": 900.0}},
    "goals": [
        {"id": "g1", "statement": "本年度将新注册用户数量提升25%", "kpi": "new_customers", "target": 3600.0,
         "deadline": "2026-12-31", "smart": {"specific": True, "measurable": True, "achievable": None,
                                             "relevant": False, "time_bound": True},
         "problems": ["relevant: link it to a parent goal or a strategy line"]},
        {"id": "g2", "statement": None, "kpi": "revenue", "target": 6_000_000.0, "deadline": "2026-12-31",
         "smart": {"specific": True, "measurable": True, "achievable": True, "relevant": True, "time_bound": True},
         "problems": []},
    ],
}


class _Build:
    def to_json(self) -> dict:
        return BUILD


def test_files_open_with_openpyxl_and_icalendar(plan, tmp_path: Path) -> None:
    files = write_plan_files(_Build(), plan, tmp_path / "out")
    assert [f.name for f in files] == ["plan.xlsx", "plan.ics", "plan.html"]
    assert all(f.is_file() and f.stat().st_size > 0 for f in files)

    wb = load_workbook(files[0])
    assert wb.sheetnames == list(SHEETS)
    assert {"goals", "cascade", "budget", "calendar", "RACI", "content"} <= set(wb.sheetnames)
    goals = list(wb["goals"].values)
    assert goals[0][:5] == ("id", "statement", "kpi", "baseline", "target")
    assert goals[1][0] == "g1" and goals[1][4] == 3600.0
    head = goals[0]
    assert goals[1][head.index("smart.relevant")] is False and goals[1][head.index("smart.achievable")] is None
    budget = {r[0]: r[1] for r in list(wb["budget"].values)[1:]}
    assert budget == {"douyin": 500_000.0, "wechat": 380_000.0, "baidu": 200_000.0, "reserve": 120_000.0,
                      "total": 1_200_000.0}
    cascade = list(wb["cascade"].values)
    assert cascade[0] == ("level1", "level2", "level3", "value")
    assert ("quarters", "Q3", "new_customers", 900.0) in cascade
    cal = list(wb["calendar"].values)
    assert len(cal) - 1 == len(plan_calendar(plan))
    assert sum(1 for r in cal if r[0] == "retail_peak") == len(retail_peaks(2026))
    raci = list(wb["RACI"].values)
    assert raci[1][:4] == ("c618", "创意", "设计组", "品牌经理")
    assert [r[0] for r in list(wb["content"].values)[1:]] == [c.id for c in plan.content]
    assert any(r[0] == "warning" and "'母婴'" in r[1] for r in wb["topic clusters"].values)

    ics = icalendar.Calendar.from_ical(files[1].read_bytes())
    events = list(ics.walk("VEVENT"))
    assert len(events) == 2 + len(retail_peaks(2026))  # two campaigns and every peak of the year; no content
    by_uid = {str(e["UID"]): e for e in events}
    ev = by_uid["campaign-c618-2026-05-25@omnimix"]
    assert str(ev["SUMMARY"]) == "618 大促"
    assert ev.decoded("DTSTART") == dt.date(2026, 5, 25) and ev.decoded("DTEND") == dt.date(2026, 6, 19)
    spring = by_uid["retail_peak-spring-2026-02-17@omnimix"]
    assert str(spring["SUMMARY"]) == "春节" and spring.decoded("DTSTART") == dt.date(2026, 2, 17)

    html = files[2].read_text(encoding="utf-8")
    assert "<script src=" not in html and "Plotly.newPlot" in html  # plotly.js inline: offline
    assert "2026 年度整合营销计划" in html and "618 大促" in html and "品牌经理" in html
    assert "预算" in html and "500,000" in html
    from markupsafe import escape

    from omnimix.plan.content import topic_clusters
    from omnimix.plan.raci import check_raci, raci_table

    zh = [*topic_clusters(plan, locale="zh-CN").warnings, *check_raci(raci_table(plan), "zh-CN")]
    assert zh and all(str(escape(w)) in html for w in zh)  # the zh-CN page's warnings are in Chinese
    assert "subtopic(s)" not in html and "no Accountable" not in html


def test_ics_is_stable_and_html_speaks_english(plan) -> None:
    stamp = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    entries = plan_calendar(plan, lang="en")
    assert calendar_ics(entries, stamp=stamp) == calendar_ics(entries, stamp=stamp)
    html = render_html(plan, BUILD, entries, lang="en")
    assert '<html lang="en">' in html and "Budget" in html and "Spring Festival" in html
    assert "Topic clusters" in html and "Accountable" in html


def test_build_document_checks() -> None:
    assert build_document(BUILD)["budget"]["total"] == 1_200_000.0
    with pytest.raises(UsageError, match="to_json"):
        build_document(42)
