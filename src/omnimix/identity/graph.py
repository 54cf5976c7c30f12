"""The identity graph: identifiers seen together become edges; merge protection cuts unsafe ones.

Observations come from every row that names a person (touchpoints, conversions, contacts): each row
links its identifiers to the row's *anchor*, its highest-priority identifier (``[identity] priority``).
A contact record is itself a node (``crm_id`` = ``source:record_id``) so probabilistic matches between
records join the same graph.

Merge protection, as the best CDPs do it:

* blocked values (``''``, ``0``, ``-1``, ``null``, ``anonymous``, all-zero ids …, and their hashes) and
  unparseable phones never link;
* a node linked to more identifiers of a *higher-priority* type than one person may have (a family
  iPad seen with two user ids, a team mailbox used by many customers) is *shared*: all its edges are
  cut, it stays an identifier of its own;
* a node linked to more identifiers of a *lower-priority* type than the limit keeps its earliest
  ones and the rest of those edges are cut.

Every edge is kept in ``identity_edges`` with its source table and system, first time seen, count,
and — for cut edges — the reason, so ``omnimix identity explain`` can show the chain.
"""

from __future__ import annotations

import hashlib

from omnimix.config import IdentitySection
from omnimix.engine.base import Engine
from omnimix.taxonomy import IDENTIFIER_TYPES

ID_TABLES: dict[str, tuple[str, str]] = {
    # table: (row key expression, timestamp column)
    "touchpoints": ("event_id", "ts"),
    "conversions": ("conversion_id", "ts"),
    "contacts": ("source || ':' || record_id", "created_at"),
}
NODE_TYPES: tuple[str, ...] = IDENTIFIER_TYPES  # crm_id nodes also stand for contact records


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def blocked_list(cfg: IdentitySection, salt: str) -> list[str]:
    """Blocked values in raw and hashed form (hashed identifiers must be blocked too)."""
    vals = {v.strip().lower() for v in cfg.blocked_values}
    hashed = {hashlib.sha256((salt + v).encode()).hexdigest() for v in vals if v}
    return sorted(vals | hashed)


def observations_sql(cfg: IdentitySection, salt: str) -> str:
    """One row per (source row, identifier): src_table, row_key, source, ts, id_type, id_value."""
    blocked = ", ".join(_lit(v) for v in blocked_list(cfg, salt))
    parts = []
    for table, (key, ts) in ID_TABLES.items():
        for t in IDENTIFIER_TYPES:
            col = f'"{t}"'
            if table == "contacts" and t == "crm_id":
                continue
            parts.append(
                f"SELECT '{table}' AS src_table, {key} AS row_key, source, CAST({ts} AS TIMESTAMP) AS ts, "
                f"'{t}' AS id_type, trim({col}) AS id_value FROM {table} WHERE {col} IS NOT NULL")
        if table == "contacts":
            parts.append(
                f"SELECT 'contacts' AS src_table, {key} AS row_key, source, CAST({ts} AS TIMESTAMP) AS ts, "
                f"'crm_id' AS id_type, source || ':' || record_id AS id_value FROM contacts")
    union = "\nUNION ALL\n".join(parts)
    return (f"SELECT * FROM ({union}) o WHERE lower(id_value) NOT IN ({blocked}) "
            f"AND NOT regexp_matches(id_value, '^[0\\-. ]+$') AND id_value NOT LIKE 'invalid:%'")


def priority_sql(cfg: IdentitySection) -> str:
    ranks = {t: i for i, t in enumerate(cfg.priority)}
    for t in NODE_TYPES:
        ranks.setdefault(t, len(ranks))
    rows = ", ".join(f"('{t}', {r}, {cfg.max_per_person.get(t, 1_000_000)})" for t, r in ranks.items())
    return f"SELECT * FROM (VALUES {rows}) AS p(id_type, rnk, max_per_person)"


