"""The whole loop on a workspace whose warehouse is not called warehouse.duckdb (issue #13 acceptance).

ingest → resolve → attribute → clv → mmm fit → optimize, through the CLI as a user runs it, on one
workspace with ``warehouse = 'marketing.duckdb'``: every stage finds its data, no stage creates
``warehouse.duckdb`` beside it, and the plan made from the MMM's stored curves carries a 90% interval
from the posterior draws.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from omnimix.cli import app
from omnimix.config import Config
from omnimix.simulate.world import simulate_world
from omnimix.workspace import Workspace

runner = CliRunner()


def _run(*args: str) -> dict:
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, f"omnimix {' '.join(args)} exited {res.exit_code}: {res.output[-3000:]}"
    return json.loads(res.stdout)


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict]]:
    root = tmp_path_factory.mktemp("loop")
    simulate_world(root / "data", customers=1500, weeks=78, seed=5)
    base = Config()
    cfg = base.model_copy(update={"workspace": base.workspace.model_copy(update={"warehouse": "marketing.duckdb"})})
    ws = Workspace.init(root / "ws", config=cfg)
    w = str(ws.root)
    files = [str(p) for p in sorted((root / "data").iterdir()) if p.is_file()]
    out: dict[str, dict] = {}
    out["ingest"] = _run("ingest", *files, "--workspace", w)
    out["resolve"] = _run("resolve", "--workspace", w)
    out["attribute"] = _run("attribute", "--workspace", w, "--model", "all")
    out["predict"] = _run("clv", "predict", "--workspace", w, "--horizon", "52", "--time-unit", "weeks", "--save")
    out["segments"] = _run("clv", "segments", "--workspace", w, "--save")
    out["cac"] = _run("clv", "cac", "--workspace", w)
    out["mmm"] = _run("mmm", "fit", "--workspace", w, "--mode", "map", "--seed", "0")
    return ws.root, out


def test_every_stage_found_its_data_in_the_configured_warehouse(loop: tuple[Path, dict[str, dict]]) -> None:
    root, out = loop
    assert sum(f["rows_loaded"] for f in out["ingest"]["files"]) > 10_000
    assert out["resolve"]["identity"]["customers"] > 500
    assert out["predict"]["n_customers"] > 100
    assert out["mmm"]["workspace_tables"]["mmm_channels"] >= 4
    ws = Workspace.open(root)
    present = set(ws.tables())
    assert {"paths", "attribution_results", "clv_customers", "segment_profiles", "mmm_channels",
            "mmm_diagnostics", "response_curves", "response_curve_draws"} <= present
    assert sorted(p.name for p in root.glob("*.duckdb")) == ["marketing.duckdb"]
    assert not (root / "warehouse.duckdb").exists()


def test_optimize_from_the_workspace_plans_with_posterior_intervals(loop: tuple[Path, dict[str, dict]]) -> None:
    root, out = loop
    assert out["mmm"]["diagnostics"]["passed"], out["mmm"]["diagnostics"]["reasons"]
    ws = Workspace.open(root)
    curves = ws.read("response_curves")
    budget = float(curves["current_spend"].sum())
    plan = _run("optimize", "--workspace", str(root), "--budget", f"{budget:.2f}")
    lo, hi = plan["kpi_interval_90"]
    assert lo < plan["expected_kpi"] < hi
    assert sum(plan["allocation"].values()) == pytest.approx(budget * 0.9, rel=1e-6)
    assert set(plan["allocation"]) == set(curves["channel"])
    # the same fit through its own file (the MMM's response_curves.json) plans the same
    same = _run("optimize", "--curves", str(root / "mmm" / "latest" / "response_curves.json"),
                "--budget", f"{budget:.2f}")
    assert same["allocation"].keys() == plan["allocation"].keys()
    assert not (root / "warehouse.duckdb").exists()
