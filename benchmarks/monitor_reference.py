"""Benchmark: the monitor's detector on a labelled anomaly benchmark generated to a published
description (issue #19, acceptance 2).

Run from the repository root (on a branch checkout add ``PYTHONPATH=src``)::

    python benchmarks/monitor_reference.py             # 100 series x 1680 points, seed 0
    python benchmarks/monitor_reference.py --seeds 3   # three independent draws of the benchmark

No labelled anomaly benchmark ships inside a PyPI wheel that could be found from the package lists
here (tsad, darts, orion, timeeval download their data at run time, which this machine cannot), so the
series are generated to the published description of Yahoo Webscope S5's synthetic **A3 benchmark**:
100 series of 1 680 hourly points, each the sum of a trend, noise and up to three seasonal components,
with outliers inserted at random positions (labelled). Here: a positive level (the detector works on
a log scale), a linear trend, daily (24 h), half-daily (12 h) and weekly (168 h) seasonality with random
amplitudes and phases, Gaussian noise, and 3–6 outliers per series of ±(4–10) noise standard
deviations at random positions after the first two weeks. This is not the Yahoo data itself.

Detector: :func:`omnimix.monitor.forecast.rolling_bands` with ``period=24`` (the daily cycle; the
weekly one is not modelled), ``train=336`` (two weeks), refitted every 24 points, then
:func:`omnimix.monitor.detect.scan_flags` with single-point tests only and Benjamini–Hochberg at
q = 0.01 across all 100 series together. The p-values' tail is the monitor's default: Student-t
degrees of freedom fitted on each block's training residuals with past anomalies set aside, pooled
partially over the 100 series (one family, as the Benjamini–Hochberg run); ``--tail-df D`` fixes it
instead (``--tail-df 6``: the old fixed default, ``--tail-df 1e9``: the normal). Nothing is tuned to
the benchmark: the same settings as the monitor's, the seeds are 0, 1, 2 ….

Scoring (the usual point-adjusted rule with a tolerance): an outlier is found when a flagged point lies
within ±3 points of it; precision is the share of flagged points within ±3 points of an outlier;
F1 = 2PR/(P+R). Points of the two training weeks are not scored.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from omnimix.monitor.detect import scan_flags
from omnimix.monitor.forecast import rolling_bands

N_SERIES, LENGTH, TRAIN, TOL = 100, 1680, 336, 3


def a3_like(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = np.arange(LENGTH)
    y = np.empty((N_SERIES, LENGTH))
    lab = np.zeros((N_SERIES, LENGTH), dtype=bool)
    for i in range(N_SERIES):
        level = rng.uniform(500, 5000)
        noise_sd = level * rng.uniform(0.01, 0.04)
        season = sum(level * rng.uniform(0.0, 0.15) * np.sin(2 * np.pi * t / p + rng.uniform(0, 2 * np.pi))
                     for p in (24, 12, 168) if rng.random() < 0.85)
        trend = level * rng.uniform(-0.2, 0.3) * t / LENGTH
        y[i] = level + trend + season + rng.normal(0, noise_sd, LENGTH)
        k = int(rng.integers(3, 7))
        pos = rng.choice(np.arange(TRAIN + 1, LENGTH), k, replace=False)
        y[i, pos] += rng.choice([-1, 1], k) * rng.uniform(4, 10, k) * noise_sd
        lab[i, pos] = True
    return np.maximum(y, 0.0), lab


def score(flag: np.ndarray, lab: np.ndarray) -> dict[str, float]:
    found = total = near = flagged = 0
    for i in range(lab.shape[0]):
        fl = np.nonzero(flag[i])[0]
        tr = np.nonzero(lab[i])[0]
        total += len(tr)
        found += sum(bool(len(fl)) and np.min(np.abs(fl - x)) <= TOL for x in tr)
        flagged += len(fl)
        near += sum(bool(len(tr)) and np.min(np.abs(tr - x)) <= TOL for x in fl)
    p = near / flagged if flagged else 0.0
    r = found / total if total else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "outliers": total, "flagged": flagged}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--tail-df", type=float, default=0.0,
                    help="fixed Student-t degrees of freedom of the p-values (0: fitted, the monitor's default)")
    a = ap.parse_args()
    rows = []
    t0 = time.perf_counter()
    for seed in range(a.seeds):
        y, lab = a3_like(seed)
        b = rolling_bands(y, TRAIN, train=TRAIN, step=24, period=24, tail_df=a.tail_df,
                          tail_groups=["a3"] * len(y))
        flag = scan_flags(b, TRAIN, 0.01, lengths=(1,))
        rows.append({"seed": seed, **score(flag, lab)})
    out = {"benchmark": "Yahoo S5 A3-style (generated to the published description)",
           "tail": a.tail_df or "fitted", "per_seed": rows,
           "precision_mean": float(np.mean([r["precision"] for r in rows])),
           "recall_mean": float(np.mean([r["recall"] for r in rows])),
           "f1_mean": float(np.mean([r["f1"] for r in rows])), "seconds": round(time.perf_counter() - t0, 1)}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
