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


def _project_world(seed: int, lift: float) -> dict[str, Any]:
    """The project's geo simulator (``simulate_geo_panel``: 40 geos × 120 days, 3 treated, 28 test days)
    as the arrays :func:`run_its` reads."""
    from omnimix.simulate.geo import simulate_geo_panel

    df, truth = simulate_geo_panel(n_geos=40, n_days=120, effect=lift, seed=seed, cost=False)
    wide = df.pivot(index="date", columns="geo", values="kpi")
    names = list(wide.columns)
    tr = np.array([names.index(g) for g in truth["treated"]])
    t0 = int(np.flatnonzero(wide.index >= truth["test_start"])[0])
    return {"y": wide.to_numpy().T, "t0": t0, "treated": tr, "att": float(truth["att"])}


def run_its(worlds: int, start: int = 0, record: str | None = None, family: str = "geo",
            trend: bool | None = None) -> None:
    """ITS truth over worlds ``start .. start+worlds-1`` (seeds 5000+i); with ``record``, one JSON line per
    world is appended there and the summary covers every line of the file (so a long run can be split
    over processes: each process's JAX memory grows with the number of fits)."""
    import json
    from pathlib import Path

    from omnimix.experiments.its import ItsConfig, its_fit

    recs: list[dict[str, Any]] = []
    for i in range(start, start + worlds):
        rec: dict[str, Any] = {"world": i}
        for lift, bucket in ((0.05, "effect"), (0.0, "null")):
            w = (geo_world(5000 + i, lift=lift) if family == "geo"  # seeds 1000+ were used to choose level_scale
                 else _project_world(5000 + i, lift))
            y = w["y"]
            tr = w["treated"]
            ctrl = np.setdiff1d(np.arange(y.shape[0]), tr)
            r = its_fit(y[tr].sum(0), y[ctrl].sum(0)[:, None], test_start=w["t0"], n_treated=tr.size,
                        level=0.9, seed=i, config=ItsConfig() if trend is None else ItsConfig(trend=trend))  # fmt: skip
            if bucket == "effect" and w["att"] != 0:
                rec.update(cover=bool(r.att["lo"] <= w["att"] <= r.att["hi"]),
                           err=abs(r.att["mean"] - w["att"]) / w["att"], seconds=r.seconds)  # fmt: skip
            else:
                rec["reject"] = bool(r.p_value < 0.05)  # the 5% test: the 95% interval excludes 0
        recs.append(rec)
        if record:
            with open(record, "a", encoding="utf-8") as f:
                f.write(json.dumps(rec) + "\n")
    if record:
        recs = [json.loads(x) for x in Path(record).read_text(encoding="utf-8").splitlines() if x.strip()]
    cover = [r["cover"] for r in recs]
    rej = [r["reject"] for r in recs]
    err = [r["err"] for r in recs]
    shape = "5 treated, 30 test days" if family == "geo" else "simulate_geo_panel: 3 treated, 28 test days"
    shape += ", local level only" if trend is False else ", local linear trend"
    print(f"ITS/BSTS over {len(recs)} effect worlds + {len(recs)} null worlds (40 geos x 120 days, {shape})")
    print(f"  90% interval covers the true ATT: {np.mean(cover):.3f} ({sum(cover)}/{len(cover)})")
    print(f"  median abs error of ATT: {np.median(err):.3f} of the true ATT")
    print(f"  null worlds, 5% test rejects: {np.mean(rej):.3f} ({sum(rej)}/{len(rej)})")
    print(f"  seconds per fit: median {np.median([r['seconds'] for r in recs]):.2f}")


