"""Plotly charts of optimizer results, written as one self-contained (offline) HTML file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from omnimix.curves import ResponseCurves
from omnimix.optimize.allocation import Allocation
from omnimix.optimize.flighting import FlightingPlan
from omnimix.optimize.frontier import Frontier
from omnimix.optimize.scenarios import Scenario


def allocation_chart(a: Allocation) -> Any:
    """Grouped bars: current vs optimal spend per channel, marginal ROI in the hover."""
    import plotly.graph_objects as go

    names = list(a.channels)
    fig = go.Figure()
    fig.add_bar(name="current", x=names, y=a.current.tolist())
    fig.add_bar(
        name="optimal",
        x=names,
        y=a.allocation.tolist(),
        customdata=np.column_stack([a.marginal_roi, a.roi]).tolist(),
        hovertemplate="%{x}: %{y:,.0f}<br>marginal ROI %{customdata[0]:.3f}<br>ROI %{customdata[1]:.3f}",
    )
    lo, hi = a.kpi_interval
    band = f"[{lo:,.1f}, {hi:,.1f}]" if a.has_interval else "(no interval: the curves have no posterior draws)"
    up = f" ({a.uplift_pct:+.1%})" if a.uplift_pct is not None else ""
    fig.update_layout(
        barmode="group",
        title=(
            f"Allocation (reserve {a.reserve:,.0f} set aside) — expected KPI {a.expected_kpi:,.1f} "
            f"{band} vs current {a.current_kpi:,.1f}{up}"
        ),
        yaxis_title="spend per period",
    )
    return fig


def frontier_chart(f: Frontier) -> Any:
    """Budget → expected KPI with the 90% band."""
    import plotly.graph_objects as go

    fig = go.Figure()
    x = f.budgets.tolist()
    fig.add_scatter(x=x, y=f.kpi_high.tolist(), mode="lines", line={"width": 0}, showlegend=False)
    fig.add_scatter(
        x=x, y=f.kpi_low.tolist(), mode="lines", line={"width": 0}, fill="tonexty", name="90% interval"
    )
    fig.add_scatter(x=x, y=f.expected_kpi.tolist(), mode="lines+markers", name="expected KPI")
    fig.update_layout(title="Efficient frontier", xaxis_title="budget", yaxis_title="KPI")
    return fig


def scenarios_chart(scenarios: Sequence[Scenario]) -> Any:
    """Expected KPI per scenario (optimal vs current mix) with 90% error bars."""
    import plotly.graph_objects as go

    names = [s.name for s in scenarios]
    opt = np.array([s.optimal.expected_kpi for s in scenarios])
    lo = np.array([s.optimal.kpi_interval[0] for s in scenarios])
    hi = np.array([s.optimal.kpi_interval[1] for s in scenarios])
    cur = np.array([s.current_plan_kpi for s in scenarios])
    clo = np.array([s.current_plan_interval[0] for s in scenarios])
    chi = np.array([s.current_plan_interval[1] for s in scenarios])
    fig = go.Figure()
    fig.add_bar(
        name="today's mix at the same spend",
        x=names,
        y=cur.tolist(),
        error_y={
            "type": "data",
            "symmetric": False,
            "array": (chi - cur).tolist(),
            "arrayminus": (cur - clo).tolist(),
        },
    )
    fig.add_bar(
        name="optimal",
        x=names,
        y=opt.tolist(),
        error_y={
            "type": "data",
            "symmetric": False,
            "array": (hi - opt).tolist(),
            "arrayminus": (opt - lo).tolist(),
        },
    )
    now = scenarios[0].optimal.current_kpi if scenarios else None
    title = "Scenarios" + (f" (current KPI at today's spend {now:,.1f})" if now is not None else "")
    fig.update_layout(barmode="group", title=title, yaxis_title="expected KPI")
    return fig


def curves_chart(curves: ResponseCurves, a: Allocation) -> Any:
    """Each channel's mean response curve with its current and optimal spend marked."""
    import plotly.graph_objects as go

    fig = go.Figure()
    top = float(max(a.allocation.max(), a.current.max(), 1e-9)) * 1.6
    xs = np.linspace(0.0, top, 200)
    for j, name in enumerate(curves.channels):
        ys = curves.response(xs, channel=j)
        fig.add_scatter(x=xs.tolist(), y=ys.tolist(), mode="lines", name=name, legendgroup=name)
        pts = np.array([a.current[j], a.allocation[j]])
        fig.add_scatter(
            x=pts.tolist(),
            y=curves.response(pts, channel=j).tolist(),
            mode="markers",
            marker={"symbol": ["circle-open", "circle"], "size": 10},
            name=f"{name} current → optimal",
            legendgroup=name,
            showlegend=False,
        )
    fig.update_layout(
        title="Response curves (open: current, filled: optimal)", xaxis_title="spend per period"
    )
    return fig


