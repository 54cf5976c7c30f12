"""Seasonality-aware expected bands for many daily series at once (numpy, vectorised over series).

The model, per series, on ``x = log(y + c)`` (``c`` = a tenth of the series' median, at least 0.5, so
zeros are allowed and the seasonality is multiplicative):

* a robust linear trend: the Theil–Sen slope over the weekly medians of the training window (the
  median of every pairwise slope) and the median intercept;
* a day-of-week profile: the median of the detrended values per weekday, centred (two passes);
* a robust scale: 1.4826 × the median absolute residual, floored so a flat series does not alert on
  noise of one unit.

:func:`rolling_bands` refits every ``step`` days on the ``train`` days before the block and forecasts
the block, like GA4's anomaly insight (90 days of training for daily data). The forecast variance
grows with the horizon for the trend's uncertainty. Residual ``z`` scores and two-sided normal
Student-t p-values feed the multiple-testing control in :mod:`omnimix.monitor.testing`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

FloatArray = NDArray[np.float64]

#: Days of training before each forecast block (GA4 uses 90 days for daily data).
TRAIN_DAYS = 90
#: Days per forecast block (refit cadence).
STEP_DAYS = 7
#: Degrees of freedom of the Student-t behind the p-values: heavier tails than the normal, for the
#: outliers real marketing series have and the uncertainty of a scale estimated from 90 days.
TAIL_DF = 6
#: Fewest training days with a value for a series to get a band.
MIN_TRAIN = 28


@dataclass(frozen=True)
class Bands:
    """Expected values and bands of ``N`` series over ``T`` days (NaN where there is no band).

    Attributes:
        mean: expected value on the original scale, (N, T).
        lo: lower end of the central band, (N, T).
        hi: upper end, (N, T).
        z: standardised residual on the log scale, (N, T).
        p: two-sided p-value of ``z``, (N, T).
        level: the band's coverage (e.g. 0.99).
        df: degrees of freedom of the Student-t behind ``p`` and the band.
    """

    mean: FloatArray
    lo: FloatArray
    hi: FloatArray
    z: FloatArray
    p: FloatArray
    level: float
    df: float = TAIL_DF

    @property
    def quantile(self) -> float:
        """The ``|z|`` at the band's edge."""
        return float(stats.t.ppf(0.5 + self.level / 2, self.df))


def _offset(train: FloatArray) -> FloatArray:
    med = np.nanmedian(np.where(train > 0, train, np.nan), axis=1)
    med = np.where(np.isfinite(med), med, 1.0)
    return np.maximum(0.1 * med, 0.5)


