"""Small worlds with varied truth, for recovery checks over many worlds (coverage, not SBC ranks).

:func:`varied_world` draws a :class:`~omnimix.simulate.media.MediaWorld` whose truth is *not* taken
from the MMM's prior, so a fit of it is misspecified in the ways a real data set can be:

* **saturation family**: Hill or logistic (one per world, every channel), against a Hill model by
  default;
* **saturation depth**: Hill half-saturation K = median on-air adstock × e^U(log 0.3, log 3) (small K:
  deep in saturation), slope U(1, 2.5); logistic λ = U(0.5, 3) ÷ mean on-air adstock;
* **flighting**: each channel flights (on air 40–80% of weeks, in bursts) with probability 0.4;
* **correlated spend**: log spends share a factor with correlation U(0, 0.8)
  (:func:`omnimix.simulate.prior.design_spend`);
* **noise level**: KPI noise sd U(1%, 6%) of the baseline level, AR(1) with ρ U(0, 0.5);
* geometric adstock α U(0.05, 0.7) (normalised, l_max 8), ROI U(0.5, 3) per channel, media share of the
  KPI U(10%, 40%); the baseline has trend, yearly seasonality, the retail events and price/promo
  controls. No experiments.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from omnimix.mmm.data import retail_events
from omnimix.simulate.media import L_MAX, MediaWorld, adstock_np, geometric_weights, saturation_np
from omnimix.simulate.prior import design_controls, design_spend

__all__ = ["varied_world"]


def varied_world(
    seed: int,
    *,
    weeks: int | None = None,
    n_channels: int | None = None,
    saturation: str | None = None,
    start: dt.date = dt.date(2023, 1, 2),
) -> MediaWorld:
    """Draw a small world with varied truth (see the module docstring).

    Args:
        seed: random seed.
        weeks: 52 or 78 drawn when None.
        n_channels: 2 or 3 drawn when None.
        saturation: ``"hill"`` or ``"logistic"``; drawn when None.
        start: first week (a Monday).

    Returns:
        A world in the format of :func:`omnimix.simulate.media.simulate_media` (``truth["design"]``
        adds the drawn design facts).
    """
    rng = np.random.default_rng(seed)
    t_n = int(rng.choice([52, 78])) if weeks is None else int(weeks)
    c_n = int(rng.choice([2, 3])) if n_channels is None else int(n_channels)
    fam = str(rng.choice(["hill", "logistic"])) if saturation is None else saturation
    spend, facts = design_spend(rng, t_n, c_n)
    ctrl, _ = design_controls(rng, t_n)
    dates = [start + dt.timedelta(days=7 * i) for i in range(t_n)]
    chans = [f"ch{i + 1}" for i in range(c_n)]
    contrib = np.zeros((t_n, c_n))
    truth_ch: dict[str, Any] = {}
    depth = []
    for j, ch in enumerate(chans):
        alpha = float(rng.uniform(0.05, 0.7))
        a = adstock_np(spend[:, j], geometric_weights(alpha))
        on = a[a > 0]
        if fam == "hill":
            ratio = float(np.exp(rng.uniform(np.log(0.3), np.log(3.0))))
            sat: dict[str, Any] = {"type": "hill", "beta": 1.0, "half_saturation": float(np.median(on) * ratio),
                                   "slope": float(rng.uniform(1.0, 2.5))}  # fmt: skip
        else:
            ratio = float(rng.uniform(0.5, 3.0))
            sat = {"type": "logistic", "beta": 1.0, "lam": ratio / float(on.mean())}
        depth.append(ratio)
        unit = saturation_np(a, sat)
        roi = float(rng.uniform(0.5, 3.0))
        sat["beta"] = float(roi * spend[:, j].sum() / unit.sum())
        contrib[:, j] = saturation_np(a, sat)
        truth_ch[ch] = {
            "adstock": {"type": "geometric", "alpha": alpha, "l_max": L_MAX, "normalized": True},
            "saturation": sat,
            "spend_total": float(spend[:, j].sum()),
            "contribution_total": float(contrib[:, j].sum()),
            "roi": float(contrib[:, j].sum() / spend[:, j].sum()),
            "current_weekly_spend": float(spend[-13:, j].mean()),
        }
    share = float(rng.uniform(0.10, 0.40))
    media_mean = float(contrib.sum(axis=1).mean())
    level = media_mean * (1.0 - share) / share
    ev = retail_events(dates)
    phase = 2 * np.pi * np.array([d.timetuple().tm_yday for d in dates]) / 365.25
    growth = float(rng.uniform(-0.05, 0.15))
    mult = (1.0 + growth * np.arange(t_n) / 52.0) * (1.0 + 0.08 * np.sin(phase - rng.uniform(0, 2 * np.pi)))
    mult *= 1.0 + 0.3 * ev["event_618"] + 0.5 * ev["event_double11"] - 0.2 * ev["event_cny"]
    baseline = level * mult - 1.5 * level * (ctrl[:, 0] - 1.0) + 0.06 * level * ctrl[:, 1]
    noise_rel = float(rng.uniform(0.01, 0.06))
    rho = float(rng.uniform(0.0, 0.5))
    e = rng.normal(0.0, noise_rel * level, t_n)
    u = np.zeros(t_n)
    u[0] = e[0] / np.sqrt(1 - rho**2)
    for t in range(1, t_n):
        u[t] = rho * u[t - 1] + e[t]
    kpi = baseline + contrib.sum(axis=1) + u
    frame: dict[str, Any] = {"week": dates}
    for j, ch in enumerate(chans):
        frame[f"spend_{ch}"] = spend[:, j]
        frame[f"impressions_{ch}"] = np.round(spend[:, j] / 30.0 * 1000.0)
    frame["price_index"] = ctrl[:, 0]
    frame["promo"] = ctrl[:, 1]
    for k, flags in ev.items():
        frame[k] = flags.astype(int)
    frame["baseline"] = baseline
    for j, ch in enumerate(chans):
        frame[f"contribution_{ch}"] = contrib[:, j]
    frame["kpi"] = kpi
    truth = {
        "weeks": t_n, "start": dates[0].isoformat(), "seed": seed, "kpi": "revenue", "currency": "CNY",
        "confounded": None, "channels": truth_ch, "baseline_total": float(baseline.sum()),
        "media_total": float(contrib.sum()), "kpi_total": float(kpi.sum()), "experiments": [],
        "noise_sd": noise_rel * level,
        "design": {"saturation": fam, "depth": depth, "noise_rel": noise_rel, "noise_rho": rho,
                   "media_share_target": share, **facts},
    }  # fmt: skip
    return MediaWorld(weekly=pd.DataFrame(frame), truth=truth)
