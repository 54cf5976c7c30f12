"""Benchmark: geo-experiment methods on simulated worlds with known effects, and their speed.

Run from the repository root (on a branch checkout add ``PYTHONPATH=src``)::

    python benchmarks/experiments.py                 # 100 effect worlds + 100 null worlds, all methods
    python benchmarks/experiments.py --worlds 10     # a smoke run
    python benchmarks/experiments.py --speed-only

What it measures:

1. Truth (issue #16): per method, on ``--worlds`` simulated 40-geo × 120-day panels (2–5 treated geos,
   a 28-day test, effect 2–10%; :mod:`omnimix.simulate.geo_check`), the share of worlds whose 90%
   interval covers the true ATT (target 85–95%) and the median absolute error of the ATT; on as many
   null worlds (effect 0), the share rejected by the 5% test (target <= 6%).
2. The same for TBR on worlds without geo-specific trends (``trends=0``) and also without the regional
   shock (``regional=0``), with its default (iid) inference and with ``inference="ar1"`` (AR(1) + noise
   errors by REML): TBR's iid interval assumes independent errors, which these worlds break.
3. Speed: a 40-geo × 120-day panel read by each method, median of ``--repeats`` runs (target <= 2 s
   for synthetic control, TBR and DiD).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

METHODS = ["synthetic_control", "synthetic_control:conformal", "augmented_synthetic_control", "tbr", "tbr:ar1",
           "did", "did:cluster", "sdid"]


def speed(repeats: int) -> dict[str, float]:
    from omnimix.experiments import GeoPanel, analyze
    from omnimix.simulate.geo import simulate_geo_panel

    frame, truth = simulate_geo_panel(n_geos=40, n_days=120, seed=123)
    panel = GeoPanel.from_frame(frame, cost_col="cost")
    out = {}
    for m in METHODS:
        name, _, inf = m.partition(":")
        analyze(panel, name, truth["treated"], truth["test_start"], truth["test_end"], inference=inf or None)
        ts = []
        for _ in range(repeats):
            t = time.perf_counter()
            analyze(panel, name, truth["treated"], truth["test_start"], truth["test_end"], inference=inf or None)
            ts.append(time.perf_counter() - t)
        out[m] = statistics.median(ts)
        print(f"speed {m:<30} median {out[m]:.3f} s over {repeats} runs (40 geos × 120 days, with cost)")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--worlds", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--speed-only", action="store_true")
    ap.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = ap.parse_args()
    from omnimix.simulate.geo_check import recovery

    doc: dict[str, object] = {"speed_seconds": speed(args.repeats)}
    if not args.speed_only:
        def say(m: str) -> None:
            print("  …", m, file=sys.stderr)

        t0 = time.perf_counter()
        eff = recovery(args.worlds, METHODS, seed=args.seed, progress=say)
        null = recovery(args.worlds, METHODS, null=True, seed=args.seed + 100_000, progress=say)
        rows = []
        for m in METHODS:
            e, n = eff[m].to_json(), null[m].to_json()
            rows.append({"method": m, "coverage": e["coverage"], "median_abs_error": e["median_abs_error"],
                         "median_rel_error": e["median_rel_error"], "power": e["rejection_rate"],
                         "null_coverage": n["coverage"], "null_rejection_5pct": n["rejection_rate"]})
        for regional, trends in ((1.0, 0.0), (0.0, 0.0)):
            tb = ["tbr", "tbr:ar1"]
            es = recovery(args.worlds, tb, seed=args.seed, regional=regional, trends=trends)
            ns = recovery(args.worlds, tb, null=True, seed=args.seed + 100_000, regional=regional, trends=trends)
            for m in tb:
                e, n = es[m].to_json(), ns[m].to_json()
                rows.append({"method": f"{m} (regional={regional:g}, trends={trends:g})",
                             "coverage": e["coverage"], "median_abs_error": e["median_abs_error"],
                             "median_rel_error": e["median_rel_error"], "power": e["rejection_rate"],
                             "null_coverage": n["coverage"], "null_rejection_5pct": n["rejection_rate"]})
        print(f"\ntruth: {args.worlds} effect worlds + {args.worlds} null worlds, seed {args.seed} "
              f"({time.perf_counter() - t0:.0f} s)")
        print(f"{'method':<36} {'cover90':>8} {'MAE':>8} {'relMAE':>7} {'power':>6} {'null cov':>8} {'size5%':>7}")
        for r in rows:
            print(f"{r['method']:<36} {r['coverage']:>8.1%} {r['median_abs_error']:>8.2f} "
                  f"{r['median_rel_error']:>7.1%} {r['power']:>6.1%} {r['null_coverage']:>8.1%} "
                  f"{r['null_rejection_5pct']:>7.1%}")
        doc["truth"] = rows
        doc["worlds"] = args.worlds
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(doc, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