def _theil_sen(xw: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Slope per index unit and intercept of each row of ``xw`` (N, K) (NaN-aware)."""
    n, k = xw.shape
    idx = np.arange(k, dtype=np.float64)
    i, j = np.triu_indices(k, 1)
    with np.errstate(invalid="ignore"):
        slopes = (xw[:, j] - xw[:, i]) / (j - i)
    slope = np.nanmedian(slopes, axis=1) if slopes.shape[1] else np.zeros(n)
    slope = np.where(np.isfinite(slope), slope, 0.0)
    inter = np.nanmedian(xw - slope[:, None] * idx[None, :], axis=1)
    return slope, inter


@dataclass(frozen=True)
class Fit:
    """One fitted block: ``x_hat(t) = a + b·(t − t0) + dow[t mod 7]`` per series, scale ``sigma``."""

    a: FloatArray
    b: FloatArray
    dow: FloatArray  # (N, 7)
    sigma: FloatArray
    c: FloatArray
    t0: int
    n_train: int
    ok: NDArray[np.bool_]


def fit_block(y: FloatArray, start: int, end: int, period: int = 7) -> Fit:
    """Fit the model on columns ``[start, end)`` of ``y`` (N, T); ``t0 = end`` (the forecast origin)."""
    tr = y[:, start:end].astype(np.float64)
    n, w = tr.shape
    c = _offset(tr)
    x = np.log(np.maximum(tr, 0.0) + c[:, None])
    t = np.arange(start, end) - end  # negative offsets to the origin
    ph = np.arange(start, end) % period
    dow = np.zeros((n, period))
    slope = np.zeros(n)
    inter = np.nanmedian(x, axis=1)
    for _ in range(2):
        detr = x - (inter[:, None] + slope[:, None] * t[None, :])
        for d in range(period):
            cols = ph == d
            dow[:, d] = np.nanmedian(detr[:, cols], axis=1) if cols.any() else 0.0
        dow = np.where(np.isfinite(dow), dow, 0.0)
        dow -= dow.mean(axis=1, keepdims=True)
        des = x - dow[:, ph]
        k = w // period
        if k >= 2:
            blocks = des[:, w - k * period:].reshape(n, k, period)
            wk = np.nanmedian(blocks, axis=2)
            s_w, _ = _theil_sen(wk)
            slope = s_w / period
        inter = np.nanmedian(des - slope[:, None] * t[None, :], axis=1)
    resid = x - (inter[:, None] + slope[:, None] * t[None, :] + dow[:, ph])
    mad = np.nanmedian(np.abs(resid - np.nanmedian(resid, axis=1, keepdims=True)), axis=1)
    level = np.exp(inter)
    floor = np.log1p(1.0 / np.maximum(level, 1.0)) + 0.01  # one unit on a flat series
    sigma = np.maximum(1.4826 * mad, floor)
    n_ok = np.sum(np.isfinite(tr), axis=1)
    ok = (n_ok >= min(MIN_TRAIN, w)) & np.isfinite(inter) & (np.nanmax(np.abs(tr), axis=1) > 0)
    return Fit(inter, slope, dow, sigma, c, end, w, ok)


def forecast(fit: Fit, t_idx: NDArray[np.int64], period: int = 7) -> tuple[FloatArray, FloatArray]:
    """Log-scale mean and standard deviation at absolute day indices ``t_idx`` (each ≥ ``t0``)."""
    h = (t_idx - fit.t0).astype(np.float64)
    mu = fit.a[:, None] + fit.b[:, None] * h[None, :] + fit.dow[:, t_idx % period]
    sd = fit.sigma[:, None] * np.sqrt(1.0 + (h[None, :] + 1.0) / max(fit.n_train, 1)
                                      + ((h[None, :] + 1.0) / max(fit.n_train, 1)) ** 2 * 3.0)
    return mu, sd


def rolling_bands(y: FloatArray, first: int, *, train: int = TRAIN_DAYS, step: int = STEP_DAYS,
                  level: float = 0.99, expected_scale: FloatArray | None = None, period: int = 7,
                  tail_df: float = 0.0) -> Bands:
    """Bands for columns ``first …`` of ``y`` (N, T), each block fitted on the ``train`` days before it.

    Args:
        y: the series, rows = series, columns = days; NaN = no value.
        first: first day index to score (needs ``first ≥ MIN_TRAIN``).
        train: training days per block.
        step: days per block.
        level: coverage of the ``lo``–``hi`` band.
        expected_scale: optional (N, T) multiplier of the expected value (the MMM's explanation of a
            spend change, see :mod:`omnimix.monitor.mmm_band`); 1 where None.
        period: the seasonal period in columns (7: day of week for daily data).
        tail_df: degrees of freedom of the Student-t behind the p-values (0: :data:`TAIL_DF`).

    Returns:
        :class:`Bands` of shape (N, T); columns before ``first`` are NaN.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices of empty series
        return _rolling(y, first, train, step, level, expected_scale, period, tail_df or TAIL_DF)


def _rolling(y: FloatArray, first: int, train: int, step: int, level: float,
             expected_scale: FloatArray | None, period: int, df: float) -> Bands:
    n, t_n = y.shape
    shape = (n, t_n)
    mean, lo, hi, z, p = (np.full(shape, np.nan) for _ in range(5))
    q = float(stats.t.ppf(0.5 + level / 2, df))
    for b0 in range(max(first, 1), t_n, step):
        b1 = min(b0 + step, t_n)
        fit = fit_block(y, max(0, b0 - train), b0, period)
        idx = np.arange(b0, b1)
        mu, sd = forecast(fit, idx, period)
        if expected_scale is not None:
            mu = mu + np.log(np.clip(expected_scale[:, b0:b1], 1e-9, None))
        c = fit.c[:, None]
        obs = y[:, b0:b1]
        x = np.log(np.maximum(obs, 0.0) + c)
        zz = (x - mu) / sd
        good = fit.ok[:, None] & np.isfinite(obs)
        mean[:, b0:b1] = np.where(good, np.maximum(np.exp(mu) - c, 0.0), np.nan)
        lo[:, b0:b1] = np.where(good, np.maximum(np.exp(mu - q * sd) - c, 0.0), np.nan)
        hi[:, b0:b1] = np.where(good, np.exp(mu + q * sd) - c, np.nan)
        z[:, b0:b1] = np.where(good, zz, np.nan)
    with np.errstate(invalid="ignore"):
        p = np.where(np.isfinite(z), 2.0 * stats.t.sf(np.abs(z), df), np.nan)
    return Bands(mean, lo, hi, z, p, level, df)
