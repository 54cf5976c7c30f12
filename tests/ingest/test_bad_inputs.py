"""The bad-input corpus: every case gives a clear message or quarantined rows, never a lost row."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from omnimix.errors import InputDataError
from omnimix.ingest.loader import LoadResult, ingest_file
from omnimix.workspace import Workspace

GOOGLE_HEADER = "Day,Campaign,Cost,Impressions,Clicks,Currency code\n"


def load(ws: Workspace, path: Path, **kw: str) -> LoadResult:
    r = ingest_file(ws, path, **kw)
    assert r.rows_in == r.rows_loaded + r.rows_quarantined + r.rows_skipped
    con = ws.connect(read_only=True)
    try:
        q = con.execute("SELECT count(*) FROM quarantine WHERE load_id = ?", [r.load_id]).fetchone()[0]
    finally:
        con.close()
    assert q == r.rows_quarantined
    return r


def quarantine(ws: Workspace) -> list[tuple[int, str | None, str]]:
    con = ws.connect(read_only=True)
    try:
        return con.execute("SELECT line, column_name, reason FROM quarantine ORDER BY line").fetchall()
    finally:
        con.close()


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_gbk_file_is_transcoded(ws: Workspace, tmp_path: Path) -> None:
    p = write(tmp_path, "ocean.csv", "日期,广告计划,消耗,展示数,点击数\n2024-06-18,抖音-618大促,1234.5,10000,300\n", "gbk")
    r = load(ws, p)
    assert (r.preset, r.rows_loaded) == ("ocean_engine", 1)
    con = ws.connect(read_only=True)
    assert con.execute("SELECT campaign, channel, spend FROM spend").fetchone() == ("抖音-618大促", "douyin", 1234.5)


def test_gb18030_only_characters(ws: Workspace, tmp_path: Path) -> None:
    p = write(tmp_path, "ocean18030.csv", "日期,广告计划,消耗,展示数,点击数\n2024-06-18,𠀀计划,1,1,1\n", "gb18030")
    assert load(ws, p).rows_loaded == 1


def test_utf8_bom(ws: Workspace, tmp_path: Path) -> None:
    p = write(tmp_path, "bom.csv", "\ufeff" + GOOGLE_HEADER + "2024-01-01,a,1,2,3,CNY\n")
    r = load(ws, p)
    assert (r.preset, r.rows_loaded) == ("google_ads", 1)


def test_empty_file(ws: Workspace, tmp_path: Path) -> None:
    p = write(tmp_path, "empty.csv", "")
    with pytest.raises(InputDataError, match=r"empty\.csv.*empty"):
        ingest_file(ws, p)


def test_whitespace_only_file(ws: Workspace, tmp_path: Path) -> None:
    p = write(tmp_path, "blank.csv", "\n\n  \n")
    with pytest.raises(InputDataError, match="no header"):
        ingest_file(ws, p)


def test_header_only(ws: Workspace, tmp_path: Path) -> None:
    r = load(ws, write(tmp_path, "h.csv", GOOGLE_HEADER))
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (0, 0, 0)


def test_truncated_last_line(ws: Workspace, tmp_path: Path) -> None:
    p = write(tmp_path, "trunc.csv", GOOGLE_HEADER + "2024-01-01,a,1,2,3,CNY\n2024-01-02,a,1")
    r = load(ws, p)
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (2, 1, 1)
    [(line, _col, reason)] = quarantine(ws)
    assert line == 3 and "MISSING COLUMNS" in reason


def test_missing_required_column(ws: Workspace, tmp_path: Path) -> None:
    p = write(tmp_path, "nocost.csv", "Day,Campaign,Impressions\n2024-01-01,a,1\n")
    with pytest.raises(InputDataError, match="Cost") as exc:
        ingest_file(ws, p, preset="google_ads")
    assert "nocost.csv" in str(exc.value) and "missing required column 'spend'" in str(exc.value)


def test_duplicated_header(ws: Workspace, tmp_path: Path) -> None:
    p = write(tmp_path, "dup.csv", "Day,Campaign,Cost,Cost\n2024-01-01,a,1,2\n")
    with pytest.raises(InputDataError, match=r"'Cost' appears twice \(columns 3 and 4\)"):
        ingest_file(ws, p)


def test_unparseable_dates(ws: Workspace, tmp_path: Path) -> None:
    p = write(tmp_path, "d.csv", GOOGLE_HEADER + "yesterday,a,1,2,3,CNY\n2024-13-45,a,1,2,3,CNY\n2024-01-01,a,1,2,3,CNY\n")
    r = load(ws, p)
    assert (r.rows_loaded, r.rows_quarantined) == (1, 2)
    rows = quarantine(ws)
    assert [x[0] for x in rows] == [2, 3]
    assert all(c == "Day" and "not a valid date" in reason for _, c, reason in rows)


def test_negative_spend(ws: Workspace, tmp_path: Path) -> None:
    r = load(ws, write(tmp_path, "neg.csv", GOOGLE_HEADER + "2024-01-01,a,-3,2,3,CNY\n"))
    assert r.rows_quarantined == 1
    assert "negative value" in quarantine(ws)[0][2]


def test_text_in_numeric_column(ws: Workspace, tmp_path: Path) -> None:
    r = load(ws, write(tmp_path, "txt.csv", GOOGLE_HEADER + "2024-01-01,a,12元x,2,3,CNY\n2024-01-02,a,1,2.5,3,CNY\n"))
    assert r.rows_quarantined == 2
    reasons = [q[2] for q in quarantine(ws)]
    assert "is not a valid number" in reasons[0] and "is not a valid whole number" in reasons[1]


def test_unknown_currency(ws: Workspace, tmp_path: Path) -> None:
    r = load(ws, write(tmp_path, "cur.csv", GOOGLE_HEADER + "2024-01-01,a,1,2,3,RMBX\n2024-01-02,a,1,2,3,usd\n"))
    assert (r.rows_loaded, r.rows_quarantined) == (1, 1)
    assert "unknown currency 'RMBX'" in quarantine(ws)[0][2]


def test_mixed_date_formats(ws: Workspace, tmp_path: Path) -> None:
    body = "".join(f"{d},a{i},1,2,3,CNY\n" for i, d in
                   enumerate(["2024-01-05", "2024/01/06", "20240107", "2024年01月08日", "2024.01.09"]))
    r = load(ws, write(tmp_path, "mixed.csv", GOOGLE_HEADER + body))
    assert r.rows_loaded == 5
    con = ws.connect(read_only=True)
    days = [str(d[0]) for d in con.execute("SELECT date FROM spend ORDER BY date").fetchall()]
    assert days == ["2024-01-05", "2024-01-06", "2024-01-07", "2024-01-08", "2024-01-09"]


def test_ten_megabyte_single_line(ws: Workspace, tmp_path: Path) -> None:
    big = "x" * (10 << 20)
    p = write(tmp_path, "big.csv", GOOGLE_HEADER + f"2024-01-01,{big},1,2,3,CNY\n2024-01-02,a,1,2,3,CNY\n")
    r = load(ws, p)
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (2, 1, 1)
    assert "longer than" in quarantine(ws)[0][2] or "LINE SIZE" in quarantine(ws)[0][2]


def test_semicolon_delimiter_detected(ws: Workspace, tmp_path: Path) -> None:
    p = write(tmp_path, "semi.csv", GOOGLE_HEADER.replace(",", ";") + "2024-01-01;a;1,5;2;3;CNY\n")
    r = load(ws, p)
    assert r.rows_loaded == 1


def test_wrong_delimiter_for_the_data(ws: Workspace, tmp_path: Path) -> None:
    # header comma-separated but rows tab-separated: every row is quarantined with a hint
    p = write(tmp_path, "tabs.csv", GOOGLE_HEADER + "2024-01-01\ta\t1\t2\t3\tCNY\n")
    r = load(ws, p)
    assert r.rows_quarantined == 1
    assert "wrong delimiter" in quarantine(ws)[0][2]


def test_xlsx_merged_header(ws: Workspace, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.append(["日期", "推广计划", "花费", None, "点击量"])
    sheet.merge_cells("C1:D1")
    sheet.append(["2024-01-01", "x", 1, 2, 3])
    p = tmp_path / "merged.xlsx"
    wb.save(p)
    with pytest.raises(InputDataError, match=r"merged header cells \['C1:D1'\]"):
        ingest_file(ws, p)


def test_xlsx_tencent_ads(ws: Workspace, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.append(["日期", "推广计划", "花费", "曝光量", "点击量"])
    sheet.append(["2024-11-11", "双11", 5000.0, 120000, 3400])
    sheet.append([None, None, None, None, None])
    sheet.append(["2024-11-12", "双11", "bad", 1, 1])
    p = tmp_path / "tencent.xlsx"
    wb.save(p)
    r = load(ws, p)
    assert (r.preset, r.rows_loaded, r.rows_quarantined) == ("tencent_ads", 1, 1)
    assert quarantine(ws)[0][0] == 4  # the blank row 3 is skipped, line numbers stay the sheet's


def test_unknown_preset(ws: Workspace, tmp_path: Path) -> None:
    p = write(tmp_path, "g.csv", GOOGLE_HEADER)
    with pytest.raises(InputDataError, match=r"unknown preset 'bing'.*google_ads"):
        ingest_file(ws, p, preset="bing")


def test_no_preset_matches(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="no preset matches"):
        ingest_file(ws, write(tmp_path, "odd.csv", "foo,bar\n1,2\n"))


def test_missing_file(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="does not exist"):
        ingest_file(ws, tmp_path / "nope.csv")


def test_utf16_google_ads_excel_csv_loads(ws: Workspace, tmp_path: Path) -> None:
    """Google Ads' "Excel .csv" download: UTF-16 with a byte-order mark, tab-separated, title lines."""
    text = ("Campaign report\nDecember 1, 2024 - December 2, 2024\n"
            "Day\tCampaign\tCost\tImpr.\tClicks\tCurrency code\n"
            "2024-12-01\tBrand 品牌\t1,234.56\t10,000\t321\tCNY\n"
            "2024-12-02\tBrand 品牌\t0.00\t--\t--\tCNY\n")
    p = tmp_path / "google_ads_excel.csv"
    p.write_bytes(text.encode("utf-16"))  # BOM + UTF-16 (little-endian here)
    r = load(ws, p)
    assert (r.preset, r.rows_in, r.rows_loaded, r.rows_quarantined) == ("google_ads", 2, 2, 0), r
    got = ws.read("spend", order_by=["date"])
    assert got["campaign"].tolist() == ["Brand 品牌", "Brand 品牌"]
    assert got["spend"].tolist() == pytest.approx([1234.56, 0.0]) and got["impressions"].iloc[0] == 10_000
    assert got["impressions"].isna().iloc[1]  # "--" is "no data", not 0


