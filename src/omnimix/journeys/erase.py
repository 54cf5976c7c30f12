"""Erase a person everywhere (PIPL/GDPR): ``omnimix identity forget``.

Erasure crosses the stages: the canonical rows and identity graph (:func:`omnimix.identity.manage.erase_person`),
the journeys built from them, every table with a ``customer_id`` column (``clv_customers`` and other
results included), and the ``paths`` aggregate, which is rebuilt from the remaining journeys. It lives at
the journeys layer because it rebuilds journeys' ``paths``; identity knows nothing of journeys.
Everything happens in one transaction: a failure leaves the warehouse as it was.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from omnimix.identity.manage import erase_person, stored_value
from omnimix.journeys.build import PATHS_SQL
from omnimix.workspace import TableWriter, Workspace


def forget(workspace: Workspace | str | Path, id_type: str, value: str) -> dict[str, Any]:
    """Erase the person holding identifier ``id_type = value`` (raw value, normalised like ingestion).

    Deletes from touchpoints, conversions, contacts, quarantine (raw rows mentioning any of the
    person's identifiers: stored form, hashed form, and the raw value however it was written — an
    email in any case, a phone with or without separators), the identity tables, customers, journeys
    and every other table with a ``customer_id`` column, rebuilds ``paths``, and records the erasure
    (a hash of the request, no PII) in ``erasures``. Then the warehouse file is rewritten
    (:meth:`~omnimix.workspace.Workspace.compact`) so no byte of the erased rows stays in it.

    Returns:
        ``{"customer_id", "identifiers", "deleted": {table: rows}}``.

    Raises:
        UsageError: unknown identifier type or empty value.
    """
    ws = Workspace.of(workspace)
    sv = stored_value(ws, id_type, value)
    with ws.writer() as w:
        patterns = _raw_patterns(ws, w, id_type, value, sv)
        erased = erase_person(w, id_type, sv)
        extra = _delete_quarantine(w, patterns)
        if extra:
            erased.deleted["quarantine"] = erased.deleted.get("quarantine", 0) + extra
        present = {r[0] for r in w.execute("SELECT table_name FROM information_schema.tables "
                                           "WHERE table_schema = 'main'").fetchall()}
        if "journeys" in present and "paths" in present:
            w.execute(f"CREATE OR REPLACE TABLE paths AS {PATHS_SQL}")
        # the audit trail proves the erasure without keeping anything that points back to the person
        w.ensure("erasures")
        w.execute("INSERT INTO erasures VALUES (CAST(now() AS TIMESTAMP), ?, ?, ?)",
                  [id_type, hashlib.sha256(("erasure:" + sv).encode()).hexdigest(), json.dumps(erased.deleted)])
    ws.compact()  # deleted rows leave freed blocks behind: rewrite the file without them
    return {"customer_id": erased.customer_id, "identifiers": erased.identifiers, "deleted": erased.deleted}


def _raw_patterns(ws: Workspace, w: TableWriter, id_type: str, value: str, stored: str) -> list[tuple[str, str]]:
    """(kind, needle) for every written form of the person's identifiers in quarantined raw text.

    ``kind`` is ``"text"`` (case-insensitive substring) or ``"regex"`` (a phone's digits with optional
    separators between them, not inside a longer number).
    """
    import phonenumbers

    from omnimix.ingest.pii import normalize_email, normalize_phone

    present = {r[0] for r in w.execute("SELECT table_name FROM information_schema.tables "
                                       "WHERE table_schema = 'main'").fetchall()}
    person: list[tuple[str, str]] = [(id_type, stored)]
    if "identifiers" in present:
        person += [(str(t), str(v)) for t, v in w.execute(
            "SELECT id_type, id_value FROM identifiers WHERE customer_id IN (SELECT customer_id FROM "
            "identifiers WHERE id_type = ? AND id_value = ?)", [id_type, stored]).fetchall()]
    region = ws.config.pii.default_region
    raw_forms: list[tuple[str, str]] = []
    if id_type == "email":
        raw_forms.append(("email", normalize_email(value) or value.strip()))
    elif id_type == "phone":
        raw_forms.append(("phone", normalize_phone(value, region) or value.strip()))
    out: list[tuple[str, str]] = []
    for kind, v in person + raw_forms:
        if not v:
            continue
        out.append(("text", v))
        if kind == "phone" and v.startswith("+"):
            try:
                num = phonenumbers.parse(v, None)
            except phonenumbers.NumberParseException:
                continue
            for digits in {str(num.national_number), f"{num.country_code}{num.national_number}"}:
                if len(digits) >= 7:
                    out.append(("regex", "(^|[^0-9])" + "[ -]?".join(digits) + "([^0-9]|$)"))
    return sorted(set(out))


def _delete_quarantine(w: TableWriter, patterns: list[tuple[str, str]]) -> int:
    n = 0
    text = "(coalesce(raw, '') || ' ' || coalesce(reason, ''))"  # a reason can quote a value too
    for kind, needle in patterns:
        if kind == "text":
            where = f"strpos(lower({text}), lower(?)) > 0"
        else:
            where = f"regexp_matches({text}, ?)"
        n += int(w.execute(f"DELETE FROM quarantine WHERE {where}", [needle]).fetchone()[0])
    return n
