"""Charts of the one-page MMM report, as plain plotly specs (``{"data": [...], "layout": {...}}``).

Every chart takes the numbers of :func:`omnimix.mmm.report_data.collect`, a
:class:`~omnimix.mmm.report_i18n.ReportFormatter` for its words, and the channel colours of
:func:`channel_colours`: a channel has one colour in every chart (the baseline is grey). Values are
rounded to 4 significant digits before they are written into the page, so no float noise reaches it.
"""

from __future__ import annotations

import colorsys
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from omnimix.mmm.report_i18n import ReportFormatter

#: 20 distinct colours (Tableau 10 and a darker / lighter second row, no greys); more channels get
#: golden-angle hues.
PALETTE: tuple[str, ...] = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#17becf", "#1f4e79", "#b35806", "#8c1c13", "#2a7f62", "#6a3d9a", "#b8860b",
    "#d4a6c8", "#a6cee3", "#b2df8a", "#fdbf6f",
)
BASELINE_COLOUR = "#9e9e9e"
ACTUAL_COLOUR = "#222222"
_FONT = "-apple-system, 'Segoe UI', 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', sans-serif"


def channel_colours(channels: Sequence[str]) -> dict[str, str]:
    """One distinct colour per channel, in channel order."""
    out: dict[str, str] = {}
    for i, c in enumerate(channels):
        if i < len(PALETTE):
            out[c] = PALETTE[i]
        else:
            h = (i * 0.618033988749895) % 1.0
            r, g, b = colorsys.hls_to_rgb(h, 0.45, 0.65)
            out[c] = f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"
    return out


def rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def round_sig(values: Any, digits: int = 4) -> Any:
    """Round a number or a (nested) sequence to ``digits`` significant digits; NaN/inf → None."""
    if isinstance(values, np.ndarray):
        values = values.tolist()
    if isinstance(values, list | tuple):
        return [round_sig(v, digits) for v in values]
    if isinstance(values, bool) or not isinstance(values, int | float | np.floating | np.integer):
        return values
    v = float(values)
    if not math.isfinite(v):
        return None
    if v == 0:
        return 0.0
    return round(v, digits - 1 - math.floor(math.log10(abs(v))))


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": {"text": title, "font": {"size": 14}},
        "font": {"family": _FONT, "size": 12},
        "margin": {"t": 40, "r": 10, "b": 40, "l": 60},
        "height": 320,
        "legend": {"orientation": "h", "y": -0.2},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "separators": ".,",
        "xaxis": {"gridcolor": "#eeeeee", "zeroline": False},
        "yaxis": {"gridcolor": "#eeeeee", "zeroline": True, "zerolinecolor": "#cccccc"},
    }
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            base[k] = {**base[k], **v}
        else:
            base[k] = v
    return base


def shares_chart(m: Mapping[str, Any], fmt: ReportFormatter, labels: Mapping[str, str],
                 colours: Mapping[str, str]) -> dict[str, Any]:
    """Per channel, spend share (light) next to effect share (full colour)."""
    data = []
    for r in m["rows"]:
        c = r["channel"]
        name = labels[c]
        for key, alpha, word in (("spend_share", 0.35, "chart.spend"), ("effect_share", 1.0, "chart.effect")):
            data.append({
                "type": "bar", "orientation": "h", "name": name, "legendgroup": c,
                "showlegend": key == "effect_share",
                "y": [fmt.t(word)], "x": round_sig([r[key]]),
                "marker": {"color": rgba(colours[c], alpha), "line": {"color": colours[c], "width": 1}},
                "hovertemplate": f"{name} · {fmt.t(word)}: %{{x:.1%}}<extra></extra>",
                "meta": {"channel": c},
            })
    return {"data": data, "layout": _layout(fmt.t("chart.shares"), barmode="stack",
                                            xaxis={"tickformat": ".0%", "range": [0, 1]}, height=260)}


