"""``omnimix demo``: the whole loop on a synthetic company, end to end.

simulate → init → ingest, then every later stage that is installed (identity, journeys, attribution,
MMM, optimizer, CLV, dashboard) on the same workspace, with progress and a summary of what was written.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Step = Callable[["DemoContext"], str]


@dataclass
class DemoContext:
    """State shared by the demo steps."""

    out: Path
    customers: int
    weeks: int
    seed: int
    say: Callable[[str], None]
    results: dict[str, Any] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return self.out / "data"

    @property
    def workspace(self) -> Path:
        return self.out / "workspace"


def _simulate(ctx: DemoContext) -> str:
    from omnimix.simulate.world import simulate_world

    s = simulate_world(ctx.data_dir, customers=ctx.customers, weeks=ctx.weeks, seed=ctx.seed)
    ctx.results["simulate"] = s.to_json()
    return (f"{len(s.files)} source files in {ctx.data_dir} ({s.persons:,} persons, {s.orders:,} orders, "
            f"{s.touchpoints:,} contacts); ground truth in {ctx.data_dir / 'truth'}")


def _init(ctx: DemoContext) -> str:
    from omnimix.workspace import Workspace

    ws = Workspace.init(ctx.workspace)
    return f"workspace {ws.root} (omnimix.toml + {ws.warehouse_path.name})"


def _ingest(ctx: DemoContext) -> str:
    from omnimix.ingest.loader import ingest_file
    from omnimix.workspace import Workspace

    ws = Workspace.open(ctx.workspace)
    files = sorted(p for p in ctx.data_dir.iterdir() if p.is_file())
    con = ws.connect()
    totals = [0, 0, 0]
    try:
        for f in files:
            r = ingest_file(ws, f, con=con)
            totals[0] += r.rows_in
            totals[1] += r.rows_loaded
            totals[2] += r.rows_quarantined
    finally:
        con.close()
    ctx.results["ingest"] = {"rows_in": totals[0], "rows_loaded": totals[1], "rows_quarantined": totals[2]}
    return f"{len(files)} files: {totals[0]:,} rows in, {totals[1]:,} loaded, {totals[2]:,} quarantined"


def _resolve(ctx: DemoContext) -> str:
    from omnimix.engine.base import engine_scope
    from omnimix.identity.evaluate import evaluate
    from omnimix.identity.resolve import resolve
    from omnimix.journeys.build import build_journeys
    from omnimix.workspace import Workspace

    ws = Workspace.open(ctx.workspace)
    with engine_scope(ws, None) as eng:
        r = resolve(ws, engine=eng)
        j = build_journeys(ws, engine=eng)
    score = evaluate(ws, ctx.data_dir / "truth" / "identities.csv")
    ctx.results["resolve"] = {"identity": r.to_json(), "journeys": j.to_json(), "accuracy": score.to_json()}
    return (f"{r.customers:,} customers ({r.probabilistic_edges:,} Splink links, {r.edges_cut:,} unsafe edges cut); "
            f"precision {score.precision:.4f}, recall {score.recall:.4f} vs truth; {j.distinct_paths:,} paths")


def _attribute(ctx: DemoContext) -> str:
    from omnimix.attribution.paths import read_workspace
    from omnimix.attribution.results import MODELS, attribute, chart, compare, save_to_workspace

    data = read_workspace(ctx.workspace, want_touches=True)
    results = [attribute(m, data.paths, data.touches) for m in MODELS]
    table = compare(results, data.spend, "channel")
    save_to_workspace(ctx.workspace, results)
    out = ctx.out / "attribution.html"
    chart(table, out)
    ctx.results["attribution"] = {r.model: dict(zip(r.channels, map(float, r.conversions), strict=True))
                                  for r in results}
    top = table["markov_conversions"].sort_values(ascending=False).index[:3] if "markov_conversions" in table else []
    return f"{len(results)} models side by side (top by Markov: {', '.join(map(str, top))}); chart {out}"


def _cli_json(*args: str) -> Any:
    """Run an omnimix command in a child process and return its --json output."""
    import json
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", "from omnimix.cli import main; main()", *args, "--json"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        from omnimix.errors import OmnimixError

        raise OmnimixError(f"`omnimix {' '.join(args)}` failed: {out.stderr.strip()[-2000:]}")
    return json.loads(out.stdout)


def _clv(ctx: DemoContext) -> str:
    ws = str(ctx.workspace)
    seg = _cli_json("clv", "segments", "--workspace", ws, "--save")
    cac = _cli_json("clv", "cac", "--workspace", ws)
    pred = _cli_json("clv", "predict", "--workspace", ws, "--horizon", "52", "--time-unit", "weeks", "--save")
    ctx.results["clv"] = {"segments": seg, "cac": cac, "predict": pred}
    n_seg = len(seg.get("segments", seg.get("personas", [])))
    return (f"RFM segments saved ({n_seg} segments, persona cards); CLV for {pred['n_customers']:,} customers "
            f"(BG/NBD + Gamma-Gamma); CAC and LTV:CAC by channel and cohort")


def _mmm(ctx: DemoContext) -> str:
    doc = _cli_json("mmm", "fit", "--workspace", str(ctx.workspace), "--seed", str(ctx.seed))
    ctx.results["mmm"] = doc
    d = doc["diagnostics"]
    verdict = "passed review" if d["passed"] else "FAILED review: " + "; ".join(d["reasons"])
    return (f"Bayesian MMM (NUTS) on {len(doc['channels'])} channels: R-hat {d['rhat_max']:.3f}, "
            f"min ESS {d['ess_bulk_min']:.0f}, {d['divergences']} divergences — {verdict}; "
            f"report {doc['saved_to']}/report.html")


def _optimize(ctx: DemoContext) -> str:
    from omnimix.optimize import optimize_curves
    from omnimix.workspace import Workspace

    con = Workspace.open(ctx.workspace).connect(read_only=True)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "response_curves" not in tables:
            return "skipped: the MMM fit did not pass review, so there are no response curves to optimize"
        rows = con.execute("SELECT channel, type, beta, half_saturation, slope, lam, current_spend "
                           "FROM response_curves").fetchall()
    finally:
        con.close()
    curves = {"channels": {ch: ({"type": t, "beta": b, "half_saturation": k, "slope": sl, "current_spend": cur}
                                if t == "hill" else {"type": t, "beta": b, "lam": lam, "current_spend": cur})
                           for ch, t, b, k, sl, lam, cur in rows}}
    budget = sum(float(r[6] or 0) for r in rows)
    plan = optimize_curves(curves, budget, reserve=0.1)
    ctx.results["optimize"] = plan
    up = plan["expected_kpi"] / plan["current_kpi"] - 1 if plan.get("current_kpi") else float("nan")
    return (f"weekly budget {budget:,.0f} with a 10% test reserve: expected KPI {plan['expected_kpi']:,.0f} "
            f"vs {plan['current_kpi']:,.0f} now ({up:+.1%}), marginal ROI equalised")


STEPS: list[tuple[str, Step]] = [
    ("simulate", _simulate),
    ("init", _init),
    ("ingest", _ingest),
    ("resolve", _resolve),
    ("attribute", _attribute),
    ("clv", _clv),
    ("mmm", _mmm),
    ("optimize", _optimize),
]


def run_demo(out: str | Path, customers: int = 5_000, weeks: int = 104, seed: int = 7,
             say: Callable[[str], None] = print) -> DemoContext:
    """Run every demo step into ``out`` (replaced if it holds an earlier demo)."""
    from rich.progress import Progress

    out = Path(out)
    if out.exists():
        if not (out / "workspace" / "omnimix.toml").exists() and any(out.iterdir()):
            from omnimix.errors import ConfigError

            raise ConfigError(f"{out} exists and is not an omnimix demo directory: choose another --out.")
        shutil.rmtree(out)
    ctx = DemoContext(out=out, customers=customers, weeks=weeks, seed=seed, say=say)
    with Progress(transient=True) as prog:
        task = prog.add_task("omnimix demo", total=len(STEPS))
        for name, step in STEPS:
            prog.update(task, description=f"demo: {name}")
            msg = step(ctx)
            prog.console.print(f"[bold green]✓[/] {name}: {msg}")
            prog.advance(task)
    return ctx
