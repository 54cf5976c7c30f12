"""The Mix page's MMM diagnostics panel: health score and band, checks against thresholds, figures by
type, and the review's weak-identification warnings."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from omnimix.web.i18n import Formatter
from omnimix.web.pages.mix import diag_threshold, diag_value
from omnimix.web.queries.results import health_band

from .conftest import Env, login, make_env
from .pages_sample import WEAK, build_pages_workspace, raw_keys_in, review_payload, visible_text

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

DIAGNOSTIC_KEYS = (
    "passed", "health", "rhat_max", "rhat", "ess_bulk_min", "ess_bulk", "ess_tail_min", "divergences",
    "ppc_coverage", "bayesian_ppp", "r2", "prior_posterior_shift", "implausible_roi", "prior_data_conflict",
    "holdout_mape", "holdout_coverage", "mape",
)
CHANNELS = ("baidu", "douyin", "email", "wechat")


def _client(ws: Path) -> Iterator[TestClient]:
    gen = make_env(ws)
    e: Env = next(gen)
    c = TestClient(e.app)  # type: ignore[arg-type]
    login(c, "viewer")
    yield c
    gen.close()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    yield from _client(build_pages_workspace(tmp_path_factory.mktemp("ws_mix")))


@pytest.fixture(scope="module")
def stale_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The saved review belongs to another fit (another health score): it must not be used."""
    ws = build_pages_workspace(tmp_path_factory.mktemp("ws_mix_stale"))
    path = ws / "mmm" / "latest" / "model.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta["diagnostics"]["health"] = 41
    path.write_text(json.dumps(meta), encoding="utf-8")
    yield from _client(ws)


def _panel(page: str) -> str:
    return page.split('id="diag-panel"', 1)[1].split("</section>", 1)[0]


def test_values_by_type_golden() -> None:
    en, zh = Formatter("en", "CNY"), Formatter("zh-CN", "CNY")
    assert diag_value(en, 1.0, "bool") == "✓" and diag_value(en, 0.0, "bool") == "✗"
    assert diag_value(zh, 1.0, "bool") == "是" and diag_value(zh, 0.0, "bool") == "否"
    assert diag_value(en, 16.0, "int") == "16" and diag_value(en, 1150.4, "int") == "1,150"
    assert diag_value(en, 1.0041, "rhat") == "1.004" and diag_value(en, 0.071, "pct") == "7.1%"
    assert diag_value(en, None, "int") == "—"
    assert diag_threshold(en, "rhat", "<= 1.05", "rhat") == "≤ 1.05"
    assert diag_threshold(en, "ess_bulk", ">= 100", "int") == "≥ 100"
    assert diag_threshold(en, "divergences", "<= 0.01", "pct") == "≤ 1%"
    assert diag_threshold(en, "ppc_coverage", ">= 0.6", "pct") == "≥ 60%"
    assert diag_threshold(en, "bayesian_ppp", "0.05..0.95", "dec") == "0.05 – 0.95"
    assert diag_threshold(zh, "prior_posterior_shift", "0 channels", "int") == "0 个渠道"
    assert diag_threshold(zh, "holdout", "coverage >= 0.5 and MAPE <= 3x in-sample", "pct").startswith("覆盖率")
    assert diag_threshold(en, "implausible_roi", "<= None", "dec") == "—"
    assert [health_band(x) for x in (100, 80, 79.5, 50, 49, 0, None)] == [
        "healthy", "healthy", "usable", "usable", "failed", "failed", None]


def test_panel_health_verdict_and_figures(client: TestClient) -> None:
    page = client.get("/mix?lang=en").text
    panel = _panel(page)
    text = visible_text(panel)
    assert "86 / 100" in text and 'data-band="healthy"' in panel
    assert text.count("passed") == 1  # the verdict, once (no "passed" row among the figures)
    assert 'data-metric="passed"' not in panel and 'data-metric="health"' not in panel
    rows = dict(re.findall(r'<tr data-metric="([^"]+)"><td>[^<]*</td><td class="num">([^<]*)</td>', panel))
    assert rows["divergences"] == "16" and rows["ess_bulk_min"] == "413" and rows["ess_tail_min"] == "388"
    assert rows["rhat_max"] == "1.012" and rows["ppc_coverage"] == "88.0%" and rows["r2"] == "0.420"
    assert not re.search(r"\b\d+\.000\b", text)  # no boolean or count shown as 1.000 / 16.000


def _holds(value: float, bound: str) -> bool | None:
    m = re.fullmatch(r"(<=|>=)\s*([\d.]+)", bound)
    if m:
        return value <= float(m.group(2)) if m.group(1) == "<=" else value >= float(m.group(2))
    m = re.fullmatch(r"([\d.]+)\.\.([\d.]+)", bound)
    if m:
        return float(m.group(1)) <= value <= float(m.group(2))
    if bound in ("0", "0 channels"):
        return value == 0
    return None