@pytest.mark.parametrize("title", [b"Campaign report\nAll time\n", b""])
def test_mixed_line_endings_load_every_row_with_its_line(ws: Workspace, tmp_path: Path, title: bytes) -> None:
    """LF title/header lines above CRLF data (two programs wrote the file): no row lost, lines right."""
    body = (b"Day,Campaign,Cost,Impressions,Clicks,Currency code\n"
            b"2024-01-01,a,1.5,10,1,CNY\r\n2024-01-02,a,oops,10,1,CNY\r\n2024-01-03,a,2.5,10,1,CNY\r\n")
    p = tmp_path / "mixed.csv"
    p.write_bytes(title + body)
    r = load(ws, p)
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (3, 2, 1), r
    assert sorted(ws.read("spend")["spend"].tolist()) == [1.5, 2.5]
    q = ws.read("quarantine")
    assert q["line"].tolist() == [title.count(b"\n") + 3] and "oops" in q["reason"].iloc[0]


def test_utf16_without_bom_is_refused(ws: Workspace, tmp_path: Path) -> None:
    p = tmp_path / "u16.csv"
    p.write_bytes(GOOGLE_HEADER.encode("utf-16-le"))
    with pytest.raises(InputDataError, match="UTF-16 without a byte-order mark"):
        ingest_file(ws, p)


