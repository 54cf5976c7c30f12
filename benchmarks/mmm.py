"""omnimix MMM vs PyMC-Marketing 0.19.2 on the same data, each fitted as a whole fresh process.

Datasets:
  * ``pymc179``: 179 weeks x 2 channels (x1, x2) + 3 controls (event_1, event_2, t), generated here
    in the shape of PyMC-Marketing's example (its wheel ships no data): geometric adstock
    (alpha 0.4, 0.2), logistic saturation (lam 4, 3 on max-scaled spend), trend, yearly seasonality.
  * ``world104``: ``omnimix.simulate.simulate_media`` 104 weeks x 8 channels (seed 0), with
    price_index, promo and the retail event flags as controls; no lift tests (both tools uncalibrated).

Both tools fit geometric adstock (l_max 8) + logistic saturation, yearly Fourier order 2, with their
default NUTS samplers (omnimix: 4 chains x 1000 + 1000; PyMC-Marketing: its defaults). Each
(tool, dataset) pair runs once as a warm-up process (compile caches warm), then ``--repeats`` timed
processes; the median wall time of the whole process is reported, with min bulk ESS, max R-hat and the
ROI error (mean |ROI_est - ROI_true| / ROI_true over channels). Also timed: omnimix MAP on world104.

Usage: PYTHONPATH=src python benchmarks/mmm.py [--repeats N] [--skip-pymc] [--datasets pymc179,world104]
       PYTHONPATH=src python benchmarks/mmm.py --recovery [--seeds 0,1,2] [--mode nuts|map]
         (acceptance: true ROI inside the 90% interval, total media error, calibration effect;
          each world is also fitted by the known-curve oracle of omnimix.simulate.oracle, which is
          told every true response curve: the ceiling of what the data identify)
       PYTHONPATH=src python benchmarks/mmm.py --sbc N [--sbc-kind prior|varied|accept] [--sbc-report]
         (recovery over many worlds: simulation-based calibration, coverage, the acceptance world with
          its lift-test programme; see benchmarks/mmm_sbc.py — resumable, results in bench-out/sbc/)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve()


# -- data ---------------------------------------------------------------------------------------
def _geom(x: np.ndarray, alpha: float, l_max: int = 8) -> np.ndarray:
    w = alpha ** np.arange(l_max)
    w = w / w.sum()
    out = np.zeros_like(x)
    for lag in range(l_max):
        out[lag:] += w[lag] * x[: len(x) - lag]
    return out


def _logistic(x: np.ndarray, lam: float) -> np.ndarray:
    return (1 - np.exp(-lam * x)) / (1 + np.exp(-lam * x))


def make_pymc179(seed: int = 42) -> tuple[pd.DataFrame, dict[str, float]]:
    """A 179-week, 2-channel, 3-control set shaped like PyMC-Marketing's example, with true ROIs."""
    rng = np.random.default_rng(seed)
    n = 179
    dates = pd.date_range("2018-04-02", periods=n, freq="W-MON")
    x1 = rng.uniform(0, 1, n)
    x1 = np.where(x1 > 0.9, x1, x1 / 2)
    x2 = rng.uniform(0, 1, n)
    x2 = np.where(x2 > 0.8, x2, 0.0)
    spend1, spend2 = x1 * 10_000, x2 * 10_000  # CNY-like units
    s1 = 3.0 * _logistic(_geom(x1 / x1.max(), 0.4), 4.0)
    s2 = 2.0 * _logistic(_geom(x2 / x2.max(), 0.2), 3.0)
    t = np.arange(n)
    trend = (np.linspace(0, 1, n) + 1) ** 0.5 - 1
    doy = dates.day_of_year.to_numpy()
    season = 0.5 * (np.sin(2 * np.pi * doy / 365.25) + np.cos(4 * np.pi * doy / 365.25) / 2)
    event_1 = (dates == "2019-05-13").astype(float)
    event_2 = (dates == "2020-09-14").astype(float)
    base = 2.0 + trend + season + 1.5 * event_1 - 1.0 * event_2
    y = (base + s1 + s2 + rng.normal(0, 0.25, n)) * 5_000
    df = pd.DataFrame(
        {
            "date_week": dates,
            "y": y,
            "x1": spend1,
            "x2": spend2,
            "event_1": event_1,
            "event_2": event_2,
            "t": t,
        }
    )
    truth = {"x1": float((s1 * 5_000).sum() / spend1.sum()), "x2": float((s2 * 5_000).sum() / spend2.sum())}
    return df, truth


