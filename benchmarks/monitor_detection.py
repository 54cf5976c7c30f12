"""Benchmark: the monitor's alerts on simulated truth (issue #19, acceptance 1).

Run from the repository root (on a branch checkout add ``PYTHONPATH=src``)::

    python benchmarks/monitor_detection.py                 # 13 worlds per planted kind (52), 20 clean, 32 spend cuts
    python benchmarks/monitor_detection.py --per-kind 3 --clean 3 --cuts 2   # smoke run

Each world (:func:`omnimix.simulate.anomalies.plant_world`: 150 days, 4 channels, one anomaly planted
on a random day of the last 28) is monitored with ``monitor_workspace(root, since=window start)``.

* **recall**: the share of plants with at least one alert dated within 3 days of the plant's first day;
* **precision**: the share of the alerts of planted worlds dated within 3 days of their world's plant;
* **clean worlds**: alerts per 10 series-months (a series-month = one monitored series × 30 days);
* **MMM-explained spend cut**: every channel cut to 40% with revenue following the true response
  curves (standing in for a fitted MMM, converted to weekly curves); the count of KPI alerts
  (revenue, conversions, new and converting customers, CAC, ROAS, MER) must be 0.

Seeds are 1000 + world index for the planted and clean worlds, ``--cut-seed`` (2001) on for the
spend cuts, the same for every run.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from datetime import date
from pathlib import Path

from omnimix.monitor import monitor_workspace
from omnimix.monitor.mmm_band import curves_from_daily_truth
from omnimix.simulate.anomalies import plant_world

PLANTED = ("spend_spike", "tracking_break", "kpi_drop", "source_stops")
KPI = {"revenue", "conversions", "new_customers", "converting_customers", "cac", "roas", "mer"}
TOL = 3


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-kind", type=int, default=13)
    ap.add_argument("--clean", type=int, default=20)
    ap.add_argument("--cuts", type=int, default=32)
    ap.add_argument("--cut-seed", type=int, default=2001, help="seed of the first spend-cut world")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="omx-mon-"))
    hits = plants = matched = total = 0
    by_kind: dict[str, list[int]] = {k: [0, 0] for k in PLANTED}
    seed = 1000
    for kind in PLANTED:
        for _ in range(a.per_kind):
            seed += 1
            w = plant_world(tmp / f"w{seed}", kind, seed=seed)
            run = monitor_workspace(w.root, w.window_start, record=False)
            p0 = date.fromisoformat(w.plants[0].start)
            near = [abs((date.fromisoformat(x.date) - p0).days) <= TOL for x in run.alerts]
            plants += 1
            hit = any(near)
            hits += hit
            by_kind[kind][0] += hit
            by_kind[kind][1] += 1
            matched += sum(near)
            total += len(near)
    clean_alerts = series_months = 0
    for _ in range(a.clean):
        seed += 1
        w = plant_world(tmp / f"w{seed}", "clean", seed=seed)
        run = monitor_workspace(w.root, w.window_start, record=False)
        clean_alerts += len(run.alerts)
        series_months += run.series * ((run.end - run.since).days + 1) / 30.0
    cut_kpi = cut_other = 0
    cut_worlds_with_kpi = 0
    for seed in range(a.cut_seed, a.cut_seed + a.cuts):
        w = plant_world(tmp / f"w{seed}", "spend_cut", seed=seed)
        run = monitor_workspace(w.root, w.window_start, record=False, curves=curves_from_daily_truth(w.curves))
        k = sum(x.kind == "anomaly" and x.metric in KPI for x in run.alerts)
        cut_kpi += k
        cut_worlds_with_kpi += k > 0
        cut_other += sum(x.metric not in KPI for x in run.alerts)
    out = {
        "planted_worlds": plants,
        "recall": hits / plants if plants else None,
        "recall_by_kind": {k: v[0] / v[1] for k, v in by_kind.items() if v[1]},
        "precision": matched / total if total else None,
        "alerts_planted": total,
        "clean_worlds": a.clean,
        "clean_alerts": clean_alerts,
        "clean_alerts_per_10_series_months": 10 * clean_alerts / series_months if series_months else None,
        "spend_cut_worlds": a.cuts,
        "spend_cut_seeds": f"{a.cut_seed}-{a.cut_seed + a.cuts - 1}",
        "spend_cut_kpi_alerts": cut_kpi,
        "spend_cut_worlds_with_kpi_alerts": cut_worlds_with_kpi,
        "spend_cut_spend_and_delivery_alerts": cut_other,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    print(json.dumps(out, indent=1))
    if a.json:
        a.json.write_text(json.dumps(out, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
