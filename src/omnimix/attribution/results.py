"""Attribution results: one record per model, the side-by-side table with spend, CPA and ROAS, a chart.

:func:`attribute` runs any model by name on paths (and touch rows for ``time_decay``);
:func:`compare` runs several and joins spend per channel (or per ``channel / campaign``) to give
cost per acquisition (``CPA = spend / conversions``) and return on ad spend (``ROAS = value / spend``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from omnimix.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from omnimix.attribution.paths import FloatArray, PathData

MODELS = (
    "first",
    "last",
    "last_non_direct",
    "linear",
    "linear_touch",
    "position",
    "time_decay",
    "markov",
    "shapley",
    "shapley_simplified",
    "shapley_ordered",
)


@dataclass(frozen=True, eq=False)
class Attribution:
    """Credit of one model.

    Attributes:
        model: model name (one of :data:`MODELS`).
        channels: credited units (channels, or ``"channel / campaign"``), shape ``(m,)``.
        conversions: conversions credited, shape ``(m,)``; sums to total conversions.
        value: conversion value credited, shape ``(m,)``; sums to total value.
        extras: other per-channel arrays, e.g. ``removal_effect`` (shape ``(m,)`` each).
        params: the model's settings.
        warnings: messages for the user (e.g. negative credit).
        position_conversions: ordered Shapley credit by position, shape ``(m, P)``.
        position_value: ordered Shapley value by position, shape ``(m, P)``.
    """

    model: str
    channels: tuple[str, ...]
    conversions: FloatArray
    value: FloatArray
    extras: dict[str, FloatArray] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    position_conversions: FloatArray | None = None
    position_value: FloatArray | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready ``{"model", "channels": {name: {"conversions", "value", ...}}, ...}``."""
        channels: dict[str, dict[str, Any]] = {}
        for i, name in enumerate(self.channels):
            row: dict[str, Any] = {"conversions": float(self.conversions[i]), "value": float(self.value[i])}
            for key, arr in self.extras.items():
                row[key] = float(arr[i])
            if self.position_conversions is not None:
                row["by_position"] = [float(x) for x in self.position_conversions[i]]
            channels[name] = row
        out: dict[str, Any] = {
            "model": self.model,
            "channels": channels,
            "total_conversions": float(self.conversions.sum()),
            "total_value": float(self.value.sum()),
        }
        if self.params:
            out["params"] = self.params
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out


def attribute(
    model: str,
    paths: PathData | None = None,
    touches: pd.DataFrame | None = None,
    *,
    order: int = 1,
    use_null: bool = True,
    collapse_repeats: bool = True,
    position_weights: tuple[float, float] = (0.4, 0.4),
    half_life_days: float = 7.0,
    lookback_days: float | None = None,
    direct: tuple[str, ...] | None = None,
    shapley_worth: str = "auto",
    ordered_repeats: str = "first",
    level: str = "channel",
) -> Attribution:
    """Run one attribution model by name.

    Args:
        model: one of :data:`MODELS`.
        paths: aggregated paths (all models but ``time_decay``).
        touches: touch rows (``time_decay``; other models use them when ``paths`` is missing).
        order: Markov order (1..4).
        use_null: Markov: use non-converting journeys.
        collapse_repeats: Markov: merge consecutive repeats of a channel.
        position_weights: ``(first, last)`` shares of the position model.
        half_life_days: time-decay half-life.
        lookback_days: time-decay (and touch → path) lookback window.
        direct: channel names treated as direct by ``last_non_direct``.
        shapley_worth: ``auto``, ``conversions`` or ``rate``.
        ordered_repeats: ordered Shapley convention, ``first`` or ``split``.
        level: ``channel`` or ``campaign`` (touch rows only).

    Returns:
        The model's :class:`Attribution`.
    """
    from omnimix.attribution import rules
    from omnimix.attribution.paths import touches_to_paths
    from omnimix.attribution.shapley import shapley as shapley_exact
    from omnimix.attribution.shapley import shapley_ordered, shapley_simplified

    if model not in MODELS:
        raise ConfigError(f"attribution model {model!r} is unknown; expected one of {', '.join(MODELS)}.")
    if model == "time_decay":
        if touches is None:
            raise ConfigError(
                "time_decay needs touch-level rows with timestamps (journey_id, ts, channel, "
                "converted); pass a touches file or a workspace with `journey_touches`."
            )
        return rules.time_decay(touches, half_life_days, lookback_days, level)
    if paths is None or level == "campaign":
        if touches is None:
            if level == "campaign":
                raise ConfigError(
                    "--level campaign needs touch rows with a `campaign` column (a touches file "
                    "or the workspace `journey_touches` table); paths carry channels only."
                )
            raise ConfigError(f"model {model!r} needs paths (a paths file or the workspace `paths` table).")
        paths = touches_to_paths(touches, lookback_days, level)
    if model == "first":
        return rules.first_touch(paths)
    if model == "last":
        return rules.last_touch(paths)
    if model == "last_non_direct":
        return rules.last_non_direct(paths, direct if direct is not None else rules.DEFAULT_DIRECT)
    if model == "linear":
        return rules.linear(paths)
    if model == "linear_touch":
        return rules.linear_touch(paths)
    if model == "position":
        return rules.position_based(paths, *position_weights)
    if model == "markov":
        from omnimix.attribution.markov import markov

        res = markov(paths, order, use_null=use_null, collapse_repeats=collapse_repeats)
        return Attribution(
            "markov",
            res.channels,
            res.conversions,
            res.value,
            extras={"removal_effect": res.removal_effect, "removal_effect_value": res.removal_effect_value},
            params={
                "order": order,
                "use_null": use_null,
                "collapse_repeats": collapse_repeats,
                "conversion_probability": res.conversion_probability,
                "solver": res.solver,
                "states": res.chain.n_states,
            },
        )
    if model == "shapley":
        return shapley_exact(paths, shapley_worth)  # type: ignore[arg-type]
    if model == "shapley_simplified":
        return shapley_simplified(paths)
    return shapley_ordered(paths, ordered_repeats)[0]  # type: ignore[arg-type]


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


def save_to_workspace(workspace: str | Path, results: Sequence[Attribution]) -> int:
    """Write credit per model and channel to the workspace table ``attribution_results``.

    Rows of the models in ``results`` are replaced; other models' rows stay. The dashboard's Channels
    page reads this table. Returns the number of rows written.
    """
    import duckdb

    from omnimix.workspace import connect_warehouse

    rows = [(r.model, str(ch), float(c), float(v)) for r in results
            for ch, c, v in zip(r.channels, r.conversions, r.value, strict=True)]
    con = connect_warehouse(workspace)
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute("CREATE TABLE IF NOT EXISTS attribution_results (model VARCHAR, channel VARCHAR, "
                    "conversions DOUBLE, value DOUBLE)")
        con.execute("DELETE FROM attribution_results WHERE model IN (SELECT unnest(?::VARCHAR[]))",
                    [sorted({r.model for r in results})])
        con.executemany("INSERT INTO attribution_results VALUES (?, ?, ?, ?)", rows)
        con.execute("COMMIT")
    except duckdb.Error:
        con.execute("ROLLBACK")
        raise
    finally:
        con.close()
    return len(rows)
