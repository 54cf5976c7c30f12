"""Benchmark: the review's decisions against the simulator's true marginal ROI (issue #19: ≥ 90%).

Run from the repository root (on a branch checkout add ``PYTHONPATH=src``)::

    python benchmarks/review_truth.py                       # 10 worlds, NUTS 2 chains × 300 + 300
    python benchmarks/review_truth.py --seeds 20 --mode map # MAP + Laplace (seconds per fit)

Each seed writes one workspace with :func:`omnimix.simulate.review_world.review_world` (5 channels,
104 weeks, independent spend variation with dark weeks; per world one channel's true marginal ROI is
drawn far above the threshold, one far below, the rest in between), fits the MMM on the warehouse
(``omnimix mmm fit --workspace``'s workflow) and runs ``run_review`` on the last full month. The
truth of a channel is the derivative of its TRUE weekly response curve at the month's spend per week —
the quantity the review estimates from the posterior. A channel is *far above* when its true marginal
ROI is at least ``--far`` × the threshold, *far below* when at most threshold / ``--far``.

Printed: per world the fit's verdict and every channel's decision, true and estimated marginal ROI;
then the agreement (far above → ``scale``, far below → ``cut``) over all worlds, the share of spending
channels with a decision and a reason, the decision counts, and the seconds per world. No world is
dropped: a fit that fails review makes its channels ``test``, which counts as disagreement.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from pathlib import Path

from omnimix.mmm.workflow import FitSpec, fit_workspace
from omnimix.review import run_review
from omnimix.review.posterior import view_of
from omnimix.simulate.review_world import review_world


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--mode", choices=("nuts", "map"), default="nuts")
    ap.add_argument("--chains", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--far", type=float, default=2.0)
    ap.add_argument("--channels", type=int, default=5)
    ap.add_argument("--json", action="store_true", help="print one JSON document at the end")
    a = ap.parse_args()
    warnings.simplefilter("ignore")
    rows = []
    per_world = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(a.first_seed, a.first_seed + a.seeds):
            t0 = time.perf_counter()
            root = Path(tmp) / f"w{seed}"
            world = review_world(root, seed=seed, channels=a.channels)
            tau = world.threshold
            spec = FitSpec(mode=a.mode, kpi_type="revenue", chains=a.chains, warmup=a.warmup, draws=a.samples,
                           seed=seed, chain_method="vectorized")
            fit = fit_workspace(root, spec)
            rv = run_review(root, record=False, model=view_of(fit.fit, root / "mmm" / "latest"))
            weekly = {d.channel: d.weekly_spend for d in rv.decisions}
            true = world.true_mroi(weekly)
            secs = time.perf_counter() - t0
            per_world.append({"seed": seed, "passed": fit.passed, "period": rv.period.label, "seconds": secs})
            print(f"seed {seed}: fit {'passed' if fit.passed else 'FAILED'} ({a.mode}), period {rv.period.label}, "
                  f"{secs:.0f} s")
            for d in rv.decisions:
                t = true[d.channel]
                far = "above" if t >= a.far * tau else "below" if t <= tau / a.far else "near"
                m = d.mroi or {}
                rows.append({"seed": seed, "channel": d.channel, "true": t, "far": far, "decision": d.decision,
                             "basis": d.basis, "mroi": m,
                             "has_reason": bool(d.reason("en")) and bool(d.reason("zh-CN")),
                             "identification": d.identification})
                est = f"{m['mean']:.2f} [{m['lo']:.2f}, {m['hi']:.2f}]" if m else "—"
                print(f"  {d.channel:12s} true {t:5.2f} ({far:5s})  est {est:22s} → {d.decision:5s} ({d.basis})")
    above = [r for r in rows if r["far"] == "above"]
    below = [r for r in rows if r["far"] == "below"]
    ok_a = sum(r["decision"] == "scale" for r in above)
    ok_b = sum(r["decision"] == "cut" for r in below)
    far = len(above) + len(below)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["decision"]] = counts.get(r["decision"], 0) + 1
    near_wrong = sum(1 for r in rows if r["far"] == "near" and (
        (r["decision"] == "scale" and r["true"] < tau) or (r["decision"] == "cut" and r["true"] > tau)))
    secs = sorted(w["seconds"] for w in per_world)
    doc = {
        "worlds": len(per_world), "mode": a.mode, "fits_passed": sum(w["passed"] for w in per_world),
        "channels": len(rows), "with_decision_and_reason": sum(r["has_reason"] for r in rows),
        "far_above": len(above), "far_above_scale": ok_a, "far_below": len(below), "far_below_cut": ok_b,
        "agreement_far": (ok_a + ok_b) / far if far else None,
        "agreement_above": ok_a / len(above) if above else None,
        "agreement_below": ok_b / len(below) if below else None,
        "near_wrong_side": near_wrong, "decisions": counts,
        "seconds_median": secs[len(secs) // 2] if secs else None,
    }
    print()
    print(f"worlds {doc['worlds']} ({a.mode}; fits passed review: {doc['fits_passed']}), spending channels "
          f"{doc['channels']}, with a decision and a reason (en and zh-CN): {doc['with_decision_and_reason']}")
    print(f"far above (true mROI ≥ {a.far:g}× threshold) → scale: {ok_a}/{len(above)}")
    print(f"far below (true mROI ≤ threshold/{a.far:g}) → cut:   {ok_b}/{len(below)}")
    if far:
        print(f"agreement on far channels: {(ok_a + ok_b) / far:.1%} (target ≥ 90%)")
    print(f"near channels decided on the wrong side of the threshold (scale below it / cut above it): {near_wrong}")
    print(f"decisions: {counts}; median seconds per world (fit + review, 2 shared cores): {doc['seconds_median']:.0f}")
    if a.json:
        print(json.dumps(doc))


if __name__ == "__main__":
    main()
