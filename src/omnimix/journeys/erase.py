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
from omnimix.workspace import Workspace


def forget(workspace: Workspace | str | Path, id_type: str, value: str) -> dict[str, Any]:
    """Erase the person holding identifier ``id_type = value`` (raw value, normalised like ingestion).

    Deletes from touchpoints, conversions, contacts, quarantine (raw rows mentioning them), the
    identity tables, customers, journeys and every other table with a ``customer_id`` column, rebuilds
    ``paths``, and records the erasure (a hash of the request, no PII) in ``erasures``.

    Returns:
        ``{"customer_id", "identifiers", "deleted": {table: rows}}``.

    Raises:
        UsageError: unknown identifier type or empty value.
    """
    ws = Workspace.of(workspace)
    sv = stored_value(ws, id_type, value)
    with ws.writer() as w:
        erased = erase_person(w, id_type, sv)
        present = {r[0] for r in w.execute("SELECT table_name FROM information_schema.tables "
                                           "WHERE table_schema = 'main'").fetchall()}
        if "journeys" in present and "paths" in present:
            w.execute(f"CREATE OR REPLACE TABLE paths AS {PATHS_SQL}")
        # the audit trail proves the erasure without keeping anything that points back to the person
        w.ensure("erasures")
        w.execute("INSERT INTO erasures VALUES (CAST(now() AS TIMESTAMP), ?, ?, ?)",
                  [id_type, hashlib.sha256(("erasure:" + sv).encode()).hexdigest(), json.dumps(erased.deleted)])
    return {"customer_id": erased.customer_id, "identifiers": erased.identifiers, "deleted": erased.deleted}
