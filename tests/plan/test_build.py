"""The whole plan on a simulated workspace: optimizer budget, exact cascade, posterior achievability.

One module-scoped workspace: ``simulate_world`` → ``omnimix ingest`` → ``omnimix resolve`` →
``omnimix mmm fit --mode map`` (about 20 s on 2 cores), then ``omnimix plan build`` and ``validate``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from omnimix.cli import app
from omnimix.optimize.workflow import load_channel_status, load_workspace_curves, run_optimizer
from omnimix.plan.achieve import achievability, load_posterior
from omnimix.plan.baseline import read_baselines
from omnimix.plan.build import build_plan, validate_plan
from omnimix.plan.cascade import to_units
from omnimix.plan.spec import load_plan
from omnimix.simulate.world import simulate_world
from omnimix.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "plan.toml"
MINIMAL = ROOT / "examples" / "plan_minimal.toml"
runner = CliRunner()


def _run(*args: str) -> dict:
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output[-3000:]
    return json.loads(res.stdout)


@pytest.fixture(scope="module")
def sim_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("plan_ws")
    simulate_world(root / "data", customers=1500, weeks=78, seed=5)
    ws = Workspace.init(root / "ws")
    files = [str(p) for p in sorted((root / "data").iterdir()) if p.is_file()]
    _run("ingest", *files, "--workspace", str(ws.root))
    _run("resolve", "--workspace", str(ws.root))
    mmm = _run("mmm", "fit", "--workspace", str(ws.root), "--mode", "map", "--seed", "0")
    assert mmm["diagnostics"]["passed"], mmm["diagnostics"]["reasons"]
    return ws.root


@pytest.fixture(scope="module")
def built(sim_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("plan_out")
    return _run("plan", "build", str(EXAMPLE), "--workspace", str(sim_ws), "--out", str(out))


def test_build_document_follows_the_cli_contract(built: dict) -> None:
    assert {"budget", "quarters", "calendar", "goals", "files"} <= set(built)
    assert {"total", "reserve", "channels"} <= set(built["budget"])
    assert sorted(Path(f).name for f in built["files"]) == ["plan.html", "plan.ics", "plan.json", "plan.xlsx"]
    assert all(Path(f).stat().st_size > 0 for f in built["files"])
    for e in built["calendar"]:
        assert {"name", "start", "end", "channels", "goal_ids"} <= set(e)
    kinds = {e["kind"] for e in built["calendar"]}
    assert {"campaign", "content", "retail_peak"} <= kinds
    assert any(e["start"] <= "2026-11-11" <= e["end"] and e["kind"] == "retail_peak" for e in built["calendar"])
    g = {x["id"]: x for x in built["goals"]}
    assert set(g) == {"g1.1", "g1.2", "g2", "g3"}
    for x in g.values():
        assert {"id", "statement", "kpi", "target", "deadline", "smart", "problems"} <= set(x)
        assert set(x["smart"]) == {"specific", "measurable", "achievable", "relevant", "time_bound"}
        if False in x["smart"].values():
            assert x["problems"]


def test_budget_comes_from_the_optimizer_under_the_plans_constraints(built: dict, sim_ws: Path) -> None:
    plan = load_plan(EXAMPLE)
    ws = Workspace.open(sim_ws)
    curves = load_workspace_curves(ws)
    weeks = 365 / 7
    direct = run_optimizer(curves, plan.plan.budget / weeks, reserve=0.10, guardrails=True,  # type: ignore[operator]
                           bounds={"search": {"min": 15_000 / weeks}}, locked={"events": None},
                           channel_status=load_channel_status(ws), display_names=ws.config.taxonomy.channels)
    assert direct.allocation is not None
    b = built["budget"]
    for c, v in zip(direct.allocation.channels, direct.allocation.allocation, strict=True):
        assert b["channels"][c] == pytest.approx(float(v) * weeks, abs=0.01)
    assert b["channels"]["search"] >= 15_000 - 0.01
    assert b["channels"]["events"] == pytest.approx(float(curves.current_spend[curves.channels.index("events")]) * weeks,
                                                    abs=0.01)
    cents = to_units(b["reserve"]) + sum(to_units(v) for v in b["channels"].values()) + to_units(b["unallocated"])
    assert cents == to_units(100_000) and to_units(b["reserve"]) == to_units(10_000)


def test_cascade_adds_up_exactly(built: dict) -> None:
    b, q, m = built["budget"], built["quarters"], built["months"]
    assert sum(to_units(x["total"]) for x in q.values()) == to_units(b["total"])
    for ch, amount in b["channels"].items():
        assert sum(to_units(x["channels"][ch]) for x in q.values()) == to_units(amount)
        assert sum(to_units(x["channels"][ch]) for x in m.values()) == to_units(amount)
    months = list(m.values())
    for i, (name, x) in enumerate(q.items()):
        assert sum(to_units(y["total"]) for y in months[3 * i:3 * i + 3]) == to_units(x["total"]), name
        assert to_units(x["total"]) == to_units(x["reserve"]) + to_units(x["unallocated"]) + \
            sum(to_units(v) for v in x["channels"].values())
    for c in built["cascade"]:
        if c["additive"]:
            assert sum(c["quarters"].values()) == pytest.approx(c["total"])
            assert sum(c["months"].values()) == pytest.approx(c["total"])
            assert sum(c["channels"].values()) == pytest.approx(c["total"])
    for t in built["kpi_trees"]:
        assert t["checks"] == []


def test_achievability_is_the_posterior_probability(built: dict, sim_ws: Path) -> None:
    ws = Workspace.open(sim_ws)
    g2 = next(g for g in built["goals"] if g["id"] == "g2")
    assert g2["kpi"] == "revenue" and g2["baseline_source"] == "warehouse"
    # recompute from the tables: weekly base + per-draw media response at the planned weekly spend
    fit = ws.read("mmm_fit", order_by=("date",))
    curves = load_workspace_curves(ws)
    x = np.array([built["budget"]["weekly"][c] for c in curves.channels])
    base = fit["predicted"].tail(52).mean() - curves.response(curves.current_spend).sum()
    weeks = 365 / 7
    rev = weeks * (base + curves.draws(x).sum(axis=1))
    sd = math.sqrt(weeks) * np.std(fit["actual"] - fit["predicted"], ddof=1)
    p = np.mean([0.5 * (1 + math.erf((r - g2["target"]) / (sd * math.sqrt(2)))) for r in rev])
    assert g2["achievability"]["probability"] == pytest.approx(p, abs=1e-9)
    assert g2["smart"]["achievable"] is bool(p >= 0.5)
    # lower targets are likelier; the 50% target is reached about half the time
    post = load_posterior(ws)
    bl = read_baselines(ws)
    probs = [achievability(post, "revenue", t, x, weeks, 100_000, bl).probability  # type: ignore[union-attr]
             for t in (0.9 * g2["baseline"], g2["baseline"], 1.1 * g2["baseline"])]
    assert probs[0] >= probs[1] >= probs[2] and probs[0] > 0.9
    half = achievability(post, "revenue", g2["achievability"]["reachable_50"], x, weeks, 100_000, bl)
    assert half is not None and half.probability == pytest.approx(0.5, abs=0.06)


def test_validate_with_and_without_workspace(sim_ws: Path) -> None:
    bare = _run("plan", "validate", str(EXAMPLE))
    assert all(g["smart"]["achievable"] is None for g in bare["goals"])
    withws = validate_plan(EXAMPLE, sim_ws).to_json()
    by = {g["id"]: g for g in withws["goals"]}
    assert all(isinstance(by[k]["smart"]["achievable"], bool) for k in ("g1.1", "g1.2", "g2", "g3"))
    bl = read_baselines(sim_ws)
    assert by["g1.1"]["baseline"] == bl.values["new_customers"]
    # the revenue goal is set against history: the year-over-year change of the same days a year apart
    assert any(n.startswith("history: revenue changed") for n in by["g2"]["notes"])
    ws = Workspace.open(sim_ws)
    conv = ws.read("conversions", columns=["ts", "value"])
    end = conv["ts"].max().normalize()
    days = (end - conv["ts"].min().normalize()).days + 1 - 364
    now = conv[(conv["ts"] >= end - np.timedelta64(days - 1, "D"))]["value"].sum()
    then_end = end - np.timedelta64(364, "D")
    then = conv[(conv["ts"] >= then_end - np.timedelta64(days - 1, "D")) &
                (conv["ts"] < then_end + np.timedelta64(1, "D"))]["value"].sum()
    assert bl.history["revenue"] == pytest.approx(now / then - 1, rel=1e-9)


def test_minimal_plan_builds_a_whole_plan(sim_ws: Path, tmp_path: Path) -> None:
    b = build_plan(MINIMAL, sim_ws)
    spend = read_baselines(sim_ws).counts["spend"]
    assert b.budget.total == pytest.approx(spend * 365 / 364, abs=0.01)
    assert b.budget.channels and b.calendar and len(b.goals) == 2
    doc = b.to_json()
    assert doc["cascade"] and doc["channel_roles"] and {r["role"] for r in doc["channel_roles"]} <= {
        "open", "assist", "close"}


def test_validate_without_an_mmm_fit_says_why_achievable_is_null(sim_ws: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "ws"
    shutil.copytree(sim_ws, copy)
    ws = Workspace.open(copy)
    con = ws.connect()
    con.execute("drop table mmm_diagnostics")
    con.close()
    doc = validate_plan(EXAMPLE, copy).to_json()
    assert all(g["smart"]["achievable"] is None for g in doc["goals"])
    assert all(g["baseline"] is not None for g in doc["goals"])
    assert doc["notes"] and "omnimix mmm fit" in doc["notes"][0]
