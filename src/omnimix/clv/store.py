"""The CLV stage's warehouse I/O, all through :class:`omnimix.workspace.Workspace`.

Reads open the workspace's warehouse (the file ``[workspace] warehouse`` in omnimix.toml names)
read-only; writes go through :meth:`Workspace.write`/:meth:`Workspace.writer`, which create the result
tables ``clv_customers`` and ``segment_profiles`` from their definitions in :mod:`omnimix.schema`:

* :func:`save_predictions` — ``clv_customers`` (``omnimix clv predict --workspace DIR --save``);
* :func:`save_segments` — ``customers.segment`` (``omnimix clv segments --workspace DIR --save``);
* :func:`save_personas` — ``segment_profiles``, one JSON persona card per segment (same command).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omnimix.schema import table as table_spec
from omnimix.workspace import TableWriter, Workspace, table_columns

if TYPE_CHECKING:
    import pandas as pd


def workspace_of(workspace: Workspace | str | Path) -> Workspace:
    """The :class:`Workspace` of ``workspace``, whose warehouse must exist (:meth:`Workspace.loaded`).

    Raises:
        InputDataError: no workspace there, or nothing has been loaded into it yet.
        ConfigError: its omnimix.toml is invalid.
    """
    return Workspace.loaded(workspace)


def open_workspace(workspace: Workspace | str | Path) -> Any:
    """A read-only connection to the workspace's warehouse (close it when done).

    Raises:
        InputDataError: no warehouse (see :func:`workspace_of`).
    """
    return workspace_of(workspace).connect(read_only=True)


def _segments_of(con: Any) -> dict[str, str | None]:
    if "segment" not in table_columns(con, "customers"):
        return {}
    rows = con.execute("SELECT CAST(customer_id AS VARCHAR), segment FROM customers").fetchall()
    return {str(c): s for c, s in rows}


def save_predictions(workspace: Workspace | str | Path, pred: pd.DataFrame) -> int:
    """Replace ``clv_customers(customer_id, segment, clv, p_alive, expected_purchases)``.

    ``pred`` is indexed by customer id (the output of :func:`omnimix.clv.predict.predict_customers`);
    the segment comes from ``customers.segment`` (``omnimix clv segments --save``) where present.

    Returns:
        The number of customers written.
    """
    import pandas as pd

    ws = workspace_of(workspace)
    con = ws.connect(read_only=True)
    try:
        segments = _segments_of(con)
    finally:
        con.close()
    ids = pred.index.astype(str)
    frame = pd.DataFrame({
        "customer_id": ids,
        "segment": pd.Series([segments.get(c) for c in ids], dtype="object"),
        "clv": pred["clv"].astype(float).to_numpy(),
        "p_alive": pred["p_alive"].astype(float).to_numpy(),
        "expected_purchases": pred["expected_purchases"].astype(float).to_numpy(),
    })
    return ws.write("clv_customers", frame)


def _write_segments(w: TableWriter, scored: pd.DataFrame) -> int:
    seg = scored[["segment"]].reset_index()
    seg.columns = ["customer_id", "segment"]
    seg["customer_id"] = seg["customer_id"].astype(str)
    if "segment" not in table_columns(w.con, "customers"):  # a warehouse from before the column existed
        w.execute(f"ALTER TABLE customers ADD COLUMN segment {table_spec('customers').column('segment').type}")
    w.con.register("_clv_segments", seg)
    try:
        w.execute(
            "UPDATE customers SET segment = s.segment FROM _clv_segments s "
            "WHERE CAST(customers.customer_id AS VARCHAR) = s.customer_id"
        )
        row = w.execute(
            "SELECT count(*) FROM customers c JOIN _clv_segments s ON CAST(c.customer_id AS VARCHAR) = s.customer_id"
        ).fetchall()[0]
    finally:
        w.con.unregister("_clv_segments")
    return int(row[0]) if row else 0


def _persona_frame(cards: Sequence[Any]) -> pd.DataFrame:
    import pandas as pd

    rows = []
    for c in cards:
        d = c.to_dict()
        rows.append((d.get("segment", getattr(c, "segment", "")), json.dumps(d, ensure_ascii=False, default=str)))
    return pd.DataFrame(rows, columns=["segment", "persona"])


def save_segments(workspace: Workspace | str | Path, scored: pd.DataFrame) -> int:
    """Write each customer's segment into ``customers.segment``.

    Args:
        workspace: the workspace (or its directory).
        scored: the output of :func:`omnimix.clv.rfm.score` (indexed by customer id, ``segment``).

    Returns:
        Number of customers updated.
    """
    with workspace_of(workspace).writer() as w:
        return _write_segments(w, scored)


def save_personas(workspace: Workspace | str | Path, cards: Sequence[Any]) -> int:
    """Replace ``segment_profiles(segment, persona)`` with one JSON persona card per segment."""
    return workspace_of(workspace).write("segment_profiles", _persona_frame(cards))


def save_segments_and_personas(
    workspace: Workspace | str | Path, scored: pd.DataFrame, cards: Sequence[Any]
) -> int:
    """:func:`save_segments` and :func:`save_personas` in one transaction; returns the customers updated."""
    with workspace_of(workspace).writer() as w:
        n = _write_segments(w, scored)
        w.write("segment_profiles", _persona_frame(cards))
    return n