def make_world104() -> tuple[pd.DataFrame, dict[str, float], list[str], list[str]]:
    from omnimix.simulate.media import simulate_media

    w = simulate_media(weeks=104, seed=0)
    chans = w.channels
    df = pd.DataFrame({"date_week": pd.to_datetime(w.weekly["week"]), "y": w.weekly["kpi"]})
    for c in chans:
        df[c] = w.weekly[f"spend_{c}"]
    controls = [
        "price_index",
        "promo",
        "event_cny",
        "event_cny_after",
        "event_618",
        "event_double11",
        "event_double12",
    ]
    for c in controls:
        df[c] = w.weekly[c].astype(float)
    df["t"] = np.arange(len(df))
    truth = {c: float(w.truth["channels"][c]["roi"]) for c in chans}
    return df, truth, chans, controls


# -- workers (run in fresh processes) -----------------------------------------------------------
def worker_omnimix(csv: str, spec: dict) -> dict:
    from omnimix.mmm.data import load_csv
    from omnimix.mmm.model import MMM, MMMConfig

    t0 = time.perf_counter()
    data = load_csv(
        csv, date_col="date_week", kpi_col="y", channels=spec["channels"], controls=spec["omnimix_controls"]
    )
    cfg = MMMConfig(
        adstock="geometric",
        l_max=8,
        saturation="logistic",
        fourier_order=2,
        events=spec["events"],
        ar_errors=False,
        chains=4,
        warmup=1000,
        samples=1000,
    )
    fit = MMM(cfg).fit(data, mode=spec.get("mode", "nuts"), seed=1)
    roi = fit.roi_draws().mean(axis=0)
    d = fit.diagnostics
    return {
        "fit_seconds": time.perf_counter() - t0,
        "inference_seconds": fit.result.seconds,
        "ess_bulk_min": d.ess_bulk_min,
        "rhat_max": d.rhat_max,
        "divergences": d.divergences,
        "roi": {c: float(r) for c, r in zip(fit.channels, roi, strict=True)},
        "chain_method": fit.result.info.get("chain_method"),
    }


def worker_pymc(csv: str, spec: dict) -> dict:
    import arviz as az
    import pytensor
    from pymc_marketing.mmm import MMM, GeometricAdstock, LogisticSaturation

    t0 = time.perf_counter()
    df = pd.read_csv(csv, parse_dates=["date_week"])
    mmm = MMM(
        adstock=GeometricAdstock(l_max=8),
        saturation=LogisticSaturation(),
        date_column="date_week",
        channel_columns=spec["channels"],
        control_columns=spec["pymc_controls"],
        yearly_seasonality=2,
    )
    x = df.drop(columns=["y"])
    mmm.fit(x, df["y"], random_seed=1, progressbar=False)
    contrib = mmm.compute_channel_contribution_original_scale()  # (chain, draw, date, channel)
    tot = contrib.sum(dim="date")
    spend = df[spec["channels"]].sum().to_numpy()
    roi = (tot.mean(dim=("chain", "draw")).to_numpy()) / spend
    free = [rv.name for rv in mmm.model.free_RVs]
    post = mmm.idata.posterior[free]
    ess = az.ess(post, method="bulk")
    rh = az.rhat(post)
    div = int(mmm.idata.sample_stats["diverging"].sum())
    return {
        "fit_seconds": time.perf_counter() - t0,
        "ess_bulk_min": float(min(float(ess[v].min()) for v in ess.data_vars)),
        "rhat_max": float(max(float(rh[v].max()) for v in rh.data_vars)),
        "divergences": div,
        "roi": {c: float(r) for c, r in zip(spec["channels"], roi, strict=True)},
        "chains": int(mmm.idata.posterior.sizes["chain"]),
        "draws": int(mmm.idata.posterior.sizes["draw"]),
        "blas": str(pytensor.config.blas__ldflags) or "none",
    }


