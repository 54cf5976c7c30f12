"""Charts of a read geo test: observed vs counterfactual, and the cumulative effect (offline HTML)."""

from __future__ import annotations

from pathlib import Path

from omnimix.experiments.result import LiftResult


def lift_chart(result: LiftResult, file: str | Path, title: str | None = None) -> Path:
    """Write an offline HTML chart (plotly bundled inline) of ``result``.

    Top: the treatment group's observed total per date and its counterfactual with the per-date band;
    the test period shaded. Bottom: the cumulative effect over the test period (observed minus
    counterfactual), with the incremental-KPI interval at its end.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    p = result.periods
    x = [str(d.date()) for d in p["date"]]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=False, vertical_spacing=0.12,
                        subplot_titles=["Treatment group: observed vs counterfactual",
                                        "Cumulative effect in the test period"])
    fig.add_trace(go.Scatter(x=x, y=p["hi"].tolist(), mode="lines", line={"width": 0}, showlegend=False,
                             hoverinfo="skip"), row=1, col=1)
    fig.add_trace(go.Scatter(x=x, y=p["lo"].tolist(), mode="lines", line={"width": 0}, fill="tonexty",
                             fillcolor="rgba(99,110,250,0.18)", name=f"band ({result.level:.0%})"), row=1, col=1)
    fig.add_trace(go.Scatter(x=x, y=p["counterfactual"].tolist(), mode="lines", name="counterfactual",
                             line={"dash": "dash"}), row=1, col=1)
    fig.add_trace(go.Scatter(x=x, y=p["observed"].tolist(), mode="lines", name="observed"), row=1, col=1)
    test = p[p["in_test"]]
    if len(test):
        fig.add_vrect(x0=str(test["date"].iloc[0].date()), x1=str(test["date"].iloc[-1].date()),
                      fillcolor="rgba(0,0,0,0.06)", line_width=0, row=1, col=1)
        xt = [str(d.date()) for d in test["date"]]
        cum = (test["observed"] - test["counterfactual"]).cumsum().tolist()
        fig.add_trace(go.Scatter(x=xt, y=cum, mode="lines", name="cumulative effect"), row=2, col=1)
        inc = result.incremental_kpi
        fig.add_trace(go.Scatter(x=[xt[-1]], y=[inc.mean], mode="markers", name="incremental KPI",
                                 error_y={"type": "data", "symmetric": False, "array": [inc.hi - inc.mean],
                                          "arrayminus": [inc.mean - inc.lo]}), row=2, col=1)
    fig.update_layout(title=title or f"{result.method}: lift {result.lift.mean:.1%} "
                      f"[{result.lift.lo:.1%}, {result.lift.hi:.1%}], p = {result.p_value:.3f}", height=800)
    out = Path(file)
    fig.write_html(str(out), include_plotlyjs=True, full_html=True)
    return out
