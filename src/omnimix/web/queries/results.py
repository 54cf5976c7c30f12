"""Results written by the analysis stages: attribution, MMM contributions and fit, response curves, CLV.

Each reader answers the "not computed yet" body of :func:`omnimix.web.registry.not_computed` while its
table is missing, lacks a column or is empty. Response curves are read as
:class:`omnimix.curves.ResponseCurves` (``response_curves``, with the posterior draws of
``response_curve_draws`` when that table covers every channel) and evaluated by it; the formulas live in
:mod:`omnimix.transforms` only.
"""

from __future__ import annotations

import json
from pathlib import Path
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


def _persona_json(text: Any) -> dict[str, Any]:
    """A ``segment_profiles.persona`` value: the JSON persona card ``omnimix clv segments`` writes
    (:meth:`omnimix.clv.rfm.PersonaCard.to_dict`), or — for a plain-text persona — its description."""
    if text is None:
        return {}
    try:
        card = json.loads(str(text))
    except ValueError:
        return {"description": str(text)}
    return card if isinstance(card, dict) else {"description": str(text)}


def _pairs(items: Any) -> list[tuple[str, float | None]]:
    out = []
    for it in items or []:
        if isinstance(it, dict) and it.get("name") is not None:
            out.append((str(it["name"]), num(it.get("share"))))
        elif isinstance(it, list | tuple) and it:
            out.append((str(it[0]), num(it[1]) if len(it) > 1 else None))
    return out


def persona_cards(wh: Warehouse) -> dict[str, Any]:
    """One card per segment: size and share of customers, share of CLV, mean CLV and P(alive), AOV,
    orders per customer (frequency), median days since the last order (recency) and the top three
    channels, with the persona's description, typical path and regions from ``segment_profiles``.

    The figures come from the warehouse as it is now (``clv_customers`` joined to ``customers``); a
    figure the warehouse cannot give (no ``customers`` rows, no ``recency_days``) falls back to the one
    the persona card stored when ``omnimix clv segments`` ran. Without CLV predictions the stored cards
    are shown alone; with neither, the "not computed" body of ``clv``.
    """
    seg = segments(wh)
    profiles: dict[str, dict[str, Any]] = {}
    if wh.result_state("segment_profiles") is None:
        for r in wh.rows("SELECT segment, persona FROM segment_profiles ORDER BY segment"):
            profiles[str(r["segment"])] = _persona_json(r["persona"])
    if not seg["computed"] and not profiles:
        return {**seg, "items": []}
    sql_cards: dict[str, dict[str, Any]] = {}
    if seg["computed"] and wh.count("customers") > 0:
        ccols = wh.tables().get("customers", [])
        rec = "median(c.recency_days)" if "recency_days" in ccols else "NULL::DOUBLE"
        for r in wh.rows(
            "SELECT coalesce(k.segment, 'unsegmented') AS segment, sum(c.revenue) AS revenue, "
            f"sum(c.orders) AS orders, avg(coalesce(c.orders, 0)) AS frequency, {rec} AS recency_days "
            "FROM clv_customers k JOIN customers c ON c.customer_id = k.customer_id GROUP BY 1"
        ):
            sql_cards[str(r["segment"])] = {
                "aov": div(num(r["revenue"]), num(r["orders"])),
                "frequency": num(r["frequency"]),
                "recency_days": num(r["recency_days"]),
            }
        acq = ("coalesce(c.acquisition_channel, c.channels[1])" if "acquisition_channel" in ccols
               else "c.channels[1]")
        for r in wh.rows(
            "SELECT segment, channel, n, n / sum(n) OVER (PARTITION BY segment) AS share FROM ("
            f"SELECT coalesce(k.segment, 'unsegmented') AS segment, {acq} AS channel, count(*) AS n "
            "FROM clv_customers k JOIN customers c ON c.customer_id = k.customer_id GROUP BY 1, 2) "
            "WHERE channel IS NOT NULL QUALIFY row_number() OVER (PARTITION BY segment ORDER BY n DESC, channel) <= 3 "
            "ORDER BY segment, n DESC, channel"
        ):
            sql_cards.setdefault(str(r["segment"]), {}).setdefault("top_channels", []).append(
                (str(r["channel"]), num(r["share"])))
    n_all = sum(int(s["customers"] or 0) for s in seg["items"])
    known = [str(s["segment"]) for s in seg["items"]]
    order = known + sorted(set(profiles) - set(known))
    by_seg = {str(s["segment"]): s for s in seg["items"]}
    items = []
    for key in order:
        p = profiles.get(key, {})
        s = by_seg.get(key, {})
        q = sql_cards.get(key, {})

        def pick(*values: Any) -> Any:
            return next((v for v in values if v is not None), None)

        items.append({
            "segment": key,
            "description": p.get("description") or None,
            "customers": pick(s.get("customers"), p.get("size")),
            "share": pick(div(num(s.get("customers")), float(n_all) if n_all else None), num(p.get("share"))),
            "share_clv": s.get("share_clv"),
            "value_share": num(p.get("value_share")),
            "avg_clv": pick(num(s.get("avg_clv")), num(p.get("mean_clv"))),
            "avg_p_alive": num(s.get("avg_p_alive")),
            "aov": pick(q.get("aov"), num(p.get("aov"))),
            "frequency": pick(q.get("frequency"), num(p.get("mean_orders"))),
            "recency_days": pick(q.get("recency_days"), num(p.get("median_recency_days"))),
            "top_channels": q.get("top_channels") or _pairs(p.get("top_channels")),
            "typical_path": [x.strip() for x in str(p["typical_path"]).split(">") if x.strip()]
            if p.get("typical_path") else [],
            "top_regions": _pairs(p.get("top_regions")),
        })
    return {"computed": True, "items": items, "clv_computed": bool(seg["computed"]),
            "clv_state": None if seg["computed"] else {k: v for k, v in seg.items() if k != "items"}}


