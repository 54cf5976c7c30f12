"""Hostile and odd cell values: read right, or quarantined with a reason, never loaded wrong.

Every case loads a small file and asserts that nothing raised, that ``rows_in = rows_loaded +
rows_quarantined + rows_skipped``, that each loaded value is the value the cell means (computed by
hand here) and that the cells that mean nothing sensible are in quarantine with a reason.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from omnimix.ingest.loader import LoadResult, ingest_file
from omnimix.ingest.values import european_column
from omnimix.workspace import Workspace

GOOGLE = "Day,Campaign,Cost,Impressions,Clicks,Currency code\n"


def load(ws: Workspace, path: Path, **kw: Any) -> LoadResult:
    r = ingest_file(ws, path, **kw)
    assert r.rows_in == r.rows_loaded + r.rows_quarantined + r.rows_skipped
    return r


def rows(ws: Workspace, sql: str) -> list[tuple[Any, ...]]:
    con = ws.connect(read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def reasons(ws: Workspace) -> dict[int, str]:
    return {int(line): str(reason) for line, reason in rows(ws, "SELECT line, reason FROM quarantine")}


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_non_finite_numbers_are_never_loaded(ws: Workspace, tmp_path: Path) -> None:
    body = "".join(f"2024-06-0{i + 1},c{i},{v},1,1,USD\n" for i, v in
                   enumerate(["NaN", "Infinity", "-inf", "1e309", "nan", "12.5"]))
    r = load(ws, write(tmp_path, "g.csv", GOOGLE + body))
    assert (r.rows_loaded, r.rows_quarantined) == (1, 5)
    assert rows(ws, "SELECT campaign, spend FROM spend") == [("c5", 12.5)]
    assert all(math.isfinite(v) for (v,) in rows(ws, "SELECT spend FROM spend"))
    q = reasons(ws)
    assert set(q) == {2, 3, 4, 5, 6}
    assert all("finite" in q[line] or "not a valid number" in q[line] for line in q)


@pytest.mark.parametrize(("cell", "cents"), [
    ('"1,234.50"', 123450), ("¥88", 8800), ('"￥1,000"', 100000), ("$12.30", 1230), ("RMB 100", 10000),
    ("100元", 10000), ("CNY 5.5", 550), ("€7", 700), ('" 42 "', 4200), ("0.5", 50), ("+3", 300),
])
def test_money_formats(ws: Workspace, tmp_path: Path, cell: str, cents: int) -> None:
    r = load(ws, write(tmp_path, "g.csv", GOOGLE + f"2024-06-01,c,{cell},1,1,USD\n"))
    assert r.rows_loaded == 1, reasons(ws)
    assert rows(ws, "SELECT CAST(round(spend * 100) AS BIGINT) FROM spend") == [(cents,)]


@pytest.mark.parametrize("cell", ['"1,2,3"', '"12,34"', '"1.200,50"', '"1,23.4"', "12abc", "0x10", '"1 2"'])
def test_ambiguous_or_broken_numbers_are_quarantined(ws: Workspace, tmp_path: Path, cell: str) -> None:
    # the other rows are plainly decimal-point numbers, so the column is not European
    r = load(ws, write(tmp_path, "g.csv", GOOGLE + "2024-06-01,a,12.50,1,1,USD\n" + f"2024-06-02,b,{cell},1,1,USD\n"))
    assert (r.rows_loaded, r.rows_quarantined) == (1, 1)
    assert rows(ws, "SELECT spend FROM spend") == [(12.5,)]
    assert "is not a valid number" in reasons(ws)[3]


def test_decimal_comma_in_a_european_column(ws: Workspace, tmp_path: Path) -> None:
    """A ';'-separated export whose money column is all European: 1.200,50 → 1200.50, 1.250 → 1250."""
    text = ("Day;Campaign;Cost;Impressions;Clicks;Currency code\n2024-06-01;a;1.200,50;1;1;EUR\n"
            "2024-06-02;b;12,5;1;1;EUR\n2024-06-03;c;1.250;1;1;EUR\n2024-06-04;d;1,2,3;1;1;EUR\n")
    r = load(ws, write(tmp_path, "eu.csv", text))
    assert dict(rows(ws, "SELECT campaign, spend FROM spend")) == {"a": 1200.5, "b": 12.5, "c": 1250.0}
    assert r.rows_quarantined == 1 and "is not a valid number" in reasons(ws)[5]


def test_european_column_rule() -> None:
    assert european_column(["1.200,50", "3,5", "100"])
    assert not european_column(["1.200,50", "12.50"])  # a decimal point elsewhere: not clearly European
    assert not european_column(["1,2,3", "100"])
    assert not european_column(["1,200", "300"])  # comma grouping only: ambiguous, not European


def test_null_tokens(ws: Workspace, tmp_path: Path) -> None:
    body = ("2024-06-01,a,1,--,5,USD\n2024-06-02,b,2,-,N/A,USD\n2024-06-03,c,3,n/a,null,USD\n"
            "2024-06-04,d,--,1,1,USD\n")
    r = load(ws, write(tmp_path, "g.csv", GOOGLE + body))
    assert rows(ws, "SELECT campaign, impressions, clicks FROM spend ORDER BY 1") == [
        ("a", None, 5), ("b", None, None), ("c", None, None)]
    assert r.rows_quarantined == 1 and "missing value (required)" in reasons(ws)[5]


def test_twelve_hour_times_and_serial_dates(ws: Workspace, tmp_path: Path) -> None:
    body = ("#1,2024-06-01 2:10 PM,10\n#2,2024-06-01 2:10 AM,10\n#3,2024-06-01 12:05 AM,10\n"
            "#4,2024/06/01 12:30:15 PM,10\n#5,45444.5,10\n#6,2024-06-01 14:10:00,10\n#7,2024-06-01 13:10 PM,10\n")
    r = load(ws, write(tmp_path, "o.csv", "Name,Created at,Total\n" + body), preset="shopify_orders")
    got = dict(rows(ws, "SELECT conversion_id, ts FROM conversions"))
    assert got == {"#1": dt.datetime(2024, 6, 1, 14, 10), "#2": dt.datetime(2024, 6, 1, 2, 10),
                   "#3": dt.datetime(2024, 6, 1, 0, 5), "#4": dt.datetime(2024, 6, 1, 12, 30, 15),
                   "#5": dt.datetime(2024, 6, 1, 12, 0), "#6": dt.datetime(2024, 6, 1, 14, 10)}
    assert r.rows_quarantined == 1 and "date/time" in reasons(ws)[8], reasons(ws)


def test_excel_serial_date_in_a_date_column(ws: Workspace, tmp_path: Path) -> None:
    load(ws, write(tmp_path, "g.csv", GOOGLE + "45444,a,1,1,1,USD\n"))
    assert rows(ws, "SELECT date FROM spend") == [(dt.date(2024, 6, 1),)]


def test_overflowing_whole_number_quarantines_the_row(ws: Workspace, tmp_path: Path) -> None:
    r = load(ws, write(tmp_path, "g.csv", GOOGLE + "2024-06-01,a,1,1e22,1,USD\n2024-06-02,b,1,7,1,USD\n"))
    assert (r.rows_loaded, r.rows_quarantined) == (1, 1)
    assert "whole number" in reasons(ws)[2]


def test_nul_bytes_are_quarantined(ws: Workspace, tmp_path: Path) -> None:
    p = tmp_path / "g.csv"
    p.write_bytes((GOOGLE + "2024-06-01,bad\x00name,1,1,1,USD\n2024-06-02,ok,1\x002,1,1,USD\n"
                   "2024-06-03,ok,5,1,1,USD\n").encode())
    r = load(ws, p)
    assert rows(ws, "SELECT campaign, spend FROM spend") == [("ok", 5.0)]
    assert r.rows_quarantined == 2 and "NUL" in reasons(ws)[2] and "NUL" in reasons(ws)[3]


def test_formula_without_cached_value_is_quarantined(ws: Workspace, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    sh = wb.active
    sh.append(["日期", "广告计划", "消耗", "展示数", "点击数"])
    sh.append(["2024-06-01", "a", 10.5, 100, 3])
    sh.append(["2024-06-02", "b", "=C2*2", 100, 3])  # openpyxl writes no cached value
    p = tmp_path / "f.xlsx"
    wb.save(p)
    r = load(ws, p)
    assert (r.rows_loaded, r.rows_quarantined) == (1, 1)
    assert "formula '=C2*2' has no cached value" in reasons(ws)[3]


def test_masked_identifiers_are_flagged_not_matched(ws_raw: Workspace, tmp_path: Path) -> None:
    body = ("1,2024-06-01 10:00:00,5,j***@x.com,138****8000\n2,2024-06-01 11:00:00,5,a@x.com,138xxxx8000\n"
            "3,2024-06-01 12:00:00,5,b@x.com,13800138000\n")
    load(ws_raw, write(tmp_path, "o.csv", "Name,Created at,Total,Email,Phone\n" + body), preset="shopify_orders")
    got = {r[0]: r[1:] for r in rows(ws_raw, "SELECT conversion_id, email, phone, masked_ids FROM conversions")}
    assert got["1"] == (None, None, "email=j***@x.com; phone=138****8000")
    assert got["2"] == ("a@x.com", None, "phone=138xxxx8000")
    assert got["3"] == ("b@x.com", "+8613800138000", None)


def test_totals_rows_are_skipped_and_reported(ws: Workspace, tmp_path: Path) -> None:
    body = ("2024-06-01,Total campaign budget,5,1,1,USD\n2024-06-02,b,7,1,1,USD\n总计,,12,2,2,USD\n"
            "Total: Account,--,12,2,2,USD\nGrand total,,12,,,USD\n")
    r = load(ws, write(tmp_path, "g.csv", GOOGLE + body))
    assert (r.rows_loaded, r.rows_skipped, r.rows_quarantined) == (2, 3, 0)
    assert rows(ws, "SELECT sum(spend) FROM spend") == [(12.0,)]  # a campaign starting with 'Total' stays
    assert r.notes == ["3 totals row(s) skipped (line 4, 5, 6)"]


def test_title_rows_and_header_row_flag(ws: Workspace, tmp_path: Path) -> None:
    from omnimix.ingest.mapping import from_flags

    text = ("某某报表\n导出时间：2024-06-08\n\n" + GOOGLE + "2024-06-01,a,1,1,1,USD\n2024-06-02,b,1,1,1,USD\n"
            "2024-06-03,c,oops,1,1,USD\n")
    p = write(tmp_path, "t.csv", text)
    r = load(ws, p)
    assert (r.rows_loaded, r.rows_quarantined) == (2, 1)
    assert list(reasons(ws)) == [7]  # the physical line: 3 lines above the header (line 4)
    r2 = load(ws, write(tmp_path, "t2.csv", text.replace("2024-06-0", "2024-07-0")),
              overrides=from_flags(header_row=4))
    assert r2.rows_loaded == 2


def test_line_items_keep_file_order_and_lines(ws: Workspace, tmp_path: Path) -> None:
    """Folding line items must not reorder rows: quarantine lines and first-wins duplicates stay right."""
    text = ("Name,Created at,Total,Lineitem name\n#1,2024-06-01 10:00:00,10,a\n#1,,,b\n#2,bad date,5,a\n#2,,,b\n"
            "#3,2024-06-01 11:00:00,7,a\n#3,2024-06-01 12:00:00,999,dup\n")
    r = load(ws, write(tmp_path, "o.csv", text), preset="shopify_orders")
    assert (r.rows_loaded, r.rows_skipped, r.rows_quarantined) == (2, 2, 2)
    assert dict(rows(ws, "SELECT conversion_id, value FROM conversions")) == {"#1": 10.0, "#3": 7.0}
    q = reasons(ws)
    assert sorted(q) == [4, 7] and "date/time" in q[4] and "duplicate key" in q[7]


def test_header_normalisation_and_detection() -> None:
    from omnimix.ingest.headers import find_header_row, normalize, split_unit, unit_currency
    from omnimix.ingest.presets import known_headers

    assert normalize("消耗（元）") == normalize("消耗(元)") == normalize(" 消耗 (元) ") == "消耗(元)"
    assert split_unit("花费【元】") == ("花费", "元") and split_unit("Clicks") == ("clicks", None)
    assert unit_currency("Amount Spent (USD)") == "USD" and unit_currency("点击率(%)") is None
    rows = [["巨量引擎报表"], ["时间：2024-06-01 至 2024-06-07"], [], ["日期", "项目名称", "消耗(元)"], ["2024-06-01", "a", "1"]]
    assert find_header_row(rows, known_headers()) == 3
    ga4 = [["# ----"], ["# Property: x"], [], ["Transaction ID", "Date", "Purchase revenue"], ["T1", "20240601", "1"]]
    assert find_header_row(ga4, known_headers()) == 3
    unknown = [["Report"], ["foo", "bar", "baz"], ["1", "2", "3"], ["4", "5", "6"]]
    assert find_header_row(unknown, known_headers()) == 1
