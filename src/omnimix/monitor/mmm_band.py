"""The MMM's explanation of a KPI change: how much of it today's actual spend predicts.

The latest passed MMM fit stores its weekly response curves with posterior draws
(``response_curves``/``response_curve_draws``). A day with spend ``x_c`` contributes
``f_c(7·x_c) / 7`` (the weekly curve at the weekly rate). With the seasonal forecast ``R`` of revenue
(made as if spend ran as forecast, ``x̂_c``), the expectation given the spend that actually ran is

    R · F,  F = (R − M(x̂) + M(x)) / R,  M(x) = Σ_c f_c(7·x_c) / 7   (posterior mean over draws)

so a drop that lower spend explains moves the band with it and raises no alert, while an unexplained
drop leaves the band where it was. ``F`` scales every KPI that follows revenue (:data:`KPI_LIKE`:
conversions and customers are taken as proportional), and ratios over spend (ROAS, MER, CAC) are
expected from the same parts.
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


def explained_factor(curves: ResponseCurves, channels: list[str], actual: NDArray[np.float64],
                     expected: NDArray[np.float64], revenue_forecast: NDArray[np.float64]) -> NDArray[np.float64]:
    """``F`` per day (T,) from actual and forecast daily spend of ``channels`` (each (C, T)).

    Days without a revenue forecast (NaN, or not positive) get ``F = 1``.
    """
    pos = {c: i for i, c in enumerate(curves.channels)}
    t_n = actual.shape[1]
    xa = np.zeros((t_n, len(curves.channels)))
    xe = np.zeros((t_n, len(curves.channels)))
    for j, c in enumerate(channels):
        if c in pos:
            xa[:, pos[c]] = np.nan_to_num(actual[j], nan=0.0)
            xe[:, pos[c]] = np.nan_to_num(expected[j], nan=0.0)
    m_act = curves.draws(PERIOD_DAYS * xa).sum(axis=-1).mean(axis=0) / PERIOD_DAYS
    m_exp = curves.draws(PERIOD_DAYS * xe).sum(axis=-1).mean(axis=0) / PERIOD_DAYS
    r = np.asarray(revenue_forecast, dtype=np.float64)
    ok = np.isfinite(r) & (r > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(ok, (r - m_exp + m_act) / np.where(ok, r, 1.0), 1.0)
    return np.asarray(np.clip(f, 0.05, 20.0), dtype=np.float64)


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