def run_design(worlds: int, lifts: tuple[float, ...] = (0.004, 0.006, 0.008)) -> None:
    """Predicted power of the search's best set vs the empirical rejection rate of the same rule on the
    world's own future: 365 history days, then a 28-day test read with a 56-day pre-period."""
    from scipy import stats

    from omnimix.experiments.design import power, ratio_estimate, search_designs

    hist, h, pre = 365, 28, 56
    z = stats.norm.ppf(0.975)
    rows: dict[float, list[tuple[float, bool, bool]]] = {lf: [] for lf in lifts}
    secs = []
    for i in range(worlds):
        w = geo_world(9000 + i, days=hist + h, test_days=h, lift=0.0)  # not the 7000+ seeds of the error-model check
        y = w["y"]
        t = time.perf_counter()
        # the ranking does not depend on the lift (power rises with lift·mean T / se): one search
        d = search_designs(y[:, :hist], duration=h, pre_days=pre, lift=lifts[0], min_size=2, max_size=5, top=1)
        secs.append(time.perf_counter() - t)
        best = d.table.iloc[0]
        tr = [int(g) for g in best["geos"]]
        base = best["effect"] / lifts[0]
        for lf in lifts:
            pw = float(power(lf * base, best["se"]))
            fut = y.copy()
            fut[tr, hist:] *= 1 + lf
            est = ratio_estimate(fut, tr, hist, hist + h - 1, pre)
            null = ratio_estimate(y, tr, hist, hist + h - 1, pre)
            rows[lf].append((pw, abs(est) > z * best["se"], abs(null) > z * best["se"]))
        if (i + 1) % 50 == 0:
            print(f"  {i + 1} worlds", flush=True)
    print(f"design search (all 2-5-geo sets of 40, 28-day test, 56-day pre, alpha 0.05) over {worlds} worlds")
    for lf, r in rows.items():
        pw = np.array([x[0] for x in r])
        rej = np.array([x[1] for x in r])
        nul = np.array([x[2] for x in r])
        print(f"  lift {lf:.3f}: predicted power {pw.mean():.3f}, empirical rejection {rej.mean():.3f} "
              f"(diff {100 * (rej.mean() - pw.mean()):+.1f} points, "
              f"se {100 * math.sqrt(rej.mean() * (1 - rej.mean()) / len(r)):.1f}); "
              f"null rejection {nul.mean():.3f}")
    print(f"  search seconds: median {np.median(secs):.2f}")


def run_loop(seeds: list[int], n_tests: int, n_random: int, mode: str) -> None:
    """Planner vs random lift tests in the MMM acceptance world (104 weeks × 8 channels)."""
    from omnimix.simulate.loop import planner_vs_random

    res: dict[str, list[dict[str, float]]] = {"none": [], "planner": [], "random": []}
    for seed in seeds:
        t = time.perf_counter()
        r = planner_vs_random(seed, n_tests=n_tests, n_random=n_random, mode=mode)
        res["none"].append(r["none"])
        res["planner"].append(r["planner"])
        res["random"].extend(r["random"])
        rand = "; ".join(f"{p} err {x['abs_err']:.3f} width {x['width']:.3f}"
                         for p, x in zip(r["random_channels"], r["random"], strict=True))
        print(f"  seed {seed}: planner {r['planner_channels']} err {r['planner']['abs_err']:.3f} width "
              f"{r['planner']['width']:.3f}; random {rand}; none err {r['none']['abs_err']:.3f} width "
              f"{r['none']['width']:.3f}  {time.perf_counter() - t:.0f}s", flush=True)
    print(f"closing the loop: {len(seeds)} acceptance worlds (seeds {seeds}), {n_tests} tests each, MMM mode {mode}, "
          f"{n_random} random choices per world")
    for k, v in res.items():
        errs = [x["abs_err"] for x in v]
        widths = [x["width"] for x in v]
        print(f"  {k:8s}: total-media |error| mean {np.mean(errs):.3f} (median {np.median(errs):.3f}), 90% width "
              f"mean {np.mean(widths):.3f} of truth, covered {sum(x['cover'] for x in v):.0f}/{len(v)}")


