"""The Budget page in a browser: the period switch rescales what it shows, errors are explained by code.

Marked ``browser`` (Playwright driving Debian's chromium, as tests/web/test_browser.py, whose server
fixture it shares; the browser comes from conftest.py).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import BrowserPage
from .test_browser import server  # noqa: F401 - fixture

pytestmark = pytest.mark.browser


def _money(text: str) -> float:
    return float(re.sub(r"[^0-9.]", "", text))


def test_period_switch_and_error_codes(browser: Any, server: str) -> None:  # noqa: F811 - fixtures
    p = BrowserPage(browser, server)
    p.login("ana", "ana-pass-123")
    p.goto("/budget?lang=zh-CN")
    week_kpi = _money(p.page.locator("#now-kpi").inner_text())
    week_budget = float(p.page.input_value("#s-budget"))
    assert p.page.locator("#now .kpi-of").inner_text() == "KPI（收入，CNY，每周）"
    p.page.select_option("#s-period", "month")
    assert p.page.locator("#now .kpi-of").inner_text() == "KPI（收入，CNY，每月）"
    assert _money(p.page.locator("#now-kpi").inner_text()) == pytest.approx(week_kpi * 4.3482, rel=1e-4)
    assert float(p.page.input_value("#s-budget")) == pytest.approx(round(week_budget * 4.3482), abs=1)
    # a monthly run: the result is labelled per month
    p.page.fill("#s-reserve", "10")
    p.page.click("#run-btn")
    p.page.wait_for_selector("#run-result:not([hidden])", timeout=20000)
    assert p.page.locator("#r-kpi-of").inner_text() == "KPI（收入，CNY，每月）"
    assert p.page.locator("#r-expected").inner_text().startswith("¥")
    # the plan's notes (the guardrails' band at least) are written in Chinese, not the optimizer's English
    notes = p.page.locator("#r-notes li").all_inner_texts()
    assert any(n.startswith("护栏：") for n in notes), notes
    assert not [n for n in notes if re.search(r"[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}", n)], notes
    assert p.errors == [], p.errors
    # minimums above the budget: refused at once, explained in the page's language with the figures
    p.page.fill("#s-budget", "1000")
    p.page.locator('#bounds tr[data-channel="email"] .bmin').fill("5000")
    p.page.click("#run-btn")
    p.page.wait_for_selector("#run-error:not([hidden])", timeout=10000)
    text = p.page.locator("#run-error").inner_text()
    assert text.startswith("各渠道最低花费合计（¥5,000）超过扣除预留后的预算（¥900）"), text
    assert all("422" in e for e in p.errors), p.errors  # only the refused request's own log line
