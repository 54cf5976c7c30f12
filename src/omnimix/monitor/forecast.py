"""Seasonality-aware expected bands for many daily series at once (numpy, vectorised over series).

The model, per series, on ``x = log(y + c)`` (``c`` = a tenth of the series' median, at least 0.5, so
zeros are allowed and the seasonality is multiplicative):

* a robust linear trend: the Theil–Sen slope over the weekly medians of the training window (the
  median of every pairwise slope) and the median intercept;
* a day-of-week profile: the median of the detrended values per weekday, centred (two passes);
* a robust scale: 1.4826 × the median absolute residual, corrected for the parameters the fit spent
  (``√(n / (n − period − 2))``) and floored so a flat series does not alert on noise of one unit.

:func:`rolling_bands` refits every ``step`` days on the ``train`` days before the block and forecasts
the block, like GA4's anomaly insight (90 days of training for daily data). The forecast variance
adds the estimates' own error (medians of the level and of each seasonal phase) and grows with the
horizon for the trend's uncertainty. Residual ``z`` scores and two-sided Student-t
p-values feed the multiple-testing control in :mod:`omnimix.monitor.testing`.

**The tail is calibrated on the training residuals** (:func:`fit_tail_df`): the Student-t degrees of
freedom come from a maximum-likelihood fit on a grid (:data:`DF_GRID`, 3 … 200 and the normal) to each
block's training residuals — of one series, or pooled over a group of series (``tail_groups``; the
monitor pools each metric's series, its multiple-testing family) — with the residuals that are
significant anomalies under the fitted tail set aside (a fixed point), because the null a new day is
tested against is the series without anomalies. A family whose history is heavy-tailed gets heavy
tails (a modest ``p`` even for a large ``z``); a well-behaved one gets near-normal tails (a 10-sigma
day is then as unlikely as it looks and survives Benjamini–Hochberg over a large run). ``tail_df > 0``
fixes the degrees of freedom instead.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special, stats
from scipy.special import gammaln

FloatArray = NDArray[np.float64]

#: Days of training before each forecast block (GA4 uses 90 days for daily data).
TRAIN_DAYS = 90
#: Days per forecast block (refit cadence).
STEP_DAYS = 7
#: Degrees of freedom reported for a fitted tail (the grid's median choice is per series; this is the
#: value ``Bands.df`` carries when ``tail_df`` is not fixed: 0 means "fitted per series").
TAIL_DF = 0
#: Candidate Student-t degrees of freedom of the tail fit (``inf`` = the normal).
DF_GRID: tuple[float, ...] = (3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 15.0, 20.0, 30.0, 50.0, 100.0, 200.0, float("inf"))
#: Bonferroni level at which a training residual counts as a past anomaly for the tail fit.
TAIL_ALPHA = 0.01
#: Log-likelihood gain over the normal a Student-t tail needs to be chosen (0: plain maximum
#: likelihood; the partial pooling already keeps a near-normal family near-normal).
TAIL_PENALTY = 0.0
#: Heaviest tail a fit may choose when a series' history has too few points to tell (under 40).
SHORT_DF = 6.0
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
        df: degrees of freedom of the Student-t behind ``p`` and the band: the fixed value, or 0 when
            fitted per series and block (then ``edge`` holds each cell's band edge).
        edge: ``|z|`` at the band's edge per cell, (N, T) (None: from ``df``).
        rho: per cell, the share of the forecast variance that the days of a block have in common
            (the level, profile and trend estimates' error), (N, T): the correlation of two days'
            ``z`` in one block; the scan's window tests need it (None: 0).
    """

    mean: FloatArray
    lo: FloatArray
    hi: FloatArray
    z: FloatArray
    p: FloatArray
    level: float
    df: float = TAIL_DF
    edge: FloatArray | None = None
    rho: FloatArray | None = None

    @property
    def quantile(self) -> float:
        """The ``|z|`` at the band's edge (the median over cells with a band for a fitted tail)."""
        if self.edge is not None:
            ok = np.isfinite(self.edge)
            return float(np.median(self.edge[ok])) if ok.any() else float(stats.norm.ppf(0.5 + self.level / 2))
        return _t_ppf(0.5 + self.level / 2, self.df)

    def edge_at(self) -> FloatArray:
        """``|z|`` at the band's edge for every cell, (N, T)."""
        if self.edge is not None:
            return self.edge
        return np.full(self.z.shape, self.quantile)


def _t_ppf(q: float, df: float) -> float:
    return float(special.stdtrit(df, q))  # the normal's quantile for df = inf


