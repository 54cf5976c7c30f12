"""The ``omnimix`` command line.

Each command group lives next to the code it drives (``omnimix/<area>/cli.py`` with a
``register(app)`` function) and imports its heavy dependencies inside the command body, so
``omnimix --help`` and file-mode commands start fast. Every :class:`~omnimix.errors.OmnimixError` is
printed as ``Error: <message>`` with the error's exit code; no traceback reaches the user.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import typer

from omnimix.errors import OmnimixError

app = typer.Typer(
    name="omnimix",
    help="Integrated marketing: ingest, identity, attribution, MMM, budget, CLV and a dashboard.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def emit_json(obj: Any) -> None:
    """Print one JSON document on stdout (the ``--json`` output of every command)."""
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def _register_all() -> None:
    from omnimix.attribution.cli import register as register_attribution
    from omnimix.clv.cli import register as register_clv
    from omnimix.identity.cli import register as register_identity
    from omnimix.ingest.cli import register as register_ingest
    from omnimix.mmm.cli import register as register_mmm
    from omnimix.optimize.cli import register as register_optimize
    from omnimix.web.cli import register as register_web

    register_ingest(app)
    register_identity(app)
    register_attribution(app)
    register_optimize(app)
    register_clv(app)
    register_mmm(app)
    register_web(app)


_register_all()


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
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
        import click

        if isinstance(exc, click.exceptions.Abort):
            sys.exit(1)
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":  # pragma: no cover
    main()
