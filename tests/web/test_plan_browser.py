"""Browser test of the plan pages (/plan, /plan/calendar, /plan/handoff) in both languages: Playwright + Debian chromium.

Marked ``browser`` (excluded from the default run); uses conftest.py's live server, browser and screenshot folder
(a live uvicorn server on a sample workspace, here with a plan.toml). Any JavaScript console error or
uncaught page error fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from omnimix.plan.retail import retail_peaks

from .conftest import BrowserPage, live_server
from .plan_sample import write_plan

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def plan_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from omnimix.ingest.workflow import ingest_files
    from omnimix.simulate.crm import simulate_crm
    from omnimix.web.app import create_app

    from .sample import build_sample_workspace

    root = tmp_path_factory.mktemp("browser_plan_ws")
    ws = build_sample_workspace(root / "ws")
    write_plan(ws)
    simulate_crm(root / "crm", persons=300, weeks=20, seed=3)
    ingest_files(ws, [root / "crm" / "crm_stage_history.csv"])
    app = create_app(ws)
    app.state.ctx.state.add_user("ana", "ana-pass-123", "admin")
    with live_server(app) as url:
        yield url


def test_plan_pages_both_languages(browser: Any, plan_server: str, shots: Path) -> None:
    p = BrowserPage(browser, plan_server)
    p.login("ana", "ana-pass-123")
    titles = {"zh-CN": ("年度计划", "计划日历", "线索交接"), "en": ("Plan", "Plan calendar", "Lead hand-off")}
    for lang in ("zh-CN", "en"):
        resp = p.goto(f"/plan?lang={lang}")
        assert resp.status == 200
        assert p.page.locator("html").get_attribute("lang") == lang
        assert p.page.locator("h1").inner_text() == titles[lang][0]
        assert p.page.locator('nav a[data-nav="plan"].active').count() == 1
        assert p.page.locator("#goals-table tbody tr").count() == 2
        assert p.page.locator("#pva-table tbody tr").count() == 2
        assert p.page.locator(".raci-problem").count() == 1
        assert p.page.locator(".cluster-warning").count() >= 1
        p.page.screenshot(path=str(shots / f"planflow-plan-{lang}.png"), full_page=True)

        p.page.click('a[href="/plan/calendar"]')
        p.page.wait_for_load_state("networkidle")
        assert p.page.locator("h1").inner_text() == titles[lang][1]
        p.page.wait_for_selector("#chart-gantt .main-svg", timeout=15000)
        n_peaks = p.page.locator('#calendar-table tr[data-kind="retail_peak"]').count()
        assert n_peaks == len(retail_peaks(2026))
        assert p.page.locator('#calendar-table tr[data-kind="campaign"]').count() == 1
        # the Gantt draws one bar per calendar row
        bars = p.page.locator("#chart-gantt .barlayer .point").count()
        assert bars == p.page.locator("#calendar-table tbody tr").count()
        p.page.screenshot(path=str(shots / f"planflow-calendar-{lang}.png"), full_page=True)

        p.goto(f"/plan?lang={lang}")
        p.page.click('a[href="/plan/handoff"]')
        p.page.wait_for_load_state("networkidle")
        assert p.page.locator("h1").inner_text() == titles[lang][2]
        assert p.page.locator("#stages-table tbody tr").count() >= 5
        assert p.page.locator("#breaches-table tbody tr").count() >= 1
        assert p.page.locator('nav a[data-nav="plan"].active').count() == 1
        p.page.screenshot(path=str(shots / f"planflow-handoff-{lang}.png"), full_page=True)
    assert p.errors == [], p.errors