def test_broken_json_line(ws: Workspace, tmp_path: Path) -> None:
    good = {"event_timestamp": "1704067200000000", "event_name": "session_start", "user_pseudo_id": "c1",
            "traffic_source": {"source": "baidu", "medium": "cpc", "name": "brand"}}
    p = tmp_path / "ga4.jsonl"
    p.write_text(json.dumps(good) + "\n{\"event_name\": \n" + json.dumps({**good, "user_pseudo_id": "c2"}) + "\n")
    r = load(ws, p)
    assert (r.preset, r.rows_in, r.rows_loaded, r.rows_quarantined) == ("ga4_events", 3, 2, 1)
    assert quarantine(ws)[0][0] == 2 and "invalid JSON" in quarantine(ws)[0][2]
    con = ws.connect(read_only=True)
    assert con.execute("SELECT DISTINCT channel, stage FROM touchpoints").fetchall() == [("baidu", "consideration")]
    assert str(con.execute("SELECT min(ts) FROM touchpoints").fetchone()[0]).startswith("2024-01-01 08:00")


def test_thousands_separator_and_quotes(ws: Workspace, tmp_path: Path) -> None:
    r = load(ws, write(tmp_path, "th.csv", GOOGLE_HEADER + '2024-01-01,"brand, CN","1,234.50",2,3,CNY\n'))
    assert r.rows_loaded == 1
    con = ws.connect(read_only=True)
    assert con.execute("SELECT campaign, spend FROM spend").fetchone() == ("brand, CN", 1234.5)


