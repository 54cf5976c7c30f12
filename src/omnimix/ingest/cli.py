"""CLI commands of the data layer: init, ingest, simulate, demo."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the data-layer commands to the main app."""
