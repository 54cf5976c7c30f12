"""The result of a single-period plan: :class:`Allocation` and :func:`evaluate`, which builds one for
any allocation (expected KPI with 90% posterior intervals, marginal ROI, statuses, KKT spread).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from omnimix.curves import FloatArray, ResponseCurves
from omnimix.optimize.constraints import ResolvedConstraints
from omnimix.optimize.objective import Objective, _Problem, _risk_value


def _interval(draws: FloatArray) -> tuple[float, float]:
    return float(np.quantile(draws, 0.05)), float(np.quantile(draws, 0.95))


@dataclass(frozen=True)
class CurrentPlan:
    """Today's plan: the curves' ``current_spend`` (optionally scaled to a budget) and its KPI.

    This is the one definition of "current" behind every ``current_kpi`` (CLI JSON, CSV, HTML and the
    dashboard): the expected per-period KPI, over the posterior draws, of spending each channel's
    ``current_spend`` — the spend the MMM fit recorded as today's (``response_curves.current_spend``,
    ``current_weekly_spend`` in its file). Nothing is held back as a reserve.

    Attributes:
        spend: spend per channel, shape (C,).
        draws: total KPI per posterior draw, shape (D,).
    """

    spend: FloatArray
    draws: FloatArray

    @property
    def kpi(self) -> float:
        """Expected KPI (mean over draws)."""
        return float(self.draws.mean())

    @property
    def interval(self) -> tuple[float, float]:
        """90% interval (5%–95% quantiles over draws)."""
        return _interval(self.draws)


def current_plan(curves: ResponseCurves, budget: float | None = None) -> CurrentPlan:
    """Today's mix and its KPI; with ``budget``, today's mix scaled so that it spends ``budget``.

    ``current_plan(curves)`` gives every ``current_kpi``. A scenario's ``current_mix_kpi`` is
    ``current_plan(curves, allocatable)``: today's shares scaled to the spend the optimal plan makes
    after the reserve (the same-spend benchmark); it is below ``current_kpi`` when a reserve is held
    back from a budget equal to today's spend — the 8,056.9 vs 8,990.9 of issue 15 was that.
    """
    cur = np.asarray(curves.current_spend, dtype=np.float64)
    total = float(cur.sum())
    spend = cur.copy() if budget is None else (cur * (float(budget) / total) if total > 0 else cur * 0.0)
    return CurrentPlan(spend=spend, draws=curves.total_draws(spend))


@dataclass(frozen=True)
class Allocation:
    """An optimised single-period allocation and its evaluation.

    Arrays have shape (C,) in the order of ``channels``. KPI figures are per period; intervals are the
    5%–95% quantiles over posterior draws (a 90% interval; a single draw gives a zero-width interval).
    """

    channels: tuple[str, ...]
    allocation: FloatArray
    current: FloatArray
    lower: FloatArray
    upper: FloatArray
    status: tuple[str, ...]
    marginal_roi: FloatArray
    roi: FloatArray
    response: FloatArray
    budget: float
    reserve: float
    unallocated: float
    objective: Objective
    objective_value: float
    expected_kpi: float
    kpi_interval: tuple[float, float]
    current_kpi: float
    current_kpi_interval: tuple[float, float]
    uplift: float
    uplift_interval: tuple[float, float]
    kkt_spread: float
    group_totals: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    target: float | None = None
    n_draws: int = 0

    @property
    def has_interval(self) -> bool:
        """False when the curves have a single draw (point estimates): the intervals are then empty."""
        return self.n_draws != 1

    @property
    def uplift_pct(self) -> float | None:
        """Uplift over the current KPI as a fraction (None when the current KPI is 0)."""
        return self.uplift / self.current_kpi if self.current_kpi else None

    @property
    def spend(self) -> float:
        """Total allocated spend (excluding reserve)."""
        return float(self.allocation.sum())

    @property
    def expected_revenue(self) -> float:
        """Expected KPI × kpi_value."""
        return self.expected_kpi * self.objective.kpi_value

    @property
    def expected_profit(self) -> float:
        """Expected revenue − allocated spend."""
        return self.expected_revenue - self.spend

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``omnimix optimize --json``."""
        names = self.channels

        def m(a: FloatArray) -> dict[str, float]:
            return {n: float(v) for n, v in zip(names, a, strict=True)}

        return {
            "allocation": m(self.allocation),
            "reserve": float(self.reserve),
            "expected_kpi": float(self.expected_kpi),
            "marginal_roi": m(self.marginal_roi),
            "budget": float(self.budget),
            "spend": self.spend,
            "unallocated": float(self.unallocated),
            "objective": self.objective.kind,
            "risk": self.objective.risk,
            "objective_value": float(self.objective_value),
            "kpi_interval_90": list(self.kpi_interval),
            "expected_revenue": self.expected_revenue,
            "expected_profit": self.expected_profit,
            "current_allocation": m(self.current),
            "current_kpi": float(self.current_kpi),
            "current_kpi_interval_90": list(self.current_kpi_interval),
            "uplift_kpi": float(self.uplift),
            "uplift_interval_90": list(self.uplift_interval),
            "roi": m(self.roi),
            "status": dict(zip(names, self.status, strict=True)),
            "kkt_max_relative_spread": float(self.kkt_spread),
            "group_totals": dict(self.group_totals),
            "target": self.target,
            "notes": list(self.notes),
            "uplift_pct": self.uplift_pct,
        }

    def to_frame(self) -> Any:
        """Allocation table vs current plan (pandas DataFrame, one row per channel)."""
        import pandas as pd

        change = self.allocation - self.current
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = np.where(self.current > 0, change / self.current, np.nan)
        return pd.DataFrame(
            {
                "channel": list(self.channels),
                "current": self.current,
                "optimal": self.allocation,
                "change": change,
                "change_pct": pct,
                "min": self.lower,
                "max": self.upper,
                "status": list(self.status),
                "expected_kpi": self.response,
                "roi": self.roi,
                "marginal_roi": self.marginal_roi,
            }
        )

    def to_csv(self, path: str) -> None:
        """Write :meth:`to_frame` as CSV."""
        self.to_frame().to_csv(path, index=False)


