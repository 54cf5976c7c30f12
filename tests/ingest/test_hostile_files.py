"""The hostile corpus: crafted names, row-level overflows, deep JSON, odd containers, line numbers, PII.

Every case asserts what issue 14 asks of a hostile file: no traceback (an :class:`OmnimixError` or a
clean load), ``rows_in = loaded + quarantined + skipped``, the physical line of the file (header = line
1) for every quarantined row, no silently wrong value, and tables untouched by hostile identifiers.
(Value parsing — decimal commas, NaN, currency symbols — lives in test_hostile_values.py.)
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from omnimix.errors import EngineError, InputDataError, OmnimixError
from omnimix.ingest.loader import LoadResult, ingest_file
from omnimix.ingest.workflow import ingest_files
from omnimix.workspace import Workspace

G = ["Day", "Campaign", "Cost", "Impressions", "Clicks", "Currency code"]
GH = ",".join(G) + "\n"
SHOP = "Name,Created at,Total,Currency,Email,Phone\n"


def load(ws: Workspace, path: Path, **kw: Any) -> LoadResult:
    r = ingest_file(ws, path, **kw)
    assert r.rows_in == r.rows_loaded + r.rows_quarantined + r.rows_skipped
    assert q(ws, "SELECT count(*) FROM quarantine WHERE load_id = ?", [r.load_id])[0][0] == r.rows_quarantined
    return r


def q(ws: Workspace, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = ws.connect(read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def quarantine(ws: Workspace) -> list[tuple[int, str | None, str, str]]:
    return q(ws, "SELECT line, column_name, reason, raw FROM quarantine ORDER BY line")  # type: ignore[return-value]


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def snapshot(ws: Workspace) -> dict[str, Any]:
    """Every table with its row count, and the spend and loads rows (what a hostile name could hit)."""
    tables = {t: q(ws, f'SELECT count(*) FROM "{t}"')[0][0] for t in ws.tables()}
    return {"tables": tables, "spend": q(ws, "SELECT * FROM spend ORDER BY ALL"),
            "loads": q(ws, "SELECT load_id, sha256 FROM loads ORDER BY ALL")}


@pytest.fixture
def seeded(ws: Workspace, tmp_path: Path) -> Workspace:
    """A workspace that already holds one spend load (so a dropped or emptied table shows)."""
    load(ws, write(tmp_path, "seed.csv", GH + "2023-12-01,seed,10,100,1,CNY\n"))
    return ws


# ---------------------------------------------------------------------------------------- crafted names
HOSTILE = [
    '"; DROP TABLE spend; --',
    "x'); COPY (SELECT 1) TO '{out}'; --",
    'a"b\'c;) FROM loads; DELETE FROM loads; --',
]


def _hostile_file(tmp_path: Path, fmt: str, name: str, bad_row: bool) -> Path:
    header = [*G, name]
    rows = [["2024-01-01", "brand", "12.5", "100", "7", "CNY", "v1"],
            ["2024-01-02", "brand", "oops" if bad_row else "3", "100", "7", "CNY", "v2"]]
    p = tmp_path / f"hostile.{fmt}"
    if fmt == "parquet":
        pq.write_table(pa.table({h: [r[i] for r in rows] for i, h in enumerate(header)}), p)
    elif fmt == "csv":
        import csv

        with open(p, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)
    elif fmt == "jsonl":
        p.write_text("".join(json.dumps(dict(zip(header, r, strict=True))) + "\n" for r in rows))
    else:
        wb = openpyxl.Workbook()
        sheet = wb.active
        sheet.append(header)
        for r in rows:
            sheet.append(r)
        wb.save(p)
    return p


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl", "xlsx"])
@pytest.mark.parametrize("which", range(len(HOSTILE)))
def test_crafted_column_names_touch_nothing(seeded: Workspace, tmp_path: Path, fmt: str, which: int) -> None:
    out = tmp_path / "pwned.csv"
    name = HOSTILE[which].format(out=out)
    before = snapshot(seeded)
    p = _hostile_file(tmp_path, fmt, name, bad_row=True)
    preset = "google_ads" if fmt == "jsonl" else None
    r = load(seeded, p, preset=preset)
    assert (r.table, r.rows_loaded, r.rows_quarantined) == ("spend", 1, 1)
    after = snapshot(seeded)
    assert set(after["tables"]) == set(before["tables"])  # nothing dropped, nothing created
    assert set(before["spend"]) <= set(after["spend"]) and len(after["spend"]) == len(before["spend"]) + 1
    assert set(before["loads"]) <= set(after["loads"])
    assert not out.exists()
    [(line, col, reason, raw)] = quarantine(seeded)
    assert (line, col) == (2 if fmt == "jsonl" else 3, "Cost") and "not a valid number" in reason
    assert json.loads(raw)[name] == "v2"  # the hostile name is kept as data, verbatim
    assert q(seeded, "SELECT spend FROM spend WHERE date = '2024-01-01'") == [(12.5,)]


def test_crafted_name_mapped_by_the_config_is_only_a_name(seeded: Workspace, tmp_path: Path) -> None:
    name = '"; DROP TABLE loads; --'
    (seeded.root / "omnimix.toml").write_text(
        (seeded.root / "omnimix.toml").read_text() + '\n[[sources]]\nname = "evil"\npattern = "evil.parquet"\npreset = "google_ads"\n'
        f"[sources.columns]\n{json.dumps(name)} = \"spend\"\n", encoding="utf-8")
    ws = Workspace.open(seeded.root)
    p = tmp_path / "evil.parquet"
    pq.write_table(pa.table({"Day": ["2024-01-01", "2024-01-02"], "Campaign": ["a", "a"], "Cost": ["999", "999"],
                             name: ["4.5", "-1"], "Currency code": ["CNY", "CNY"]}), p)
    before = snapshot(ws)
    r = load(ws, p, preset="google_ads")
    assert (r.rows_loaded, r.rows_quarantined) == (1, 1)
    assert set(snapshot(ws)["tables"]) == set(before["tables"]) and len(snapshot(ws)["loads"]) == 2
    assert q(ws, "SELECT spend FROM spend WHERE campaign = 'a'") == [(4.5,)]
    [(line, col, reason, _raw)] = quarantine(ws)
    assert line == 3 and col == name and "negative value" in reason


def test_mapped_name_with_quotes_reads_back_verbatim_in_the_quarantine(seeded: Workspace, tmp_path: Path) -> None:
    name = "Cost'; DROP TABLE spend; --\"x"
    (seeded.root / "omnimix.toml").write_text(
        (seeded.root / "omnimix.toml").read_text() + '\n[[sources]]\nname = "q"\npattern = "q.csv"\n'
        f'preset = "google_ads"\n[sources.columns]\n{json.dumps(name)} = "spend"\n', encoding="utf-8")
    ws = Workspace.open(seeded.root)
    quoted = '"' + name.replace('"', '""') + '"'
    p = write(tmp_path, "q.csv", f"Day,Campaign,Cost,{quoted},Currency code\n2024-01-01,a,1,x'y,CNY\n,a,1,2,CNY\n")
    r = load(ws, p)
    assert (r.rows_loaded, r.rows_quarantined) == (0, 2)
    rows = quarantine(ws)
    assert rows[0][:3] == (2, name, f"column {name}: 'x'y' is not a valid number")
    assert rows[1][:3] == (3, "Day", "column Day: missing value (required)")
    assert q(ws, "SELECT count(*) FROM spend") == [(1,)]


def test_no_ingest_module_quotes_sql_by_hand() -> None:
    """Identifiers and literals are quoted by the one pair of functions in omnimix.workspace."""
    import omnimix.ingest

    src = Path(omnimix.ingest.__file__).parent
    for f in sorted(src.glob("*.py")):
        text = f.read_text(encoding="utf-8")
        for hand in ("replace(\"'\", \"''\")", "replace('\"', '\"\"')"):
            assert hand not in text, f"{f.name} escapes quotes by hand: use quote_ident / quote_literal"


def test_crafted_phone_column_name(ws: Workspace, tmp_path: Path) -> None:
    name = "Phone'); DROP TABLE conversions; --"
    (ws.root / "omnimix.toml").write_text(
        (ws.root / "omnimix.toml").read_text() + '\n[[sources]]\nname = "shop"\npattern = "shop.csv"\npreset = "shopify_orders"\n'
        f"[sources.columns]\n{json.dumps(name)} = \"phone\"\n", encoding="utf-8")
    ws = Workspace.open(ws.root)
    p = write(tmp_path, "shop.csv", f'Name,Created at,Total,Currency,Email,"{name}"\n'
              "#1,2024-01-05 10:00:00,9,CNY,a@b.com,13800138000\n")
    r = load(ws, p)
    assert r.rows_loaded == 1
    assert q(ws, "SELECT phone FROM conversions") == [(hashlib.sha256(b"+8613800138000").hexdigest(),)]


def test_crafted_file_name(seeded: Workspace, tmp_path: Path) -> None:
    d = tmp_path / "x'); DROP TABLE spend; --"
    d.mkdir()
    p = write(d, "a';b.csv", GH + "2024-02-01,a,1,2,3,CNY\n")
    assert load(seeded, p).rows_loaded == 1
    assert q(seeded, "SELECT count(*) FROM spend") == [(2,)]
    assert q(seeded, "SELECT file FROM loads ORDER BY loaded_at DESC LIMIT 1") == [(str(p),)]


def test_sql_in_cell_values_is_data(seeded: Workspace, tmp_path: Path) -> None:
    evil = "'); DROP TABLE loads; --"
    p = write(tmp_path, "v.csv", GH + f'2024-02-01,"{evil}",1,2,3,CNY\n2024-02-02,"a"";DELETE FROM spend;--",x,2,3,CNY\n')
    r = load(seeded, p)
    assert (r.rows_loaded, r.rows_quarantined) == (1, 1)
    assert q(seeded, "SELECT campaign FROM spend WHERE date = '2024-02-01'") == [(evil,)]
    assert q(seeded, "SELECT count(*) FROM spend") == [(2,)]
    assert json.loads(quarantine(seeded)[0][3])["Campaign"] == 'a";DELETE FROM spend;--'


def test_reserved_record_column_name(ws: Workspace, tmp_path: Path) -> None:
    p = write(tmp_path, "shop.csv", SHOP.rstrip("\n") + ",__omnimix_record\n#1,2024-01-05 10:00:00,9,CNY,a@b.com,13800138000,x\n")
    with pytest.raises(InputDataError, match="reserves"):
        ingest_file(ws, p)


# ---------------------------------------------------------------------------------------- row-level failures
@pytest.mark.parametrize("value", ["1e22", "9223372036854775808", "-9.3e18", "1e300"])
def test_out_of_range_integer_quarantines_the_row(ws: Workspace, tmp_path: Path, value: str) -> None:
    p = write(tmp_path, "ovf.csv", GH + f"2024-01-01,a,1,{value},3,CNY\n2024-01-02,a,2,5,3,CNY\n")
    r = load(ws, p)
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (2, 1, 1)
    [(line, col, reason, _)] = quarantine(ws)
    assert (line, col) == (2, "Impressions") and "not a valid whole number" in reason
    assert q(ws, "SELECT date, impressions FROM spend") == [(__import__("datetime").date(2024, 1, 2), 5)]


def test_epoch_timestamp_out_of_range_quarantines_the_row(ws: Workspace, tmp_path: Path) -> None:
    good = {"event_timestamp": "1704067200000000", "event_name": "session_start", "user_pseudo_id": "c1",
            "traffic_source": {"source": "baidu", "medium": "cpc", "name": "brand"}}
    p = tmp_path / "ga4.jsonl"
    p.write_text(json.dumps({**good, "event_timestamp": "1e300"}) + "\n" + json.dumps(good) + "\n")
    r = load(ws, p)
    assert (r.rows_loaded, r.rows_quarantined) == (1, 1)
    assert quarantine(ws)[0][0] == 1


def test_far_future_date_quarantines_the_row(ws: Workspace, tmp_path: Path) -> None:
    r = load(ws, write(tmp_path, "far.csv", GH + "99999-01-01,a,1,2,3,CNY\n2024-01-01,a,1,2,3,CNY\n"))
    assert (r.rows_loaded, r.rows_quarantined) == (1, 1)
    assert quarantine(ws)[0][:2] == (2, "Day")


# ---------------------------------------------------------------------------------------- JSON
GA4 = {"event_timestamp": "1704067200000000", "event_name": "session_start", "user_pseudo_id": "c1",
       "traffic_source": {"source": "baidu", "medium": "cpc", "name": "brand"}}


@pytest.mark.parametrize("opener,closer", [('{"a":', "}"), ("[", "]")])
def test_json_nested_200k_deep_is_quarantined_and_later_files_load(
        ws: Workspace, tmp_path: Path, opener: str, closer: str) -> None:
    deep = opener * 200_000 + "1" + closer * 200_000
    p = tmp_path / "deep.jsonl"
    p.write_text(json.dumps(GA4) + "\n" + deep + "\n" + json.dumps({**GA4, "user_pseudo_id": "c2"}) + "\n")
    later = write(tmp_path, "later.csv", GH + "2024-01-01,a,1,2,3,CNY\n")
    run = ingest_files(ws, [p, later])
    a, b = run.files
    assert (a.rows_in, a.rows_loaded, a.rows_quarantined) == (3, 2, 1) and b.rows_loaded == 1
    [(line, _, reason, raw)] = quarantine(ws)
    assert line == 2 and "nested deeper" in reason and len(raw) <= 100_000


def test_json_nested_within_the_limit_keeps_the_deep_part_as_text(ws: Workspace, tmp_path: Path) -> None:
    inner: dict[str, Any] = {"leaf": 1}
    for _ in range(100):
        inner = {"n": inner}
    p = tmp_path / "ga4.jsonl"
    p.write_text(json.dumps({**GA4, "extra": inner}) + "\n")
    r = load(ws, p)
    assert (r.rows_loaded, r.rows_quarantined) == (1, 0)


@pytest.mark.parametrize("indent", [None, 2])
def test_top_level_json_array_says_what_to_do(ws: Workspace, tmp_path: Path, indent: int | None) -> None:
    p = tmp_path / "events.json"
    p.write_text(json.dumps([GA4, GA4], indent=indent))
    with pytest.raises(InputDataError, match=r"events\.json: is one JSON array.*jq -c"):
        ingest_file(ws, p)
    assert q(ws, "SELECT count(*) FROM loads") == [(0,)]


def test_pretty_printed_json_object_says_what_to_do(ws: Workspace, tmp_path: Path) -> None:
    p = tmp_path / "event.json"
    p.write_text(json.dumps(GA4, indent=2))
    with pytest.raises(InputDataError, match=r"event\.json: is one pretty-printed JSON document.*jq -c"):
        ingest_file(ws, p)


def test_json_keys_differing_only_in_case(ws: Workspace, tmp_path: Path) -> None:
    p = tmp_path / "case.jsonl"
    p.write_text(json.dumps(GA4) + "\n" + json.dumps({**GA4, "Email": "a@b.com", "email": "c@d.com"}) + "\n")
    with pytest.raises(InputDataError, match=r"keys 'Email' and 'email' \(line 2\) differ only in case") as e:
        ingest_file(ws, p)
    assert "SELECT" not in str(e.value)


@pytest.mark.parametrize("key", ["", "   "])
def test_json_empty_key(ws: Workspace, tmp_path: Path, key: str) -> None:
    p = tmp_path / "empty.jsonl"
    p.write_text(json.dumps({**GA4, key: "x"}) + "\n")
    with pytest.raises(InputDataError, match=r"line 1 has an empty key") as e:
        ingest_file(ws, p)
    assert "SELECT" not in str(e.value) and "Parser Error" not in str(e.value)


def test_json_keys_colliding_once_flattened_quarantine_the_line(ws: Workspace, tmp_path: Path) -> None:
    p = tmp_path / "ga4.jsonl"
    clash = {**GA4, "traffic_source.source": "google"}  # and traffic_source: {source: baidu}
    p.write_text(json.dumps(GA4) + "\n" + json.dumps(clash) + "\n")
    r = load(ws, p)
    assert (r.rows_loaded, r.rows_quarantined) == (1, 1)
    [(line, _c, reason, _)] = quarantine(ws)
    assert line == 2 and "'traffic_source.source' appears twice" in reason


def test_json_key_twice_in_one_object_quarantines_the_line(ws: Workspace, tmp_path: Path) -> None:
    p = tmp_path / "ga4.jsonl"
    dup = json.dumps(GA4).replace('"user_pseudo_id": "c1"', '"user_pseudo_id": "c1", "user_pseudo_id": "c2"')
    nested = json.dumps(GA4).replace('"medium": "cpc"', '"medium": "cpc", "medium": "organic"')
    strings = json.dumps({**GA4, "user_pseudo_id": "c3", "note": 'a": b": c": d": e":'})  # not a duplicate
    p.write_text("\n".join([json.dumps(GA4), dup, nested, strings]) + "\n")
    r = load(ws, p)
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (4, 2, 2)
    got = [(line, reason) for line, _c, reason, _ in quarantine(ws)]
    assert got == [(2, "invalid JSON record: key 'user_pseudo_id' appears twice in one object"),
                   (3, "invalid JSON record: key 'medium' appears twice in one object")]


def test_json_line_that_is_not_an_object(ws: Workspace, tmp_path: Path) -> None:
    p = tmp_path / "ga4.jsonl"
    p.write_text(json.dumps(GA4) + '\n"just a string"\n42\n')
    r = load(ws, p)
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (3, 1, 2)
    assert [x[0] for x in quarantine(ws)] == [2, 3]


# ---------------------------------------------------------------------------------------- containers
def test_csv_gz_loads_like_the_csv(ws: Workspace, tmp_path: Path) -> None:
    p = tmp_path / "google.csv.gz"
    p.write_bytes(gzip.compress((GH + "2024-01-01,a,1.5,2,3,CNY\n2024-01-02,a,x,2,3,CNY\n").encode()))
    r = load(ws, p)
    assert (r.preset, r.rows_loaded, r.rows_quarantined) == ("google_ads", 1, 1)
    assert quarantine(ws)[0][0] == 3 and q(ws, "SELECT spend FROM spend") == [(1.5,)]
    assert q(ws, "SELECT file FROM loads") == [(str(p),)]


def test_gbk_csv_gz(ws: Workspace, tmp_path: Path) -> None:
    p = tmp_path / "ocean.csv.gz"
    p.write_bytes(gzip.compress("日期,广告计划,消耗,展示数,点击数\n2024-06-18,抖音-618,1234.5,10000,300\n".encode("gbk")))
    r = load(ws, p)
    assert (r.preset, r.rows_loaded) == ("ocean_engine", 1)
    assert q(ws, "SELECT campaign, spend FROM spend") == [("抖音-618", 1234.5)]


def test_jsonl_gz(ws: Workspace, tmp_path: Path) -> None:
    p = tmp_path / "ga4.jsonl.gz"
    p.write_bytes(gzip.compress((json.dumps(GA4) + "\n{broken\n").encode()))
    r = load(ws, p)
    assert (r.rows_loaded, r.rows_quarantined) == (1, 1) and quarantine(ws)[0][0] == 2


def test_corrupt_gz(ws: Workspace, tmp_path: Path) -> None:
    p = tmp_path / "bad.csv.gz"
    p.write_bytes(gzip.compress(GH.encode())[:12])
    with pytest.raises(InputDataError, match=r"bad\.csv\.gz: is not a readable gzip file"):
        ingest_file(ws, p)


def test_gz_of_empty_file(ws: Workspace, tmp_path: Path) -> None:
    p = tmp_path / "empty.csv.gz"
    p.write_bytes(gzip.compress(b""))
    with pytest.raises(InputDataError, match=r"empty\.csv\.gz: is empty once decompressed"):
        ingest_file(ws, p)


def test_compressed_parquet_is_refused_clearly(ws: Workspace, tmp_path: Path) -> None:
    p = tmp_path / "x.parquet.gz"
    p.write_bytes(gzip.compress(b"PAR1"))
    with pytest.raises(InputDataError, match=r"gzip-compressed.*gunzip"):
        ingest_file(ws, p)


def test_not_really_parquet(ws: Workspace, tmp_path: Path) -> None:
    p = write(tmp_path, "fake.parquet", GH + "2024-01-01,a,1,2,3,CNY\n")
    with pytest.raises(InputDataError, match=r"fake\.parquet: cannot be read as Parquet"):
        ingest_file(ws, p)


# ---------------------------------------------------------------------------------------- physical lines
def _shop_rows(n: int) -> list[str]:
    return [f"#{i},2024-01-05 13:22:11 +0800,{i},CNY,a{i}@b.com,1380013{i:04d}" for i in range(1, n + 1)]


def test_phone_join_keeps_the_earliest_duplicate_and_its_line(ws: Workspace, tmp_path: Path) -> None:
    rows = _shop_rows(1999)
    rows.append("#100,2024-01-05 13:22:11 +0800,999999,CNY,x@b.com,13900000000")  # line 2001 repeats line 101
    r = load(ws, write(tmp_path, "shop.csv", SHOP + "\n".join(rows) + "\n"))
    assert (r.rows_loaded, r.rows_quarantined) == (1999, 1)
    [(line, col, reason, _)] = quarantine(ws)
    assert (line, col) == (2001, "conversion_id") and "(line 101)" in reason
    assert q(ws, "SELECT value FROM conversions WHERE conversion_id = '#100'") == [(100.0,)]


def test_phone_join_bad_rows_keep_their_lines(ws: Workspace, tmp_path: Path) -> None:
    rows = _shop_rows(3000)
    for i in (99, 1496, 2999):
        rows[i] = rows[i].replace("2024-01-05 13:22:11 +0800", "not a date")
    r = load(ws, write(tmp_path, "shop.csv", SHOP + "\n".join(rows) + "\n"))
    assert (r.rows_loaded, r.rows_quarantined) == (2997, 3)
    got = [(line, json.loads(raw)["Name"]) for line, _c, _r, raw in quarantine(ws)]
    assert got == [(101, "#100"), (1498, "#1497"), (3001, "#3000")]


def test_quoted_newlines_and_blank_lines_before_a_bad_row(ws: Workspace, tmp_path: Path) -> None:
    text = GH + '2024-01-01,"two\nlines",1,2,3,CNY\n\n\n2024-01-02,"three\n\nlines",1,2,3,CNY\n2024-01-03,a,x,2,3,CNY\n'
    r = load(ws, write(tmp_path, "nl.csv", text))
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (3, 2, 1)
    assert quarantine(ws)[0][:2] == (9, "Cost")
    assert q(ws, "SELECT campaign FROM spend ORDER BY date") == [("two\nlines",), ("three\n\nlines",)]


def test_crlf_with_quoted_newline(ws: Workspace, tmp_path: Path) -> None:
    text = (GH + '2024-01-01,"a\nb",1,2,3,CNY\n\n2024-01-02,a,-1,2,3,CNY\n').replace("\n", "\r\n")
    r = load(ws, write(tmp_path, "crlf.csv", text))
    assert (r.rows_loaded, r.rows_quarantined) == (1, 1)
    assert quarantine(ws)[0][0] == 5  # the quoted CRLF inside the value and the blank line count
    assert q(ws, "SELECT campaign FROM spend") == [("a\r\nb",)]


def test_wrong_field_count_after_a_quoted_newline(ws: Workspace, tmp_path: Path) -> None:
    text = GH + '2024-01-01,"a\nb",1,2,3,CNY\n2024-01-02,a,1,2\n2024-01-03,a,1,2,3,CNY,extra\n2024-01-04,a,1,2,3,CNY\n'
    r = load(ws, write(tmp_path, "fc.csv", text))
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (4, 2, 2)
    got = [(line, reason.split(":")[0]) for line, _c, reason, _ in quarantine(ws)]
    assert got == [(4, "MISSING COLUMNS"), (5, "TOO MANY COLUMNS")]


def test_wrong_field_count_after_blank_lines(ws: Workspace, tmp_path: Path) -> None:
    text = GH + "2024-01-01,a,1,2,3,CNY\n\n\n2024-01-02,a,1\n2024-01-03,a,oops,2,3,CNY\n"
    r = load(ws, write(tmp_path, "bl.csv", text))
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (3, 1, 2)
    assert [x[0] for x in quarantine(ws)] == [5, 6]


def test_a_bad_multi_line_record_reports_its_first_line(ws: Workspace, tmp_path: Path) -> None:
    text = GH + '2024-01-01,a,1,2,3,CNY\n2024-01-02,"multi\nline\ncampaign",bad,2,3,CNY\n2024-01-03,a,bad,2,3,CNY\n'
    r = load(ws, write(tmp_path, "ml.csv", text))
    assert r.rows_quarantined == 2
    assert [x[0] for x in quarantine(ws)] == [3, 6]


def test_phone_join_and_quoted_newlines_together(ws: Workspace, tmp_path: Path) -> None:
    rows = _shop_rows(500)
    rows[9] = rows[9].replace("#10,", '"#10\nsplit",')  # record 10 spans lines 11-12
    rows[399] = rows[399].replace("2024-01-05 13:22:11 +0800", "later")  # record 400: line 402
    rows.append(rows[199])  # record 501 repeats record 200 (line 202): line 503
    r = load(ws, write(tmp_path, "shop.csv", SHOP + "\n".join(rows) + "\n"))
    assert (r.rows_loaded, r.rows_quarantined) == (499, 2)
    got = [(line, reason.split(" ")[0]) for line, _c, reason, _ in quarantine(ws)]
    assert got == [(402, "column"), (503, "duplicate")] and "(line 202)" in quarantine(ws)[1][2]


def test_bom_file_with_quoted_newline_and_a_short_line(ws: Workspace, tmp_path: Path) -> None:
    text = "\ufeff" + GH + '2024-01-01,"a\nb",1,2,3,CNY\n2024-01-02,a\n2024-01-03,a,1,2,3,CNY\n'
    r = load(ws, write(tmp_path, "bom.csv", text))
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (3, 2, 1)
    [(line, _c, reason, raw)] = quarantine(ws)
    assert line == 4 and reason.startswith("MISSING COLUMNS") and raw == "2024-01-02,a"


def test_gbk_with_quoted_newline_and_bad_row(ws: Workspace, tmp_path: Path) -> None:
    text = '日期,广告计划,消耗,展示数,点击数\n2024-06-18,"双\n11",1,1,1\n2024-06-19,计划,坏,1,1\n'
    r = load(ws, write(tmp_path, "ocean.csv", text, "gbk"))
    assert (r.rows_loaded, r.rows_quarantined) == (1, 1)
    assert quarantine(ws)[0][0] == 4


def test_duplicate_key_after_quoted_newline_names_both_lines(ws: Workspace, tmp_path: Path) -> None:
    text = GH + '2024-01-01,"x\ny",1,2,3,CNY\n2024-01-02,a,1,2,3,CNY\n2024-01-02,a,7,2,3,CNY\n'
    r = load(ws, write(tmp_path, "dk.csv", text))
    assert (r.rows_loaded, r.rows_quarantined) == (2, 1)
    [(line, _c, reason, _)] = quarantine(ws)
    assert line == 5 and "(line 4)" in reason
    assert q(ws, "SELECT spend FROM spend WHERE campaign = 'a'") == [(1.0,)]


# ---------------------------------------------------------------------------------------- errors
def test_engine_failure_message_carries_no_sql(ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from omnimix.ingest import compiler

    real = compiler.Compiler.build

    def broken(self: compiler.Compiler) -> tuple[str, list[str]]:
        sql, cols = real(self)
        return sql.replace("SELECT *, hash(", "SELECT *, CAST('boom' AS INTEGER) AS _x, hash(", 1), cols

    monkeypatch.setattr(compiler.Compiler, "build", broken)
    p = write(tmp_path, "g.csv", GH + "2024-01-01,a,1,2,3,CNY\n")
    with pytest.raises(EngineError) as e:
        ingest_file(ws, p)
    msg = str(e.value)
    assert "g.csv" in msg and "Conversion Error" in msg
    assert "SELECT" not in msg and "LINE 1" not in msg and "\n" not in msg
    assert "CAST('boom' AS INTEGER)" in e.value.sql
    assert q(ws, "SELECT count(*) FROM loads") == [(0,)]


def test_unexpected_failure_of_one_file_is_reported_and_the_next_loads(
        ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from omnimix.ingest import loader

    real = loader.read_any

    def flaky(con: Any, path: Path, table: str, **kw: Any) -> Any:
        if path.name == "first.csv":
            raise RuntimeError("library bug")
        return real(con, path, table, **kw)

    monkeypatch.setattr(loader, "read_any", flaky)
    a = write(tmp_path, "first.csv", GH + "2024-01-01,a,1,2,3,CNY\n")
    b = write(tmp_path, "second.csv", GH + "2024-01-02,a,1,2,3,CNY\n")
    run = ingest_files(ws, [a, b])
    assert run.failed and run.files[0].table is None and "RuntimeError: library bug" in run.files[0].errors[0]
    assert run.files[1].rows_loaded == 1 and q(ws, "SELECT count(*) FROM spend") == [(1,)]


def test_every_file_error_is_an_omnimix_error_without_sql(ws: Workspace, tmp_path: Path) -> None:
    cases = {
        "dupcase.csv": "Day,Campaign,Cost,cost\n2024-01-01,a,1,2\n",
        "nohead.csv": "\n\n",
        "odd.csv": "foo,bar\n1,2\n",
        "arr.json": "[1, 2]",
        "fake.parquet": "a,b\n1,2\n",
        "bad.xlsx": "not a zip",
    }
    for name, text in cases.items():
        with pytest.raises(OmnimixError) as e:
            ingest_file(ws, write(tmp_path, name, text))
        assert name in str(e.value)
        assert not any(w in str(e.value) for w in ("SELECT", "CREATE", "LINE 1", "Binder Error"))


# ---------------------------------------------------------------------------------------- privacy
def test_structural_rejects_keep_no_raw_pii(ws: Workspace, tmp_path: Path) -> None:
    text = SHOP + ("#1,2024-01-05 10:00:00,9,CNY,li.lei@example.com,13800138000\n"
                   "#2,2024-01-05 10:00:00,9,CNY,han.mei@example.com,13900139000,extra\n"
                   "#3,2024-01-05 10:00:00,9,CNY,wang.wu@example.com\n")
    r = load(ws, write(tmp_path, "shop.csv", text))
    assert (r.rows_loaded, r.rows_quarantined) == (1, 2)
    rows = quarantine(ws)
    assert [x[0] for x in rows] == [3, 4]
    blob = " ".join(x[3] for x in rows)
    for secret in ("han.mei", "13900139000", "wang.wu", "example.com"):
        assert secret not in blob
    assert hashlib.sha256(b"han.mei@example.com").hexdigest() in blob
    assert hashlib.sha256(b"+8613900139000").hexdigest() in blob
    assert hashlib.sha256(b"wang.wu@example.com").hexdigest() in blob


def test_broken_json_line_keeps_no_raw_pii(ws: Workspace, tmp_path: Path) -> None:
    good = {**GA4, "user_id": "u1"}
    p = tmp_path / "ga4.jsonl"
    p.write_text(json.dumps(good) + '\n{"user_pseudo_id": "c9", "note": "call +86 139 0013 9000 or li@x.cn", \n')
    r = load(ws, p)
    assert (r.rows_loaded, r.rows_quarantined) == (1, 1)
    raw = quarantine(ws)[0][3]
    assert "li@x.cn" not in raw and "139 0013 9000" not in raw and '"c9"' in raw
    assert hashlib.sha256(b"li@x.cn").hexdigest() in raw and hashlib.sha256(b"+8613900139000").hexdigest() in raw


def test_unmapped_column_with_pii_in_a_bad_row_is_hashed(ws: Workspace, tmp_path: Path) -> None:
    text = "Day,Campaign,Cost,Impressions,Clicks,Currency code,Owner\n2024-01-01,a,bad,2,3,CNY,boss@corp.com\n"
    load(ws, write(tmp_path, "g.csv", text))
    raw = json.loads(quarantine(ws)[0][3])
    assert raw["Owner"] == hashlib.sha256(b"boss@corp.com").hexdigest() and raw["Cost"] == "bad"


def test_a_reason_quoting_pii_is_hashed_too(ws: Workspace, tmp_path: Path) -> None:
    # an email pasted into the date column: the reason quotes the bad value
    load(ws, write(tmp_path, "shop.csv", SHOP + "#1,li.lei@example.com,9,CNY,,\n"))
    [(line, col, reason, raw)] = quarantine(ws)
    assert (line, col) == (2, "Created at") and "is not a valid date/time" in reason
    assert "li.lei" not in reason + raw and hashlib.sha256(b"li.lei@example.com").hexdigest() in reason


def test_long_rejected_line_is_hashed_in_linear_time(ws: Workspace, tmp_path: Path) -> None:
    import time

    # a broken JSON line (kept up to 100,000 characters) whose text is one long word with an '@'
    # near its end: an unbounded email pattern would take minutes on it
    long = "x" * 95_000
    p = tmp_path / "ga4.jsonl"
    p.write_text(json.dumps(GA4) + "\n" + '{"note": "' + long + '@x li@a.com", \n')
    t0 = time.perf_counter()
    r = load(ws, p)
    assert r.rows_quarantined == 1 and time.perf_counter() - t0 < 15
    raw = quarantine(ws)[0][3]
    assert "li@a.com" not in raw and long in raw and hashlib.sha256(b"li@a.com").hexdigest() in raw


def test_keep_pii_workspace_keeps_the_raw_text(ws_raw: Workspace, tmp_path: Path) -> None:
    text = SHOP + "#2,2024-01-05 10:00:00,9,CNY,han.mei@example.com,13900139000,extra\n"
    load(ws_raw, write(tmp_path, "shop.csv", text))
    assert "han.mei@example.com" in quarantine(ws_raw)[0][3]


def test_salted_workspace_hashes_rejects_with_its_salt(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "salted")
    cfg = (ws.root / "omnimix.toml").read_text()
    (ws.root / "omnimix.toml").write_text(cfg.replace("salt = ''", "salt = 'pepper'"), encoding="utf-8")
    ws = Workspace.open(ws.root)
    assert ws.config.pii.salt == "pepper"
    load(ws, write(tmp_path, "shop.csv", SHOP + "#2,2024-01-05 10:00:00,9,CNY,a@b.com,13900139000,extra\n"))
    raw = quarantine(ws)[0][3]
    assert hashlib.sha256(b"peppera@b.com").hexdigest() in raw and "a@b.com" not in raw
