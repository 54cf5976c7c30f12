"""Data alerts: a source that stopped loading, a load whose row count or quarantine rate jumps.

Read from the warehouse's ``loads`` table (one row per ingested file; removed and replaced loads are
ignored):

* **source stopped**: a (table, source) whose newest loaded day (``date_max``) lags the newest day of
  all loads by more than ``max(STOP_MIN_DAYS, 2 × its usual gap between loads)``; dated on its first
  missing day. Without a ``loads`` table the tables' own ``source`` column gives the newest day.
* **row count jump**: a load since the monitored start whose ``rows_in`` differs from the median of the
  source's earlier loads (per day covered) by more than a factor of ``ROWS_FACTOR``;
* **quarantine jump**: a load whose quarantined share exceeds ``max(QUARANTINE_MIN, 3 ×`` the source's
  usual share ``)`` and is unlikely under the usual share (binomial tail p < 1e-4).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from omnimix.monitor.alerts import Alert
from omnimix.workspace import table_columns

STOP_MIN_DAYS = 2
ROWS_FACTOR = 3.0
QUARANTINE_MIN = 0.05


_has = table_columns


def _loads(con: Any) -> pd.DataFrame:
    cols = _has(con, "loads")
    if not cols:
        return pd.DataFrame()
    where = " WHERE status IS NULL OR status = 'loaded'" if "status" in cols else ""
    df: pd.DataFrame = con.execute(
        "SELECT target_table, coalesce(source, file) AS source, rows_in, rows_quarantined, date_min, date_max, "
        f"loaded_at FROM loads{where}").df()
    return df


def _from_tables(con: Any) -> pd.DataFrame:
    parts = []
    for table, col in (("spend", '"date"'), ("touchpoints", "ts"), ("conversions", "ts")):
        if "source" in _has(con, table):
            parts.append(f"SELECT '{table}' AS target_table, source, CAST(min({col}) AS DATE) AS date_min, "
                         f"CAST(max({col}) AS DATE) AS date_max FROM {table} WHERE source IS NOT NULL GROUP BY 2")
    if not parts:
        return pd.DataFrame()
    df: pd.DataFrame = con.execute(" UNION ALL ".join(parts)).df()
    return df


def stopped_sources(con: Any, since: date) -> list[Alert]:
    """Sources whose newest loaded day lags the newest day of all sources (see the module docstring)."""
    loads = _loads(con)
    frame = loads if not loads.empty else _from_tables(con)
    if frame.empty or frame["date_max"].isna().all():
        return []
    frame = frame.dropna(subset=["date_max"]).copy()
    frame["date_max"] = pd.to_datetime(frame["date_max"])
    newest = frame["date_max"].max()
    out: list[Alert] = []
    for (table, source), g in frame.groupby(["target_table", "source"], sort=True):
        last = g["date_max"].max()
        ends = np.sort(g["date_max"].unique())
        gap = float(np.median(np.diff(ends)) / np.timedelta64(1, "D")) if len(ends) > 2 else 1.0
        lag = float((newest - last) / pd.Timedelta(days=1))
        if lag <= max(STOP_MIN_DAYS, 2.0 * gap):
            continue
        first_missing = (last + pd.Timedelta(days=1)).date()
        if first_missing < since - timedelta(days=3):
            continue
        out.append(Alert("data", "source_stopped", None, first_missing.isoformat(), lag, gap, None, None,
                         "critical" if lag > 7 else "warning",
                         f"source {source} ({table}) has loaded nothing after {last.date().isoformat()}: "
                         f"{lag:.0f} days behind the newest data ({newest.date().isoformat()}), usually "
                         f"every {gap:.0f} day(s)",
                         detail={"code": "source_stopped", "source": str(source), "table": str(table),
                                 "last": last.date().isoformat(), "newest": newest.date().isoformat()}))
    return out


def load_jumps(con: Any, since: date) -> list[Alert]:
    """Loads since ``since`` whose row count or quarantine share jumps against the source's history."""
    loads = _loads(con)
    if loads.empty:
        return []
    loads = loads.dropna(subset=["date_max"]).copy()
    loads["date_max"] = pd.to_datetime(loads["date_max"])
    loads["date_min"] = pd.to_datetime(loads["date_min"]).fillna(loads["date_max"])
    days = ((loads["date_max"] - loads["date_min"]) / pd.Timedelta(days=1) + 1).clip(lower=1)
    loads["per_day"] = loads["rows_in"].astype(float) / days
    loads["q"] = loads["rows_quarantined"].fillna(0).astype(float)
    out: list[Alert] = []
    cut = pd.Timestamp(since)
    for (table, source), g in loads.groupby(["target_table", "source"], sort=True):
        g = g.sort_values("date_max")
        hist, new = g[g["date_max"] < cut], g[g["date_max"] >= cut]
        if len(hist) < 3 or new.empty:
            continue
        med = float(np.median(hist["per_day"]))
        share = float(hist["q"].sum() / max(hist["rows_in"].sum(), 1))
        for _, r in new.iterrows():
            day = r["date_min"].date().isoformat()
            pd_ = float(r["per_day"])
            if med > 0 and (pd_ > ROWS_FACTOR * med or pd_ < med / ROWS_FACTOR):
                out.append(Alert("data", "load_rows", None, day, pd_, med, med / ROWS_FACTOR, med * ROWS_FACTOR,
                                 "warning", f"load of {source} ({table}) from {day}: {pd_:,.0f} rows a day "
                                 f"against {med:,.0f} usually",
                                 detail={"code": "load_rows", "source": str(source), "table": str(table)}))
            n, q = int(r["rows_in"] or 0), int(r["q"])
            rate = q / n if n else 0.0
            if n and rate > max(QUARANTINE_MIN, 3 * share) and stats.binom.sf(q - 1, n, max(share, 1e-4)) < 1e-4:
                out.append(Alert("data", "quarantine_rate", None, day, rate, share, None, 3 * share, "warning",
                                 f"load of {source} ({table}) from {day}: {rate:.1%} of rows quarantined "
                                 f"against {share:.1%} usually",
                                 detail={"code": "quarantine_rate", "source": str(source), "table": str(table)}))
    return out
