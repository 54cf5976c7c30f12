"""Plan vs actual on a simulated year: every actual equals the warehouse's own figure (issue #17)."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from omnimix.config import IDENTIFIER_TYPES
from omnimix.errors import UsageError
from omnimix.ingest.workflow import ingest_files
from omnimix.journeys.workflow import resolve_workspace
from omnimix.metrics import metric_frame
from omnimix.plan.actual import Target, period_range, plan_vs_actual, targets_from_build
from omnimix.simulate.world import simulate_world
from omnimix.workspace import Workspace

YEAR = 2024  # the simulator's first year (weeks from 2024-01-01)


@pytest.fixture(scope="module")
def sim_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("plan_actual")
    simulate_world(root / "data", customers=500, weeks=53, seed=11)
    ws = Workspace.init(root / "ws")
    ingest_files(ws, [p for p in sorted((root / "data").iterdir()) if p.is_file()])
    resolve_workspace(ws, probabilistic=False)
    return ws


def _sql(ws: Workspace, q: str, params: list) -> pd.DataFrame:
    con = ws.connect(read_only=True)
    try:
        return con.execute(q, params).df()
    finally:
        con.close()


def _person_sql() -> str:
    ids = ", ".join(f"'{t}:' || c.\"{t}\"" for t in IDENTIFIER_TYPES)
    return f"coalesce(r.customer_id, {ids})"


def _doc(channels: list[str]) -> dict:
    quarter = {"spend": 1.0, "revenue": 1.0, "new_customers": 1.0, "cac": 1.0, "conversions": 1.0,
               "stage_awareness": 1.0}
    return {
        "budget": {"total": 100.0, "reserve": 10.0, "channels": dict.fromkeys(channels, 1.0)},
        "quarters": {f"Q{q}": dict(quarter) for q in range(1, 5)},
        "months": {f"{YEAR}-{m:02d}": {"spend": {ch: 1.0 for ch in channels[:2]}, "new_customers": 1.0}
                   for m in range(1, 13)},
    }


def test_plan_vs_actual_of_the_simulated_year_equals_the_warehouse(sim_ws: Workspace) -> None:
    channels = sorted(_sql(sim_ws, "SELECT DISTINCT channel FROM spend", [])["channel"])
    targets = targets_from_build(_doc(channels), YEAR)
    assert len(targets) == len(channels) + 4 * 6 + 12 * 3
    pva = plan_vs_actual(sim_ws, targets, as_of=date(YEAR, 12, 31))
    rows = pva.to_frame()
    assert len(rows) == len(targets) and (rows["elapsed"] == 1.0).all()

    y0, y1 = date(YEAR, 1, 1), date(YEAR, 12, 31)
    spend_ch = _sql(sim_ws, 'SELECT channel, sum(spend) AS s FROM spend WHERE "date" BETWEEN ? AND ? GROUP BY 1',
                    [y0, y1]).set_index("channel")["s"]
    year_rows = rows[rows["period"] == str(YEAR)].set_index("channel")
    for ch in channels:
        assert year_rows.loc[ch, "actual"] == pytest.approx(spend_ch[ch], rel=1e-12)

    person = _person_sql()
    first_buy = _sql(sim_ws, f"""
        SELECT {person} AS person, min(c.ts) AS first_ts FROM conversions c
        LEFT JOIN row_customers r ON r.src_table = 'conversions' AND r.row_key = c.conversion_id
        WHERE lower(c.type) IN ('purchase', 'order') GROUP BY 1""", []).dropna(subset=["person"])
    checked = 0
    for q in range(1, 5):
        s, e = period_range(f"Q{q}", YEAR)
        ts = [pd.Timestamp(s), pd.Timestamp(e) + pd.Timedelta(days=1)]
        spend = _sql(sim_ws, 'SELECT sum(spend) AS v FROM spend WHERE "date" BETWEEN ? AND ?', [s, e])["v"][0]
        conv = _sql(sim_ws, "SELECT count(*) AS n, sum(value) AS v FROM conversions WHERE ts >= ? AND ts < ? "
                    "AND lower(type) IN ('purchase', 'order')", ts)
        aware = _sql(sim_ws, "SELECT count(*) AS n FROM touchpoints WHERE ts >= ? AND ts < ? AND stage = ?",
                     [*ts, "awareness"])["n"][0]
        new = int(((first_buy["first_ts"] >= ts[0]) & (first_buy["first_ts"] < ts[1])).sum())
        got = rows[(rows["period"] == f"Q{q}") & (rows["channel"] == "all")].set_index("metric")["actual"]
        assert got["spend"] == pytest.approx(spend, rel=1e-12)
        assert got["revenue"] == pytest.approx(conv["v"][0], rel=1e-12)
        assert got["conversions"] == conv["n"][0]
        assert got["stage_awareness"] == aware
        assert got["new_customers"] == new and new > 0
        assert got["cac"] == pytest.approx(spend / new, rel=1e-12)
        checked += 6
    assert checked == 24

    # the months' figures equal the metrics layer's own monthly frame (one definition everywhere)
    monthly = metric_frame(sim_ws, ["spend", "new_customers"], y0, y1, grain="month", by_channel=True)
    monthly_all = metric_frame(sim_ws, ["new_customers"], y0, y1, grain="month")
    for m in range(1, 13):
        label = f"{YEAR}-{m:02d}"
        got = rows[rows["period"] == label]
        stamp = pd.Timestamp(YEAR, m, 1)
        for ch in channels[:2]:
            want = monthly[(monthly["period"] == stamp) & (monthly["channel"] == ch)]["spend"].iloc[0]
            assert got[(got["metric"] == "spend") & (got["channel"] == ch)]["actual"].iloc[0] == pytest.approx(want)
        want_new = monthly_all[monthly_all["period"] == stamp]["new_customers"].iloc[0]
        assert got[got["metric"] == "new_customers"]["actual"].iloc[0] == want_new
    assert int(rows[(rows["metric"] == "new_customers") & rows["period"].str.len().eq(7)]["actual"].sum()) == int(
        ((first_buy["first_ts"] >= pd.Timestamp(y0)) & (first_buy["first_ts"] < pd.Timestamp(YEAR + 1, 1, 1))).sum())


def test_pacing_gaps_and_status(sim_ws: Workspace) -> None:
    s, e = date(YEAR, 1, 1), date(YEAR, 12, 31)
    spend_h1 = _sql(sim_ws, 'SELECT sum(spend) AS v FROM spend WHERE "date" BETWEEN ? AND ?',
                    [s, date(YEAR, 6, 30)])["v"][0]
    elapsed = 182 / 366  # 2024 is a leap year: 1 Jan – 30 Jun is 182 days
    targets = [
        Target("spend", s, e, spend_h1 / elapsed, None, "on pace"),
        Target("spend", s, e, 2 * spend_h1 / elapsed, None, "under"),
        Target("new_customers", s, e, 1e6, None, "behind"),
        Target("cac", s, e, 1e-3, None, "cac high"),
        Target("spend", date(YEAR, 9, 1), date(YEAR, 9, 30), 10.0, None, "later"),
    ]
    pva = plan_vs_actual(sim_ws, targets, as_of=date(YEAR, 6, 30))
    r = pva.to_frame().set_index("period")
    assert r.loc["on pace", "elapsed"] == pytest.approx(elapsed)
    assert r.loc["on pace", "expected"] == pytest.approx(spend_h1)
    assert r.loc["on pace", "pace"] == pytest.approx(1.0) and r.loc["on pace", "status"] == "on_track"
    assert r.loc["on pace", "projected"] == pytest.approx(spend_h1 / elapsed)
    assert r.loc["under", "status"] == "under" and r.loc["under", "pace"] == pytest.approx(0.5)
    assert r.loc["under", "gap"] == pytest.approx(-spend_h1 / elapsed)
    assert r.loc["behind", "status"] == "behind"
    assert r.loc["cac high", "status"] == "behind"  # CAC far above its target: lower is better
    assert r.loc["later", "status"] == "not_started" and math.isnan(r.loc["later", "actual"])
    assert list(pva.alerts()["period"]) == ["under", "behind", "cac high"]
    doc = pva.to_json()
    assert doc["alerts"] == 3 and doc["rows"][4]["actual"] is None and doc["rows"][0]["start"] == "2024-01-01"


def test_targets_and_periods_checked() -> None:
    assert period_range("Q2", 2026) == (date(2026, 4, 1), date(2026, 6, 30))
    assert period_range("Q4", 2026, start_month=4) == (date(2027, 1, 1), date(2027, 3, 31))
    assert period_range("2026-02", 2026) == (date(2026, 2, 1), date(2026, 2, 28))
    assert period_range("M01", 2026, start_month=4) == (date(2026, 4, 1), date(2026, 4, 30))
    assert period_range("2026", 2026) == (date(2026, 1, 1), date(2026, 12, 31))
    for bad in ("H1", "Q5", "M13", "2026-13", "2026-Q0"):
        with pytest.raises(UsageError, match=f"period '{bad}'"):
            period_range(bad, 2026)
    with pytest.raises(UsageError, match="unknown metric"):
        Target("happiness", date(2026, 1, 1), date(2026, 1, 2), 1.0)
    t = targets_from_build({"quarters": {"Q1": {"budget": 5.0, "note": "x", "revenue": {"all": 7.0, "wechat": 2.0}}}},
                           2026)
    assert [(x.metric, x.channel, x.value) for x in t] == [("spend", None, 5.0), ("revenue", None, 7.0),
                                                            ("revenue", "wechat", 2.0)]
    goals = targets_from_build({"goals": [
        {"id": "g1.1", "kpi": "new_customers", "target": 900.0, "deadline": "2026-06-30"},
        {"id": "g1.2", "kpi": "cac", "target": 120.0, "deadline": None},
        {"id": "g2", "kpi": "brand_awareness", "target": 0.4},
        {"id": "g3", "kpi": "orders", "target": None},
    ]}, 2026)
    assert [(x.metric, x.goal_id, x.start, x.end, x.value) for x in goals] == [
        ("new_customers", "g1.1", date(2026, 1, 1), date(2026, 6, 30), 900.0),
        ("cac", "g1.2", date(2026, 1, 1), date(2026, 12, 31), 120.0)]
    with pytest.raises(UsageError, match="no targets"):
        plan_vs_actual(Path("nowhere"), [])
