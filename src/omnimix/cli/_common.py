"""What every CLI area module shares: JSON output, the workspace and ``--json`` options, flag errors.

The CLI layer is the only one that prints. Each area module (``omnimix.cli.<area>``) parses flags,
calls the area's workflow (``omnimix.<area>.workflow``) and prints its result: ``--json`` prints the
result object's ``to_json()``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

WsOpt = Annotated[Path, typer.Option("--workspace", "-w", help="workspace directory")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]


def emit_json(obj: Any) -> None:
    """Print one JSON document on stdout (the ``--json`` output of every command)."""
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def split_list(text: str | None) -> list[str]:
    """``"a, b,c"`` → ``["a", "b", "c"]`` (empty for None or blank)."""
    return [s.strip() for s in (text or "").split(",") if s.strip()]
