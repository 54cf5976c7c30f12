"""Customer acquisition cost (CAC) and LTV:CAC by acquisition channel and cohort month.

``CAC(channel, month) = spend(channel, month) / new customers acquired by the channel that month``,
where a customer's cohort month is the month of their first purchase (``first_seen``) and their channel
is the one credited with acquiring them (``acquisition_channel``, e.g. from a first-touch or any other
attribution model). ``LTV:CAC`` is the mean predicted CLV of those customers over their CAC; ratios
below 1 are flagged ``loss`` (the channel pays more to acquire a customer than they are worth) and
ratios of 3 or more ``strong``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from omnimix.clv.store import open_workspace
from omnimix.errors import InputDataError
from omnimix.workspace import table_columns

if TYPE_CHECKING:
    import pandas as pd

    from omnimix.workspace import Workspace

LOSS_BELOW = 1.0
STRONG_FROM = 3.0


def flag(ratio: float | None) -> str:
    """``loss`` (< 1), ``strong`` (>= 3), ``ok`` otherwise; ``n/a`` when undefined."""
    if ratio is None or not math.isfinite(ratio):
        return "n/a"
    if ratio < LOSS_BELOW:
        return "loss"
    if ratio >= STRONG_FROM:
        return "strong"
    return "ok"


def cac_table(
    spend: pd.DataFrame,
    customers: pd.DataFrame,
    clv: pd.Series | None = None,
    by_month: bool = True,
) -> pd.DataFrame:
    """CAC, mean CLV and LTV:CAC per channel (and cohort month).

    Args:
        spend: rows with ``date``, ``channel``, ``spend``.
        customers: rows with ``customer_id``, ``first_seen`` and ``acquisition_channel``.
        clv: predicted CLV per customer id (index), or None.
        by_month: group by (channel, cohort_month); else by channel only.

    Returns:
        DataFrame with channel, [cohort_month,] spend, new_customers, cac, mean_clv, ltv_cac, flag.
        ``cac`` is NaN where a channel spent but acquired nobody (flag ``no customers``) and 0 for
        customers acquired without spend (flag ``no spend``).
    """
    import pandas as pd

    from omnimix.clv.summary import parse_dates

    for name, frame, cols in (
        ("spend", spend, ("date", "channel", "spend")),
        ("customers", customers, ("customer_id", "first_seen", "acquisition_channel")),
    ):
        missing = [c for c in cols if c not in frame]
        if missing:
            raise InputDataError(name, f"missing column(s) {missing}; found {list(frame.columns)}")
    sp = pd.DataFrame(
        {
            "channel": spend["channel"].astype(str).to_numpy(),
            "cohort_month": parse_dates(spend["date"]).dt.strftime("%Y-%m").to_numpy(),
            "spend": pd.to_numeric(spend["spend"], errors="coerce").fillna(0.0).to_numpy(float),
        }
    )
    cu = pd.DataFrame(
        {
            "customer_id": customers["customer_id"].astype(str).to_numpy(),
            "channel": customers["acquisition_channel"].fillna("(unknown)").astype(str).to_numpy(),
            "cohort_month": parse_dates(customers["first_seen"]).dt.strftime("%Y-%m").to_numpy(),
        }
    ).dropna(subset=["cohort_month"])
    if clv is not None:
        clv_s = pd.Series(clv.to_numpy(float), index=clv.index.astype(str))
        cu["clv"] = clv_s.reindex(cu["customer_id"]).to_numpy(float)
    else:
        cu["clv"] = np.nan
    keys = ["channel", "cohort_month"] if by_month else ["channel"]
    s = sp.groupby(keys)["spend"].sum()
    c = cu.groupby(keys).agg(new_customers=("customer_id", "size"), mean_clv=("clv", "mean"))
    out = pd.concat([s, c], axis=1).fillna({"spend": 0.0, "new_customers": 0}).reset_index()
    out["new_customers"] = out["new_customers"].astype(int)
    cac = np.where(out["new_customers"] > 0, out["spend"] / out["new_customers"].clip(lower=1), np.nan)
    out["cac"] = cac
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where((out["cac"] > 0) & out["mean_clv"].notna(), out["mean_clv"] / out["cac"], np.nan)
    out["ltv_cac"] = ratio
    flags = []
    for sp_v, n, r in zip(out["spend"], out["new_customers"], out["ltv_cac"], strict=True):
        if n == 0:
            flags.append("no customers")
        elif sp_v <= 0:
            flags.append("no spend")
        else:
            flags.append(flag(float(r)))
    out["flag"] = flags
    return out.sort_values(keys).reset_index(drop=True)


def read_workspace_cac(
    workspace: Workspace | str | Path, channel_col: str = "acquisition_channel"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``spend`` and ``customers`` from the workspace's warehouse (read-only).

    The channel is ``customers.<channel_col>`` (default ``acquisition_channel``: pass another column
    written by a chosen attribution model), else the first element of ``channels``. The cohort date is
    ``first_order_at`` (first conversion) when the table has it — people who never bought are not
    acquired customers — else ``first_seen``.

    Returns:
        (spend with date, channel, spend; customers with customer_id, first_seen, acquisition_channel).
    """
    con = open_workspace(workspace)
    try:
        s_cols = table_columns(con, "spend")
        c_cols = table_columns(con, "customers")
        if not s_cols:
            raise InputDataError(str(workspace), "the warehouse has no `spend` table; ingest ad spend first")
        if not c_cols:
            raise InputDataError(
                str(workspace), "the warehouse has no `customers` table; run `omnimix resolve`"
            )
        if channel_col in c_cols:
            chan = f'"{channel_col}"'
        elif channel_col == "acquisition_channel" and "channels" in c_cols:
            chan = "channels[1]"
        else:
            raise InputDataError(
                str(workspace),
                f"table `customers` has no column {channel_col!r} (found {c_cols}); pass --channel-col "
                "naming the column that credits each customer's acquisition",
            )
        if "first_order_at" in c_cols:
            first, where = "first_order_at", " WHERE first_order_at IS NOT NULL"
        else:
            first, where = "first_seen", ""
        spend = con.execute("SELECT date, CAST(channel AS VARCHAR) AS channel, spend FROM spend").df()
        customers = con.execute(
            f"SELECT CAST(customer_id AS VARCHAR) AS customer_id, {first} AS first_seen, "
            f"CAST({chan} AS VARCHAR) AS acquisition_channel FROM customers{where}"
        ).df()
    finally:
        con.close()
    return spend, customers


def table_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (NaN → None)."""
    recs: list[dict[str, Any]] = []
    for row in df.to_dict(orient="records"):
        recs.append(
            {
                str(k): (
                    None
                    if isinstance(v, float) and not math.isfinite(v)
                    else (v.item() if hasattr(v, "item") else v)
                )
                for k, v in row.items()
            }
        )
    return recs
