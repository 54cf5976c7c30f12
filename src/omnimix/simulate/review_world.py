"""A workspace with known marginal ROI per channel, for scoring the review's decisions (issue #19).

:func:`review_world` writes a workspace whose warehouse holds daily ``spend`` per channel and daily
orders (``conversions``) drawn from a known weekly model, and returns the true response curves so a
benchmark can compute each channel's TRUE marginal ROI at any spend level:

* weekly spend of channel ``c``: ``level_c · exp(N(0, SPEND_LOG_SD))``, with dark weeks (no spend)
  on a random half of the channels — spend that moves independently of demand, so every channel's
  effect is identifiable from the data (a review can only be right about what the data can show);
* response: geometric adstock (normalised weights) then Hill ``β·a^s/(a^s + K^s)``; ``K`` sits at 0.7–2.5×
  the channel's typical spend and ``β`` is set so that the marginal ROI at the typical spend is a
  drawn target: one channel far above the threshold (2.5–5×), one far below (0.1–0.35×), the rest
  log-uniform over 0.3–3× — so each world has both kinds of far channel and some near ones;
* revenue: ``baseline · trend · seasonality · exp(d_t) + Σ media + ε`` (a weak AR(1) demand factor
  ``d_t`` and 2% noise), spread over the week's days and over ten orders a day.

Spend and revenue are written per day (a week's amount split evenly over its seven days), so the
MMM's weekly aggregation recovers the weekly model exactly and a calendar month's spend is exact too.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omnimix import transforms
from omnimix.curves import ResponseCurves
from omnimix.workspace import Workspace

NAMES = ("search", "social", "douyin", "display", "kol", "wechat", "xiaohongshu", "video")
SPEND_LOG_SD = 0.6
DARK_SHARE = 0.15
BASE_WEEKLY = 2_500_000.0
NOISE = 0.015
ORDERS_PER_DAY = 10
L_MAX = 8


@dataclass
class ReviewWorld:
    """What :func:`review_world` wrote: the workspace, its days and the true weekly curves."""

    root: str
    first_day: str
    last_day: str
    channels: list[str]
    threshold: float
    #: channel → {"beta", "half_saturation", "slope", "alpha", "target_mroi"} (weekly, currency units)
    curves: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def true_curves(self) -> ResponseCurves:
        """The true steady-state weekly response curves (adstock weights sum to one)."""
        ch = list(self.curves)
        return ResponseCurves.from_params(
            ch, "hill", beta=[self.curves[c]["beta"] for c in ch],
            half_saturation=[self.curves[c]["half_saturation"] for c in ch],
            slope=[self.curves[c]["slope"] for c in ch], current_spend=np.zeros(len(ch)))

    def true_mroi(self, weekly_spend: dict[str, float]) -> dict[str, float]:
        """Each channel's true marginal ROI at a weekly spend level (the derivative of its curve)."""
        rc = self.true_curves()
        x = np.array([weekly_spend.get(c, 0.0) for c in rc.channels])
        d = rc.draws(x, order=1)[0]
        return {c: float(d[i]) for i, c in enumerate(rc.channels)}


def _targets(rng: np.random.Generator, n: int, threshold: float) -> np.ndarray:
    t = np.exp(rng.uniform(np.log(0.3), np.log(3.0), n))
    order = rng.permutation(n)
    t[order[0]] = rng.uniform(2.5, 5.0)
    if n > 1:
        t[order[1]] = rng.uniform(0.1, 0.35)
    return t * threshold


