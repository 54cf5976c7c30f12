"""Acceptance of the lifecycle layer on simulated CRM stage histories (issue #17, "Lifecycle").

Run from the repository root (on a branch checkout add ``PYTHONPATH=src``)::

    python benchmarks/lifecycle.py                       # seeds 0-4, 60,000 CRM persons each
    python benchmarks/lifecycle.py --seeds 0 1 --persons 20000 --out bench-out/lifecycle.json

For each seed: ``simulate_crm`` writes ``crm_stage_history.csv`` and its truth, ``omnimix ingest``
loads it into a fresh workspace, ``lifecycle_report`` runs (``as_of`` = the export time), and the
script prints and checks

1. each stage conversion rate against the simulator's known rate (the parameter; for MQL → SQL the
   mean acceptance probability × the contacted share) and against the realized (uncensored) rate —
   target: every rate within 2 points of the known rate;
2. the SLA breaches as a set of record ids against the simulator's (computed by walking business
   minutes forward) — target: equal;
3. the sales-feedback counts per channel and kind against the simulator's — target: equal; and the
   lead-score calibration: Brier score (raw score / 100, base rate, cross-fitted logistic) and the
   decile table;
4. the mean time in stage against the simulator's mean delay.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd


def run_seed(seed: int, persons: int, tmp: Path) -> dict[str, Any]:
    from omnimix.ingest.workflow import ingest_files
    from omnimix.lifecycle.workflow import lifecycle_report
    from omnimix.simulate.crm import simulate_crm
    from omnimix.workspace import Workspace

    t0 = time.perf_counter()
    sim = tmp / f"sim{seed}"
    simulate_crm(sim, persons=persons, seed=seed)
    truth = json.loads((sim / "truth" / "crm_truth.json").read_text(encoding="utf-8"))
    ws_dir = tmp / f"ws{seed}"
    Workspace.init(ws_dir)
    run = ingest_files(ws_dir, [sim / "crm_stage_history.csv"])
    assert not run.failed, run.to_json()
    t1 = time.perf_counter()
    rep = lifecycle_report(ws_dir, as_of=dt.datetime.fromisoformat(truth["as_of"]))
    t2 = time.perf_counter()
    rates = {}
    for tr in rep.transitions:
        key = f"{tr.from_stage}→{tr.to_stage}"
        rates[key] = {"recovered": tr.rate, "known": truth["rates"][key], "realized": truth["realized"][key]["rate"],
                      "n": tr.mature_entered, "days_mean": tr.days_mean,
                      "true_days_mean": truth["delay_days_mean"][key]}
    want = set(pd.read_csv(sim / "truth" / "crm_breaches.csv", dtype=str)["record_id"])
    got = {b.record_id for b in rep.sla.breaches}
    fb_got = {ch: {k: v for k, v in c.items() if k in ("accepted", "rejected", "recycled") and v}
              for ch, c in rep.feedback.by_channel.items()}
    fb_got = {ch: c for ch, c in fb_got.items() if c}
    rs_got = rep.feedback.reasons
    sc = rep.scoring
    assert sc is not None
    return {"seed": seed, "persons": persons, "rows": int(run.rows_loaded), "rates": rates,
            "max_abs_diff_known": max(abs(r["recovered"] - r["known"]) for r in rates.values()),
            "max_abs_diff_realized": max(abs(r["recovered"] - r["realized"]) for r in rates.values()),
            "breaches": len(got), "true_breaches": len(want), "breaches_equal": got == want,
            "missed": sorted(want - got)[:5], "extra": sorted(got - want)[:5],
            "feedback_equal": fb_got == truth["feedback"] and rs_got == truth["reasons"],
            "feedback_totals": rep.feedback.totals, "brier": sc.brier_model, "brier_raw": sc.brier_raw,
            "brier_base": sc.brier_base, "deciles": sc.deciles, "velocity": rep.velocity.to_json(),
            "seconds": {"simulate_ingest": round(t1 - t0, 1), "report": round(t2 - t1, 1)}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--persons", type=int, default=60_000)
    ap.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = ap.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as d:
        for seed in args.seeds:
            r = run_seed(seed, args.persons, Path(d))
            results.append(r)
            print(f"seed {seed}: {args.persons:,} persons, {r['rows']:,} rows "
                  f"(simulate+ingest {r['seconds']['simulate_ingest']} s, report {r['seconds']['report']} s)")
            print(f"  {'transition':<26} {'recovered':>9} {'known':>7} {'realized':>8} {'n':>7}"
                  f" {'days':>6} {'true d':>6}")
            for k, v in r["rates"].items():
                print(f"  {k:<26} {100 * v['recovered']:>8.2f}% {100 * v['known']:>6.2f}% "
                      f"{100 * v['realized']:>7.2f}% {v['n']:>7,} {v['days_mean']:>6.2f} {v['true_days_mean']:>6.2f}")
            print(f"  max |recovered - known| = {100 * r['max_abs_diff_known']:.2f} points; "
                  f"vs realized {100 * r['max_abs_diff_realized']:.2f} points")
            print(f"  SLA breaches: {r['breaches']:,} found, {r['true_breaches']:,} true, set equal: "
                  f"{r['breaches_equal']}")
            print(f"  feedback counts equal to the simulator's: {r['feedback_equal']} ({r['feedback_totals']})")
            print(f"  Brier: calibrated {r['brier']:.4f}, raw score/100 {r['brier_raw']:.4f}, "
                  f"base rate {r['brier_base']:.4f}")
            print("  decile  n      predicted observed")
            for row in r["deciles"]:
                print(f"  {row['decile']:>6} {row['n']:>6,} {row['predicted']:>9.4f} {row['observed']:>8.4f}")
            sys.stdout.flush()
    ok = all(r["max_abs_diff_known"] <= 0.02 and r["breaches_equal"] and r["feedback_equal"] for r in results)
    worst = max(r["max_abs_diff_known"] for r in results)
    print(f"ALL: {len(results)} seeds; worst |recovered - known| = {100 * worst:.2f} points; breaches equal on "
          f"{sum(r['breaches_equal'] for r in results)}/{len(results)}; feedback equal on "
          f"{sum(r['feedback_equal'] for r in results)}/{len(results)}; {'PASS' if ok else 'FAIL'}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
