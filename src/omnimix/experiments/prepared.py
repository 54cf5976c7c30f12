"""The prepared matrices of one analysis: treated and control series, pre- and test-period masks.

:func:`prepare` checks the request against the panel (geos, dates) and returns a :class:`Design`;
each method turns it into an :class:`Estimate`, which :mod:`omnimix.experiments.analysis` turns into a
:class:`~omnimix.experiments.result.LiftResult`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from omnimix.errors import UsageError
from omnimix.experiments.panel import GeoPanel

Arr = NDArray[np.float64]
Mask = NDArray[np.bool_]


@dataclass(frozen=True)
class Design:
    """``Y``: dates × geos (pre-start .. test-end); ``treated``/``control``: column indices."""

    Y: Arr
    C: Arr | None
    dates: pd.DatetimeIndex
    geos: list[str]
    treated: NDArray[np.int64]
    control: NDArray[np.int64]
    pre: Mask
    post: Mask

    @property
    def n_treated(self) -> int:
        return int(self.treated.size)

    @property
    def n_post(self) -> int:
        return int(self.post.sum())

    def y1(self, M: Arr | None = None) -> Arr:
        """Treatment group's mean per treated geo, per date."""
        M = self.Y if M is None else M
        return np.asarray(M[:, self.treated].mean(axis=1), dtype=float)

    def Y0(self, M: Arr | None = None) -> Arr:
        M = self.Y if M is None else M
        return np.asarray(M[:, self.control], dtype=float)

    @property
    def control_geos(self) -> list[str]:
        return [self.geos[j] for j in self.control]


@dataclass
class Estimate:
    """What a method returns: effect per treated geo per date with its interval, and the series.

    ``counterfactual``, ``band_lo`` and ``band_hi`` are per date, per treated geo (mean scale).
    """

    att: float
    lo: float
    hi: float
    p_value: float
    counterfactual: Arr
    band_lo: Arr
    band_hi: Arr
    weights: dict[str, float]
    inference: str
    details: dict[str, Any] = field(default_factory=dict)


def prepare(panel: GeoPanel, treated: Sequence[str], test_start: Any, test_end: Any,
            pre_start: Any = None, *, min_controls: int = 1, min_pre: int = 3) -> Design:
    """Check ``treated`` and the dates against ``panel`` and build the matrices (dates inclusive)."""
    geos = panel.geos
    tr = list(dict.fromkeys(str(g) for g in treated))
    unknown = [g for g in tr if g not in geos]
    if not tr:
        raise UsageError("no treated geo given; pass --treated g1,g2 or an --assignment file")
    if unknown:
        raise UsageError(f"treated geo(s) {unknown} are not in the panel; its geos are {geos[:10]}"
                         f"{' …' if len(geos) > 10 else ''}")
    if len(geos) - len(tr) < min_controls:
        raise UsageError(f"{len(geos) - len(tr)} control geo(s); this method needs at least {min_controls}")
    dates = panel.dates
    try:
        t0, t1 = pd.Timestamp(test_start).normalize(), pd.Timestamp(test_end).normalize()
        p0 = dates[0] if pre_start is None else pd.Timestamp(pre_start).normalize()
    except (ValueError, TypeError) as exc:
        raise UsageError(f"unreadable date: {exc}; write dates as YYYY-MM-DD") from None
    if t1 < t0:
        raise UsageError(f"--test-end {t1.date()} is before --test-start {t0.date()}")
    if t0 > dates[-1] or t1 < dates[0]:
        raise UsageError(f"the test period {t0.date()} .. {t1.date()} is outside the panel's dates "
                         f"{dates[0].date()} .. {dates[-1].date()}")
    keep = (dates >= p0) & (dates <= t1)
    d = dates[keep]
    pre = np.asarray(d < t0)
    post = np.asarray(d >= t0)
    if pre.sum() < min_pre:
        raise UsageError(f"the pre-period {p0.date()} .. {(t0 - pd.Timedelta(days=1)).date()} has "
                         f"{int(pre.sum())} date(s) in the panel; this method needs at least {min_pre} "
                         "(move --pre-start earlier)")
    W = panel.wide("kpi").loc[d]
    C = panel.wide("cost").loc[d].to_numpy(dtype=float) if panel.has_cost else None
    col = {g: j for j, g in enumerate(geos)}
    t_idx = np.array(sorted(col[g] for g in tr), dtype=np.int64)
    c_idx = np.array([j for j in range(len(geos)) if j not in set(t_idx.tolist())], dtype=np.int64)
    return Design(W.to_numpy(dtype=float), C, d, geos, t_idx, c_idx, pre, post)


def residual_band(y1: Arr, cf: Arr, pre: Mask, level: float) -> tuple[Arr, Arr]:
    """Per-date band ``cf ± q`` with ``q`` the ``level`` quantile of the absolute pre-period residuals."""
    r = np.abs(y1[pre] - cf[pre])
    n = r.size
    k = min(n - 1, int(np.ceil(level * (n + 1))) - 1)
    q = float(np.sort(r)[max(k, 0)])
    return cf - q, cf + q
