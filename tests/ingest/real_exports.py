"""Builders of exports laid out the way the platforms write them, each with the truth it holds.

Every builder draws its rows from a seeded generator, writes them as the platform does (its headers,
encoding, title rows, totals rows, number formats, line items, masked phones) and returns an
:class:`Export`: the file, the preset auto-detection must pick, and the rows the warehouse must hold
afterwards (money in cents), computed from the generated values, never by reading the file back.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

DAY0 = dt.date(2024, 6, 1)


@dataclass
class Export:
    """One built export and what loading it must produce."""

    path: Path
    preset: str
    table: str
    rows: list[tuple[object, ...]]  # the loaded rows, in the shape the test's query returns
    skipped: int = 0  # totals rows and line-item rows
    quarantined: list[int] = field(default_factory=list)  # physical lines of the truly bad rows
    notes: list[str] = field(default_factory=list)  # substrings the load's notes must contain


def _money(cents: int, sep: bool = True) -> str:
    return f"{cents / 100:,.2f}" if sep else f"{cents / 100:.2f}"


def _csv(rows: list[list[object]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


def _spend_rows(rng: random.Random, campaigns: list[str], groups: list[str | None], ads: list[str | None],
                days: int) -> list[tuple[dt.date, str, str | None, str | None, int, int, int]]:
    out = []
    for d in range(days):
        for c in campaigns:
            for g in groups:
                for a in ads:
                    imp = rng.randint(800, 250_000)
                    out.append((DAY0 + dt.timedelta(d), c, g, a, rng.randint(0, 900_000), imp, imp // rng.randint(20, 80)))
    return out


def ocean_project_ad(tmp: Path) -> Export:
    """巨量引擎 project/ad report: 项目名称/广告名称, one row per ad per day, 消耗(元) with thousands
    separators, UTF-8 with BOM, a 总计 row whose date cell holds the label."""
    rng = random.Random(1)
    # two ads of a project share a name (a copied creative): only their ids tell them apart
    rows = _spend_rows(rng, ["618大促-抖音信息流", "新品种草", "品牌搜索"], [None], ["视频A#1", "视频A#2", "图文C", "直播D"], 7)
    projects = {"618大促-抖音信息流": 7101, "新品种草": 7102, "品牌搜索": 7103}
    lines: list[list[object]] = [["日期", "项目名称", "项目ID", "广告名称", "广告ID", "消耗(元)", "展示数", "点击数",
                                  "点击率", "转化数"]]
    truth = []
    for d, c, _, a, cents, imp, clk in rows:
        ad_id = 1780000000 + projects[c] * 10 + ["视频A#1", "视频A#2", "图文C", "直播D"].index(a)
        name = a.split("#")[0]
        lines.append([d.isoformat(), c, projects[c], name, ad_id, _money(cents), imp, clk, f"{clk / imp:.2%}",
                      rng.randint(0, 30)])
        truth.append((d, c, None, f"{name} [{ad_id}]", cents, imp, clk))
    lines.append(["总计", "-", "-", "-", "-", _money(sum(r[4] for r in rows)), sum(r[5] for r in rows),
                  sum(r[6] for r in rows), "-", "-"])
    p = tmp / "巨量引擎_项目广告报表_20240601-20240607.csv"
    p.write_bytes(b"\xef\xbb\xbf" + _csv(lines).encode("utf-8"))
    return Export(p, "ocean_engine", "spend", truth, skipped=1, notes=["1 totals row(s) skipped (line 86)"])


def ocean_plan_unit_xlsx(tmp: Path) -> Export:
    """巨量引擎 older 广告组/广告计划 report as XLSX from the back-end: a merged title row and a date-range
    row above the header, full-width brackets (消耗（元）), date cells, a 合计 row."""
    rng = random.Random(2)
    rows = _spend_rows(rng, ["夏季促销组", "会员拉新组"], ["计划-男25-34", "计划-女18-24", "计划-通投"], [None], 7)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "广告计划报表"
    ws.append(["巨量引擎 广告计划数据报表"])
    ws.merge_cells("A1:F1")
    ws.append(["时间范围：2024-06-01 至 2024-06-07"])
    ws.append([])
    ws.append(["日期", "广告组名称", "广告计划名称", "消耗（元）", "展示次数", "点击次数"])
    for d, c, g, _, cents, imp, clk in rows:
        ws.append([dt.datetime.combine(d, dt.time()), c, g, cents / 100, imp, clk])
    ws.append(["合计", None, None, sum(r[4] for r in rows) / 100, sum(r[5] for r in rows), sum(r[6] for r in rows)])
    p = tmp / "ocean_plan_report.xlsx"
    wb.save(p)
    return Export(p, "ocean_engine", "spend", [(d, c, g, None, s, i, k) for d, c, g, _, s, i, k in rows],
                  skipped=1)


def tencent_gbk(tmp: Path) -> Export:
    """腾讯广告 推广计划/广告 report in GBK: 花费（元） in full-width brackets, '-' for no clicks, 合计 row."""
    rng = random.Random(3)
    rows = _spend_rows(rng, ["朋友圈-品牌", "公众号-转化"], [None], ["广告1", "广告2", "广告3", "广告4"], 7)
    lines: list[list[object]] = [["日期", "推广计划名称", "广告名称", "花费（元）", "曝光量", "点击量", "点击率"]]
    truth = []
    for j, (d, c, _, a, cents, imp, clk) in enumerate(rows):
        no_click = j % 9 == 4
        lines.append([d.strftime("%Y/%m/%d"), c, a, _money(cents), imp, "-" if no_click else clk,
                      "-" if no_click else f"{clk / imp:.2%}"])
        truth.append((d, c, None, a, cents, imp, None if no_click else clk))
    lines.append(["合计", "-", "-", _money(sum(r[4] for r in rows)), sum(r[5] for r in rows), "-", "-"])
    p = tmp / "tencent_ads_report.csv"
    p.write_bytes(_csv(lines).encode("gbk"))
    return Export(p, "tencent_ads", "spend", truth, skipped=1)


def tencent_two_sheets(tmp: Path) -> Export:
    """腾讯广告 XLSX whose first sheet is a note and the second the data (the sheet is detected)."""
    rng = random.Random(4)
    rows = _spend_rows(rng, ["视频号-直播"], [None], ["创意甲", "创意乙"], 5)
    wb = openpyxl.Workbook()
    info = wb.active
    info.title = "说明"
    info.append(["本报表由腾讯广告投放管理平台导出"])
    info.append(["数据更新时间", "2024-06-06 08:00"])
    ws = wb.create_sheet("数据")
    ws.append(["日期", "推广计划名称", "广告名称", "花费(元)", "曝光次数", "点击次数"])
    for d, c, _, a, cents, imp, clk in rows:
        ws.append([d.isoformat(), c, a, cents / 100, imp, clk])
    p = tmp / "tencent_two_sheets.xlsx"
    wb.save(p)
    return Export(p, "tencent_ads", "spend", [(d, c, None, a, s, i, k) for d, c, _, a, s, i, k in rows])


def google_campaign(tmp: Path) -> Export:
    """Google Ads campaign report download: report title and date-range lines above the header,
    'Impr.', costs with thousands separators, '--' where there is no data, 'Total: …' rows."""
    rng = random.Random(5)
    rows = _spend_rows(rng, ["Brand - Exact", "Generic - Broad", "PMax - Shopping"], [None], [None], 7)
    lines: list[list[object]] = [["Campaign report"], ["June 1, 2024 - June 7, 2024"],
                                 ["Campaign status", "Campaign", "Day", "Currency code", "Cost", "Impr.", "Clicks",
                                  "Conversions", "Conv. value", "Avg. CPC"]]
    truth = []
    for j, (d, c, _, _, cents, imp, clk) in enumerate(rows):
        paused = j % 10 == 3
        cents = 0 if paused else cents
        lines.append(["Enabled" if not paused else "Paused", c, d.isoformat(), "USD", _money(cents),
                      "--" if paused else f"{imp:,}", 0 if paused else clk, "--" if paused else "3.00",
                      "--" if paused else "120.50", "--" if paused or not clk else f"{cents / 100 / clk:.2f}"])
        truth.append((d, c, None, None, cents, None if paused else imp, 0 if paused else clk))
    total = _money(sum(t[4] for t in truth))
    for label in ("Total: Account", "Total: Search", "Total: Campaigns"):
        lines.append([label, "--", "--", "USD", total, "--", "--", "--", "--", "--"])
    p = tmp / "Campaign report.csv"
    p.write_text(_csv(lines), encoding="utf-8")
    return Export(p, "google_ads", "spend", truth, skipped=3)


def google_keywords(tmp: Path) -> Export:
    """Google Ads search keyword report: the same keyword in several ad groups, one row per keyword/day."""
    rng = random.Random(6)
    rows = _spend_rows(rng, ["Search - Shoes", "Search - Bags"], ["Men", "Women"], ["running shoes", "sale", "free shipping"], 5)
    lines: list[list[object]] = [["Search keyword report"], ["June 1, 2024 - June 5, 2024"],
                                 ["Search keyword", "Match type", "Campaign", "Ad group", "Day", "Currency code",
                                  "Cost", "Impr.", "Clicks"]]
    for d, c, g, a, cents, imp, clk in rows:
        lines.append([a, "Phrase match", c, g, d.isoformat(), "USD", _money(cents), f"{imp:,}", clk])
    lines.append(["Total: Account", "", "", "", "", "USD", _money(sum(r[4] for r in rows)), "", ""])
    p = tmp / "Search keyword report.csv"
    p.write_text(_csv(lines), encoding="utf-8")
    return Export(p, "google_ads", "spend", list(rows), skipped=1)


def meta_ad_level(tmp: Path) -> Export:
    """Meta Ads Manager ad-level export by day: Amount spent (USD) names the currency, Link clicks
    empty where an ad had none, the same ad name in several ad sets."""
    rng = random.Random(7)
    rows = _spend_rows(rng, ["Summer Sale", "Retargeting"], ["Lookalike 1%", "Interest - Running"],
                       ["Carousel", "Video 15s", "Static"], 5)
    lines: list[list[object]] = [["Reporting starts", "Reporting ends", "Campaign name", "Ad set name", "Ad name",
                                  "Day", "Amount spent (USD)", "Impressions", "Link clicks", "Results"]]
    truth = []
    for j, (d, c, g, a, cents, imp, clk) in enumerate(rows):
        none = j % 7 == 2
        lines.append(["2024-06-01", "2024-06-05", c, g, a, d.isoformat(), _money(cents, sep=False), imp,
                      "" if none else clk, ""])
        truth.append((d, c, g, a, cents, imp, None if none else clk))
    p = tmp / "Meta-Ads-Ad-level-Jun-1-2024-Jun-5-2024.csv"
    p.write_bytes(b"\xef\xbb\xbf" + _csv(lines).encode("utf-8"))
    return Export(p, "meta_ads", "spend", truth)


def ga4_bigquery(tmp: Path) -> Export:
    """GA4 BigQuery export as JSON lines: nested records, microsecond timestamps, event_params."""
    rng = random.Random(8)
    t0 = int(dt.datetime(2024, 6, 1, tzinfo=dt.UTC).timestamp() * 1_000_000)
    out = []
    truth = []
    for i in range(240):
        ts = t0 + i * 37_000_000 + rng.randint(0, 999_999)
        src = rng.choice([("google", "cpc", "brand"), ("douyin", "cpc", "618"), ("(direct)", "(none)", "(direct)")])
        ev = {"event_date": "20240601", "event_timestamp": ts, "event_name": rng.choice(["page_view", "session_start"]),
              "event_params": [{"key": "ga_session_id", "value": {"int_value": 1717200000 + i // 5}}],
              "user_pseudo_id": f"{rng.randint(10**9, 10**10)}.{1717200000 + i}",
              "collected_traffic_source": {"manual_source": src[0], "manual_medium": src[1],
                                           "manual_campaign_name": src[2]},
              "device": {"category": "mobile", "advertising_id": None}, "platform": "WEB"}
        out.append(json.dumps(ev))
        truth.append((ev["user_pseudo_id"], ev["event_name"], src[0]))
    p = tmp / "events_20240601.json"
    p.write_text("\n".join(out) + "\n", encoding="utf-8")
    return Export(p, "ga4_events", "touchpoints", truth)


def ga4_exploration(tmp: Path) -> Export:
    """GA4 Exploration CSV download: '#' comment block above the header, dates as YYYYMMDD, one
    '(not set)' transaction (truly bad: an order without id), a second report section below."""
    rng = random.Random(9)
    head = ("# ----------------------------------------\n# Free form 1\n# Account: Demo Shop\n# Property: Demo Shop - GA4\n"
            "# Start date: 20240601\n# End date: 20240607\n# ----------------------------------------\n\n")
    lines: list[list[object]] = [["Transaction ID", "Date", "Purchase revenue", "Items purchased"]]
    truth = []
    for i in range(25):
        d = DAY0 + dt.timedelta(i % 7)
        cents = rng.randint(1_000, 250_000)
        lines.append([f"T{100200 + i}", d.strftime("%Y%m%d"), f"{cents / 100:.2f}", rng.randint(1, 4)])
        truth.append((f"T{100200 + i}", dt.datetime.combine(d, dt.time()), cents))
    lines.append(["(not set)", "20240603", "59.90", 1])
    tail = ("\n# ----------------------------------------\n# Free form 2\n# ----------------------------------------\n\n"
            "Session source / medium,Sessions\ngoogle / cpc,120\n(direct) / (none),88\n")
    p = tmp / "download.csv"
    p.write_bytes((head + _csv(lines).replace("\r\n", "\n") + tail).encode("utf-8"))
    return Export(p, "ga4_transactions", "conversions", truth, quarantined=[9 + 26],
                  notes=["further report sections"])


def shopify_orders(tmp: Path) -> Export:
    """Shopify orders export: one row per line item, order fields only on the first row, Phone empty
    for most orders (the Billing Phone holds the number), 'Created at' with the shop's offset."""
    rng = random.Random(10)
    header = ["Name", "Email", "Financial Status", "Paid at", "Currency", "Subtotal", "Shipping", "Taxes", "Total",
              "Created at", "Lineitem quantity", "Lineitem name", "Lineitem price", "Billing Name", "Billing Phone",
              "Phone", "Id"]
    lines: list[list[object]] = [header]
    truth = []
    extra = 0
    for i in range(20):
        name = f"#{1001 + i}"
        ts = dt.datetime(2024, 6, 1, 9) + dt.timedelta(hours=7 * i, minutes=i)
        n_items = rng.randint(1, 3)
        prices = [rng.randint(1_000, 20_000) for _ in range(n_items)]
        total = sum(prices) + 1000
        bill = f"+86 139 {1000 + i:04d} {2000 + i:04d}"
        phone = bill if i % 5 == 0 else ""
        created = ts.strftime("%Y-%m-%d %H:%M:%S +0800")
        for j, pr in enumerate(prices):
            if j == 0:
                lines.append([name, f"buyer{i}@example.com", "paid", created, "CNY", _money(sum(prices), False),
                              "10.00", "0.00", _money(total, False), created, 1, f"商品{j}", _money(pr, False),
                              f"顾客{i}", bill, phone, 5_000_000_000 + i])
            else:
                extra += 1
                lines.append([name, f"buyer{i}@example.com", "", "", "", "", "", "", "", "", 1, f"商品{j}",
                              _money(pr, False), "", "", "", ""])
        truth.append((name, ts, total, True))
    p = tmp / "orders_export_1.csv"
    p.write_text(_csv(lines), encoding="utf-8")
    return Export(p, "shopify_orders", "conversions", truth, skipped=extra)


