"""Benchmarks for the Bayesian time series, A/B tests, design search and planner (issue #16).

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/experiments_design.py its [--worlds 100]
    PYTHONPATH=src python benchmarks/experiments_design.py ab [--worlds 1000]
    PYTHONPATH=src python benchmarks/experiments_design.py design [--worlds 400]
    PYTHONPATH=src python benchmarks/experiments_design.py speed
    PYTHONPATH=src python benchmarks/experiments_design.py loop [--seeds 100,101] [--tests 2] [--random 2]

``its``: coverage of the 90% interval of the ATT, median absolute error and the 5% test's rejection
rate on null worlds, over simulated geo panels (40 geos × 120 days, the last 30 days the test, 5 treated
geos; :func:`geo_world`). ``ab``: the same for A/B tests (conversion and revenue, with CUPED) and the
always-valid interval's time-uniform coverage. ``design``: predicted power of the search's best sets vs
the empirical rejection rate on fresh worlds. ``speed``: ITS on the 40 × 120 panel and the design search
over every 2–5-geo set of 40. ``loop``: planner vs random choice of lift tests in the MMM acceptance
world. Each prints its figures; docs/experiments.md records them.
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

import numpy as np

DOW = np.array([0.0, 0.02, 0.03, 0.01, 0.05, 0.15, 0.12])


def geo_world(seed: int, *, geos: int = 40, days: int = 120, test_days: int = 30, treated: int = 5,
              lift: float = 0.05) -> dict[str, Any]:  # fmt: skip
    """A geo × day KPI panel: lognormal geo sizes, a common random-walk factor with a slow cycle, a
    day-of-week pattern, a small geo-specific random walk and 5% day noise; the first ``treated`` geos
    get ``lift`` × their KPI added over the last ``test_days`` days (0: a null world)."""
    rng = np.random.default_rng([seed, 16])
    base = rng.lognormal(5.0, 0.5, geos)
    t = np.arange(days)
    common = np.cumsum(rng.normal(0, 0.01, days)) + 0.1 * np.sin(t / 15 + rng.uniform(0, 6))
    own = np.cumsum(rng.normal(0, 0.002, (geos, days)), axis=1)
    y = base[:, None] * np.exp(common + DOW[t % 7] + own) * (1 + rng.normal(0, 0.05, (geos, days)))
    t0 = days - test_days
    eff = np.zeros_like(y)
    eff[:treated, t0:] = lift * y[:treated, t0:]
    y = y + eff
    return {"y": y, "t0": t0, "treated": np.arange(treated), "att": float(eff[:, t0:].sum() / (treated * test_days))}


def run_its(worlds: int) -> None:
    from omnimix.experiments.its import its_fit

    cover, err, rej, secs = [], [], [], []
    for i in range(worlds):
        for lift, bucket in ((0.05, "effect"), (0.0, "null")):
            w = geo_world(1000 + i, lift=lift)
            y = w["y"]
            tr = w["treated"]
            ctrl = np.setdiff1d(np.arange(y.shape[0]), tr)
            r = its_fit(y[tr].sum(0), y[ctrl].sum(0)[:, None], test_start=w["t0"], n_treated=tr.size,
                        level=0.9, seed=i)  # fmt: skip
            secs.append(r.seconds)
            if bucket == "effect":
                cover.append(r.att["lo"] <= w["att"] <= r.att["hi"])
                err.append(abs(r.att["mean"] - w["att"]) / w["att"])
            else:
                # the 5% test: p < 0.05 (the 95% interval excludes 0)
                rej.append(r.p_value < 0.05)
        if (i + 1) % 20 == 0:
            print(f"  {i + 1} worlds: coverage {np.mean(cover):.3f}  null rejection {np.mean(rej):.3f}", flush=True)
    print(f"ITS/BSTS over {worlds} effect worlds + {worlds} null worlds (40 geos x 120 days, 5 treated, 30 test days)")
    print(f"  90% interval covers the true ATT: {np.mean(cover):.3f} ({sum(cover)}/{len(cover)})")
    print(f"  median abs error of ATT: {np.median(err):.3f} of the true ATT")
    print(f"  null worlds, 5% test rejects: {np.mean(rej):.3f} ({sum(rej)}/{len(rej)})")
    print(f"  seconds per fit: median {np.median(secs):.2f}, first {secs[0]:.2f}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=["its", "ab", "design", "speed", "loop"])
    ap.add_argument("--worlds", type=int, default=None)
    ap.add_argument("--seeds", default="100,101")
    ap.add_argument("--tests", type=int, default=2)
    ap.add_argument("--random", type=int, default=2)
    a = ap.parse_args(argv)
    t = time.perf_counter()
    if a.what == "its":
        run_its(a.worlds or 100)
    print(f"wall {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
