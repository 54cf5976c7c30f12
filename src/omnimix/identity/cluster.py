"""Connected components of the identity graph, engine-neutral, with an in-memory fast path.

Nodes are numbered densely in SQL. The SQL path propagates the minimum label along edges with
pointer jumping (``label(v) ← min(label(v), label(u) for u ~ v)``, then ``label(v) ← label(label(v))``),
materialising every iteration, until nothing changes — it runs on DuckDB and, transpiled, on Spark.
The fast path pulls the integer edge list and calls ``scipy.sparse.csgraph.connected_components``
when the edges fit in memory.
"""

from __future__ import annotations

import logging

import numpy as np

from omnimix.engine.base import Engine
from omnimix.errors import ConvergenceError

log = logging.getLogger("omnimix")

FAST_PATH_MAX_EDGES = 200_000_000


def components_numpy(n_nodes: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Component label (the smallest node index in the component) for every node.

    Args:
        n_nodes: number of nodes, labelled 0..n_nodes-1.
        src, dst: edge endpoints, shape (E,).

    Returns:
        labels, shape (n_nodes,): the minimum node index of each node's component.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    g = coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n_nodes, n_nodes)).tocsr()
    _, comp = connected_components(g, directed=True, connection="weak")
    # relabel each component by its smallest member so labels do not depend on the algorithm
    first = np.full(comp.max() + 1 if n_nodes else 0, n_nodes, dtype=np.int64)
    np.minimum.at(first, comp, np.arange(n_nodes))
    return first[comp]


def components_sql(engine: Engine, nodes: str, edges: str, out: str, max_iter: int = 200) -> int:
    """Connected components in SQL: ``out(node, label)`` from ``nodes(node)`` and ``edges(src, dst)``.

    Returns:
        the number of iterations run.

    Raises:
        ConvergenceError: labels still changed after ``max_iter`` iterations.
    """
    engine.materialize("_cc_e", f"SELECT src, dst FROM {edges} UNION ALL SELECT dst, src FROM {edges}")
    engine.materialize("_cc_l", f"SELECT node, node AS label FROM {nodes}")
    for it in range(1, max_iter + 1):
        engine.materialize("_cc_n", """
            SELECT l.node, least(l.label, coalesce(m.label, l.label)) AS label
            FROM _cc_l l LEFT JOIN (
              SELECT e.src AS node, min(l2.label) AS label FROM _cc_e e JOIN _cc_l l2 ON l2.node = e.dst
              GROUP BY e.src) m ON m.node = l.node""")
        # pointer jumping: follow the label's own label
        engine.materialize("_cc_j", """
            SELECT n.node, least(n.label, p.label) AS label
            FROM _cc_n n JOIN _cc_n p ON p.node = n.label""")
        changed = engine.fetchall("SELECT count(*) FROM _cc_j j JOIN _cc_l l ON l.node = j.node "
                                  "WHERE j.label <> l.label")[0][0]
        engine.materialize("_cc_l", "SELECT node, label FROM _cc_j")
        log.debug("connected components iteration %d: %d labels changed", it, changed)
        if changed == 0:
            engine.materialize(out, "SELECT node, label FROM _cc_l")
            for t in ("_cc_e", "_cc_l", "_cc_n", "_cc_j"):
                engine.drop(t)
            return it
    raise ConvergenceError(f"connected components did not converge in {max_iter} iterations; "
                           "the identity graph is unusually deep — check merge protection settings")


def cluster(engine: Engine, fast: bool = True) -> str:
    """Label every node of ``identity_nodes`` with its component over the kept ``identity_edges``.

    Writes ``identity_labels(id_type, id_value, label)`` where ``label`` is an integer; returns the
    method used ("scipy" or "sql").
    """
    engine.materialize("_id_num", """
        SELECT id_type, id_value, CAST(row_number() OVER (ORDER BY id_type, id_value) - 1 AS BIGINT) AS node
        FROM identity_nodes""")
    engine.materialize("_id_edges", """
        SELECT a.node AS src, b.node AS dst FROM identity_edges e
        JOIN _id_num a ON a.id_type = e.a_type AND a.id_value = e.a_value
        JOIN _id_num b ON b.id_type = e.b_type AND b.id_value = e.b_value
        WHERE e.cut_reason IS NULL""")
    n_edges = engine.fetchall("SELECT count(*) FROM _id_edges")[0][0]
    method = "sql"
    if fast and n_edges <= FAST_PATH_MAX_EDGES:
        import pyarrow as pa

        n_nodes = engine.fetchall("SELECT count(*) FROM _id_num")[0][0]
        e = engine.arrow("SELECT src, dst FROM _id_edges")
        labels = components_numpy(int(n_nodes), e.column("src").to_numpy(), e.column("dst").to_numpy())
        engine.register_arrow("_id_lab", pa.table({"node": np.arange(n_nodes, dtype=np.int64),
                                                   "label": labels.astype(np.int64)}))
        method = "scipy"
    else:
        components_sql(engine, "_id_num", "_id_edges", "_id_lab")
    engine.materialize("identity_labels", """
        SELECT n.id_type, n.id_value, l.label FROM _id_num n JOIN _id_lab l ON l.node = n.node""")
    for t in ("_id_num", "_id_edges", "_id_lab"):
        engine.drop(t)
    return method