def review_world(out: str | Path, *, seed: int = 0, weeks: int = 104, channels: int = 5,
                 threshold: float = 1.0, start: date = date(2024, 1, 1)) -> ReviewWorld:
    """Write a workspace at ``out`` (see the module docstring) and return its truth.

    Args:
        out: the workspace directory (created; must not hold a workspace yet).
        seed: random seed; the same seed writes the same data.
        weeks: weeks of history (from ``start``, moved back to its Monday).
        channels: number of channels (at most 8).
        threshold: the marginal-ROI threshold the targets are drawn around.
    """
    if not 1 <= channels <= len(NAMES):
        raise ValueError(f"channels={channels}: expected 1..{len(NAMES)}")
    rng = np.random.default_rng(seed)
    chans = list(NAMES[:channels])
    first = start - timedelta(days=start.weekday())
    t = np.arange(weeks, dtype=float)
    level = np.exp(rng.uniform(np.log(40_000), np.log(160_000), channels))
    spend = level[None, :] * rng.lognormal(0.0, SPEND_LOG_SD, (weeks, channels))
    dark = rng.random(channels) < 0.75
    spend[:, dark] *= rng.random((weeks, int(dark.sum()))) >= DARK_SHARE
    spend = np.round(spend, 2)
    alpha = rng.uniform(0.1, 0.6, channels)
    k_half = level * rng.uniform(0.7, 2.5, channels)
    slope = rng.uniform(1.0, 2.0, channels)
    target = _targets(rng, channels, threshold)
    contrib = np.zeros_like(spend)
    curves: dict[str, dict[str, float]] = {}
    for j, c in enumerate(chans):
        w = np.asarray(transforms.adstock_weights("geometric", L_MAX, {"alpha": np.array([alpha[j]])}))[:, 0]
        a = transforms.apply_adstock(spend[:, j], w)
        ref = float(spend[:, j].mean())
        unit = float(transforms.hill(ref, k_half[j], slope[j], 1.0, order=1))
        beta = float(target[j] / unit)
        contrib[:, j] = np.asarray(transforms.hill(a, k_half[j], slope[j], beta))
        curves[c] = {"beta": beta, "half_saturation": float(k_half[j]), "slope": float(slope[j]),
                     "alpha": float(alpha[j]), "target_mroi": float(target[j]), "reference_spend": ref}
    d = np.zeros(weeks)
    e = rng.normal(0.0, 0.01, weeks)
    for i in range(weeks):
        d[i] = (0.5 * d[i - 1] if i else 0.0) + e[i]
    phase = 2 * np.pi * (t * 7 + first.timetuple().tm_yday) / 365.25
    base = BASE_WEEKLY * (1 + rng.uniform(0.0, 0.1) * t / 52) * (1 + 0.06 * np.sin(phase + rng.uniform(0, 6.28)))
    kpi = base * np.exp(d) + contrib.sum(axis=1) + rng.normal(0.0, NOISE * BASE_WEEKLY, weeks)
    root = Path(out)
    ws = Workspace.init(root)
    days = [first + timedelta(days=i) for i in range(7 * weeks)]
    sp = pd.DataFrame([(days[7 * i + k], c, float(spend[i, j]) / 7, int(spend[i, j] / 7 * 30), "media")
                       for i in range(weeks) for j, c in enumerate(chans) if spend[i, j] > 0 for k in range(7)],
                      columns=["date", "channel", "spend", "impressions", "source"])
    n_days = 7 * weeks
    daily = np.repeat(kpi / 7, 7)
    split = rng.dirichlet(np.full(ORDERS_PER_DAY, 6.0), n_days) * daily[:, None]
    day_idx = np.repeat(np.arange(n_days), ORDERS_PER_DAY)
    t0 = pd.Timestamp(first)
    conv = pd.DataFrame({
        "conversion_id": [f"o{i}" for i in range(day_idx.size)],
        "ts": t0 + pd.to_timedelta(day_idx, unit="D")
        + pd.to_timedelta(rng.integers(0, 86_400, day_idx.size), unit="s"),
        "type": "purchase",
        "value": split.reshape(-1),
        "source": "shop",
    })
    with ws.writer() as tw:
        tw.write("spend", sp)
        tw.write("conversions", conv)
    world = ReviewWorld(str(root), first.isoformat(), days[-1].isoformat(), chans, threshold, curves)
    (root / "truth.json").write_text(json.dumps(world.to_json(), indent=1), encoding="utf-8")
    return world
