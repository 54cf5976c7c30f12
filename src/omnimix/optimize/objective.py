"""What the optimizer maximises: the :class:`Objective` spec, the mean objective of one period, and
the risk functionals over posterior draws.

The mean objective is separable: ``sum_i g_i(x_i)`` with ``g_i = v * E[f_i] - c * x`` where ``v`` is the
value of a KPI unit (1 for ``kind="kpi"``) and ``c`` the weight of spend (1 for profit). Risk-aware
objectives replace the mean by a low quantile or the CVaR of the posterior outcome.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from omnimix.curves import FloatArray, ResponseCurves
from omnimix.errors import ConfigError
from omnimix.optimize.constraints import ResolvedConstraints

_OBJECTIVES = ("kpi", "revenue", "profit")
_RISKS = ("mean", "quantile", "cvar")


@dataclass(frozen=True)
class Objective:
    """What to optimise.

    Attributes:
        kind: ``"kpi"`` (expected KPI), ``"revenue"`` (KPI × ``kpi_value``) or ``"profit"``
            (revenue − spend; may leave budget unspent when spend stops paying).
        kpi_value: revenue per KPI unit (1 for KPIs already in revenue).
        risk: ``"mean"``, ``"quantile"`` (maximise the ``alpha`` quantile over draws) or ``"cvar"``
            (maximise the mean of the worst ``alpha`` share of draws).
        alpha: quantile level / CVaR tail share.
        min_roi: require total revenue / spend ≥ this (spend is cut back until it holds).
        min_marginal_roi: require each funded channel's marginal revenue per unit ≥ this.
    """

    kind: str = "kpi"
    kpi_value: float = 1.0
    risk: str = "mean"
    alpha: float = 0.1
    min_roi: float | None = None
    min_marginal_roi: float | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.kind not in _OBJECTIVES:
            problems.append(f"kind: {self.kind!r}; expected one of {_OBJECTIVES}")
        if self.risk not in _RISKS:
            problems.append(f"risk: {self.risk!r}; expected one of {_RISKS}")
        if not 0 < self.alpha < 1:
            problems.append(f"alpha: {self.alpha} must be in (0, 1)")
        if not self.kpi_value > 0:
            problems.append(f"kpi_value: {self.kpi_value} must be > 0")
        if problems:
            raise ConfigError("Invalid objective.", problems)

    @property
    def value(self) -> float:
        """Currency (or KPI) per KPI unit used in the objective."""
        return 1.0 if self.kind == "kpi" else float(self.kpi_value)

    @property
    def cost(self) -> float:
        """Weight of spend subtracted in the objective (1 for profit)."""
        return 1.0 if self.kind == "profit" else 0.0


class _Problem:
    """Mean objective pieces for one period: ``g_i(x) = v * E f_i(x) - c * x`` and its derivatives.

    ``curves`` needs only ``response(x, channel=None, order=0)`` and ``n_channels`` (the flighting solver
    passes tabulated per-period curves).
    """

    def __init__(self, curves: ResponseCurves, rc: ResolvedConstraints, obj: Objective) -> None:
        self.curves = curves
        self.rc = rc
        self.obj = obj
        self.v = obj.value
        self.c = obj.cost
        self.scale = max(rc.allocatable, float(np.max(rc.lower, initial=0.0)), 1e-9)
        self.floor = 1e-10 * self.scale

    def g(self, x: FloatArray) -> FloatArray:
        return self.v * self.curves.response(x) - self.c * x

    def g1(self, x: FloatArray) -> FloatArray:
        return self.v * self.curves.response(np.maximum(x, self.floor), order=1) - self.c

    def g2(self, x: FloatArray) -> FloatArray:
        return self.v * self.curves.response(np.maximum(x, self.floor), order=2)

    def total(self, x: FloatArray) -> float:
        return float(self.g(x).sum())


def _risk_value(curves: ResponseCurves, obj: Objective, x: FloatArray) -> tuple[float, FloatArray]:
    """The risk functional (``obj.alpha`` quantile or CVaR over draws) at ``x`` and its gradient (C,)."""
    per = obj.value * curves.draws(x) - obj.cost * x  # (D, C)
    tot = per.sum(axis=1)
    grad_d = obj.value * curves.draws(np.maximum(x, 1e-10 * max(x.sum(), 1.0)), order=1) - obj.cost
    d = tot.shape[0]
    order = np.argsort(tot)
    if obj.risk == "cvar":
        k = max(1, math.ceil(obj.alpha * d))
        sel = order[:k]
        return float(tot[sel].mean()), np.asarray(grad_d[sel].mean(axis=0))
    pos = obj.alpha * (d - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    w = pos - lo
    val = (1 - w) * tot[order[lo]] + w * tot[order[hi]]
    grad = (1 - w) * grad_d[order[lo]] + w * grad_d[order[hi]]
    return float(val), np.asarray(grad)