def waterfall_chart(m: Mapping[str, Any], fmt: ReportFormatter, labels: Mapping[str, str],
                    colours: Mapping[str, str]) -> dict[str, Any]:
    """Baseline, then each channel's contribution stacked on the last, then the total."""
    w = m["waterfall"]
    base_name, total_name = fmt.t("chart.baseline"), fmt.t("chart.total")
    data: list[dict[str, Any]] = [{
        "type": "bar", "name": base_name, "x": [base_name], "y": round_sig([w["baseline"]]), "base": [0],
        "marker": {"color": BASELINE_COLOUR}, "showlegend": False,
        "hovertemplate": f"{base_name}: %{{y:,.4~s}}<extra></extra>",
    }]
    level = w["baseline"]
    for c, v in zip(m["channels"], w["channels"], strict=True):
        data.append({
            "type": "bar", "name": labels[c], "legendgroup": c, "x": [labels[c]],
            "y": round_sig([v]), "base": round_sig([level]), "marker": {"color": colours[c]},
            "showlegend": False, "meta": {"channel": c},
            "hovertemplate": f"{labels[c]}: +%{{y:,.4~s}}<extra></extra>",
        })
        level += v
    data.append({
        "type": "bar", "name": total_name, "x": [total_name], "y": round_sig([level]), "base": [0],
        "marker": {"color": "#555555"}, "showlegend": False,
        "hovertemplate": f"{total_name}: %{{y:,.4~s}}<extra></extra>",
    })
    data.append({
        "type": "scatter", "mode": "markers", "name": fmt.t("chart.actual"), "x": [total_name],
        "y": round_sig([w["actual"]]), "marker": {"color": ACTUAL_COLOUR, "symbol": "line-ew-open",
                                                  "size": 30, "line": {"width": 2}},
        "hovertemplate": f"{fmt.t('chart.actual')}: %{{y:,.4~s}}<extra></extra>",
    })
    return {"data": data, "layout": _layout(fmt.t("chart.waterfall"), barmode="overlay", showlegend=False,
                                            yaxis={"tickformat": "~s", "title": {"text": fmt.t("chart.kpi")}})}


def roi_chart(m: Mapping[str, Any], fmt: ReportFormatter, labels: Mapping[str, str],
              colours: Mapping[str, str]) -> dict[str, Any]:
    """ROI (bar) and marginal ROI (diamond) per channel, each with its 90% interval."""
    data = []
    for r in m["rows"]:
        c = r["channel"]
        for key, word in (("roi", "col.roi"), ("mroi", "col.mroi")):
            iv = r[key]
            if not iv or iv["mean"] is None:
                continue
            err = {"type": "data", "symmetric": False,
                   "array": round_sig([max((iv["hi"] or iv["mean"]) - iv["mean"], 0.0)]),
                   "arrayminus": round_sig([max(iv["mean"] - (iv["lo"] or iv["mean"]), 0.0)]),
                   "color": "#444444" if key == "roi" else colours[c], "thickness": 1.2}
            trace: dict[str, Any] = {
                "name": f"{labels[c]} · {fmt.t(word)}", "legendgroup": c, "showlegend": False,
                "x": [labels[c]], "y": round_sig([iv["mean"]]), "error_y": err, "meta": {"channel": c},
                "hovertemplate": f"{labels[c]} · {fmt.t(word)}: %{{y:.3~g}}<extra></extra>",
            }
            if key == "roi":
                trace.update(type="bar", marker={"color": colours[c]}, offsetgroup="roi")
            else:
                trace.update(type="scatter", mode="markers",
                             marker={"color": "#ffffff", "symbol": "diamond", "size": 11,
                                     "line": {"color": colours[c], "width": 2}})
            data.append(trace)
    return {"data": data, "layout": _layout(fmt.t("chart.roi"), showlegend=False,
                                            yaxis={"title": {"text": fmt.t("chart.roi_axis")}})}