def _run_process(tool: str, csv: str, spec: dict, env: dict[str, str]) -> tuple[float, dict]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        out = f.name
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(HERE), "--worker", tool, "--csv", csv, "--spec", json.dumps(spec), "--out", out],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{tool} worker failed:\n{proc.stderr[-4000:]}")
    return wall, json.loads(Path(out).read_text())


def _roi_error(est: dict[str, float], truth: dict[str, float]) -> float:
    return float(np.mean([abs(est[c] - truth[c]) / truth[c] for c in truth]))


def recovery(seeds: list[int], mode: str) -> None:
    """Acceptance: recovery of the simulated truth (calibrated with the world's lift test) and the
    calibration effect on the confounded channel."""
    from omnimix.mmm.model import MMM
    from omnimix.simulate.media import simulate_media
    from omnimix.simulate.oracle import known_curve_fit
    from omnimix.simulate.truth import compare_to_truth, from_world

    hits = pairs = o_hits = 0
    errors, o_errors = [], []
    for seed in seeds:
        w = simulate_media(weeks=104, seed=seed)
        oracle = known_curve_fit(w)
        t0 = time.perf_counter()
        fit = MMM().fit(from_world(w), mode=mode, seed=seed)
        secs = time.perf_counter() - t0
        score = compare_to_truth(fit, w.truth)
        d = fit.diagnostics
        print(
            f"seed {seed}: {secs:.1f}s  media total error {score['media_total_error']:+.3f}  "
            f"coverage {score['coverage']:.3f}  R-hat {d.rhat_max}  ESS {d.ess_bulk_min}  "
            f"divergences {d.divergences}  passed {d.passed}",
            flush=True,
        )
        print(
            f"    known-curve oracle (calibrated GLS): media total error {oracle['media_total_error']:+.3f}  "
            f"coverage {oracle['coverage']:.3f}"
        )
        errors.append(score["media_total_error"])
        o_errors.append(oracle["media_total_error"])
        for c, v in score["channels"].items():
            o = oracle["channels"][c]
            hits += v["covered"]
            o_hits += o["covered"]
            pairs += 1
            print(
                f"    {c:12s} true {v['true_roi']:.2f}  est {v['roi']:.2f} [{v['lo']:.2f}, {v['hi']:.2f}]"
                + ("      " if v["covered"] else "  MISS")
                + f"  oracle {o['roi']:.2f} [{o['lo']:.2f}, {o['hi']:.2f}]"
                + ("" if o["covered"] else "  MISS")
            )
        naive = compare_to_truth(MMM().fit(from_world(w, calibrate=False), mode=mode, seed=seed), w.truth)
        ch = w.truth["confounded"]
        print(
            f"    calibration on {ch}: ROI error {naive['channels'][ch]['rel_error']:.3f} (no lift test) -> "
            f"{score['channels'][ch]['rel_error']:.3f} (with lift test)",
            flush=True,
        )
    print(f"coverage {hits}/{pairs} = {hits / pairs:.3f} (target >= 0.9)")
    print("media total error " + " / ".join(f"{e:+.3f}" for e in errors) + " (target |e| <= 0.10)")
    print(
        f"known-curve oracle: coverage {o_hits}/{pairs} = {o_hits / pairs:.3f}, media total error "
        + " / ".join(f"{e:+.3f}" for e in o_errors)
    )


