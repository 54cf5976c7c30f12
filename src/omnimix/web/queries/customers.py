"""Customers: search by id or identifier value with predicted CLV, and one customer's profile."""

from __future__ import annotations

from typing import Any

from omnimix.config import PIISection
from omnimix.web.pii import mask_identifier
from omnimix.web.warehouse import Warehouse


def search_values(q: str, pii: PIISection | None) -> list[str]:
    """The forms a search text may have in the warehouse: as typed, and — when it looks like an e-mail
    address or a phone number — normalised and hashed exactly as ingestion stores it (so searching a
    hashed workspace by ``Ann@Example.com`` or ``138 0013 8000`` finds the person)."""
    from omnimix.ingest.pii import email_key, phone_key

    pii = pii or PIISection()
    out = [q.strip()]
    if "@" in q:
        out.append(email_key(q, pii.keep_pii, pii.salt) or "")
    if sum(ch.isdigit() for ch in q) >= 5 and "@" not in q:
        key = phone_key(q, pii.keep_pii, pii.default_region, pii.salt) or ""
        if not key.startswith("invalid:"):
            out.append(key)
    return [v for v in dict.fromkeys(out) if v]


def customers(
    wh: Warehouse, q: str | None, segment: str | None, offset: int, limit: int, pii: PIISection | None = None
) -> tuple[int, list[dict[str, Any]]]:
    """Customers (from ``customers``) with predicted CLV when present; search by customer id or any
    identifier value (e-mail and phone queries are normalised and hashed per the workspace's policy)."""
    if wh.count("customers") == 0:
        return 0, []
    with_clv = wh.result_state("clv") is None
    join = "LEFT JOIN clv_customers k ON k.customer_id = c.customer_id" if with_clv else ""
    sel = (
        ", k.clv, k.p_alive, coalesce(k.segment, c.segment) AS segment"
        if with_clv
        else ", NULL::DOUBLE AS clv, NULL::DOUBLE AS p_alive, c.segment"
    )
    conds, params = [], []
    if q:
        values = search_values(q, pii)
        marks = ", ".join("?" * len(values))
        conds.append(
            f"(c.customer_id = ? OR c.customer_id IN (SELECT customer_id FROM identifiers WHERE id_value IN ({marks})))"
            if wh.has("identifiers")
            else "c.customer_id = ?"
        )
        params += [q.strip(), *values] if wh.has("identifiers") else [q.strip()]
    if segment:
        conds.append(("coalesce(k.segment, c.segment)" if with_clv else "c.segment") + " = ?")
        params.append(segment)
    where = ("WHERE " + " AND ".join(conds)) if conds else ""
    total = int(wh.scalar(f"SELECT count(*) FROM customers c {join} {where}", params) or 0)
    order = "k.clv DESC NULLS LAST, c.customer_id" if with_clv else "c.revenue DESC NULLS LAST, c.customer_id"
    rows = wh.rows(
        f"SELECT c.customer_id, c.first_seen, c.last_seen, c.channels, c.orders, c.revenue{sel} "
        f"FROM customers c {join} {where} ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return total, rows


def customer_profile(wh: Warehouse, customer_id: str, reveal: bool) -> dict[str, Any] | None:
    """One customer with identifiers (masked unless ``reveal``), CLV and touch channels."""
    if wh.count("customers") == 0:
        return None
    rows = wh.rows("SELECT * FROM customers WHERE customer_id = ?", [customer_id])
    if not rows:
        return None
    out = dict(rows[0])
    ids = []
    if wh.has("identifiers"):
        for r in wh.rows(
            "SELECT id_type, id_value, first_seen, last_seen FROM identifiers "
            "WHERE customer_id = ? ORDER BY id_type, id_value",
            [customer_id],
        ):
            r["id_value"] = r["id_value"] if reveal else mask_identifier(r["id_type"], r["id_value"])
            ids.append(r)
    out["identifiers"] = ids
    out["pii_revealed"] = reveal
    if wh.result_state("clv") is None:
        k = wh.rows("SELECT segment, clv, p_alive FROM clv_customers WHERE customer_id = ?", [customer_id])
        out["clv"] = k[0] if k else None
    else:
        out["clv"] = None
    return out
