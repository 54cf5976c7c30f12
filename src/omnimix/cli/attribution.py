"""``omnimix attribute``: run attribution models on a paths file, touch rows or a workspace.

Heavy modules (numpy, pyarrow, scipy, pandas) are imported inside the command, so the CLI starts fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

_MODEL_HELP = (
    "first, last, last_non_direct, linear, linear_touch, position, time_decay, markov, shapley, "
    "shapley_simplified, shapley_ordered, or all (side-by-side table)"
)


def _load(file: Path | None, workspace: Path | None, sep: str, need_touches: bool) -> dict[str, Any]:
    from omnimix.attribution import paths as P
    from omnimix.errors import ConfigError

    if file is None and workspace is None:
        raise ConfigError("no input: pass a paths file (PATHS.csv) or --workspace DIR.")
    data: dict[str, Any] = {"paths": None, "touches": None, "spend": None}
    if workspace is not None:
        ws = P.read_workspace(workspace, want_touches=need_touches or file is None)
        data.update(paths=ws.paths, touches=ws.touches, spend=ws.spend)
    if file is not None:
        data.update(paths=None, touches=None)
        cols = P.read_table(file)
        if P.is_touch_table(list(cols)):
            data["touches"] = P.read_touches(file, cols)
        else:
            data["paths"] = P.paths_from_columns(cols, sep=sep, source=str(file))
    return data


def register(app: typer.Typer) -> None:
    """Add ``omnimix attribute`` to the main app."""

    @app.command("attribute")
    def attribute_cmd(
        model: Annotated[str, typer.Option("--model", "-m", help=_MODEL_HELP)],
        paths_file: Annotated[
            Path | None,
            typer.Argument(
                metavar="[PATHS]",
                help="Paths file (path, total_conversions[, total_conversion_value][, total_null]) "
                "or touch rows.",
            ),
        ] = None,
        workspace: Annotated[
            Path | None, typer.Option("--workspace", help="Workspace directory (warehouse.duckdb).")
        ] = None,
        order: Annotated[int, typer.Option("--order", help="Markov chain order (1-4).")] = 1,
        sep: Annotated[str, typer.Option("--sep", help="Channel separator inside `path`.")] = ">",
        no_null: Annotated[
            bool, typer.Option("--no-null", help="Markov: ignore non-converting journeys.")
        ] = False,
        keep_repeats: Annotated[
            bool, typer.Option("--keep-repeats", help="Markov: keep consecutive repeats of a channel.")
        ] = False,
        first: Annotated[
            float, typer.Option("--first", help="Position model: share of the first touch.")
        ] = 0.4,
        last: Annotated[float, typer.Option("--last", help="Position model: share of the last touch.")] = 0.4,
        half_life: Annotated[float, typer.Option("--half-life", help="Time decay half-life in days.")] = 7.0,
        lookback: Annotated[
            float | None, typer.Option("--lookback", help="Lookback window in days (touch rows).")
        ] = None,
        level: Annotated[str, typer.Option("--level", help="channel or campaign (touch rows).")] = "channel",
        worth: Annotated[
            str, typer.Option("--worth", help="Shapley worth: auto, conversions or rate.")
        ] = "auto",
        repeats: Annotated[
            str, typer.Option("--repeats", help="Ordered Shapley repeats: first or split.")
        ] = "first",
        direct: Annotated[
            str | None,
            typer.Option("--direct", help="Comma-separated channels treated as direct (last_non_direct)."),
        ] = None,
        transitions: Annotated[
            bool, typer.Option("--transitions", help="Markov: add the transition matrix to the JSON.")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        chart_file: Annotated[
            Path | None, typer.Option("--chart", help="Write an offline HTML chart of the results.")
        ] = None,
    ) -> None:
        """Credit conversions and value to channels with one attribution model, or all of them."""
        from omnimix.attribution.results import MODELS, attribute
        from omnimix.errors import ConfigError

        models = list(MODELS) if model == "all" else [model]
        if model != "all" and model not in MODELS:
            raise ConfigError(f"--model {model!r} is unknown; expected {_MODEL_HELP}.")
        if level not in ("channel", "campaign"):
            raise ConfigError(f"--level {level!r} is unknown; expected channel or campaign.")
        need_touches = "time_decay" in models or level == "campaign"
        data = _load(paths_file, workspace, sep, need_touches)
        if model == "all" and data["touches"] is None:
            models = [m for m in models if m != "time_decay"]
        opts: dict[str, Any] = {
            "order": order,
            "use_null": not no_null,
            "collapse_repeats": not keep_repeats,
            "position_weights": (first, last),
            "half_life_days": half_life,
            "lookback_days": lookback,
            "direct": tuple(d.strip() for d in direct.split(",")) if direct else None,
            "shapley_worth": worth,
            "ordered_repeats": repeats,
            "level": level,
        }
        if transitions and model == "markov":
            return _markov_with_transitions(data, opts, as_json)
        results = [attribute(m, data["paths"], data["touches"], **opts) for m in models]
        if workspace is not None and paths_file is None and level == "channel":
            from omnimix.attribution.results import save_to_workspace

            save_to_workspace(workspace, results)  # the dashboard's Channels page reads it
        for r in results:
            for w in r.warnings:
                typer.echo(f"Warning: {w}", err=True)
        if model != "all":
            res = results[0]
            if as_json:
                from omnimix.cli._common import emit_json

                emit_json(res.to_dict())
            else:
                _print_single(res)
            if chart_file is not None:
                from omnimix.attribution.results import chart, compare

                chart(compare(results, data["spend"], level), chart_file)
            return
        from omnimix.attribution.results import chart, compare

        table = compare(results, data["spend"], level)
        if chart_file is not None:
            chart(table, chart_file)
        if as_json:
            from omnimix.cli._common import emit_json

            emit_json(_table_json(table, [r.model for r in results]))
        else:
            _print_table(table, [r.model for r in results])


def _markov_with_transitions(data: dict[str, Any], opts: dict[str, Any], as_json: bool) -> None:
    from omnimix.attribution.markov import markov
    from omnimix.attribution.paths import touches_to_paths
    from omnimix.attribution.results import Attribution

    paths = data["paths"]
    if paths is None or opts["level"] == "campaign":
        paths = touches_to_paths(data["touches"], opts["lookback_days"], opts["level"])
    res = markov(paths, opts["order"], use_null=opts["use_null"], collapse_repeats=opts["collapse_repeats"])
    att = Attribution(
        "markov",
        res.channels,
        res.conversions,
        res.value,
        extras={"removal_effect": res.removal_effect, "removal_effect_value": res.removal_effect_value},
        params={
            "order": res.order,
            "conversion_probability": res.conversion_probability,
            "solver": res.solver,
        },
    )
    if not as_json:
        _print_single(att)
        return
    from omnimix.cli._common import emit_json

    doc = att.to_dict()
    doc["transition_matrix"] = [{"from": a, "to": b, "probability": p} for a, b, p in res.transition_table()]
    emit_json(doc)


def _num(x: Any) -> float | None:
    import math

    v = float(x)
    return None if math.isnan(v) else v


def _table_json(table: Any, models: list[str]) -> dict[str, Any]:
    channels: dict[str, Any] = {}
    for unit, row in table.iterrows():
        entry: dict[str, Any] = {"spend": _num(row["spend"])}
        for m in models:
            entry[m] = {k: _num(row[f"{m}_{k}"]) for k in ("conversions", "value", "cpa", "roas")}
        channels[str(unit)] = entry
    return {"model": "all", "models": models, "channels": channels}


def _print_single(res: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"Attribution: {res.model}")
    t.add_column("channel")
    t.add_column("conversions", justify="right")
    t.add_column("value", justify="right")
    extra = list(res.extras)
    for k in extra:
        t.add_column(k, justify="right")
    for i, name in enumerate(res.channels):
        t.add_row(
            name,
            f"{res.conversions[i]:,.2f}",
            f"{res.value[i]:,.2f}",
            *[f"{res.extras[k][i]:.4f}" for k in extra],
        )
    t.add_row("total", f"{res.conversions.sum():,.2f}", f"{res.value.sum():,.2f}", *["" for _ in extra])
    Console().print(t)


def _print_table(table: Any, models: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title="Conversions credited by model (CPA / ROAS where spend is known)")
    t.add_column(str(table.index.name or "channel"))
    t.add_column("spend", justify="right")
    for m in models:
        t.add_column(m, justify="right")
    for unit, row in table.iterrows():
        cells = []
        for m in models:
            c = row[f"{m}_conversions"]
            cpa, roas = row[f"{m}_cpa"], row[f"{m}_roas"]
            cell = f"{c:,.1f}"
            if cpa == cpa and roas == roas:
                cell += f"\nCPA {cpa:,.2f} ROAS {roas:,.2f}"
            cells.append(cell)
        sp = row["spend"]
        t.add_row(str(unit), "" if sp != sp else f"{sp:,.0f}", *cells)
    Console().print(t)
