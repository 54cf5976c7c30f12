"""The one-page MMM report: sections in both languages, one colour per channel, rounded numbers,
offline, the health checks (recorded or derived) and the budget panel from the optimizer."""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from markupsafe import escape as html_escape
from plotly.offline import get_plotlyjs
from typer.testing import CliRunner

from omnimix.mmm.analysis import load_fit
from omnimix.mmm.model import MMM, MMMConfig
from omnimix.mmm.report import channel_labels, render_report
from omnimix.mmm.report_charts import PALETTE, channel_colours, round_sig
from omnimix.mmm.report_data import collect
from omnimix.mmm.report_i18n import CATALOG, SAME_IN_BOTH, ReportFormatter, compact, sig
from omnimix.mmm.workflow import report_fit
from omnimix.optimize import ChannelBound, Constraints, optimize_budget
from omnimix.simulate.media import simulate_media
from omnimix.simulate.truth import from_world

CHANNELS = ["search", "douyin", "social", "kol"]
SECTIONS = ("headline", "channels", "shares", "waterfall", "roi", "curves", "adstock", "fit", "health", "budget")
CHARTS = ("shares", "waterfall", "roi", "curves", "adstock", "fit", "residuals", "decomposition", "budget")
TEMPLATE = Path(__file__).resolve().parents[2] / "src" / "omnimix" / "mmm" / "templates" / "report.html"
PLOTLY_JS = get_plotlyjs()


@pytest.fixture(scope="module")
def fit():
    world = simulate_media(weeks=80, seed=3, channels=CHANNELS)
    return MMM(MMMConfig(holdout=6)).fit(from_world(world), mode="map", seed=0)


def _plan(curves, held=(), guard=0.3):
    spec = Constraints(budget=float(curves.current_spend.sum()), reserve=0.0,
                       bounds={c: ChannelBound(min_change=-guard, max_change=guard) for c in curves.channels},
                       locked=dict.fromkeys(held))
    return {**optimize_budget(curves, spec).to_dict(), "guardrail": guard}


@pytest.fixture(scope="module")
def plan(fit):
    assert fit.diagnostics.passed, fit.diagnostics.reasons
    return _plan(fit.curves())


@pytest.fixture(scope="module")
def pages(fit, plan):
    return {lang: render_report(fit, lang=lang, currency="CNY", plan=plan) for lang in ("en", "zh-CN")}


def _charts(html: str) -> dict:
    m = re.search(r'<script id="omnimix-charts" type="application/json">(.*?)</script>', html, re.S)
    assert m, "chart data missing"
    return json.loads(m.group(1).replace("<\\/", "</"))


def _without_plotly(html: str) -> str:
    assert html.count(PLOTLY_JS) == 1, "plotly.js must be embedded exactly once"
    return html.replace(PLOTLY_JS, "")


def _hex(colour: str) -> str:
    m = re.fullmatch(r"rgba\((\d+),(\d+),(\d+),[\d.]+\)", colour)
    return "#{:02x}{:02x}{:02x}".format(*map(int, m.groups())) if m else colour.lower()


# ------------------------------------------------------------------------------------------ layout
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_every_section_and_chart_in_both_languages(pages, lang) -> None:
    html = pages[lang]
    assert f'<html lang="{lang}">' in html
    for s in SECTIONS:
        assert f'id="sec-{s}"' in html, s
    charts = _charts(html)
    assert set(charts) == set(CHARTS)
    for name in CHARTS:
        assert f'id="chart-{name}"' in html, name
        assert charts[name]["data"], name
    fmt = ReportFormatter(lang)
    for key in ("title", "sec.headline", "sec.budget", "sec.health", "h.currency", "budget.current_kpi"):
        assert fmt.t(key) in html, key
    for c in CHANNELS:  # every channel in the channel table and the budget table
        assert html.count(f'data-channel="{c}"') == 2, c
    assert "CNY" in html and (("¥" if lang == "zh-CN" else "CN¥") in html)


