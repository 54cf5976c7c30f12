"""Benchmark: monitoring speed, 8 channels × 20 metrics × 2 years of daily data (issue #19: ≤ 30 s).

Run from the repository root (on a branch checkout add ``PYTHONPATH=src``)::

    python benchmarks/monitor.py            # 730 days, 8 channels
    python benchmarks/monitor.py --days 200 # smoke run

It writes one simulated workspace (:func:`omnimix.simulate.anomalies.plant_world`, not timed), then
times ``monitor_workspace`` scoring every day after the first 90 (about 640 days) of the 20 default
metrics for all channels and each of the 8 channels: the warehouse queries of the metrics layer, the
rolling seasonal bands (refitted every 7 days), the scan tests with Benjamini–Hochberg, change
points, data, model and pacing checks. Not every metric has a series per channel (MER and the
cross-channel share are all-channel only), so it also times the detector alone on the full grid of
9 × 20 = 180 clean Poisson series of 730 days. It prints the series counts, days scored and seconds.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from omnimix.monitor import monitor_workspace
from omnimix.monitor.detect import DEFAULT_METRICS, Series, detect
from omnimix.simulate.anomalies import plant_world


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=730)
    ap.add_argument("--channels", type=int, default=8)
    a = ap.parse_args()
    warnings.simplefilter("ignore")
    tmp = Path(tempfile.mkdtemp(prefix="omx-monbench-"))
    t0 = time.perf_counter()
    w = plant_world(tmp / "ws", "kpi_drop", seed=3, days=a.days, channels=a.channels)
    t_sim = time.perf_counter() - t0
    since = date.fromisoformat(w.first_day) + timedelta(days=90)
    t1 = time.perf_counter()
    run = monitor_workspace(w.root, since, record=False)
    t_mon = time.perf_counter() - t1
    # the detector alone on the full grid: 9 series (all channels + 8) x 20 metrics, 730 days
    rng = np.random.default_rng(0)
    keys = [(m, c) for c in [None, *range(a.channels)] for m in DEFAULT_METRICS]
    lam = rng.uniform(20, 5000, (len(keys), 1)) * (1 + 0.2 * np.sin(2 * np.pi * np.arange(a.days) / 7))
    grid = Series([(m, None if c is None else f"ch{c}") for m, c in keys], rng.poisson(lam).astype(float),
                  pd.date_range(w.first_day, periods=a.days))
    t2 = time.perf_counter()
    found, _ = detect(grid, 90)
    t_grid = time.perf_counter() - t2
    out = {"channels": a.channels, "metrics": 20, "days": a.days, "series": run.series,
           "days_scored": (run.end - run.since).days + 1, "alerts": len(run.alerts),
           "simulate_seconds": round(t_sim, 1), "monitor_seconds": round(t_mon, 2),
           "grid_series": len(keys), "grid_detect_seconds": round(t_grid, 2), "grid_alerts": len(found),
           "target_seconds": 30}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
