"""Pairwise precision and recall of resolved customers against a ground-truth identity file.

The truth file has ``id_type, id_value, person_id`` with raw values (``truth/identities.csv`` of
``omnimix simulate``); values are put in the warehouse's stored form (normalised, hashed unless the
workspace keeps PII) and restricted to identifiers the warehouse has seen. A pair of identifiers is
*true* when they share a person (an identifier shared by several people, like a family iPad, belongs
to each of them), *predicted* when they share a ``customer_id``.

    precision = true predicted pairs / predicted pairs      recall = true predicted pairs / true pairs

Pairs are counted from contingency sizes (Σ C(n, 2)), never enumerated, so 1M-customer worlds are fine.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from omnimix.errors import InputDataError
from omnimix.io import read_frame
from omnimix.workspace import Workspace


@dataclass
class IdentityScore:
    precision: float
    recall: float
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    identifiers: int
    persons: int
    customers: int
    customers_with_several_persons: int
    blobs_from_shared_ids: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _pairs(sizes: np.ndarray) -> int:
    s = sizes.astype(np.int64)
    return int((s * (s - 1) // 2).sum())


def evaluate(ws: Workspace, truth_csv: str | Path) -> IdentityScore:
    """Score the workspace's ``identifiers`` against ``truth_csv`` (CSV, Parquet or XLSX).

    Raises:
        InputDataError: the file cannot be read or lacks ``id_type``, ``id_value`` or ``person_id``.
    """
    from omnimix.ingest.pii import email_key, phone_key

    cfg = ws.config.pii
    need = ("id_type", "id_value", "person_id")
    truth = read_frame(truth_csv, dtype=dict.fromkeys(need, str))
    missing = [c for c in need if c not in truth.columns]
    if missing:
        raise InputDataError(str(truth_csv), f"is not an identity truth file: no column {missing}",
                             [f"columns found: {list(truth.columns)}", "expected: id_type, id_value, person_id"])
    email = truth["id_type"] == "email"
    phone = truth["id_type"] == "phone"
    truth.loc[email, "id_value"] = [email_key(v, cfg.keep_pii, cfg.salt) for v in truth.loc[email, "id_value"]]
    truth.loc[phone, "id_value"] = [phone_key(v, cfg.keep_pii, cfg.default_region, cfg.salt)
                                    for v in truth.loc[phone, "id_value"]]
    con = ws.connect(read_only=True)
    try:
        pred = con.execute("SELECT id_type, id_value, customer_id FROM identifiers").fetch_df()
    finally:
        con.close()
    m = truth.merge(pred, on=["id_type", "id_value"], how="inner")
    ids = m[["id_type", "id_value"]].drop_duplicates()
    per_person = m.groupby("person_id").size().to_numpy()
    per_customer = m.drop_duplicates(["id_type", "id_value"]).groupby("customer_id").size().to_numpy()
    both = m.groupby(["customer_id", "person_id"]).size().to_numpy()
    true_pairs, pred_pairs, correct = _pairs(per_person), _pairs(per_customer), _pairs(both)
    # customers holding several true persons: judged on identifiers that belong to one person only
    # (a family iPad cookie alone belongs to two people and is no merge); a merge is "from a shared id"
    # when the customer also holds an identifier shared by several people
    owners = m.groupby(["id_type", "id_value"])["person_id"].nunique().rename("owners").reset_index()
    m = m.merge(owners, on=["id_type", "id_value"])
    single = m[m["owners"] == 1]
    persons_per_customer = single.groupby("customer_id")["person_id"].nunique()
    merged = set(persons_per_customer[persons_per_customer > 1].index)
    with_shared = set(m.loc[m["owners"] > 1, "customer_id"])
    blobs = len(merged & with_shared)
    return IdentityScore(
        precision=correct / pred_pairs if pred_pairs else 1.0,
        recall=correct / true_pairs if true_pairs else 1.0,
        true_pairs=true_pairs, predicted_pairs=pred_pairs, correct_pairs=correct,
        identifiers=len(ids), persons=int(m["person_id"].nunique()), customers=int(m["customer_id"].nunique()),
        customers_with_several_persons=len(merged), blobs_from_shared_ids=blobs)
