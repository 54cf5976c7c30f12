from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from omnimix.curves import ResponseCurves
from omnimix.errors import UsageError
from omnimix.plan.calendar import (
    CalendarEntry,
    Weeks,
    flight_entries,
    gantt_figure,
    monthly_flighting,
    peak_week_weights,
    plan_calendar,
    plan_flighting,
)
from omnimix.plan.retail import retail_peaks
from omnimix.plan.spec import parse_plan

from .conftest import PLAN


def test_calendar_has_campaigns_content_and_every_peak_of_the_year(plan) -> None:
    cal = plan_calendar(plan)
    kinds = {e.kind for e in cal}
    assert kinds == {"campaign", "content", "retail_peak"}
    peaks = [e for e in cal if e.kind == "retail_peak"]
    assert {e.key for e in peaks} == {p.key for p in retail_peaks(2026)}
    by_key = {e.key: e for e in cal}
    assert by_key["spring"].name == "春节" and by_key["spring"].start == date(2026, 2, 17)
    assert by_key["qixi"].end == date(2026, 8, 19)
    assert by_key["c618"].to_dict() == {
        "name": "618 大促", "start": "2026-05-25", "end": "2026-06-18", "channels": ["douyin", "wechat"],
        "goal_ids": ["g1"], "kind": "campaign", "key": "c618", "owner": "电商部", "amount": 300000.0,
        "status": None,
    }
    assert by_key["c11"].amount == 250_000.0  # the sum of its budget lines
    # content without goals inherits its campaign's; undated content is not on the calendar
    assert by_key["p1a"].goal_ids == ("g1",) and by_key["p1a"].end == date(2026, 3, 12)
    assert by_key["p1"].end == by_key["p1"].start
    assert "p1b" not in by_key
    assert [e.start for e in cal] == sorted(e.start for e in cal)


def test_calendar_regions_and_language(plan) -> None:
    data = {**PLAN, "calendar": {"regions": "west", "lang": "en"}}
    cal = plan_calendar(parse_plan(data))
    peaks = {e.key: e for e in cal if e.kind == "retail_peak"}
    assert "double11" not in peaks and peaks["black_friday"].name == "Black Friday"
    with pytest.raises(UsageError, match="regions"):
        plan_calendar(parse_plan({**PLAN, "calendar": {"regions": ["moon"]}}))
    en = {e.key: e.name for e in plan_calendar(plan, lang="en") if e.kind == "retail_peak"}
    assert en["spring"] == "Spring Festival"


def test_fiscal_year_takes_peaks_inside_it() -> None:
    data = {**PLAN, "plan": {**PLAN["plan"], "start_month": 4}}
    peaks = [e for e in plan_calendar(parse_plan(data)) if e.kind == "retail_peak"]
    keys = [e.key for e in peaks]
    assert keys[0] == "mothers" and keys[-1] == "women"  # 10 May 2026 … 8 March 2027
    spring = next(e for e in peaks if e.key == "spring")
    assert spring.start == date(2027, 2, 6)  # 春节 2027 falls inside April 2026 – March 2027
    assert all(date(2026, 4, 1) <= e.end <= date(2027, 3, 31) for e in peaks)
    assert sorted(keys) == sorted(p.key for p in retail_peaks(2026))  # each peak once in any 12 months


def test_entry_checks() -> None:
    with pytest.raises(UsageError, match="before start"):
        CalendarEntry("x", date(2026, 2, 2), date(2026, 2, 1))
    with pytest.raises(UsageError, match="kind"):
        CalendarEntry("x", date(2026, 2, 2), date(2026, 2, 3), kind="party")


def test_weeks_and_peak_weights() -> None:
    weeks = Weeks.of_year(date(2026, 1, 1), date(2026, 12, 31))
    assert len(weeks.starts) == 52 and weeks.ends[-1] == date(2026, 12, 31)
    assert sum((e - s).days + 1 for s, e in zip(weeks.starts, weeks.ends, strict=True)) == 365
    w = peak_week_weights(weeks, retail_peaks(2026, ["cn"]), lift=0.4)
    # week 11 (12–18 March) has no Chinese peak; week 45 (5–11 Nov) is inside 双11
    assert w[10] == 1.0 and w[44] == pytest.approx(1.4)


def _curves() -> ResponseCurves:
    return ResponseCurves.from_params(
        ["douyin", "wechat", "baidu"], "hill", beta=[5000.0, 3000.0, 2000.0],
        half_saturation=[3000.0, 2000.0, 1500.0], slope=[1.2, 1.0, 1.5], current_spend=[2100.0, 1400.0, 1050.0],
    )


def test_flighting_from_the_optimizer_puts_more_into_peak_weeks() -> None:
    budget = 52 * 4550.0
    fp, weeks = plan_flighting(_curves(), budget, 2026, regions=["cn"], lift=0.3, reserve=0.1)
    assert fp.allocation.shape == (52, 3)
    assert fp.allocation.sum() == pytest.approx(0.9 * budget, rel=1e-6)
    totals = fp.allocation.sum(1)
    assert totals[44] > totals[10] * 1.05  # 双11 week over a plain March week
    months = monthly_flighting(fp, weeks)
    assert list(months)[:2] == ["2026-01", "2026-02"] and len(months) == 12
    assert sum(sum(m.values()) for m in months.values()) == pytest.approx(fp.allocation.sum())
    flights = flight_entries(fp, weeks)
    assert {e.kind for e in flights} == {"flight"}
    assert sum(e.amount or 0.0 for e in flights) == pytest.approx(fp.allocation.sum())
    nov = next(e for e in flights if e.key == "douyin:2026-11")
    assert nov.start == date(2026, 11, 1) and nov.end == date(2026, 11, 30)
    assert np.isclose(nov.amount, months["2026-11"]["douyin"])
    cal = plan_calendar(parse_plan(PLAN), flights=flights)
    assert sum(1 for e in cal if e.kind == "flight") == len(flights) == sum(v > 0 for m in months.values() for v in m.values())
    assert [t["name"] for t in gantt_figure(cal)["data"]] == ["Retail peaks", "Campaigns", "Content", "Flighting"]


def test_gantt_figure(plan) -> None:
    cal = plan_calendar(plan)
    fig = gantt_figure(cal, "zh-CN")
    names = [t["name"] for t in fig["data"]]
    assert names == ["零售节点", "营销活动", "内容"]
    assert sum(len(t["y"]) for t in fig["data"]) == len(cal)
    camp = fig["data"][1]
    i = camp["y"].index("618 大促")
    assert camp["base"][i] == "2026-05-25" and camp["x"][i] == 25 * 86_400_000
    assert fig["layout"]["xaxis"]["type"] == "date"
    assert next(t["name"] for t in gantt_figure(cal, "en")["data"]) == "Retail peaks"
    # the spec renders in plotly itself
    import plotly.graph_objects as go

    assert len(go.Figure(fig).data) == 3