def curves_chart(m: Mapping[str, Any], fmt: ReportFormatter, labels: Mapping[str, str],
                 colours: Mapping[str, str]) -> dict[str, Any]:
    """Each channel's weekly response curve with its 90% band, current spend (●) and plan (◆)."""
    data: list[dict[str, Any]] = []
    for c in m["channels"]:
        cv = m["curves"][c]
        col, name = colours[c], labels[c]
        xs = round_sig(cv["spend"])
        data.append({"type": "scatter", "mode": "lines", "x": xs + xs[::-1],
                     "y": round_sig(list(cv["hi"]) + list(cv["lo"])[::-1]), "fill": "toself",
                     "fillcolor": rgba(col, 0.15), "line": {"width": 0}, "hoverinfo": "skip",
                     "showlegend": False, "legendgroup": c, "name": name, "meta": {"channel": c}})
        data.append({"type": "scatter", "mode": "lines", "x": xs, "y": round_sig(cv["mean"]), "name": name,
                     "legendgroup": c, "line": {"color": col, "width": 2}, "meta": {"channel": c},
                     "hovertemplate": f"{name}: %{{x:,.4~s}} → %{{y:,.4~s}}<extra></extra>"})
        data.append({"type": "scatter", "mode": "markers", "x": round_sig([cv["current"]]),
                     "y": round_sig([cv["current_kpi"]]), "name": f"{name} · {fmt.t('chart.current')}",
                     "legendgroup": c, "showlegend": False, "meta": {"channel": c},
                     "marker": {"color": col, "size": 10, "symbol": "circle",
                                "line": {"color": "#ffffff", "width": 1}},
                     "hovertemplate": f"{name} · {fmt.t('chart.current')}: %{{x:,.4~s}} → %{{y:,.4~s}}"
                                      "<extra></extra>"})
        if "planned" in cv:
            data.append({"type": "scatter", "mode": "markers", "x": round_sig([cv["planned"]]),
                         "y": round_sig([cv["planned_kpi"]]), "name": f"{name} · {fmt.t('chart.planned')}",
                         "legendgroup": c, "showlegend": False, "meta": {"channel": c},
                         "marker": {"color": "#ffffff", "size": 10, "symbol": "diamond",
                                    "line": {"color": col, "width": 2}},
                         "hovertemplate": f"{name} · {fmt.t('chart.planned')}: %{{x:,.4~s}} → "
                                          "%{y:,.4~s}<extra></extra>"})
    return {"data": data, "layout": _layout(
        fmt.t("chart.curves"), height=380,
        xaxis={"title": {"text": fmt.t("chart.weekly_spend")}, "tickformat": "~s"},
        yaxis={"title": {"text": fmt.t("chart.weekly_kpi")}, "tickformat": "~s"})}


def adstock_chart(m: Mapping[str, Any], fmt: ReportFormatter, labels: Mapping[str, str],
                  colours: Mapping[str, str]) -> dict[str, Any]:
    """Lag weights (posterior mean) per channel."""
    data = [{"type": "scatter", "mode": "lines+markers", "x": list(range(len(w))), "y": round_sig(w),
             "name": labels[c], "legendgroup": c, "line": {"color": colours[c]}, "marker": {"color": colours[c]},
             "meta": {"channel": c}, "hovertemplate": f"{labels[c]}: %{{y:.1%}}<extra></extra>"}
            for c, w in m["adstock"].items()]
    return {"data": data, "layout": _layout(fmt.t("chart.adstock"), xaxis={"title": {"text": fmt.t("chart.lag")},
                                                                          "dtick": 1},
                                            yaxis={"tickformat": ".0%"})}


def fit_chart(m: Mapping[str, Any], fmt: ReportFormatter) -> dict[str, Any]:
    """Actual KPI against the posterior predictive mean and 90% band; holdout start dashed."""
    s = m["series"]
    x = s["dates"]
    data = [
        {"type": "scatter", "mode": "lines", "x": x, "y": round_sig(s["hi"]), "line": {"width": 0},
         "showlegend": False, "hoverinfo": "skip"},
        {"type": "scatter", "mode": "lines", "x": x, "y": round_sig(s["lo"]), "line": {"width": 0},
         "fill": "tonexty", "fillcolor": "rgba(78,121,167,0.18)", "name": fmt.t("chart.band"),
         "hoverinfo": "skip"},
        {"type": "scatter", "mode": "lines", "x": x, "y": round_sig(s["mean"]), "name": fmt.t("chart.predicted"),
         "line": {"color": "#4e79a7"}, "hovertemplate": "%{x}: %{y:,.4~s}<extra></extra>"},
        {"type": "scatter", "mode": "markers", "x": x, "y": round_sig(s["actual"]), "name": fmt.t("chart.actual"),
         "marker": {"color": ACTUAL_COLOUR, "size": 4}, "hovertemplate": "%{x}: %{y:,.4~s}<extra></extra>"},
    ]
    shapes = []
    if s["holdout_start"] is not None:
        hx = x[s["holdout_start"]]
        shapes.append({"type": "line", "x0": hx, "x1": hx, "yref": "paper", "y0": 0, "y1": 1,
                       "line": {"dash": "dash", "color": "#888888"}})
    return {"data": data, "layout": _layout(fmt.t("chart.fit"), shapes=shapes, yaxis={"tickformat": "~s"})}


