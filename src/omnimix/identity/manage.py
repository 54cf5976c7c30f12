"""Explain why identifiers joined, export the identity map, and erase a person's rows.

:func:`erase_person` deletes everything the canonical and identity tables (and every table with a
``customer_id`` column) hold of one person on an open transaction; the workspace-level ``forget``
(:func:`omnimix.journeys.erase.forget`, behind ``omnimix identity forget``) calls it, rebuilds the
``paths`` that journeys derive and records the erasure, all in that one transaction.
"""

from __future__ import annotations

import csv
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omnimix.errors import OmnimixError, UsageError
from omnimix.schema import ALL_TABLES
from omnimix.taxonomy import IDENTIFIER_TYPES
from omnimix.workspace import TableWriter, Workspace, quote_ident

PERSON_TABLES = ("touchpoints", "conversions", "contacts")


def stored_value(ws: Workspace, id_type: str, value: str) -> str:
    """The form an identifier has in the warehouse (normalised and hashed per the PII policy).

    Raises:
        UsageError: unknown identifier type, or a value that is empty once normalised.
    """
    from omnimix.ingest.pii import email_key, phone_key

    if id_type not in (*IDENTIFIER_TYPES,):
        raise UsageError(f"--id-type: unknown identifier type {id_type!r}: use one of "
                         f"{', '.join(IDENTIFIER_TYPES)}")
    pii = ws.config.pii
    if id_type == "email":
        v = email_key(value, pii.keep_pii, pii.salt)
    elif id_type == "phone":
        v = phone_key(value, pii.keep_pii, pii.default_region, pii.salt)
    else:
        v = value.strip()
    if not v:
        raise UsageError(f"--value: {value!r} is empty after normalisation")
    return v


def _customer_of(con: Any, id_type: str, value: str) -> str | None:
    row = con.execute("SELECT customer_id FROM identifiers WHERE id_type = ? AND id_value = ?",
                      [id_type, value]).fetchone()
    return None if row is None else str(row[0])


def explain(ws: Workspace, customer_id: str | None = None, id_type: str | None = None,
            value: str | None = None) -> dict[str, Any]:
    """The identifiers of a customer and the chain of edges (with sources) that joined them.

    Give a ``customer_id``, or an identifier (``id_type`` + raw ``value``) to start the chain from.

    Returns:
        ``{"customer_id", "start", "identifiers": [...], "chain": [...], "cut_edges": [...]}``.

    Raises:
        UsageError: neither a customer id nor both ``id_type`` and ``value``.
        OmnimixError: the identifier or customer is not in the identity graph.
    """
    if customer_id is None and (id_type is None or value is None):
        raise UsageError("give a customer id, or --id-type and --value")
    con = ws.connect(read_only=True)
    try:
        start: tuple[str, str] | None = None
        if id_type is not None and value is not None:
            sv = stored_value(ws, id_type, value)
            start = (id_type, sv)
            customer_id = _customer_of(con, id_type, sv)
            if customer_id is None:
                raise OmnimixError(f"identifier {id_type}={value!r} is not in the identity graph "
                                   "(never seen, erased, or `omnimix resolve` not run since it arrived)")
        ids = con.execute("SELECT id_type, id_value, first_seen, last_seen FROM identifiers WHERE customer_id = ? "
                          "ORDER BY id_type, id_value", [customer_id]).fetchall()
        if not ids:
            merged = con.execute("SELECT into_id FROM identity_merges WHERE merged_id = ?", [customer_id]).fetchone()
            hint = f" It was merged into {merged[0]}." if merged else ""
            raise OmnimixError(f"customer {customer_id} not found.{hint}")
        keys = {(t, v) for t, v, _, _ in ids}
        edges = con.execute("""
            SELECT e.a_type, e.a_value, e.b_type, e.b_value, e.evidence, e.first_seen, e.n, e.cut_reason
            FROM identity_edges e JOIN identifiers i ON i.id_type = e.a_type AND i.id_value = e.a_value
            WHERE i.customer_id = ?
            UNION ALL
            SELECT e.a_type, e.a_value, e.b_type, e.b_value, e.evidence, e.first_seen, e.n, e.cut_reason
            FROM identity_edges e JOIN identifiers i ON i.id_type = e.b_type AND i.id_value = e.b_value
            WHERE i.customer_id = ? AND NOT EXISTS (
              SELECT 1 FROM identifiers j WHERE j.customer_id = ? AND j.id_type = e.a_type
              AND j.id_value = e.a_value)""", [customer_id, customer_id, customer_id]).fetchall()
    finally:
        con.close()
    adj: dict[tuple[str, str], list[tuple[tuple[str, str], tuple[Any, ...]]]] = {}
    cut = []
    for e in edges:
        a, b = (e[0], e[1]), (e[2], e[3])
        if e[7] is not None:
            cut.append({"from": f"{a[0]}:{a[1]}", "to": f"{b[0]}:{b[1]}", "evidence": e[4], "reason": e[7]})
            continue
        adj.setdefault(a, []).append((b, e))
        adj.setdefault(b, []).append((a, e))
    root = start if start in keys else min(keys)
    chain, seen, queue = [], {root}, deque([root])
    while queue:
        node = queue.popleft()
        for nxt, e in sorted(adj.get(node, []), key=lambda x: (str(x[1][5]), x[0])):
            if nxt in seen:
                continue
            seen.add(nxt)
            queue.append(nxt)
            chain.append({"from": f"{node[0]}:{node[1]}", "to": f"{nxt[0]}:{nxt[1]}", "evidence": e[4],
                          "first_seen": str(e[5]), "times_seen": int(e[6])})
    return {"customer_id": customer_id, "start": f"{root[0]}:{root[1]}",
            "identifiers": [{"id_type": t, "id_value": v, "first_seen": str(f), "last_seen": str(la)}
                            for t, v, f, la in ids],
            "chain": chain, "cut_edges": cut}


