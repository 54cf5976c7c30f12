"""The fitted MMM's HTML report: decomposition, fit, ROI, response curves and adstock charts.

:func:`write_report` writes one self-contained page (plotly.js embedded, works offline) with every
chart and the review verdict; ``omnimix mmm report FIT_DIR`` and :meth:`FittedMMM.save
<omnimix.mmm.analysis.FittedMMM.save>` call it. The functions take a
:class:`~omnimix.mmm.analysis.FittedMMM` (typed ``Any`` here so that this module does not import the
results module that imports it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from omnimix.mmm.stats import interval


def figures(fit: Any) -> dict[str, Any]:
    """Plotly figures: decomposition, fit, ROI, response curves, adstock decay."""
    import plotly.graph_objects as go

    x = [d.isoformat() for d in fit.data.dates]
    figs: dict[str, Any] = {}
    ot = fit.contributions_over_time()
    dec = go.Figure()
    dec.add_trace(go.Scatter(x=x, y=ot["baseline"]["mean"], name="baseline", stackgroup="one"))
    for c in fit.channels:
        dec.add_trace(go.Scatter(x=x, y=ot[c]["mean"], name=c, stackgroup="one"))
    y_obs = np.einsum("tg,g->t", fit.prep.y, fit.prep.y_scale)
    dec.add_trace(go.Scatter(x=x, y=y_obs, name="actual KPI", mode="lines", line={"color": "black"}))
    dec.update_layout(title="Baseline vs media decomposition (posterior means)", yaxis_title="KPI")
    figs["decomposition"] = dec

    iv = interval(fit.y_rep)
    fitf = go.Figure()
    fitf.add_trace(go.Scatter(x=x, y=iv["hi"], line={"width": 0}, showlegend=False, hoverinfo="skip"))
    fitf.add_trace(go.Scatter(x=x, y=iv["lo"], fill="tonexty", line={"width": 0}, name="90% predictive"))
    fitf.add_trace(go.Scatter(x=x, y=iv["mean"], name="predicted"))
    fitf.add_trace(go.Scatter(x=x, y=y_obs, name="actual", mode="markers"))
    hold = np.where(fit.prep.mask == 0)[0]
    if hold.size:
        fitf.add_vline(x=x[int(hold[0])], line_dash="dash")
    fitf.update_layout(title="Posterior predictive fit (dashed line: holdout starts)", yaxis_title="KPI")
    figs["fit"] = fitf

    roi = fit.roi_draws()
    r = interval(roi)
    rf = go.Figure(
        go.Bar(
            x=list(fit.channels),
            y=r["mean"],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": r["hi"] - r["mean"],
                "arrayminus": r["mean"] - r["lo"],
            },
        )
    )
    rf.update_layout(title="ROI per channel (90% intervals)", yaxis_title="KPI per unit spend")
    figs["roi"] = rf

    curves = fit.response_curves()
    cf = go.Figure()
    for c, cv in curves.items():
        cf.add_trace(go.Scatter(x=cv["spend"], y=cv["mean"], name=c))
        cf.add_trace(
            go.Scatter(
                x=cv["spend"] + cv["spend"][::-1],
                y=cv["hi"] + cv["lo"][::-1],
                fill="toself",
                opacity=0.2,
                line={"width": 0},
                showlegend=False,
                hoverinfo="skip",
            )
        )
    cf.update_layout(
        title="Response curves: weekly KPI vs constant weekly spend (90% bands)",
        xaxis_title="weekly spend",
        yaxis_title="weekly KPI",
    )
    figs["response"] = cf

    af = go.Figure()
    for c, cv in fit.adstock_curves().items():
        af.add_trace(go.Scatter(x=list(range(len(cv["mean"]))), y=cv["mean"], name=c, mode="lines+markers"))
    af.update_layout(title="Adstock decay: share of effect by lag", xaxis_title="lag (periods)")
    figs["adstock"] = af
    return figs


def write_report(fit: Any, path: str | Path) -> Path:
    """One self-contained HTML page (plotly.js embedded, works offline) with every chart and the verdict."""
    import html as _html

    p = Path(path)
    d = fit.diagnostics
    verdict = "PASSED" if d.passed else "FAILED"
    items = "".join(
        f"<li>{_html.escape(r)} — try: {_html.escape(t)}</li>"
        for r, t in zip(d.reasons, d.suggestions, strict=False)
    )
    parts = [
        "<html><head><meta charset='utf-8'><title>omnimix MMM report</title></head><body>",
        f"<h1>omnimix MMM ({fit.mode}) — review {verdict}</h1>",
        f"<p>R-hat max {d.rhat_max}, bulk ESS min {d.ess_bulk_min}, divergences {d.divergences}, "
        f"in-sample 90% coverage {d.ppc_coverage:.0%}, R² {d.r2:.3f}, holdout MAPE {d.holdout_mape}, "
        f"holdout coverage {d.holdout_coverage}</p>",
        f"<ul>{items}</ul>" if items else "",
        "".join(f"<p><b>Warning:</b> {_html.escape(w)}</p>" for w in d.warnings),
    ]
    for i, fig in enumerate(figures(fit).values()):
        parts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0)))
    parts.append("</body></html>")
    p.write_text("\n".join(parts), encoding="utf-8")
    return p
