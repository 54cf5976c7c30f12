"""Lift tests for ``/experiments`` and ``GET /api/v1/experiments``.

Every row of the canonical ``experiments`` table (recorded by ``omnimix experiment record`` or loaded
from a file) is one test; its full read, when it was recorded from an analysis, is in
``experiment_results`` (same ``experiment_id``): method, inference, the intervals of the ATT, the
incremental KPI, the lift and the iROAS, the p-value and the observed and counterfactual series. A row
without a stored read shows what the ``experiments`` row says: the incremental KPI ``lift`` with the
normal interval ``lift ± z·lift_sd`` at 90% and ``lift / spend`` as iROAS. The planner's next tests are
``experiment_plan`` (``omnimix experiment plan --workspace DIR --save``).
"""

from __future__ import annotations

import json
import math
from typing import Any

from omnimix.web.registry import not_computed
from omnimix.web.warehouse import Warehouse

#: The interval level of a test that only has ``lift_sd`` (a 90% normal interval).
LEVEL = 0.9
_Z90 = 1.6448536269514722

_RESULT_COLS = ("inference", "level", "treated", "att_mean", "att_lo", "att_hi", "incremental_kpi_mean",
                "incremental_kpi_lo", "incremental_kpi_hi", "lift_mean", "lift_lo", "lift_hi", "p_value",
                "iroas_mean", "iroas_lo", "iroas_hi", "incremental_cost", "pre_rmse", "pre_r2")


def _f(x: Any) -> float | None:
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _id(r: dict[str, Any]) -> str:
    return str(r.get("experiment_id") or f"{r['channel']}:{r['start']}:{r['end']}")


def _item(r: dict[str, Any], stored: dict[str, Any] | None) -> dict[str, Any]:
    lift, sd, spend = _f(r.get("lift")), _f(r.get("lift_sd")), _f(r.get("spend"))
    out: dict[str, Any] = {"experiment_id": _id(r), "channel": r["channel"], "start": str(r["start"]),
                           "end": str(r["end"]), "method": r.get("method"), "geos": r.get("geos"),
                           "spend": spend, "lift_sd": sd, "stored": stored is not None}
    if stored is not None:
        out.update({k: _f(stored.get(k)) if k not in ("inference", "treated") else stored.get(k)
                    for k in _RESULT_COLS})
        out["method"] = stored.get("method") or out["method"]
        out["has_series"] = bool(stored.get("periods"))
        return out
    lo = hi = None
    if lift is not None and sd is not None:
        lo, hi = lift - _Z90 * sd, lift + _Z90 * sd
    out.update({k: None for k in _RESULT_COLS})
    out.update({"level": LEVEL, "incremental_kpi_mean": lift, "incremental_kpi_lo": lo, "incremental_kpi_hi": hi,
                "has_series": False})
    if spend and spend > 0 and lift is not None:
        out.update({"iroas_mean": lift / spend, "iroas_lo": None if lo is None else lo / spend,
                    "iroas_hi": None if hi is None else hi / spend})
    if sd and lift is not None:
        out["p_value"] = math.erfc(abs(lift / sd) / math.sqrt(2.0))
    return out


def experiments(wh: Warehouse) -> dict[str, Any]:
    """``{"computed", "items": [...]}``: every lift test, newest first, with its read."""
    if not wh.exists() or not wh.has("experiments", ["channel", "start", "end", "lift", "lift_sd"]) \
            or wh.count("experiments") == 0:
        return {**not_computed("experiment_results", "no lift test recorded"), "items": []}
    cols = wh.tables()["experiments"]
    pick = ", ".join(f'"{c}"' for c in ("experiment_id", "channel", "start", "end", "lift", "lift_sd", "spend",
                                         "method", "geos") if c in cols)
    rows = wh.rows(f'SELECT {pick} FROM experiments ORDER BY "start" DESC, channel')
    stored: dict[str, dict[str, Any]] = {}
    if wh.result_state("experiment_results") is None:
        for s in wh.rows("SELECT experiment_id, method, " + ", ".join(_RESULT_COLS)
                         + ", periods IS NOT NULL AND periods <> '' AS periods FROM experiment_results"):
            stored[str(s["experiment_id"])] = s
    return {"computed": True, "level": LEVEL,
            "items": [_item(r, stored.get(_id(r))) for r in rows]}


def series(wh: Warehouse, experiment_id: str) -> dict[str, Any] | None:
    """The stored read's series and weights: ``{"periods": [...], "cumulative": [...], "weights": {...}}``
    (cumulative effect = running sum of observed − counterfactual over the test days), or None."""
    if wh.result_state("experiment_results") is not None:
        return None
    rows = wh.rows("SELECT periods, weights FROM experiment_results WHERE experiment_id = ?", [experiment_id])
    if not rows or not rows[0]["periods"]:
        return None
    periods = json.loads(rows[0]["periods"])
    run, cum = 0.0, []
    for p in periods:
        if p.get("in_test"):
            run += float(p["observed"] or 0.0) - float(p["counterfactual"] or 0.0)
            cum.append({"date": p["date"], "effect": run})
    weights = json.loads(rows[0]["weights"] or "{}")
    return {"periods": periods, "cumulative": cum, "weights": weights}


def next_tests(wh: Warehouse) -> dict[str, Any]:
    """The planner's stored plan: ``{"computed", "items", "reserve", "funding", "objective", "planned_at"}``."""
    state = wh.result_state("experiment_plan") if wh.exists() else not_computed("experiment_plan")
    if state is not None:
        return {**state, "items": []}
    rows = wh.rows("SELECT * FROM experiment_plan ORDER BY rank")
    first = rows[0]
    funding = json.loads(first["funding"]) if first.get("funding") else None
    return {"computed": True, "objective": first["objective"], "reserve": _f(first["reserve"]),
            "funding": funding, "planned_at": str(first["planned_at"]),
            "items": [{k: r[k] for k in ("rank", "channel", "start", "end", "expected_lift", "lift_sd", "cost",
                                         "sd_before", "sd_after", "reduction_per_cost")}
                      for r in rows if r["rank"] and r["channel"] is not None]}
