"""Change points: a lasting shift in a series' standardised residuals over the monitored window.

For each series the residual z-scores of the window (from :mod:`omnimix.monitor.forecast`) are
scanned with the CUSUM statistic ``max_k |S_k − (k/n)·S_n| / √n``; under no change it follows the
supremum of a Brownian bridge (Kolmogorov distribution), which gives the p-value. The change day is
the ``argmax``. Short spikes barely move the statistic; a level that stays shifted does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

#: Fewest scored days in the window to test a series.
MIN_DAYS = 14


@dataclass(frozen=True)
class ChangePoints:
    """Per series: the most likely change day (column index; -1 for none), its p-value and shift."""

    day: NDArray[np.int64]
    p: NDArray[np.float64]
    shift: NDArray[np.float64]


def cusum_changepoints(z: NDArray[np.float64], first: int) -> ChangePoints:
    """Test each row of ``z`` (N, T) for one mean shift over columns ``first …``."""
    n = z.shape[0]
    day = np.full(n, -1, dtype=np.int64)
    p = np.full(n, np.nan)
    shift = np.full(n, np.nan)
    win = z[:, first:]
    for i in range(n):
        w = win[i]
        ok = np.isfinite(w)
        m = int(ok.sum())
        if m < MIN_DAYS:
            continue
        v = np.clip(w[ok], -8.0, 8.0)
        v = v - np.median(v[: max(3, m // 4)]) if m >= 4 else v
        s = np.cumsum(v)
        k = np.arange(1, m + 1)
        bridge = s - k / m * s[-1]
        j = int(np.argmax(np.abs(bridge[:-1]))) if m > 1 else 0
        sd = max(float(np.std(np.diff(v)) / np.sqrt(2.0)), 1.0)
        stat = abs(float(bridge[j])) / (sd * np.sqrt(m))
        p[i] = float(stats.kstwobign.sf(stat))
        day[i] = first + int(np.nonzero(ok)[0][min(j + 1, m - 1)])
        shift[i] = float(v[j + 1:].mean() - v[: j + 1].mean()) if j + 1 < m else 0.0
    return ChangePoints(day, p, shift)
