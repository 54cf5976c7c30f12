"""``run_review`` and ``omnimix review`` on simulated workspaces (one MAP fit: seconds)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook

from omnimix.cli import main
from omnimix.metrics import metric_frame
from omnimix.mmm.workflow import FitSpec, fit_workspace
from omnimix.review import ReviewStore, run_review
from omnimix.review.posterior import view_of
from omnimix.simulate.review_world import review_world

PLAN = """
[plan]
name = "review test"
year = 2025

[[campaigns]]
id = "nov"
start = 2025-11-01
end = 2025-11-30
channels = ["{a}", "{b}"]
  [[campaigns.budget_lines]]
  item = "a"
  channel = "{a}"
  amount = {plan_a}
  [[campaigns.budget_lines]]
  item = "b"
  channel = "{b}"
  amount = {plan_b}
"""


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("rv") / "ws"
    world = review_world(root, seed=0)
    run = fit_workspace(root, FitSpec(mode="map", kpi_type="revenue", seed=0))
    assert run.passed, run.payload["diagnostics"]["reasons"]
    return root, world, view_of(run.fit, root / "mmm" / "latest")


def test_every_spending_channel_gets_a_decision_that_matches_the_truth(fitted, capsys) -> None:
    root, world, _ = fitted
    code = 0
    try:
        main(["review", "--workspace", str(root), "--out", str(root / "reports"), "--json"])
    except SystemExit as exc:
        code = int(exc.code or 0)
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["period"] == "2025-11"  # the data end on 2025-12-28: the last full month
    assert set(doc["channels"]) == set(world.channels)
    for d in doc["channels"].values():
        assert d["decision"] in ("scale", "hold", "cut", "test") and len(d["reason"]) > 40
        assert d["mroi"]["lo"] <= d["mroi"]["mean"] <= d["mroi"]["hi"]
    weekly = {c: float(metric_frame(root, ["spend"], "2025-11-01", "2025-11-30", channel=c)["spend"].sum()) / (30 / 7)
              for c in world.channels}
    true = world.true_mroi(weekly)
    far_above = [c for c, t in true.items() if t >= 2.0]
    far_below = [c for c, t in true.items() if t <= 0.5]
    assert far_above and far_below  # the world plants both
    got = {c: d["decision"] for c, d in doc["channels"].items()}
    # one world: no far channel on the wrong side, and each side decided right at least once (the
    # agreement over seeds is benchmarks/review_truth.py's)
    assert not any(got[c] == "cut" for c in far_above) and not any(got[c] == "scale" for c in far_below)
    assert "scale" in {got[c] for c in far_above} and "cut" in {got[c] for c in far_below}
    assert sorted(Path(f).name for f in doc["files"]) == [
        "review-2025-11.en.html", "review-2025-11.en.xlsx", "review-2025-11.zh-CN.html", "review-2025-11.zh-CN.xlsx"]
    assert doc["experiments"] and {"channel", "start", "end", "expected_lift", "cost"} <= set(doc["experiments"][0])
    html = (root / "reports" / "review-2025-11.zh-CN.html").read_text(encoding="utf-8")
    assert "各渠道决策" in html and "Plotly.newPlot" in html and "边际ROI" in html
    wb = load_workbook(root / "reports" / "review-2025-11.en.xlsx")
    assert wb.sheetnames == ["decisions", "kpis", "change", "experiments", "model advice", "history"]
    rows = list(wb["decisions"].iter_rows(min_row=2, values_only=True))
    assert sorted(r[0] for r in rows) == sorted(world.channels)
    assert {r[0]: r[1] for r in rows} == {c: v["decision"] for c, v in doc["channels"].items()}


def test_the_kpi_change_is_split_into_media_baseline_and_seasonality(fitted, tmp_path) -> None:
    root, _, view = fitted
    run = run_review(root, "2025-11", state_url=f"sqlite:///{tmp_path / 's.db'}", model=view)
    ch = run.doc["change"]
    rev = {p: float(metric_frame(root, ["revenue"], a, b)["revenue"].sum())
           for p, a, b in (("oct", "2025-10-01", "2025-10-31"), ("nov", "2025-11-01", "2025-11-30"))}
    assert ch["kpi_previous"] == pytest.approx(rev["oct"]) and ch["kpi_current"] == pytest.approx(rev["nov"])
    parts = sum(ch["parts"][k]["mean"] for k in ("media", "baseline", "seasonality"))
    assert parts + ch["unexplained"] == pytest.approx(ch["change"])
    assert sum(v["mean"] for v in ch["channels"].values()) == pytest.approx(ch["parts"]["media"]["mean"])
    # the model explains the month-on-month change: what is left is noise-sized (2% weekly noise)
    assert abs(ch["unexplained"]) < 0.05 * rev["nov"]
    # the true media change: each channel's weekly contribution apportioned the same way
    kpis = {r["metric"]: r for r in run.doc["kpis"]}
    assert kpis["revenue"]["current"] == pytest.approx(rev["nov"])
    assert kpis["spend"]["change_pct"] == pytest.approx(kpis["spend"]["current"] / kpis["spend"]["previous"] - 1)
    assert run.doc["advice"]["action"] == "keep"  # the fit covers the data


def test_pacing_against_the_plan_and_what_followed_last_periods_decisions(fitted, tmp_path) -> None:
    root, world, view = fitted
    state = f"sqlite:///{tmp_path / 'state.db'}"
    a, b = world.channels[0], world.channels[1]
    spent = {c: float(metric_frame(root, ["spend"], "2025-11-01", "2025-11-30", channel=c)["spend"].sum())
             for c in (a, b)}
    (root / "plan.toml").write_text(PLAN.format(a=a, b=b, plan_a=round(spent[a] * 2, 2),
                                                plan_b=round(spent[b], 2)), encoding="utf-8")
    try:
        oct_ = run_review(root, "2025-10", state_url=state, model=view)
        nov = run_review(root, "2025-11", out=tmp_path / "out", lang="en", state_url=state, model=view)
    finally:
        (root / "plan.toml").unlink()
    pace = {d.channel: d.pacing for d in nov.decisions}
    assert pace[a]["pace"] == pytest.approx(0.5) and pace[a]["status"] == "under"
    assert pace[b]["pace"] == pytest.approx(1.0) and pace[b]["status"] == "on_track"
    assert pace[world.channels[2]] is None
    assert "spend ran at 50% of the plan" in {d.channel: d for d in nov.decisions}[a].reason("en")
    assert [p.name for p in nov.files] == ["review-2025-11.en.html", "review-2025-11.en.xlsx"]
    # history: October's decisions, what spend did next, and whether that followed the decision
    hist = {h["channel"]: h for h in nov.doc["history"]}
    assert set(hist) == {d.channel for d in oct_.decisions}
    for d in oct_.decisions:
        h = hist[d.channel]
        before, after = h["spend_per_day_before"], h["spend_per_day_after"]
        assert before == pytest.approx(oct_.doc["decisions"][[x.channel for x in oct_.decisions].index(d.channel)]
                                       ["weekly_spend"] / 7)
        expected = {"scale": after > 1.05 * before, "cut": after < 0.95 * before,
                    "hold": abs(after / before - 1) <= 0.10, "test": False}[d.decision]
        assert h["followed"] is expected and h["decision"] == d.decision
    store = ReviewStore(state)
    assert [r["period"] for r in store.runs()] == ["2025-11", "2025-10"]
    assert store.latest()["files"] == [str(p) for p in nov.files]
    saved = store.decisions("2025-11")
    assert {s["channel"]: s["decision"] for s in saved} == {d.channel: d.decision for d in nov.decisions}
    assert all(s["reason_zh"] and s["reason_en"] for s in saved)


def test_without_a_model_every_channel_is_a_test_and_the_advice_is_to_fit(tmp_path) -> None:
    root = tmp_path / "ws"
    world = review_world(root, seed=3, weeks=30, channels=3)
    run = run_review(root, state_url=f"sqlite:///{tmp_path / 's.db'}")
    assert run.period.label == "2024-06"  # 30 weeks from 2024-01-01: the data end on 2024-07-28
    assert [(d.channel, d.decision, d.basis) for d in run.decisions] == [(c, "test", "no_model") for c in
                                                                         sorted(world.channels)]
    assert run.doc["advice"]["action"] == "fit" and run.doc["change"] is None and run.doc["experiments"] == []
    assert run.to_json()["channels"][world.channels[0]]["mroi"] is None
    assert np.isfinite(run.doc["kpis"][0]["current"])
    with pytest.raises(Exception, match="starts after the last day with data"):
        run_review(root, "2030-01", record=False)
    with pytest.raises(Exception, match="--lang"):
        run_review(root, lang="fr", record=False)


def test_the_dashboard_page_and_the_api_show_the_recorded_review(fitted, tmp_path) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from omnimix.web.app import create_app

    root, _, view = fitted
    app = create_app(root, idle_close_s=1.0)
    st = app.state.ctx.state
    if st.get_user("viewer") is None:
        st.add_user("viewer", "viewer-pass-1", "viewer")
    token = st.create_token("viewer", "review-test")[1]
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        empty = client.get("/api/v1/review?period=2025-09", headers=auth).json()
        assert empty["computed"] is False and "omnimix review" in empty["message"]
        run = run_review(root, "2025-11", state_url=st.url, model=view)
        got = client.get("/api/v1/review", headers=auth).json()
        assert got["computed"] is True and got["run"]["period"] == "2025-11"
        assert [d["decision"] for d in got["run"]["decisions"]] == [d.decision for d in run.decisions]
        bad = client.get("/api/v1/review?period=2025-13", headers=auth)
        assert bad.status_code == 400 and "YYYY-MM" in bad.text
        assert client.get("/api/v1/review?period=May", headers=auth).status_code == 422
        assert client.get("/api/v1/review").status_code == 401
        for lang, word in (("en", "Decisions by channel"), ("zh-CN", "各渠道决策")):
            page = client.get(f"/review?lang={lang}", headers=auth)
            assert page.status_code == 200 and word in page.text
            for d in run.decisions:
                assert f'data-channel="{d.channel}" data-decision="{d.decision}"' in page.text
            assert 'id="chart-mroi"' in page.text and 'id="chart-change"' in page.text
            assert 'href="/review"' in page.text  # the navigation entry
        zh = client.get("/review?lang=zh-CN", headers=auth).text
        assert any(name in zh for name in ("加投", "削减", "维持", "测试"))
