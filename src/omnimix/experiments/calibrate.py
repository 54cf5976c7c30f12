"""From a read test to the mix model: the ``experiments`` row and the other tools' calibration formats.

A read test's incremental KPI over its window (mean and interval at ``level``) becomes one
``experiments`` row: ``lift`` = the mean, ``lift_sd`` = the interval's half-width over ``z`` at the
interval's level (``(hi − lo) / (2·z_{(1+level)/2})``, the normal standard error the interval implies),
``spend`` = the channel's (incremental) spend in the treated geos over the window, plus ``method`` and
``geos``. ``omnimix mmm fit`` reads every row of the table (``channel, start, end, lift, lift_sd,
spend``) as a lift-test likelihood term, so a recorded test calibrates the next fit.

Exports of the same rows, one convention each:

* **Meridian** (ROI calibration prior): ``roi_mean = lift / spend``, ``roi_sd = lift_sd / spend`` and the
  LogNormal parameters with that mean and sd, ``sigma = sqrt(log(1 + (sd/mean)²))``,
  ``mu = log(mean) − sigma²/2`` (Meridian's ``roi_m`` prior is ``LogNormal(mu, sigma)``).
* **PyMC-Marketing** lift tests (``add_lift_test_measurements``): ``channel, x, delta_x, delta_y,
  sigma`` per model period: a holdout or go-dark test compares spend 0 with spend ``x``, so ``x = 0``,
  ``delta_x`` = spend per period and ``delta_y``/``sigma`` = lift and its sd per period (``period_days``
  days, default 7).
* **Robyn** ``calibration_input``: ``channel, liftStartDate, liftEndDate, liftAbs, spend, confidence,
  metric, calibration_scope`` with ``confidence = 1 − p`` (``p`` the two-sided normal p-value of
  ``lift/lift_sd``) and ``calibration_scope = "immediate"``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from scipy import stats

from omnimix.errors import UsageError
from omnimix.workspace import Workspace

__all__ = [
    "calibration_row",
    "read_experiments",
    "record_experiment",
    "result_row",
    "to_meridian",
    "to_pymc_marketing",
    "to_robyn",
]


def _date(x: str | dt.date, name: str) -> dt.date:
    if isinstance(x, dt.date):
        return x
    try:
        return dt.date.fromisoformat(str(x)[:10])
    except ValueError:
        raise UsageError(f"{name}={x!r} is not a date", ["use YYYY-MM-DD"]) from None


def _incremental(result: Any) -> tuple[dict[str, float], float, str, list[str]]:
    """(incremental KPI interval, level, method, treated geos) of a result object or its JSON."""
    js: dict[str, Any]
    if isinstance(result, dict):
        js = result
    elif hasattr(result, "total") and hasattr(result, "level") and isinstance(result.total, dict):
        return dict(result.total), float(result.level), "its", []
    elif hasattr(result, "to_json"):
        js = result.to_json()
    else:
        raise UsageError(f"cannot read a lift from {type(result).__name__}",
                         ["pass an analyze() result, an ItsResult or its JSON"])  # fmt: skip
    inc = js.get("incremental_kpi")
    if not isinstance(inc, dict) or not {"mean", "lo", "hi"} <= set(inc):
        raise UsageError("the result has no incremental_kpi {mean, lo, hi}", ["pass an analysis result"])
    geos = js.get("treated") or js.get("geos") or []
    return dict(inc), float(js.get("level", 0.9)), str(js.get("method", "")), [str(g) for g in geos or []]


def calibration_row(
    result: Any,
    *,
    channel: str,
    start: str | dt.date,
    end: str | dt.date,
    spend: float | None = None,
    method: str | None = None,
    geos: Sequence[str] | None = None,
    level: float | None = None,
) -> dict[str, Any]:
    """The ``experiments`` row for a read test (see the module docstring).

    Args:
        result: an ``analyze`` result (or its JSON dict with ``incremental_kpi``) or an ItsResult.
        channel: the channel the test moved (a channel name of the MMM).
        start, end: the test window (inclusive).
        spend: the channel's spend (or incremental cost) in the treated geos over the window.
        method, geos: override what the result says.
        level: the interval's level when the result does not carry it.
    """
    inc, lv, meth, tr = _incremental(result)
    lv = level or lv
    if not 0.0 < lv < 1.0:
        raise UsageError(f"level={lv} is not in (0, 1)", ["use the analysis' --level"])
    s, e = _date(start, "start"), _date(end, "end")
    if e < s:
        raise UsageError(f"end {e} is before start {s}", ["swap the dates"])
    if not channel:
        raise UsageError("channel is empty", ["name the channel the test moved"])
    z = float(stats.norm.ppf(0.5 + lv / 2.0))
    sd = (float(inc["hi"]) - float(inc["lo"])) / (2.0 * z)
    if not (math.isfinite(sd) and sd > 0):
        raise UsageError(f"the interval {inc['lo']}..{inc['hi']} gives lift_sd={sd}",
                         ["a lift needs an interval of positive width"])  # fmt: skip
    g = list(geos) if geos is not None else tr
    return {
        "experiment_id": f"{channel}:{s.isoformat()}:{e.isoformat()}",
        "channel": channel,
        "start": s,
        "end": e,
        "lift": float(inc["mean"]),
        "lift_sd": sd,
        "spend": float("nan") if spend is None else float(spend),
        "source": "omnimix experiment",
        "method": method or meth or None,
        "geos": ",".join(g) if g else None,
    }


def result_row(row: dict[str, Any], result: Any) -> dict[str, Any]:
    """The ``experiment_results`` row of a recorded test: ``row`` (its ``experiments`` row) and the read
    (a ``LiftResult``, or the JSON of ``analyze --json`` — with ``--detail`` it carries the series the
    dashboard charts; without, ``periods`` is NULL)."""
    import json

    doc: dict[str, Any] = result if isinstance(result, dict) else result.detail_json()

    def iv(name: str) -> dict[str, Any]:
        v = doc.get(name)
        return v if isinstance(v, dict) else {}

    def num(x: Any) -> float | None:
        return None if x is None or not math.isfinite(float(x)) else float(x)

    out: dict[str, Any] = {k: row[k] for k in ("experiment_id", "channel", "start", "end", "method")}
    out["inference"] = doc.get("inference")
    out["level"] = num(doc.get("level", 0.9))
    treated = doc.get("treated")
    out["treated"] = ",".join(str(g) for g in treated) if treated else row.get("geos")
    for name in ("att", "incremental_kpi", "lift", "iroas"):
        for part in ("mean", "lo", "hi"):
            out[f"{name}_{part}"] = num(iv(name).get(part))
    out["p_value"] = num(doc.get("p_value"))
    out["incremental_cost"] = num(doc.get("incremental_cost"))
    raw_fit = doc.get("pre_fit")
    fit: dict[str, Any] = raw_fit if isinstance(raw_fit, dict) else {}
    out["pre_rmse"], out["pre_r2"] = num(fit.get("rmse")), num(fit.get("r2"))
    out["weights"] = json.dumps(doc.get("weights") or {}, ensure_ascii=False)
    periods = doc.get("periods")
    out["periods"] = json.dumps(periods, ensure_ascii=False) if periods else None
    out["recorded_at"] = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    return out


def record_experiment(workspace: Workspace | str | Path, row: dict[str, Any], result: Any = None) -> int:
    """Write ``row`` into ``experiments``, replacing an earlier read of the same (channel, start, end);
    with ``result`` (the read, or its JSON) also its :func:`result_row` into ``experiment_results``."""
    ws = Workspace.of(workspace)
    with ws.writer() as w:        # both rows in one transaction
        n = int(w.write("experiments", pd.DataFrame([row]), 'channel = ? AND "start" = ? AND "end" = ?',
                        (row["channel"], row["start"], row["end"])))  # fmt: skip
        if result is not None:
            res = result_row(row, result)
            w.write("experiment_results", pd.DataFrame([res]), "experiment_id = ?", (res["experiment_id"],))
    return n


def read_experiments(workspace: Workspace | str | Path) -> pd.DataFrame:
    """Every ``experiments`` row (for the exports)."""
    return Workspace.of(workspace).read("experiments", order_by=("channel", "start"))


def _rows(rows: pd.DataFrame | Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    recs = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else [dict(r) for r in rows]
    for r in recs:
        for c in ("channel", "start", "end", "lift", "lift_sd"):
            if c not in r:
                raise UsageError(f"an experiment row lacks {c!r}", ["pass calibration_row() rows or the table"])
    return recs


def _spend(r: dict[str, Any]) -> float:
    sp = r.get("spend")
    if sp is None or not math.isfinite(float(sp)) or float(sp) <= 0:
        raise UsageError(f"the test on {r['channel']} ({r['start']}..{r['end']}) has no spend",
                         ["record the test's spend: ROI calibration needs it"])  # fmt: skip
    return float(sp)


def to_meridian(rows: pd.DataFrame | Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Meridian ROI calibration: ``channel, start, end, roi_mean, roi_sd, mu, sigma`` (LogNormal)."""
    out = []
    for r in _rows(rows):
        sp = _spend(r)
        m, s = float(r["lift"]) / sp, float(r["lift_sd"]) / sp
        if m <= 0:
            raise UsageError(f"the test on {r['channel']} has ROI {m:.3g} ≤ 0",
                             ["a LogNormal ROI prior needs a positive ROI; leave the test out"])  # fmt: skip
        sig = math.sqrt(math.log1p((s / m) ** 2))
        out.append({"channel": r["channel"], "start": r["start"], "end": r["end"], "roi_mean": m, "roi_sd": s,
                    "mu": math.log(m) - sig**2 / 2, "sigma": sig})  # fmt: skip
    return pd.DataFrame(out)


