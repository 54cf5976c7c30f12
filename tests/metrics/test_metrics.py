"""The metrics layer against hand-computed values on a tiny warehouse."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from omnimix.errors import UsageError
from omnimix.metrics import METRICS, metric_frame
from omnimix.workspace import Workspace


@pytest.fixture
def tiny(ws: Workspace) -> Workspace:
    ws.write("spend", pd.DataFrame({
        "date": pd.to_datetime(["2026-03-02", "2026-03-02", "2026-03-03", "2026-03-09"]).date,
        "channel": ["search", "social", "search", "social"],
        "spend": [100.0, 50.0, 30.0, 20.0],
        "impressions": [1000, 500, 300, 0],
        "clicks": [10, 5, 3, 0],
    }))
    # person p1 buys on 03-02 and 03-03 (new on 03-02); p2 first bought in February (never new in March);
    # p3 buys on 03-09 (new); the lead row is ignored because purchases exist.
    ws.write("conversions", pd.DataFrame({
        "conversion_id": ["o0", "o1", "o2", "o3", "o4", "l1"],
        "ts": pd.to_datetime(["2026-02-10 10:00", "2026-03-02 09:00", "2026-03-03 12:00",
                              "2026-03-03 13:00", "2026-03-09 08:00", "2026-03-02 10:00"]),
        "type": ["purchase"] * 5 + ["lead"],
        "value": [5.0, 40.0, 60.0, 10.0, 25.0, 999.0],
        "phone": ["p2", "p1", "p1", "p2", "p3", "p9"],
    }))
    ws.write("touchpoints", pd.DataFrame({
        "event_id": ["t1", "t2", "t3", "t4"],
        "ts": pd.to_datetime(["2026-02-20 00:00", "2026-03-01 00:00", "2026-03-02 08:00", "2026-03-05 00:00"]),
        "channel": ["search", "social", "search", "social"],
        "stage": ["consideration", "awareness", "decision", "awareness"],
        "phone": ["p1", "p1", "p2", "p3"],
    }))
    ws.write("attribution_results", pd.DataFrame({
        "model": ["markov", "markov", "last_touch"], "channel": ["search", "social", "search"],
        "conversions": [3.0, 1.0, 4.0], "value": [75.0, 25.0, 100.0]}))
    return ws


def test_daily_totals(tiny: Workspace) -> None:
    f = metric_frame(tiny, ["spend", "revenue", "conversions", "new_customers", "cac", "mer",
                            "converting_customers", "cross_channel_share", "stage_awareness"],
                     "2026-03-01", "2026-03-03")
    assert list(f["period"].dt.date) == [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]
    assert list(f["spend"]) == [0.0, 150.0, 30.0]
    assert list(f["revenue"]) == [0.0, 40.0, 70.0]
    assert list(f["conversions"]) == [0.0, 1.0, 2.0]
    assert list(f["new_customers"]) == [0.0, 1.0, 0.0]
    assert math.isnan(f["cac"][0]) and f["cac"][1] == 150.0 and math.isnan(f["cac"][2])
    assert f["mer"][1] == pytest.approx(40 / 150)
    assert list(f["converting_customers"]) == [0.0, 1.0, 2.0]
    # 03-02: p1 touched by search (02-20) and social (03-01) within 30 days -> multi
    # 03-03: p1 multi, p2 only search -> 1/2
    assert f["cross_channel_share"][1] == 1.0 and f["cross_channel_share"][2] == 0.5
    assert list(f["stage_awareness"]) == [1.0, 0.0, 0.0]


def test_weekly_by_channel(tiny: Workspace) -> None:
    f = metric_frame(tiny, ["spend", "revenue", "roas", "mer", "ctr"], date(2026, 3, 2), date(2026, 3, 15),
                     grain="week", by_channel=True)
    assert list(f["channel"]) == ["search", "social", "search", "social"]
    assert list(f["spend"]) == [130.0, 50.0, 0.0, 20.0]
    # week of 03-02: revenue 110 split 75/25 by markov credit
    assert f["revenue"][0] == pytest.approx(110 * 0.75) and f["revenue"][1] == pytest.approx(110 * 0.25)
    assert f["roas"][0] == pytest.approx(110 * 0.75 / 130)
    assert f["mer"].isna().all()
    assert f["ctr"][0] == pytest.approx(13 / 1300)
    one = metric_frame(tiny, ["spend"], "2026-03-02", "2026-03-15", grain="week", channel="social")
    assert list(one["spend"]) == [50.0, 20.0]


def test_monthly_and_all_metrics(tiny: Workspace) -> None:
    f = metric_frame(tiny, None, "2026-02-01", "2026-03-31", grain="month")
    assert list(f.columns) == ["period", *METRICS]
    assert list(f["new_customers"]) == [1.0, 2.0]
    assert list(f["revenue"]) == [5.0, 135.0]


def test_bad_input(tiny: Workspace) -> None:
    with pytest.raises(UsageError, match="unknown metric"):
        metric_frame(tiny, ["nope"], "2026-03-01", "2026-03-02")
    with pytest.raises(UsageError, match="grain"):
        metric_frame(tiny, ["spend"], "2026-03-01", "2026-03-02", grain="hour")
    with pytest.raises(UsageError, match="before"):
        metric_frame(tiny, ["spend"], "2026-03-05", "2026-03-02")