def hubspot_contacts(tmp: Path) -> Export:
    """HubSpot contacts export: lifecycle stage labels, 'Marketing contact' / 'Non-marketing contact'."""
    rng = random.Random(11)
    stages = {"Subscriber": "subscriber", "Lead": "lead", "Marketing Qualified Lead": "marketing_qualified_lead",
              "Sales Qualified Lead": "sales_qualified_lead", "Opportunity": "opportunity", "Customer": "customer"}
    lines: list[list[object]] = [["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Lifecycle Stage",
                                  "Create Date", "Marketing contact status", "City", "Contact owner"]]
    truth = []
    for i in range(30):
        label = rng.choice(list(stages))
        mkt = rng.random() < 0.6
        created = dt.datetime(2024, 5, 1, 8, 0) + dt.timedelta(hours=13 * i)
        lines.append([str(50_001 + i), f"Name{i}", f"Family{i}", f"person{i}@example.com" if i % 4 else "",
                      f"+1 415 555 {1000 + i:04d}" if i % 3 else "", label, created.strftime("%Y-%m-%d %H:%M"),
                      "Marketing contact" if mkt else "Non-marketing contact", "Shanghai", "Owner A"])
        truth.append((str(50_001 + i), stages[label], mkt, created))
    p = tmp / "hubspot-crm-exports-all-contacts-2024-06-08.csv"
    p.write_text(_csv(lines), encoding="utf-8")
    return Export(p, "hubspot_contacts", "contacts", truth)