#: Reading of the MMM health score (:mod:`omnimix.mmm.checks`): 80–100 healthy; 50–79 usable, read
#: the failed review checks; below 50 failed review.
HEALTH_BANDS: tuple[tuple[int, str], ...] = ((80, "healthy"), (50, "usable"), (0, "failed"))

#: How each ``mmm_diagnostics`` metric reads: ``bool`` (1/0), ``int`` (counts, ESS), ``rhat`` (3
#: decimals), ``pct`` (shares and coverages), ``dec`` (3 decimals).
METRIC_TYPES: dict[str, str] = {
    "passed": "bool", "health": "int", "rhat_max": "rhat", "ess_bulk_min": "int", "ess_tail_min": "int",
    "divergences": "int", "divergence_rate": "pct", "ppc_coverage": "pct", "holdout_mape": "pct",
    "holdout_coverage": "pct", "mape": "pct", "r2": "dec",
}
#: How each review check's value reads (its name in :mod:`omnimix.mmm.checks`); ``divergences`` is
#: the check on the divergence *rate*, unlike the metric of that name (a count).
CHECK_TYPES: dict[str, str] = {
    "rhat": "rhat", "divergences": "pct", "ess_bulk": "int", "ess_tail": "int", "map_optimizer": "bool",
    "ppc_coverage": "pct", "holdout": "pct", "negative_baseline": "pct", "bayesian_ppp": "dec", "r2": "dec",
    "prior_posterior_shift": "int", "roi_in_prior_range": "int", "implausible_roi": "dec", "media_share": "pct",
    "prior_data_conflict": "int",
}


def health_band(score: float | None) -> str | None:
    """``healthy`` / ``usable`` / ``failed`` for a 0–100 health score (see :data:`HEALTH_BANDS`)."""
    if score is None:
        return None
    return next(band for low, band in HEALTH_BANDS if score >= low)


def fit_report(wh: Warehouse, values: dict[str, float | None]) -> dict[str, Any] | None:
    """The review of the latest workspace fit as ``omnimix mmm fit`` saved it (``DIR/mmm/latest/
    model.json``: every check with its threshold, the warnings and the per-channel identification), when
    it is the fit ``mmm_diagnostics`` holds (same verdict and health score); else None."""
    path = Path(wh.workspace.root) / "mmm" / "latest" / "model.json"
    try:
        stat = path.stat()
    except OSError:
        return None

    def load() -> dict[str, Any] | None:
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        diag = meta.get("diagnostics") if isinstance(meta, dict) else None
        return diag if isinstance(diag, dict) else None

    diag = wh.cached(("fit_report", str(path), stat.st_mtime_ns, stat.st_size), load)
    if diag is None:
        return None
    same = bool(diag.get("passed")) == bool(values.get("passed"))
    if values.get("health") is not None and diag.get("health") is not None:
        same = same and round(float(diag["health"])) == round(float(values["health"] or 0))
    return diag if same else None


