"""Closing the loop: lift tests chosen by the planner against the same number chosen at random.

In the MMM acceptance world (:func:`omnimix.simulate.media.simulate_media`, 104 weeks × 8 channels) the
MMM is fitted without lift tests; :func:`omnimix.experiments.planner.plan_from_fit` picks ``n_tests``
channels, and ``n_random`` random draws of ``n_tests`` channels (among those on air for a whole test
window) serve as the comparison. Each set's tests are "run" the way
:func:`omnimix.simulate.experiments.lift_test_programme` measures them — the channel's true incremental
KPI over its most recent ``weeks``-week window on air plus noise with a ``rel_sd`` standard error — and the
MMM is refitted with them. :func:`planner_vs_random` scores each fit by the relative error of its
total-media contribution (posterior mean) and the width of its 90% interval over the truth.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

__all__ = ["planner_vs_random"]


def _measured(w: Any, windows: dict[str, tuple[int, int]], chans: list[str], rng: np.random.Generator,
              rel_sd: float) -> list[dict[str, Any]]:
    df = w.weekly
    out = []
    for c in chans:
        a, b = windows[c]
        true = float(df[f"contribution_{c}"].to_numpy()[a : b + 1].sum())
        sd = rel_sd * abs(true)
        out.append({"channel": c, "start": df["week"].iloc[a].isoformat(),
                    "end": (df["week"].iloc[b] + dt.timedelta(days=6)).isoformat(),
                    "lift": true + float(rng.normal(0, sd)), "lift_sd": sd,
                    "spend": float(df[f"spend_{c}"].to_numpy()[a : b + 1].sum())})  # fmt: skip
    return out


def planner_vs_random(seed: int, *, n_tests: int = 3, n_random: int = 2, mode: str = "map", weeks: int = 6,
                      rel_sd: float = 0.10) -> dict[str, Any]:
    """One acceptance world: ``{"planner_channels", "random_channels", "none", "planner", "random"}``, each
    score ``{"abs_err", "width", "cover"}`` (``random``: one per draw) — see the module docstring."""
    from omnimix.experiments.planner import _window, plan_from_fit
    from omnimix.mmm.model import MMM, MMMConfig
    from omnimix.simulate.experiments import with_experiments
    from omnimix.simulate.media import simulate_media
    from omnimix.simulate.truth import from_world

    w = with_experiments(simulate_media(weeks=104, seed=seed), [])
    truth = float(w.truth["media_total"])

    def score(exps: list[dict[str, Any]]) -> tuple[dict[str, float], Any]:
        fit = MMM(MMMConfig()).fit(from_world(with_experiments(w, exps)), mode=mode, seed=seed)
        tot = fit.contributions.sum(axis=(1, 2))
        lo, hi = np.quantile(tot, [0.05, 0.95])
        return {"abs_err": abs(float(tot.mean()) / truth - 1), "width": float(hi - lo) / truth,
                "cover": float(lo <= truth <= hi)}, fit  # fmt: skip

    none, fit0 = score([])
    plan = plan_from_fit(fit0, n_tests=n_tests, weeks=weeks, rel_sd=rel_sd)
    spend = w.weekly[[f"spend_{c}" for c in w.channels]].to_numpy()
    wins = {c: _window(spend[:, j], weeks) for j, c in enumerate(w.channels)}
    ok = [c for c in w.channels if wins[c] is not None]
    rng = np.random.default_rng([seed, 99])
    chosen = [t.channel for t in plan.tests]
    planner, _ = score(_measured(w, wins, chosen, rng, rel_sd))  # type: ignore[arg-type]
    picks, randoms = [], []
    for _ in range(n_random):
        pick = [str(c) for c in rng.choice(ok, size=n_tests, replace=False)]
        picks.append(pick)
        randoms.append(score(_measured(w, wins, pick, rng, rel_sd))[0])  # type: ignore[arg-type]
    return {"seed": seed, "planner_channels": chosen, "random_channels": picks, "none": none,
            "planner": planner, "random": randoms}