def _days(r: dict[str, Any]) -> int:
    return int((pd.Timestamp(r["end"]) - pd.Timestamp(r["start"])).days) + 1


def to_pymc_marketing(rows: pd.DataFrame | Iterable[dict[str, Any]], *, period_days: int = 7) -> pd.DataFrame:
    """PyMC-Marketing lift tests: ``channel, x, delta_x, delta_y, sigma`` per model period."""
    out = []
    for r in _rows(rows):
        periods = _days(r) / period_days
        out.append({"channel": r["channel"], "x": 0.0, "delta_x": _spend(r) / periods,
                    "delta_y": float(r["lift"]) / periods, "sigma": float(r["lift_sd"]) / periods})  # fmt: skip
    return pd.DataFrame(out)


def to_robyn(rows: pd.DataFrame | Iterable[dict[str, Any]], *, metric: str = "revenue") -> pd.DataFrame:
    """Robyn ``calibration_input``: ``channel, liftStartDate, liftEndDate, liftAbs, spend, confidence,
    metric, calibration_scope``."""
    out = []
    for r in _rows(rows):
        p = float(2 * stats.norm.sf(abs(float(r["lift"])) / float(r["lift_sd"])))
        out.append({"channel": r["channel"], "liftStartDate": pd.Timestamp(r["start"]).date().isoformat(),
                    "liftEndDate": pd.Timestamp(r["end"]).date().isoformat(), "liftAbs": float(r["lift"]),
                    "spend": _spend(r), "confidence": 1.0 - p, "metric": metric,
                    "calibration_scope": "immediate"})  # fmt: skip
    return pd.DataFrame(out)
