"""Anomaly detection over every (metric, channel) series: bands, MMM explanation, FDR, episodes.

:func:`series_matrix` stacks the metric frames into one (N, T) matrix; :func:`detect` scores the days
from ``first`` on against :func:`omnimix.monitor.forecast.rolling_bands`, explains KPI series with the
MMM's response curves when given (:mod:`omnimix.monitor.mmm_band`), controls the false-discovery rate
over every test of the run (:func:`omnimix.monitor.testing.bh_reject`), merges consecutive flagged
days of a series into one alert dated at its first day and adds change points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from omnimix.curves import ResponseCurves
from omnimix.metrics import METRICS
from omnimix.monitor.alerts import Alert
from omnimix.monitor.changepoints import cusum_changepoints
from omnimix.monitor.forecast import TRAIN_DAYS, Bands, rolling_bands
from omnimix.monitor.mmm_band import KPI_LIKE, explained_factor
from omnimix.monitor.testing import FDR, bh_reject

#: Metrics monitored by default (20): delivery, funnel, outcome and efficiency.
DEFAULT_METRICS: tuple[str, ...] = (
    "spend", "impressions", "clicks", "touchpoints", "conversions", "revenue", "new_customers",
    "converting_customers", "cac", "roas", "mer", "cross_channel_share", "ctr", "cpc", "aov",
    *(f"stage_{s}" for s in ("awareness", "consideration", "decision", "retention", "advocacy")),
)
#: Smallest shift (in residual standard deviations) reported as a change point.
CHANGE_MIN = 1.5
#: Consecutive flagged days at most this far apart are one episode.
EPISODE_GAP = 6


@dataclass(frozen=True)
class Series:
    """The stacked series: ``keys[i] = (metric, channel or None)``, values (N, T), days (T,)."""

    keys: list[tuple[str, str | None]]
    values: NDArray[np.float64]
    days: pd.DatetimeIndex


def series_matrix(total: pd.DataFrame, per_channel: pd.DataFrame | None, metrics: list[str]) -> Series:
    """Stack all-channel and per-channel metric frames (from :func:`omnimix.metrics.metric_frame`)."""
    days = pd.DatetimeIndex(total["period"])
    keys: list[tuple[str, str | None]] = []
    rows: list[NDArray[np.float64]] = []
    for m in metrics:
        keys.append((m, None))
        rows.append(total[m].to_numpy(dtype=np.float64))
    if per_channel is not None and not per_channel.empty:
        for ch, g in per_channel.groupby("channel", sort=True):
            g = g.set_index("period").reindex(days)
            for m in metrics:
                if not METRICS[m].channel_level:
                    continue
                v = g[m].to_numpy(dtype=np.float64)
                if np.isfinite(v).any() and np.nanmax(np.abs(v)) > 0:
                    keys.append((m, str(ch)))
                    rows.append(v)
    values = np.vstack(rows) if rows else np.zeros((0, len(days)))
    return Series(keys, values, days)


def _scales(s: Series, spend_bands: Bands, curves: ResponseCurves | None) -> NDArray[np.float64]:
    """Per series and day the multiplier of the expected value that today's actual spend explains."""
    n, t_n = s.values.shape
    scale = np.ones((n, t_n))
    idx = {k: i for i, k in enumerate(s.keys)}
    chans = sorted({c for _, c in s.keys if c is not None})
    ratio_spend: dict[str | None, NDArray[np.float64]] = {}
    for ch in [None, *chans]:
        i = idx.get(("spend", ch))
        if i is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                r = s.values[i] / spend_bands.mean[i]
            ratio_spend[ch] = np.where(np.isfinite(r) & (r > 0), r, 1.0)
    factor = np.ones(t_n)
    if curves is not None:
        cols = [c for c in curves.channels if ("spend", c) in idx]
        if cols:
            act = np.vstack([s.values[idx[("spend", c)]] for c in cols])
            exp = np.vstack([np.nan_to_num(spend_bands.mean[idx[("spend", c)]], nan=0.0) for c in cols])
            i_rev = idx.get(("revenue", None))
            base = spend_bands.mean[i_rev] if i_rev is not None else None
            if base is not None:
                factor = explained_factor(curves, cols, act, exp, base)
    if curves is None:
        return scale
    for i, (m, ch) in enumerate(s.keys):
        meta = METRICS[m]
        parts = (meta.numerator, meta.denominator) if meta.kind == "ratio" else (m, "")
        if not any(x in KPI_LIKE for x in parts):
            continue
        f = [factor if x in KPI_LIKE else ratio_spend.get(ch, np.ones(t_n)) if x == "spend" else np.ones(t_n)
             for x in parts]
        scale[i] = f[0] / f[1] if meta.kind == "ratio" else f[0]
    return scale