def pos_receipts_gbk(tmp: Path) -> Export:
    """门店 POS 流水 in GBK: a title and an export-time row above the header, masked phones
    (138****8000) next to real ones, ¥ amounts with thousands separators, a 合计 row."""
    rng = random.Random(12)
    lines: list[list[object]] = [["门店销售流水明细"], ["导出时间：2024-06-08 10:00:00"],
                                 ["小票号", "门店编号", "交易时间", "会员卡号", "手机号", "实付金额", "支付方式"]]
    truth = []
    for i in range(40):
        ts = dt.datetime(2024, 6, 1, 10) + dt.timedelta(minutes=53 * i)
        cents = rng.randint(990, 388_000)
        masked = i % 3 == 0
        phone = f"138****{8000 + i}" if masked else f"1391234{5000 + i:04d}"
        lines.append([f"R{20240601000 + i}", f"SH{i % 4:03d}", ts.strftime("%Y-%m-%d %H:%M:%S"), f"VIP{7000 + i}",
                      phone, "￥" + _money(cents), rng.choice(["微信支付", "支付宝", "现金"])])
        truth.append((f"R{20240601000 + i}", ts, cents, f"phone={phone}" if masked else None))
    lines.append(["合计", "", "", "", "", "￥" + _money(sum(t[2] for t in truth)), ""])
    p = tmp / "门店流水.csv"
    p.write_bytes(_csv(lines).encode("gbk"))
    return Export(p, "pos_transactions", "conversions", truth, skipped=1, notes=["masked identifiers"])


