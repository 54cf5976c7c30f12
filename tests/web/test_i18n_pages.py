"""Whole zh-CN and en (#20 item 2), fast: every GET page rendered by the TestClient on the enriched sample
workspace (pages_sample + a plan), in both languages, with no raw key of the taxonomy channels, the
attribution models, the funnel stages or the MMM diagnostics in its text or chart labels; error pages
(404, 422, 403) in the page's language; empty states in plain words without CLI commands for viewers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from omnimix.web.i18n import CATALOG

from .conftest import Env, make_env
from .i18n_check import KEYS, build_i18n_workspace, page_paths, page_routes, raw_keys, text_of

LANGS = ("zh-CN", "en")
_HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def zenv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    yield from make_env(build_i18n_workspace(tmp_path_factory.mktemp("i18n_pages")))


def _get(env: Env, path: str, lang: str, role: str = "admin") -> tuple[int, str]:
    sep = "&" if "?" in path else "?"
    r = env.client.get(f"{path}{sep}lang={lang}", headers=env.headers(role))
    return r.status_code, r.text


def _paths(env: Env) -> list[str]:
    pages = {p: _get(env, p, "en")[1] for p in page_routes(env.app) if "{" not in p}
    paths, missing = page_paths(env.app, pages)
    paths += [] if "/customers/C00001" in paths else ["/customers/C00001"]  # the one with every timeline kind
    assert not missing, f"no page links to {missing}: give the sample a row that the page can show"
    return paths


def test_every_page_in_both_languages_has_no_raw_key(zenv: Env) -> None:
    paths = _paths(zenv)
    # the pages of the dashboard as of #20, and any added later
    for want in ("/", "/channels", "/mix", "/budget", "/plan", "/plan/calendar", "/plan/handoff", "/customers",
                 "/data", "/voice", "/admin", "/login"):
        assert want in paths
    assert any(p.startswith("/customers/") for p in paths)
    leaks = {}
    for lang in LANGS:
        for path in paths:
            status, page = _get(zenv, path, lang)
            assert status == 200, (path, lang, status)
            assert f'<html lang="{lang}">' in page
            bad = raw_keys(page, lang)
            if bad:
                leaks[(lang, path)] = bad
    assert leaks == {}, leaks


def test_the_checker_finds_raw_keys() -> None:
    """The check can fail: a raw key in a cell, a chart label or a sentence is found."""
    fig = """<div class="chart" data-figure='{"data": [{"type": "bar", "x": ["last_non_direct"], "name": "douyin"}]}'></div>"""
    assert raw_keys(f"<body><main>{fig}</main></body>", "en") == ["douyin", "last_non_direct"]
    assert raw_keys("<body><table><tr><td>awareness</td></tr></table></body>", "en") == ["awareness"]
    assert raw_keys("<body><p>Build awareness first.</p></body>", "en") == []
    assert raw_keys("<body><p>渠道 wechat 的花费</p></body>", "zh-CN") == ["wechat"]
    assert raw_keys("<body><p>文件 <code>douyin.csv</code></p></body>", "zh-CN") == []
    assert {"douyin", "markov", "awareness", "rhat_max", "ess_bulk_min", "passed"} <= set(KEYS)


def test_zh_pages_are_chinese_and_en_pages_english(zenv: Env) -> None:
    """One language per page: the zh-CN menu, headings and table heads are Chinese; the English page has no
    Han characters outside the workspace's own data (plan texts, regions) and the language switch."""
    for path in ("/", "/channels", "/mix", "/customers", "/data", "/admin", "/budget"):
        _, zh = _get(zenv, path, "zh-CN")
        heads = [text_of(h) for h in re.findall(r"<(?:th|h1|h2|h3)\b[^>]*>(.*?)</(?:th|h1|h2|h3)>", zh, re.S)]
        latin = [h for h in heads if h and not _HAN.search(h) and not re.fullmatch(r"[\W\d_A-Z()%²]+|CLV|KPI|ROI"
                                                                                    r"|LTV:CAC|ROAS|MER|CAC|LTV", h)]
        assert latin == [], (path, latin)
        _, en = _get(zenv, path, "en")
        body = en.split("<main", 1)[1].split("</main>", 1)[0]
        han = [h for h in (text_of(x) for x in re.findall(r"<(?:th|h1|h2|h3|label|button)\b[^>]*>(.*?)</", body, re.S))
               if _HAN.search(h)]
        assert han == [], (path, han)


def test_error_pages_are_html_in_the_page_language(zenv: Env) -> None:
    for lang, title in (("zh-CN", "找不到页面"), ("en", "Page not found")):
        status, page = _get(zenv, "/no-such-page", lang)
        assert status == 404 and "<h1>" + title + "</h1>" in page and '"error"' not in page
        status, page = _get(zenv, "/customers?limit=abc", lang)
        assert status == 422 and "<html" in page
        assert ("地址参数无效" if lang == "zh-CN" else "Invalid address") in page
        assert "limit" in text_of(page) and ("必须是整数" if lang == "zh-CN" else "must be a whole number") in page
        status, page = _get(zenv, "/customers/NOBODY", lang)
        assert status == 404 and ("此工作区中没有客户 NOBODY" if lang == "zh-CN" else "no customer NOBODY") in page
        status, page = _get(zenv, "/admin", lang, role="viewer")
        assert status == 403 and ("管理员" if lang == "zh-CN" else "Administrator") in page
    # the API keeps its JSON errors
    r = zenv.client.get("/api/v1/nothing", headers=zenv.headers("viewer"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_empty_states_speak_to_viewers(tmp_path: Path) -> None:
    """A workspace without results: plain words for a viewer (no CLI command), the command for analysts."""
    from .sample import build_sample_workspace

    ws = build_sample_workspace(tmp_path / "ws", with_results=False, with_identity=False, users=20, days=20)
    gen = make_env(ws)
    env = next(gen)
    try:
        for lang in LANGS:
            for path, key in (("/channels", "empty.attribution"), ("/mix", "empty.mmm"),
                              ("/customers", "empty.customers"), ("/budget", "empty.response_curves")):
                _, viewer = _get(env, path, lang, role="viewer")
                assert CATALOG[lang][key] in viewer.replace("&#39;", "'"), (path, lang)
                assert "omnimix " not in text_of(viewer.split("<main", 1)[1].split("</main>", 1)[0]), (path, lang)
                _, analyst = _get(env, path, lang, role="analyst")
                assert "<code>omnimix " in analyst, (path, lang)
                assert "not computed yet — run" not in analyst
            _, page = _get(env, "/plan", lang, role="viewer")
            assert CATALOG[lang]["empty.plan"] in page
    finally:
        gen.close()


def test_viewers_read_no_cli_command_on_any_page(tmp_path: Path) -> None:
    """Empty states, notes and hints speak to viewers in plain words: no ``omnimix <command>`` on any page of
    a workspace without results (where every page is mostly empty states), in either language."""
    from .sample import build_sample_workspace

    ws = build_sample_workspace(tmp_path / "ws", with_results=False, with_identity=False, users=20, days=20)
    gen = make_env(ws)
    env = next(gen)
    try:
        paths = [p for p in page_routes(env.app) if "{" not in p and p != "/admin"]  # /admin: viewers get 403
        found = {}
        for lang in LANGS:
            for path in paths:
                _, page = _get(env, path, lang, role="viewer")
                main = page.split("<main", 1)[1].split("</main>", 1)[0]
                hits = re.findall(r"\bomnimix [a-z][\w-]*(?: [a-z][\w-]*)?", text_of(main))
                if hits:
                    found[(lang, path)] = hits
        assert found == {}
    finally:
        gen.close()