def test_headline_and_waterfall_add_up(fit) -> None:
    m = collect(fit)
    s = fit.summary(marginal=False)
    h = m["headline"]
    assert h["start"] == fit.data.dates[0].isoformat() and h["end"] == fit.data.dates[-1].isoformat()
    assert h["periods"] == fit.data.n_periods
    assert h["spend_total"] == pytest.approx(sum(v["spend"] for v in s["channels"].values()))
    assert h["kpi_total"] == pytest.approx(s["kpi_total"])
    w = m["waterfall"]
    total = w["baseline"] + sum(w["channels"])
    assert total == pytest.approx(s["baseline"]["mean"] + s["media_total"]["mean"], rel=1e-9)
    shares = [r["spend_share"] for r in m["rows"]]
    effects = [r["effect_share"] for r in m["rows"]]
    assert sum(shares) == pytest.approx(1.0) and sum(effects) == pytest.approx(1.0)
    assert m["budget"]["state"] == "not_run"  # no plan given


# ------------------------------------------------------------------------------------------ colours
def test_each_channel_one_distinct_colour_across_charts(pages, fit) -> None:
    colours = channel_colours(fit.channels)
    assert len(set(colours.values())) == len(CHANNELS)
    assert len(set(channel_colours([f"c{i}" for i in range(30)]).values())) == 30
    for lang, html in pages.items():
        seen: dict[str, set[str]] = {c: set() for c in CHANNELS}
        charts_with: dict[str, set[str]] = {c: set() for c in CHANNELS}
        for name, chart in _charts(html).items():
            for tr in chart["data"]:
                ch = (tr.get("meta") or {}).get("channel")
                if ch is None:
                    continue
                charts_with[ch].add(name)
                for part in ("marker", "line"):
                    for key in ("color",):
                        v = (tr.get(part) or {}).get(key)
                        if isinstance(v, str) and v != "#ffffff":  # white: an open marker's fill
                            seen[ch].add(_hex(v))
                    lc = ((tr.get(part) or {}).get("line") or {}).get("color")
                    if isinstance(lc, str) and lc != "#ffffff":  # white: the outline of a filled marker
                        seen[ch].add(_hex(lc))
                if tr.get("fillcolor"):
                    seen[ch].add(_hex(tr["fillcolor"]))
        for c in CHANNELS:
            assert seen[c] == {colours[c]}, (lang, c, seen[c])
            assert charts_with[c] >= {"shares", "waterfall", "roi", "curves", "adstock", "decomposition", "budget"}
            assert html.count(f"background: {colours[c]}") == 2  # table swatches: channels and budget
    assert colours[CHANNELS[0]] == PALETTE[0]


# ------------------------------------------------------------------------------------------ language
def test_catalog_complete_and_translated() -> None:
    en, zh = CATALOG["en"], CATALOG["zh-CN"]
    assert set(en) == set(zh)
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for key, text in zh.items():
        if key in SAME_IN_BOTH:
            continue
        assert text != en[key], key
        assert cjk.search(text), f"{key}: {text!r} has no Chinese"
    used = {k for k in re.findall(r"fmt\.t\('([^']+)'", TEMPLATE.read_text(encoding="utf-8")) if not k.endswith(".")}
    for prefix, names in (("mode.", ("nuts", "map")), ("status.", ("ok", "weak", "conflict")),
                          ("action.", ("scale", "hold", "cut")), ("kpi.", ("revenue", "count", "unknown"))):
        used |= {prefix + n for n in names}
    assert used and used <= set(en), used - set(en)
    for name in ("rhat", "ess_bulk", "map_optimizer", "holdout", "media_share", "prior_data_conflict", "r2",
                 "divergences", "ppc_coverage", "holdout_mape", "holdout_coverage",
                 "negative_baseline", "bayesian_ppp", "prior_posterior_shift", "roi_in_prior_range",
                 "implausible_roi"):
        assert f"check.{name}" in zh


def test_zh_page_has_no_english_ui_text(pages, fit) -> None:
    html = _without_plotly(pages["zh-CN"])
    m = collect(fit)  # what the fit itself wrote (check messages, warnings, reasons) is data, not UI text
    written = [c["message"] for c in m["checks"]] + m["warnings"] + [r["status_reason"] for r in m["rows"]]
    for text in filter(None, written):
        html = html.replace(html_escape(text), "")
    leftovers = [v for k, v in CATALOG["en"].items()
                 if k not in SAME_IN_BOTH and " " in v and len(v) > 8 and v.split("{")[0] in html]
    assert not leftovers
    assert "营销组合模型报告" in html and "按当前预算的优化建议" in html


