"""Results written by the analysis stages: attribution, MMM contributions and fit, response curves, CLV.

Each reader answers the "not computed yet" body of :func:`omnimix.web.registry.not_computed` while its
table is missing, lacks a column or is empty. Response curves are read as
:class:`omnimix.curves.ResponseCurves` (``response_curves``, with the posterior draws of
``response_curve_draws`` when that table covers every channel) and evaluated by it; the formulas live in
:mod:`omnimix.transforms` only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from omnimix.curves import HILL, ResponseCurves
from omnimix.errors import OmnimixError
from omnimix.optimize.allocation import current_plan
from omnimix.optimize.guard import ChannelStatus, parse_status
from omnimix.web.queries.common import div, num
from omnimix.web.queries.kpis import attribution_models
from omnimix.web.registry import RESULTS
from omnimix.web.warehouse import Warehouse


def attribution(wh: Warehouse, model: str | None = None) -> dict[str, Any]:
    state = wh.result_state("attribution")
    if state is not None:
        return {**state, "models": [], "items": []}
    models = attribution_models(wh)
    params: list[Any] = []
    where = ""
    if model:
        where, params = "WHERE model = ?", [model]
    rows = wh.rows(
        f"SELECT model, channel, sum(conversions) AS conversions, sum(value) AS value "
        f"FROM attribution_results {where} GROUP BY 1, 2 ORDER BY 1, 4 DESC",
        params,
    )
    return {"computed": True, "models": models, "items": rows}


def mmm_channels(wh: Warehouse) -> dict[str, Any]:
    state = wh.result_state("mmm")
    if state is not None:
        return {**state, "items": []}
    cols = ", ".join(RESULTS["mmm"].columns)
    return {
        "computed": True,
        "items": wh.rows(f"SELECT {cols} FROM mmm_channels ORDER BY contribution_mean DESC"),
    }


def mmm_diagnostics(wh: Warehouse) -> dict[str, Any]:
    state = wh.result_state("mmm_diagnostics")
    diag: dict[str, Any] = (
        {**state, "items": []}
        if state
        else {"computed": True, "items": wh.rows("SELECT metric, value FROM mmm_diagnostics ORDER BY metric")}
    )
    fit_state = wh.result_state("mmm_fit")
    diag["fit"] = None if fit_state else wh.rows("SELECT date, actual, predicted FROM mmm_fit ORDER BY date")
    return diag


def _curve_rows(wh: Warehouse) -> list[dict[str, Any]]:
    cols = ", ".join(RESULTS["response_curves"].columns)
    return wh.rows(f"SELECT {cols} FROM response_curves ORDER BY channel")


def _draws(wh: Warehouse, channels: list[str]) -> pd.DataFrame | None:
    """``response_curve_draws`` when it is readable and covers every channel with the same draws."""
    if wh.result_state("response_curve_draws") is not None:
        return None
    cols = ", ".join(RESULTS["response_curve_draws"].columns)
    frame = wh.frame(f"SELECT {cols} FROM response_curve_draws ORDER BY draw, channel")
    per = frame.groupby("channel")["draw"].nunique()
    if set(per.index) < set(channels) or per.reindex(channels).nunique() != 1:
        return None
    return frame[frame["channel"].isin(channels)]


def _missing_params(row: dict[str, Any]) -> str | None:
    """Why a ``response_curves`` row cannot be a curve (a NULL parameter its type needs), else None."""
    kind = str(row["type"]).lower()
    need = ("half_saturation", "slope") if kind == HILL else ("lam",)
    absent = [k for k in ("beta", *need) if num(row.get(k)) is None]
    if absent:
        return f"{kind} curve of {row['channel']} needs {', '.join(absent)}"
    return None


def read_curves(wh: Warehouse) -> ResponseCurves:
    """The latest response curves as :class:`~omnimix.curves.ResponseCurves` (with draws when present).

    Raises:
        OmnimixError: the table is not computed yet (the message names the command), or a row is not
            a valid curve.
    """
    state = wh.result_state("response_curves")
    if state is not None:
        raise OmnimixError(state["message"])

    def compute() -> ResponseCurves:
        rows = _curve_rows(wh)
        problems = [p for p in map(_missing_params, rows) if p]
        if problems:
            raise OmnimixError("invalid response curves: " + "; ".join(problems))
        return ResponseCurves.from_frames(pd.DataFrame(rows), _draws(wh, [str(r["channel"]) for r in rows]))

    return wh.cached(("response_curves_obj",), compute)


def channel_status(wh: Warehouse) -> dict[str, ChannelStatus]:
    """The MMM's per-channel verdicts (``mmm_channel_status``: ok, weak, conflict); {} without the table.

    Raises:
        InputDataError: a row's status is not ok, weak or conflict.
    """
    if not wh.has("mmm_channel_status", ("channel", "status")):
        return {}
    reason = ", reason" if wh.has("mmm_channel_status", ("reason",)) else ", NULL AS reason"
    rows = wh.rows(f"SELECT channel, status{reason} FROM mmm_channel_status ORDER BY channel")
    return parse_status(rows, f"{wh.workspace.warehouse_path} (mmm_channel_status)")


def current_kpi(wh: Warehouse) -> dict[str, Any]:
    """Today's KPI per period from the response curves and their draws, the one definition the CLI,
    CSV and HTML use (:func:`omnimix.optimize.allocation.current_plan`): ``current_kpi``,
    ``current_kpi_interval_90`` (None with a single draw), ``current_spend`` (total) and ``draws``."""
    state = wh.result_state("response_curves")
    if state is not None:
        return {**state, "current_kpi": None}
    try:
        curves = read_curves(wh)
    except OmnimixError as exc:
        return {"computed": False, "message": str(exc), "current_kpi": None}
    now = current_plan(curves)
    return {"computed": True, "current_kpi": now.kpi,
            "current_kpi_interval_90": list(now.interval) if curves.n_draws > 1 else None,
            "current_spend": float(now.spend.sum()), "draws": curves.n_draws}


def response_curves(wh: Warehouse, points: int = 40) -> dict[str, Any]:
    """Curve parameters per channel plus ``points`` evaluated points from 0 to 2.5× current spend.

    Each item is the ``response_curves`` row with ``x``, ``y`` (posterior-mean response), ``y_current``
    (at the current spend), ``y_lo``/``y_hi`` (5 % / 95 % over the posterior draws; None without draws)
    and ``error`` (why the row is not a valid curve, else None).
    """
    state = wh.result_state("response_curves")
    if state is not None:
        return {**state, "items": []}
    rows = _curve_rows(wh)
    draws = _draws(wh, [str(r["channel"]) for r in rows])
    items = []
    for r in rows:
        cur = num(r["current_spend"]) or 0.0
        top = cur * 2.5 if cur > 0 else (num(r["half_saturation"]) or 1.0) * 3
        xs = [top * i / (points - 1) for i in range(points)]
        extra: dict[str, Any] = {"y": [], "y_current": None, "y_lo": None, "y_hi": None, "error": None}
        try:
            problem = _missing_params(r)
            if problem:
                raise OmnimixError(problem)
            own = None if draws is None else draws[draws["channel"] == r["channel"]]
            rc = ResponseCurves.from_frames(pd.DataFrame([r]), own)
            per_draw = rc.draws(xs, channel=0)  # (D, N)
            extra["y"] = [float(v) for v in per_draw.mean(axis=0)]
            extra["y_current"] = float(rc.response([cur], channel=0)[0])
            if rc.n_draws > 1:
                lo, hi = np.quantile(per_draw, [0.05, 0.95], axis=0)
                extra["y_lo"], extra["y_hi"] = [float(v) for v in lo], [float(v) for v in hi]
        except (OmnimixError, ValueError, TypeError, OverflowError) as exc:
            extra = {**extra, "y": [], "error": str(exc)}
        items.append({**r, "x": xs, **extra})
    return {"computed": True, "items": items, "draws": 0 if draws is None else int(draws["draw"].nunique())}


def segments(wh: Warehouse) -> dict[str, Any]:
    """Segments with size, mean CLV, mean P(alive), share of total CLV and persona when present."""
    state = wh.result_state("clv")
    if state is not None:
        return {**state, "items": []}
    with_p = wh.result_state("segment_profiles") is None
    rows = wh.rows(
        "SELECT coalesce(k.segment, 'unsegmented') AS segment, count(*) AS customers, avg(k.clv) AS avg_clv, "
        "sum(k.clv) AS total_clv, avg(k.p_alive) AS avg_p_alive"
        + (", any_value(p.persona) AS persona" if with_p else ", NULL AS persona")
        + " FROM clv_customers k"
        + (" LEFT JOIN segment_profiles p ON p.segment = k.segment" if with_p else "")
        + " GROUP BY 1 ORDER BY total_clv DESC NULLS LAST"
    )
    total = sum(float(r["total_clv"] or 0.0) for r in rows)
    for r in rows:
        r["share_clv"] = div(num(r["total_clv"]), total)
    return {"computed": True, "items": rows}


def clv_customers(wh: Warehouse, segment: str | None, offset: int, limit: int) -> dict[str, Any]:
    state = wh.result_state("clv")
    if state is not None:
        return {**state, "items": [], "total": 0}
    where, params = ("WHERE segment = ?", [segment]) if segment else ("", [])
    total = int(wh.scalar(f"SELECT count(*) FROM clv_customers {where}", params) or 0)
    rows = wh.rows(
        f"SELECT customer_id, segment, clv, p_alive FROM clv_customers {where} "
        "ORDER BY clv DESC NULLS LAST, customer_id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return {"computed": True, "items": rows, "total": total}
