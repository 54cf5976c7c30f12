"""The plan on a simulated workspace (issue #17 acceptance): optimizer budget, posterior achievability.

Builds a workspace the way the tests do (``simulate_world(customers=1500, weeks=78, seed)`` → ingest →
resolve → ``mmm fit --mode map``), builds ``examples/plan.toml`` on it and prints:

* the channel budgets next to a direct ``run_optimizer`` call under the same constraints (largest gap
  in currency), and ``Σ channels + reserve + unallocated − total`` in cents;
* per goal: baseline, target, P(reaching it at the planned budget) from the MMM posterior and the
  targets reached with 50% / 80%;
* P(revenue ≥ baseline × (1 + c)) for a sweep of c: the posterior's view of what the budget buys.

Run: ``PYTHONPATH=src python benchmarks/plan_build.py [--seed 5] [--workdir DIR]``
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from typer.testing import CliRunner

from omnimix.cli import app
from omnimix.optimize.workflow import load_channel_status, load_workspace_curves, run_optimizer
from omnimix.plan.achieve import achievability, load_posterior
from omnimix.plan.baseline import read_baselines
from omnimix.plan.build import build_plan
from omnimix.plan.cascade import to_units
from omnimix.simulate.world import simulate_world
from omnimix.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> dict:
    res = CliRunner().invoke(app, [*args, "--json"])
    if res.exit_code != 0:
        raise SystemExit(f"omnimix {' '.join(args)} failed: {res.output[-2000:]}")
    return json.loads(res.stdout)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--workdir", type=Path, default=None)
    a = ap.parse_args()
    root = a.workdir or Path(tempfile.mkdtemp(prefix="plan_bench_"))
    t0 = time.perf_counter()
    simulate_world(root / "data", customers=1500, weeks=78, seed=a.seed)
    ws = Workspace.init(root / "ws")
    _run("ingest", *[str(p) for p in sorted((root / "data").iterdir()) if p.is_file()], "--workspace", str(ws.root))
    _run("resolve", "--workspace", str(ws.root))
    _run("mmm", "fit", "--workspace", str(ws.root), "--mode", "map", "--seed", "0")
    print(f"workspace ready in {time.perf_counter() - t0:.1f} s: {ws.root}")
    b = build_plan(ROOT / "examples" / "plan.toml", ws)
    weeks = b.budget.weeks
    curves = load_workspace_curves(ws)
    direct = run_optimizer(curves, 100_000 / weeks, reserve=0.1, guardrails=True,
                           bounds={"search": {"min": 15_000 / weeks}}, locked={"events": None},
                           channel_status=load_channel_status(ws), display_names=ws.config.taxonomy.channels)
    assert direct.allocation is not None
    gap = max(abs(b.budget.channels[c] - float(v) * weeks)
              for c, v in zip(direct.allocation.channels, direct.allocation.allocation, strict=True))
    cents = to_units(b.budget.reserve) + sum(map(to_units, b.budget.channels.values())) + to_units(b.budget.unallocated)
    print(f"budget {b.budget.total:,.2f}: reserve {b.budget.reserve:,.2f}, channels "
          f"{ {c: round(v, 2) for c, v in b.budget.channels.items()} }")
    print(f"  largest gap to a direct run_optimizer call: {gap:.4f}; "
          f"Σ − total = {cents - to_units(b.budget.total)} cents")
    for g in b.goals:
        ach = g.achievability
        p = "n/a" if ach is None else (f"{ach.probability:.3f} (expected {ach.expected:,.1f}, "
                                       f"50%: {ach.reachable_50:,.1f}, 80%: {ach.reachable_80:,.1f})")
        print(f"  goal {g.id} {g.kpi}: baseline {g.baseline}, target {g.target}, P(reach) = {p}")
    post = load_posterior(ws)
    bl = read_baselines(ws)
    x = b.budget.weekly_vector(tuple(curves.channels))
    base = bl.values["revenue"]
    sweep = []
    for c in (-0.05, 0.0, 0.01, 0.02, 0.05, 0.10):
        r = achievability(post, "revenue", base * (1 + c), x, weeks, b.budget.total, bl)
        assert r is not None
        sweep.append(f"{c:+.0%}: {r.probability:.3f}")
    print("  P(revenue ≥ baseline × (1 + c)) at the planned budget:", ", ".join(sweep))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
