"""Posterior summaries shared by the MMM's results, report and truth comparisons.

All intervals are central 90% posterior intervals (the 5% and 95% quantiles).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

Q_LO, Q_HI = 0.05, 0.95


def interval(x: np.ndarray, axis: int = 0) -> dict[str, Any]:
    """``{"mean", "lo", "hi"}`` along ``axis``: floats for a 1-d input, arrays otherwise."""
    m = x.mean(axis=axis)
    lo, hi = np.quantile(x, [Q_LO, Q_HI], axis=axis)
    if np.ndim(m) == 0:
        return {"mean": float(m), "lo": float(lo), "hi": float(hi)}
    return {"mean": m, "lo": lo, "hi": hi}


def jsonable(o: Any) -> Any:
    """``o`` with NumPy values, tuples and dates turned into JSON types (non-finite floats → None)."""
    if isinstance(o, dict):
        return {str(k): jsonable(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [jsonable(v) for v in o]
    if isinstance(o, np.ndarray):
        return jsonable(o.tolist())
    if isinstance(o, np.floating | float):
        f = float(o)
        return f if np.isfinite(f) else None
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, dt.date):
        return o.isoformat()
    return o
