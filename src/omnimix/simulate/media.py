"""Media ground truth: weekly spend, impressions, controls, events and the true response per channel.

:func:`simulate_media` draws a :class:`MediaWorld` — one row per week with spend and impressions per
channel, control regressors (``price_index``, ``promo``), Chinese retail event flags, the true baseline,
the true contribution of every channel and the KPI (revenue in CNY) — together with a JSON-serialisable
``truth`` record that the MMM recovery tests, the budget optimizer and the person-level simulator use.

Ground-truth response of channel c in week t::

    a_t = Σ_{l=0}^{L-1} w_l · x_{t-l},   w_l = α^l / Σ_k α^k   (geometric adstock, weights sum to 1,
                                                               no spend before the first week)
    contribution_t = β · sat(a_t)
    hill:      sat(a) = a^s / (a^s + K^s)
    logistic:  sat(a) = (1 - e^{-λa}) / (1 + e^{-λa})

so a constant weekly spend x gives, in steady state, exactly ``β·sat(x)`` per week.

KPI_t = baseline_t + Σ_c contribution_{c,t} + ε_t, with baseline = level · trend · seasonality ·
events · exp(d_t) + controls, where d_t is a latent AR(1) demand factor that no regressor shows.
The ``confounded`` channel's spend follows d_t (it is bought when demand is high, as paid search is),
so a model without calibration over-credits it. One lift test on that channel (its true incremental
KPI over a 6-week window plus measurement noise with a 10% standard error) is in
``truth["experiments"]`` for calibration.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omnimix import transforms
from omnimix.errors import ConfigError
from omnimix.mmm.data import retail_events

DEFAULT_CHANNELS: tuple[str, ...] = (
    "search",
    "social",
    "douyin",
    "wechat",
    "xiaohongshu",
    "kol",
    "display",
    "events",
)

# name: (weekly level CNY, CPM CNY, adstock alpha, saturation, target ROI, share of weeks on air,
#        event sensitivity 0..1 (how strongly spend follows 618/双11/双12/春节))
_CHANNEL_SPECS: dict[str, tuple[float, float, float, str, float, float, float]] = {
    "search": (300_000.0, 40.0, 0.20, "hill", 2.0, 1.0, 0.8),
    "social": (150_000.0, 25.0, 0.40, "hill", 1.4, 1.0, 0.5),
    "douyin": (380_000.0, 30.0, 0.30, "logistic", 1.8, 1.0, 1.0),
    "wechat": (120_000.0, 35.0, 0.50, "hill", 1.2, 1.0, 0.3),
    "xiaohongshu": (80_000.0, 45.0, 0.35, "hill", 2.5, 1.0, 0.9),
    "kol": (100_000.0, 60.0, 0.60, "logistic", 1.6, 0.7, 0.9),
    "display": (60_000.0, 10.0, 0.30, "hill", 0.7, 1.0, 0.4),
    "events": (40_000.0, 80.0, 0.50, "hill", 1.0, 0.4, 0.2),
}

L_MAX = 8
DEMAND_RHO = 0.8  # AR(1) coefficient of the latent demand factor
DEMAND_INNOV_SD = 0.02  # its innovation standard deviation (log scale)
CONFOUNDING = 4.0  # confounded spend ∝ exp(CONFOUNDING · d_t)
SPEND_NOISE = 0.35  # log-sd of week-to-week spend variation
BASE_LEVEL = 4_500_000.0  # baseline revenue per week, CNY
EVENT_BASELINE = {
    "event_cny": -0.25,
    "event_cny_after": -0.10,
    "event_618": 0.30,
    "event_double11": 0.55,
    "event_double12": 0.20,
}
EVENT_SPEND = {
    "event_cny": -0.5,
    "event_cny_after": -0.2,
    "event_618": 0.6,
    "event_double11": 1.0,
    "event_double12": 0.3,
}


@dataclass(frozen=True)
class MediaWorld:
    """A simulated weekly media world with its ground truth.

    Attributes:
        weekly: one row per week: ``week`` (Monday), ``spend_<ch>``, ``impressions_<ch>``,
            ``price_index``, ``promo``, ``event_*`` flags, ``baseline``, ``contribution_<ch>``, ``kpi``.
        truth: JSON-serialisable ground truth (see the module docstring and :func:`simulate_media`).
    """

    weekly: pd.DataFrame
    truth: dict[str, Any]

    @property
    def channels(self) -> list[str]:
        """Channel names in column order."""
        return list(self.truth["channels"])

    def write(self, directory: str | Path) -> Path:
        """Write ``truth/media.json`` and ``truth/weekly.csv`` under ``directory``; returns the truth dir."""
        out = Path(directory) / "truth"
        out.mkdir(parents=True, exist_ok=True)
        (out / "media.json").write_text(
            json.dumps(self.truth, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        self.weekly.to_csv(out / "weekly.csv", index=False)
        return out


def geometric_weights(alpha: float, l_max: int = L_MAX) -> np.ndarray:
    """Normalised geometric adstock weights w_l = α^l / Σ α^k, shape (l_max,)."""
    w = transforms.adstock_weights("geometric", l_max, {"alpha": np.array([alpha], dtype=float)})
    return np.asarray(w[:, 0])


def adstock_np(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Adstock along axis 0 with zero history: out[t] = Σ_l w_l x[t-l]; x shape (T,) or (T, C)."""
    return transforms.apply_adstock(x, weights)