def mmm_panel(wh: Warehouse) -> dict[str, Any]:
    """The Mix page's diagnostics panel from ``mmm_diagnostics`` (and the fit's saved review).

    Returns ``computed``, ``passed`` (bool or None), ``health`` and its ``band``, ``checks`` (``name,
    value, type, threshold, level, passed``; thresholds and levels from the saved review, None
    without it), ``metrics`` (the other figures with their ``type``), ``weak`` (weakly identified
    channels as ``(channel, contraction or None)``), ``warnings`` (the review's other warnings, as
    written), ``warnings_total`` (all of the review's warnings) and ``report`` (whether the saved
    review was read).
    """
    state = wh.result_state("mmm_diagnostics")
    if state is not None:
        return {**state, "checks": [], "metrics": [], "weak": [], "warnings": []}
    values: dict[str, float | None] = {
        str(r["metric"]): num(r["value"]) for r in wh.rows("SELECT metric, value FROM mmm_diagnostics")
    }
    report = fit_report(wh, values)
    passed = values.get("passed")
    health = values.get("health")
    checks: list[dict[str, Any]] = []
    if report and isinstance(report.get("checks"), list):
        for c in report["checks"]:
            if not isinstance(c, dict) or "name" not in c:
                continue
            name = str(c["name"])
            checks.append({"name": name, "value": num(c.get("value")), "type": CHECK_TYPES.get(name, "dec"),
                           "threshold": c.get("threshold"), "level": c.get("level"),
                           "passed": bool(c.get("passed")), "applies": c.get("value") is not None})
    else:
        for metric in sorted(values):
            parts = metric.split(":")
            if len(parts) == 2 and parts[0] == "check":
                name = parts[1]
                flag = values.get(f"check:{name}:passed")
                checks.append({"name": name, "value": values[metric], "type": CHECK_TYPES.get(name, "dec"),
                               "threshold": None, "level": None,
                               "passed": None if flag is None else flag >= 0.5, "applies": values[metric] is not None})
    metrics = [
        {"metric": m, "value": v, "type": METRIC_TYPES.get(m, "dec")}
        for m, v in sorted(values.items())
        if not m.startswith("check:") and m not in ("passed", "health") and v is not None
    ]
    weak: list[tuple[str, float | None]] = []
    others: list[str] = []
    total = 0
    if report is not None:
        from omnimix.mmm.diagnostics import WEAK_ID_SHARE

        ident = (report.get("details") or {}).get("identification") or report.get("identification") or {}
        if isinstance(ident, dict):
            weak = [(str(ch), num(k)) for ch, k in ident.items()
                    if num(k) is not None and float(k) < 1.0 - WEAK_ID_SHARE]
        warns = [str(w) for w in report.get("warnings") or []]
        total = len(warns)
        names = {ch for ch, _ in weak}
        others = [w for w in warns if not any(w.startswith(f"{ch}: ") and "weakly identified" in w for ch in names)]
    elif wh.has("mmm_channel_status", ("channel", "status")):
        weak = [(str(r["channel"]), None) for r in
                wh.rows("SELECT channel FROM mmm_channel_status WHERE status = 'weak' ORDER BY channel")]
        total = len(weak)
    return {
        "computed": True,
        "passed": None if passed is None else passed >= 0.5,
        "health": health,
        "band": health_band(health),
        "checks": checks,
        "metrics": metrics,
        "weak": weak,
        "warnings": others,
        "warnings_total": total,
        "report": report is not None,
    }


def workspace_channels(wh: Warehouse) -> list[str]:
    """Every channel the warehouse knows (spend, touchpoints and the result tables), sorted: the list
    :func:`omnimix.web.figures.channel_colors` indexes, so a channel has one colour on every page."""

    def compute() -> list[str]:
        parts = [f"SELECT DISTINCT CAST(channel AS VARCHAR) AS channel FROM {t}"
                 for t in ("spend", "touchpoints", "attribution_results", "mmm_channels", "response_curves")
                 if wh.has(t, ("channel",))]
        if not parts:
            return []
        rows = wh.rows(f"SELECT DISTINCT channel FROM ({' UNION ALL '.join(parts)}) WHERE channel IS NOT NULL "
                       "ORDER BY channel")
        return [str(r["channel"]) for r in rows]

    return wh.cached(("workspace_channels",), compute) if wh.exists() else []
