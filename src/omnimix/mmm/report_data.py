"""The numbers of the one-page MMM report, gathered from a fit (report logic apart from its markup).

:func:`collect` reads a :class:`~omnimix.mmm.analysis.FittedMMM` (typed ``Any``: the results module
imports the report, not the other way round) and an optional budget plan, and returns plain numbers:
the headline, one row per channel, the waterfall, the curves, adstock, fit and residuals, the health
checks and the budget panel. :mod:`omnimix.mmm.report_charts` draws them and the template
``templates/report.html`` lays them out.

Health checks: a fit that carries ``health`` (0–100) and ``checks`` (``[{name, value, threshold,
passed, message}]``) in its diagnostics shows them as they are; an older fit shows its review gates
(R-hat, ESS, divergences, coverage, holdout) in the same form, marked as derived, and no score.
A channel's status (``ok`` / ``weak`` / ``conflict``) is read from the fit when present, else derived
from the identification score (below 0.5: weak).

Budget panel: the plan is the optimizer's document (``Allocation.to_dict()``, the ``omnimix optimize
--json`` form) computed on :meth:`FittedMMM.curves` at the current weekly budget. This module
only reads it; the marginal-ROI intervals at current and planned spend come from the same curves'
posterior draws.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from omnimix.mmm.diagnostics import (
    DIVERGENCE_RATE_MAX,
    ESS_MIN,
    HOLDOUT_COVERAGE_MIN,
    PPC_COVERAGE_MIN,
    RHAT_MAX,
    WEAK_ID_SHARE,
)
from omnimix.mmm.stats import interval

#: A planned change within ±2% of current spend reads as "hold".
HOLD_BAND = 0.02
STATUSES = ("ok", "weak", "conflict")


def _f(x: Any) -> float | None:
    """A finite float or None."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _iv(d: Mapping[str, Any] | None) -> dict[str, float | None] | None:
    if not d:
        return None
    return {k: _f(d.get(k)) for k in ("mean", "lo", "hi")}


def _quantiles(draws: np.ndarray) -> dict[str, float | None]:
    a = np.asarray(draws, dtype=np.float64)
    a = a[np.isfinite(a)]
    if a.size == 0:
        return {"mean": None, "lo": None, "hi": None}
    lo, hi = np.quantile(a, [0.05, 0.95])
    return {"mean": float(a.mean()), "lo": float(lo), "hi": float(hi)}


def _diag_get(d: Mapping[str, Any], key: str) -> Any:
    """A diagnostic by name, at the top level or under ``details``."""
    if key in d and d[key] is not None:
        return d[key]
    return (d.get("details") or {}).get(key)


def channel_statuses(diag: Mapping[str, Any], summary: Mapping[str, Any],
                     channels: Sequence[str]) -> tuple[dict[str, str | None], bool, dict[str, str]]:
    """Per channel ``ok`` / ``weak`` / ``conflict``, whether the fit recorded them (else derived from
    the identification score), and the recorded reason per channel (empty when none).

    Looks for ``summary.channels[c].status``, then ``diagnostics[.details].channel_status`` (a status
    or ``{status, reason}`` per channel); falls back to the identification score.
    """
    out: dict[str, str | None] = {}
    reasons: dict[str, str] = {}
    found = False
    table: Any = None
    for key in ("channel_status", "channel_statuses"):
        v = _diag_get(diag, key)
        if isinstance(v, Mapping):
            table = v
            break
    ident = _diag_get(diag, "identification") or {}
    for c in channels:
        entry = summary.get("channels", {}).get(c) or {}
        s = entry.get("status")
        reason = entry.get("status_reason") or ""
        if s is None and table is not None:
            s = table.get(c)
        if isinstance(s, Mapping):
            reason = s.get("reason") or reason
            s = s.get("status")
        if isinstance(s, str) and s in STATUSES:
            out[c] = s
            reasons[c] = str(reason)
            found = True
            continue
        score = _f(ident.get(c)) if isinstance(ident, Mapping) else None
        out[c] = None if score is None else ("weak" if score < 1 - WEAK_ID_SHARE else "ok")
        reasons[c] = ""
    return out, found, reasons


