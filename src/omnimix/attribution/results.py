"""Attribution results: the side-by-side table with spend, CPA and ROAS, a chart, the workspace table.

:func:`attribute` (from :mod:`~omnimix.attribution.models`, the model registry) runs any model by name
on paths (and touch rows for ``time_decay``); :func:`compare` puts several models' credit side by side
and joins spend per channel (or per ``channel / campaign``) to give cost per acquisition
(``CPA = spend / conversions``) and return on ad spend (``ROAS = value / spend``);
:func:`save_to_workspace` stores the credit in the workspace table ``attribution_results``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from omnimix.attribution.credit import Attribution
from omnimix.attribution.models import MODELS, attribute
from omnimix.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from omnimix.workspace import Workspace

__all__ = ["MODELS", "Attribution", "attribute", "chart", "compare", "save_to_workspace"]

def _spend_by_unit(spend: pd.DataFrame | None, level: str) -> dict[str, float]:
    if spend is None or spend.empty:
        return {}
    df = spend.copy()
    df.columns = [str(c).strip().lower() for c in df.columns]
    if "channel" not in df.columns or "spend" not in df.columns:
        raise ConfigError(f"spend needs `channel` and `spend` columns; found {list(df.columns)}.")
    ch = df["channel"].astype(str).str.strip()
    if level == "campaign":
        camp = (
            df["campaign"].astype("string").fillna("(none)").str.strip()
            if "campaign" in df.columns
            else "(none)"
        )
        unit = ch + " / " + camp
    else:
        unit = ch
    return {str(k): float(v) for k, v in df.assign(unit=unit).groupby("unit")["spend"].sum().items()}


def compare(
    results: list[Attribution],
    spend: pd.DataFrame | None = None,
    level: str = "channel",
) -> pd.DataFrame:
    """All models side by side.

    Args:
        results: one :class:`Attribution` per model.
        spend: rows with ``channel``, ``spend`` (and ``campaign`` at campaign level), any dates.
        level: ``channel`` or ``campaign``.

    Returns:
        A DataFrame indexed by channel with ``spend`` and, per model, ``<model>_conversions``,
        ``<model>_value``, ``<model>_cpa`` and ``<model>_roas`` (NaN where undefined).
    """
    import pandas as pd

    spend_map = _spend_by_unit(spend, level)
    units = sorted({c for r in results for c in r.channels} | set(spend_map))
    table = pd.DataFrame(index=pd.Index(units, name=level))
    table["spend"] = [spend_map.get(u, np.nan) for u in units]
    for r in results:
        conv = pd.Series(r.conversions, index=list(r.channels)).reindex(units).fillna(0.0)
        val = pd.Series(r.value, index=list(r.channels)).reindex(units).fillna(0.0)
        table[f"{r.model}_conversions"] = conv
        table[f"{r.model}_value"] = val
        sp = table["spend"]
        table[f"{r.model}_cpa"] = np.where(conv > 0, sp / conv.where(conv > 0, 1.0), np.nan)
        table[f"{r.model}_roas"] = np.where(sp > 0, val / sp.where(sp > 0, 1.0), np.nan)
    return table


def chart(table: pd.DataFrame, file: str | Path, title: str = "Attribution by model") -> Path:
    """Write an offline HTML chart (plotly bundled inline): credited conversions per channel and
    model, and ROAS per channel and model when spend is known."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    models = [c[: -len("_conversions")] for c in table.columns if c.endswith("_conversions")]
    has_spend = bool(table["spend"].notna().any()) if "spend" in table.columns else False
    rows = 2 if has_spend else 1
    titles = ["Conversions credited", "ROAS (value / spend)"][:rows]
    fig = make_subplots(rows=rows, cols=1, subplot_titles=titles, vertical_spacing=0.12)
    x = [str(i) for i in table.index]
    for model in models:
        fig.add_trace(
            go.Bar(name=model, x=x, y=table[f"{model}_conversions"].tolist(), legendgroup=model), row=1, col=1
        )
        if has_spend:
            fig.add_trace(
                go.Bar(
                    name=model, x=x, y=table[f"{model}_roas"].tolist(), legendgroup=model, showlegend=False
                ),
                row=2,
                col=1,
            )
    fig.update_layout(barmode="group", title=title, height=450 * rows)
    out = Path(file)
    fig.write_html(str(out), include_plotlyjs=True, full_html=True)
    return out


def save_to_workspace(workspace: Workspace | str | Path, results: Sequence[Attribution]) -> int:
    """Write credit per model and channel to the workspace table ``attribution_results``.

    Rows of the models in ``results`` are replaced; other models' rows stay. The dashboard's Channels
    page reads this table. Returns the number of rows written.
    """
    import pandas as pd

    from omnimix.workspace import Workspace

    frame = pd.DataFrame(
        [(r.model, str(ch), float(c), float(v)) for r in results
         for ch, c, v in zip(r.channels, r.conversions, r.value, strict=True)],
        columns=["model", "channel", "conversions", "value"],
    )
    models = sorted({r.model for r in results})
    if not models:
        return 0
    where = "model IN (" + ", ".join("?" for _ in models) + ")"
    return Workspace.of(workspace).write("attribution_results", frame, replace_where=where, params=models)