def main() -> None:
    if any(a.startswith("--sbc") for a in sys.argv[1:]):
        sys.path.insert(0, str(HERE.parent))
        import mmm_sbc

        mmm_sbc.main(sys.argv[1:])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker")
    ap.add_argument("--csv")
    ap.add_argument("--spec")
    ap.add_argument("--out")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--skip-pymc", action="store_true")
    ap.add_argument("--datasets", default="pymc179,world104")
    ap.add_argument("--no-map", action="store_true", help="skip the MAP timing")
    ap.add_argument("--recovery", action="store_true", help="run the recovery/calibration acceptance instead")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--mode", default="nuts")
    args = ap.parse_args()
    if args.recovery:
        recovery([int(x) for x in args.seeds.split(",")], args.mode)
        return
    if args.worker:
        spec = json.loads(args.spec)
        fn = worker_omnimix if args.worker == "omnimix" else worker_pymc
        Path(args.out).write_text(json.dumps(fn(args.csv, spec)))
        return

    tmp = Path(tempfile.mkdtemp(prefix="omnimix-bench-"))
    env = dict(os.environ)
    src = str(HERE.parent.parent / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    env_omni = dict(env)
    env_omni["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=4").strip()
    sets = {}
    df, truth = make_pymc179()
    sets["pymc179"] = (
        df,
        truth,
        {
            "channels": ["x1", "x2"],
            "omnimix_controls": ["event_1", "event_2"],
            "pymc_controls": ["event_1", "event_2", "t"],
            "events": False,
        },
    )
    wdf, wtruth, chans, controls = make_world104()
    sets["world104"] = (
        wdf,
        wtruth,
        {
            "channels": chans,
            "omnimix_controls": ["price_index", "promo"],
            "pymc_controls": [*controls, "t"],
            "events": True,
        },
    )
    print(
        f"machine: {os.cpu_count()} CPUs; repeats={args.repeats}; timings are whole fresh processes "
        "after one warm-up process"
    )
    rows = []
    for name in args.datasets.split(","):
        data, tr, spec = sets[name]
        csv = tmp / f"{name}.csv"
        data.to_csv(csv, index=False)
        res = {}
        tools = ["omnimix"] if args.skip_pymc else ["omnimix", "pymc"]
        for tool in tools:
            e = env_omni if tool == "omnimix" else env
            _run_process(tool, str(csv), spec, e)  # warm-up
            walls, outs = [], []
            for _ in range(args.repeats):
                w, o = _run_process(tool, str(csv), spec, e)
                walls.append(w)
                outs.append(o)
            o = outs[-1]
            res[tool] = {"wall": statistics.median(walls), **o, "roi_error": _roi_error(o["roi"], tr)}
            print(
                f"[{name}] {tool:8s} wall {res[tool]['wall']:7.1f}s  min bulk ESS {o['ess_bulk_min']:7.0f}  "
                f"max R-hat {o['rhat_max']:.4f}  divergences {o['divergences']:4d}  "
                f"ROI error {res[tool]['roi_error']:.3f}  "
                + (
                    f"chains {o.get('chains')}x{o.get('draws')} blas={o.get('blas')}"
                    if tool == "pymc"
                    else f"chain_method {o.get('chain_method')}"
                ),
                flush=True,
            )
        if "pymc" in res:
            ratio = res["omnimix"]["wall"] / res["pymc"]["wall"]
            print(f"[{name}] time ratio omnimix/pymc-marketing = {ratio:.3f}  (target <= 0.15, aim 0.1)", flush=True)
        rows.append((name, res))
    if args.no_map:
        return
    # MAP mode on the 104 x 8 world
    data, tr, spec = sets["world104"]
    csv = tmp / "world104.csv"
    data.to_csv(csv, index=False)
    spec_map = {**spec, "mode": "map"}
    _run_process("omnimix", str(csv), spec_map, env_omni)
    walls, fits = [], []
    for _ in range(max(3, args.repeats)):
        w, o = _run_process("omnimix", str(csv), spec_map, env_omni)
        walls.append(w)
        fits.append(o["fit_seconds"])
    print(
        f"[world104] omnimix MAP: fit {statistics.median(fits):.2f}s (load + fit + derived), "
        f"whole process {statistics.median(walls):.2f}s (target fit <= 5 s)"
    )


if __name__ == "__main__":
    main()