def build_edges(engine: Engine, cfg: IdentitySection, salt: str) -> None:
    """Write ``identity_obs``, ``identity_nodes`` and ``identity_edges`` (with merge protection)."""
    engine.materialize("identity_priority", priority_sql(cfg))
    engine.materialize("identity_obs", observations_sql(cfg, salt))
    # every identifier gets a dense integer node number once; clustering works on integers only
    engine.materialize("identity_nodes", """
        SELECT CAST(row_number() OVER (ORDER BY id_type, id_value) - 1 AS BIGINT) AS node,
               id_type, id_value, first_seen, last_seen, n_obs
        FROM (SELECT id_type, id_value, min(ts) AS first_seen, max(ts) AS last_seen, count(*) AS n_obs
              FROM identity_obs GROUP BY id_type, id_value) n""")
    # anchor of each row: its highest-priority identifier
    engine.materialize("identity_anchor", """
        SELECT src_table, row_key, id_type, id_value FROM (
          SELECT o.src_table, o.row_key, o.id_type, o.id_value,
                 row_number() OVER (PARTITION BY o.src_table, o.row_key ORDER BY p.rnk, o.id_value) AS k
          FROM identity_obs o JOIN identity_priority p ON p.id_type = o.id_type) a
        WHERE k = 1""")
    engine.materialize("identity_raw_edges", """
        SELECT a.id_type AS a_type, a.id_value AS a_value, o.id_type AS b_type, o.id_value AS b_value,
               min(o.src_table || '/' || coalesce(o.source, '?')) AS evidence, min(o.ts) AS first_seen,
               count(*) AS n
        FROM identity_obs o JOIN identity_anchor a ON a.src_table = o.src_table AND a.row_key = o.row_key
        WHERE NOT (a.id_type = o.id_type AND a.id_value = o.id_value)
        GROUP BY a.id_type, a.id_value, o.id_type, o.id_value""")
    # both directions, to count each node's neighbours by type
    engine.materialize("identity_adj", """
        SELECT a_type AS v_type, a_value AS v_value, b_type AS u_type, b_value AS u_value, first_seen
        FROM identity_raw_edges
        UNION ALL
        SELECT b_type, b_value, a_type, a_value, first_seen FROM identity_raw_edges""")
    # shared nodes: more neighbours of a higher-priority type than one person may have
    engine.materialize("identity_shared", """
        SELECT x.v_type, x.v_value,
               min('shared: linked to ' || CAST(x.n AS VARCHAR) || ' ' || x.u_type || ' values (limit '
                   || CAST(x.max_per_person AS VARCHAR) || ')') AS reason
        FROM (
          SELECT j.v_type, j.v_value, j.u_type, count(DISTINCT j.u_value) AS n, pu.max_per_person,
                 pu.rnk AS u_rnk, pv.rnk AS v_rnk
          FROM identity_adj j
          JOIN identity_priority pu ON pu.id_type = j.u_type
          JOIN identity_priority pv ON pv.id_type = j.v_type
          GROUP BY j.v_type, j.v_value, j.u_type, pu.max_per_person, pu.rnk, pv.rnk) x
        WHERE x.n > x.max_per_person AND x.u_rnk <= x.v_rnk
        GROUP BY x.v_type, x.v_value""")
    # over-limit lower-priority neighbours: keep the earliest ones
    engine.materialize("identity_overflow", """
        SELECT v_type, v_value, u_type, u_value FROM (
          SELECT j.v_type, j.v_value, j.u_type, j.u_value, pu.max_per_person,
                 row_number() OVER (PARTITION BY j.v_type, j.v_value, j.u_type
                                    ORDER BY j.first_seen, j.u_value) AS k
          FROM identity_adj j
          JOIN identity_priority pu ON pu.id_type = j.u_type
          JOIN identity_priority pv ON pv.id_type = j.v_type
          WHERE pu.rnk > pv.rnk) y
        WHERE k > max_per_person""")
    engine.materialize("identity_edges", """
        SELECT na.node AS a_node, nb.node AS b_node,
               e.a_type, e.a_value, e.b_type, e.b_value, e.evidence, e.first_seen, e.n,
               coalesce(sa.reason, sb.reason,
                        CASE WHEN o1.v_value IS NOT NULL OR o2.v_value IS NOT NULL
                             THEN 'over the per-person limit for ' || e.b_type END) AS cut_reason
        FROM identity_raw_edges e
        JOIN identity_nodes na ON na.id_type = e.a_type AND na.id_value = e.a_value
        JOIN identity_nodes nb ON nb.id_type = e.b_type AND nb.id_value = e.b_value
        LEFT JOIN identity_shared sa ON sa.v_type = e.a_type AND sa.v_value = e.a_value
        LEFT JOIN identity_shared sb ON sb.v_type = e.b_type AND sb.v_value = e.b_value
        LEFT JOIN identity_overflow o1 ON o1.v_type = e.a_type AND o1.v_value = e.a_value
             AND o1.u_type = e.b_type AND o1.u_value = e.b_value
        LEFT JOIN identity_overflow o2 ON o2.v_type = e.b_type AND o2.v_value = e.b_value
             AND o2.u_type = e.a_type AND o2.u_value = e.a_value""")
    # identity_anchor stays for resolve's row → customer mapping (it drops the table afterwards)
    for t in ("identity_raw_edges", "identity_adj", "identity_overflow"):
        engine.drop(t)
