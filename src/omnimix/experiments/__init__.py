"""Lift tests: design, analysis and MMM calibration (issue #16).

Geo experiments: a :class:`GeoPanel` (geo × date KPI and cost) is read by :func:`analyze` with
synthetic control (fixed effects; ridge-augmented), time-based regression, DiD or synthetic DiD into a
:class:`LiftResult` whose intervals (:class:`Interval`) and p-value come from one inference method.
Names are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omnimix._lazy import lazy_exports

if TYPE_CHECKING:
    from omnimix.experiments.analysis import METHODS, analyze
    from omnimix.experiments.panel import GeoPanel
    from omnimix.experiments.result import Interval, LiftResult

__all__ = ["METHODS", "GeoPanel", "Interval", "LiftResult", "analyze"]

__getattr__, __dir__ = lazy_exports(__name__, {
    "METHODS": "omnimix.experiments.analysis",
    "GeoPanel": "omnimix.experiments.panel",
    "Interval": "omnimix.experiments.result",
    "LiftResult": "omnimix.experiments.result",
    "analyze": "omnimix.experiments.analysis",
})
