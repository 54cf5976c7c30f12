"""Shared pieces of the dashboard queries: the date/channel filter, the data range, the person key.

Each area of the dashboard has its own module in this package: :mod:`.kpis` (headline KPIs and the
per-channel table), :mod:`.trends` (funnel and time series), :mod:`.quality` (table counts, loads,
quarantine, workspace status), :mod:`.customers` (customer search and profiles) and :mod:`.results`
(the tables the analysis stages write). All of them read through :class:`omnimix.web.warehouse.Warehouse`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from omnimix.taxonomy import IDENTIFIER_TYPES
from omnimix.web.warehouse import Warehouse


@dataclass(frozen=True)
class Filters:
    """Date range (inclusive) and channel filter; an empty channel tuple means all channels."""

    start: date
    end: date
    channels: tuple[str, ...] = ()

    def key(self) -> tuple[Any, ...]:
        return (self.start.isoformat(), self.end.isoformat(), self.channels)


def data_range(wh: Warehouse) -> tuple[date, date] | None:
    """First and last day with spend or conversions; None when both are empty."""

    def compute() -> tuple[date, date] | None:
        parts = []
        if wh.has("spend"):
            parts.append('SELECT min("date") AS lo, max("date") AS hi FROM spend')
        if wh.has("conversions"):
            parts.append("SELECT min(ts)::DATE AS lo, max(ts)::DATE AS hi FROM conversions")
        if not parts:
            return None
        row = wh.rows(f"SELECT min(lo) AS lo, max(hi) AS hi FROM ({' UNION ALL '.join(parts)})")[0]
        if row["lo"] is None:
            return None
        return (row["lo"], row["hi"])

    return wh.cached(("data_range",), compute)


def default_filters(wh: Warehouse, days: int = 90) -> Filters:
    """The last ``days`` days with data (or the last ``days`` days to today when empty)."""
    rng = data_range(wh) if wh.exists() else None
    end = rng[1] if rng else date.today()
    start = max(rng[0], end - timedelta(days=days - 1)) if rng else end - timedelta(days=days - 1)
    return Filters(start, end)


def ts_range(f: Filters) -> list[Any]:
    return [
        datetime.combine(f.start, datetime.min.time()),
        datetime.combine(f.end + timedelta(days=1), datetime.min.time()),
    ]


def chan_clause(f: Filters, col: str = "channel") -> tuple[str, list[Any]]:
    if not f.channels:
        return "", []
    return f" AND list_contains(?, {col})", [list(f.channels)]


def num(x: Any) -> float | None:
    if x is None:
        return None
    v = float(x)
    return v if math.isfinite(v) else None


def div(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def id_cols(wh: Warehouse, table: str) -> list[str]:
    cols = wh.tables().get(table, [])
    return [t for t in IDENTIFIER_TYPES if t in cols]


def fallback_person(alias: str, ids: list[str]) -> str:
    if not ids:
        return "NULL::VARCHAR"
    return "coalesce(" + ", ".join(f"'{t}:' || {alias}.\"{t}\"" for t in ids) + ")"


def person_sql(wh: Warehouse, table: str, alias: str) -> tuple[str, str]:
    """(joins, person expression) mapping rows of ``table`` to a person.

    Uses the ``identifiers`` table (``omnimix resolve``) when it has rows; identifiers it does not know,
    or a workspace without identity resolution, fall back to the first identifier present in the row
    (``type:value``, in the configured priority order).
    """
    ids = id_cols(wh, table)
    fallback = fallback_person(alias, ids)
    if not ids or wh.count("identifiers") == 0:
        return "", fallback
    joins = []
    mapped = []
    for i, t in enumerate(ids):
        joins.append(
            f"LEFT JOIN identifiers _i{i} ON _i{i}.id_type = '{t}' AND _i{i}.id_value = {alias}.\"{t}\""
        )
        mapped.append(f"_i{i}.customer_id")
    return " ".join(joins), "coalesce(" + ", ".join(mapped) + f", {fallback})"


