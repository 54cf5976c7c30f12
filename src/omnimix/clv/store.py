"""Write CLV results into the workspace for the dashboard: ``clv_customers`` and ``segment_profiles``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd


def _connect(workspace: str | Path) -> Any:
    from omnimix.workspace import connect_warehouse

    return connect_warehouse(workspace)


def save_predictions(workspace: str | Path, pred: pd.DataFrame) -> int:
    """Replace ``clv_customers(customer_id, segment, clv, p_alive, expected_purchases)``.

    ``pred`` is indexed by customer id (the output of :func:`omnimix.clv.predict.predict_customers`);
    the segment comes from ``customers.segment`` (``omnimix clv segments --save``) where present.
    """
    frame = pd.DataFrame({
        "customer_id": pred.index.astype(str),
        "clv": pred["clv"].astype(float).to_numpy(),
        "p_alive": pred["p_alive"].astype(float).to_numpy(),
        "expected_purchases": pred["expected_purchases"].astype(float).to_numpy(),
    })
    con = _connect(workspace)
    try:
        con.register("_clv_pred", frame)
        con.execute("""CREATE OR REPLACE TABLE clv_customers AS
            SELECT p.customer_id, c.segment, p.clv, p.p_alive, p.expected_purchases
            FROM _clv_pred p LEFT JOIN customers c ON c.customer_id = p.customer_id""")
        con.unregister("_clv_pred")
        return int(con.execute("SELECT count(*) FROM clv_customers").fetchone()[0])
    finally:
        con.close()


def save_personas(workspace: str | Path, cards: Sequence[Any]) -> int:
    """Replace ``segment_profiles(segment, persona)`` with one JSON persona card per segment."""
    rows = [(c.to_dict().get("segment", getattr(c, "segment", "")), json.dumps(c.to_dict(), ensure_ascii=False,
                                                                              default=str)) for c in cards]
    con = _connect(workspace)
    try:
        con.execute("CREATE OR REPLACE TABLE segment_profiles (segment VARCHAR, persona VARCHAR)")
        if rows:
            con.executemany("INSERT INTO segment_profiles VALUES (?, ?)", rows)
        return len(rows)
    finally:
        con.close()