def test_chinese_channel_names() -> None:
    assert channel_labels(["search", "spend_douyin", "tv"], "zh-CN") == {
        "search": "搜索广告", "spend_douyin": "抖音", "tv": "tv"}
    assert channel_labels(["search"], "zh-CN", {"search": "百度搜索"}) == {"search": "百度搜索"}
    assert channel_labels(["search", "spend_search"], "zh-CN") == {"search": "search", "spend_search": "spend_search"}
    assert channel_labels(["search"], "en") == {"search": "search"}


# ------------------------------------------------------------------------------------------ numbers
def test_number_formats() -> None:
    assert sig(0.1 + 0.2) == "0.300" and sig(1 / 3) == "0.333"
    assert sig(2.8346) == "2.83" and sig(0.045678) == "0.0457" and sig(12.345) == "12.3"
    assert sig(1234567.891) == "1,234,568" and sig(float("nan")) == "—" and sig(None) == "—"
    assert compact(3766600, "en") == "3.77M" and compact(3766600, "zh-CN") == "376.7万"
    assert compact(3.4e8, "zh-CN") == "3.400亿" and compact(845.25, "en") == "845"
    en, zh = ReportFormatter("en", "CNY"), ReportFormatter("zh", "CNY")
    assert en.money(30650.4) == "CN¥30.7K" and zh.money(30650.4) == "¥3.065万"
    assert en.num(767757888.2) == "767,757,888" and en.num(0.123456) == "0.123"
    assert en.pct(0.1234) == "12.3%" and en.pct(0.000174) == "0.017%" and en.signed_pct(0.3) == "+30.0%"
    assert en.interval({"mean": 2.8346, "lo": 1.0, "hi": 5.123}) == "2.83 [1.00, 5.12]"
    assert round_sig([0.30000000000000004, 123456.789, float("nan"), 0.0]) == [0.3, 123500.0, None, 0.0]
    assert ReportFormatter("en", None).money(1500) == "1.50K"


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_page_numbers_are_rounded(pages, lang) -> None:
    html = _without_plotly(pages[lang])
    # every decimal number on the page (text and chart data) has at most 4 significant digits
    noisy = [x for x in re.findall(r"\d+\.\d+", html) if len(x.replace(".", "").strip("0")) > 4]
    assert not noisy, noisy[:5]
    charts = _charts(pages[lang])
    for name, chart in charts.items():
        for tr in chart["data"]:
            for v in (tr.get("y") or []):
                if isinstance(v, float) and v != 0:
                    assert float(f"{v:.4g}") == v, (name, v)


def test_works_offline(pages) -> None:
    for html in pages.values():
        body = _without_plotly(html)
        assert not re.search(r"<script[^>]+src=", body) and not re.search(r"<link[^>]+href=", body)
        assert "cdn.plot.ly" not in body


# ------------------------------------------------------------------------------------------ health
def _as_old_fit(fit):
    """The fit as one saved before health scores: no health, no checks, no channel status."""
    f = copy.copy(fit)
    f.diagnostics = copy.deepcopy(fit.diagnostics)
    for name in ("health", "checks"):
        if hasattr(f.diagnostics, name):
            setattr(f.diagnostics, name, None if name == "health" else [])
        f.diagnostics.details.pop(name, None)
    f.diagnostics.details.pop("channel_status", None)
    return f


def test_old_fit_without_health_degrades_clearly(fit) -> None:
    old = _as_old_fit(fit)
    m = collect(old)
    assert m["health"] is None and not m["checks_recorded"] and not m["status_recorded"]
    names = [c["name"] for c in m["checks"]]
    assert "ppc_coverage" in names and "holdout_coverage" in names and "rhat" not in names  # MAP fit
    ident = fit.diagnostics.details["identification"]
    assert [r["status"] for r in m["rows"]] == ["weak" if ident[c] < 0.5 else "ok" for c in CHANNELS]
    for lang in ("en", "zh-CN"):
        html = render_report(old, lang=lang)
        fmt = ReportFormatter(lang)
        assert fmt.t("health.absent") in html and fmt.t("checks.derived") in html
        assert fmt.t("check.ppc_coverage") in html
        for s in SECTIONS:
            assert f'id="sec-{s}"' in html, s


