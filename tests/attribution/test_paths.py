from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from omnimix.attribution.paths import (
    from_strings,
    read_paths_file,
    read_touches,
    read_workspace,
    touches_to_paths,
)
from omnimix.errors import InputDataError


def test_from_strings_trims_and_orders_channels() -> None:
    p = from_strings([" b >a>  c ", "c", "a > > b >"], [1, 2, 3])
    assert p.channels == ("a", "b", "c")
    assert p.tokens.tolist() == [1, 0, 2, 2, 0, 1]
    assert p.offsets.tolist() == [0, 3, 4, 6]
    assert p.path_strings() == ["b > a > c", "c", "a > b"]
    assert p.total_conversions == 6.0
    assert not p.has_value and not p.has_null


def test_empty_path_is_an_error() -> None:
    with pytest.raises(InputDataError, match="empty"):
        from_strings(["a > b", " > "], [1, 1])


def test_negative_counts_are_reported_with_row() -> None:
    with pytest.raises(InputDataError, match="row 2"):
        from_strings(["a", "b"], [1, -1])


def test_collapsed_merges_consecutive_repeats() -> None:
    p = from_strings(["a > a > b > b > a", "b > b"], [1, 1]).collapsed()
    assert p.path_strings() == ["a > b > a", "b"]


@pytest.mark.parametrize("delim", [",", ";"])
def test_read_paths_file_detects_delimiter(tmp_path: Path, delim: str) -> None:
    f = tmp_path / "p.csv"
    f.write_text(
        f"Path{delim}total_conversions{delim}total_conversion_value{delim}total_null\n"
        f"fb > google{delim}2{delim}10.5{delim}3\n"
        f" google {delim}1{delim}4{delim}0\n",
        encoding="utf-8",
    )
    p = read_paths_file(f)
    assert p.channels == ("fb", "google")
    assert p.conversions.tolist() == [2.0, 1.0]
    assert p.value.tolist() == [10.5, 4.0]
    assert p.null.tolist() == [3.0, 0.0]
    assert p.has_value and p.has_null


def test_read_paths_file_custom_separator(tmp_path: Path) -> None:
    f = tmp_path / "p.csv"
    f.write_text("path,total_conversions\na|b|c,1\nb,2\n", encoding="utf-8")
    p = read_paths_file(f, sep="|")
    assert p.path_strings(">") == ["a>b>c", "b"]


def test_read_paths_file_missing_column(tmp_path: Path) -> None:
    f = tmp_path / "p.csv"
    f.write_text("path,conv\na,1\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="total_conversions"):
        read_paths_file(f)


def _touch_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "journey_id": ["j1", "j1", "j1", "j2", "j2", "j3"],
            "ts": pd.to_datetime(
                ["2024-01-01", "2024-01-08", "2024-01-10", "2024-01-02", "2024-01-03", "2024-01-05"]
            ),
            "channel": ["search", "email", "search", "social", "email", "search"],
            "campaign": ["s1", "e1", "s1", "so1", "e1", "s2"],
            "converted": [True, True, True, False, False, True],
            "conversion_value": [50.0, 50.0, 50.0, 0.0, 0.0, 20.0],
            "conversion_ts": pd.to_datetime(
                ["2024-01-10", "2024-01-10", "2024-01-10", None, None, "2024-01-05"]
            ),
        }
    )


def test_touches_to_paths_aggregates_journeys() -> None:
    p = touches_to_paths(_touch_frame())
    got = dict(
        zip(
            p.path_strings(),
            zip(p.conversions.tolist(), p.value.tolist(), p.null.tolist(), strict=True),
            strict=True,
        )
    )
    assert got == {
        "search > email > search": (1.0, 50.0, 0.0),
        "social > email": (0.0, 0.0, 1.0),
        "search": (1.0, 20.0, 0.0),
    }
    lb = touches_to_paths(_touch_frame(), lookback_days=5)
    assert "email > search" in lb.path_strings()
    camp = touches_to_paths(_touch_frame(), level="campaign")
    assert "search / s2" in camp.channels


def test_read_touches_csv(tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    _touch_frame().to_csv(f, index=False)
    t = read_touches(f)
    assert t["converted"].tolist() == [True, True, True, False, False, True]
    assert str(t["ts"].dtype).startswith("datetime64")


def _make_workspace(root: Path) -> None:
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    con.execute(
        "CREATE TABLE paths (path VARCHAR, total_conversions DOUBLE, total_conversion_value DOUBLE,"
        " total_null DOUBLE)"
    )
    con.execute(
        "INSERT INTO paths VALUES ('search > email', 3, 30, 7), ('email', 1, 12, 9),"
        " ('social > search > email', 2, 40, 1)"
    )
    con.execute(
        "CREATE TABLE journey_touches (journey_id VARCHAR, customer_id VARCHAR, ts TIMESTAMP, "
        "channel VARCHAR, campaign VARCHAR, converted BOOLEAN, conversion_value DOUBLE, "
        "conversion_ts TIMESTAMP)"
    )
    con.execute(
        "INSERT INTO journey_touches VALUES "
        "('j1','c1','2024-01-01 10:00','search','s1',true,30,'2024-01-03 10:00'),"
        "('j1','c1','2024-01-02 10:00','email','e1',true,30,'2024-01-03 10:00'),"
        "('j2','c2','2024-01-01 10:00','email','e1',false,NULL,NULL)"
    )
    con.execute("CREATE TABLE spend (date DATE, channel VARCHAR, campaign VARCHAR, spend DOUBLE)")
    con.execute(
        "INSERT INTO spend VALUES ('2024-01-01','search','s1',100), ('2024-01-02','search','s1',50),"
        " ('2024-01-01','email','e1',10)"
    )
    con.close()


def test_read_workspace(tmp_path: Path) -> None:
    _make_workspace(tmp_path)
    ws = read_workspace(tmp_path)
    assert ws.paths is not None and ws.touches is not None and ws.spend is not None
    assert ws.paths.channels == ("email", "search", "social")
    assert ws.paths.total_conversions == 6.0
    assert np.isclose(ws.paths.total_value, 82.0)
    assert len(ws.touches) == 3
    assert ws.spend["spend"].sum() == 160.0


def test_read_workspace_missing(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="no warehouse"):
        read_workspace(tmp_path)
