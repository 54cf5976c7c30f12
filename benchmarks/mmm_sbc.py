"""Recovery of the MMM over many simulated worlds: simulation-based calibration and coverage.

Called by ``benchmarks/mmm.py --sbc N`` (or run directly). Three kinds of run, each resumable — every
world's result is appended to a JSON-lines file under ``bench-out/sbc/`` and skipped on the next run,
so the harness can run in pieces:

* ``prior`` (strict SBC): world i (seed 1000 + i) is drawn from the MMM's own prior
  (:mod:`omnimix.simulate.prior`): Hill saturation for even i and logistic for odd i (the model is
  configured with the same family), 52 or 78 weeks, 2 or 3 channels, varied spend design (correlation,
  flighting) and KPI scale. Fitted by NUTS with the package's sampler settings except the chain
  length (``--sbc-warmup``/``--sbc-samples``, default 4 chains × 500 + 500: rank statistics need
  ~100 nearly independent draws, and the records keep every parameter's bulk ESS to show it).
  Ranks (99 draws thinned evenly through the chains, so ranks 0..99), coverage, contraction.
* ``varied`` (misspecified, coverage only): world i (seed 2000 + i) from
  :func:`omnimix.simulate.varied.varied_world` — truth *not* from the prior: Hill or logistic curves,
  saturation depth, flighting, noise level and spend correlation drawn per world — fitted through the
  front door (``MMM(config).fit``) with the default model (Hill); true ROI and total media against
  the 50/80/90% intervals.
* ``accept``: the acceptance world, 104 weeks × 8 channels (``simulate_media``), seeds 100..111, with
  the lift-test programme of :func:`omnimix.simulate.experiments.lift_test_programme`, default MMM
  and default NUTS (4 × 1000 + 1000).

``--sbc-report`` aggregates whatever is cached: coverage tables, rank histograms with a χ² test per
parameter group (1% level), contraction, and writes the plots to ``docs/img/``.

Usage: PYTHONPATH=src python benchmarks/mmm.py --sbc 50 [--sbc-kind prior|varied|accept] [--sbc-report]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-out" / "sbc"
IMG = ROOT / "docs" / "img"
ACCEPT_SEEDS = tuple(range(100, 112))


def _done(path: Path) -> dict[int, dict[str, Any]]:
    if not path.exists():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            out[int(r["world"])] = r
    return out


def _append(path: Path, rec: dict[str, Any]) -> None:
    from omnimix.mmm.stats import jsonable

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(jsonable(rec)) + "\n")


def prior_design(i: int, shape: tuple[int, int] | None = None) -> dict[str, Any]:
    """World i of the strict-SBC run: seed, saturation family, weeks and channels (``shape`` fixes
    weeks × channels instead of drawing 52 or 78 weeks and 2 or 3 channels)."""
    rng = np.random.default_rng(1000 + i)
    weeks, chans = int(rng.choice([52, 78])), int(rng.choice([2, 3]))
    return {
        "seed": 1000 + i,
        "saturation": "hill" if i % 2 == 0 else "logistic",
        "weeks": shape[0] if shape else weeks,
        "channels": shape[1] if shape else chans,
    }


def _start(engine: str, chains: int, path: Path) -> tuple[Any, dict[int, dict[str, Any]]]:
    """Shared set-up of the SBC runs: host devices for the package engine (before JAX starts), the
    batch sampler, and the worlds already recorded in ``path`` (a run resumes where it stopped)."""
    from omnimix.mmm.devices import prepare_host_devices

    if engine == "package":
        prepare_host_devices(chains)
    from omnimix.simulate.batch_fit import BatchNUTS

    return BatchNUTS(), _done(path)


def run_prior(n: int, warmup: int, samples: int, path: Path, chains: int = 4, engine: str = "package",
              shape: tuple[int, int] | None = None, prior: str | None = None,
              target_accept: float | None = None) -> None:  # fmt: skip
    batch, done = _start(engine, chains, path)
    from omnimix.mmm.spec import MMMConfig
    from omnimix.simulate.prior import fit_prior_world, prior_world, score_fit

    for i in range(n):
        if i in done:
            continue
        d = prior_design(i, shape)
        extra: dict[str, Any] = {"prior": prior} if prior else {}
        if target_accept:
            extra["target_accept"] = target_accept
        cfg = MMMConfig(saturation=d["saturation"], warmup=warmup, samples=samples, chains=chains, **extra)
        t0 = time.perf_counter()
        w = prior_world(d["seed"], weeks=d["weeks"], n_channels=d["channels"], config=cfg)
        if engine == "batch":
            fit = batch.fit(w.data, w.prep, cfg, seed=d["seed"])
        else:
            fit = fit_prior_world(w, seed=d["seed"])
        rec = {"world": i, "kind": "prior", "chains": cfg.chains, "warmup": warmup, "samples": samples,
               "engine": engine, "prior": cfg.prior, "target_accept": cfg.target_accept,
               **score_fit(w, fit), "wall_seconds": time.perf_counter() - t0}  # fmt: skip
        _append(path, rec)
        p = rec["params"]
        print(
            f"prior world {i:3d} {d['saturation']:8s} {d['weeks']}x{d['channels']}  "
            f"media share {rec['media_share']:.2f}  media_total 90% "
            f"{'in ' if p['media_total']['cover']['90'] else 'OUT'}  ROI 90% "
            f"{sum(p[f'channel_roi[{c}]']['cover']['90'] for c in range(d['channels']))}/{d['channels']}  "
            f"min ESS {rec['diagnostics']['ess_bulk_min']:.0f}  div {rec['diagnostics']['divergences']}  "
            f"{rec['wall_seconds']:.1f}s",
            flush=True,
        )


def _interval_flags(draws: np.ndarray, truth: float) -> dict[str, Any]:
    from omnimix.simulate.sbc import central_interval, covers

    lo, hi = central_interval(draws, 0.9)
    return {"truth": float(truth), "mean": float(np.mean(draws)), "lo90": lo, "hi90": hi,
            "cover": covers(draws, float(truth))}  # fmt: skip


def score_truth_fit(fit: Any, truth: dict[str, Any]) -> dict[str, Any]:
    """Coverage record of a fit against a MediaWorld truth (ROI per channel and total media)."""
    roi = fit.roi_draws()
    chans = {c: _interval_flags(roi[:, i], truth["channels"][c]["roi"]) for i, c in enumerate(fit.channels)}
    tot = fit.contributions.sum(axis=(1, 2))
    media = _interval_flags(tot, truth["media_total"])
    media["rel_error"] = media["mean"] / truth["media_total"] - 1.0
    ident = fit.diagnostics.details.get("identification", {})
    d = fit.diagnostics
    return {"channels": chans, "media_total": media, "identification": ident,
            "diagnostics": {"passed": d.passed, "rhat_max": d.rhat_max, "ess_bulk_min": d.ess_bulk_min,
                            "divergences": d.divergences, "reasons": list(d.reasons),
                            "seconds": fit.result.seconds}}  # fmt: skip


def run_varied(n: int, warmup: int, samples: int, path: Path, chains: int = 4, engine: str = "package",
               shape: tuple[int, int] | None = None) -> None:  # fmt: skip
    batch, done = _start(engine, chains, path)
    from omnimix.mmm.model import MMM, MMMConfig
    from omnimix.mmm.spec import prepare
    from omnimix.simulate.truth import from_world
    from omnimix.simulate.varied import varied_world

    for i in range(n):
        if i in done:
            continue
        t0 = time.perf_counter()
        w = varied_world(2000 + i, weeks=shape[0] if shape else None, n_channels=shape[1] if shape else None)
        cfg = MMMConfig(warmup=warmup, samples=samples, chains=chains)
        data = from_world(w)
        if engine == "batch":
            fit = batch.fit(data, prepare(data, cfg), cfg, seed=2000 + i)
        else:
            fit = MMM(cfg).fit(data, seed=2000 + i)
        rec = {"world": i, "kind": "varied", "design": w.truth["design"], "engine": engine,
               "chains": chains, "warmup": warmup, "samples": samples,
               "media_share": w.truth["media_total"] / w.truth["kpi_total"],
               **score_truth_fit(fit, w.truth), "wall_seconds": time.perf_counter() - t0}  # fmt: skip
        _append(path, rec)
        ch = rec["channels"]
        print(
            f"varied world {i:3d} {w.truth['design']['saturation']:8s} "
            f"{w.truth['weeks']}x{len(ch)}  media share {rec['media_share']:.2f}  media 90% "
            f"{'in ' if rec['media_total']['cover']['90'] else 'OUT'} "
            f"(err {rec['media_total']['rel_error']:+.2f})  ROI 90% "
            f"{sum(v['cover']['90'] for v in ch.values())}/{len(ch)}  {rec['wall_seconds']:.1f}s",
            flush=True,
        )


def run_accept(seeds: tuple[int, ...], path: Path, warmup: int | None, samples: int | None,
               target_accept: float | None = None) -> None:
    from omnimix.mmm.devices import prepare_host_devices

    prepare_host_devices(4)
    from omnimix.mmm.model import MMM, MMMConfig
    from omnimix.simulate.experiments import lift_test_programme, with_experiments
    from omnimix.simulate.media import simulate_media
    from omnimix.simulate.truth import from_world

    done = _done(path)
    for seed in seeds:
        if seed in done:
            continue
        t0 = time.perf_counter()
        w = simulate_media(weeks=104, seed=seed)
        w = with_experiments(w, lift_test_programme(w, seed=seed))
        base = MMMConfig()
        cfg = MMMConfig(warmup=warmup or base.warmup, samples=samples or base.samples,
                        target_accept=target_accept or base.target_accept)
        fit = MMM(cfg).fit(from_world(w), seed=seed)
        rec = {"world": seed, "kind": "accept", "experiments": w.truth["experiments"],
               "chains": cfg.chains, "warmup": cfg.warmup, "samples": cfg.samples,
               "target_accept": cfg.target_accept,
               **score_truth_fit(fit, w.truth), "wall_seconds": time.perf_counter() - t0}  # fmt: skip
        _append(path, rec)
        ch = rec["channels"]
        print(
            f"acceptance seed {seed}: tests on {[e['channel'] for e in w.truth['experiments']]}  "
            f"media total error {rec['media_total']['rel_error']:+.3f}  ROI 90% "
            f"{sum(v['cover']['90'] for v in ch.values())}/{len(ch)}  "
            f"passed {rec['diagnostics']['passed']}  {rec['wall_seconds']:.1f}s",
            flush=True,
        )


# -- report ---------------------------------------------------------------------------------------
def _group(label: str) -> str:
    return re.sub(r"\[.*\]$", "", label)


def _share(flags: list[bool]) -> str:
    return f"{sum(flags)}/{len(flags)} = {100 * np.mean(flags):.1f}%" if flags else "—"


def report_prior(recs: list[dict[str, Any]], plots: bool) -> dict[str, Any]:
    from omnimix.simulate import sbc

    groups: dict[str, dict[str, list[Any]]] = {}
    for r in recs:
        for label, v in r["params"].items():
            g = groups.setdefault(_group(label), {"ranks": [], "cover": [], "contraction": [], "ess": []})
            g["ranks"].append(v["rank"])
            g["cover"].append(v["cover"])
            g["contraction"].append(v["contraction"])
            if "ess_bulk" in v:
                g["ess"].append(v["ess_bulk"])
    n_ranks = recs[0]["n_ranks"]
    out: dict[str, Any] = {}
    print(f"\nstrict SBC over {len(recs)} prior worlds (ranks 0..{n_ranks}; χ² at the 1% level)")
    print(f"{'parameter':22s} {'n':>4s} {'cover50':>8s} {'cover80':>8s} {'cover90':>8s} {'contr.':>7s} "
          f"{'bins':>4s} {'chi2':>7s} {'p':>7s}  {'min ESS':>7s} {'p(cov90)':>8s}")  # fmt: skip
    for name in sorted(groups):
        g = groups[name]
        bins = 10 if len(g["ranks"]) >= 100 else 5
        hist = sbc.rank_histogram(g["ranks"], n_ranks, bins)
        test = sbc.chi2_uniformity(hist)
        cov = sbc.summarise_coverage(g["cover"])
        con = float(np.nanmedian(g["contraction"]))
        from scipy import stats

        k90 = int(sum(bool(c["90"]) for c in g["cover"]))
        p90 = float(stats.binomtest(k90, len(g["cover"]), 0.9).pvalue)
        out[name] = {"n": len(g["ranks"]), "coverage": cov, "contraction_median": con, "bins": bins,
                     "coverage90_binom_p": p90,
                     "histogram": hist.tolist(), **test, "pass": test["p_value"] >= 0.01,
                     "ess_min": min(g["ess"]) if g["ess"] else None}  # fmt: skip
        print(
            f"{name:22s} {len(g['ranks']):4d} {cov['50']:8.3f} {cov['80']:8.3f} {cov['90']:8.3f} {con:7.2f} "
            f"{bins:4d} {test['chi2']:7.2f} {test['p_value']:7.4f}  "
            + (f"{min(g['ess']):7.0f}" if g["ess"] else "      —")
            + f" {p90:8.4f}"
            + ("" if test["p_value"] >= 0.01 else "  FAIL (ranks)")
            + ("" if p90 >= 0.01 else "  FAIL (90% coverage)")
        )
    for fam in ("hill", "logistic"):
        sub = [r for r in recs if r["design"]["saturation"] == fam]
        if sub:
            roi = [v["cover"]["90"] for r in sub for k, v in r["params"].items() if k.startswith("channel_roi")]
            med = [r["params"]["media_total"]["cover"]["90"] for r in sub]
            print(f"  {fam:8s} worlds: 90% covers total media {_share(med)}, channel ROI {_share(roi)}")
    low = [r["world"] for r in recs if (r["diagnostics"]["ess_bulk_min"] or 0) < 100]
    print(f"worlds with min bulk ESS < 100 (ranks unreliable there): {low}")
    for r in recs:
        miss = [k for k, v in r["params"].items() if (k == "media_total" or k.startswith("channel_roi"))
                and not v["cover"]["90"]]  # fmt: skip
        if miss:
            d, dg = r["design"], r["diagnostics"]
            print(f"  world {r['world']:3d} ({d['saturation']}, {d['weeks']}x{d['channels']}, media share "
                  f"{r['media_share']:.2f}, corr {d['correlation']:.2f}, on air {[round(x, 2) for x in d['on_air']]}, "
                  f"div {dg['divergences']}, min ESS {dg['ess_bulk_min']:.0f}) misses {miss}")  # fmt: skip
    passed = sum(bool(r["diagnostics"]["passed"]) for r in recs)
    print(f"fits that passed review: {passed}/{len(recs)}; "
          f"divergences per fit: median {np.median([r['diagnostics']['divergences'] for r in recs]):.0f}")  # fmt: skip
    if plots:
        _plot_ranks(out, n_ranks, IMG / "sbc_ranks.png", f"strict SBC: rank histograms over {len(recs)} prior worlds")
        _plot_coverage(out, IMG / "sbc_coverage.png", f"strict SBC: interval coverage over {len(recs)} prior worlds")
    return out


def _plot_coverage(groups: dict[str, Any], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy import stats

    names = sorted(groups)
    fig, ax = plt.subplots(figsize=(10, 3.6))
    colours = {"50": "#9ecae1", "80": "#4292c6", "90": "#08519c"}
    x = np.arange(len(names))
    for k, lv in enumerate(("50", "80", "90")):
        cov = [groups[n]["coverage"][lv] for n in names]
        ax.bar(x + (k - 1) * 0.27, cov, width=0.25, color=colours[lv], label=f"{lv}% interval")
        for i, n in enumerate(names):  # 99% binomial range of the coverage share for a calibrated model
            lo, hi = stats.binom.ppf([0.005, 0.995], groups[n]["n"], int(lv) / 100) / groups[n]["n"]
            ax.plot([i + (k - 1) * 0.27] * 2, [lo, hi], color="0.3", lw=0.8)
        ax.axhline(int(lv) / 100, color=colours[lv], lw=0.7, ls="--")
    ax.set_xticks(x)
    ax.set_xticklabels([f"{n}\n(n={int(groups[n]['n'])})" for n in names], fontsize=7, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share of truths inside")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(title + " — dashed: nominal; whiskers: 99% range for a calibrated model", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    print(f"wrote {path.relative_to(ROOT)}")


def _plot_ranks(groups: dict[str, Any], n_ranks: int, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy import stats

    names = sorted(groups)
    cols = 4
    rows = int(np.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        g = groups[name]
        h = np.asarray(g["histogram"])
        e = g["n"] / g["bins"]
        lo, hi = stats.binom.ppf([0.005, 0.995], g["n"], 1 / g["bins"])
        ax.axhspan(lo, hi, color="0.88")
        ax.axhline(e, color="0.5", lw=0.8)
        ax.bar(np.arange(g["bins"]), h, width=0.9, color="#3b7dd8" if g["pass"] else "#d8573b")
        ax.set_title(f"{name}  (n={int(g['n'])}, p={g['p_value']:.3f})", fontsize=8)
        ax.set_xticks([])
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    fig.suptitle(title + " — grey band: 99% range of one bin under uniformity", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    print(f"wrote {path.relative_to(ROOT)}")


def report_truth(recs: list[dict[str, Any]], label: str, list_errors: bool = True) -> dict[str, Any]:
    from omnimix.simulate.sbc import summarise_coverage

    media = [r["media_total"]["cover"] for r in recs]
    roi = [v["cover"] for r in recs for v in r["channels"].values()]
    errs = [r["media_total"]["rel_error"] for r in recs]
    mc, rc = summarise_coverage(media), summarise_coverage(roi)
    print(f"\n{label}: {len(recs)} worlds, {len(roi)} (channel, world) pairs")
    for lv in ("50", "80", "90"):
        print(f"  {lv}% intervals: total media {_share([m[lv] for m in media])}   "
              f"channel ROI {_share([c[lv] for c in roi])}")  # fmt: skip
    med = float(np.median(np.abs(errs)))
    print(f"  total media error: median |e| {med:.3f}, |e| <= 10% in {_share([abs(e) <= 0.10 for e in errs])}")
    passed = sum(bool(r["diagnostics"]["passed"]) for r in recs)
    print(f"  fits that passed review: {passed}/{len(recs)}")
    for r in recs:
        tested = {e["channel"] for e in r.get("experiments", [])}
        miss = [f"{c}{'*' if c in tested else ''} {v['truth']:.2f} [{v['lo90']:.2f}, {v['hi90']:.2f}]"
                for c, v in r["channels"].items() if not v["cover"]["90"] and "lo90" in v]  # fmt: skip
        m = r["media_total"]
        if miss or not m["cover"]["90"] or (list_errors and abs(m["rel_error"]) > 0.10):
            print(f"  world {r['world']}: media error {m['rel_error']:+.3f} "
                  f"({'in' if m['cover']['90'] else 'outside'} its 90% interval); ROI misses: {miss}"
                  + ("  (* lift-tested)" if tested else ""))  # fmt: skip
    return {"media_coverage": mc, "roi_coverage": rc, "media_errors": errs, "n_worlds": len(recs),
            "n_pairs": len(roi), "passed": passed}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sbc", type=int, default=50, help="number of worlds (prior and varied kinds)")
    ap.add_argument("--sbc-kind", default="prior", choices=["prior", "varied", "accept", "none"])
    ap.add_argument("--sbc-chains", type=int, default=4)
    ap.add_argument("--sbc-engine", default="package", choices=["package", "batch"],
                    help="package: omnimix.mmm's run_nuts; batch: omnimix.simulate.batch_fit (one compile per shape)")
    ap.add_argument("--sbc-shape", default=None, help="fix weeks x channels, e.g. 52x2")
    ap.add_argument("--sbc-prior", default=None, help="channel-effect prior mode (default: the package's)")
    ap.add_argument("--sbc-target-accept", type=float, default=None)
    ap.add_argument("--sbc-warmup", type=int, default=500)
    ap.add_argument("--sbc-samples", type=int, default=500)
    ap.add_argument("--accept-warmup", type=int, default=None, help="default: the package's (1000)")
    ap.add_argument("--accept-samples", type=int, default=None, help="default: the package's (1000)")
    ap.add_argument("--sbc-report", action="store_true", help="aggregate the cached results (and plot)")
    ap.add_argument("--no-plots", action="store_true")
    ap.add_argument("--out", default=str(OUT))
    a = ap.parse_args(argv)
    out = Path(a.out)
    if a.sbc_kind == "prior":
        shape = tuple(int(x) for x in a.sbc_shape.split("x")) if a.sbc_shape else None
        run_prior(a.sbc, a.sbc_warmup, a.sbc_samples, out / "prior.jsonl", a.sbc_chains, a.sbc_engine,
                  shape, a.sbc_prior, a.sbc_target_accept)  # type: ignore[arg-type]  # fmt: skip
    elif a.sbc_kind == "varied":
        shape = tuple(int(x) for x in a.sbc_shape.split("x")) if a.sbc_shape else None
        run_varied(a.sbc, a.sbc_warmup, a.sbc_samples, out / "varied.jsonl", a.sbc_chains, a.sbc_engine,
                   shape)  # type: ignore[arg-type]  # fmt: skip
    elif a.sbc_kind == "accept":
        run_accept(ACCEPT_SEEDS, out / "accept.jsonl", a.accept_warmup, a.accept_samples, a.sbc_target_accept)
    if a.sbc_report:
        summary: dict[str, Any] = {}
        pr = list(_done(out / "prior.jsonl").values())
        if pr:
            summary["prior"] = report_prior(pr, not a.no_plots)
            summary["prior_truth"] = report_truth(
                [{"media_total": {**r["params"]["media_total"], "rel_error": r["params"]["media_total"]["mean"]
                                  / r["params"]["media_total"]["truth"] - 1.0},
                  "channels": {k: v for k, v in r["params"].items() if k.startswith("channel_roi")},
                  "diagnostics": r["diagnostics"], "world": r["world"]} for r in pr],
                "strict SBC worlds (truth from the prior)",
                list_errors=False,
            )  # fmt: skip
        for kind, label in (("varied", "varied worlds (misspecified: truth not from the prior)"),
                            ("accept", "acceptance worlds (104 x 8, seeds 100-111, lift-test programme)")):  # fmt: skip
            recs = list(_done(out / f"{kind}.jsonl").values())
            if recs:
                summary[kind] = report_truth(recs, label)
        out.mkdir(parents=True, exist_ok=True)
        (out / "summary.json").write_text(json.dumps(summary, indent=1, default=float), encoding="utf-8")


if __name__ == "__main__":
    main()
