"""Multiple-testing control across series: Benjamini–Hochberg on every (series, day) p-value of a run.

A clean week of 160 series has 1 120 tests; flagging every p < 0.01 would raise about eleven false
alerts. Benjamini–Hochberg at false-discovery rate ``q`` keeps the expected share of false alerts
among those raised at or below ``q``, and under the global null (a clean week) the chance of any alert
at all at or below ``q``. The monitor runs one family per metric (all its channels, days and scan
windows), so many real discoveries in one metric (a planned spend cut moves every spend series) do not
loosen the threshold for another (revenue).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

#: Default false-discovery rate of a run.
FDR = 0.01


def bh_reject(p: NDArray[np.float64], q: float = FDR) -> NDArray[np.bool_]:
    """Benjamini–Hochberg: which p-values (any shape, NaN = not a test) are discoveries at FDR ``q``."""
    if not 0.0 < q < 1.0:
        raise ValueError(f"q {q}: expected a value in (0, 1)")
    flat = np.asarray(p, dtype=np.float64).ravel()
    ok = np.isfinite(flat)
    out = np.zeros(flat.shape, dtype=bool)
    m = int(ok.sum())
    if m == 0:
        return out.reshape(np.shape(p))
    vals = flat[ok]
    order = np.argsort(vals, kind="mergesort")
    ranked = vals[order]
    below = ranked <= q * np.arange(1, m + 1) / m
    if below.any():
        k = int(np.nonzero(below)[0].max())
        sel = np.zeros(m, dtype=bool)
        sel[order[: k + 1]] = True
        idx = np.nonzero(ok)[0]
        out[idx[sel]] = True
    return out.reshape(np.shape(p))