def run_ab(worlds: int) -> None:
    """A/B coverage, error and null rejection: revenue (gamma, with a correlated pre-period covariate for
    CUPED) and conversion (Bernoulli); the confidence sequence's time-uniform coverage over 20 looks."""
    from omnimix.experiments.ab import ab_test

    rng = np.random.default_rng(20261202)
    keys = ("rev", "rev_err", "rev_null", "cup", "cup_err", "cup_null", "conv", "conv_err", "conv_null", "seq",
            "seq_null", "vr")
    out: dict[str, list[Any]] = {k: [] for k in keys}
    for _ in range(worlds):
        n = 2000
        pre_c, pre_t = rng.gamma(2.0, 25.0, n), rng.gamma(2.0, 25.0, n)
        eff = 2.0
        yc = 0.7 * pre_c + rng.gamma(2.0, 10.0, n)
        yt = 0.7 * pre_t + rng.gamma(2.0, 10.0, n) + eff
        r = ab_test(yc, yt)
        out["rev"].append(r.diff["lo"] <= eff <= r.diff["hi"])
        out["rev_err"].append(abs(r.diff["mean"] - eff) / eff)
        c = ab_test(yc, yt, covariate_control=pre_c, covariate_treatment=pre_t)
        out["cup"].append(c.diff["lo"] <= eff <= c.diff["hi"])
        out["cup_err"].append(abs(c.diff["mean"] - eff) / eff)
        out["vr"].append(c.variance_reduction)
        y0 = 0.7 * pre_t + rng.gamma(2.0, 10.0, n)
        out["rev_null"].append(ab_test(yc, y0, level=0.95).p_value < 0.05)
        c0 = ab_test(yc, y0, covariate_control=pre_c, covariate_treatment=pre_t, level=0.95)
        out["cup_null"].append(c0.p_value < 0.05)
        cc, ct = (rng.random(5000) < 0.08).astype(float), (rng.random(5000) < 0.09).astype(float)
        k = ab_test(cc, ct, metric="conversion")
        out["conv"].append(k.diff["lo"] <= 0.01 <= k.diff["hi"])
        out["conv_err"].append(abs(k.diff["mean"] - 0.01) / 0.01)
        out["conv_null"].append(ab_test(cc, (rng.random(5000) < 0.08).astype(float), metric="conversion",
                                        level=0.95).p_value < 0.05)  # fmt: skip
        looks = list(range(100, n + 1, 100))
        s = ab_test(yc, yt, looks=looks)
        out["seq"].append(all(x["lo"] <= eff <= x["hi"] for x in s.looks))
        s0 = ab_test(yc, y0, looks=looks, level=0.95)
        out["seq_null"].append(s0.always_valid_p < 0.05)
    print(f"A/B over {worlds} worlds per case (revenue n=2000/arm, effect 2.0; conversion n=5000/arm, 8% -> 9%)")
    for lab, a, b, c in (("revenue", "rev", "rev_err", "rev_null"), ("revenue+CUPED", "cup", "cup_err", "cup_null"),
                         ("conversion", "conv", "conv_err", "conv_null")):  # fmt: skip
        print(f"  {lab:14s}: 90% coverage {np.mean(out[a]):.3f}, median abs error {np.median(out[b]):.3f} of the "
              f"effect, null rejection at 5% {np.mean(out[c]):.3f}")
    print(f"  CUPED variance reduction: median {np.median(out['vr']):.3f}")
    print(f"  always-valid 90% sequence, 20 looks: covers at every look {np.mean(out['seq']):.3f}; "
          f"null rejection at 5% (any look) {np.mean(out['seq_null']):.3f}")


def run_speed() -> None:
    """ITS through analyze() on a 40-geo x 120-day panel (fresh process: compile included) and the design
    search over all 2-5-geo sets of 40."""
    from omnimix.experiments import GeoPanel, analyze
    from omnimix.experiments.design import search_designs
    from omnimix.simulate.geo import simulate_geo_panel

    df, truth = simulate_geo_panel(n_geos=40, n_days=120, seed=7)
    panel = GeoPanel.from_frame(df)
    for k in range(2):
        t = time.perf_counter()
        analyze(panel, "its", truth["treated"], truth["test_start"], truth["test_end"], seed=k)
        print(f"  ITS/BSTS 40 geos x 120 days, call {k + 1}: {time.perf_counter() - t:.1f} s")
    w = geo_world(5, days=365, test_days=28)
    for k in range(2):
        t = time.perf_counter()
        r = search_designs(w["y"], duration=28, pre_days=56, lift=0.01, min_size=2, max_size=5)
        print(f"  design search, {r.evaluated:,} sets (2-5 of 40), {r.settings['windows']} placebo windows, "
              f"call {k + 1}: {time.perf_counter() - t:.1f} s")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=["its", "ab", "design", "speed", "loop"])
    ap.add_argument("--worlds", type=int, default=None)
    ap.add_argument("--seeds", default="100,101")
    ap.add_argument("--lifts", default="0.004,0.006,0.008", help="design: lifts to check")
    ap.add_argument("--family", default="geo", choices=["geo", "project"], help="its: world family")
    ap.add_argument("--start", type=int, default=0, help="its: first world")
    ap.add_argument("--trend", action=argparse.BooleanOptionalAction, default=None,
                    help="its: the local linear trend (default: ItsConfig's, on); --no-trend: local level only")
    ap.add_argument("--record", default=None, help="its: JSON-lines file to append to and summarise")
    ap.add_argument("--tests", type=int, default=2)
    ap.add_argument("--random", type=int, default=2)
    ap.add_argument("--mode", default="map", choices=["map", "nuts"])
    a = ap.parse_args(argv)
    t = time.perf_counter()
    if a.what == "its":
        run_its(a.worlds or 100, a.start, a.record, a.family, a.trend)
    elif a.what == "loop":
        run_loop([int(x) for x in a.seeds.split(",")], a.tests, a.random, a.mode)
    elif a.what == "ab":
        run_ab(a.worlds or 1000)
    elif a.what == "speed":
        run_speed()
    elif a.what == "design":
        run_design(a.worlds or 200, tuple(float(x) for x in a.lifts.split(",")))
    print(f"wall {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
