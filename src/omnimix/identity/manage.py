"""Explain why identifiers joined, export the identity map, and erase a person everywhere."""

from __future__ import annotations

import csv
import hashlib
import json
from collections import deque
from pathlib import Path
from typing import Any

from omnimix.config import IDENTIFIER_TYPES
from omnimix.errors import InputDataError, OmnimixError
from omnimix.workspace import Workspace

PERSON_TABLES = ("touchpoints", "conversions", "contacts")


def stored_value(ws: Workspace, id_type: str, value: str) -> str:
    """The form an identifier has in the warehouse (normalised and hashed per the PII policy)."""
    from omnimix.ingest.pii import email_key, phone_key

    if id_type not in (*IDENTIFIER_TYPES,):
        raise InputDataError("--id-type", f"unknown identifier type {id_type!r}: use one of "
                             f"{', '.join(IDENTIFIER_TYPES)}")
    pii = ws.config.pii
    if id_type == "email":
        v = email_key(value, pii.keep_pii, pii.salt)
    elif id_type == "phone":
        v = phone_key(value, pii.keep_pii, pii.default_region, pii.salt)
    else:
        v = value.strip()
    if not v:
        raise InputDataError("--value", "the value is empty after normalisation")
    return v


def _customer_of(con: Any, id_type: str, value: str) -> str | None:
    row = con.execute("SELECT customer_id FROM identifiers WHERE id_type = ? AND id_value = ?",
                      [id_type, value]).fetchone()
    return None if row is None else str(row[0])


def explain(ws: Workspace, customer_id: str | None = None, id_type: str | None = None,
            value: str | None = None) -> dict[str, Any]:
    """The identifiers of a customer and the chain of edges (with sources) that joined them.

    Give a ``customer_id``, or an identifier (``id_type`` + raw ``value``) to start the chain from.
    """
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
        if customer_id is None:
            raise OmnimixError("give a customer id or --id-type and --value")
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


def forget(ws: Workspace, id_type: str, value: str) -> dict[str, Any]:
    """Erase a person everywhere (PIPL/GDPR): every row carrying any of their identifiers.

    Deletes from touchpoints, conversions, contacts, quarantine (raw rows mentioning them), the
    identity tables, customers, journeys and every other table with a ``customer_id`` column, rebuilds
    ``paths``, and records the erasure (hashed, no PII) in ``erasures``. All in one transaction.

    Returns:
        ``{"customer_id", "identifiers", "deleted": {table: rows}}``.
    """
    sv = stored_value(ws, id_type, value)
    con = ws.connect()
    deleted: dict[str, int] = {}
    try:
        con.execute("BEGIN TRANSACTION")
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_schema = 'main'").fetchall()}
        cid = _customer_of(con, id_type, sv) if "identifiers" in tables else None
        if cid is not None:
            person = con.execute("SELECT id_type, id_value FROM identifiers WHERE customer_id = ?", [cid]).fetchall()
        else:
            person = [(id_type, sv)]
        con.execute("CREATE TEMP TABLE _forget(id_type VARCHAR, id_value VARCHAR)")
        con.executemany("INSERT INTO _forget VALUES (?, ?)", person)
        for t in PERSON_TABLES:
            conds = [f"\"{it}\" IN (SELECT id_value FROM _forget WHERE id_type = '{it}')" for it in IDENTIFIER_TYPES]
            if t == "contacts":
                conds.append("source || ':' || record_id IN (SELECT id_value FROM _forget WHERE id_type = 'crm_id')")
            deleted[t] = _delete(con, t, " OR ".join(conds))
        deleted["quarantine"] = _delete(
            con, "quarantine", "EXISTS (SELECT 1 FROM _forget f WHERE strpos(quarantine.raw, f.id_value) > 0)")
        if "identity_labels" in tables and "identity_nodes" in tables:
            deleted["identity_labels"] = _delete(con, "identity_labels", "node IN (SELECT n.node FROM identity_nodes n "
                                                 "JOIN _forget f ON f.id_type = n.id_type AND f.id_value = n.id_value)")
        for t in ("identity_obs", "identity_nodes", "identifiers"):
            if t in tables:
                deleted[t] = _delete(con, t, "(id_type, id_value) IN (SELECT id_type, id_value FROM _forget)")
        if "identity_edges" in tables:
            deleted["identity_edges"] = _delete(
                con, "identity_edges", "(a_type, a_value) IN (SELECT id_type, id_value FROM _forget) "
                "OR (b_type, b_value) IN (SELECT id_type, id_value FROM _forget)")
        if cid is not None:
            for t in sorted(tables):
                cols = {r[0] for r in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [t]).fetchall()}
                if "customer_id" in cols and t not in deleted:
                    deleted[t] = _delete(con, t, f"customer_id = '{cid}'")
            if "identity_merges" in tables:
                deleted["identity_merges"] = _delete(con, "identity_merges",
                                                     f"merged_id = '{cid}' OR into_id = '{cid}'")
        if "journeys" in tables and "paths" in tables:
            from omnimix.journeys.build import PATHS_SQL

            con.execute(f"CREATE OR REPLACE TABLE paths AS {PATHS_SQL}")
        # the audit trail proves the erasure without keeping anything that points back to the person
        con.execute("CREATE TABLE IF NOT EXISTS erasures (erased_at TIMESTAMP, id_type VARCHAR, "
                    "request_sha256 VARCHAR, deleted VARCHAR)")
        con.execute("INSERT INTO erasures VALUES (CAST(now() AS TIMESTAMP), ?, ?, ?)",
                    [id_type, hashlib.sha256(("erasure:" + sv).encode()).hexdigest(), json.dumps(deleted)])
        con.execute("DROP TABLE _forget")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.close()
    return {"customer_id": cid, "identifiers": len(person), "deleted": deleted}


def _delete(con: Any, table: str, where: str) -> int:
    return int(con.execute(f'DELETE FROM "{table}" WHERE {where}').fetchone()[0])