def test_recorded_health_checks_and_status_are_shown(fit, plan) -> None:
    f = _as_old_fit(fit)
    f.diagnostics.health = 73.6
    f.diagnostics.checks = [
        {"name": "negative_baseline", "value": 0.031, "threshold": "<= 0.2", "passed": True, "message": "ok"},
        {"name": "bayesian_ppp", "value": 0.004, "threshold": 0.05, "passed": False,
         "message": "the model misses the KPI's spread"},
        {"name": "brand_new_check", "value": 1.0, "threshold": None, "passed": True, "message": ""},
        {"name": "prior_posterior_shift", "value": 2.0, "threshold": "0 channels", "passed": False,
         "message": "2 channels barely moved", "level": "review"},
    ]
    f.diagnostics.details.update({
        "channel_status": {"search": "ok", "douyin": {"status": "weak", "reason": "only 30% contracted"},
                           "social": {"status": "conflict", "reason": "the data put its share at 40%"},
                           "kol": "ok"},
    })
    m = collect(f)
    assert m["health"] == pytest.approx(73.6) and m["checks_recorded"] and m["status_recorded"]
    assert [r["status"] for r in m["rows"]] == ["ok", "weak", "conflict", "ok"]
    for lang in ("en", "zh-CN"):
        fmt = ReportFormatter(lang)
        html = render_report(f, lang=lang, plan=plan, held=("douyin", "social"))
        assert '<span class="health">74</span>' in html
        assert fmt.t("health.absent") not in html and fmt.t("checks.derived") not in html
        assert fmt.t("check.bayesian_ppp") in html and "brand new check" in html
        assert "the model misses the KPI&#39;s spread" in html and "≤ 0.2" in html
        assert html.count(f'<span class="fail">{fmt.t("fail")}</span>') == 1
        assert html.count(f'<span class="flag">{fmt.t("flag")}</span>') == 1 and "0 channels" in html
        assert fmt.t("status.conflict") in html and fmt.t("status.weak") in html
        assert "the data put its share at 40%" in html and "only 30% contracted" in html
        assert html.count(fmt.t("budget.held")) == 2


# ------------------------------------------------------------------------------------------ budget
def test_budget_panel_follows_the_optimizer(fit, plan) -> None:
    curves = fit.curves()
    m = collect(fit, plan=plan)
    b = m["budget"]
    assert b["state"] == "plan"
    # one definition of current: the curves' current spend, the optimizer's current KPI
    assert b["budget"] == pytest.approx(float(curves.current_spend.sum()))
    assert b["current_kpi"]["mean"] == pytest.approx(plan["current_kpi"], rel=1e-9)
    assert b["planned_kpi"]["mean"] == pytest.approx(plan["expected_kpi"], rel=1e-6)
    assert b["planned_kpi"]["lo"] == pytest.approx(plan["kpi_interval_90"][0], rel=1e-6)
    assert b["planned_kpi"]["hi"] == pytest.approx(plan["kpi_interval_90"][1], rel=1e-6)
    assert b["planned_spend"] == pytest.approx(b["budget"], rel=1e-6)
    assert b["uplift"]["lo"] < b["uplift"]["hi"]
    for r in b["rows"]:
        assert r["current"] == pytest.approx(plan["current_allocation"][r["channel"]])
        assert r["planned"] == pytest.approx(plan["allocation"][r["channel"]])
        assert abs(r["change"]) <= 0.3 + 1e-6
        want = "hold" if abs(r["change"]) <= 0.02 else ("scale" if r["change"] > 0 else "cut")
        assert r["action"] == want
        for k in ("mroi_current", "mroi_planned"):
            assert r[k]["lo"] <= r[k]["mean"] <= r[k]["hi"]
        j = curves.channels.index(r["channel"])
        d1 = curves.draws(np.asarray([x["current"] for x in b["rows"]]), order=1)[:, j]
        assert r["mroi_current"]["mean"] == pytest.approx(float(d1.mean()))
        cv = m["curves"][r["channel"]]
        assert cv["planned"] == pytest.approx(r["planned"]) and cv["current"] == pytest.approx(r["current"])
    # the optimizer's own marginal ROI at the plan is the curves' derivative there
    for r in b["rows"]:
        assert r["mroi_planned"]["mean"] == pytest.approx(plan["marginal_roi"][r["channel"]], rel=1e-6)


