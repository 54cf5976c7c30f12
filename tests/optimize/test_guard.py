"""Guarded plans from a fitted model: default ±30%, ``all=``, names in any language, holds, advice."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from omnimix.cli import app
from omnimix.curves import ResponseCurves
from omnimix.errors import InfeasibleError, InputDataError, UsageError
from omnimix.optimize.advice import advise
from omnimix.optimize.guard import ChannelNames, ChannelStatus, guard_constraints, normalize_name
from omnimix.optimize.workflow import optimize_workspace, run_optimizer

from ._demo_like import demo_like_curves, demo_like_workspace

runner = CliRunner()
NAMES = ChannelNames(("douyin", "search", "kol"), {"douyin": "抖音", "search": "搜索广告", "kol": "KOL"})
CUR = {"douyin": 2000.0, "search": 1000.0, "kol": 500.0}


def _cli(*args: str) -> dict:
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output[-3000:]
    return json.loads(res.stdout)


# ---------------------------------------------------------------------------------------------- names
def test_channel_names_by_key_or_display_name_case_and_width_insensitive() -> None:
    assert NAMES.key("douyin") == NAMES.key("抖音") == NAMES.key("DouYin") == NAMES.key("ｄｏｕｙｉｎ") == "douyin"
    assert NAMES.key(" 搜索广告 ") == "search" and NAMES.key("ｋｏｌ") == "kol"
    assert normalize_name("ＫＯＬ") == "kol"
    assert NAMES.is_all("all") and NAMES.is_all("*") and NAMES.is_all("ALL")
    with pytest.raises(UsageError, match=r"no channel 'tv'.*douyin \(抖音\)"):
        NAMES.key("tv", "--bound tv")
    # a key wins over another channel's display name
    tricky = ChannelNames(("a", "b"), {"b": "A"})
    assert tricky.key("A") == "a" and tricky.key("b") == "b"


# ---------------------------------------------------------------------------------------------- bounds
def test_guardrail_default_all_and_channel_bounds_merge_side_by_side() -> None:
    g = guard_constraints(NAMES, guardrails=True, current=CUR)
    assert {c: (b.min_change, b.max_change) for c, b in g.bounds.items()} == {
        "douyin": (-0.3, 0.3), "search": (-0.3, 0.3), "kol": (-0.3, 0.3)}
    assert "guardrails" in g.notes[0]
    g = guard_constraints(NAMES, guardrails=True, current=CUR,
                          bounds=[("抖音", {"max": 2500.0}), ("all", {"min_change": -0.3, "max_change": 0.5})])
    # "all" widens every channel's upper side; douyin's own maximum replaces that side, keeps the floor
    assert g.bounds["search"].max_change == 0.5 and g.bounds["search"].min_change == -0.3
    assert g.bounds["douyin"].max == 2500.0 and g.bounds["douyin"].max_change is None
    assert g.bounds["douyin"].min_change == -0.3
    # a maximum below the default floor drops the floor, with a note
    g = guard_constraints(NAMES, guardrails=True, current=CUR, bounds={"douyin": {"max": 1000.0}})
    assert g.bounds["douyin"].min_change is None and g.bounds["douyin"].max == 1000.0
    assert any("douyin" in n and "dropped" in n for n in g.notes)
    # no guardrails: only what was asked for
    g = guard_constraints(NAMES, guardrails=False, bounds={"*": {"min_change": -0.2}})
    assert set(g.bounds) == {"douyin", "search", "kol"} and g.bounds["kol"].max_change is None
    with pytest.raises(UsageError, match="unknown bound keys"):
        guard_constraints(NAMES, bounds={"kol": {"maximum": 1.0}})


def test_holds_releases_and_explicit_bounds() -> None:
    status = {"search": ChannelStatus("search", "conflict", "posterior in the prior's tail"),
              "kol": ChannelStatus("kol", "weak", "")}
    g = guard_constraints(NAMES, guardrails=True, status=status, current=CUR)
    assert g.locked == {"search": None, "kol": None}
    assert set(g.held) == {"search", "kol"} and "conflict gate" in g.held["search"]
    assert "search" not in g.bounds and "--release search" in " ".join(g.notes)
    g = guard_constraints(NAMES, guardrails=True, status=status, release=["KOL"], current=CUR)
    assert set(g.held) == {"search"} and g.bounds["kol"].max_change == 0.3
    g = guard_constraints(NAMES, guardrails=True, status=status, release=["all"], current=CUR)
    assert g.held == {}
    g = guard_constraints(NAMES, guardrails=True, status=status, bounds={"搜索广告": {"max": 1100.0}}, current=CUR)
    assert "search" not in g.held and g.bounds["search"].max == 1100.0  # an explicit bound releases
    g = guard_constraints(NAMES, guardrails=False, status=status)
    assert g.held == {} and g.locked == {} and any("planned anyway" in n for n in g.notes)


# ---------------------------------------------------------------------------------------------- plans
def test_unguarded_demo_like_plan_empties_channels_the_guarded_one_does_not() -> None:
    c = demo_like_curves()
    budget = float(c.current_spend.sum())
    free = run_optimizer(c, budget).to_json()
    assert sum(v < 0.05 * c.current_spend[j] for j, v in enumerate(free["allocation"].values())) >= 4
    doc = run_optimizer(c, budget, guardrails=True).to_json()
    alloc = np.array(list(doc["allocation"].values()))
    assert np.all(alloc >= 0.7 * c.current_spend - 1e-6) and np.all(alloc <= 1.3 * c.current_spend + 1e-6)
    assert sum(alloc) == pytest.approx(0.9 * budget, rel=1e-9)
    lo, hi = doc["kpi_interval_90"]
    assert lo < doc["expected_kpi"] < hi and doc["guardrails"] is True
    assert doc["uplift_pct"] == pytest.approx(doc["uplift_kpi"] / doc["current_kpi"])
    assert set(doc["recommendation"]) == set(c.channels)
    # widened for every channel
    wide = run_optimizer(c, budget, guardrails=True, bounds=[("all", {"min_change": -0.5, "max_change": 1.0})])
    w = np.array(list(wide.to_json()["allocation"].values()))
    assert np.all(w >= 0.5 * c.current_spend - 1e-6) and np.any(w > 1.3 * c.current_spend)


def test_a_budget_the_guardrails_cannot_meet_says_how_to_widen() -> None:
    c = demo_like_curves()
    with pytest.raises(InfeasibleError, match=r"guardrails.*--bound 'all=.*--no-guardrails"):
        run_optimizer(c, 0.3 * float(c.current_spend.sum()), guardrails=True)


def test_workspace_status_table_holds_weak_and_conflicting_channels(tmp_path: Path) -> None:
    status = pd.DataFrame({"channel": ["search", "kol", "douyin"], "status": ["conflict", "weak", "ok"],
                           "reason": ["prior-data conflict", "wide ROI interval", None]})
    ws = demo_like_workspace(tmp_path / "ws", status=status)
    c = demo_like_curves()
    budget = float(c.current_spend.sum())
    doc = optimize_workspace(ws, budget).to_json()
    cur = doc["current_allocation"]
    assert doc["allocation"]["search"] == pytest.approx(cur["search"]) and doc["status"]["search"] == "locked"
    assert doc["allocation"]["kol"] == pytest.approx(cur["kol"])
    assert set(doc["held"]) == {"search", "kol"} and doc["recommendation"]["search"]["action"] == "hold"
    assert doc["allocation"]["douyin"] != pytest.approx(cur["douyin"])
    released = optimize_workspace(ws, budget, release=["search"]).to_json()
    assert set(released["held"]) == {"kol"}
    assert released["allocation"]["search"] == pytest.approx(1.3 * cur["search"], rel=1e-6)
    # the CLI: --release by display name, --no-guardrails
    cli = _cli("optimize", "--workspace", str(ws.root), "--budget", f"{budget}", "--release", "搜索广告")
    assert set(cli["held"]) == {"kol"}
    cli = _cli("optimize", "--workspace", str(ws.root), "--budget", f"{budget}", "--no-guardrails")
    assert cli["held"] == {} and cli["guardrails"] is False
    # no table: every channel ok
    plain = demo_like_workspace(tmp_path / "plain")
    assert optimize_workspace(plain, budget).to_json()["held"] == {}


def test_a_bad_status_names_row_column_and_fix(tmp_path: Path) -> None:
    status = pd.DataFrame({"channel": ["search"], "status": ["shaky"], "reason": [""]})
    ws = demo_like_workspace(tmp_path / "ws", status=status)
    with pytest.raises(InputDataError) as err:
        optimize_workspace(ws, 5000.0)
    text = str(err.value) + " ".join(err.value.problems)
    assert "mmm_channel_status" in text and "row 1" in text and "column status" in text and "shaky" in text


def test_cli_bounds_all_and_chinese_names(tmp_path: Path) -> None:
    ws = demo_like_workspace(tmp_path / "ws")
    c = demo_like_curves()
    budget = float(c.current_spend.sum())
    doc = _cli("optimize", "--workspace", str(ws.root), "--budget", f"{budget}", "--reserve", "0.05",
               "--bound", "all=-10%:+10%", "--bound", "抖音=-5%:+5%", "--lock", "小红书")
    cur = doc["current_allocation"]
    for ch, v in doc["allocation"].items():
        lo, hi = ((0.95, 1.05) if ch == "douyin" else (0.9, 1.1))
        if ch == "xiaohongshu":
            assert v == pytest.approx(cur[ch])
        else:
            assert lo * cur[ch] - 1e-6 <= v <= hi * cur[ch] + 1e-6, ch
    res = runner.invoke(app, ["optimize", "--workspace", str(ws.root), "--budget", "100", "--bound", "电视=1:2"])
    assert isinstance(res.exception, UsageError) and "no channel '电视'" in str(res.exception)
    # full-width '＝' and '：' typed with a Chinese input method
    doc = _cli("optimize", "--workspace", str(ws.root), "--budget", f"{budget}", "--bound", "抖音＝:2500")
    assert doc["allocation"]["douyin"] <= 2500 + 1e-6


def test_curves_file_keeps_its_own_bounds_only(tmp_path: Path) -> None:
    c = demo_like_curves(draws=50)
    doc = {"channels": {
        n: {"type": "hill", "beta": c.beta[:, j].tolist(), "half_saturation": c.half_saturation[:, j].tolist(),
            "slope": c.slope[:, j].tolist(), "current_spend": float(c.current_spend[j]),
            **({"max": 2000.0} if n == "search" else {})}
        for j, n in enumerate(c.channels)}}
    f = tmp_path / "CURVES.json"
    f.write_text(json.dumps(doc))
    budget = float(c.current_spend.sum())
    out = _cli("optimize", "--curves", str(f), "--budget", f"{budget}")
    assert out["guardrails"] is False and out["allocation"]["search"] <= 2000 + 1e-6
    assert min(out["allocation"].values()) < 0.5 * min(c.current_spend)  # no ±30% unless asked for
    lo, hi = out["kpi_interval_90"]
    assert lo < hi and out["interval_note"] is None  # the file's draws give the interval
    guarded = _cli("optimize", "--curves", str(f), "--budget", f"{budget}", "--guardrails")
    assert all(v >= 0.7 * c.current_spend[j] - 1e-6 for j, v in enumerate(guarded["allocation"].values()))


# ---------------------------------------------------------------------------------------------- advice
def test_scale_hold_cut_follow_the_marginal_roi_interval() -> None:
    rng = np.random.default_rng(3)
    d = 400
    # x = 100 for all; marginal ROI of beta·x/(x+K) at x: beta·K/(x+K)²
    beta = np.column_stack([rng.normal(2000, 50, d), rng.normal(200, 5, d), rng.lognormal(np.log(600), 0.8, d),
                            rng.normal(200, 5, d)])
    c = ResponseCurves.from_params(["strong", "weak", "unsure", "off"], "hill", beta=beta,
                                   half_saturation=np.full((d, 4), 100.0), slope=np.ones((d, 4)),
                                   lam=np.ones((d, 4)), current_spend=[100.0, 100.0, 100.0, 0.0])
    run = run_optimizer(c, 300.0, reserve=0.0, bounds={"*": {"min_change": -0.3, "max_change": 0.3}})
    a = run.allocation
    assert a is not None
    adv = advise(c, a).by_channel()
    tau = run.to_json()["marginal_roi_threshold"]
    m = c.draws(np.array([100.0, 100.0, 100.0, 1.0]), order=1)  # "off" is judged at a small spend
    for j, ch in enumerate(c.channels):
        lo, hi = np.quantile(m[:, j], [0.05, 0.95])
        assert adv[ch].marginal_roi_interval == pytest.approx((lo, hi), rel=1e-9) or ch == "off"
        want = "scale" if lo > tau else ("cut" if hi < tau and c.current_spend[j] > 0 else "hold")
        assert adv[ch].action == want, (ch, lo, hi, tau)
    assert adv["strong"].action == "scale" and adv["weak"].action == "cut" and adv["unsure"].action == "hold"
    assert adv["off"].action != "cut"
    held = advise(c, a, {"strong": "weakly identified"}).by_channel()
    assert held["strong"].action == "hold" and "held" in held["strong"].reason


def test_multi_period_plan_keeps_the_guardrails_every_period() -> None:
    c = demo_like_curves(draws=40)
    budget = 4 * float(c.current_spend.sum())
    status = {"kol": ChannelStatus("kol", "weak", "")}
    doc = run_optimizer(c, budget, periods=4, guardrails=True, channel_status=status).to_json()
    x = np.array([list(p.values()) for p in doc["allocation"].values()])  # (T, C)
    ratio = x / c.current_spend
    assert ratio.min() >= 0.7 - 1e-6 and ratio.max() <= 1.3 + 1e-6
    assert np.allclose(x[:, c.channels.index("kol")], c.current_spend[c.channels.index("kol")])
    assert doc["held"] == {"kol": "weakly identified"}
    lo, hi = doc["kpi_interval_90"]
    assert lo < hi
