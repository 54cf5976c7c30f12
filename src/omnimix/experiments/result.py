"""The result of reading a geo experiment: :class:`LiftResult` and its :class:`Interval` figures.

``LiftResult.to_json()`` is the document ``omnimix experiment analyze --json`` prints::

    {"method", "att": {"mean","lo","hi"}, "incremental_kpi": {...}, "lift": {...}, "p_value",
     "weights": {GEO: w}, "iroas": {...}, "incremental_cost"}

``iroas`` and ``incremental_cost`` appear only when the panel has cost. ``att`` is the average effect
per treated geo per test period, ``incremental_kpi`` the treatment group's total effect over the test
period, ``lift`` the fraction ``incremental_kpi / counterfactual`` (0.054 = 5.4%). Every interval and
the p-value come from one inference method (``LiftResult.inference``) by test inversion: ``p_value <
1 - level`` exactly when the interval excludes 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


def _num(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


@dataclass(frozen=True)
class Interval:
    """A point estimate with the bounds of its two-sided interval (at the result's level)."""

    mean: float
    lo: float
    hi: float

    def to_json(self) -> dict[str, float | None]:
        return {"mean": _num(self.mean), "lo": _num(self.lo), "hi": _num(self.hi)}

    def scale(self, k: float) -> Interval:
        """The interval multiplied by ``k`` (bounds swap when ``k < 0``)."""
        a, b = self.lo * k, self.hi * k
        return Interval(self.mean * k, min(a, b), max(a, b))

    def contains(self, x: float) -> bool:
        return self.lo <= x <= self.hi


@dataclass(frozen=True)
class LiftResult:
    """One geo experiment read by one method.

    Attributes:
        method: ``synthetic_control``, ``augmented_synthetic_control``, ``tbr``, ``did`` or ``sdid``.
        att: average effect per treated geo per test period.
        incremental_kpi: total effect of the treatment group over the test period.
        lift: ``incremental_kpi`` over the counterfactual total (a fraction).
        p_value: two-sided p-value of "no effect", from the same method as the intervals.
        weights: donor weights ``{geo: w}`` (control-group geos; DiD: equal weights).
        level: the interval level (0.9 = 90%).
        inference: how the intervals and p-value were obtained (``conformal``, ``placebo_space``,
            ``placebo_time``, ``permutation``, ``cluster``, ``t`` or ``placebo_variance``).
        treated: the treated geos.
        pre_start, test_start, test_end: the periods (inclusive), ISO dates.
        periods: per test and pre date: ``date``, ``observed`` and ``counterfactual`` treatment-group
            totals, ``lo``/``hi`` the per-period band of the counterfactual, ``in_test`` (bool).
        pre_fit: ``{"rmse", "r2"}`` of the counterfactual over the pre-period (treatment-group totals).
        iroas: incremental KPI per unit of incremental cost (when the panel has cost).
        incremental_cost: treatment-group cost in the test period minus its counterfactual.
        details: method-specific extras (e.g. ridge penalty, number of permutations).
    """

    method: str
    att: Interval
    incremental_kpi: Interval
    lift: Interval
    p_value: float
    weights: dict[str, float]
    level: float
    inference: str
    treated: list[str]
    pre_start: str
    test_start: str
    test_end: str
    periods: pd.DataFrame
    pre_fit: dict[str, float]
    iroas: Interval | None = None
    incremental_cost: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The CLI contract document (see the module docstring)."""
        doc: dict[str, Any] = {
            "method": self.method,
            "att": self.att.to_json(),
            "incremental_kpi": self.incremental_kpi.to_json(),
            "lift": self.lift.to_json(),
            "p_value": _num(self.p_value),
            "weights": {g: float(w) for g, w in self.weights.items()},
        }
        if self.incremental_cost is not None:
            doc["iroas"] = self.iroas.to_json() if self.iroas is not None else None
            doc["incremental_cost"] = _num(self.incremental_cost)
        return doc

    def summary(self) -> dict[str, Any]:
        """``to_json()`` plus level, inference, periods' bounds, treated geos and pre-period fit."""
        doc = self.to_json()
        doc.update({"level": self.level, "inference": self.inference, "treated": list(self.treated),
                    "pre_start": self.pre_start, "test_start": self.test_start, "test_end": self.test_end,
                    "pre_fit": {k: _num(v) for k, v in self.pre_fit.items()}, "details": self.details})
        return doc

    def detail_json(self) -> dict[str, Any]:
        """:meth:`summary` plus the per-date series ``periods``: ``[{"date", "observed", "counterfactual",
        "lo", "hi", "in_test"}]`` (treatment-group totals) — what ``analyze --json --detail`` prints and
        ``experiment record`` stores for the dashboard's charts."""
        doc = self.summary()
        doc["periods"] = [{"date": str(pd.Timestamp(r.date).date()), "observed": _num(r.observed),
                           "counterfactual": _num(r.counterfactual), "lo": _num(r.lo), "hi": _num(r.hi),
                           "in_test": bool(r.in_test)} for r in self.periods.itertuples(index=False)]
        return doc
