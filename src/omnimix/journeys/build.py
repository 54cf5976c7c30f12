"""Journeys: the ordered touches of each customer before each conversion.

A conversion's journey holds the customer's touches after their previous conversion and no older than
the lookback window before it (``[journeys] lookback_days``, default 30; ``lookback_by_event_type``
overrides it per event type, e.g. impressions 7 days). Touches after a customer's last conversion
(or all, for customers who never converted) within the lookback window of their last touch form one
non-converting journey. Written tables:

* ``journey_touches(journey_id, customer_id, ts, channel, campaign, stage, event_type, converted,
  conversion_value, conversion_ts)`` — one row per touch in a journey;
* ``journeys(journey_id, customer_id, converted, conversion_value, conversion_ts, n_touches,
  n_channels, path)``;
* ``paths(path, total_conversions, total_conversion_value, total_null)`` — distinct channel paths
  (channels joined with ``" > "``), the input of ``omnimix attribute``.

Conversions with no touch inside the window have an empty path; they are counted in the result
(``conversions_without_touches``) and left out of ``paths``.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from omnimix.engine.base import Engine, engine_scope
from omnimix.engine.dialect import ordered_string_agg
from omnimix.errors import OmnimixError
from omnimix.workspace import Workspace, quote_literal


@dataclass(frozen=True)
class JourneyResult:
    """Counts of one journeys build (the ``journeys`` part of ``omnimix resolve --json``)."""

    journeys: int = 0
    converting_journeys: int = 0
    conversions_without_touches: int = 0
    null_journeys: int = 0
    distinct_paths: int = 0
    touches_in_journeys: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


#: ``paths`` from ``journeys``: distinct paths with conversions, value and non-converting journeys.
PATHS_SQL = """
    SELECT path, CAST(sum(CASE WHEN converted THEN 1 ELSE 0 END) AS DOUBLE) AS total_conversions,
           sum(CASE WHEN converted THEN conversion_value ELSE 0 END) AS total_conversion_value,
           CAST(sum(CASE WHEN converted THEN 0 ELSE 1 END) AS DOUBLE) AS total_null
    FROM journeys GROUP BY path"""


def _lookback_sql(ws: Workspace) -> str:
    default = ws.config.journeys.lookback_days
    cases = " ".join(f"WHEN {quote_literal(k)} THEN {int(v)}"
                     for k, v in ws.config.journeys.lookback_by_event_type.items())
    return f"CASE t.event_type {cases} ELSE {default} END" if cases else str(default)


def path_agg(engine: Engine, channel: str, order: str) -> str:
    """An ordered ``a > b > c`` aggregate in the engine's dialect (see :mod:`omnimix.engine.dialect`)."""
    return ordered_string_agg(engine, channel, order)


def build_journeys(ws: Workspace, engine: Engine | None = None) -> JourneyResult:
    """Build journeys and paths from resolved touchpoints and conversions.

    Raises:
        OmnimixError: identities were not resolved yet.
    """
    with engine_scope(ws, engine) as eng:
        return _build(ws, eng)


