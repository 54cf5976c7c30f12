"""Customers: search by id or identifier value with predicted CLV, one customer's profile and timeline."""

from __future__ import annotations

import re
from typing import Any

from omnimix.config import PIISection
from omnimix.schema import BECAME_STAGES
from omnimix.web.pii import mask_identifier
from omnimix.web.queries.common import id_cols
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


#: Event kinds of :func:`customer_timeline`, in the order they sort within one instant.
TIMELINE_KINDS: tuple[str, ...] = ("identifier", "consent", "stage", "touchpoint", "order")

_SHA256 = re.compile(r"[0-9a-f]{64}")
_COLUMNS = ("kind", "ts", "channel", "campaign", "label", "detail", "amount", "flag_a", "flag_b", "changed", "ref")

#: Natural key of a source row as ``row_customers.row_key`` holds it (``omnimix resolve``).
_ROW_KEY = {
    "touchpoints": "t.event_id",
    "conversions": "t.conversion_id",
    "contacts": "t.source || ':' || t.record_id",
}


def _rows_of(wh: Warehouse, table: str) -> tuple[str, int] | None:
    """(SQL condition on alias ``t``, number of ``?`` it takes — each the customer id) selecting the
    rows of ``table`` that belong to the customer: through ``row_customers`` when identity resolution
    wrote it, else through the customer's identifiers matched against the row's identifier columns."""
    if not wh.has(table):
        return None
    if wh.count("row_customers") > 0 and table in _ROW_KEY:
        return (
            f"{_ROW_KEY[table]} IN (SELECT row_key FROM row_customers WHERE src_table = '{table}' "
            "AND customer_id = ?)",
            1,
        )
    ids = id_cols(wh, table)
    if not ids or not wh.has("identifiers"):
        return None
    match = " OR ".join(
        f"t.\"{t}\" IN (SELECT id_value FROM identifiers WHERE customer_id = ? AND id_type = '{t}')" for t in ids)
    return f"({match})", len(ids)


def _timeline_parts(wh: Warehouse) -> list[tuple[str, int]]:
    """SELECTs (with their count of customer-id parameters) of every event kind the warehouse holds.

    Each part yields ``kind, ts, channel, campaign, label, detail, amount, flag_a, flag_b, changed, ref``.
    """
    parts: list[tuple[str, int]] = []
    cols = wh.tables()
    if wh.has("identifiers"):
        parts.append((
            "SELECT 'identifier' AS kind, first_seen AS ts, NULL::VARCHAR AS channel, NULL::VARCHAR AS campaign, "
            "id_type AS label, id_value AS detail, NULL::DOUBLE AS amount, NULL::BOOLEAN AS flag_a, "
            "NULL::BOOLEAN AS flag_b, NULL::BOOLEAN AS changed, id_type || ':' || id_value AS ref "
            "FROM identifiers WHERE customer_id = ?",
            1,
        ))
    tp = _rows_of(wh, "touchpoints")
    if tp:
        parts.append((
            "SELECT 'touchpoint', t.ts, t.channel, t.campaign, t.stage, t.event_type, t.cost, NULL::BOOLEAN, "
            f"NULL::BOOLEAN, NULL::BOOLEAN, t.event_id FROM touchpoints t WHERE {tp[0]}",
            tp[1],
        ))
    cv = _rows_of(wh, "conversions")
    if cv:
        items = "CAST(t.items AS VARCHAR)" if "items" in cols.get("conversions", []) else "NULL::VARCHAR"
        parts.append((
            f"SELECT 'order', t.ts, NULL::VARCHAR, {items}, t.type, t.currency, t.value, t.online, NULL::BOOLEAN, "
            f"NULL::BOOLEAN, t.conversion_id FROM conversions t WHERE {cv[0]}",
            cv[1],
        ))
    ct = _rows_of(wh, "contacts")
    if ct:
        c_cols = cols.get("contacts", [])
        if "created_at" in c_cols:
            # consent as each of the person's records states it, oldest first; ``changed`` marks a
            # record whose consent differs from the record before it
            parts.append((
                "SELECT 'consent', ts, NULL::VARCHAR, NULL::VARCHAR, source, record_id, NULL::DOUBLE, e, s, "
                "coalesce(e IS DISTINCT FROM lag(e) OVER w OR s IS DISTINCT FROM lag(s) OVER w, FALSE) "
                "AND row_number() OVER w > 1, source || ':' || record_id FROM ("
                "SELECT t.created_at AS ts, t.source, t.record_id, t.consent_email AS e, t.consent_sms AS s "
                f"FROM contacts t WHERE {ct[0]} AND (t.consent_email IS NOT NULL OR t.consent_sms IS NOT NULL)"
                ") WINDOW w AS (ORDER BY ts NULLS LAST, source, record_id)",
                ct[1],
            ))
        became = [s for s in BECAME_STAGES if f"became_{s}_at" in c_cols]
        sh = wh.has("stage_history", ("record_id", "stage", "entered_at"))
        if sh:
            parts.append((
                "SELECT 'stage', h.entered_at, h.channel, NULL::VARCHAR, h.stage, h.owner, h.amount, NULL::BOOLEAN, "
                "NULL::BOOLEAN, NULL::BOOLEAN, h.record_id FROM stage_history h "
                f"WHERE h.record_id IN (SELECT t.record_id FROM contacts t WHERE {ct[0]})",
                ct[1],
            ))
        if became:
            # the CRM's became-dates, one row per date present (UNPIVOT drops NULLs), unless
            # stage_history already holds that stage at that time
            dup = (" WHERE NOT EXISTS (SELECT 1 FROM stage_history h WHERE h.record_id = b.record_id "
                   "AND h.stage = b.stage AND h.entered_at = b.ts)") if sh else ""
            dates = ", ".join(f"became_{s}_at" for s in became)
            parts.append((
                "SELECT 'stage', b.ts, NULL::VARCHAR, NULL::VARCHAR, b.stage, b.owner, NULL::DOUBLE, NULL::BOOLEAN, "
                "NULL::BOOLEAN, NULL::BOOLEAN, b.record_id FROM (SELECT record_id, owner, ts, "
                "regexp_extract(col, '^became_(.*)_at$', 1) AS stage FROM (UNPIVOT (SELECT t.record_id, t.owner, "
                f"{dates} FROM contacts t WHERE {ct[0]}) ON {dates} INTO NAME col VALUE ts)) b{dup}",
                ct[1],
            ))
    return parts


