"""``omnimix demo``: the whole loop on a synthetic company, end to end, in one process.

simulate → init → ingest, then every later stage (identity, journeys, attribution, CLV, MMM,
optimizer) on the same workspace through the library's workflows (``omnimix.<area>.workflow``; no
child process), with progress and a summary of what was written.
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
    from omnimix.ingest.workflow import ingest_files

    files = sorted(p for p in ctx.data_dir.iterdir() if p.is_file())
    run = ingest_files(ctx.workspace, files)
    ctx.results["ingest"] = {"rows_in": run.rows_in, "rows_loaded": run.rows_loaded,
                             "rows_quarantined": run.rows_quarantined}
    return (f"{len(files)} files: {run.rows_in:,} rows in, {run.rows_loaded:,} loaded, "
            f"{run.rows_quarantined:,} quarantined")


def _resolve(ctx: DemoContext) -> str:
    from omnimix.identity.workflow import evaluate_identities
    from omnimix.journeys.workflow import resolve_workspace

    run = resolve_workspace(ctx.workspace)
    r, j = run.identity, run.journeys
    score = evaluate_identities(ctx.workspace, ctx.data_dir / "truth" / "identities.csv")
    ctx.results["resolve"] = {**run.to_json(), "accuracy": score.to_json()}
    return (f"{r.customers:,} customers ({r.probabilistic_edges:,} Splink links, {r.edges_cut:,} unsafe edges cut); "
            f"precision {score.precision:.4f}, recall {score.recall:.4f} vs truth; {j.distinct_paths:,} paths")


def _attribute(ctx: DemoContext) -> str:
    from omnimix.attribution.workflow import attribute_workspace

    out = ctx.out / "attribution.html"
    run = attribute_workspace(ctx.workspace, "all", chart=out)
    ctx.results["attribution"] = {r.model: dict(zip(r.channels, map(float, r.conversions), strict=True))
                                  for r in run.results}
    table = run.table
    top = (table["markov_conversions"].sort_values(ascending=False).index[:3]
           if table is not None and "markov_conversions" in table else [])
    return f"{len(run.results)} models side by side (top by Markov: {', '.join(map(str, top))}); chart {out}"


def _clv(ctx: DemoContext) -> str:
    from omnimix.clv.workflow import cac_workspace, predict_workspace, segments_workspace

    seg = segments_workspace(ctx.workspace, save=True).to_json()
    cac = cac_workspace(ctx.workspace).to_json()
    pred = predict_workspace(ctx.workspace, 52, time_unit="weeks", save=True).to_json()
    ctx.results["clv"] = {"segments": seg, "cac": cac, "predict": pred}
    n_seg = len(seg.get("segments", seg.get("personas", [])))
    return (f"RFM segments saved ({n_seg} segments, persona cards); CLV for {pred['n_customers']:,} customers "
            f"(BG/NBD + Gamma-Gamma); CAC and LTV:CAC by channel and cohort")


def _mmm(ctx: DemoContext) -> str:
    from omnimix.mmm.workflow import FitSpec, fit_workspace

    doc = fit_workspace(ctx.workspace, FitSpec(seed=ctx.seed)).to_json()
    ctx.results["mmm"] = doc
    d = doc["diagnostics"]
    verdict = "passed review" if d["passed"] else "FAILED review: " + "; ".join(d["reasons"])
    return (f"Bayesian MMM (NUTS) on {len(doc['channels'])} channels: R-hat {d['rhat_max']:.3f}, "
            f"min ESS {d['ess_bulk_min']:.0f}, {d['divergences']} divergences — {verdict}; "
            f"report {doc['saved_to']}/report.html")


def _optimize(ctx: DemoContext) -> str:
    from omnimix.errors import ConvergenceError, NotFittedError
    from omnimix.optimize.workflow import load_workspace_curves, optimize_workspace

    try:
        curves = load_workspace_curves(ctx.workspace)
    except (ConvergenceError, NotFittedError):
        return "skipped: the MMM fit did not pass review, so there are no response curves to optimize"
    budget = float(curves.current_spend.sum())
    plan = optimize_workspace(ctx.workspace, budget, reserve=0.1).to_json()
    ctx.results["optimize"] = plan
    up = plan["expected_kpi"] / plan["current_kpi"] - 1 if plan.get("current_kpi") else float("nan")
    lo, hi = plan["kpi_interval_90"]
    acts = [r["action"] for r in plan.get("recommendation", {}).values()]
    return (f"weekly budget {budget:,.0f} with a 10% test reserve, each channel within ±30% of today: "
            f"expected KPI {plan['expected_kpi']:,.0f} [{lo:,.0f}, {hi:,.0f}] vs {plan['current_kpi']:,.0f} now "
            f"({up:+.1%}); {acts.count('scale')} scale, {acts.count('hold')} hold, {acts.count('cut')} cut")


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
