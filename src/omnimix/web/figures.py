"""Plotly figure specs (plain dicts, rendered by ``static/omnimix.js``) shared by the dashboard pages.

Each builder takes rows as the queries return them and gives ``{"data": [...], "layout": {...}}``.
No numbers are computed here beyond picking fields: curve values come from
:func:`omnimix.web.queries.results.response_curves` (evaluated by :class:`omnimix.curves.ResponseCurves`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from omnimix.web.i18n import Formatter

#: Twenty distinguishable colours (Tableau 10, then its darker and lighter companions).
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
    "#393b79",
    "#ad494a",
    "#637939",
    "#8c6d31",
    "#7b4173",
    "#3182bd",
    "#e6550d",
    "#31a354",
    "#756bb1",
    "#636363",
)
#: Colour of a channel missing from the list :func:`channel_colors` was given.
OTHER_COLOR = "#b0b0b0"


def channel_colors(channels: Iterable[Any]) -> dict[str, str]:
    """One colour per channel key: :data:`PALETTE` indexed by the sorted, distinct keys.

    Pages pass the workspace's channel list (:func:`omnimix.web.queries.results.workspace_channels`),
    so a channel has the same colour in every chart of every page, whatever subset a chart shows.
    """
    keys = sorted({str(c) for c in channels if c is not None})
    return {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(keys)}


def color_of(colors: Mapping[str, str] | None, channel: Any) -> str:
    """The colour of ``channel`` in ``colors`` (:data:`OTHER_COLOR` when absent)."""
    return (colors or {}).get(str(channel), OTHER_COLOR)
def date_axis(fmt: Formatter | None) -> dict[str, Any]:
    """A date axis in the page's language: ``3月1日`` ticks and ``2026年3月1日`` hovers in zh-CN (plotly's
    month names are English; static/omnimix.js registers the zh-CN ones for the rest), default in English."""
    if fmt is None or fmt.locale != "zh-CN":
        return {"type": "date"}
    return {"type": "date", "tickformat": "%-m月%-d日", "hoverformat": "%Y年%-m月%-d日"}


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
            "xaxis": date_axis(fmt),
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


def interval_fig(rows: list[dict[str, Any]], mean: str, lo: str, hi: str, fmt: Formatter | None = None,
                 colors: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Bars of ``mean`` per channel with asymmetric error bars to ``lo`` and ``hi`` (channel display
    names with ``fmt``; each bar in its channel's colour with ``colors``)."""
    bar: dict[str, Any] = {}
    if colors is not None:
        bar["marker"] = {"color": [color_of(colors, r["channel"]) for r in rows]}
    return {
        "data": [
            {
                "type": "bar",
                "x": [fmt.channel(r["channel"]) if fmt else r["channel"] for r in rows],
                "y": [r[mean] for r in rows],
                **bar,
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


def curves_fig(items: list[dict[str, Any]], fmt: Formatter,
               colors: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Response curves (posterior mean, with a 90 % band when draws exist) and the current spend, each
    channel in its colour of ``colors`` (default: :func:`channel_colors` of the curves' channels)."""
    data: list[dict[str, Any]] = []
    colors = colors if colors is not None else channel_colors(r["channel"] for r in items)
    for r in items:
        if r["error"]:
            continue
        color = color_of(colors, r["channel"])
        label = fmt.channel(r["channel"])
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
                "name": label,
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
                    "name": f"{label} · {fmt.t('current_spend')}",
                    "x": [cur],
                    "y": [r["y_current"]],
                    "showlegend": False,
                    "marker": {"size": 9, "color": color},
                }
            )
    return {"data": data, "layout": {**LAYOUT, "height": 380, "xaxis": {"title": {"text": fmt.t("kpi.spend")}}}}


def fit_fig(fit: list[dict[str, Any]], fmt: Formatter | None = None) -> dict[str, Any]:
    """The MMM's actual and predicted KPI per week (series named in ``fmt``'s language)."""
    xs = [str(r["date"]) for r in fit]
    actual, predicted = (fmt.t("pages.fit.actual"), fmt.t("pages.fit.predicted")) if fmt else ("actual", "predicted")
    return {
        "data": [
            {"type": "scatter", "mode": "lines", "name": actual, "x": xs, "y": [r["actual"] for r in fit]},
            {
                "type": "scatter",
                "mode": "lines",
                "name": predicted,
                "x": xs,
                "y": [r["predicted"] for r in fit],
            },
        ],
        "layout": {**LAYOUT, "xaxis": date_axis(fmt)},
    }


def share_pie(labels: Sequence[str], values: Sequence[Any]) -> dict[str, Any]:
    """A donut of ``values`` by ``labels``."""
    return {
        "data": [{"type": "pie", "labels": list(labels), "values": list(values), "hole": 0.4}],
        "layout": {**LAYOUT, "height": 300},
    }


def attribution_fig(items: Sequence[Mapping[str, Any]], models: Sequence[str], field: str, fmt: Formatter,
                    colors: Mapping[str, str], order: Sequence[str] | None = None) -> dict[str, Any]:
    """Attribution credit (``field``: ``value`` or ``conversions``) per model, one trace per channel.

    The x axis holds the models' display names, each channel is one legend entry drawn in its colour
    of ``colors`` (the workspace-wide map of :func:`channel_colors`), so legend and bars agree and a
    channel looks the same on every page. Channels are in ``order`` (default: descending total credit).
    """
    cell = {(str(r["model"]), str(r["channel"])): r.get(field) for r in items}
    totals: dict[str, float] = {}
    for (_m, ch), v in cell.items():
        totals[ch] = totals.get(ch, 0.0) + float(v or 0.0)
    chans = [ch for ch in order if ch in totals] if order is not None else sorted(
        totals, key=lambda ch: (-totals[ch], ch))
    xs = [fmt.name("model", m) for m in models]
    data = [
        {
            "type": "bar",
            "name": fmt.channel(ch),
            "x": xs,
            "y": [cell.get((m, ch)) for m in models],
            "marker": {"color": color_of(colors, ch)},
            "legendgroup": ch,
            "meta": ch,
        }
        for ch in chans
    ]
    return {"data": data, "layout": {**LAYOUT, "barmode": "group", "legend": {"orientation": "h", "y": -0.15}}}


def segment_fig(cards: Sequence[Mapping[str, Any]], fmt: Formatter) -> dict[str, Any]:
    """Share of customers and share of CLV per segment as horizontal bars (no overlapping labels: the
    segment names sit on the axis, the shares in the hover and the legend names the two series)."""
    ys = [fmt.name("segment", c["segment"]) for c in cards]
    series = [("share", fmt.t("pages.persona.share_customers")), ("share_clv", fmt.t("pages.persona.share_clv"))]
    data = [
        {"type": "bar", "orientation": "h", "name": name, "y": ys, "x": [c.get(key) for c in cards],
         "marker": {"color": PALETTE[i]}, "hovertemplate": "%{y}: %{x:.1%}<extra>" + name + "</extra>"}
        for i, (key, name) in enumerate(series)
    ]
    return {
        "data": data,
        "layout": {
            **LAYOUT,
            "barmode": "group",
            "height": max(220, 60 + 46 * len(cards)),
            "xaxis": {"tickformat": ".0%", "rangemode": "tozero"},
            "yaxis": {"autorange": "reversed", "automargin": True},
            "margin": {"t": 10, "r": 10, "b": 40, "l": 10},
            "legend": {"orientation": "h", "y": -0.12},
        },
    }