def saturation_np(a: np.ndarray, spec: dict[str, Any]) -> np.ndarray:
    """β·sat(a) for a truth saturation spec (hill or logistic)."""
    with np.errstate(over="ignore"):  # Hill at a = 0 overflows exp() on the way to its exact 0
        return np.asarray(transforms.saturation(spec["type"], np.asarray(a, dtype=float), spec))


def _monday(d: dt.date) -> dt.date:
    return d - dt.timedelta(days=d.weekday())


def simulate_media(
    weeks: int = 104,
    seed: int = 0,
    start: dt.date = dt.date(2024, 1, 1),
    channels: Sequence[str] | None = None,
    confounded: str | None = "search",
) -> MediaWorld:
    """Draw a weekly media world with known truth.

    Args:
        weeks: number of weeks T (26..520).
        seed: random seed; the same seed gives the same world.
        start: first week (moved back to its Monday).
        channels: channel names (default :data:`DEFAULT_CHANNELS`); unknown names get random specs.
        confounded: channel whose spend follows latent demand (None: no confounding).

    Returns:
        The world; ``truth`` holds ``weeks``, ``start``, ``kpi``, ``currency``, per-channel
        ``adstock``/``saturation``/``spend_total``/``contribution_total``/``roi``/
        ``current_weekly_spend``, ``baseline_total``, ``controls`` and ``experiments``.
    """
    chans = list(channels) if channels is not None else list(DEFAULT_CHANNELS)
    if not 26 <= weeks <= 520:
        raise ConfigError(f"weeks={weeks} is out of range", ["weeks must be between 26 and 520"])
    if not chans or len(set(chans)) != len(chans):
        raise ConfigError(f"channels={chans} is invalid", ["give one or more distinct channel names"])
    if confounded is not None and confounded not in chans:
        raise ConfigError(f"confounded={confounded!r} is not a channel", [f"pick one of {chans} or None"])
    rng = np.random.default_rng(seed)
    t_idx = np.arange(weeks, dtype=float)
    first = _monday(start)
    dates = [first + dt.timedelta(days=7 * i) for i in range(weeks)]
    ev = retail_events(dates)
    year_phase = 2 * np.pi * np.array([d.timetuple().tm_yday for d in dates]) / 365.25

    # latent demand d_t: AR(1), not observed by any regressor
    rho, innov = DEMAND_RHO, DEMAND_INNOV_SD
    eps = rng.normal(0.0, innov, weeks)
    d = np.zeros(weeks)
    d[0] = eps[0] / np.sqrt(1 - rho**2)
    for i in range(1, weeks):
        d[i] = rho * d[i - 1] + eps[i]

    growth = rng.uniform(0.04, 0.12)
    trend = 1.0 + growth * t_idx / 52.0
    season = 1.0 + 0.08 * np.sin(year_phase - 1.2) + 0.03 * np.cos(2 * year_phase)
    event_mult = 1.0 + sum(EVENT_BASELINE[k] * ev[k] for k in EVENT_BASELINE)
    demand = BASE_LEVEL * trend * season * event_mult * np.exp(d)

    # controls
    price = np.zeros(weeks)
    pe = rng.normal(0, 0.015, weeks)
    for i in range(weeks):
        price[i] = (0.7 * price[i - 1] if i else 0.0) + pe[i]
    price_index = 1.0 + price - 0.06 * (ev["event_618"] + ev["event_double11"])
    promo = (rng.random(weeks) < 0.15).astype(float)
    price_coef = -1.5 * BASE_LEVEL
    promo_coef = 0.06 * BASE_LEVEL
    control_effect = price_coef * (price_index - 1.0) + promo_coef * promo
    baseline = demand + control_effect

    # spend
    n = len(chans)
    spend = np.zeros((weeks, n))
    impressions = np.zeros((weeks, n))
    contrib = np.zeros((weeks, n))
    truth_ch: dict[str, Any] = {}
    event_spend = sum(EVENT_SPEND[k] * ev[k] for k in EVENT_SPEND)
    for j, ch in enumerate(chans):
        if ch in _CHANNEL_SPECS:
            level, cpm, alpha, sat_type, roi, on_air, ev_sens = _CHANNEL_SPECS[ch]
            level *= rng.uniform(0.85, 1.15)
            alpha = float(np.clip(alpha * rng.uniform(0.8, 1.2), 0.05, 0.85))
            roi *= rng.uniform(0.85, 1.2)
        else:
            level = float(np.exp(rng.uniform(np.log(20_000), np.log(400_000))))
            cpm = rng.uniform(10, 80)
            alpha = rng.uniform(0.1, 0.7)
            sat_type = "hill" if rng.random() < 0.6 else "logistic"
            roi = rng.uniform(0.6, 2.5)
            on_air, ev_sens = 1.0, rng.uniform(0.2, 1.0)
        phase = rng.uniform(0, 2 * np.pi)
        shape = 1.0 + 0.15 * np.sin(year_phase + phase) + ev_sens * event_spend
        noise = rng.lognormal(0.0, SPEND_NOISE, weeks)
        if ch == confounded:
            noise = rng.lognormal(0.0, 0.12, weeks) * np.exp(CONFOUNDING * d)
        x = level * np.clip(shape, 0.2, None) * noise
        if on_air < 1.0:
            x *= rng.random(weeks) < on_air
        spend[:, j] = np.round(x, 2)
        impressions[:, j] = np.round(spend[:, j] / (cpm * rng.lognormal(0, 0.08, weeks)) * 1000.0)
        w = geometric_weights(alpha)
        a = adstock_np(spend[:, j], w)
        if sat_type == "hill":
            on = a[a > 0]
            k = float(np.median(on) * rng.uniform(0.7, 1.4)) if on.size else level
            sat: dict[str, Any] = {
                "type": "hill",
                "beta": 1.0,
                "half_saturation": k,
                "slope": float(rng.uniform(1.0, 2.0)),
            }
        else:
            mean_on = float(a[a > 0].mean()) if (a > 0).any() else level
            sat = {"type": "logistic", "beta": 1.0, "lam": float(rng.uniform(1.0, 2.5) / mean_on)}
        unit = saturation_np(a, sat)
        beta = roi * spend[:, j].sum() / unit.sum() if unit.sum() > 0 else 0.0
        sat["beta"] = float(beta)
        contrib[:, j] = saturation_np(a, sat)
        recent = spend[-min(52, weeks) :, j]
        truth_ch[ch] = {
            "adstock": {"type": "geometric", "alpha": alpha, "l_max": L_MAX, "normalized": True},
            "saturation": sat,
            "spend_total": float(spend[:, j].sum()),
            "contribution_total": float(contrib[:, j].sum()),
            "roi": float(contrib[:, j].sum() / spend[:, j].sum()) if spend[:, j].sum() > 0 else 0.0,
            "current_weekly_spend": float(recent.mean()),
            "cpm": float(cpm),
        }

    noise_kpi = rng.normal(0.0, 0.02 * BASE_LEVEL, weeks)
    kpi = baseline + contrib.sum(axis=1) + noise_kpi

    frame: dict[str, Any] = {"week": pd.to_datetime(dates)}
    for j, ch in enumerate(chans):
        frame[f"spend_{ch}"] = spend[:, j]
    for j, ch in enumerate(chans):
        frame[f"impressions_{ch}"] = impressions[:, j]
    frame["price_index"] = np.round(price_index, 4)
    frame["promo"] = promo
    for ev_name, flags in ev.items():
        frame[ev_name] = flags.astype(int)
    frame["baseline"] = baseline
    for j, ch in enumerate(chans):
        frame[f"contribution_{ch}"] = contrib[:, j]
    frame["kpi"] = kpi
    weekly = pd.DataFrame(frame)
    weekly["week"] = weekly["week"].dt.date

    experiments = []
    if confounded is not None:
        j = chans.index(confounded)
        length = 6
        s0 = int(weeks * 0.55)
        # move the window off event weeks
        busy = np.sum(np.stack(list(ev.values())), axis=0)
        while s0 + length < weeks and busy[s0 : s0 + length].sum() > 0:
            s0 += 1
        s0 = min(s0, weeks - length)
        true_lift = float(contrib[s0 : s0 + length, j].sum())
        lift_sd = 0.10 * true_lift
        experiments.append(
            {
                "channel": confounded,
                "start": dates[s0].isoformat(),
                "end": (dates[s0 + length - 1] + dt.timedelta(days=6)).isoformat(),
                "lift": float(true_lift + rng.normal(0.0, lift_sd)),
                "lift_sd": lift_sd,
                "spend": float(spend[s0 : s0 + length, j].sum()),
                "true_lift": true_lift,
            }
        )

    truth: dict[str, Any] = {
        "weeks": weeks,
        "start": first.isoformat(),
        "seed": seed,
        "kpi": "revenue",
        "currency": "CNY",
        "confounded": confounded,
        "channels": truth_ch,
        "baseline_total": float(baseline.sum()),
        "media_total": float(contrib.sum()),
        "kpi_total": float(kpi.sum()),
        "controls": {
            "price_index": {
                "coef": price_coef,
                "reference": 1.0,
                "effect_total": float((price_coef * (price_index - 1)).sum()),
            },
            "promo": {"coef": promo_coef, "effect_total": float((promo_coef * promo).sum())},
        },
        "events": {k: {"baseline_multiplier": 1.0 + v} for k, v in EVENT_BASELINE.items()},
        "noise_sd": 0.02 * BASE_LEVEL,
        "experiments": experiments,
    }
    return MediaWorld(weekly=weekly, truth=truth)
