"""Transactions → per-customer summary (frequency, recency, T, monetary_value), with an explicit unit.

Conventions (those of the BTYD literature):

* purchases are grouped by calendar day: several orders on one day count as one transaction whose
  value is their sum;
* ``frequency`` = number of purchase days after the first (repeat purchases);
* ``recency`` = time from the first to the last purchase day; ``T`` = time from the first purchase day
  to the end of observation; both in ``time_unit`` (``days``, or ``weeks`` = days / 7, fractional);
* ``monetary_value`` = mean value of the repeat purchase days (0 for one-time buyers).

With ``calibration_end`` the summary covers customers whose first purchase is on or before that day,
computed from calibration purchases only, plus ``frequency_holdout`` (repeat purchase days in
(calibration_end, observation_end]), ``monetary_value_holdout`` and ``duration_holdout``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from omnimix.clv.store import open_workspace
from omnimix.errors import InputDataError
from omnimix.io import read_frame
from omnimix.workspace import table_columns

if TYPE_CHECKING:
    import pandas as pd

    from omnimix.workspace import Workspace

TimeUnit = Literal["days", "weeks"]
UNIT_DAYS: dict[str, float] = {"days": 1.0, "weeks": 7.0}
SUMMARY_COLUMNS = ("frequency", "recency", "T", "monetary_value")


def check_time_unit(time_unit: str) -> float:
    """Days per unit for ``days``/``weeks``; raises InputDataError otherwise."""
    if time_unit not in UNIT_DAYS:
        raise InputDataError("--time-unit", f"{time_unit!r}; expected one of {sorted(UNIT_DAYS)}")
    return UNIT_DAYS[time_unit]


def read_summary(path: str | Path, need_monetary: bool = False) -> pd.DataFrame:
    """Read a summary file (CSV, Parquet or XLSX) with columns frequency, recency, T (and monetary_value).

    Returns:
        DataFrame with those columns, one row per customer (indexed by ``customer_id`` when present).
    """
    df = read_frame(path)
    need = ["frequency", "recency", "T"] + (["monetary_value"] if need_monetary else [])
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise InputDataError(
            str(path),
            f"missing column(s) {missing}; found {list(df.columns)}. "
            "A summary needs frequency, recency, T (and monetary_value for spend models)",
        )
    if "customer_id" in df.columns:
        df = df.set_index(df["customer_id"].astype(str)).drop(columns=["customer_id"])
        df.index.name = "customer_id"
    return df


def parse_dates(values: Any) -> pd.Series:
    """Parse dates/timestamps leniently (ISO 8601 of mixed precision, then pandas' mixed parser).

    Unparseable values become NaT; timezone-aware values are converted to UTC and made naive.
    """
    import warnings

    import pandas as pd

    s = pd.Series(values)
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return s.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s
    out = pd.to_datetime(s, errors="coerce", format="ISO8601")
    if bool((out.isna() & s.notna()).any()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = pd.to_datetime(s, errors="coerce", format="mixed")
    if isinstance(out.dtype, pd.DatetimeTZDtype):
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    return out


def summarize_transactions(
    transactions: pd.DataFrame,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str | None = None,
    time_unit: str = "days",
    observation_end: Any = None,
    calibration_end: Any = None,
) -> pd.DataFrame:
    """Build the per-customer summary from a transaction log.

    Args:
        transactions: one row per order.
        customer_col: customer id column.
        date_col: order timestamp/date column (anything pandas parses).
        value_col: order value column (omit for counts only: monetary_value is then 0).
        time_unit: ``days`` or ``weeks``.
        observation_end: last day observed (default: the last order day); later orders are dropped.
        calibration_end: optional end of the calibration period (adds the holdout columns).

    Returns:
        DataFrame indexed by customer id with frequency, recency, T, monetary_value (+ holdout columns).
    """
    import numpy as np
    import pandas as pd

    per_day = check_time_unit(time_unit)
    missing = [c for c in (customer_col, date_col, value_col) if c is not None and c not in transactions]
    if missing:
        raise InputDataError(
            "transactions",
            f"missing column(s) {missing}; found {list(transactions.columns)}. "
            "Pass --customer-col/--date-col/--value-col",
        )
    df = pd.DataFrame(
        {
            "customer": transactions[customer_col].astype(str).to_numpy(),
            "day": parse_dates(transactions[date_col]).dt.floor("D").to_numpy(),
            "value": (
                pd.to_numeric(transactions[value_col], errors="coerce").to_numpy(dtype=float)
                if value_col is not None
                else np.zeros(len(transactions))
            ),
        }
    )
    bad = df["day"].isna()
    if bool(bad.any()):
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputDataError(
            "transactions",
            f"row {i}: {date_col}={transactions[date_col].iloc[i]!r} is not a "
            "date; expected ISO dates/timestamps",
        )
    if value_col is not None and bool(df["value"].isna().any()):
        i = int(np.flatnonzero(df["value"].isna().to_numpy())[0])
        raise InputDataError(
            "transactions", f"row {i}: {value_col}={transactions[value_col].iloc[i]!r} is not a number"
        )
    if df.empty:
        raise InputDataError("transactions", "no transactions; expected at least one row")
    end = pd.Timestamp(observation_end).floor("D") if observation_end is not None else df["day"].max()
    df = df[df["day"] <= end]
    daily = df.groupby(["customer", "day"], as_index=False, sort=True)["value"].sum()
    if calibration_end is None:
        return _summarize_daily(daily, end, per_day)
    cal_end = pd.Timestamp(calibration_end).floor("D")
    if cal_end >= end:
        raise InputDataError(
            "--calibration-end",
            f"{cal_end.date()} is not before the observation end "
            f"{end.date()}; choose an earlier calibration end",
        )
    cal = daily[daily["day"] <= cal_end]
    summary = _summarize_daily(cal, cal_end, per_day)
    hold = daily[(daily["day"] > cal_end) & daily["customer"].isin(summary.index)]
    agg = hold.groupby("customer")["value"].agg(["count", "mean"])
    summary["frequency_holdout"] = agg["count"].reindex(summary.index).fillna(0.0).astype(float)
    summary["monetary_value_holdout"] = agg["mean"].reindex(summary.index).fillna(0.0).astype(float)
    summary["duration_holdout"] = float((end - cal_end).days) / per_day
    return summary


def _summarize_daily(daily: pd.DataFrame, end: Any, per_day: float) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    if daily.empty:
        raise InputDataError("transactions", "no purchases on or before the period end; check the dates")
    g = daily.groupby("customer", sort=True)
    first = g["day"].min()
    last = g["day"].max()
    count = g["day"].count()
    total = g["value"].sum()
    first_value = g["value"].first()  # daily is sorted by day within customer
    freq = (count - 1).astype(float)
    repeat_total = total - first_value
    monetary = np.where(freq > 0, repeat_total / freq.where(freq > 0, 1.0), 0.0)
    out = pd.DataFrame(
        {
            "frequency": freq,
            "recency": (last - first).dt.days.astype(float) / per_day,
            "T": (pd.Timestamp(end) - first).dt.days.astype(float) / per_day,
            "monetary_value": monetary,
        }
    )
    out.index.name = "customer_id"
    # customers whose first purchase is the last day have T = 0: they carry no information
    return out[out["T"] > 0]


def read_workspace_transactions(workspace: Workspace | str | Path) -> pd.DataFrame:
    """Purchases with their person from the workspace's warehouse (read-only).

    The person comes from ``conversions.customer_id`` when that column exists, else from the identity
    map ``row_customers(src_table, row_key, customer_id)`` written by ``omnimix resolve``. Rows of type
    ``purchase``/``order`` are used when any exist, else all conversions.

    Returns:
        DataFrame with columns customer_id, ts, value.

    Raises:
        InputDataError: no warehouse, no ``conversions`` table, or no person for the conversions yet.
    """
    con = open_workspace(workspace)
    try:
        cols = table_columns(con, "conversions")
        if not cols:
            raise InputDataError(
                str(workspace), "the warehouse has no `conversions` table; run `omnimix ingest`"
            )
        if "customer_id" in cols:
            source, person = "conversions c", "c.customer_id"
        elif table_columns(con, "row_customers"):
            source = (
                "conversions c JOIN row_customers r ON r.src_table = 'conversions' "
                "AND r.row_key = c.conversion_id"
            )
            person = "r.customer_id"
        else:
            raise InputDataError(
                str(workspace),
                "conversions are not linked to people yet (no customer_id, no "
                "row_customers); run `omnimix resolve` first, or pass --transactions FILE",
            )
        value = "coalesce(c.value, 0.0)" if "value" in cols else "0.0"
        where = f"{person} IS NOT NULL AND c.ts IS NOT NULL"
        if "type" in cols:
            n_purchase = con.execute(
                "SELECT count(*) FROM conversions WHERE lower(type) IN ('purchase', 'order')"
            ).fetchall()[0]
            if n_purchase is not None and int(n_purchase[0]) > 0:
                where += " AND lower(c.type) IN ('purchase', 'order')"
        return con.execute(
            f"SELECT CAST({person} AS VARCHAR) AS customer_id, c.ts AS ts, {value} AS value "
            f"FROM {source} WHERE {where}"
        ).df()
    finally:
        con.close()


__all__ = [
    "SUMMARY_COLUMNS", "UNIT_DAYS", "TimeUnit", "check_time_unit", "open_workspace", "parse_dates",
    "read_summary", "read_workspace_transactions", "summarize_transactions", "table_columns",
]