def flighting_chart(plan: FlightingPlan) -> Any:
    """Stacked spend per period and channel."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for j, name in enumerate(plan.channels):
        fig.add_bar(name=name, x=list(plan.periods), y=plan.allocation[:, j].tolist())
    fig.update_layout(barmode="stack", title="Flighting plan", yaxis_title="spend")
    return fig


def _band(v: Any, spec: str = ".1f") -> str:
    return f"[{v[0]:,{spec}}, {v[1]:,{spec}}]" if v else ""


def summary_html(doc: dict[str, Any]) -> str:
    """The plan's headline (current KPI, planned KPI with its 90% interval, uplift) and its
    scale / hold / cut table, as an HTML fragment, from the ``omnimix optimize --json`` document."""
    from html import escape

    if "current_kpi" not in doc:
        return ""
    note = doc.get("interval_note")
    up = doc.get("uplift_pct")
    rows = [
        ("current KPI (today's spend)", f"{doc['current_kpi']:,.1f} {_band(doc.get('current_kpi_interval_90'))}"),
        ("planned KPI", f"{doc['expected_kpi']:,.1f} {_band(doc.get('kpi_interval_90')) or escape(note or '')}"),
        ("uplift", f"{doc['uplift_kpi']:,.1f} {_band(doc.get('uplift_interval_90'))}"
                   + (f" ({up:+.1%})" if up is not None else "")),
    ]
    head = "".join(f"<tr><th>{escape(k)}</th><td class='num'>{escape(v)}</td></tr>" for k, v in rows)
    out = f"<table class='summary'>{head}</table>"
    rec = doc.get("recommendation") or {}
    if rec:
        cur, plan = doc.get("current_allocation", {}), doc.get("allocation", {})
        body = "".join(
            f"<tr><td>{escape(ch)}</td><td>{escape(r['action'])}</td><td class='num'>{cur.get(ch, 0):,.0f}</td>"
            f"<td class='num'>{plan.get(ch, 0):,.0f}</td><td class='num'>{r['marginal_roi']:,.3g} "
            f"{_band(r.get('marginal_roi_interval_90'), '.3g')}</td>"
            f"<td>{escape(r['reason'])}</td></tr>"
            for ch, r in rec.items()
        )
        out += (f"<p>scale / hold / cut against the threshold {doc['marginal_roi_threshold']:,.3g} "
                f"({escape(doc.get('marginal_roi_threshold_rule', ''))})</p><table class='advice'><tr>"
                "<th>channel</th><th>action</th><th>current</th><th>planned</th>"
                "<th>marginal ROI now [90%]</th><th>why</th></tr>" + body + "</table>")
    notes = doc.get("notes") or []
    if notes:
        out += "<ul class='notes'>" + "".join(f"<li>{escape(str(n))}</li>" for n in notes) + "</ul>"
    return out


def write_html(path: str | Path, figures: Sequence[Any], title: str = "omnimix budget optimizer",
               header: str = "") -> Path:
    """Write figures into one HTML page with plotly.js embedded (works offline); ``header`` is an HTML
    fragment placed above them (see :func:`summary_html`)."""
    parts = []
    for k, fig in enumerate(figures):
        parts.append(fig.to_html(full_html=False, include_plotlyjs=(k == 0)))
    html = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<h1>{title}</h1>" + header + "\n".join(parts) + "</body></html>"
    )
    p = Path(path)
    p.write_text(html, encoding="utf-8")
    return p
