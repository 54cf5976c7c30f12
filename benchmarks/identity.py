"""Identity clustering benchmark: 10M identifier edges, DuckDB iterative SQL and the scipy fast path
vs bare scipy.sparse.csgraph.connected_components on the same edges, in one run.

Usage: python benchmarks/identity.py [--edges N] [--repeats R]

The graph looks like an identity graph: people with 2–9 identifiers each (cookies, ids, emails …)
linked in a star to their user id, plus a few cross links. Each measurement runs in a fresh process so
peak memory (max RSS) is its own. Targets (2 cores): DuckDB path <= 20 s; fast path <= 2x scipy.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_graph(db: Path, edges: int, seed: int = 0) -> tuple[int, int]:
    """Write identity_nodes / identity_edges into a DuckDB file; returns (nodes, edges)."""
    import duckdb
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, 10, size=edges // 4)  # identifiers per person
    sizes = sizes[: np.searchsorted(np.cumsum(sizes - 1), edges) + 1]
    n_nodes = int(sizes.sum())
    owner = np.repeat(np.arange(len(sizes)), sizes)
    start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    node = np.arange(n_nodes)
    hub = start[owner]
    mask = node != hub
    src, dst = hub[mask], node[mask]
    src, dst = src[:edges], dst[:edges]
    types = np.array(["user_id", "anonymous_id", "email", "phone", "device_id"])
    ntype = types[np.minimum(node - hub, 4)]
    con = duckdb.connect(str(db))
    con.register("n", pa.table({"node": node, "id_type": ntype, "id_value": node.astype(str)}))
    con.execute("CREATE TABLE identity_nodes AS SELECT node, id_type, id_value FROM n")
    con.register("e", pa.table({"a": src, "b": dst}))
    con.execute("""CREATE TABLE identity_edges AS
        SELECT e.a AS a_node, e.b AS b_node, na.id_type AS a_type, na.id_value AS a_value,
               nb.id_type AS b_type, nb.id_value AS b_value, CAST(NULL AS VARCHAR) AS cut_reason
        FROM e JOIN n na ON na.node = e.a JOIN n nb ON nb.node = e.b""")
    db.with_suffix(".nodes").write_text(str(n_nodes))
    np.save(db.with_suffix(".src.npy"), src)
    np.save(db.with_suffix(".dst.npy"), dst)
    con.close()
    return n_nodes, len(src)


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss would inherit the parent's across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(mode: str, db: Path) -> dict[str, float]:
    import duckdb
    import numpy as np

    t0 = time.perf_counter()
    if mode == "scipy":
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        src, dst = np.load(db.with_suffix(".src.npy")), np.load(db.with_suffix(".dst.npy"))
        n = int(db.with_suffix(".nodes").read_text())
        t0 = time.perf_counter()  # bare scipy: edges already in memory as integer arrays
        g = coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n, n)).tocsr()
        n_comp, _ = connected_components(g, directed=True, connection="weak")
    else:
        import pyarrow  # noqa: F401  -- imports are outside the timing, as for bare scipy
        import scipy.sparse.csgraph  # noqa: F401

        from omnimix.engine.base import DuckDBEngine
        from omnimix.identity.cluster import cluster

        con = duckdb.connect(str(db))
        eng = DuckDBEngine(con)
        con.execute("SELECT count(*) FROM identity_nodes").fetchall()  # open the catalog
        t0 = time.perf_counter()
        method = cluster(eng, fast=(mode == "fast"))
        wall = time.perf_counter() - t0  # labels are in the warehouse; counting them is not part of it
        assert method == ("scipy" if mode == "fast" else "sql")
        n_comp = con.execute("SELECT count(DISTINCT label) FROM identity_labels").fetchone()[0]
        con.close()
        return {"seconds": wall, "peak_mb": _peak_mb(), "components": float(n_comp)}
    wall = time.perf_counter() - t0
    rss = _peak_mb()
    return {"seconds": wall, "peak_mb": rss, "components": float(n_comp)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--edges", type=int, default=10_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child[0], Path(args.child[1]))))
        return
    tmp = Path(tempfile.mkdtemp(prefix="omnimix-bench-identity-"))
    try:
        db = tmp / "graph.duckdb"
        t0 = time.perf_counter()
        n_nodes, n_edges = make_graph(db, args.edges)
        print(f"graph: {n_nodes:,} identifiers, {n_edges:,} edges (built in {time.perf_counter() - t0:.1f} s)")
        results: dict[str, list[dict[str, float]]] = {"scipy": [], "fast": [], "sql": []}
        for _ in range(args.repeats):
            for mode in results:
                out = subprocess.run([sys.executable, __file__, "--child", mode, str(db)], capture_output=True,
                                     text=True, check=True)
                results[mode].append(json.loads(out.stdout.strip().splitlines()[-1]))
        comps = {m: {r["components"] for r in rs} for m, rs in results.items()}
        assert len(set().union(*comps.values())) == 1, comps
        med = {m: statistics.median(r["seconds"] for r in rs) for m, rs in results.items()}
        peak = {m: max(r["peak_mb"] for r in rs) for m, rs in results.items()}
        print(f"components: {int(next(iter(comps['scipy']))):,} (identical in all three)")
        names = {"scipy": "bare scipy connected_components", "fast": "omnimix fast path (DuckDB↔scipy)",
                 "sql": "omnimix DuckDB iterative SQL"}
        for m in results:
            print(f"{names[m]:<36} median {med[m]:6.2f} s   peak RSS {peak[m]:7.0f} MB")
        print(f"ratio fast path / scipy : {med['fast'] / med['scipy']:.2f}  (target <= 2.0)")
        print(f"ratio DuckDB SQL / scipy: {med['sql'] / med['scipy']:.2f}  (DuckDB path target <= 20 s)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
