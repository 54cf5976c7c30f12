"""Plotly figure specs (plain dicts, rendered by ``static/omnimix.js``) shared by the dashboard pages.

Each builder takes rows as the queries return them and gives ``{"data": [...], "layout": {...}}``.
No numbers are computed here beyond picking fields: curve values come from
:func:`omnimix.web.queries.results.response_curves` (evaluated by :class:`omnimix.curves.ResponseCurves`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from omnimix.web.i18n import Formatter

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
LAYOUT: dict[str, Any] = {
    "margin": {"t": 20, "r": 10, "b": 40, "l": 60},
    "height": 340,
    "legend": {"orientation": "h", "y": -0.2},
}


def trend_fig(tr: dict[str, Any], fmt: Formatter) -> dict[str, Any]:
    """Spend and revenue lines with conversions as bars on a second axis."""
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "name": fmt.t("kpi.spend"),
                "x": tr["dates"],
                "y": tr["spend"],
            },
            {
                "type": "scatter",
                "mode": "lines",
                "name": fmt.t("kpi.revenue"),
                "x": tr["dates"],
                "y": tr["revenue"],
            },
            {
                "type": "bar",
                "name": fmt.t("kpi.conversions"),
                "x": tr["dates"],
                "y": tr["conversions"],
                "yaxis": "y2",
                "opacity": 0.3,
            },
        ],
        "layout": {
            **LAYOUT,
            "yaxis": {"title": {"text": fmt.currency}},
            "yaxis2": {
                "overlaying": "y",
                "side": "right",
                "showgrid": False,
                "title": {"text": fmt.t("kpi.conversions")},
            },
            "margin": {"t": 20, "r": 50, "b": 40, "l": 60},
        },
    }


def funnel_fig(fn: list[dict[str, Any]]) -> dict[str, Any]:
    """People per funnel stage."""
    return {
        "data": [
            {
                "type": "funnel",
                "y": [r["stage"] for r in fn],
                "x": [r["people"] for r in fn],
                "textinfo": "value",
            }
        ],
        "layout": {**LAYOUT, "margin": {"t": 20, "r": 10, "b": 20, "l": 110}},
    }


def grouped_bars(x: Sequence[str], series: Sequence[tuple[str, Sequence[Any]]]) -> dict[str, Any]:
    """One bar group per ``x`` value, one bar per ``(name, values)`` series."""
    return {
        "data": [{"type": "bar", "name": name, "x": list(x), "y": list(ys)} for name, ys in series],
        "layout": {**LAYOUT, "barmode": "group"},
    }


def interval_fig(rows: list[dict[str, Any]], mean: str, lo: str, hi: str) -> dict[str, Any]:
    """Bars of ``mean`` per channel with asymmetric error bars to ``lo`` and ``hi``."""
    return {
        "data": [
            {
                "type": "bar",
                "x": [r["channel"] for r in rows],
                "y": [r[mean] for r in rows],
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": [(r[hi] or 0) - (r[mean] or 0) for r in rows],
                    "arrayminus": [(r[mean] or 0) - (r[lo] or 0) for r in rows],
                },
            }
        ],
        "layout": LAYOUT,
    }


def curves_fig(items: list[dict[str, Any]], fmt: Formatter) -> dict[str, Any]:
    """Response curves (posterior mean, with a 90 % band when draws exist) and the current spend."""
    data: list[dict[str, Any]] = []
    for i, r in enumerate(items):
        if r["error"]:
            continue
        color = PALETTE[i % len(PALETTE)]
        if r.get("y_lo") and r.get("y_hi"):
            data.append(
                {"type": "scatter", "mode": "lines", "x": r["x"], "y": r["y_lo"], "showlegend": False,
                 "hoverinfo": "skip", "line": {"width": 0, "color": color}}
            )
            data.append(
                {"type": "scatter", "mode": "lines", "x": r["x"], "y": r["y_hi"], "showlegend": False,
                 "hoverinfo": "skip", "fill": "tonexty", "opacity": 0.2, "line": {"width": 0, "color": color}}
            )
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": r["channel"],
                "x": r["x"],
                "y": r["y"],
                "line": {"color": color},
            }
        )
        cur = r["current_spend"]
        if cur is not None and r.get("y_current") is not None:
            data.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": f"{r['channel']} · {fmt.t('current_spend')}",
                    "x": [cur],
                    "y": [r["y_current"]],
                    "showlegend": False,
                    "marker": {"size": 9, "color": color},
                }
            )
    return {"data": data, "layout": {**LAYOUT, "height": 380, "xaxis": {"title": {"text": fmt.t("kpi.spend")}}}}


def fit_fig(fit: list[dict[str, Any]]) -> dict[str, Any]:
    """The MMM's actual and predicted KPI per week."""
    xs = [str(r["date"]) for r in fit]
    return {
        "data": [
            {"type": "scatter", "mode": "lines", "name": "actual", "x": xs, "y": [r["actual"] for r in fit]},
            {
                "type": "scatter",
                "mode": "lines",
                "name": "predicted",
                "x": xs,
                "y": [r["predicted"] for r in fit],
            },
        ],
        "layout": LAYOUT,
    }


def share_pie(labels: Sequence[str], values: Sequence[Any]) -> dict[str, Any]:
    """A donut of ``values`` by ``labels``."""
    return {
        "data": [{"type": "pie", "labels": list(labels), "values": list(values), "hole": 0.4}],
        "layout": {**LAYOUT, "height": 300},
    }