def _build(ws: Workspace, eng: Engine) -> JourneyResult:
    if not eng.table_exists("row_customers"):
        raise OmnimixError("no resolved identities: run `omnimix resolve --workspace "
                           f"{ws.root}` before building journeys")
    lookback = _lookback_sql(ws)
    eng.materialize("_j_touch", f"""
        SELECT r.customer_id, t.ts, t.channel, t.campaign, t.stage, t.event_type, {lookback} AS lookback_days
        FROM touchpoints t JOIN row_customers r ON r.src_table = 'touchpoints' AND r.row_key = t.event_id""")
    eng.materialize("_j_conv", """
        SELECT r.customer_id, c.conversion_id, c.ts, coalesce(c.value, 0) AS value,
               lag(c.ts) OVER (PARTITION BY r.customer_id ORDER BY c.ts, c.conversion_id) AS prev_ts
        FROM conversions c JOIN row_customers r ON r.src_table = 'conversions' AND r.row_key = c.conversion_id""")
    eng.materialize("_j_last", """
        SELECT customer_id, max(ts) AS last_conv FROM _j_conv GROUP BY customer_id""")
    eng.materialize("journey_touches", """
        SELECT c.conversion_id AS journey_id, c.customer_id, t.ts, t.channel, t.campaign, t.stage, t.event_type,
               true AS converted, c.value AS conversion_value, c.ts AS conversion_ts
        FROM _j_conv c JOIN _j_touch t ON t.customer_id = c.customer_id
        WHERE t.ts <= c.ts AND (c.prev_ts IS NULL OR t.ts > c.prev_ts)
          AND t.ts >= c.ts - t.lookback_days * INTERVAL 1 DAY
        UNION ALL
        SELECT o.customer_id || ':open' AS journey_id, o.customer_id, o.ts, o.channel, o.campaign, o.stage,
               o.event_type, false AS converted, CAST(0 AS DOUBLE) AS conversion_value,
               CAST(NULL AS TIMESTAMP) AS conversion_ts
        FROM (SELECT t.*, max(t.ts) OVER (PARTITION BY t.customer_id) AS last_touch
              FROM _j_touch t LEFT JOIN _j_last l ON l.customer_id = t.customer_id
              WHERE l.last_conv IS NULL OR t.ts > l.last_conv) o
        WHERE o.ts >= o.last_touch - o.lookback_days * INTERVAL 1 DAY""")
    agg = path_agg(eng, "channel", "ts")
    eng.materialize("journeys", f"""
        SELECT j.journey_id, j.customer_id, j.converted, j.conversion_value, j.conversion_ts, j.n_touches,
               j.n_channels, j.path
        FROM (SELECT journey_id, min(customer_id) AS customer_id, bool_or(converted) AS converted,
                     max(conversion_value) AS conversion_value, max(conversion_ts) AS conversion_ts,
                     count(*) AS n_touches, count(DISTINCT channel) AS n_channels, {agg} AS path
              FROM journey_touches GROUP BY journey_id) j""")
    eng.materialize("paths", PATHS_SQL)
    journeys, converting, null, touches = eng.fetchall("""
        SELECT count(*), sum(CASE WHEN converted THEN 1 ELSE 0 END), sum(CASE WHEN converted THEN 0 ELSE 1 END),
               coalesce(sum(n_touches), 0) FROM journeys""")[0]
    n_conv = eng.fetchall("SELECT count(*) FROM _j_conv")[0][0]
    res = JourneyResult(
        journeys=int(journeys), converting_journeys=int(converting or 0),
        conversions_without_touches=int(n_conv) - int(converting or 0), null_journeys=int(null or 0),
        distinct_paths=int(eng.fetchall("SELECT count(*) FROM paths")[0][0]), touches_in_journeys=int(touches))
    for t in ("_j_touch", "_j_conv", "_j_last"):
        eng.drop(t)
    return res


def export_paths(ws: Workspace, out: str | Path, engine: Engine | None = None) -> int:
    """Write ``paths`` in the common ``path;total_conversions;total_conversion_value;total_null`` form."""
    with engine_scope(ws, engine) as eng:
        if not eng.table_exists("paths"):
            raise OmnimixError(f"no paths yet: run `omnimix resolve --workspace {ws.root}` first")
        rows = eng.fetchall("SELECT path, total_conversions, total_conversion_value, total_null FROM paths "
                            "ORDER BY total_conversions + total_null DESC, path")
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["path", "total_conversions", "total_conversion_value", "total_null"])
        for path, conv, value, null in rows:
            w.writerow([path, _num(conv), round(float(value), 2), _num(null)])
    return len(rows)


def _num(x: Any) -> int | float:
    f = float(x)
    return int(f) if f.is_integer() else f