def test_failed_fit_gets_no_plan(fit, tmp_path, monkeypatch) -> None:
    import omnimix.mmm.analysis as analysis

    out = fit.save(tmp_path / "fit", html=False)
    failed = copy.copy(fit)
    failed.diagnostics = copy.deepcopy(fit.diagnostics)
    failed.diagnostics.passed = False
    failed.diagnostics.reasons = ["R-hat 1.2 > 1.05 (worst: rho)"]
    failed.diagnostics.suggestions = ["run more warm-up"]
    monkeypatch.setattr(analysis, "load_fit", lambda d: failed)  # the reloaded fit failed review

    def planner(curves, held):
        raise AssertionError("a failed fit must not reach the optimizer")

    rep = report_fit(out, lang="zh-CN", planner=planner)
    html = rep.report.read_text(encoding="utf-8")
    fmt = ReportFormatter("zh-CN")
    assert fmt.t("budget.failed") in html and fmt.t("verdict.failed") in html
    assert not rep.fit.diagnostics.passed
    for reason in rep.fit.diagnostics.reasons:
        assert html_escape(reason) in html
    assert "run more warm-up" in html and 'id="chart-budget"' not in html


# ------------------------------------------------------------------------------------------ CLI
def test_cli_report_languages_and_workspace_currency(fit, tmp_path, capsys) -> None:
    from omnimix.cli import app, main

    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "omnimix.toml").write_text('[workspace]\nname = "t"\ncurrency = "USD"\n', encoding="utf-8")
    out = fit.save(ws / "mmm" / "latest")
    assert load_fit(out).channels == fit.channels
    first = (out / "report.html").read_text(encoding="utf-8")
    assert "USD" in first and ReportFormatter("en").t("budget.not_run").split("`")[0] in first
    res = CliRunner().invoke(app, ["mmm", "report", str(out), "--lang", "zh-CN", "--html", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html and "US$" in html and "USD" in html
    assert html.count('data-channel="search"') == 2  # channel table and budget table
    assert ReportFormatter("zh-CN").t("budget.guardrail", pct="±30%") in html
    # the report's plan is `omnimix optimize`'s guarded plan at the current weekly budget, no reserve
    res = CliRunner().invoke(app, ["mmm", "report", str(out), "--json"])
    assert res.exit_code == 0, res.output
    from omnimix.optimize import optimize_curves

    curves = load_fit(out).curves()
    ref = optimize_curves(curves, float(curves.current_spend.sum()), reserve=0.0, guardrails=True)
    assert ref["guardrails"] and ref["guardrail_change"] == [-0.3, 0.3]
    doc = json.loads(res.output)
    assert doc["plan"]["allocation"] == pytest.approx(ref["allocation"], rel=1e-9)
    assert doc["plan"]["held"] == ref["held"]
    for j, ch in enumerate(curves.channels):
        assert 0.7 * curves.current_spend[j] * (1 - 1e-9) <= doc["plan"]["allocation"][ch]
        assert doc["plan"]["allocation"][ch] <= 1.3 * curves.current_spend[j] * (1 + 1e-9)
    res = CliRunner().invoke(app, ["mmm", "report", str(out), "--no-plan", "--currency", "EUR", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    page = Path(doc["report"]).read_text(encoding="utf-8")
    assert "EUR" in page and 'id="chart-budget"' not in page
    with pytest.raises(SystemExit) as bad:
        main(["mmm", "report", str(out), "--lang", "fr"])
    assert bad.value.code == 2 and "--lang zh-CN" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------ browser
@pytest.mark.browser
def test_report_draws_in_chromium(pages, tmp_path) -> None:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            for lang, html in pages.items():
                path = tmp_path / f"report-{lang}.html"
                path.write_text(html, encoding="utf-8")
                page = browser.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                page.route("**/*", lambda route: route.abort() if route.request.url.startswith("http")
                           else route.continue_())  # offline
                page.goto(path.as_uri())
                page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot').length == {len(CHARTS)}")
                assert not errors, errors
                page.close()
        finally:
            browser.close()


def test_derived_checks_of_a_nuts_fit_golden() -> None:
    from omnimix.mmm.report_data import derived_checks

    rows = derived_checks({"mode": "nuts", "rhat_max": 1.08, "ess_bulk_min": 49.0, "divergences": 7,
                           "divergence_rate": 0.0175, "ppc_coverage": 0.9, "r2": 0.97, "mape": 0.015,
                           "holdout_mape": 0.05, "holdout_coverage": 0.5})
    got = {r["name"]: (r["value"], r["passed"]) for r in rows}
    assert got == {"rhat": (1.08, False), "ess_bulk": (49.0, False), "divergences": ("7 (1.8%)", False),
                   "ppc_coverage": (0.9, True), "r2": (0.97, None), "mape": (0.015, None),
                   "holdout_coverage": (0.5, True), "holdout_mape": (0.05, False)}