def test_too_many_columns(ws: Workspace, tmp_path: Path) -> None:
    r = load(ws, write(tmp_path, "many.csv", GOOGLE_HEADER + "2024-01-01,brand, CN,1,2,3,CNY\n"))
    assert r.rows_quarantined == 1 and "TOO MANY COLUMNS" in quarantine(ws)[0][2]


def test_missing_required_value(ws: Workspace, tmp_path: Path) -> None:
    r = load(ws, write(tmp_path, "mv.csv", GOOGLE_HEADER + ",a,1,2,3,CNY\n2024-01-01,a,,2,3,CNY\n"))
    assert r.rows_quarantined == 2
    assert all("missing value (required)" in q[2] for q in quarantine(ws))


def test_duplicate_key_in_file(ws: Workspace, tmp_path: Path) -> None:
    r = load(ws, write(tmp_path, "dupk.csv", GOOGLE_HEADER + "2024-01-01,a,1,2,3,CNY\n2024-01-01,a,5,2,3,CNY\n"))
    assert (r.rows_loaded, r.rows_quarantined) == (1, 1)
    assert "duplicate key" in quarantine(ws)[0][2] and quarantine(ws)[0][0] == 3


def test_parquet_canonical(ws: Workspace, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = tmp_path / "exp.parquet"
    pq.write_table(pa.table({"channel": ["douyin", "wechat"], "start": ["2024-03-01", "2024-03-01"],
                             "end": ["2024-03-28", "2024-02-01"], "lift": [1000.0, 5.0],
                             "lift_sd": [100.0, 1.0]}), p)
    r = load(ws, p, table="experiments")
    assert (r.rows_loaded, r.rows_quarantined) == (1, 1)
    assert "end is before start" in quarantine(ws)[0][2]


def test_pii_is_hashed_and_phones_normalised(ws: Workspace, ws_raw: Workspace, tmp_path: Path) -> None:
    text = "Name,Created at,Total,Currency,Email,Phone\n#1001,2024-01-05 13:22:11 +0800,99,CNY, Li.Lei@Example.COM ,13800138000.0\n"
    text += "#1002,2024-01-05 13:22:11 +0800,99,CNY,,138 0013 8000\n"
    p = write(tmp_path, "shopify.csv", text)
    load(ws, p)
    load(ws_raw, p)
    import hashlib

    raw_rows = ws_raw.connect(read_only=True).execute("SELECT email, phone, ts FROM conversions ORDER BY 1").fetchall()
    assert raw_rows[1][1] == "+8613800138000"
    raw_row = raw_rows[0]
    assert raw_row[:2] == ("li.lei@example.com", "+8613800138000")
    assert str(raw_row[2]) == "2024-01-05 13:22:11"
    hashed = ws.connect(read_only=True).execute("SELECT email, phone FROM conversions WHERE email IS NOT NULL").fetchone()
    assert hashed == (hashlib.sha256(b"li.lei@example.com").hexdigest(),
                      hashlib.sha256(b"+8613800138000").hexdigest())


def test_unparseable_phone_keeps_its_marker_when_hashed(ws: Workspace, tmp_path: Path) -> None:
    """Two strangers typing the same junk phone must not become one customer (identity skips
    ``invalid:`` values): the hashed form keeps the marker and hides the digits."""
    from omnimix.identity.workflow import resolve_identities

    text = ("Name,Created at,Total,Currency,Email,Phone\n"
            "#2001,2024-01-05 10:00:00,10,CNY,a@example.com,12345\n"
            "#2002,2024-01-06 10:00:00,20,CNY,b@example.com,12345\n")
    load(ws, write(tmp_path, "junk_phone.csv", text))
    phones = ws.read("conversions")["phone"].tolist()
    assert all(p.startswith("invalid:") and "12345" not in p for p in phones) and len(set(phones)) == 1
    from omnimix.ingest.pii import phone_key

    assert phones[0] == phone_key("12345", keep_pii=False)  # the look-up form is the stored form
    resolve_identities(ws)
    ids = ws.read("identifiers")
    assert not ids["id_value"].str.startswith("invalid:").any()
    assert ids[ids["id_type"] == "email"]["customer_id"].nunique() == 2


def test_reload_adds_nothing_and_overlap_is_skipped(ws: Workspace, tmp_path: Path) -> None:
    a = write(tmp_path, "a.csv", GOOGLE_HEADER + "2024-01-01,a,1,2,3,CNY\n2024-01-02,a,1,2,3,CNY\n")
    b = write(tmp_path, "b.csv", GOOGLE_HEADER + "2024-01-02,a,1,2,3,CNY\n2024-01-03,a,1,2,3,CNY\n")
    assert load(ws, a).rows_loaded == 2
    again = load(ws, a)
    assert (again.rows_loaded, again.rows_skipped, again.already_loaded) == (0, 2, True)
    over = load(ws, b)
    assert (over.rows_loaded, over.rows_skipped) == (1, 1)


def test_cli_never_prints_a_traceback(tmp_path: Path) -> None:
    import subprocess
    import sys

    ws_dir = tmp_path / "w"
    run = [sys.executable, "-c", "from omnimix.cli import main; main()"]
    assert subprocess.run([*run, "init", str(ws_dir)], capture_output=True).returncode == 0
    bad = write(tmp_path, "dup.csv", "Day,Day\n1,2\n")
    out = subprocess.run([*run, "ingest", str(bad), "--workspace", str(ws_dir)], capture_output=True, text=True)
    assert out.returncode != 0
    assert "Traceback" not in out.stderr and "dup.csv" in out.stderr and "appears twice" in out.stderr
    out = subprocess.run([*run, "ingest", str(bad), "--workspace", str(ws_dir), "--json"],
                         capture_output=True, text=True)
    doc = json.loads(out.stdout)
    assert doc["files"][0]["rows_in"] == 0 and "appears twice" in doc["files"][0]["errors"][0]


def test_quarantine_keeps_no_raw_pii(ws: Workspace, tmp_path: Path) -> None:
    text = "Name,Created at,Total,Currency,Email,Phone\n#1,not a date,5,CNY,a@b.com,13800138000\n"
    load(ws, write(tmp_path, "shop.csv", text))
    raw = json.loads(ws.connect(read_only=True).execute("SELECT raw FROM quarantine").fetchone()[0])
    import hashlib

    assert raw["Email"] == hashlib.sha256(b"a@b.com").hexdigest()
    assert raw["Phone"] == hashlib.sha256(b"+8613800138000").hexdigest()
    assert raw["Created at"] == "not a date"


def test_timestamps_with_and_without_offsets(ws: Workspace, tmp_path: Path) -> None:
    # the workspace clock is Asia/Shanghai (UTC+8): offsets are converted, naive times kept as written
    text = "event_id,ts,channel\n" + "\n".join([
        "e1,2024-01-05 13:22:11,email", "e2,2024-01-05 13:22:11+00,email", "e3,2024-01-05T13:22:11Z,email",
        "e4,2024-01-05 13:22:11-05:00,email", "e5,2024-01-05T13:22Z,email", "e6,2024-01-05 13:22:11.5,email",
        "e7,2024/01/05 13:22,email"]) + "\n"
    assert load(ws, write(tmp_path, "tz.csv", text), table="touchpoints").rows_loaded == 7
    con = ws.connect(read_only=True)
    got = dict(con.execute("SELECT event_id, CAST(ts AS VARCHAR) FROM touchpoints").fetchall())
    assert got == {"e1": "2024-01-05 13:22:11", "e2": "2024-01-05 21:22:11", "e3": "2024-01-05 21:22:11",
                   "e4": "2024-01-06 02:22:11", "e5": "2024-01-05 21:22:00", "e6": "2024-01-05 13:22:11.5",
                   "e7": "2024-01-05 13:22:00"}


def test_values_are_trimmed_of_ascii_and_unicode_spaces(ws: Workspace, tmp_path: Path) -> None:
    # the fast path skips trim for ASCII values without an edge space; everything else is trimmed
    text = "event_id,ts,channel,campaign,anonymous_id\n" + "\n".join([
        "e1,2024-01-05 13:22:11,email, spring ,a1", "e2,2024-01-05 13:22:11,email,\u3000春季\u3000,a2",
        "e3,2024-01-05 13:22:11,email,\u00a0x\u2009,a3", "e4,2024-01-05 13:22:11,email,双11,a4",
        "e5,2024-01-05 13:22:11,email,   ,a5", "e6,2024-01-05 13:22:11,email,\tkeep\t,a6"]) + "\n"
    assert load(ws, write(tmp_path, "trim.csv", text), table="touchpoints").rows_loaded == 6
    con = ws.connect(read_only=True)
    got = dict(con.execute("SELECT event_id, campaign FROM touchpoints").fetchall())
    assert got == {"e1": "spring", "e2": "春季", "e3": "x", "e4": "双11", "e5": None, "e6": "\tkeep\t"}


def test_duplicate_keys_found_among_many_rows(ws: Workspace, tmp_path: Path) -> None:
    rows = [f"e{i},2024-01-05 13:22:11,email" for i in range(5000)]
    rows.insert(4000, "e17,2024-01-06 00:00:00,email")  # repeats row 18's key at record 4001
    r = load(ws, write(tmp_path, "many.csv", "event_id,ts,channel\n" + "\n".join(rows) + "\n"),
             table="touchpoints")
    assert (r.rows_loaded, r.rows_quarantined) == (5000, 1)
    line, column, reason = quarantine(ws)[0]
    assert (line, column) == (4002, "event_id") and "line 19" in reason


def test_jsonl_read_in_chunks_keeps_lines_and_late_keys(ws: Workspace, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from omnimix.ingest import readers

    monkeypatch.setattr(readers, "JSONL_CHUNK", 3)  # 10 records in 4 chunks
    good = {"event_timestamp": "1704067200000000", "event_name": "session_start",
            "traffic_source": {"source": "baidu", "medium": "cpc", "name": "brand"}}
    lines = [json.dumps({**good, "user_pseudo_id": f"c{i}"}) for i in range(9)]
    lines.insert(4, "{broken")  # line 5
    lines.insert(7, "")  # line 8, blank
    # a key first seen in the last chunk, and a bad timestamp on the line after it
    lines.append(json.dumps({**good, "user_pseudo_id": "c9", "user_id": "u9"}))
    lines.append(json.dumps({**good, "user_pseudo_id": "c10", "event_timestamp": "soon"}))
    p = tmp_path / "ga4.jsonl"
    p.write_text("\n".join(lines) + "\n")
    r = load(ws, p)
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (12, 10, 2)
    q = quarantine(ws)
    assert [row[0] for row in q] == [5, 13] and "invalid JSON" in q[0][2] and "event_timestamp" in q[1][2]
    con = ws.connect(read_only=True)
    got = dict(con.execute("SELECT anonymous_id, user_id FROM touchpoints").fetchall())
    assert len(got) == 10 and got["c9"] == "u9" and got["c0"] is None