def detect(s: Series, first: int, *, fdr: float = FDR, train: int = TRAIN_DAYS,
           curves: ResponseCurves | None = None, level: float = 0.99) -> tuple[list[Alert], Bands]:
    """Alerts for days ``first …`` of every series in ``s``.

    Args:
        s: the stacked series.
        first: index of the first monitored day (the days before are training only).
        fdr: false-discovery rate over every (series, day) test of the run (change points:
            Bonferroni over the series at the same level).
        train: training days per forecast block.
        curves: the MMM's weekly response curves (posterior draws); KPI series are then expected given
            the spend that actually ran.
        level: coverage of the reported bands.

    Returns:
        The alerts (one per episode or change point) and the bands.
    """
    y = s.values
    # first pass: spend's own expectation (what the channel would have spent), for the explanations
    base = rolling_bands(y, first, train=train, level=level)
    scale = _scales(s, base, curves)
    bands = rolling_bands(y, first, train=train, level=level, expected_scale=scale) \
        if not np.allclose(scale, 1.0) else base
    cp = cusum_changepoints(bands.z, first)
    n, t_n = y.shape
    flag = bh_reject(np.where(np.arange(t_n)[None, :] >= first, bands.p, np.nan), fdr)
    # a change point is a slow shift the daily tests missed: Bonferroni over series, and a shift of at
    # least CHANGE_MIN residual standard deviations
    with np.errstate(invalid="ignore"):
        cp_flag = (cp.p < fdr / max(n, 1)) & (np.abs(cp.shift) >= CHANGE_MIN)
    alerts: list[Alert] = []
    for i, (m, ch) in enumerate(s.keys):
        days = np.nonzero(flag[i])[0]
        starts: list[int] = []
        last = -EPISODE_GAP - 1
        for d in days:
            if d - last > EPISODE_GAP:
                starts.append(int(d))
            last = int(d)
        for d in starts:
            alerts.append(_anomaly(s, bands, i, d, m, ch))
        if cp_flag[i] and cp.day[i] >= 0 and not starts:
            alerts.append(_anomaly(s, bands, i, int(cp.day[i]), m, ch, change=float(cp.shift[i])))
    return alerts, bands


def _anomaly(s: Series, b: Bands, i: int, d: int, m: str, ch: str | None, change: float | None = None) -> Alert:
    meta = METRICS[m]
    v, mu = float(s.values[i, d]), float(b.mean[i, d])
    where = f" ({ch})" if ch else ""
    day = s.days[d].date().isoformat()
    if change is not None:
        word = "up" if change > 0 else "down"
        msg = f"{meta.en}{where} shifted {word} from {day}: {v:,.4g} against {mu:,.4g} expected"
    else:
        word = "above" if v > mu else "below"
        msg = (f"{meta.en}{where} {v:,.4g} on {day} is {word} the expected band "
               f"{b.lo[i, d]:,.4g}–{b.hi[i, d]:,.4g}")
    sev = "critical" if abs(float(b.z[i, d])) > 8 else "warning"
    return Alert("anomaly", m, ch, day, v, mu, float(b.lo[i, d]), float(b.hi[i, d]), sev, msg,
                 p=float(b.p[i, d]))
