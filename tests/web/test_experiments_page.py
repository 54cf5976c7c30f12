"""The /experiments page and GET /api/v1/experiments: recorded tests with their reads, the charts from the
stored series, the planner's next tests funded from the plan's reserve."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: F401  (the env's client)

from omnimix.cli import main
from omnimix.experiments.planner import save_plan
from omnimix.plan.reserve import plan_next_tests
from omnimix.simulate.geo import simulate_geo_panel

from ..plan.test_reserve import PLAN, _fit
from .conftest import Env, login, make_env


def _cli(args: list[str], capsys: pytest.CaptureFixture[str] | None = None) -> str:
    try:
        main(args)
    except SystemExit as exc:
        assert not exc.code, exc
    return capsys.readouterr().out if capsys is not None else ""


@pytest.fixture(scope="module")
def exp_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    root = tmp_path_factory.mktemp("exp_ws")
    ws = root / "ws"
    frame, truth = simulate_geo_panel(n_geos=12, n_days=70, test_days=21, treated=2, effect=0.1, seed=4)
    frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d")).to_csv(root / "panel.csv", index=False)
    _cli(["init", str(ws)])
    args = ["experiment", "analyze", str(root / "panel.csv"), "--method", "augmented_synthetic_control",
            "--cost-col", "cost", "--treated", ",".join(truth["treated"]), "--test-start", truth["test_start"],
            "--test-end", truth["test_end"], "--json"]
    import contextlib
    import io

    for name, extra in (("detail.json", ["--detail"]), ("plain.json", [])):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            _cli(args + extra)
        (root / name).write_text(buf.getvalue(), encoding="utf-8")
    _cli(["experiment", "record", str(root / "detail.json"), "--workspace", str(ws), "--channel", "douyin",
          "--start", truth["test_start"], "--end", truth["test_end"]])
    _cli(["experiment", "record", str(root / "plain.json"), "--workspace", str(ws), "--channel", "wechat",
          "--start", "2024-01-01", "--end", "2024-01-21", "--spend", "5000"])
    (ws / "plan.toml").write_text(PLAN.format(budget=200_000), encoding="utf-8")
    plan, _ = plan_next_tests(ws, _fit(), weeks=4)
    save_plan(ws, plan)
    env = make_env(ws)
    e = next(env)
    e.truth = truth  # type: ignore[attr-defined]
    yield e
    with pytest.raises(StopIteration):
        next(env)


def test_api_lists_tests_with_reads(exp_env: Env) -> None:
    r = exp_env.client.get("/api/v1/experiments", headers=exp_env.headers("viewer"))
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["computed"] is True
    by = {i["channel"]: i for i in doc["items"]}
    d = by["douyin"]
    assert d["method"] == "augmented_synthetic_control" and d["stored"] and d["has_series"]
    assert d["lift_lo"] <= d["lift_mean"] <= d["lift_hi"] and d["iroas_lo"] <= d["iroas_mean"] <= d["iroas_hi"]
    assert d["inference"] == "conformal" and d["treated"] == ",".join(exp_env.truth["treated"])  # type: ignore[attr-defined]
    w = by["wechat"]        # recorded from the plain contract JSON: no series, intervals still stored
    assert w["stored"] and not w["has_series"] and w["incremental_kpi_lo"] < w["incremental_kpi_hi"]
    plan = doc["next_tests"]
    f = plan["funding"]        # the two recorded 2024 tests (douyin's incremental cost, wechat's 5,000) drew on it
    assert plan["computed"] and f["reserve"] == 10_000.0 and f["spent"] == pytest.approx(5_000.0 + d["incremental_cost"])
    assert f["left"] == pytest.approx(10_000.0 - f["spent"]) and plan["reserve"] == pytest.approx(f["left"])
    assert 1 <= len(plan["items"]) < 3 and sum(i["cost"] for i in plan["items"]) <= f["left"]
    assert "series" not in doc
    r = exp_env.client.get("/api/v1/experiments", params={"id": d["experiment_id"]},
                           headers=exp_env.headers("viewer"))
    s = r.json()["series"]
    assert len(s["periods"]) == 70 and len(s["cumulative"]) == 21
    assert s["cumulative"][-1]["effect"] == pytest.approx(d["incremental_kpi_mean"], rel=1e-6)
    assert exp_env.client.get("/api/v1/experiments").status_code == 401


@pytest.mark.parametrize(("lang", "words"), [
    ("zh-CN", ["增量实验", "增强合成控制", "实际值与反事实", "累计效应", "下一批实验（规划器）", "测试资金"]),
    ("en", ["Lift tests", "Augmented synthetic control", "Observed vs counterfactual", "Cumulative effect",
            "Next tests (planner)", "reserve CN¥10,000.00 (5%"]),
])
def test_page_in_both_languages(exp_env: Env, lang: str, words: list[str]) -> None:
    login(exp_env.client, "viewer")
    r = exp_env.client.get("/experiments", params={"lang": lang})
    assert r.status_code == 200
    for w in words:
        assert w in r.text, w
    assert 'href="/experiments"' in r.text           # in the navigation
    figs = [json.loads(m.replace("&#39;", "'")) for m in re.findall(r"data-figure='([^']+)'", r.text)]
    assert len(figs) == 2
    obs, cum = figs
    assert len(obs["data"][-1]["y"]) == 70 and obs["layout"]["shapes"][0]["x0"] == exp_env.truth["test_start"]  # type: ignore[attr-defined]
    assert cum["data"][1]["error_y"]["array"][0] > 0
    assert r.text.count('data-channel="') == 2


def test_selecting_a_test_without_series(exp_env: Env) -> None:
    login(exp_env.client, "viewer")
    items = exp_env.client.get("/api/v1/experiments", headers=exp_env.headers("viewer")).json()["items"]
    wid = next(i["experiment_id"] for i in items if i["channel"] == "wechat")
    r = exp_env.client.get("/experiments", params={"id": wid, "lang": "en"})
    assert 'id="no-series"' in r.text and "data-figure" not in r.text


def test_empty_workspace_says_what_to_run(empty_env: Env) -> None:
    login(empty_env.client, "viewer")  # a viewer reads what will appear and who produces it, no command
    r = empty_env.client.get("/experiments", params={"lang": "en"})
    assert r.status_code == 200 and "once an analyst" in r.text and "omnimix experiment" not in r.text
    login(empty_env.client, "analyst")
    r = empty_env.client.get("/experiments", params={"lang": "en"})
    assert r.status_code == 200 and "omnimix experiment record" in r.text
    assert "omnimix experiment plan --workspace DIR --save" in r.text
    doc = empty_env.client.get("/api/v1/experiments", headers=empty_env.headers("viewer")).json()
    assert doc["computed"] is False and doc["items"] == [] and doc["next_tests"]["computed"] is False