def export_identities(ws: Workspace, out: str | Path) -> int:
    """Write ``id_type, id_value, customer_id`` (values as stored: raw if PII is kept, else hashed)."""
    con = ws.connect(read_only=True)
    try:
        rows = con.execute("SELECT id_type, id_value, customer_id FROM identifiers "
                           "ORDER BY customer_id, id_type, id_value").fetchall()
    finally:
        con.close()
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id_type", "id_value", "customer_id"])
        w.writerows(rows)
    return len(rows)


@dataclass(frozen=True)
class Erasure:
    """What :func:`erase_person` deleted.

    Attributes:
        customer_id: the person's customer id (None when the identifier was never resolved).
        identifiers: how many identifiers the person had (1 when unresolved: the one given).
        deleted: rows deleted per table, in the order the tables were visited.
    """

    customer_id: str | None
    identifiers: int
    deleted: dict[str, int]


def _present(w: TableWriter) -> set[str]:
    return {r[0] for r in w.execute("SELECT table_name FROM information_schema.tables "
                                    "WHERE table_schema = 'main'").fetchall()}


def tables_with_customer_id(w: TableWriter) -> list[str]:
    """Present tables holding a ``customer_id`` column, sorted.

    Tables defined in :mod:`omnimix.schema` are recognised from their definition (identity, journeys,
    results such as ``clv_customers``); a table the schema does not know is checked in the catalog, so
    nothing a user or engine created with a ``customer_id`` escapes an erasure.
    """
    out = []
    for t in sorted(_present(w)):
        spec = ALL_TABLES.get(t)
        if spec is not None:
            if "customer_id" in spec.column_names:
                out.append(t)
        elif w.execute("SELECT count(*) FROM information_schema.columns WHERE table_name = ? "
                       "AND column_name = 'customer_id'", [t]).fetchone()[0]:
            out.append(t)
    return out


def erase_person(w: TableWriter, id_type: str, stored: str) -> Erasure:
    """Delete every row carrying any identifier of the person holding ``id_type = stored``.

    Runs on an open transaction (``with ws.writer() as w``): touchpoints, conversions and contacts
    rows naming any of the person's identifiers, quarantined raw rows mentioning one, the identity
    graph tables, every table with a ``customer_id`` column (:func:`tables_with_customer_id`) and
    ``identity_merges``. Derived aggregates (``paths``) are the caller's to rebuild.

    Args:
        w: the transaction.
        id_type: identifier type.
        stored: the value in its stored form (:func:`stored_value`).
    """
    import pyarrow as pa

    tables = _present(w)
    deleted: dict[str, int] = {}
    cid = None
    if "identifiers" in tables:
        row = w.execute("SELECT customer_id FROM identifiers WHERE id_type = ? AND id_value = ?",
                        [id_type, stored]).fetchone()
        cid = None if row is None else str(row[0])
    if cid is not None:
        person = [(str(t), str(v)) for t, v in w.execute(
            "SELECT id_type, id_value FROM identifiers WHERE customer_id = ?", [cid]).fetchall()]
    else:
        person = [(id_type, stored)]
    w.con.register("_forget", pa.table({"id_type": pa.array([p[0] for p in person], pa.string()),
                                        "id_value": pa.array([p[1] for p in person], pa.string())}))
    try:
        for t in PERSON_TABLES:
            conds = [f"{quote_ident(it)} IN (SELECT id_value FROM _forget WHERE id_type = '{it}')"
                     for it in IDENTIFIER_TYPES]
            if t == "contacts":
                conds.append("source || ':' || record_id IN (SELECT id_value FROM _forget WHERE id_type = 'crm_id')")
            deleted[t] = _delete(w, t, " OR ".join(conds))
        deleted["quarantine"] = _delete(
            w, "quarantine", "EXISTS (SELECT 1 FROM _forget f WHERE strpos(quarantine.raw, f.id_value) > 0)")
        if "identity_labels" in tables and "identity_nodes" in tables:
            deleted["identity_labels"] = _delete(w, "identity_labels", "node IN (SELECT n.node FROM identity_nodes n "
                                                 "JOIN _forget f ON f.id_type = n.id_type AND f.id_value = n.id_value)")
        for t in ("identity_obs", "identity_nodes", "identifiers"):
            if t in tables:
                deleted[t] = _delete(w, t, "(id_type, id_value) IN (SELECT id_type, id_value FROM _forget)")
        if "identity_edges" in tables:
            deleted["identity_edges"] = _delete(
                w, "identity_edges", "(a_type, a_value) IN (SELECT id_type, id_value FROM _forget) "
                "OR (b_type, b_value) IN (SELECT id_type, id_value FROM _forget)")
        if cid is not None:
            for t in tables_with_customer_id(w):
                if t not in deleted:
                    deleted[t] = _delete(w, t, "customer_id = ?", [cid])
            if "identity_merges" in tables:
                deleted["identity_merges"] = _delete(w, "identity_merges", "merged_id = ? OR into_id = ?", [cid, cid])
    finally:
        w.con.unregister("_forget")
    return Erasure(cid, len(person), deleted)


def _delete(w: TableWriter, table: str, where: str, params: list[Any] | None = None) -> int:
    return int(w.execute(f"DELETE FROM {quote_ident(table)} WHERE {where}", params or []).fetchone()[0])