def derived_checks(diag: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The review gates of an older fit as check rows ``{name, value, threshold, passed, message}``."""
    rows: list[dict[str, Any]] = []

    def add(name: str, value: Any, threshold: str, passed: bool | None) -> None:
        rows.append({"name": name, "value": _f(value), "threshold": threshold, "passed": passed,
                     "message": "", "level": "gate"})

    nuts = diag.get("mode") == "nuts"
    if nuts:
        r = _f(diag.get("rhat_max"))
        add("rhat", r, f"≤ {RHAT_MAX}", None if r is None else r <= RHAT_MAX)
        e = _f(diag.get("ess_bulk_min"))
        add("ess_bulk", e, f"≥ {ESS_MIN:g}", None if e is None else e >= ESS_MIN)
        rate = _f(diag.get("divergence_rate")) or 0.0
        n = int(diag.get("divergences") or 0)
        rows.append({"name": "divergences", "value": f"{n:,} ({rate:.1%})", "threshold": f"≤ {DIVERGENCE_RATE_MAX:.0%}",
                     "passed": rate <= DIVERGENCE_RATE_MAX, "message": "", "level": "gate"})
    cov = _f(diag.get("ppc_coverage"))
    add("ppc_coverage", cov, f"≥ {PPC_COVERAGE_MIN:.0%}", None if cov is None else cov >= PPC_COVERAGE_MIN)
    add("r2", diag.get("r2"), "", None)
    add("mape", diag.get("mape"), "", None)
    hc, hm, m = _f(diag.get("holdout_coverage")), _f(diag.get("holdout_mape")), _f(diag.get("mape"))
    if hc is not None:
        add("holdout_coverage", hc, f"≥ {HOLDOUT_COVERAGE_MIN:.0%}", hc >= HOLDOUT_COVERAGE_MIN)
    if hm is not None:
        add("holdout_mape", hm, "≤ 3 × MAPE", None if m is None else hm <= 3 * m)
    return rows


def _checks(diag: Mapping[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    raw = _diag_get(diag, "checks")
    if isinstance(raw, Sequence) and not isinstance(raw, str) and raw:
        rows = []
        for c in raw:
            if not isinstance(c, Mapping):
                continue
            rows.append({
                "name": str(c.get("name", "")),
                "value": c.get("value"),
                "threshold": c.get("threshold"),
                "passed": c.get("passed"),
                "message": str(c.get("message") or ""),
                "level": str(c.get("level") or "gate"),
            })
        return rows, True
    return derived_checks(diag), False


def _interp(x: float, xs: Sequence[float], ys: Sequence[float]) -> float:
    return float(np.interp(x, np.asarray(xs, float), np.asarray(ys, float)))


def _guardrail(plan: Mapping[str, Any]) -> float | None:
    """The ±fraction every channel was kept within: the plan's ``guardrail``, else the guarded
    optimizer's symmetric default band (``guardrail_change``, e.g. [-0.3, 0.3])."""
    if plan.get("guardrail") is not None:
        return float(plan["guardrail"])
    band = plan.get("guardrail_change")
    if band and len(band) == 2 and math.isclose(-float(band[0]), float(band[1])):
        return float(band[1])
    return None


def budget_panel(curves: Any, plan: Mapping[str, Any] | None, *, passed: bool,
                 held: Sequence[str] = ()) -> dict[str, Any]:
    """The budget panel from the optimizer's plan document on ``curves`` (a ResponseCurves).

    Returns:
        ``{"state": "plan" | "not_run" | "failed", ...}``; with a plan: the weekly budget, current and
        planned KPI with 90% intervals, uplift, and per channel current / planned spend, change,
        marginal ROI at both (90% intervals from the curves' draws) and the action
        (scale / hold / cut).
    """
    if not passed:
        return {"state": "failed"}
    if plan is None:
        return {"state": "not_run"}
    names = list(curves.channels)
    cur_map, new_map = plan.get("current_allocation") or {}, plan.get("allocation") or {}
    cur = np.array([float(cur_map.get(c, curves.current_spend[j])) for j, c in enumerate(names)])
    new = np.array([float(new_map.get(c, cur[j])) for j, c in enumerate(names)])
    d_cur, d_new = curves.draws(cur, order=1), curves.draws(new, order=1)  # (D, C)
    k_cur, k_new = curves.total_draws(cur), curves.total_draws(new)  # (D,)
    rows = []
    for j, c in enumerate(names):
        change = (new[j] - cur[j]) / cur[j] if cur[j] > 0 else (math.inf if new[j] > 0 else 0.0)
        action = "hold" if abs(change) <= HOLD_BAND else ("scale" if change > 0 else "cut")
        rows.append({
            "channel": c,
            "current": float(cur[j]),
            "planned": float(new[j]),
            "change": _f(change),
            "mroi_current": _quantiles(d_cur[:, j]),
            "mroi_planned": _quantiles(d_new[:, j]),
            "action": action,
            "held": c in held,
        })
    ck, pk = _quantiles(k_cur), _quantiles(k_new)
    up = _quantiles(k_new - k_cur)
    uplift_pct = _quantiles((k_new - k_cur) / np.where(k_cur > 0, k_cur, np.nan))
    return {
        "state": "plan",
        "budget": float(cur.sum()),
        "planned_spend": float(new.sum()),
        "current_kpi": ck,
        "planned_kpi": pk,
        "uplift": up,
        "uplift_pct": uplift_pct,
        "guardrail": _f(_guardrail(plan)),
        "bounds_note": str(plan.get("bounds_note") or ""),
        "rows": rows,
        "optimizer": {k: plan.get(k) for k in ("expected_kpi", "current_kpi", "kpi_interval_90")},
    }


def collect(fit: Any, *, plan: Mapping[str, Any] | None = None, currency: str | None = None,
            held: Sequence[str] = ()) -> dict[str, Any]:
    """Every number the report shows, from ``fit`` and the optimizer's ``plan`` (or None)."""
    summ = fit.summary()
    diag = fit.diagnostics.to_dict()
    channels = list(fit.channels)
    kpi_total = float(summ["kpi_total"])
    spend = np.array([summ["channels"][c]["spend"] for c in channels], float)
    spend_total = float(spend.sum())
    contrib_mean = np.array([summ["channels"][c]["contribution"]["mean"] for c in channels], float)
    media_draws = fit.contributions.sum(axis=(1, 2))  # (S,)
    media_total = _quantiles(media_draws)
    statuses, status_recorded, status_reasons = channel_statuses(diag, summ, channels)
    ident = _diag_get(diag, "identification") or {}
    pos_total = float(np.clip(contrib_mean, 0, None).sum())
    rows = []
    for j, c in enumerate(channels):
        v = summ["channels"][c]
        rows.append({
            "channel": c,
            "spend": float(spend[j]),
            "spend_share": float(spend[j] / spend_total) if spend_total > 0 else None,
            "effect_share": float(max(contrib_mean[j], 0.0) / pos_total) if pos_total > 0 else None,
            "contribution": _iv(v["contribution"]),
            "kpi_share": _iv(v["share"]),
            "roi": _iv(v["roi"]),
            "mroi": _iv(v.get("mroi")),
            "identification": _f(ident.get(c)) if isinstance(ident, Mapping) else None,
            "status": statuses[c],
            "status_reason": status_reasons[c],
        })
    checks, checks_recorded = _checks(diag)
    health = _f(_diag_get(diag, "health"))

    # curves, adstock, fit, residuals
    rc = fit.response_curves()
    curves = {c: {"spend": rc[c]["spend"], "mean": rc[c]["mean"], "lo": rc[c]["lo"], "hi": rc[c]["hi"],
                  "current": float(rc[c]["current_weekly_spend"]),
                  "current_kpi": _interp(rc[c]["current_weekly_spend"], rc[c]["spend"], rc[c]["mean"])}
              for c in channels}
    ad = fit.adstock_curves()
    adstock = {c: [float(w) for w in ad[c]["mean"]] for c in channels}
    y_obs = np.einsum("tg,g->t", fit.prep.y, fit.prep.y_scale)
    pred = interval(fit.y_rep)
    hold = np.where(np.asarray(fit.prep.mask) == 0)[0]
    over_time = fit.contributions_over_time()
    resp_curves = None
    budget: dict[str, Any] = {"state": "failed" if not diag["passed"] else "not_run"}
    if diag["passed"] and plan is not None:
        resp_curves = fit.curves()
        budget = budget_panel(resp_curves, plan, passed=True, held=held)
        for r in budget["rows"]:
            cv = curves[r["channel"]]
            cv["planned"] = r["planned"]
            cv["planned_kpi"] = float(resp_curves.response(np.array([r["planned"]]),
                                                           channel=channels.index(r["channel"]))[0])
    exps = len(getattr(fit.data, "experiments", ()) or ())
    kpi_type = getattr(fit.config, "kpi_type", None)  # absent on fits from before KPI types
    return {
        "mode": fit.mode,
        "passed": bool(diag["passed"]),
        "health": health,
        "checks": checks,
        "checks_recorded": checks_recorded,
        "status_recorded": status_recorded,
        "reasons": list(zip(diag.get("reasons", []), diag.get("suggestions", []), strict=False)),
        "reasons_only": list(diag.get("reasons", [])[len(diag.get("suggestions", [])):]),
        "warnings": list(diag.get("warnings", [])),
        "currency": currency,
        "kpi_type": kpi_type if kpi_type in ("revenue", "count", "unknown") else None,
        "headline": {
            "start": summ["start"],
            "end": summ["end"],
            "periods": int(summ["periods"]),
            "period_days": int(getattr(fit.data, "period_days", 7)),
            "kpi_total": kpi_total,
            "spend_total": spend_total,
            "media_total": media_total,
            "baseline": _iv(summ["baseline"]),
            "media_share": _quantiles(media_draws / kpi_total) if kpi_total else None,
            "media_roi": _quantiles(media_draws / spend_total) if spend_total > 0 else None,
            "channels": len(channels),
            "geos": list(getattr(fit.data, "geos", ()) or ()),
            "experiments": exps,
        },
        "channels": channels,
        "rows": rows,
        "waterfall": {"baseline": float(np.asarray(summ["baseline"]["mean"])),
                      "channels": [float(x) for x in contrib_mean],
                      "actual": kpi_total},
        "curves": curves,
        "adstock": adstock,
        "series": {
            "dates": [d.isoformat() for d in fit.data.dates],
            "actual": y_obs.tolist(),
            "mean": np.asarray(pred["mean"]).tolist(),
            "lo": np.asarray(pred["lo"]).tolist(),
            "hi": np.asarray(pred["hi"]).tolist(),
            "holdout_start": int(hold[0]) if hold.size else None,
            "baseline": np.asarray(over_time["baseline"]["mean"]).tolist(),
            "media": {c: np.asarray(over_time[c]["mean"]).tolist() for c in channels},
        },
        "budget": budget,
    }
