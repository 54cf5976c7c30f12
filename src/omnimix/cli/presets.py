"""``omnimix presets``: the platform presets and the header names each accepts per canonical column."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from omnimix.cli._common import JsonOpt


def describe(include_tables: bool = False) -> list[dict[str, Any]]:
    """Every preset as ``{"name", "title", "table", "required", "columns": {canonical: [headers]},
    "constants", "line_items"}`` (canonical ``table:NAME`` presets only with ``include_tables``)."""
    from omnimix.ingest.presets import PRESETS

    out = []
    for p in PRESETS.values():
        if p.name.startswith("table:") and not include_tables:
            continue
        cols: dict[str, list[str]] = {}
        for canon in (*p.columns, *p.fallback, *p.concat, *p.ids):
            cols[canon] = list(p.aliases(canon))
        out.append({"name": p.name, "title": p.title, "table": p.table, "required": p.required_canonical(),
                    "columns": cols, "fallback": {k: list(v) for k, v in p.fallback.items()},
                    "concat": {k: list(v) for k, v in p.concat.items()}, "ids": {k: list(v) for k, v in p.ids.items()},
                    "constants": dict(p.constants),
                    "line_items": p.line_items})
    return out


def register(app: typer.Typer) -> None:
    """Add ``presets``."""

    @app.command("presets")
    def presets(
        name: Annotated[str | None, typer.Argument(help="one preset to show (all when omitted)")] = None,
        tables: Annotated[bool, typer.Option("--tables", help="also the canonical table:NAME presets")] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """List the platform presets: the table each loads and the headers accepted per column."""
        from omnimix.cli._common import emit_json
        from omnimix.errors import UsageError

        rows = describe(include_tables=tables or bool(name and name.startswith("table:")))
        if name is not None:
            rows = [r for r in rows if r["name"] == name]
            if not rows:
                raise UsageError(f"unknown preset {name!r}: run `omnimix presets` for the list")
        if as_json:
            emit_json({"presets": rows})
            return
        for r in rows:
            typer.echo(f"{r['name']} → {r['table']}: {r['title']}")
            for canon, names in r["columns"].items():
                req = " (required)" if canon in r["required"] else ""
                how = " [first non-empty]" if canon in r["fallback"] else " [joined]" if canon in r["concat"] else ""
                typer.echo(f"  {canon}{req}{how}: " + " / ".join(names)
                           + (" (ids: " + " / ".join(r["ids"][canon]) + " → 'name [id]')" if canon in r["ids"] else ""))
            if r["constants"]:
                typer.echo("  constants: " + ", ".join(f"{k}={v}" for k, v in r["constants"].items()))
            if r["line_items"]:
                typer.echo("  line-item rows of an order are folded into the order row")
