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
    from omnimix.experiments.ab import ABResult, ab_from_frame, ab_test
    from omnimix.experiments.analysis import METHODS, analyze
    from omnimix.experiments.calibrate import (
        calibration_row,
        record_experiment,
        to_meridian,
        to_pymc_marketing,
        to_robyn,
    )
    from omnimix.experiments.charts import lift_chart
    from omnimix.experiments.design import DesignSearch, assurance, search_designs, set_power
    from omnimix.experiments.its import ItsConfig, ItsResult, its_fit
    from omnimix.experiments.panel import GeoPanel
    from omnimix.experiments.planner import LiftTestPlan, plan_from_fit, plan_tests
    from omnimix.experiments.result import Interval, LiftResult

__all__ = ["METHODS", "ABResult", "DesignSearch", "GeoPanel", "Interval", "ItsConfig", "ItsResult", "LiftResult",
           "LiftTestPlan", "ab_from_frame", "ab_test", "analyze", "assurance", "calibration_row", "its_fit",
           "lift_chart", "plan_from_fit", "plan_tests", "record_experiment", "search_designs", "set_power",
           "to_meridian", "to_pymc_marketing", "to_robyn"]

__getattr__, __dir__ = lazy_exports(__name__, {
    "METHODS": "omnimix.experiments.analysis",
    "GeoPanel": "omnimix.experiments.panel",
    "Interval": "omnimix.experiments.result",
    "LiftResult": "omnimix.experiments.result",
    "analyze": "omnimix.experiments.analysis",
    **{n: "omnimix.experiments.ab" for n in ("ABResult", "ab_from_frame", "ab_test")},
    **{n: "omnimix.experiments.calibrate" for n in ("calibration_row", "record_experiment", "to_meridian",
                                                   "to_pymc_marketing", "to_robyn")},
    **{n: "omnimix.experiments.design" for n in ("DesignSearch", "assurance", "search_designs", "set_power")},
    **{n: "omnimix.experiments.its" for n in ("ItsConfig", "ItsResult", "its_fit")},
    **{n: "omnimix.experiments.planner" for n in ("LiftTestPlan", "plan_from_fit", "plan_tests")},
    "lift_chart": "omnimix.experiments.charts",
})
