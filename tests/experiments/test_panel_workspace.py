"""GeoPanel.from_workspace: the geo × day panel from conversions.geo and spend.geo, loaded through ingest."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from omnimix.errors import InputDataError
from omnimix.experiments import GeoPanel, analyze
from omnimix.ingest.workflow import ingest_files
from omnimix.workspace import Workspace


def _pos(path: Path) -> Path:
    """A POS export: city in 门店城市, two orders in 北京 on day 1, one in 上海 on day 2, one without a city."""
    pd.DataFrame({
        "小票号": ["r1", "r2", "r3", "r4", "r5"],
        "交易时间": ["2024-03-01 10:00:00", "2024-03-01 11:00:00", "2024-03-02 12:00:00",
                 "2024-03-03 09:00:00", "2024-03-03 10:00:00"],
        "实付金额": [10.0, 20.0, 5.0, 7.0, 100.0],
        "门店城市": ["北京", "北京", "上海", "上海", ""],
    }).to_csv(path, index=False)
    return path


def _spend(path: Path) -> Path:
    """An Ocean Engine report split by 城市 (plus a city with no conversions)."""
    pd.DataFrame({
        "日期": ["2024-03-01", "2024-03-01", "2024-03-02", "2024-03-02", "2024-03-03"],
        "项目名称": ["p"] * 5,
        "城市": ["北京", "上海", "北京", "广州", "北京"],
        "消耗": [100.0, 50.0, 80.0, 9.0, 60.0],
    }).to_csv(path, index=False)
    return path


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    w = Workspace.init(tmp_path / "ws")
    run = ingest_files(w, [_pos(tmp_path / "pos.csv"), _spend(tmp_path / "oe.csv")])
    assert [(r.preset, r.rows_loaded) for r in run.files] == [("pos_transactions", 5), ("ocean_engine", 5)], [
        r.to_json() for r in run.files]
    return w


def test_geo_column_read_from_aliases(ws: Workspace) -> None:
    conv = ws.read("conversions", ["conversion_id", "geo"], order_by=["conversion_id"])
    assert conv["geo"].tolist()[:4] == ["北京", "北京", "上海", "上海"] and pd.isna(conv["geo"].iloc[4])
    sp = ws.read("spend", ["geo", "spend"], order_by=["date", "geo"])
    assert sorted(sp["geo"]) == ["上海", "北京", "北京", "北京", "广州"]


def test_panel_counts_zero_fills_and_cost(ws: Workspace) -> None:
    p = GeoPanel.from_workspace(ws.root)
    w = p.wide("kpi")
    assert list(w.columns) == ["上海", "北京"]
    assert [str(d.date()) for d in w.index] == ["2024-03-01", "2024-03-02", "2024-03-03"]
    assert w["北京"].tolist() == [2.0, 0.0, 0.0] and w["上海"].tolist() == [0.0, 1.0, 1.0]
    c = p.wide("cost")
    assert c["北京"].tolist() == [100.0, 80.0, 60.0] and c["上海"].tolist() == [50.0, 0.0, 0.0]
    assert any("1 conversion(s) have no geo" in n for n in p.notes)
    assert any("广州" in n for n in p.notes)
    rev = GeoPanel.from_workspace(ws, "revenue", cost=False, start="2024-03-01", end="2024-03-04")
    assert not rev.has_cost and len(rev.dates) == 4
    assert rev.wide()["北京"].tolist() == [30.0, 0.0, 0.0, 0.0] and rev.wide()["上海"].sum() == 12.0


def test_channel_filter_and_errors(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match=r"no spend row.*has a geo.*search"):
        GeoPanel.from_workspace(ws, cost=True, channels=["search"])
    assert GeoPanel.from_workspace(ws, channels=["douyin"]).has_cost
    with pytest.raises(InputDataError, match="no conversion in the date range has a geo"):
        GeoPanel.from_workspace(ws, start="2025-01-01")
    bare = Workspace.init(tmp_path / "bare")
    pd.DataFrame({"小票号": ["x"], "交易时间": ["2024-03-01 10:00:00"], "实付金额": [1.0]}).to_csv(
        tmp_path / "nogeo.csv", index=False)
    ingest_files(bare, [tmp_path / "nogeo.csv"])
    with pytest.raises(InputDataError) as e:
        GeoPanel.from_workspace(bare)
    assert "conversions.geo" in str(e.value) and "城市" in str(e.value)


def test_warehouse_panel_reads_a_test(tmp_path: Path) -> None:
    """A simulated geo panel written as orders (one row per conversion) reads back to the same matrix."""
    from omnimix.simulate.geo import simulate_geo_panel

    frame, truth = simulate_geo_panel(n_geos=8, n_days=42, test_days=14, treated=2, effect=0.1, seed=5)
    frame["orders"] = (frame["kpi"] / 50).round().astype(int)
    rows = frame.loc[frame.index.repeat(frame["orders"])]
    conv = pd.DataFrame({"conversion_id": [f"o{i}" for i in range(len(rows))],
                         "ts": rows["date"].dt.strftime("%Y-%m-%d 12:00:00").to_numpy(),
                         "region": rows["geo"].to_numpy(), "type": "purchase"})
    conv.to_csv(tmp_path / "orders.csv", index=False)
    w = Workspace.init(tmp_path / "w")
    ingest_files(w, [tmp_path / "orders.csv"], table="conversions")
    p = GeoPanel.from_workspace(w)
    want = frame.pivot(index="date", columns="geo", values="orders").astype(float)
    pd.testing.assert_frame_equal(p.wide(), want, check_names=False, check_freq=False)
    res = analyze(p, "did", truth["treated"], truth["test_start"], truth["test_end"])
    assert res.att.lo <= res.att.mean <= res.att.hi
