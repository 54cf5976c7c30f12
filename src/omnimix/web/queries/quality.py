"""Data quality and workspace status: table counts, file loads, the quarantine, the results present."""

from __future__ import annotations

from typing import Any

from omnimix.schema import TABLES
from omnimix.web.queries.common import data_range
from omnimix.web.registry import RESULTS
from omnimix.web.warehouse import Warehouse


def table_counts(wh: Warehouse) -> list[dict[str, Any]]:
    """Row counts of the canonical tables and of every result table present."""
    names = list(TABLES) + [r.table for r in RESULTS.values()]
    return [
        {
            "table": n,
            "rows": wh.count(n),
            "present": wh.has(n),
            "kind": "canonical" if n in TABLES else "result",
        }
        for n in names
    ]


def loads(
    wh: Warehouse, offset: int, limit: int, target_table: str | None = None
) -> tuple[int, list[dict[str, Any]]]:
    if not wh.has("loads"):
        return 0, []
    where, params = ("WHERE target_table = ?", [target_table]) if target_table else ("", [])
    total = int(wh.scalar(f"SELECT count(*) FROM loads {where}", params) or 0)
    rows = wh.rows(
        f"SELECT * FROM loads {where} ORDER BY loaded_at DESC NULLS LAST, load_id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return total, rows


def quarantine_summary(wh: Warehouse) -> list[dict[str, Any]]:
    if not wh.has("quarantine"):
        return []
    return wh.cached(
        ("q_summary",),
        lambda: wh.rows(
            "SELECT target_table, reason, count(*) AS rows FROM quarantine "
            "GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2"
        ),
    )


def quarantine_rows(
    wh: Warehouse,
    offset: int,
    limit: int,
    load_id: str | None = None,
    target_table: str | None = None,
    reason: str | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    if not wh.has("quarantine"):
        return 0, []
    conds, params = [], []
    for col, val in (("load_id", load_id), ("target_table", target_table), ("reason", reason)):
        if val:
            conds.append(f"{col} = ?")
            params.append(val)
    where = ("WHERE " + " AND ".join(conds)) if conds else ""
    total = int(wh.scalar(f"SELECT count(*) FROM quarantine {where}", params) or 0)
    rows = wh.rows(
        f"SELECT * FROM quarantine {where} ORDER BY loaded_at DESC NULLS LAST, source_file, line "
        "LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return total, rows



def status(wh: Warehouse) -> dict[str, Any]:
    """Workspace status: warehouse presence, table counts, result availability, data range, last load."""
    if not wh.exists():
        return {
            "warehouse": str(wh.path),
            "exists": False,
            "tables": [],
            "results": {},
            "data_range": None,
            "last_load": None,
        }
    rng = data_range(wh)
    last = loads(wh, 0, 1)[1]
    results = {}
    for key, src in RESULTS.items():
        st = wh.result_state(key)
        results[key] = {
            "table": src.table,
            "computed": st is None,
            "rows": wh.count(src.table),
            "message": None if st is None else st["message"],
        }
    return {
        "warehouse": str(wh.path),
        "exists": True,
        "tables": table_counts(wh),
        "results": results,
        "data_range": None if rng is None else {"start": rng[0].isoformat(), "end": rng[1].isoformat()},
        "last_load": last[0] if last else None,
        "quarantine_rows": wh.count("quarantine"),
    }