def residuals_chart(m: Mapping[str, Any], fmt: ReportFormatter) -> dict[str, Any]:
    """Actual − predicted mean per period (holdout periods lighter)."""
    s = m["series"]
    res = (np.asarray(s["actual"], float) - np.asarray(s["mean"], float)).tolist()
    h = s["holdout_start"]
    cols = ["#4e79a7" if h is None or i < h else "#c5d3e2" for i in range(len(res))]
    data = [{"type": "bar", "x": s["dates"], "y": round_sig(res), "name": fmt.t("chart.residual"),
             "marker": {"color": cols}, "hovertemplate": "%{x}: %{y:,.4~s}<extra></extra>"}]
    return {"data": data, "layout": _layout(fmt.t("chart.residuals"), height=220, showlegend=False,
                                            yaxis={"tickformat": "~s"})}


def decomposition_chart(m: Mapping[str, Any], fmt: ReportFormatter, labels: Mapping[str, str],
                        colours: Mapping[str, str]) -> dict[str, Any]:
    """Baseline and each channel stacked over time, with the actual KPI."""
    s = m["series"]
    x = s["dates"]
    data: list[dict[str, Any]] = [{"type": "scatter", "mode": "lines", "x": x, "y": round_sig(s["baseline"]),
                                   "stackgroup": "one", "name": fmt.t("chart.baseline"),
                                   "line": {"width": 0.5, "color": BASELINE_COLOUR},
                                   "fillcolor": rgba(BASELINE_COLOUR, 0.5)}]
    for c in m["channels"]:
        data.append({"type": "scatter", "mode": "lines", "x": x, "y": round_sig(s["media"][c]),
                     "stackgroup": "one", "name": labels[c], "legendgroup": c, "meta": {"channel": c},
                     "line": {"width": 0.5, "color": colours[c]}, "fillcolor": rgba(colours[c], 0.8)})
    data.append({"type": "scatter", "mode": "lines", "x": x, "y": round_sig(s["actual"]),
                 "name": fmt.t("chart.actual"), "line": {"color": ACTUAL_COLOUR, "width": 1.5}})
    return {"data": data, "layout": _layout(fmt.t("chart.decomposition"), height=340, yaxis={"tickformat": "~s"})}


def budget_chart(m: Mapping[str, Any], fmt: ReportFormatter, labels: Mapping[str, str],
                 colours: Mapping[str, str]) -> dict[str, Any] | None:
    """Current (light) and planned (full colour) weekly spend per channel; None without a plan."""
    b = m["budget"]
    if b.get("state") != "plan":
        return None
    data = []
    for r in b["rows"]:
        c = r["channel"]
        for key, alpha, word in (("current", 0.35, "chart.current"), ("planned", 1.0, "chart.planned")):
            data.append({"type": "bar", "x": [labels[c]], "y": round_sig([r[key]]), "offsetgroup": key,
                         "name": f"{labels[c]} · {fmt.t(word)}", "legendgroup": c, "showlegend": False,
                         "marker": {"color": rgba(colours[c], alpha), "line": {"color": colours[c], "width": 1}},
                         "meta": {"channel": c},
                         "hovertemplate": f"{labels[c]} · {fmt.t(word)}: %{{y:,.4~s}}<extra></extra>"})
    return {"data": data, "layout": _layout(fmt.t("chart.budget"), barmode="group", showlegend=False,
                                            yaxis={"tickformat": "~s",
                                                   "title": {"text": fmt.t("chart.weekly_spend")}})}


def all_charts(m: Mapping[str, Any], fmt: ReportFormatter, labels: Mapping[str, str],
               colours: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Every chart of the report by name (``budget`` only with a plan)."""
    out = {
        "shares": shares_chart(m, fmt, labels, colours),
        "waterfall": waterfall_chart(m, fmt, labels, colours),
        "roi": roi_chart(m, fmt, labels, colours),
        "curves": curves_chart(m, fmt, labels, colours),
        "adstock": adstock_chart(m, fmt, labels, colours),
        "fit": fit_chart(m, fmt),
        "residuals": residuals_chart(m, fmt),
        "decomposition": decomposition_chart(m, fmt, labels, colours),
    }
    b = budget_chart(m, fmt, labels, colours)
    if b is not None:
        out["budget"] = b
    return out