def pos_members_xlsx(tmp: Path) -> Export:
    """门店 POS 会员导出 XLSX: a title row, birthdays as Excel serial numbers (a column formatted as
    numbers), x-masked phones (139xxxx1234), 是/否 SMS consent."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["会员资料导出"])
    ws.append(["会员编号", "会员卡号", "姓名", "手机号", "城市", "生日", "注册时间", "短信许可"])
    truth = []
    for i in range(24):
        bday = dt.date(1980, 1, 1) + dt.timedelta(days=397 * i)
        serial = (bday - dt.date(1899, 12, 30)).days
        masked = i % 4 == 1
        phone = f"139xxxx{1200 + i}" if masked else f"1380013{8000 + i:04d}"
        joined = dt.datetime(2023, 1, 1) + dt.timedelta(days=11 * i)
        ws.append([f"M{9000 + i}", f"VIP{7000 + i}", f"会员{i}", phone, "上海", serial, joined, "是" if i % 2 else "否"])
        truth.append((f"M{9000 + i}", bday, bool(i % 2), f"phone={phone}" if masked else None))
    p = tmp / "members.xlsx"
    wb.save(p)
    return Export(p, "pos_members", "contacts", truth)


BUILDERS: dict[str, Callable[[Path], Export]] = {f.__name__: f for f in (
    ocean_project_ad, ocean_plan_unit_xlsx, tencent_gbk, tencent_two_sheets, google_campaign, google_keywords,
    meta_ad_level, ga4_bigquery, ga4_exploration, shopify_orders, hubspot_contacts, pos_receipts_gbk,
    pos_members_xlsx,
)}
