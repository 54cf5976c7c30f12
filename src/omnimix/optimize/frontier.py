"""Efficient frontier: the best expected KPI for each budget, with posterior intervals."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from omnimix.curves import FloatArray, ResponseCurves
from omnimix.errors import ConfigError
from omnimix.optimize.allocation import Allocation
from omnimix.optimize.budget import optimize_budget
from omnimix.optimize.constraints import Constraints
from omnimix.optimize.objective import Objective


@dataclass(frozen=True)
class Frontier:
    """Budget → optimal expected KPI.

    Attributes:
        channels: channel names, length C.
        budgets: total budgets (including reserve), shape (K,).
        spend: allocated spend at each budget, shape (K,).
        expected_kpi: expected KPI of the optimal plan, shape (K,).
        kpi_low / kpi_high: 5% and 95% quantiles over posterior draws, shape (K,).
        marginal_roi: the common marginal ROI of free channels (mean over them), shape (K,).
        allocations: optimal allocation per budget, shape (K, C).
    """

    channels: tuple[str, ...]
    budgets: FloatArray
    spend: FloatArray
    expected_kpi: FloatArray
    kpi_low: FloatArray
    kpi_high: FloatArray
    marginal_roi: FloatArray
    allocations: FloatArray

    def to_dict(self) -> dict[str, Any]:
        """JSON form (lists per budget point)."""
        return {
            "budget": self.budgets.tolist(),
            "spend": self.spend.tolist(),
            "expected_kpi": self.expected_kpi.tolist(),
            "kpi_interval_90": [
                [float(a), float(b)] for a, b in zip(self.kpi_low, self.kpi_high, strict=True)
            ],
            "marginal_roi": self.marginal_roi.tolist(),
            "allocations": [
                dict(zip(self.channels, map(float, row), strict=True)) for row in self.allocations
            ],
        }

    def to_frame(self) -> Any:
        """One row per budget point; allocation columns named ``alloc_<channel>``."""
        import pandas as pd

        df = pd.DataFrame(
            {
                "budget": self.budgets,
                "spend": self.spend,
                "expected_kpi": self.expected_kpi,
                "kpi_p05": self.kpi_low,
                "kpi_p95": self.kpi_high,
                "marginal_roi": self.marginal_roi,
            }
        )
        for j, name in enumerate(self.channels):
            df[f"alloc_{name}"] = self.allocations[:, j]
        return df


def _common_mroi(a: Allocation) -> float:
    free = np.array([s == "free" for s in a.status])
    if free.any():
        return float(a.marginal_roi[free].mean())
    funded = a.allocation > 0
    return float(a.marginal_roi[funded].max()) if funded.any() else 0.0


def efficient_frontier(
    curves: ResponseCurves,
    constraints: Constraints,
    objective: Objective | str = "kpi",
    *,
    budgets: Sequence[float] | None = None,
    points: int = 11,
    span: tuple[float, float] = (0.5, 1.5),
    grid: int = 400,
) -> Frontier:
    """Optimise at a range of budgets.

    Args:
        curves: response curves.
        constraints: the base constraints; only the budget changes between points.
        objective: objective (the frontier reports expected KPI whatever the objective).
        budgets: explicit total budgets; default ``points`` budgets spread over ``span`` × the base budget.
        points: number of budgets when ``budgets`` is not given.
        span: multipliers of the base budget at both ends.
        grid: DP resolution per point.
    """
    if budgets is None:
        if points < 2:
            raise ConfigError(f"points: {points}; a frontier needs at least 2 budgets.")
        budgets = list(np.linspace(span[0], span[1], points) * constraints.budget)
    allocs = [
        optimize_budget(curves, dataclasses.replace(constraints, budget=float(b)), objective, grid=grid)
        for b in budgets
    ]
    return Frontier(
        channels=curves.channels,
        budgets=np.array([float(b) for b in budgets]),
        spend=np.array([a.spend for a in allocs]),
        expected_kpi=np.array([a.expected_kpi for a in allocs]),
        kpi_low=np.array([a.kpi_interval[0] for a in allocs]),
        kpi_high=np.array([a.kpi_interval[1] for a in allocs]),
        marginal_roi=np.array([_common_mroi(a) for a in allocs]),
        allocations=np.array([a.allocation for a in allocs]),
    )
