"""The one door (Workspace), the plain-file readers (omnimix.io) and curves in table form."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from omnimix.config import Config
from omnimix.curves import ResponseCurves, curves_from_dict
from omnimix.errors import ConfigError, InputDataError, UsageError
from omnimix.io import detect_delimiter, read_arrow, read_frame
from omnimix.schema import ALL_TABLES, DERIVED, RESULTS, TABLES
from omnimix.workspace import Workspace, quote_ident


def _ws(tmp_path: Path, warehouse: str = "marketing.duckdb") -> Workspace:
    cfg = Config()
    cfg = cfg.model_copy(update={"workspace": cfg.workspace.model_copy(update={"warehouse": warehouse})})
    return Workspace.init(tmp_path / "ws", config=cfg)


def test_configured_file_name_is_the_only_file(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    assert ws.warehouse_path.name == "marketing.duckdb"
    assert Workspace.open(ws.root).warehouse_path == ws.warehouse_path
    ws.write("attribution_results", pd.DataFrame({"model": ["last"], "channel": ["search"],
                                                  "conversions": [3.0], "value": [30.0]}))
    assert ws.read("attribution_results")["conversions"].tolist() == [3.0]
    assert not (ws.root / "warehouse.duckdb").exists()
    assert set(TABLES) <= set(ws.tables())


def test_write_replaces_matching_rows_only_and_creates_from_schema(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    rows = pd.DataFrame({"model": ["last", "last", "first"], "channel": ["a", "b", "a"],
                         "conversions": [1.0, 2.0, 3.0], "value": [1.0, 1.0, 1.0]})
    assert ws.write("attribution_results", rows) == 3
    ws.write("attribution_results", pd.DataFrame({"model": ["last"], "channel": ["c"], "conversions": [9.0]}),
             replace_where="model = ?", params=["last"])
    got = ws.read("attribution_results", ["model", "channel", "conversions", "value"], order_by=["model", "channel"])
    assert got["model"].tolist() == ["first", "last"]
    assert got["channel"].tolist() == ["a", "c"]
    assert got["conversions"].tolist() == [3.0, 9.0]
    assert got["value"].isna().tolist() == [False, True]
    con = ws.connect(read_only=True)
    try:
        cols = [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE "
                                          "table_name = 'attribution_results' ORDER BY ordinal_position").fetchall()]
    finally:
        con.close()
    assert cols == RESULTS["attribution_results"].column_names
    with pytest.raises(UsageError, match="cannot write columns"):
        ws.write("attribution_results", pd.DataFrame({"nope": [1]}))


def test_writer_is_atomic(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    ws.write("segment_profiles", pd.DataFrame({"segment": ["A"], "persona": ["{}"]}))
    with pytest.raises(RuntimeError), ws.writer() as w:
        w.write("segment_profiles", pd.DataFrame({"segment": ["B"], "persona": ["{}"]}))
        w.write("mmm_diagnostics", pd.DataFrame({"metric": ["passed"], "value": [1.0]}))
        raise RuntimeError("boom")
    assert ws.read("segment_profiles")["segment"].tolist() == ["A"]
    assert "mmm_diagnostics" not in ws.tables()


def test_values_and_names_never_reach_sql_unquoted(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    evil = 'x"; DROP TABLE spend; --'
    ws.write("scratch_evil", pd.DataFrame({evil: ["'; DROP TABLE spend; --"]}))
    assert ws.read("scratch_evil", [evil], where=f"{quote_ident(evil)} = ?",
                   params=["'; DROP TABLE spend; --"]).shape == (1, 1)
    assert "spend" in ws.tables()


def test_read_missing_table_names_the_command(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    with pytest.raises(ConfigError, match="omnimix mmm fit"):
        ws.read("response_curves")


def test_of_accepts_workspace_dir_and_bare_warehouse(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    assert Workspace.of(ws) is ws
    assert Workspace.of(ws.root).warehouse_path == ws.warehouse_path
    bare = tmp_path / "bare"
    bare.mkdir()
    import duckdb

    duckdb.connect(str(bare / "warehouse.duckdb")).close()
    assert Workspace.of(bare).warehouse_path == bare / "warehouse.duckdb"
    with pytest.raises(ConfigError, match="omnimix init"):
        Workspace.of(tmp_path / "nothing")


def test_read_only_before_anything_was_loaded(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    ws.warehouse_path.unlink()
    with pytest.raises(ConfigError, match="omnimix ingest"):
        ws.connect(read_only=True)
    assert not ws.warehouse_path.exists()


def test_schema_kinds_and_commands() -> None:
    assert set(ALL_TABLES) == set(TABLES) | set(DERIVED) | set(RESULTS)
    assert all(t.kind == "result" and t.written_by.startswith("omnimix ") for t in RESULTS.values())
    assert all(t.kind == "derived" for t in DERIVED.values())
    assert {"journeys", "paths", "journey_touches"} <= set(DERIVED)


# ---------------------------------------------------------------------------------------------- io
def test_read_frame_csv_semicolon_gbk_parquet_xlsx(tmp_path: Path) -> None:
    frame = pd.DataFrame({"week": ["2024-01-01", "2024-01-08"], "渠道": ["抖音", "微信"], "spend": [1.5, 2.0]})
    a = tmp_path / "a.csv"
    frame.to_csv(a, sep=";", index=False, encoding="gb18030")
    b = tmp_path / "b.parquet"
    frame.to_parquet(b)
    c = tmp_path / "c.xlsx"
    frame.to_excel(c, index=False)
    for p in (a, b, c):
        got = read_frame(p)
        assert got.columns.tolist() == ["week", "渠道", "spend"], p
        assert got["渠道"].tolist() == ["抖音", "微信"], p
        assert got["spend"].astype(float).tolist() == [1.5, 2.0], p
    t = read_arrow(a, string_columns=["spend"])
    assert t.column("spend").to_pylist() == ["1.5", "2.0"]
    assert read_arrow(c).num_rows == 2


def test_read_frame_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="file not found"):
        read_frame(tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputDataError, match="empty"):
        read_frame(empty)
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook")
    with pytest.raises(InputDataError, match=r"bad\.xlsx"):
        read_frame(bad)


def test_detect_delimiter() -> None:
    assert detect_delimiter("a,b,c\n1,2,3\n") == ","
    assert detect_delimiter("a;b;c\n1;2,5;3\n") == ";"
    assert detect_delimiter("a\tb\n1\t2\n") == "\t"


# ---------------------------------------------------------------------------------------------- curves
def _curves() -> ResponseCurves:
    rng = np.random.default_rng(0)
    return ResponseCurves.from_params(
        ["search", "抖音"], ["hill", "logistic"], beta=rng.uniform(50, 100, (30, 2)),
        half_saturation=rng.uniform(5, 10, (30, 2)), slope=rng.uniform(1, 2, (30, 2)),
        lam=rng.uniform(0.01, 0.1, (30, 2)), current_spend=[7.0, 20.0], bounds=[(1.0, None), (None, 40.0)])


def test_curves_table_round_trip(tmp_path: Path) -> None:
    curves = _curves()
    mean, draws = curves.to_frames()
    assert len(mean) == 2 and len(draws) == 60
    ws = _ws(tmp_path)
    with ws.writer() as w:
        w.write("response_curves", mean)
        w.write("response_curve_draws", draws)
    back = ResponseCurves.from_frames(ws.read("response_curves"), ws.read("response_curve_draws"))
    assert back.channels == curves.channels and back.kinds == curves.kinds and back.bounds == curves.bounds
    x = np.array([[3.0, 15.0], [12.0, 60.0]])
    np.testing.assert_allclose(back.draws(x), curves.draws(x))
    only_mean = ResponseCurves.from_frames(ws.read("response_curves"))
    np.testing.assert_allclose(only_mean.response(x), curves.mean_curves().response(x))


def test_curves_from_the_mmm_file_form() -> None:
    doc = {"channels": {
        "display": {"spend": [0, 1], "mean": [0, 1], "current_weekly_spend": 12.0,
                    "saturation": {"type": "hill", "beta": 80.0, "half_saturation": 10.0, "slope": 1.5},
                    "saturation_draws": {"beta": [70.0, 90.0], "half_saturation": [9.0, 11.0], "slope": [1.4, 1.6]},
                    "adstock": {"type": "geometric", "alpha": 0.4}},
        "kol": {"current_weekly_spend": 3.0, "saturation": {"type": "logistic", "beta": 20.0, "lam": 0.1}},
    }}
    curves = curves_from_dict(doc)
    assert curves.n_draws == 2
    assert curves.current_spend.tolist() == [12.0, 3.0]
    np.testing.assert_allclose(curves.beta[:, 0], [70.0, 90.0])
    np.testing.assert_allclose(curves.lam[:, 1], [0.1, 0.1])


def test_loaded_requires_a_warehouse_and_names_the_fix(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    assert Workspace.loaded(ws.root).warehouse_path == ws.warehouse_path
    ws.warehouse_path.unlink()
    with pytest.raises(InputDataError, match=r"marketing\.duckdb: no warehouse in this workspace yet"):
        Workspace.loaded(ws.root)
    with pytest.raises(InputDataError, match="omnimix init"):
        Workspace.loaded(tmp_path / "nothing")
