"""Exports as the platforms write them load by auto-detection alone, to the cent and to the row.

Each case builds one export (tests/ingest/real_exports.py), loads it with no --preset, and checks the
detected preset, the row accounting, the warehouse's rows against the generated truth (spend, orders,
order value, contacts), the skipped totals / line-item rows and that quarantine holds only the rows
that are truly bad.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from omnimix.errors import InputDataError
from omnimix.ingest.loader import ingest_file
from omnimix.ingest.mapping import from_flags
from omnimix.workspace import Workspace
from tests.ingest.real_exports import BUILDERS, Export


def _rows(ws: Workspace, sql: str) -> list[tuple[Any, ...]]:
    con = ws.connect(read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _warehouse(ws: Workspace, exp: Export) -> list[tuple[Any, ...]]:
    if exp.table == "spend":
        return _rows(ws, "SELECT date, campaign, ad_group, ad, CAST(round(spend * 100) AS BIGINT), impressions, "
                         "clicks FROM spend")
    if exp.table == "touchpoints":
        return _rows(ws, "SELECT anonymous_id, event_type, utm_source FROM touchpoints")
    if exp.preset == "shopify_orders":
        return _rows(ws, "SELECT conversion_id, ts, CAST(round(value * 100) AS BIGINT), phone IS NOT NULL "
                         "FROM conversions")
    if exp.preset == "pos_transactions":
        return _rows(ws, "SELECT conversion_id, ts, CAST(round(value * 100) AS BIGINT), masked_ids FROM conversions")
    if exp.table == "conversions":
        return _rows(ws, "SELECT conversion_id, ts, CAST(round(value * 100) AS BIGINT) FROM conversions")
    if exp.preset == "hubspot_contacts":
        return _rows(ws, "SELECT record_id, lifecycle_stage, consent_email, created_at FROM contacts")
    return _rows(ws, "SELECT record_id, birthday, consent_sms, masked_ids FROM contacts")


def _key(row: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple("" if v is None else str(v) for v in row)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_export_loads_exactly(ws: Workspace, tmp_path: Path, name: str) -> None:
    exp = BUILDERS[name](tmp_path)
    r = ingest_file(ws, exp.path)  # auto-detection alone
    assert r.preset == exp.preset, r
    assert r.rows_in == r.rows_loaded + r.rows_quarantined + r.rows_skipped
    assert r.rows_loaded == len(exp.rows), (r, _rows(ws, "SELECT line, reason FROM quarantine")[:5])
    assert r.rows_skipped == exp.skipped, r.notes
    got = sorted(_warehouse(ws, exp), key=_key)
    assert got == sorted(exp.rows, key=_key)
    lines = [int(x[0]) for x in _rows(ws, "SELECT line FROM quarantine ORDER BY line")]
    assert lines == exp.quarantined, _rows(ws, "SELECT line, reason FROM quarantine")
    for note in exp.notes:
        assert any(note in n for n in r.notes), r.notes


def test_spend_totals_to_the_cent(ws: Workspace, tmp_path: Path) -> None:
    """Every ad platform export: the warehouse's spend equals the file's (the totals row is not added)."""
    for name in ("ocean_project_ad", "ocean_plan_unit_xlsx", "tencent_gbk", "google_campaign", "meta_ad_level"):
        exp = BUILDERS[name](tmp_path)
        ingest_file(ws, exp.path)
        src = {"ocean_project_ad": "ocean_engine", "ocean_plan_unit_xlsx": "ocean_engine",
               "tencent_gbk": "tencent_ads", "google_campaign": "google_ads", "meta_ad_level": "meta_ads"}[name]
        cents = _rows(ws, f"SELECT CAST(round(sum(spend) * 100) AS BIGINT), count(*) FROM spend WHERE source = '{src}' "
                          f"AND load_id = (SELECT max_by(load_id, loaded_at) FROM loads)")[0]
        assert cents == (sum(int(str(row[4])) for row in exp.rows), len(exp.rows)), name


def test_ad_level_rows_are_not_duplicates(ws: Workspace, tmp_path: Path) -> None:
    exp = BUILDERS["ocean_project_ad"](tmp_path)
    r = ingest_file(ws, exp.path)
    assert (r.rows_loaded, r.rows_quarantined) == (84, 0)
    assert _rows(ws, "SELECT count(DISTINCT ad), count(DISTINCT campaign) FROM spend")[0] == (12, 3)
    # two ads named 视频A in each project, told apart by their ids
    assert _rows(ws, "SELECT DISTINCT count(DISTINCT ad) FROM spend WHERE ad LIKE '视频A [%' GROUP BY campaign") == [(2,)]


def test_meta_currency_comes_from_the_header_unit(ws: Workspace, tmp_path: Path) -> None:
    ingest_file(ws, BUILDERS["meta_ad_level"](tmp_path).path)
    assert _rows(ws, "SELECT DISTINCT currency FROM spend") == [("USD",)]


def test_masked_phones_never_become_identifiers(ws: Workspace, tmp_path: Path) -> None:
    ingest_file(ws, BUILDERS["pos_receipts_gbk"](tmp_path).path)
    rows = _rows(ws, "SELECT phone, masked_ids FROM conversions WHERE masked_ids IS NOT NULL")
    assert rows and all(p is None and m.startswith("phone=138****") for p, m in rows)
    # the real phones are hashed as usual
    assert _rows(ws, "SELECT count(*) FROM conversions WHERE phone IS NOT NULL")[0][0] == 40 - len(rows)
    from omnimix.identity.resolver import resolve

    resolve(ws, probabilistic=False)
    obs = _rows(ws, "SELECT count(*) FROM identifiers WHERE id_type = 'phone'")[0][0]
    assert obs == 40 - len(rows)


def test_shopify_billing_phone_fills_an_empty_phone(ws: Workspace, tmp_path: Path) -> None:
    r = ingest_file(ws, BUILDERS["shopify_orders"](tmp_path).path)
    assert _rows(ws, "SELECT count(*) FROM conversions WHERE phone IS NULL")[0][0] == 0
    assert any("line-item row(s) folded" in n for n in r.notes)


def test_hubspot_vocabularies(ws: Workspace, tmp_path: Path) -> None:
    ingest_file(ws, BUILDERS["hubspot_contacts"](tmp_path).path)
    stages = {s for (s,) in _rows(ws, "SELECT DISTINCT lifecycle_stage FROM contacts")}
    assert stages <= {"subscriber", "lead", "marketing_qualified_lead", "sales_qualified_lead", "opportunity",
                      "customer"}
    assert _rows(ws, "SELECT count(*) FROM contacts WHERE consent_email IS NULL")[0][0] == 0


def test_header_row_and_sheet_flags(ws: Workspace, tmp_path: Path) -> None:
    exp = BUILDERS["tencent_two_sheets"](tmp_path)
    r = ingest_file(ws, exp.path, overrides=from_flags(sheet="数据", header_row=1))
    assert r.rows_loaded == len(exp.rows)
    with pytest.raises(InputDataError, match="has no sheet 'nope'"):
        ingest_file(ws, exp.path, overrides=from_flags(sheet="nope"))


def test_map_and_set_supply_required_columns(ws: Workspace, tmp_path: Path) -> None:
    p = tmp_path / "快手磁力金牛.csv"
    p.write_text("日期,计划名,花费金额\n2024-06-01,直播间引流,\"1,000.50\"\n2024-06-02,直播间引流,20\n", encoding="utf-8")
    with pytest.raises(InputDataError) as exc:
        ingest_file(ws, p)
    assert "closest" in str(exc.value) and "spend" in str(exc.value)
    flags = from_flags(maps=["日期=date", "计划名=campaign", "花费金额=spend"], sets=["channel=抖音", "source=kuaishou"])
    r = ingest_file(ws, p, table="spend", overrides=flags)
    assert r.rows_loaded == 2
    assert _rows(ws, "SELECT channel, source, sum(spend) FROM spend GROUP BY ALL") == [("douyin", "kuaishou", 1020.5)]


def test_sources_in_config_match_by_header(ws: Workspace, tmp_path: Path) -> None:
    (ws.root / "omnimix.toml").write_text(
        (ws.root / "omnimix.toml").read_text(encoding="utf-8")
        + '\n[[sources]]\nname = "xhs"\nheader = ["笔记标题", "消费"]\ntable = "spend"\n'
          'columns = { "笔记标题" = "campaign", "消费" = "spend", "日期" = "date" }\n'
          'constants = { channel = "小红书" }\n', encoding="utf-8")
    ws2 = Workspace.open(ws.root)
    p = tmp_path / "xhs.csv"
    p.write_text("日期,笔记标题,消费\n2024-06-01,夏日穿搭,¥88.80\n", encoding="utf-8")
    r = ingest_file(ws2, p)
    assert (r.preset, r.rows_loaded) == ("table:spend", 1)
    assert _rows(ws2, "SELECT channel, spend, date FROM spend") == [("xiaohongshu", 88.8, dt.date(2024, 6, 1))]


def test_presets_command_lists_columns() -> None:
    from typer.testing import CliRunner

    from omnimix.cli import app

    res = CliRunner().invoke(app, ["presets", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)["presets"]
    ocean = next(p for p in data if p["name"] == "ocean_engine")
    assert "项目名称" in ocean["columns"]["campaign"] and "spend" in ocean["required"]
    assert {p["name"] for p in data} >= {"google_ads", "meta_ads", "ocean_engine", "tencent_ads", "ga4_events",
                                         "ga4_transactions", "shopify_orders", "hubspot_contacts",
                                         "pos_transactions", "pos_members"}


@pytest.mark.parametrize(("header", "preset"), [
    (["日期", "广告主ID", "项目名称", "广告名称", "消耗（元）", "展示数", "点击数", "转化数"], "ocean_engine"),
    (["时间", "广告组", "广告计划", "总消耗", "展示次数", "点击次数"], "ocean_engine"),
    (["日期", "推广计划", "广告", "花费 (元)", "曝光次数", "点击次数", "点击率(%)"], "tencent_ads"),
    (["Campaign", "Ad group", "Day", "Cost (USD)", "Impressions", "Clicks", "CTR"], "google_ads"),
    (["Campaign Name", "Ad Set Name", "Ad Name", "Day", "Amount Spent (EUR)", "Impressions", "Link Clicks"],
     "meta_ads"),
    (["Date", "Transaction ID", "Total revenue", "Session source / medium"], "ga4_transactions"),
    (["Name", "Email", "Created at", "Total", "Billing Phone", "Shipping Phone", "Lineitem name"], "shopify_orders"),
    (["Record ID - Contact", "First Name", "Last Name", "Email", "Mobile Phone Number", "Lifecycle Stage",
      "Create Date"], "hubspot_contacts"),
    (["流水号", "门店代码", "销售时间", "会员手机号", "实收金额"], "pos_transactions"),
    (["会员ID", "会员姓名", "手机", "出生日期", "开卡时间"], "pos_members"),
])
def test_detection_on_header_variants(header: list[str], preset: str) -> None:
    """Spellings the fixtures do not use (other versions and languages of the same exports)."""
    from omnimix.ingest.presets import detect_preset

    assert detect_preset(header, "x.csv").name == preset


def test_no_match_names_the_closest_presets_by_overlap() -> None:
    from omnimix.ingest.presets import detect_preset

    with pytest.raises(InputDataError) as exc:
        detect_preset(["First Name", "Last Name", "Email", "Lifecycle Stage", "Create Date"], "crm.csv")
    problems = exc.value.problems
    assert problems[0].startswith("closest: hubspot_contacts") and "'record_id'" in problems[0]
    assert not any("ocean_engine" in p or "tencent_ads" in p for p in problems)


def test_sources_preset_columns_and_value_maps(ws: Workspace, tmp_path: Path) -> None:
    """A [[sources]] preset is used, its columns supply a required column, its value map renames."""
    (ws.root / "omnimix.toml").write_text(
        (ws.root / "omnimix.toml").read_text(encoding="utf-8")
        + '\n[[sources]]\nname = "tencent-old"\npattern = "*腾讯*.csv"\npreset = "tencent_ads"\n'
          'columns = { "消费金额" = "spend" }\nvalues = { campaign = { "朋友圈" = "moments" } }\n', encoding="utf-8")
    ws2 = Workspace.open(ws.root)
    p = tmp_path / "腾讯_旧版.csv"
    p.write_text("日期,推广计划,消费金额,曝光量\n2024-06-01,朋友圈,12.5,100\n2024-06-01,公众号,3,10\n", encoding="utf-8")
    r = ingest_file(ws2, p)
    assert (r.preset, r.rows_loaded) == ("tencent_ads", 2)
    assert sorted(_rows(ws2, "SELECT campaign, spend, channel FROM spend")) == [
        ("moments", 12.5, "wechat"), ("公众号", 3.0, "wechat")]


def test_cli_flags_and_notes(ws: Workspace, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from omnimix.cli import app

    exp = BUILDERS["ocean_project_ad"](tmp_path)
    res = CliRunner().invoke(app, ["ingest", str(exp.path), "--workspace", str(ws.root), "--json",
                                   "--set", "source=douyin_account_2"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)["files"][0]
    assert (out["preset"], out["rows_loaded"], out["rows_skipped"]) == ("ocean_engine", 84, 1)
    assert out["notes"] == ["1 totals row(s) skipped (line 86)"]
    assert _rows(ws, "SELECT DISTINCT source FROM spend") == [("douyin_account_2",)]
    from omnimix.cli import main
    from omnimix.errors import UsageError

    with pytest.raises(UsageError, match="NAME=VALUE"):
        CliRunner().invoke(app, ["ingest", str(exp.path), "--workspace", str(ws.root), "--map", "oops"],
                           catch_exceptions=False)
    with pytest.raises(SystemExit) as code:
        main(["ingest", str(exp.path), "--workspace", str(ws.root), "--map", "oops"])
    assert code.value.code == 2
    res = CliRunner().invoke(app, ["ingest", "--help"])
    assert "ocean_engine" in res.output and "--header-row" in res.output
