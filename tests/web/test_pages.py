"""Server-rendered pages in both languages, locale formatting, not-computed states."""

from __future__ import annotations

import re
import warnings
from datetime import date, datetime
from pathlib import Path

import pytest

from omnimix.web.i18n import (
    CATALOG,
    format_compact,
    format_currency,
    format_date,
    format_datetime,
    format_number,
    format_percent,
    format_ratio,
    pick_locale,
)

from .conftest import Env, login

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PAGES = ["/", "/channels", "/mix", "/budget", "/customers", "/customers/C00001", "/data", "/admin"]


def test_catalogs_have_the_same_keys() -> None:
    assert set(CATALOG["en"]) == set(CATALOG["zh-CN"])


def test_formatting_golden_values() -> None:
    assert format_number(1234567.891, "en") == "1,234,568"
    assert format_number(1234567.891, "zh-CN", 2) == "1,234,567.89"
    assert format_number(None, "en") == "—" and format_number(float("nan"), "en") == "—"
    assert format_compact(12345678, "zh-CN") == "1,234.6万"
    assert format_compact(123456789, "zh-CN") == "1.2亿"
    assert format_compact(12345678, "en") == "12.3M"
    assert format_compact(950, "en") == "950"
    assert format_currency(1234.5, "CNY", "zh-CN") == "¥1,234.50"
    assert format_currency(1234.5, "CNY", "en") == "CN¥1,234.50"
    assert format_currency(-1234.5, "USD", "en") == "-$1,234.50"
    assert format_currency(1234.5, "USD", "zh-CN") == "US$1,234.50"
    assert format_currency(1234.5, "JPY", "en") == "¥1,234"
    assert format_currency(56789, "CNY", "zh-CN", compact=True) == "¥5.7万"
    assert format_percent(0.1234, "en") == "12.3%"
    assert format_ratio(3.456, "en") == "3.46×" and format_ratio(3.456, "zh-CN") == "3.46 倍"
    assert format_date(date(2026, 11, 23), "zh-CN") == "2026年11月23日"
    assert format_date(date(2026, 11, 23), "en") == "Nov 23, 2026"
    assert format_datetime(datetime(2026, 1, 2, 3, 4), "en") == "Jan 2, 2026 03:04"
    assert format_date("2026-03-01", "zh-CN") == "2026年3月1日"


def test_accept_language_then_default(env: Env) -> None:
    c = TestClient(env.app)  # type: ignore[arg-type]
    login(c, "viewer")
    c.cookies.delete("omx_lang")
    assert '<html lang="en">' in c.get("/data", headers={"Accept-Language": "en-US,en;q=0.9"}).text
    assert '<html lang="zh-CN">' in c.get("/data", headers={"Accept-Language": "fr"}).text
    assert '<html lang="zh-CN">' in c.get("/data").text


def test_pick_locale() -> None:
    assert pick_locale("en", "zh-CN", None) == "en"
    assert pick_locale(None, "zh_CN", "en") == "zh-CN"
    assert pick_locale(None, None, "fr-FR,en-US;q=0.8") == "en"
    assert pick_locale("xx", None, None) == "zh-CN"


@pytest.fixture(scope="module")
def admin_client(env: Env) -> TestClient:
    c = TestClient(env.app)  # type: ignore[arg-type]
    login(c, "admin")
    return c


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_page_renders_in_both_languages(admin_client: TestClient, lang: str) -> None:
    expect = {
        "zh-CN": ["总览", "渠道", "营销组合模型", "预算", "客户", "数据"],
        "en": ["Overview", "Channels", "Mix model", "Budget", "Customers", "Data"],
    }[lang]
    for path in PAGES:
        sep = "&" if "?" in path else "?"
        r = admin_client.get(f"{path}{sep}lang={lang}")
        assert r.status_code == 200, path
        assert f'<html lang="{lang}">' in r.text
        for word in expect:
            assert word in r.text, (path, word)
        assert "not computed" not in r.text.lower() and "尚未计算" not in r.text
        assert "cdn" not in r.text.lower()
    # the cookie remembers the last choice
    assert admin_client.cookies.get("omx_lang") == lang
    assert f'<html lang="{lang}">' in admin_client.get("/data").text


def test_overview_numbers_follow_locale_and_filters(admin_client: TestClient) -> None:
    zh = admin_client.get("/?lang=zh-CN&start=2026-02-01&end=2026-02-28&channel=douyin").text
    en = admin_client.get("/?lang=en&start=2026-02-01&end=2026-02-28&channel=douyin").text
    assert "2026年2月1日 – 2026年2月28日 · 抖音" in zh
    assert "Feb 1, 2026 – Feb 28, 2026 · Douyin" in en
    zh_spend = re.search(r'data-kpi="spend"><div class="label">花费</div><div class="value">([^<]+)<', zh)
    en_spend = re.search(r'data-kpi="spend"><div class="label">Spend</div><div class="value">([^<]+)<', en)
    assert zh_spend and en_spend
    assert zh_spend.group(1).startswith("¥") and en_spend.group(1).startswith("CN¥")
    assert 'value="douyin" checked' in zh and 'value="wechat" checked' not in zh
    assert re.search(r"<tbody><tr><td>抖音</td>", zh)  # channel display names from the taxonomy
    assert admin_client.get("/?start=2026-03-01&end=2026-02-01").status_code == 422


