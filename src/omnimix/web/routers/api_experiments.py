"""``GET /api/v1/experiments``: every recorded lift test with its read, and the planner's next tests.

``items``: one per ``experiments`` row, newest first — ``experiment_id, channel, start, end, method,
geos, spend, lift_sd, stored`` and, from the stored read (``experiment_results``), ``inference, level,
treated``, ``att_*``, ``incremental_kpi_*``, ``lift_*`` (a fraction), ``iroas_*`` (``mean/lo/hi``),
``p_value, incremental_cost, pre_rmse, pre_r2, has_series``; a test recorded without a read carries the
90% normal interval of its ``lift``/``lift_sd`` and ``lift/spend`` as iROAS. ``?id=EXPERIMENT_ID`` adds
that test's ``series`` (``periods``: date, observed, counterfactual, lo, hi, in_test; ``cumulative``;
``weights``). ``next_tests``: the stored plan of ``omnimix experiment plan --save``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from omnimix.web.deps import Ctx, Viewer
from omnimix.web.queries.experiments import experiments, next_tests, series

router = APIRouter(prefix="/api/v1", tags=["results"])


@router.get("/experiments", summary="Lift tests: method, ATT, incremental KPI, lift and iROAS with intervals")
def list_experiments(c: Ctx, p: Viewer,
                     experiment_id: Annotated[str | None, Query(alias="id", max_length=300)] = None) -> dict[str, Any]:
    out = experiments(c.warehouse)
    out["next_tests"] = next_tests(c.warehouse)
    if experiment_id is not None:
        out["series"] = series(c.warehouse, experiment_id)
    return out
