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
    # O(n): writing nodes in reverse order leaves each component's smallest node as the last write
    first[comp[::-1]] = np.arange(n_nodes - 1, -1, -1, dtype=np.int64)
    return np.asarray(first[comp])


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

    Works on the integer ``node`` numbers of the graph tables. Writes ``identity_labels(node, label)``
    where ``label`` is the smallest node number of the component; returns the method used ("scipy" or
    "sql").
    """
    n_edges = engine.fetchall("SELECT count(*) FROM identity_edges WHERE cut_reason IS NULL")[0][0]
    if fast and n_edges <= FAST_PATH_MAX_EDGES:
        import pyarrow as pa

        n_nodes = engine.fetchall("SELECT count(*) FROM identity_nodes")[0][0]
        e = engine.arrow("SELECT a_node, b_node FROM identity_edges WHERE cut_reason IS NULL")
        labels = components_numpy(int(n_nodes), e.column("a_node").to_numpy(), e.column("b_node").to_numpy())
        engine.register_arrow("identity_labels", pa.table({"node": np.arange(n_nodes, dtype=np.int64),
                                                           "label": labels.astype(np.int64)}))
        return "scipy"
    engine.materialize("_id_edges", "SELECT a_node AS src, b_node AS dst FROM identity_edges "
                                    "WHERE cut_reason IS NULL")
    components_sql(engine, "identity_nodes", "_id_edges", "identity_labels")
    engine.drop("_id_edges")
    return "sql"
