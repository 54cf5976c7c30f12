"""``omnimix attribute``: run attribution models on a paths file, touch rows or a workspace.

The command parses its flags, calls :func:`omnimix.attribution.workflow.attribute_workspace` or
:func:`~omnimix.attribution.workflow.attribute_file` and prints the run. The workflow (and with it
NumPy, pyarrow, SciPy and pandas) is imported inside the command, so the CLI starts fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

_MODEL_HELP = (
    "first, last, last_non_direct, linear, linear_touch, position, time_decay, markov, shapley, "
    "shapley_simplified, shapley_ordered, or all (side-by-side table)"
)


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
            Path | None, typer.Option("--workspace", help="Workspace directory (with PATHS: its spend only).")
        ] = None,
        order: Annotated[int, typer.Option("--order", help="Markov chain order (1-4).")] = 1,
        sep: Annotated[str, typer.Option("--sep", help="Channel separator inside `path`.")] = ">",
        no_null: Annotated[
            bool, typer.Option("--no-null", help="Markov: ignore non-converting journeys.")
        ] = False,
        keep_repeats: Annotated[
            bool, typer.Option("--keep-repeats", help="Markov: keep consecutive repeats of a channel.")
        ] = False,
        markov_states: Annotated[
            str,
            typer.Option(
                "--markov-states",
                help="Markov order >= 2: channelattribution (repeated states merged, as ChannelAttribution) "
                "or omnimix (repeated channels merged first).",
            ),
        ] = "channelattribution",
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
        from omnimix.attribution.workflow import attribute_file, attribute_workspace
        from omnimix.errors import UsageError

        if paths_file is None and workspace is None:
            raise UsageError("no input: pass a paths file (PATHS.csv) or --workspace DIR.")
        options: dict[str, Any] = {
            "order": order,
            "use_null": not no_null,
            "collapse_repeats": not keep_repeats,
            "position_weights": (first, last),
            "half_life_days": half_life,
            "lookback_days": lookback,
            "level": level,
            "shapley_worth": worth,
            "ordered_repeats": repeats,
            "direct": tuple(d.strip() for d in direct.split(",")) if direct else None,
            "markov_states": markov_states,
            "transitions": transitions and model == "markov",
            "chart": chart_file,
        }
        if paths_file is not None:
            run = attribute_file(paths_file, model, sep=sep, spend_from=workspace, **options)
        else:
            assert workspace is not None
            run = attribute_workspace(workspace, model, **options)  # saves attribution_results
        for w in run.warnings:
            typer.echo(f"Warning: {w}", err=True)
        if as_json:
            from omnimix.cli._common import emit_json

            emit_json(run.to_json())
        elif model != "all":
            _print_single(run.results[0])
        else:
            assert run.table is not None
            _print_table(run.table, run.models)


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
