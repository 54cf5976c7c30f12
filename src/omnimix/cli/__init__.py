"""The ``omnimix`` command line: the top layer.

One module per area (``omnimix.cli.<area>``, each with a ``register(app)`` function) plus
:mod:`omnimix.cli._common` for the shared options. A command parses its flags, calls the area's
workflow in the library and prints the result; heavy dependencies (NumPy, JAX, Spark) are imported
inside the command body, so ``omnimix --help`` and file-mode commands start fast. Every
:class:`~omnimix.errors.OmnimixError` is printed as ``Error: <message>`` with the error's exit code
(:class:`~omnimix.errors.UsageError` for bad flags exits 2); no traceback reaches the user.
"""

from __future__ import annotations

import sys

import typer

from omnimix.cli import (
    attribution,
    clv,
    demo,
    experiment,
    experiment_design,
    identity,
    ingest,
    journeys,
    lifecycle,
    loads,
    mmm,
    monitor,
    optimize,
    plan,
    presets,
    review,
    schedule,
    simulate,
    voice,
    web,
    workspace,
)
from omnimix.cli._common import emit_json
from omnimix.errors import OmnimixError

app = typer.Typer(
    name="omnimix",
    help="Integrated marketing: ingest, identity, attribution, MMM, budget, CLV and a dashboard.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

for _area in (workspace, ingest, loads, presets, simulate, identity, journeys, attribution, optimize, clv, mmm, plan,
              lifecycle, voice, experiment, experiment_design, monitor, review, schedule, web, demo):
    _area.register(app)


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    import click

    try:
        rv = app(args=argv, standalone_mode=False)
        if isinstance(rv, int) and rv:
            sys.exit(rv)
    except OmnimixError as exc:
        typer.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("Interrupted.", err=True)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:
        aborts = tuple(t for t in (click.exceptions.Abort, getattr(typer, "Abort", None)) if isinstance(t, type))
        if isinstance(exc, aborts):
            sys.exit(1)
        shown = getattr(exc, "show", None)
        code = getattr(exc, "exit_code", None)
        if callable(shown) and isinstance(code, int):  # click's (or typer's vendored click's) usage errors
            shown()
            sys.exit(code)
        raise


__all__ = ["app", "emit_json", "main"]

if __name__ == "__main__":  # pragma: no cover
    main()