def customer_timeline(
    wh: Warehouse, customer_id: str, offset: int = 0, limit: int = 50, reveal: bool = False
) -> dict[str, Any]:
    """One customer's history, oldest first: identifiers (first seen), consent records, lifecycle stages
    (``stage_history`` and the CRM's became-dates), touchpoints and orders.

    Rows belong to the customer through ``row_customers`` (``omnimix resolve``) or, without it, through
    the customer's identifiers. Identifier values are masked unless ``reveal`` (hashed values stay
    hashed: the warehouse never holds the raw value of a hashed identifier). Times are as the warehouse
    holds them, in the workspace's time zone; events without a time come last.

    Returns:
        ``{"total", "offset", "limit", "counts": {kind: n}, "items": [...]}``; each item has ``kind``
        (one of :data:`TIMELINE_KINDS`), ``ts``, ``channel``, ``campaign``, ``label``, ``detail``,
        ``amount``, ``flag_a``, ``flag_b``, ``changed`` and ``ref`` (see :func:`_timeline_parts`).
    """
    parts = _timeline_parts(wh)
    empty = {"total": 0, "offset": offset, "limit": limit, "counts": {k: 0 for k in TIMELINE_KINDS}, "items": []}
    if not parts:
        return empty
    union = "(" + " UNION ALL ".join(sql for sql, _ in parts) + ") AS u(" + ", ".join(_COLUMNS) + ")"
    params = [customer_id] * sum(n for _, n in parts)
    counts = {k: 0 for k in TIMELINE_KINDS}
    for r in wh.rows(f"SELECT kind, count(*) AS n FROM {union} GROUP BY kind", params):
        counts[str(r["kind"])] = int(r["n"])
    total = sum(counts.values())
    rank = "CASE kind " + " ".join(f"WHEN '{k}' THEN {i}" for i, k in enumerate(TIMELINE_KINDS)) + " END"
    items = wh.rows(
        f"SELECT * FROM {union} ORDER BY ts NULLS LAST, {rank}, ref LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    for r in items:
        r["hashed"] = r["kind"] == "identifier" and bool(_SHA256.fullmatch(str(r["detail"] or "")))
        if r["kind"] == "identifier" and not reveal:
            r["detail"] = mask_identifier(str(r["label"]), r["detail"])
            r["ref"] = None
    return {"total": total, "offset": offset, "limit": limit, "counts": counts, "items": items}
