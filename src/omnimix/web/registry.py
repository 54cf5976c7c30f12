"""The result tables the dashboard shows, derived from :data:`omnimix.schema.RESULTS`.

Each analysis stage writes a result table defined in :mod:`omnimix.schema` (name, columns and the
command that writes it). The dashboard reads a table when it is present with every defined column and
has rows; otherwise it answers "not computed yet — run `<command>`". The web names a few results by a
shorter key (``attribution``, ``mmm``, ``clv``); every other result is keyed by its table name. Adding a
result table to the schema adds it here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from omnimix.schema import RESULTS as SCHEMA_RESULTS

#: Web key of the result tables whose key is not their table name (names only, never shapes).
KEYS: dict[str, str] = {"attribution_results": "attribution", "mmm_channels": "mmm", "clv_customers": "clv"}


@dataclass(frozen=True)
class ResultTable:
    """A workspace table written by an analysis stage and shown by the dashboard.

    Attributes:
        table: table name in the warehouse.
        columns: columns the dashboard needs (all must exist): the schema's columns.
        command: the command that writes it (shown in the "not computed yet" state).
    """

    table: str
    columns: tuple[str, ...]
    command: str


#: Web key → result table, one entry per ``kind == "result"`` table of the schema.
RESULTS: dict[str, ResultTable] = {
    KEYS.get(t.name, t.name): ResultTable(t.name, tuple(t.column_names), t.written_by)
    for t in SCHEMA_RESULTS.values()
    if t.kind == "result"
}

#: Shown where customer-level pages need identity resolution (the canonical ``customers`` table).
IDENTITY_HINT = "no customers yet — run `omnimix resolve` to link identifiers into customers"


def not_computed(key: str, reason: str = "") -> dict[str, Any]:
    """The body answered for a result that is not in the warehouse yet."""
    src = RESULTS[key]
    msg = f"not computed yet — run `{src.command}`"
    if reason:
        msg += f" ({reason})"
    return {"computed": False, "table": src.table, "command": src.command, "message": msg}
