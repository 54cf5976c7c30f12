"""GeoPanel: reading, checks and their messages."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from omnimix.errors import InputDataError
from omnimix.experiments import GeoPanel


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"city": ["a", "a", "b", "b", "c", "c"],
                         "day": ["2024-01-01", "2024-01-02"] * 3,
                         "orders": [1, 2, 3, 4, 5, 6], "spend": [1.0] * 6})


def test_wide_matrix_and_cost() -> None:
    p = GeoPanel.from_frame(_frame(), "city", "day", "orders", "spend")
    w = p.wide()
    assert list(w.columns) == ["a", "b", "c"] and w.shape == (2, 3)
    assert w.loc[pd.Timestamp("2024-01-02"), "b"] == 4.0
    assert p.has_cost and p.wide("cost").to_numpy().sum() == 6.0


def test_missing_geo_date_named(tmp_path: Path) -> None:
    f = tmp_path / "panel.csv"
    _frame().iloc[:-1].to_csv(f, index=False)
    with pytest.raises(InputDataError) as e:
        GeoPanel.from_file(f, "city", "day", "orders")
    msg = str(e.value)
    assert str(f) in msg and "'c'" in msg and "2024-01-02" in msg and "add the rows" in msg


def test_duplicate_named_with_row() -> None:
    df = pd.concat([_frame(), _frame().iloc[[2]]], ignore_index=True)
    with pytest.raises(InputDataError, match=r"rows \[3, 7\].*'b' on 2024-01-01"):
        GeoPanel.from_frame(df, "city", "day", "orders")


def test_non_numeric_named_with_row_and_column() -> None:
    df = _frame().astype({"orders": object})
    df.loc[4, "orders"] = "n/a"
    with pytest.raises(InputDataError, match=r"column 'orders'.*'n/a'.*row\(s\) \[5\]"):
        GeoPanel.from_frame(df, "city", "day", "orders")


def test_missing_column_and_bad_date() -> None:
    with pytest.raises(InputDataError, match=r"missing column\(s\) \['kpi'\]"):
        GeoPanel.from_frame(_frame(), "city", "day")
    df = _frame()
    df.loc[1, "day"] = "yesterday"
    with pytest.raises(InputDataError, match=r"unreadable date \['yesterday'\] at row\(s\) \[2\]"):
        GeoPanel.from_frame(df, "city", "day", "orders")


def test_parquet_round_trip(tmp_path: Path) -> None:
    f = tmp_path / "p.parquet"
    _frame().to_parquet(f)
    p = GeoPanel.from_file(f, "city", "day", "orders", "spend")
    assert p.geos == ["a", "b", "c"] and len(p.dates) == 2
