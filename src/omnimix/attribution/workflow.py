"""The ``omnimix attribute`` workflows: read the input, run the models, compare, chart and store.

Two entry points, one per input, both returning an :class:`AttributionRun` whose ``to_json()`` is the
JSON ``omnimix attribute … --json`` prints:

* :func:`attribute_workspace` reads the workspace's ``paths`` (and ``journey_touches``, ``spend``)
  through :class:`~omnimix.workspace.Workspace` and, at channel level, writes the credit into
  ``attribution_results`` (the rows of the models run are replaced, other models' rows stay);
* :func:`attribute_file` reads a paths file or touch rows (CSV, Parquet or XLSX), optionally with the
  spend of a workspace for CPA and ROAS.

``model`` is a model name (see :data:`~omnimix.attribution.models.MODELS`) or ``"all"`` for the
side-by-side table (``time_decay`` joins it when touch rows are available).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omnimix.attribution.credit import Attribution
from omnimix.attribution.markov import States, markov
from omnimix.attribution.models import MODELS, ModelOptions, model_paths, run_model
from omnimix.attribution.paths import (
    PathData,
    is_touch_table,
    paths_from_columns,
    read_columns,
    read_touches,
    read_workspace,
)
from omnimix.attribution.results import chart as write_chart
from omnimix.attribution.results import compare, save_to_workspace
from omnimix.errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from omnimix.workspace import Workspace

LEVELS = ("channel", "campaign")


@dataclass(frozen=True, eq=False)
class AttributionRun:
    """What one ``omnimix attribute`` run produced.

    Attributes:
        model: the model asked for (a name, or ``"all"``).
        results: one :class:`~omnimix.attribution.credit.Attribution` per model run.
        level: ``channel`` or ``campaign``.
        table: the side-by-side table of :func:`~omnimix.attribution.results.compare` (spend, credit,
            CPA and ROAS per model), for ``"all"`` or when a chart was written; else None.
        transitions: Markov only, when asked: ``(from, to, probability)`` of every transition.
        saved: rows written to ``attribution_results`` (None when nothing was stored).
        chart: the HTML chart written, if any.
    """

    model: str
    results: tuple[Attribution, ...]
    level: str = "channel"
    table: pd.DataFrame | None = None
    transitions: tuple[tuple[str, str, float], ...] | None = None
    saved: int | None = None
    chart: Path | None = None

    @property
    def models(self) -> list[str]:
        """The models run, in table order."""
        return [r.model for r in self.results]

    @property
    def warnings(self) -> list[str]:
        """Every model's warnings (e.g. negative credit, conversions outside the lookback)."""
        return [w for r in self.results for w in r.warnings]

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` document: one model's credit, or ``{"model": "all", "models", "channels"}``."""
        if self.model != "all":
            doc = self.results[0].to_dict()
            if self.transitions is not None:
                doc["transition_matrix"] = [{"from": a, "to": b, "probability": p} for a, b, p in self.transitions]
            return doc
        assert self.table is not None
        return table_json(self.table, self.models)


def _num(x: Any) -> float | None:
    v = float(x)
    return None if math.isnan(v) else v


def table_json(table: pd.DataFrame, models: list[str]) -> dict[str, Any]:
    """The side-by-side table as ``{"model": "all", "models", "channels": {unit: {spend, model: …}}}``."""
    channels: dict[str, Any] = {}
    for unit, row in table.iterrows():
        entry: dict[str, Any] = {"spend": _num(row["spend"])}
        for m in models:
            entry[m] = {k: _num(row[f"{m}_{k}"]) for k in ("conversions", "value", "cpa", "roas")}
        channels[str(unit)] = entry
    return {"model": "all", "models": models, "channels": channels}


def _check(model: str, level: str) -> list[str]:
    if model != "all" and model not in MODELS:
        raise UsageError(f"--model {model!r} is unknown; expected one of {', '.join(MODELS)}, or all.")
    if level not in LEVELS:
        raise UsageError(f"--level {level!r} is unknown; expected channel or campaign.")
    return list(MODELS) if model == "all" else [model]


def _run(
    model: str,
    models: list[str],
    paths: PathData | None,
    touches: pd.DataFrame | None,
    spend: pd.DataFrame | None,
    options: ModelOptions,
    transitions: bool,
    chart: str | Path | None,
) -> AttributionRun:
    if model == "all" and touches is None:
        models = [m for m in models if m != "time_decay"]
    matrix = None
    if transitions and model == "markov":
        res = markov(model_paths(paths, touches, options.lookback_days, options.level), options.order,
                     use_null=options.use_null, collapse_repeats=options.collapse_repeats,
                     states=options.markov_states)
        results = [res.to_attribution(use_null=options.use_null, collapse_repeats=options.collapse_repeats)]
        matrix = tuple(res.transition_table())
    else:
        results = [run_model(m, paths, touches, options) for m in models]
    table = compare(results, spend, options.level) if model == "all" or chart is not None else None
    written = write_chart(table, chart) if chart is not None and table is not None else None
    return AttributionRun(model, tuple(results), options.level, table, matrix, None, written)


def attribute_workspace(
    workspace: Workspace | str | Path,
    model: str,
    *,
    order: int = 1,
    use_null: bool = True,
    collapse_repeats: bool = True,
    position_weights: tuple[float, float] = (0.4, 0.4),
    half_life_days: float = 7.0,
    lookback_days: float | None = None,
    level: str = "channel",
    shapley_worth: str = "auto",
    ordered_repeats: str = "first",
    direct: tuple[str, ...] | None = None,
    markov_states: States = "channelattribution",
    transitions: bool = False,
    chart: str | Path | None = None,
    save: bool = True,
) -> AttributionRun:
    """Attribute the conversions of a workspace (``omnimix attribute --workspace DIR``).

    Reads ``paths``, ``journey_touches`` and ``spend`` from the warehouse; with ``save`` (default) and
    at channel level the credit goes into ``attribution_results`` (the dashboard's Channels page),
    replacing the rows of the models run.

    Args:
        workspace: a :class:`~omnimix.workspace.Workspace` or its directory.
        model: a model name or ``"all"``.
        order, use_null, collapse_repeats, position_weights, half_life_days, lookback_days, level,
            shapley_worth, ordered_repeats, direct, markov_states: the models' settings, see
            :class:`~omnimix.attribution.models.ModelOptions`.
        transitions: Markov only: keep the transition matrix (in ``to_json()``).
        chart: write an offline HTML chart of the results there.
        save: store the credit in the workspace.

    Raises:
        UsageError: unknown model or level.
        InputDataError: the workspace has no warehouse, or no paths nor touch rows.
    """
    models = _check(model, level)
    options = ModelOptions(order, use_null, collapse_repeats, position_weights, half_life_days, lookback_days,
                           direct, shapley_worth, ordered_repeats, level, markov_states)
    data = read_workspace(workspace)
    run = _run(model, models, data.paths, data.touches, data.spend, options, transitions, chart)
    if not save or level != "channel":
        return run
    saved = save_to_workspace(workspace, run.results)
    return AttributionRun(run.model, run.results, run.level, run.table, run.transitions, saved, run.chart)


def attribute_file(
    path: str | Path,
    model: str,
    *,
    sep: str = ">",
    spend_from: Workspace | str | Path | None = None,
    order: int = 1,
    use_null: bool = True,
    collapse_repeats: bool = True,
    position_weights: tuple[float, float] = (0.4, 0.4),
    half_life_days: float = 7.0,
    lookback_days: float | None = None,
    level: str = "channel",
    shapley_worth: str = "auto",
    ordered_repeats: str = "first",
    direct: tuple[str, ...] | None = None,
    markov_states: States = "channelattribution",
    transitions: bool = False,
    chart: str | Path | None = None,
) -> AttributionRun:
    """Attribute the journeys of a file (``omnimix attribute PATHS``).

    The file holds paths (``path``, ``total_conversions`` [, ``total_conversion_value``, ``total_null``])
    or touch rows (``journey_id``/``customer_id``, ``ts``, ``channel`` …); CSV, Parquet or XLSX.

    Args:
        path: the file.
        model: a model name or ``"all"``.
        sep: the channel separator inside ``path``.
        spend_from: a workspace whose ``spend`` table gives CPA and ROAS (nothing is written to it).
        order, use_null, collapse_repeats, position_weights, half_life_days, lookback_days, level,
            shapley_worth, ordered_repeats, direct, markov_states, transitions, chart: as in
            :func:`attribute_workspace`.

    Raises:
        UsageError: unknown model or level.
        InputDataError: the file cannot be read, or misses columns.
    """
    models = _check(model, level)
    options = ModelOptions(order, use_null, collapse_repeats, position_weights, half_life_days, lookback_days,
                           direct, shapley_worth, ordered_repeats, level, markov_states)
    spend = read_workspace(spend_from, want_touches=False).spend if spend_from is not None else None
    cols = read_columns(path)
    paths: PathData | None = None
    touches: pd.DataFrame | None = None
    if is_touch_table(list(cols)):
        touches = read_touches(path, cols)
    else:
        paths = paths_from_columns(cols, sep=sep, source=str(path))
    return _run(model, models, paths, touches, spend, options, transitions, chart)