def test_language_links_keep_the_query(admin_client: TestClient) -> None:
    r = admin_client.get("/customers?segment=loyal&lang=en")
    assert 'href="/customers?segment=loyal&amp;lang=zh-CN"' in r.text


@pytest.mark.parametrize(
    ("path", "command"),
    [
        ("/channels", "omnimix attribute"),
        ("/mix", "omnimix mmm fit"),
        ("/budget", "omnimix mmm fit"),
        ("/customers", "omnimix clv predict"),
    ],
)
def test_not_computed_states(bare_env: Env, path: str, command: str) -> None:
    """Viewers read what will appear and who produces it; analysts also get the command."""
    for role in ("viewer", "analyst"):
        c = TestClient(bare_env.app)  # type: ignore[arg-type]
        login(c, role)
        for lang, word in (("en", "Not computed yet"), ("zh-CN", "尚未计算")):
            r = c.get(f"{path}?lang={lang}")
            assert r.status_code == 200
            assert word in r.text and 'data-state="not-computed"' in r.text
            assert (f"<code>{command}" in r.text) is (role == "analyst")
            assert ("analyst" in r.text if lang == "en" else "分析师" in r.text)


def test_empty_workspace_pages(empty_env: Env) -> None:
    c = TestClient(empty_env.app)  # type: ignore[arg-type]
    login(c, "viewer")
    for path in ("/", "/channels", "/mix", "/budget", "/customers", "/data"):
        r = c.get(path + "?lang=en")
        assert r.status_code == 200, path
    assert "No data has been loaded into this workspace yet." in c.get("/?lang=en").text


def test_viewer_sees_no_run_button_or_export(env: Env) -> None:
    c = TestClient(env.app)  # type: ignore[arg-type]
    login(c, "viewer")
    r = c.get("/budget?lang=en")
    assert 'id="run-btn"' not in r.text and "Analysts and admins can run scenarios." in r.text
    assert "/api/v1/export/" not in c.get("/?lang=en").text
    data = c.get("/data").text
    assert "li.wei@example.com" not in data and "l***@example.com" in data


@pytest.mark.parametrize(
    "url",
    [
        "/?start=0001-01-01",
        "/?start=abc",
        "/?end=9999-12-31",
        "/?channel=%27%3Bdrop%20table%20spend",
        "/customers?offset=99999999999999999999",
        "/customers?q=%27%20OR%201%3D1",
        "/customers/%27",
        "/budget?scenario=99999999999",
        "/budget?compare=0",
        "/budget?compare=abc",
        "/data?reason=%27;drop",
        "/data?limit=100000",
        "/admin?offset=-1",
    ],
)
def test_odd_page_parameters_never_500(admin_client: TestClient, url: str) -> None:
    r = admin_client.get(url)
    assert r.status_code in (200, 404, 422), (url, r.status_code, r.text[:300])


def test_customers_page_without_identity_resolution(bare_env: Env) -> None:
    c = TestClient(bare_env.app)  # type: ignore[arg-type]
    login(c, "viewer")
    r = c.get("/customers?lang=en")
    assert "once the data team links the loaded identifiers" in r.text and "omnimix resolve" not in r.text
    login(c, "analyst")
    assert "<code>omnimix resolve</code>" in c.get("/customers?lang=en").text
    body = c.get("/api/v1/customers").json()
    assert body["total"] == 0 and "omnimix resolve" in body["message"]


def test_data_page_lists_configured_sources(tmp_path: Path) -> None:
    from omnimix.config import Config, SourceSection, render_config

    from .conftest import make_env
    from .sample import build_sample_workspace

    ws = build_sample_workspace(tmp_path / "ws", with_results=False, users=10, days=10)
    cfg = Config(sources=[SourceSection(name="crm", pattern="exports/hubspot_*.csv", table="contacts")])
    (ws / "omnimix.toml").write_text(render_config(cfg), encoding="utf-8")
    gen = make_env(ws)
    e = next(gen)
    try:
        st = e.client.get("/api/v1/workspace/status", headers=e.headers("viewer")).json()
        assert st["sources"] == [
            {"name": "crm", "pattern": "exports/hubspot_*.csv", "header": [], "table": "contacts", "columns": {},
             "constants": {}, "values": {}}
        ]
        c = TestClient(e.app)  # type: ignore[arg-type]
        login(c, "viewer")
        page = c.get("/data?lang=en").text
        assert "<td>crm</td><td><code>exports/hubspot_*.csv</code></td><td></td><td>CRM and POS contacts</td>" in page
    finally:
        gen.close()