def _t_logpdf(u: FloatArray, df: float) -> FloatArray:
    if not np.isfinite(df):
        return np.asarray(-0.5 * u * u - 0.5 * np.log(2 * np.pi), dtype=np.float64)
    c = gammaln((df + 1) / 2) - gammaln(df / 2) - 0.5 * np.log(df * np.pi)
    return np.asarray(c - (df + 1) / 2 * np.log1p(u * u / df), dtype=np.float64)


def _tail_cut(df: FloatArray, cnt: NDArray[np.int64], alpha: float) -> FloatArray:
    """``|z|`` beyond which a training residual is a significant anomaly under ``t_df`` (Bonferroni
    at ``alpha`` over the row's ``cnt`` values), in units of ``1.4826 × MAD``."""
    q = 1.0 - 0.5 * alpha / np.maximum(cnt, 1)
    q0 = float(special.ndtri(0.75))
    return np.asarray(special.stdtrit(df, q) * q0 / special.stdtrit(df, 0.75), dtype=np.float64)


def fit_tail_df(z: FloatArray, grid: tuple[float, ...] = DF_GRID, alpha: float = TAIL_ALPHA,
                rounds: int = 3, penalty: float | None = None,
                groups: NDArray[np.int64] | None = None) -> FloatArray:
    """Per row of ``z`` (N, W), residuals standardised by ``1.4826 × MAD``: the Student-t degrees of
    freedom (from ``grid``) of greatest likelihood for the series *without its past anomalies*.

    The null a new day is tested against is the series without anomalies, and a training window may
    hold some (an earlier spike). So the fit is a fixed point: set aside the residuals that are
    significant anomalies under ``t_ν`` (Bonferroni at ``alpha`` over the window; first round: the
    normal); fit ``ν`` by maximum likelihood on the rest with the likelihood truncated at that cut;
    repeat (``rounds``). A Gaussian series with one 8-sigma day in its history comes out normal (the
    day is excluded once the normal is fitted), a genuinely heavy-tailed one stays heavy (under ``t₃``
    no day of the window is significant, so none is excluded). For each candidate ``ν`` the residuals
    are rescaled to the Student-t's own MAD (``u = z · t_ν.ppf(0.75) / Φ⁻¹(0.75)``), so the scale is the
    robust one the bands use and only the tail's shape is fitted; the log-likelihood includes the
    rescaling's Jacobian.

    ``groups`` (a label per row) pools partially: each row's log-likelihood ratio against the normal
    is added to the median one of its group's rows, so a few dozen points of one series do not pick
    a heavy tail by chance when its family's typical series is near-normal, while a series whose own
    history is clearly heavier keeps its heavier tail. A finite ``ν`` must gain ``penalty`` over the
    normal (:data:`TAIL_PENALTY`). Rows with fewer than 8 values get :data:`SHORT_DF`.
    """
    penalty = TAIL_PENALTY if penalty is None else penalty
    n, _ = z.shape
    a = np.where(np.isfinite(z), np.abs(z), np.nan)
    ok = np.isfinite(a)
    cnt = ok.sum(axis=1)
    aa = np.where(ok, a, 0.0)
    q0 = float(stats.norm.ppf(0.75))
    gr = np.asarray(grid, dtype=np.float64)
    finite = np.isfinite(gr)
    i_norm = int(np.nonzero(~finite)[0][0]) if (~finite).any() else len(grid) - 1
    ratios = np.array([_t_ppf(0.75, nu) / q0 for nu in grid])
    best = np.full(n, np.inf)  # start from the normal's cut: a past outlier is set aside first
    cut = _tail_cut(best, cnt, alpha)
    for _ in range(rounds + 1):
        kept = ok & (a <= cut[:, None])
        k_n = kept.sum(axis=1)
        ll = np.empty((len(grid), n))
        for gi, nu in enumerate(grid):
            r = ratios[gi]
            inside = 1.0 - 2.0 * special.stdtr(nu, -cut * r)
            ll[gi] = (np.where(kept, _t_logpdf(aa * r, nu), 0.0).sum(axis=1) + k_n * np.log(r)
                      - k_n * np.log(np.maximum(inside, 1e-300)))
        ll -= ll[i_norm]  # log-likelihood ratios against the normal
        ll[:, cnt < 8] = 0.0
        if groups is not None:
            comb = ll.copy()
            for g in np.unique(groups):
                rows = groups == g
                comb[:, rows] += np.median(ll[:, rows], axis=1, keepdims=True)
            ll = comb
        ll[finite] -= penalty  # a heavier tail than the normal must be evidenced
        new = gr[np.argmax(ll, axis=0)]
        if np.array_equal(new, best):
            break
        best = new
        cut = _tail_cut(best, cnt, alpha)
    return np.asarray(np.where(cnt < 8, SHORT_DF, best), dtype=np.float64)


