"""The /plan and /plan/calendar pages in both languages (server-rendered, TestClient)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from omnimix.ingest.workflow import ingest_files
from omnimix.lifecycle import lifecycle_report
from omnimix.plan.retail import retail_peaks
from omnimix.simulate.crm import simulate_crm
from omnimix.workspace import Workspace

from .conftest import Env, login, make_env
from .plan_sample import write_plan
from .sample import build_sample_workspace


@pytest.fixture(scope="module")
def plan_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    root = tmp_path_factory.mktemp("ws_plan")
    ws = build_sample_workspace(root / "ws")
    write_plan(ws)
    simulate_crm(root / "crm", persons=300, weeks=20, seed=3)
    ingest_files(ws, [root / "crm" / "crm_stage_history.csv"])
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
    # the RACI row with two Accountable and the thin pillar are reported, in the page's language
    if lang == "en":
        assert "2 Accountable (品牌经理, 市场总监)" in r.text
        assert "pillar &#39;护肤&#39; has 1 subtopic(s)" in r.text
    else:
        assert "有 2 位批准人（品牌经理, 市场总监）" in r.text
        assert "支柱 &#39;护肤&#39; 只有 1 个子主题" in r.text
        assert "Accountable (" not in r.text and "subtopic(s)" not in r.text
    # plan vs actual: the campaign's douyin line against the warehouse's douyin spend in its window
    ws = Workspace.of(plan_env.workspace)
    spend = ws.read("spend", columns=["date", "channel", "spend"])
    dates = spend["date"].map(lambda d: d.date() if hasattr(d, "date") else d)
    want = spend[(spend["channel"] == "douyin") & (dates >= date(2026, 1, 20)) & (dates <= date(2026, 2, 28))]["spend"].sum()
    row = re.search(r'<tr data-status="[a-z_]+" data-metric="spend"><td>(花费|Spend)</td><td>[^<]*</td><td>spring .*?</tr>',
                    r.text)
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


@pytest.mark.parametrize(("lang", "words"), [
    ("zh-CN", ["线索交接", "生命周期阶段", "超时明细", "销售反馈（按渠道）", "线索"]),
    ("en", ["Lead hand-off", "Lifecycle stages", "Breaches", "Sales feedback by channel", "Lead"]),
])
def test_handoff_page_shows_the_lifecycle_report(plan_env: Env, lang: str, words: list[str]) -> None:
    c = plan_env.client
    login(c, "viewer")
    r = c.get(f"/plan/handoff?lang={lang}")
    assert r.status_code == 200 and f'<html lang="{lang}">' in r.text
    for w in words:
        assert w in r.text, w
    rep = lifecycle_report(plan_env.workspace).to_json()
    sla = rep["sla"]
    assert sla["breached"] > 0
    card = re.search(r'data-kpi="breached"><div class="muted">[^<]*</div><div class="value">([^<]*)</div>', r.text)
    assert card is not None and card.group(1) == f"{sla['breached']:,}"
    body = r.text.split('id="breaches-table"')[1].split("</table>")[0]
    assert body.count("<tr>") - 1 == min(len(sla["breaches"]), 50)
    assert sla["breaches"][0]["record_id"] in body
    conv = r.text.split('id="conversion-table"')[1].split("</table>")[0]
    assert conv.count("<tr>") - 1 == len(rep["conversion"])


def test_handoff_page_without_stage_events(env: Env) -> None:
    login(env.client, "viewer")
    r = env.client.get("/plan/handoff?lang=en")
    assert r.status_code == 200 and 'id="handoff-missing"' in r.text and "stage_history" in r.text