def test_each_check_against_its_threshold(client: TestClient) -> None:
    panel = _panel(client.get("/mix?lang=en").text)
    rows = re.findall(r'<tr data-check="([^"]+)" data-passed="([^"]+)"><td>([^<]*)</td><td class="num">([^<]*)'
                      r'</td><td>([^<]*)</td><td>([^<]*)</td><td[^>]*>([^<]*)</td>', panel)
    payload, _saved = review_payload()
    checks = {c["name"]: c for c in payload["checks"]}
    assert [r[0] for r in rows] == list(checks)
    for name, passed, label, _shown, _bound, kind, result in rows:
        c = checks[name]
        assert label and "_" not in label  # a readable name, not the key
        assert kind == c["level"]
        assert result == ("✓ pass" if c["passed"] else "✗ fail")
        assert passed == str(c["passed"])
        if c["value"] is not None and _holds(c["value"], c["threshold"]) is not None:
            assert _holds(c["value"], c["threshold"]) == c["passed"], name  # the fixture is self-consistent
    by = {r[0]: r for r in rows}
    assert by["rhat"][4] == "≤ 1.05" and by["rhat"][3] == "1.012"
    assert by["divergences"][3] == "0.4%" and by["divergences"][4] == "≤ 1%"
    assert by["ess_bulk"][3] == "413" and by["bayesian_ppp"][4] == "0.05 – 0.95"
    assert by["implausible_roi"][3] == "not applicable" and by["prior_posterior_shift"][3] == "2"


def test_identification_warnings_count_and_text(client: TestClient) -> None:
    panel = _panel(client.get("/mix?lang=en").text)
    assert 'data-weak="4"' in panel and 'data-warnings="6"' in panel
    text = visible_text(panel)
    assert "4 weak-identification warnings" in text and "6 warnings in the fit's review" in text
    items = re.findall(r"<li>([^<]*)</li>", panel.split('id="weak-list"', 1)[1].split("</ul>", 1)[0])
    names = {"douyin": "Douyin", "wechat": "WeChat", "baidu": "Baidu", "email": "Email"}
    assert len(items) == len(WEAK)
    for (ch, k), item in zip(WEAK.items(), items, strict=True):
        assert item.startswith(f"{names[ch]}: ROI is weakly identified") and f"{k:.0%}" in item
    others = re.findall(r"<li>([^<]*)</li>", panel.split('id="other-warnings"', 1)[1].split("</ul>", 1)[0])
    assert others == ["Bayesian posterior predictive p-value: 0.970 (expected 0.05 – 0.95)",
                      "R²: 0.420 (expected ≥ 0.5)"]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_no_raw_diagnostic_or_channel_key(client: TestClient, lang: str) -> None:
    text = visible_text(client.get(f"/mix?lang={lang}").text)
    words = ("passed", "health") if lang == "en" else ()  # English words as well as keys
    assert raw_keys_in(text, tuple(k for k in DIAGNOSTIC_KEYS if k not in words) + CHANNELS) == []
    if lang == "zh-CN":
        assert "6 条弱识别警告" not in text and "4 条弱识别警告" in text and "模型审查共 6 条警告" in text
        assert "通过" in text and "R-hat（最大值）" in text
        assert not re.search(r"[A-Za-z]{4,} [a-z]{3,} [a-z]{3,}", text.replace("Asia/Shanghai", ""))  # no English


def test_a_stale_review_is_not_read(stale_client: TestClient) -> None:
    panel = _panel(stale_client.get("/mix?lang=en").text)
    assert 'id="diag-no-report"' in panel
    # checks come from mmm_diagnostics (check:NAME, check:NAME:passed), without thresholds
    rows = dict(re.findall(r'<tr data-check="([^"]+)" data-passed="([^"]+)">', panel))
    payload, _saved = review_payload()
    assert rows == {c["name"]: str(c["passed"]) for c in payload["checks"]}
    assert "1.000" not in panel and "0.000" not in panel
    # weakly identified channels from mmm_channel_status, counted
    assert 'data-weak="4"' in panel and "data-warnings" not in panel


def test_sample_without_checks_or_health(env: Env) -> None:
    c = TestClient(env.app)  # type: ignore[arg-type]
    login(c, "viewer")
    panel = _panel(c.get("/mix?lang=en").text)
    assert 'id="diag-checks"' not in panel and 'id="diag-table"' in panel
    assert 'id="diag-no-report"' in panel and 'data-weak="0"' in panel


def test_other_warnings_in_the_page_language() -> None:
    from omnimix.web.pages.mix import _warning

    zh, en = Formatter("zh-CN", "CNY"), Formatter("en", "CNY")
    text = "posterior ROI outside the prior's 1–99% range for douyin, email: check the prior or the data"
    assert _warning(zh, text, {}, ["douyin", "email"]) == "抖音、邮件 的后验 ROI 超出先验的 1–99% 区间：请检查先验或数据。"
    assert _warning(en, text, {}, ["douyin", "email"]).startswith("Posterior ROI outside the prior's 1–99% range "
                                                                   "for Douyin, Email")
    # a sentence it does not know stays as written, with channel display names
    assert _warning(zh, "douyin: something new", {}, ["douyin"]) == "抖音: something new"