def _status(x: FloatArray, rc: ResolvedConstraints, scale: float) -> tuple[str, ...]:
    tol = 1e-7 * scale
    out = []
    tight = np.zeros(x.shape[0], dtype=bool)
    for g in rc.groups:
        s = x[g.index].sum()
        if s >= g.upper - tol or (g.lower > 0 and s <= g.lower + tol):
            tight[g.index] = True
    for j in range(x.shape[0]):
        if rc.locked[j]:
            out.append("locked")
        elif x[j] <= rc.lower[j] + tol:
            out.append("off" if rc.lower[j] <= tol else "at_min")
        elif x[j] >= rc.upper[j] - tol:
            out.append("at_max")
        elif tight[j]:
            out.append("group_limit")
        else:
            out.append("free")
    return tuple(out)


def evaluate(
    curves: ResponseCurves,
    x: FloatArray,
    rc: ResolvedConstraints,
    obj: Objective,
    *,
    objective_value: float | None = None,
    notes: Sequence[str] = (),
    target: float | None = None,
) -> Allocation:
    """Build an :class:`Allocation` report for allocation ``x`` of shape (C,)."""
    prob = _Problem(curves, rc, obj)
    kd = curves.total_draws(x)
    now = current_plan(curves)
    cur, cd = now.spend, now.draws
    resp = curves.response(x)
    mroi = obj.value * curves.response(np.maximum(x, prob.floor), order=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        roi = np.where(x > 0, obj.value * resp / np.where(x > 0, x, 1.0), 0.0)
    status = _status(x, rc, prob.scale)
    free = np.array([s == "free" for s in status]) & (prob.g2(x) < 0)
    spread = 0.0
    if free.sum() >= 2:
        mm = mroi[free]
        spread = float((mm.max() - mm.min()) / abs(mm.mean())) if mm.mean() != 0 else 0.0
    if objective_value is None:
        objective_value = prob.total(x) if obj.risk == "mean" else _risk_value(curves, obj, x)[0]
    return Allocation(
        channels=curves.channels,
        allocation=x,
        current=cur.copy(),
        lower=rc.lower.copy(),
        upper=rc.upper.copy(),
        status=status,
        marginal_roi=mroi,
        roi=roi,
        response=resp,
        budget=rc.budget,
        reserve=rc.reserve,
        unallocated=float(max(0.0, rc.allocatable - x.sum())),
        objective=obj,
        objective_value=float(objective_value),
        expected_kpi=float(kd.mean()),
        kpi_interval=_interval(kd),
        current_kpi=float(cd.mean()),
        current_kpi_interval=_interval(cd),
        uplift=float((kd - cd).mean()),
        uplift_interval=_interval(kd - cd),
        kkt_spread=spread,
        group_totals={g.name: float(x[g.index].sum()) for g in rc.groups},
        notes=tuple(notes),
        target=target,
        n_draws=curves.n_draws,
    )
