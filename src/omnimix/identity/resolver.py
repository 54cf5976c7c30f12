"""``omnimix resolve``: identity graph → clusters → stable customer ids → profiles.

Stable ids: every cluster takes the ids its identifiers already had. An old id goes to the cluster
holding most of its identifiers; a cluster holding several old ids keeps the oldest (ids are
``C`` + 9 digits issued in order, so the smallest is the oldest) and the others are recorded in
``identity_merges``; a cluster with no old id gets the next new id. Re-running after new data keeps
every id that was not merged.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from omnimix.engine.base import Engine, engine_scope
from omnimix.identity.cluster import cluster
from omnimix.identity.graph import build_edges
from omnimix.schema import CUSTOMERS
from omnimix.workspace import Workspace

log = logging.getLogger("omnimix")


@dataclass(frozen=True)
class ResolveResult:
    """Counts of one resolve run (``to_json()`` is the ``identity`` part of ``omnimix resolve --json``)."""

    identifiers: int = 0
    edges: int = 0
    edges_cut: int = 0
    cut_reasons: dict[str, int] = field(default_factory=dict)
    probabilistic_edges: int = 0
    customers: int = 0
    new_customers: int = 0
    kept_customers: int = 0
    merged_customers: int = 0
    over_limit_customers: int = 0
    method: str = ""
    engine: str = ""
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def resolve(ws: Workspace, probabilistic: bool = True, fast: bool = True,
            engine: Engine | None = None) -> ResolveResult:
    """Resolve identities in a workspace and rebuild the customer profiles.

    Args:
        ws: the workspace.
        probabilistic: add Splink matches between contact records.
        fast: allow the in-memory scipy path for clustering (else iterative SQL).
        engine: an engine to use (default: the workspace's).
    """
    with engine_scope(ws, engine) as eng:
        return _resolve(ws, eng, probabilistic, fast)


def _resolve(ws: Workspace, eng: Engine, probabilistic: bool, fast: bool) -> ResolveResult:
    t0 = time.perf_counter()
    cfg = ws.config.identity
    build_edges(eng, cfg, ws.config.pii.salt)
    probabilistic_edges = 0
    if probabilistic:
        from omnimix.identity.linking import splink_edges

        probabilistic_edges = splink_edges(eng, cfg.match_threshold)
    method = cluster(eng, fast=fast)
    kept, new, merged = _assign_ids(eng)
    _row_customers(eng)
    build_profiles(eng)
    cut_reasons: dict[str, int] = {}
    for reason, n in eng.fetchall("""
            SELECT CASE WHEN cut_reason LIKE 'shared:%' THEN 'shared identifier'
                        ELSE cut_reason END AS r, count(*) FROM identity_edges
            WHERE cut_reason IS NOT NULL GROUP BY r ORDER BY r"""):
        cut_reasons[str(reason)] = int(n)
    return ResolveResult(
        identifiers=int(eng.fetchall("SELECT count(*) FROM identifiers")[0][0]),
        edges=int(eng.fetchall("SELECT count(*) FROM identity_edges")[0][0]),
        edges_cut=sum(cut_reasons.values()), cut_reasons=cut_reasons, probabilistic_edges=probabilistic_edges,
        customers=int(eng.fetchall("SELECT count(*) FROM customers")[0][0]),
        new_customers=new, kept_customers=kept, merged_customers=merged,
        over_limit_customers=_over_limit(eng, ws), method=method, engine=eng.name,
        seconds=round(time.perf_counter() - t0, 2))


def _assign_ids(eng: Engine) -> tuple[int, int, int]:
    """Give every cluster its stable id; returns (kept, new, merged) customer counts."""
    eng.materialize("_id_owner", """
        SELECT customer_id, label FROM (
          SELECT c.customer_id, c.label,
                 row_number() OVER (PARTITION BY c.customer_id ORDER BY c.n DESC, c.label) AS k
          FROM (SELECT i.customer_id, l.label, count(*) AS n
                FROM identity_labels l JOIN identity_nodes n ON n.node = l.node
                JOIN identifiers i ON i.id_type = n.id_type AND i.id_value = n.id_value
                WHERE i.customer_id IS NOT NULL
                GROUP BY i.customer_id, l.label) c) o
        WHERE k = 1""")
    eng.materialize("_id_keep", "SELECT label, min(customer_id) AS customer_id FROM _id_owner GROUP BY label")
    next_id = eng.fetchall("""SELECT coalesce(max(CAST(substr(customer_id, 2) AS BIGINT)), 0) FROM (
                                SELECT customer_id FROM _id_owner UNION ALL
                                SELECT merged_id FROM identity_merges) x""")[0][0]
    eng.materialize("_id_new", f"""
        SELECT label, 'C' || lpad(CAST({int(next_id)} + row_number() OVER (ORDER BY label) AS VARCHAR), 9, '0')
               AS customer_id
        FROM (SELECT DISTINCT label FROM identity_labels) l
        WHERE label NOT IN (SELECT label FROM _id_keep)""")
    merged = eng.fetchall("""SELECT count(*) FROM _id_owner o JOIN _id_keep k ON k.label = o.label
                             WHERE o.customer_id <> k.customer_id""")[0][0]
    eng.execute("""INSERT INTO identity_merges
                   SELECT o.customer_id, k.customer_id, CAST(now() AS TIMESTAMP)
                   FROM _id_owner o JOIN _id_keep k ON k.label = o.label WHERE o.customer_id <> k.customer_id""")
    eng.materialize("_id_cid", "SELECT label, customer_id FROM _id_keep UNION ALL "
                               "SELECT label, customer_id FROM _id_new")
    eng.materialize("identifiers", """
        SELECT n.id_type, n.id_value, c.customer_id, n.first_seen, n.last_seen
        FROM identity_nodes n
        JOIN identity_labels l ON l.node = n.node
        JOIN _id_cid c ON c.label = l.label""")
    kept = int(eng.fetchall("SELECT count(*) FROM _id_keep")[0][0])
    new = int(eng.fetchall("SELECT count(*) FROM _id_new")[0][0])
    for t in ("_id_owner", "_id_keep", "_id_new", "_id_cid"):
        eng.drop(t)
    return kept, new, int(merged)


def _row_customers(eng: Engine) -> None:
    """``row_customers(src_table, row_key, customer_id)``: each source row's person (via its anchor)."""
    eng.materialize("row_customers", """
        SELECT a.src_table, a.row_key, i.customer_id
        FROM identity_anchor a JOIN identifiers i ON i.id_type = a.id_type AND i.id_value = a.id_value""")
    eng.drop("identity_anchor")  # it names identifiers: keep no copy that erasure would have to chase


def build_profiles(eng: Engine) -> None:
    """Rebuild ``customers`` (the 360 profile) from identifiers, touchpoints, conversions, contacts."""
    cols = ", ".join(f'"{c.name}"' for c in CUSTOMERS.columns)
    eng.materialize("customers", """
        WITH t AS (
          SELECT r.customer_id, tp.ts, tp.channel FROM touchpoints tp
          JOIN row_customers r ON r.src_table = 'touchpoints' AND r.row_key = tp.event_id),
        c AS (
          SELECT r.customer_id, cv.ts, cv.value FROM conversions cv
          JOIN row_customers r ON r.src_table = 'conversions' AND r.row_key = cv.conversion_id),
        k AS (
          SELECT r.customer_id, bool_or(ct.consent_email) AS consent_email, bool_or(ct.consent_sms) AS consent_sms
          FROM contacts ct
          JOIN row_customers r ON r.src_table = 'contacts' AND r.row_key = ct.source || ':' || ct.record_id
          GROUP BY r.customer_id),
        tt AS (
          SELECT customer_id, min(ts) AS first_touch, max(ts) AS last_touch,
                 list_sort(list_distinct(list(channel))) AS channels,
                 -- ties on ts broken by channel (struct order) so DuckDB and Spark pick the same one
                 arg_min(channel, struct_pack(ts := ts, ch := channel)) AS acquisition_channel
          FROM t GROUP BY customer_id),
        cc AS (
          SELECT customer_id, count(*) AS orders, sum(value) AS revenue, min(ts) AS first_order_at,
                 max(ts) AS last_order_at
          FROM c GROUP BY customer_id),
        ids AS (
          SELECT customer_id, min(first_seen) AS first_seen, max(last_seen) AS last_seen, count(*) AS n_identifiers
          FROM identifiers GROUP BY customer_id),
        horizon AS (SELECT max(ts) AS now_ts FROM (SELECT ts FROM touchpoints UNION ALL SELECT ts FROM conversions) h)
        SELECT ids.customer_id,
               least(ids.first_seen, coalesce(tt.first_touch, ids.first_seen),
                     coalesce(cc.first_order_at, ids.first_seen)) AS first_seen,
               greatest(ids.last_seen, coalesce(tt.last_touch, ids.last_seen),
                        coalesce(cc.last_order_at, ids.last_seen)) AS last_seen,
               coalesce(tt.channels, CAST([] AS VARCHAR[])) AS channels,
               coalesce(cc.orders, 0) AS orders, coalesce(cc.revenue, 0) AS revenue,
               CAST(NULL AS VARCHAR) AS segment,
               cc.first_order_at, cc.last_order_at,
               CASE WHEN cc.last_order_at IS NOT NULL
                    THEN date_diff('second', cc.last_order_at, horizon.now_ts) / 86400.0 END AS recency_days,
               CASE WHEN cc.orders > 0 THEN cc.revenue / cc.orders END AS monetary,
               tt.acquisition_channel, ids.n_identifiers,
               coalesce(k.consent_email, false) AS consent_email, coalesce(k.consent_sms, false) AS consent_sms
        FROM ids CROSS JOIN horizon
        LEFT JOIN tt ON tt.customer_id = ids.customer_id
        LEFT JOIN cc ON cc.customer_id = ids.customer_id
        LEFT JOIN k ON k.customer_id = ids.customer_id""")
    eng.materialize("customers", f"SELECT {cols} FROM customers")


def _over_limit(eng: Engine, ws: Workspace) -> int:
    limits = ws.config.identity.max_per_person
    if not limits:
        return 0
    cond = " OR ".join(f"(id_type = '{t}' AND n > {n})" for t, n in limits.items())
    return int(eng.fetchall(f"""
        SELECT count(DISTINCT customer_id) FROM (
          SELECT customer_id, id_type, count(*) AS n FROM identifiers GROUP BY customer_id, id_type) x
        WHERE {cond}""")[0][0])
