"""The MMM's explanation of a KPI change: how much of it the spend that actually ran predicts.

The latest passed MMM fit stores its weekly response curves with posterior draws
(``response_curves``/``response_curve_draws``). A day with spend ``x_c`` contributes
``M(x) = Σ_c f_c(7·x_c) / 7`` (the weekly curve at the weekly rate; :func:`media_contribution` gives
its posterior mean and standard deviation over the draws).

The MMM is additive — ``KPI_t = baseline_t + M(x_t) + noise`` — and so is the monitor's band for the
KPIs it explains (:func:`omnimix.monitor.detect.detect`): the seasonal forecast is made of the
spend-free series ``KPI_t − M(x_t)`` (its training residuals give the noise) and the media
contribution of the spend that actually ran is added back, its spread over the draws added to the
forecast's variance. That is the posterior predictive given the actual spend: a drop that lower spend
explains moves the band with it and raises no alert; an unexplained drop leaves the band where it was.
Every KPI that follows revenue (:data:`KPI_LIKE`) gets its share of ``M`` (its ratio to revenue on the
training days: conversions per unit of revenue, a channel's attributed share), and ratios over spend
(ROAS, MER, CAC) are explained through their KPI part with the actual spend as the other.
:func:`media_lift` (the contribution over the baseline level) stays for callers that want the
relative lift.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from omnimix.curves import ResponseCurves

#: Metrics the MMM's KPI (revenue) stands for.
KPI_LIKE: frozenset[str] = frozenset({"revenue", "conversions", "new_customers", "converting_customers"})
#: Days per MMM period (the workspace MMM is weekly).
PERIOD_DAYS = 7


def media_daily(curves: ResponseCurves, channels: list[str], spend: NDArray[np.float64]) -> NDArray[np.float64]:
    """``M(x)`` per day (T,): the posterior-mean media contribution of daily spend ``spend`` (C, T)."""
    return media_contribution(curves, channels, spend)[0]


def media_contribution(curves: ResponseCurves, channels: list[str], spend: NDArray[np.float64]
                       ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``M(x)`` per day (T,) of daily spend ``spend`` (C, T): posterior mean and standard deviation over
    the curves' draws (0 for a single draw)."""
    pos = {c: i for i, c in enumerate(curves.channels)}
    x = np.zeros((spend.shape[1], len(curves.channels)))
    for j, c in enumerate(channels):
        if c in pos:
            x[:, pos[c]] = np.nan_to_num(spend[j], nan=0.0)
    d = np.asarray(curves.draws(PERIOD_DAYS * x).sum(axis=-1), dtype=np.float64) / PERIOD_DAYS  # (D, T)
    sd = d.std(axis=0) if d.shape[0] > 1 else np.zeros(d.shape[1])
    return np.asarray(d.mean(axis=0), dtype=np.float64), np.asarray(sd, dtype=np.float64)


def media_lift(curves: ResponseCurves, channels: list[str], spend: NDArray[np.float64],
               revenue: NDArray[np.float64], first: int, train: int = 90) -> NDArray[np.float64]:
    """``r_t = M(x_t) / B̄`` per day: today's media contribution over the baseline level ``B̄``, the
    median of ``revenue − M(x)`` over the ``train`` days before ``first`` (at least 1)."""
    m = media_daily(curves, channels, spend)
    lo = max(0, first - train)
    base = np.asarray(revenue[lo:first], dtype=np.float64) - m[lo:first]
    level = float(np.nanmedian(base)) if np.isfinite(base).any() else np.nan
    if not np.isfinite(level) or level <= 0:
        level = max(float(np.nanmedian(revenue[lo:first])) if first > lo else 1.0, 1.0)
    return np.asarray(m / level, dtype=np.float64)


def workspace_curves(con: Any) -> ResponseCurves | None:
    """The latest passed fit's curves from the warehouse, or None (no fit, failed review, no curves)."""
    def cols(t: str) -> bool:
        return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' "
                                "AND table_name = ?", [t]).fetchall()[0][0])
    if not cols("response_curves"):
        return None
    if cols("mmm_diagnostics"):
        row = con.execute("SELECT value FROM mmm_diagnostics WHERE metric = 'passed'").fetchall()
        if row and not row[0][0]:
            return None
    curves: pd.DataFrame = con.execute("SELECT * FROM response_curves").df()
    if curves.empty:
        return None
    draws = con.execute("SELECT * FROM response_curve_draws").df() if cols("response_curve_draws") else None
    return ResponseCurves.from_frames(curves, draws)


def curves_from_daily_truth(truth: dict[str, dict[str, float]]) -> ResponseCurves:
    """Weekly Hill curves from daily true ones (``f_w(X) = 7·f_d(X/7)``), for tests and benchmarks."""
    names = list(truth)
    beta = np.array([[PERIOD_DAYS * truth[c]["beta"] for c in names]])
    k = np.array([[PERIOD_DAYS * truth[c]["half_saturation"] for c in names]])
    s = np.array([[truth[c]["slope"] for c in names]])
    return ResponseCurves.from_params(names, ["hill"] * len(names), beta=beta, half_saturation=k, slope=s,
                                      lam=np.ones_like(beta), current_spend=np.zeros(len(names)))
