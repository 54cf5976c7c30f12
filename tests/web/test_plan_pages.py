"""The /plan and /plan/calendar pages in both languages (server-rendered, TestClient)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from omnimix.plan.retail import retail_peaks
from omnimix.workspace import Workspace

from .conftest import Env, login, make_env
from .plan_sample import write_plan
from .sample import build_sample_workspace


@pytest.fixture(scope="module")
def plan_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    ws = build_sample_workspace(tmp_path_factory.mktemp("ws_plan"))
    write_plan(ws)
    yield from make_env(ws)


@pytest.mark.parametrize(("lang", "words"), [
    ("zh-CN", ["年度计划", "计划与实际", "主题集群", "负责 (A)", "护肤"]),
    ("en", ["Plan", "Plan vs actual", "Topic clusters", "Accountable", "护肤"]),
])
def test_plan_page_both_languages(plan_env: Env, lang: str, words: list[str]) -> None:
    c = plan_env.client
    login(c, "viewer")
    r = c.get(f"/plan?lang={lang}")
    assert r.status_code == 200 and f'<html lang="{lang}">' in r.text
    for w in words:
        assert w in r.text, w
    assert 'data-nav="plan"' in r.text
    # the RACI row with two Accountable and the thin pillar are reported
    assert "2 Accountable (品牌经理, 市场总监)" in r.text
    assert "pillar &#39;护肤&#39; has 1 subtopic(s)" in r.text
    # plan vs actual: the campaign's douyin line against the warehouse's douyin spend in its window
    ws = Workspace.of(plan_env.workspace)
    spend = ws.read("spend", columns=["date", "channel", "spend"])
    dates = spend["date"].map(lambda d: d.date() if hasattr(d, "date") else d)
    want = spend[(spend["channel"] == "douyin") & (dates >= date(2026, 1, 20)) & (dates <= date(2026, 2, 28))]["spend"].sum()
    row = re.search(r'<tr data-status="[a-z_]+"><td>spend</td><td>[^<]*</td><td>spring .*?</tr>', r.text)
    assert row is not None
    assert f"{want:,.2f}" in row.group(0)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_calendar_page_has_every_retail_peak(plan_env: Env, lang: str) -> None:
    c = plan_env.client
    login(c, "viewer")
    r = c.get(f"/plan/calendar?lang={lang}")
    assert r.status_code == 200 and f'<html lang="{lang}">' in r.text
    keys = re.findall(r'data-kind="retail_peak" data-key="([^"]+)"', r.text)
    assert sorted(keys) == sorted(p.key for p in retail_peaks(2026))
    assert 'data-key="spring"' in r.text and 'id="chart-gantt"' in r.text
    assert ("零售节点" if lang == "zh-CN" else "retail peak") in r.text
    assert ("双11" if lang == "zh-CN" else "Double 11") in r.text


def test_pages_without_a_plan_file(env: Env) -> None:
    c = env.client
    login(c, "viewer")
    r = c.get("/plan?lang=en")
    assert r.status_code == 200 and 'id="plan-missing"' in r.text and "plan.toml" in r.text
    r = c.get("/plan/calendar?lang=zh-CN")
    assert r.status_code == 200 and 'id="plan-missing"' in r.text
    assert len(re.findall(r'data-kind="retail_peak"', r.text)) == len(retail_peaks(date.today().year))


def test_invalid_plan_file_is_reported(tmp_path: Path) -> None:
    ws = build_sample_workspace(tmp_path / "ws", days=10, users=10, with_results=False)
    (ws / "plan.toml").write_text('[plan]\nyear = 2026\n[[goals]]\nid = "g1"\n', encoding="utf-8")
    for e in make_env(ws):
        login(e.client, "viewer")
        r = e.client.get("/plan?lang=en")
        assert r.status_code == 200 and 'id="plan-problem"' in r.text and "goals[0]" in r.text