def _nanmedian(a: FloatArray, axis: int = -1, keepdims: bool = False) -> FloatArray:
    """``np.nanmedian`` along ``axis`` by one sort (NaN sorts last): the same values, without
    ``np.nanmedian``'s masked-array path, which dominated the detector's time on short rows."""
    m = np.moveaxis(np.asarray(a, dtype=np.float64), axis, -1)
    srt = np.sort(m, axis=-1)
    cnt = np.isfinite(srt).sum(axis=-1)
    lo = np.take_along_axis(srt, np.clip((cnt - 1) // 2, 0, None)[..., None], axis=-1)[..., 0]
    hi = np.take_along_axis(srt, np.clip(cnt // 2, 0, max(srt.shape[-1] - 1, 0))[..., None], axis=-1)[..., 0]
    out = np.where(cnt > 0, 0.5 * (lo + hi), np.nan)
    return np.expand_dims(out, axis) if keepdims else out


def _offset(train: FloatArray) -> FloatArray:
    med = _nanmedian(np.where(train > 0, train, np.nan), axis=1)
    med = np.where(np.isfinite(med), med, 1.0)
    return np.maximum(0.1 * med, 0.5)


def _theil_sen(xw: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Slope per index unit and intercept of each row of ``xw`` (N, K) (NaN-aware)."""
    n, k = xw.shape
    idx = np.arange(k, dtype=np.float64)
    i, j = np.triu_indices(k, 1)
    with np.errstate(invalid="ignore"):
        slopes = (xw[:, j] - xw[:, i]) / (j - i)
    slope = _nanmedian(slopes, axis=1) if slopes.shape[1] else np.zeros(n)
    slope = np.where(np.isfinite(slope), slope, 0.0)
    inter = _nanmedian(xw - slope[:, None] * idx[None, :], axis=1)
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
    rz: FloatArray | None = None  # (N, W): the training residuals over sigma, for the tail fit


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
    inter = _nanmedian(x, axis=1)
    for _ in range(2):
        detr = x - (inter[:, None] + slope[:, None] * t[None, :])
        for d in range(period):
            cols = ph == d
            dow[:, d] = _nanmedian(detr[:, cols], axis=1) if cols.any() else 0.0
        dow = np.where(np.isfinite(dow), dow, 0.0)
        dow -= dow.mean(axis=1, keepdims=True)
        des = x - dow[:, ph]
        k = w // period
        if k >= 2:
            blocks = des[:, w - k * period:].reshape(n, k, period)
            wk = _nanmedian(blocks, axis=2)
            s_w, _ = _theil_sen(wk)
            slope = s_w / period
        inter = _nanmedian(des - slope[:, None] * t[None, :], axis=1)
    resid = x - (inter[:, None] + slope[:, None] * t[None, :] + dow[:, ph])
    mad = _nanmedian(np.abs(resid - _nanmedian(resid, axis=1, keepdims=True)), axis=1)
    level = np.exp(inter)
    floor = np.log1p(1.0 / np.maximum(level, 1.0)) + 0.01  # one unit on a flat series
    n_ok = np.sum(np.isfinite(tr), axis=1)
    # in-sample residuals are smaller than out-of-sample errors: the fit spent period + 2 parameters
    dof = np.sqrt(n_ok / np.maximum(n_ok - period - 2, 1))
    sigma = np.maximum(1.4826 * mad * dof, floor)
    ok = (n_ok >= min(MIN_TRAIN, w)) & np.isfinite(inter) & (np.nanmax(np.abs(tr), axis=1) > 0)
    return Fit(inter, slope, dow, sigma, c, end, w, ok, resid / sigma[:, None])


def block_tail_df(fit: Fit, groups: NDArray[np.int64] | None) -> FloatArray:
    """Degrees of freedom per series of a fitted block: :func:`fit_tail_df` on each series' training
    residuals, partially pooled within ``groups`` (a label per row) where given."""
    assert fit.rz is not None
    return fit_tail_df(np.where(fit.ok[:, None], fit.rz, np.nan), groups=groups)


def forecast(fit: Fit, t_idx: NDArray[np.int64], period: int = 7) -> tuple[FloatArray, FloatArray]:
    """Log-scale mean and standard deviation at absolute day indices ``t_idx`` (each ≥ ``t0``)."""
    h = (t_idx - fit.t0).astype(np.float64)
    mu = fit.a[:, None] + fit.b[:, None] * h[None, :] + fit.dow[:, t_idx % period]
    n = max(fit.n_train, 1)
    # the estimates' own error: the level and the seasonal profile are medians (variance π/2 · σ²/k
    # for k values each: one profile value per phase from n/period days), the trend's grows with h
    est = np.pi / 2 * (period + 1) / n
    sd = fit.sigma[:, None] * np.sqrt(1.0 + est + (h[None, :] + 1.0) / n + ((h[None, :] + 1.0) / n) ** 2 * 3.0)
    return mu, sd


def rolling_bands(y: FloatArray, first: int, *, train: int = TRAIN_DAYS, step: int = STEP_DAYS,
                  level: float = 0.99, expected_scale: FloatArray | None = None, period: int = 7,
                  tail_df: float = 0.0, extra_sd: FloatArray | None = None,
                  tail_groups: list[str] | None = None) -> Bands:
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
        tail_df: degrees of freedom of the Student-t behind the p-values (0: fitted per series and
            block on its training residuals, :func:`fit_tail_df`; ``inf``: the normal).
        extra_sd: optional (N, T) standard deviation in the series' own units added to the forecast's
            (the spread of the MMM's media contribution over its posterior draws); on the log scale
            by the delta method, ``extra_sd / (mean + c)``.
        tail_groups: a label per series: series with the same label share one tail fit on their
            pooled training residuals (the monitor: one group per metric, its Benjamini–Hochberg
            family); None fits each series alone.

    Returns:
        :class:`Bands` of shape (N, T); columns before ``first`` are NaN.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices of empty series
        labels = None
        if tail_groups is not None:
            if len(tail_groups) != y.shape[0]:
                raise ValueError(f"tail_groups has {len(tail_groups)} labels for {y.shape[0]} series")
            labels = np.unique(np.asarray(tail_groups, dtype=object), return_inverse=True)[1].astype(np.int64)
        return _rolling(y, first, train, step, level, expected_scale, period, tail_df, extra_sd, labels)


def _rolling(y: FloatArray, first: int, train: int, step: int, level: float,
             expected_scale: FloatArray | None, period: int, fixed_df: float,
             extra_sd: FloatArray | None, labels: NDArray[np.int64] | None) -> Bands:
    n, t_n = y.shape
    shape = (n, t_n)
    mean, lo, hi, z, p, edge, dfs, ratio, rho = (np.full(shape, np.nan) for _ in range(9))
    qlev = 0.5 + level / 2
    for b0 in range(max(first, 1), t_n, step):
        b1 = min(b0 + step, t_n)
        fit = fit_block(y, max(0, b0 - train), b0, period)
        idx = np.arange(b0, b1)
        mu, sd = forecast(fit, idx, period)
        noise = fit.sigma[:, None] ** 2
        if expected_scale is not None:
            mu = mu + np.log(np.clip(expected_scale[:, b0:b1], 1e-9, None))
        c = fit.c[:, None]
        if extra_sd is not None:
            add = np.nan_to_num(extra_sd[:, b0:b1], nan=0.0) / np.exp(mu)  # d log(y + c) = dy / (y + c)
            sd = np.sqrt(sd * sd + add * add)
        df_b = np.full(n, fixed_df) if fixed_df > 0 else block_tail_df(fit, labels)
        # |z| (scaled by 1.4826 MAD) at the band's edge: the t quantile over the t's own MAD ratio
        uniq, inv = np.unique(df_b, return_inverse=True)
        r = np.array([_t_ppf(0.75, d) for d in uniq])[inv] / float(stats.norm.ppf(0.75))
        q = (np.array([_t_ppf(qlev, d) for d in uniq])[inv] / r)[:, None]
        obs = y[:, b0:b1]
        x = np.log(np.maximum(obs, 0.0) + c)
        zz = (x - mu) / sd
        good = fit.ok[:, None] & np.isfinite(obs)
        mean[:, b0:b1] = np.where(good, np.maximum(np.exp(mu) - c, 0.0), np.nan)
        lo[:, b0:b1] = np.where(good, np.maximum(np.exp(mu - q * sd) - c, 0.0), np.nan)
        hi[:, b0:b1] = np.where(good, np.exp(mu + q * sd) - c, np.nan)
        z[:, b0:b1] = np.where(good, zz, np.nan)
        edge[:, b0:b1] = np.where(good, q, np.nan)
        dfs[:, b0:b1] = df_b[:, None]
        rho[:, b0:b1] = np.where(good, np.clip(1.0 - noise / np.maximum(sd * sd, 1e-300), 0.0, 1.0), np.nan)
        ratio[:, b0:b1] = r[:, None]
    with np.errstate(invalid="ignore"):
        p = np.where(np.isfinite(z), 2.0 * special.stdtr(np.nan_to_num(dfs, nan=1.0), -np.abs(z) * ratio), np.nan)
    return Bands(mean, lo, hi, z, p, level, fixed_df if fixed_df > 0 else 0.0, edge, rho)
