"""CLV benchmark: omnimix vs lifetimes on CDNOW (same run), a 1M-customer fit, holdout checks.

Run from the repository root::

    PYTHONPATH=src .venv/bin/python benchmarks/clv.py [--repeats 7] [--out bench-out]
        [--orders truth/orders.csv] [--skip-1m] [--pareto-1m]

Prints, for BG/NBD, Pareto/NBD and Gamma-Gamma on the CDNOW summary (2357 customers, weeks), the median
fit time of omnimix and lifetimes over ``--repeats`` runs and their ratio (target <= 1.0); the time to
fit BG/NBD to a simulated 1,000,000-customer summary (target <= 10 s); the 39-week holdout check on the
full CDNOW transaction log (23,570 customers) with a plotly chart written as offline HTML; and, with
``--orders``, the holdout correlation on a simulator order log (target >= 0.6).
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omnimix.clv import bgnbd, paretonbd
from omnimix.clv.bgnbd import BetaGeoModel
from omnimix.clv.gammagamma import GammaGammaModel
from omnimix.clv.paretonbd import ParetoNBDModel
from omnimix.clv.predict import holdout_chart, holdout_check, holdout_from_orders
from omnimix.clv.summary import summarize_transactions


def median_time(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median wall time of ``fn()`` over ``repeats`` runs (after one warm-up), and its last result."""
    out = fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def cdnow_vs_lifetimes(repeats: int) -> None:
    import lifetimes

    ds = resources.files("lifetimes") / "datasets"
    s = pd.read_csv(str(ds / "cdnow_customers_summary.csv"))
    m = pd.read_csv(str(ds / "cdnow_customers_summary_with_transactions.csv"))
    x, t_x, big_t = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    rep = m[m["x"] > 0]
    cases = [
        (
            "BG/NBD",
            lambda: BetaGeoModel().fit(x, t_x, big_t, time_unit="weeks"),
            lambda: lifetimes.BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"]),
        ),
        (
            "Pareto/NBD",
            lambda: ParetoNBDModel().fit(x, t_x, big_t, time_unit="weeks"),
            lambda: lifetimes.ParetoNBDFitter().fit(s["frequency"], s["recency"], s["T"]),
        ),
        (
            "Gamma-Gamma",
            lambda: GammaGammaModel().fit(m["x"], m["zbar"]),
            lambda: lifetimes.GammaGammaFitter().fit(rep["x"], rep["zbar"]),
        ),
    ]
    print(f"CDNOW summary (2357 customers, weeks); median of {repeats} fits")
    print(
        f"{'model':<12} {'omnimix s':>10} {'lifetimes s':>12} {'ratio':>7}  parameters (omnimix | lifetimes)"
    )
    for name, ours_fn, theirs_fn in cases:
        t_ours, ours = median_time(ours_fn, repeats)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_theirs, theirs = median_time(theirs_fn, repeats)
        po = ", ".join(f"{k}={v:.4f}" for k, v in ours.params.items())
        pt = ", ".join(f"{k}={v:.4f}" for k, v in theirs.params_.items())
        print(f"{name:<12} {t_ours:>10.4f} {t_theirs:>12.4f} {t_ours / t_theirs:>7.3f}  {po} | {pt}")
        if name == "BG/NBD":
            print(f"{'':<12} log-likelihood {ours.result.log_likelihood:.4f} (FHL 2005: -9582.4)")


def million(pareto: bool) -> None:
    rng = np.random.default_rng(42)
    truth = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "s": 0.606, "beta": 11.669}
    big_t = rng.uniform(27.0, 39.0, 1_000_000)
    x, t_x, big_t = bgnbd.simulate_summary(truth, big_t, rng)
    t0 = time.perf_counter()
    res = BetaGeoModel().fit(x, t_x, big_t, time_unit="weeks").result
    dt = time.perf_counter() - t0
    print(
        f"\nBG/NBD on a simulated 1,000,000-customer summary: {dt:.2f} s (target <= 10 s); max frequency "
        f"{int(x.max())}; params "
        + ", ".join(f"{k}={v:.4f}" for k, v in res.params.items())
        + " (truth r=0.243, alpha=4.414, a=0.793, b=2.426)"
    )
    if pareto:
        x, t_x, big_t = paretonbd.simulate_summary(truth, big_t, rng)
        t0 = time.perf_counter()
        res = ParetoNBDModel().fit(x, t_x, big_t, time_unit="weeks").result
        dt = time.perf_counter() - t0
        print(
            f"Pareto/NBD on a simulated 1,000,000-customer summary: {dt:.2f} s; params "
            + ", ".join(f"{k}={v:.4f}" for k, v in res.params.items())
            + " (truth r=0.243, alpha=4.414, s=0.606, beta=11.669)"
        )


def cdnow_holdout(out: Path) -> None:
    path = resources.files("lifetimes") / "datasets" / "CDNOW_master.txt"
    tx = pd.read_csv(str(path), sep=r"\s+", dtype={"customer_id": str, "date": str})
    tx["date"] = pd.to_datetime(tx["date"], format="%Y%m%d")
    summ = summarize_transactions(
        tx,
        "customer_id",
        "date",
        "dollar_value",
        "weeks",
        observation_end="1998-06-30",
        calibration_end="1997-09-30",
    )
    model = BetaGeoModel().fit(summ["frequency"], summ["recency"], summ["T"], time_unit="weeks")
    check = holdout_check(summ, model)
    html = holdout_chart(check, out / "clv_holdout_cdnow.html", "CDNOW: 39-week holdout (BG/NBD)")
    print(
        f"\nCDNOW full log ({check['n']} customers), calibration to 1997-09-30, holdout "
        f"{check['duration_holdout']:.1f} weeks: correlation {check['correlation']:.3f}, mean predicted "
        f"{check['mean_predicted']:.3f}, mean actual {check['mean_actual']:.3f}; chart {html}"
    )
    for row in check["by_frequency"]:
        print(
            f"  calibration frequency {row['frequency']!s:>3}: n={row['n']:>6} "
            f"predicted {row['predicted']:.3f} actual {row['actual']:.3f}"
        )


def orders_holdout(path: Path, out: Path) -> None:
    for model in ("bgnbd", "paretonbd"):
        for fraction in (0.25, 0.33):
            check = holdout_from_orders(path, holdout_fraction=fraction, model=model)
            html = holdout_chart(
                check,
                out / f"clv_holdout_orders_{model}_{int(fraction * 100)}.html",
                f"Holdout check ({model}): {path}",
            )
            print(
                f"\n{path} [{model}, last {fraction:.0%} held out]: {check['n']} customers, calibration to "
                f"{check['calibration_end']}: correlation {check['correlation']:.3f} (target >= 0.6), mean "
                f"predicted {check['mean_predicted']:.3f}, mean actual {check['mean_actual']:.3f}; "
                f"chart {html}"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--out", type=Path, default=Path("bench-out"))
    ap.add_argument("--orders", type=Path, default=None, help="simulator truth/orders.csv")
    ap.add_argument("--skip-1m", action="store_true")
    ap.add_argument("--pareto-1m", action="store_true", help="also fit Pareto/NBD to 1M customers")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    cdnow_vs_lifetimes(args.repeats)
    if not args.skip_1m:
        million(args.pareto_1m)
    cdnow_holdout(args.out)
    if args.orders is not None:
        orders_holdout(args.orders, args.out)


if __name__ == "__main__":
    main()
