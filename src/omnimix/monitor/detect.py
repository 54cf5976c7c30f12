"""Anomaly detection over every (metric, channel) series: bands, MMM explanation, FDR, episodes.

:func:`series_matrix` stacks the metric frames into one (N, T) matrix; :func:`detect` scores the days
from ``first`` on against :func:`omnimix.monitor.forecast.rolling_bands`, explains KPI series with the
MMM's response curves when given (:mod:`omnimix.monitor.mmm_band`), controls the false-discovery rate
over every test of the run (:func:`omnimix.monitor.testing.bh_reject`), merges consecutive flagged
days of a series into one alert dated at its first day and adds change points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from omnimix.curves import ResponseCurves
from omnimix.metrics import METRICS
from omnimix.monitor.alerts import Alert
from omnimix.monitor.changepoints import cusum_changepoints
from omnimix.monitor.forecast import TRAIN_DAYS, Bands, rolling_bands
from omnimix.monitor.mmm_band import KPI_LIKE, media_contribution
from omnimix.monitor.testing import FDR, bh_reject

#: Metrics monitored by default (20): delivery, funnel, outcome and efficiency.
DEFAULT_METRICS: tuple[str, ...] = (
    "spend", "impressions", "clicks", "touchpoints", "conversions", "revenue", "new_customers",
    "converting_customers", "cac", "roas", "mer", "cross_channel_share", "ctr", "cpc", "aov",
    *(f"stage_{s}" for s in ("awareness", "consideration", "decision", "retention", "advocacy")),
)
#: Window lengths (days) of the scan: single days, three days, a week.
SCAN_LENGTHS: tuple[int, ...] = (1, 3, 7)
#: How far the first day of a longer window must stand out to date the window there.
ONSET_Z = 3.0
#: Smallest shift (in residual standard deviations) reported as a change point.
CHANGE_MIN = 1.5
#: Days before the monitored window over which a KPI's ratio to revenue (its share of the media
#: contribution) is measured: the most recent four weeks, as the ratio drifts (new customers per
#: order fall as a customer base fills up).
RATIO_DAYS = 28
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


@dataclass(frozen=True)
class Explanation:
    """The MMM's additive explanation of the KPI series (rows of :class:`Series`).

    Attributes:
        base: the spend-free series to forecast, (N, T): a KPI series minus its media part; for a
            ratio, its KPI part minus that part's media; other rows unchanged.
        add: the media part added back to the forecast, in the (KPI part's) units, (N, T).
        add_sd: its spread over the posterior draws, (N, T).
        part: per row 0 (not explained), 1 (the series is a KPI), 2 (a ratio over spend whose
            numerator is the KPI: ROAS, MER), 3 (spend over a KPI: CAC).
        spend: the ratio rows' actual spend, (N, T) (NaN elsewhere).
    """

    base: NDArray[np.float64]
    add: NDArray[np.float64]
    add_sd: NDArray[np.float64]
    part: NDArray[np.int8]
    spend: NDArray[np.float64]

    def bands(self, raw: Bands) -> Bands:
        """The bands of the original series from ``raw``, the bands of :attr:`base`."""
        mean, lo, hi, z = raw.mean.copy(), raw.lo.copy(), raw.hi.copy(), raw.z.copy()
        for code in (1, 2, 3):
            r = self.part == code
            if not r.any():
                continue
            mu, a, b = raw.mean[r] + self.add[r], raw.lo[r] + self.add[r], raw.hi[r] + self.add[r]
            sp = self.spend[r]
            with np.errstate(divide="ignore", invalid="ignore"):
                if code == 1:
                    mean[r], lo[r], hi[r] = mu, a, b
                elif code == 2:
                    mean[r], lo[r], hi[r] = mu / sp, a / sp, b / sp
                else:  # spend over the KPI: the band's ends swap, z changes sign
                    mean[r], lo[r], hi[r] = sp / mu, sp / np.maximum(b, 1e-12), np.where(a > 0, sp / a, np.inf)
                    z[r] = -raw.z[r]
        return Bands(mean, lo, hi, z, raw.p, raw.level, raw.df, raw.edge, raw.rho)


def _explain(s: Series, curves: ResponseCurves, first: int, train: int) -> Explanation | None:
    """The MMM's additive explanation of every KPI series (see :mod:`omnimix.monitor.mmm_band`).

    A series of a KPI-like metric gets ``k_i · M(x_t)``: its ratio ``k_i`` to revenue over the
    :data:`RATIO_DAYS` days before the window times the media contribution of the spend that
    actually ran. A ratio with one KPI-like part and spend as the other (ROAS, MER, CAC) is
    explained through that part, rebuilt from the ratio and the series' actual spend. None when no
    channel of the curves has spend here.
    """
    n, t_n = s.values.shape
    idx = {k: i for i, k in enumerate(s.keys)}
    cols = [c for c in curves.channels if ("spend", c) in idx]
    i_rev = idx.get(("revenue", None))
    if not cols:
        return None
    act = np.vstack([s.values[idx[("spend", c)]] for c in cols])
    m_mean, m_sd = media_contribution(curves, cols, act)
    lo = max(0, first - min(train, RATIO_DAYS))
    rev = s.values[i_rev] if i_rev is not None else None
    base = s.values.copy()
    add = np.zeros((n, t_n))
    add_sd = np.zeros((n, t_n))
    part = np.zeros(n, dtype=np.int8)  # 0 none, 1 the series itself, 2 ratio numerator, 3 denominator
    spend_of = np.full((n, t_n), np.nan)
    for i, (m, ch) in enumerate(s.keys):
        meta = METRICS[m]
        if meta.kind == "ratio":
            kpi = [x in KPI_LIKE for x in (meta.numerator, meta.denominator)]
            other = meta.denominator if kpi[0] else meta.numerator
            i_sp = idx.get(("spend", ch))
            if sum(kpi) != 1 or other != "spend" or i_sp is None:
                continue
            sp = s.values[i_sp]
            with np.errstate(divide="ignore", invalid="ignore"):
                kpart = s.values[i] * sp if kpi[0] else sp / s.values[i]
            part[i], spend_of[i] = (2 if kpi[0] else 3), sp
        elif m in KPI_LIKE:
            kpart, part[i] = s.values[i], 1
        else:
            continue
        if rev is None:
            k = 1.0 if m == "revenue" else np.nan
        else:
            seen = np.isfinite(kpart[lo:first])
            num, den = np.nansum(kpart[lo:first]), np.nansum(np.where(seen, rev[lo:first], 0.0))
            k = float(num / den) if den > 0 else np.nan
        if not np.isfinite(k):
            part[i] = 0
            continue
        add[i], add_sd[i] = k * m_mean, k * m_sd
        base[i] = kpart - add[i]
    if not part.any():
        return None
    return Explanation(base, add, add_sd, part, spend_of)


def detect(s: Series, first: int, *, fdr: float = FDR, train: int = TRAIN_DAYS,
           curves: ResponseCurves | None = None, level: float = 0.99,
           tail_df: float = 0.0) -> tuple[list[Alert], Bands]:
    """Alerts for days ``first …`` of every series in ``s``.

    Args:
        s: the stacked series.
        first: index of the first monitored day (the days before are training only).
        fdr: false-discovery rate over every (series, day) test of the run (change points:
            Bonferroni over the series at the same level).
        train: training days per forecast block.
        curves: the MMM's weekly response curves (posterior draws); KPI series are then expected given
            the spend that actually ran: the seasonal forecast of the spend-free series plus the
            media contribution of the actual spend (additive, as the MMM is).
        level: coverage of the reported bands.
        tail_df: fixed Student-t degrees of freedom of the p-values (0: fitted per series).

    Returns:
        The alerts (one per episode or change point) and the bands.
    """
    y = s.values
    groups = [m for m, _ in s.keys]
    ex = _explain(s, curves, first, train) if curves is not None else None
    if ex is None:
        bands = rolling_bands(y, first, train=train, level=level, tail_df=tail_df, tail_groups=groups)
    else:  # KPI series minus what the spend that ran explains, forecast, then the media part added back
        raw = rolling_bands(ex.base, first, train=train, level=level, tail_df=tail_df, extra_sd=ex.add_sd,
                            tail_groups=groups)
        bands = ex.bands(raw)
    cp = cusum_changepoints(bands.z, first)
    n = y.shape[0]
    flag = scan_flags(bands, first, fdr, groups=groups)
    # a change point is a slow shift the daily tests missed: Bonferroni over series, and a shift of at
    # least CHANGE_MIN residual standard deviations
    with np.errstate(invalid="ignore"):
        cp_flag = (cp.p < fdr / max(n, 1)) & (np.abs(cp.shift) >= CHANGE_MIN)
    alerts: list[Alert] = []
    for i, (m, ch) in enumerate(s.keys):
        days = np.nonzero(flag[i])[0]
        starts: list[int] = []
        last = -EPISODE_GAP - 1
        for day in days.tolist():
            if day - last > EPISODE_GAP:
                starts.append(day)
            last = day
        for d0 in starts:
            alerts.append(_anomaly(s, bands, i, d0, m, ch))
        if cp_flag[i] and cp.day[i] >= 0 and not starts:
            alerts.append(_anomaly(s, bands, i, int(cp.day[i]), m, ch, change=float(cp.shift[i])))
    return alerts, bands


def scan_flags(bands: Bands, first: int, fdr: float, lengths: tuple[int, ...] = SCAN_LENGTHS,
               groups: list[str] | None = None) -> NDArray[np.bool_]:
    """Days flagged by the scan over windows of ``lengths`` days, with BH over every window test.

    Benjamini–Hochberg runs per family of ``groups`` (the monitor: one family per metric, over its
    channels, days and window lengths). A window of ``L`` days starting on day ``t`` is tested with
    ``Σ z / √(L + L(L − 1)·ρ)`` (its own p-value for ``L = 1``, the normal for longer windows, whose
    sums are close to normal; ``ρ`` is the correlation the days of a forecast block share,
    ``Bands.rho``). A rejected window flags its first day when that day stands out in the window's
    direction (``|z|`` at least ``ONSET_Z`` and outside the reported band; a window that reaches back
    before the onset is not dated there) and the later days whose ``z`` has the same sign and
    ``|z| ≥ 2``, so a week-long drop is found even when no single day is extreme on its own.
    """
    z = bands.z
    n, t_n = z.shape
    zz = np.where(np.isfinite(z), z, 0.0)
    zz[:, :first] = 0.0
    valid = np.isfinite(z)
    valid[:, :first] = False
    rr = np.where(valid, np.nan_to_num(bands.rho, nan=0.0), 0.0) if bands.rho is not None else np.zeros((n, t_n))
    tests: list[NDArray[np.float64]] = []
    for length in lengths:
        if length == 1:
            tests.append(np.where(valid, bands.p, np.nan))
            continue
        csum = np.concatenate([np.zeros((n, 1)), np.cumsum(zz, axis=1)], axis=1)
        cnt = np.concatenate([np.zeros((n, 1)), np.cumsum(valid, axis=1)], axis=1)
        crho = np.concatenate([np.zeros((n, 1)), np.cumsum(rr, axis=1)], axis=1)
        p = np.full((n, t_n), np.nan)
        if t_n - first >= length:
            sl = slice(first, t_n - length + 1)
            tot = csum[:, length:][:, sl.start - 0: sl.stop] - csum[:, :-length][:, sl]
            k = cnt[:, length:][:, sl] - cnt[:, :-length][:, sl]
            rbar = (crho[:, length:][:, sl] - crho[:, :-length][:, sl]) / length
            # the days of a block share the estimates' error: Var(Σz) = L + L(L − 1)·ρ
            var = length + length * (length - 1) * rbar
            with np.errstate(invalid="ignore", divide="ignore"):
                stat = np.where(k == length, tot / np.sqrt(var), np.nan)
            p[:, sl] = np.where(np.isfinite(stat), 2.0 * stats.norm.sf(np.abs(stat)), np.nan)
        tests.append(p)
    stacked = np.stack(tests)  # (L, N, T)
    if groups is None:
        rej = bh_reject(stacked, fdr)
    else:  # one family per metric: a spend cut's many discoveries do not loosen the revenue tests
        rej = np.zeros(stacked.shape, dtype=bool)
        labels = np.asarray(groups)
        for gname in dict.fromkeys(groups):
            rows = labels == gname
            rej[:, rows] = bh_reject(stacked[:, rows], fdr)
    onset = np.maximum(ONSET_Z, np.nan_to_num(bands.edge_at(), nan=ONSET_Z))
    flag = np.zeros((n, t_n), dtype=bool)
    for li, length in enumerate(lengths):
        for i, t in zip(*np.nonzero(rej[li]), strict=True):
            w = zz[i, t:t + length]
            sign = np.sign(w.sum()) or 1.0
            if length > 1 and not (np.sign(w[0]) == sign and abs(w[0]) >= onset[i, t]):
                continue  # the window is dated by its first day, which must itself stand out
            hit = (np.sign(w) == sign) & (np.abs(w) >= 2.0)
            hit[0] = True
            flag[i, t:t + length] |= hit
    return flag


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
                 p=float(b.p[i, d]), trace=_trace(s, b, i, d))


#: Days of the series before and after an alert's day kept in its trace (the dashboard's chart).
TRACE_BEFORE, TRACE_AFTER = 28, 7


def _trace(s: Series, b: Bands, i: int, d: int) -> dict[str, list[Any]]:
    lo, hi = max(0, d - TRACE_BEFORE), min(s.values.shape[1], d + TRACE_AFTER + 1)

    def col(a: NDArray[np.float64]) -> list[Any]:
        return [float(round(x, 6)) if np.isfinite(x) else None for x in a[i, lo:hi].tolist()]

    return {"dates": [x.date().isoformat() for x in s.days[lo:hi]], "value": col(s.values),
            "mean": col(b.mean), "lo": col(b.lo), "hi": col(b.hi)}
