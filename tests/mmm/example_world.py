"""A public-example-shaped MMM world for the unit-invariance and conflict tests.

Shaped like the PyMC-Marketing example data the issue's finding used: 179 weeks, a revenue KPI of a few
thousand per week, two channels, yearly seasonality, two one-off events and a trend. Spend is drawn in
currency (thousands per week; one channel dark in a few weeks, one flighted with 40% of weeks off air, so
min-max scaling is a change of unit, not a shift of the level); the
truth is a geometric adstock and a logistic saturation on spend divided by its largest value, so the
truth's media share of the KPI is known exactly.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd


def _adstock(x: np.ndarray, alpha: float, l_max: int = 8) -> np.ndarray:
    w = alpha ** np.arange(l_max, dtype=float)
    w = w / w.sum()
    out = np.zeros_like(x)
    for lag in range(l_max):
        out[lag:] += w[lag] * x[: len(x) - lag]
    return out


def example_world(seed: int = 0, weeks: int = 179, media_scale: float = 1.0) -> tuple[pd.DataFrame, dict[str, float]]:
    """The weekly table (``date, y, x1, x2, event_1, event_2``) and the true shares of the KPI.

    ``media_scale`` multiplies the media effect (1: media ≈ a third of the KPI).
    """
    rng = np.random.default_rng(seed)
    dates = [dt.date(2018, 4, 2) + dt.timedelta(weeks=i) for i in range(weeks)]
    x1 = rng.uniform(20_000, 80_000, weeks)
    x1 = np.where(x1 > 70_000, x1, x1 / 2)
    x1 = np.where(rng.uniform(size=weeks) > 0.08, x1, 0.0)  # a few weeks dark
    x2 = rng.uniform(10_000, 60_000, weeks)
    x2 = np.where(rng.uniform(size=weeks) > 0.4, x2, 0.0)
    sat1 = np.tanh(4.0 * _adstock(x1 / x1.max(), 0.4) / 2)  # logistic (1-e^-λa)/(1+e^-λa) = tanh(λa/2)
    sat2 = np.tanh(3.0 * _adstock(x2 / x2.max(), 0.2) / 2)
    t = np.arange(weeks)
    doy = np.array([d.timetuple().tm_yday for d in dates])
    season = 0.5 * np.sin(2 * np.pi * doy / 365.25) + 0.3 * np.cos(4 * np.pi * doy / 365.25)
    ev1 = (t == 45).astype(float)
    ev2 = (t == 120).astype(float)
    base = 4.0 + 0.6 * t / weeks + season + 1.2 * ev1 + 1.0 * ev2
    m1 = media_scale * 2.0 * sat1
    m2 = media_scale * 1.4 * sat2
    noise = rng.normal(0, 0.25, weeks)
    scale = 1000.0
    y = scale * (base + m1 + m2 + noise)
    frame = pd.DataFrame({"date": dates, "y": y, "x1": x1, "x2": x2, "event_1": ev1, "event_2": ev2})
    total = y.sum()
    truth = {"x1": float(scale * m1.sum() / total), "x2": float(scale * m2.sum() / total)}
    truth["media"] = truth["x1"] + truth["x2"]
    return frame, truth
