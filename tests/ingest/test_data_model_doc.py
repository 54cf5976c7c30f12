"""docs/data-model.md documents every table of omnimix.schema, column by column, under its kind."""

from __future__ import annotations

import re
from pathlib import Path

from omnimix.schema import ALL_TABLES, DERIVED, RESULTS, TABLES

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-model.md"


def _sections() -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """table → (kind heading it sits under, [(column, type)])."""
    out: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    kind, table = "", None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            kind, table = line[2:].strip(), None
        elif m := re.match(r"^## `(\w+)`", line):
            table = m[1]
            out[table] = (kind, [])
        elif table and (m := re.match(r"^\| `(\w+)` \| ([^|]+) \|", line)):
            out[table][1].append((m[1], m[2].strip()))
    return out


def test_every_table_and_column_is_documented() -> None:
    sections = _sections()
    assert set(sections) == set(ALL_TABLES)
    for name, spec in ALL_TABLES.items():
        kind, cols = sections[name]
        assert cols == [(c.name, c.type) for c in spec.columns], name
        want = "Canonical tables" if name in TABLES else "Derived tables" if name in DERIVED else "Result tables"
        assert kind == want, name
    assert {"journeys", "journey_touches", "paths", "row_customers", "erasures"} <= set(DERIVED)
    assert "clv_customers" in RESULTS
