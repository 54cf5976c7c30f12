"""Compute metrics from the warehouse: :func:`metric_frame`.

Every number comes from one SQL definition here (see :mod:`omnimix.metrics.registry` for the words);
values are bound as parameters, never formatted into SQL. The bucket of a row is its day, the Monday of
its ISO week or the first of its month; rows outside ``[start, end]`` are not counted, so the first and
last week or month of a range may be partial.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omnimix.errors import UsageError
from omnimix.metrics.registry import GRAINS, METRICS, base_metrics, metric
from omnimix.taxonomy import IDENTIFIER_TYPES
from omnimix.workspace import Workspace, table_columns

_ATTR_MODELS = ("markov", "shapley", "data_driven")
_LOOKBACK_DAYS = 30


def _bucket_of(expr: str, grain: str, start: date | None = None) -> str:
    if grain == "range":  # the whole range is one bucket, stamped with its first day
        assert start is not None
        return f"DATE '{start.isoformat()}'"  # a date object's ISO form, never user text
    if grain == "day":
        return f"CAST({expr} AS DATE)"
    return f"CAST(date_trunc('{grain}', CAST({expr} AS DATE)) AS DATE)"


_columns = table_columns


def _nonempty(con: Any, table: str) -> bool:
    if not _columns(con, table):
        return False
    return bool(con.execute(f'SELECT count(*) FROM (SELECT 1 FROM "{table}" LIMIT 1)').fetchall()[0][0] > 0)


def _person(con: Any, table: str, alias: str, key: str) -> tuple[str, str]:
    """(join, person expression) for rows of ``table``: the customer_id column, else the identity map
    row_customers, else each identifier looked up in ``identifiers``, else the row's first identifier."""
    cols = _columns(con, table)
    if "customer_id" in cols:
        return "", f"{alias}.customer_id"
    ids = [t for t in IDENTIFIER_TYPES if t in cols]
    fallback = ("coalesce(" + ", ".join(f"'{t}:' || {alias}.\"{t}\"" for t in ids) + ")") if ids else "NULL"
    if _nonempty(con, "row_customers"):
        join = (f"LEFT JOIN row_customers _r ON _r.src_table = '{table}' AND _r.row_key = {alias}.{key}")
        return join, f"coalesce(_r.customer_id, {fallback})"
    if ids and _nonempty(con, "identifiers"):
        joins = " ".join(f"LEFT JOIN identifiers _i{i} ON _i{i}.id_type = '{t}' AND _i{i}.id_value = {alias}.\"{t}\""
                         for i, t in enumerate(ids))
        mapped = ", ".join(f"_i{i}.customer_id" for i in range(len(ids)))
        return joins, f"coalesce({mapped}, {fallback})"
    return "", fallback


def _purchase_filter(con: Any) -> str:
    if "type" not in _columns(con, "conversions"):
        return ""
    n = con.execute("SELECT count(*) FROM conversions WHERE lower(type) IN ('purchase', 'order')").fetchall()
    return " AND lower(c.type) IN ('purchase', 'order')" if int(n[0][0]) > 0 else ""


def attribution_model(con: Any, model: str | None = None) -> str | None:
    """The attribution model the per-channel split uses: ``model`` when stored, else the default
    (markov, else shapley, else data_driven, else the first stored); None without attribution results."""
    if not _nonempty(con, "attribution_results"):
        return None
    models = [str(r[0]) for r in con.execute(
        "SELECT DISTINCT model FROM attribution_results WHERE model IS NOT NULL ORDER BY 1").fetchall()]
    if not models:
        return None
    if model in models:
        return model
    return next((m for m in _ATTR_MODELS if m in models), models[0])


def attribution_shares(con: Any, model: str | None = None) -> pd.DataFrame:
    """Per channel the share of attributed value and of conversions under ``model`` (default: see
    :func:`attribution_model`).

    Columns channel, value_share, conversion_share (each sums to 1); empty when nothing is stored.
    """
    empty = pd.DataFrame({"channel": [], "value_share": [], "conversion_share": []})
    model = attribution_model(con, model)
    if model is None:
        return empty
    df: pd.DataFrame = con.execute(
        "SELECT channel, sum(value) AS v, sum(conversions) AS n FROM attribution_results "
        "WHERE model = ? AND channel IS NOT NULL GROUP BY 1 ORDER BY 1", [model]).df()
    v, n = df["v"].fillna(0.0).astype(float), df["n"].fillna(0.0).astype(float)
    return pd.DataFrame({
        "channel": df["channel"].astype(str),
        "value_share": v / v.sum() if v.sum() > 0 else np.nan,
        "conversion_share": n / n.sum() if n.sum() > 0 else np.nan,
    })


def _ts_bounds(start: date, end: date) -> list[datetime]:
    return [datetime.combine(start, datetime.min.time()),
            datetime.combine(end + timedelta(days=1), datetime.min.time())]


def _periods(start: date, end: date, grain: str) -> pd.DatetimeIndex:
    days = pd.date_range(start, end, freq="D")
    if grain == "range":
        return days[:1]
    if grain == "day":
        return days
    if grain == "week":
        return pd.DatetimeIndex(sorted(set(days - pd.to_timedelta(days.weekday, unit="D"))))
    return pd.DatetimeIndex(sorted(set(days.to_period("M").to_timestamp())))


def _long(df: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    """(period, channel, metric, value) rows from a wide SQL result."""
    if df.empty:
        return pd.DataFrame({"period": [], "channel": [], "metric": [], "value": []})
    out = df.melt(id_vars=["period", "channel"], value_vars=list(cols), var_name="metric", value_name="value")
    out["period"] = pd.to_datetime(out["period"])
    out["value"] = out["value"].astype(float)
    return out


def _base_long(con: Any, need: list[str], start: date, end: date, grain: str,
               lookback_days: int = _LOOKBACK_DAYS) -> pd.DataFrame:
    """Long rows of the base metrics in ``need``; channel None marks an all-channel-only value."""
    parts: list[pd.DataFrame] = []
    ts = _ts_bounds(start, end)

    def _bucket(expr: str, grain: str) -> str:
        return _bucket_of(expr, grain, start)

    spend_cols = [m for m in ("spend", "impressions", "clicks") if m in need]
    if spend_cols and _columns(con, "spend"):
        ssel = ", ".join(f"coalesce(sum({m}), 0) AS {m}" for m in spend_cols)
        df = con.execute(f'SELECT {_bucket("date", grain)} AS period, channel, {ssel} FROM spend '
                         'WHERE "date" BETWEEN ? AND ? GROUP BY 1, 2', [start, end]).df()
        parts.append(_long(df, spend_cols))
    tp_cols = [m for m in need if m == "touchpoints" or m.startswith("stage_")]
    tcols = _columns(con, "touchpoints")
    if tp_cols and tcols:
        sel: list[str] = []
        params: list[str] = []
        for m in tp_cols:
            if m == "touchpoints":
                sel.append("count(*) AS touchpoints")
            elif "stage" in tcols:
                sel.append(f'count(*) FILTER (WHERE stage = ?) AS "{m}"')  # m: a checked plain name
                params.append(m.removeprefix("stage_"))
            else:
                sel.append(f'0 AS "{m}"')
        df = con.execute(f"SELECT {_bucket('ts', grain)} AS period, channel, {', '.join(sel)} FROM touchpoints "
                         "WHERE ts >= ? AND ts < ? GROUP BY 1, 2", [*params, *ts]).df()
        parts.append(_long(df, tp_cols))
    if not _columns(con, "conversions"):
        return pd.concat(parts, ignore_index=True) if parts else _long(pd.DataFrame(), [])
    pf = _purchase_filter(con)
    conv_cols = [m for m in ("conversions", "revenue") if m in need]
    if conv_cols:
        df = con.execute(f"SELECT {_bucket('c.ts', grain)} AS period, NULL::VARCHAR AS channel, "
                         "count(*) AS conversions, coalesce(sum(c.value), 0) AS revenue FROM conversions c "
                         f"WHERE c.ts >= ? AND c.ts < ?{pf} GROUP BY 1", ts).df()
        parts.append(_long(df, conv_cols))
    cj, cp = _person(con, "conversions", "c", "conversion_id")
    if "new_customers" in need or "attributed_new_customers" in need:
        ccols = _columns(con, "customers")
        acq = "acquisition_channel" in ccols and "customer_id" in ccols
        join = "LEFT JOIN customers cu ON cu.customer_id = f.p" if acq else ""
        chan = "cu.acquisition_channel" if acq else "NULL::VARCHAR"
        df = con.execute(
            f"WITH f AS (SELECT {cp} AS p, min(c.ts) AS first_ts FROM conversions c {cj} "
            f"WHERE c.ts IS NOT NULL{pf} GROUP BY 1) "
            f"SELECT {_bucket('f.first_ts', grain)} AS period, {chan} AS channel, count(*) AS new_customers "
            f"FROM f {join} WHERE f.p IS NOT NULL AND f.first_ts >= ? AND f.first_ts < ? GROUP BY 1, 2",
            ts).df()
        nc = _long(df, ["new_customers"])
        if not acq:
            nc["channel"] = "__none__"
        nc["channel"] = nc["channel"].fillna("__none__")
        if "new_customers" in need:
            parts.append(nc)
        if "attributed_new_customers" in need:  # the all-channel total, split by attribution in _frame
            tot = nc.groupby("period", as_index=False)["value"].sum()
            parts.append(tot.assign(channel=None, metric="attributed_new_customers")[
                ["period", "channel", "metric", "value"]])
    people = [m for m in ("converting_customers", "multi_channel_customers") if m in need]
    if people:
        cte = (f"WITH cv AS (SELECT DISTINCT {_bucket('c.ts', grain)} AS period, {cp} AS p FROM conversions c "
               f"{cj} WHERE c.ts >= ? AND c.ts < ?{pf}) ")
        if "multi_channel_customers" in people and tcols:
            tj, tpp = _person(con, "touchpoints", "t", "event_id")
            step = {"day": "1 day", "week": "7 days", "month": "1 month",
                    "range": f"{(end - start).days + 1} days"}[grain]
            df = con.execute(
                cte + f", tp AS (SELECT {tpp} AS p, t.ts, t.channel FROM touchpoints t {tj} "
                "WHERE t.ts >= ? AND t.ts < ?), "
                "m AS (SELECT cv.period, cv.p, count(DISTINCT tp.channel) AS n FROM cv LEFT JOIN tp "
                f"ON tp.p = cv.p AND tp.ts >= cv.period - INTERVAL {int(lookback_days)} DAY "
                f"AND tp.ts < cv.period + INTERVAL {step} GROUP BY 1, 2) "
                "SELECT period, NULL::VARCHAR AS channel, count(*) AS converting_customers, "
                "count(*) FILTER (WHERE n >= 2) AS multi_channel_customers FROM m WHERE p IS NOT NULL "
                "GROUP BY 1",
                [*ts, ts[0] - timedelta(days=int(lookback_days)), ts[1]]).df()
        else:
            df = con.execute(cte + "SELECT period, NULL::VARCHAR AS channel, count(*) AS converting_customers, "
                             "0 AS multi_channel_customers FROM cv WHERE p IS NOT NULL GROUP BY 1", ts).df()
        parts.append(_long(df, people))
    return pd.concat(parts, ignore_index=True) if parts else _long(pd.DataFrame(), [])


def _pivot(long: pd.DataFrame, index: list[str], need: list[str]) -> pd.DataFrame:
    if long.empty:
        return pd.DataFrame(columns=[*index, *need])
    out = long.pivot_table(index=index, columns="metric", values="value", aggfunc="sum").reset_index()
    out.columns.name = None
    return out


def _frame(con: Any, keys: list[str], start: date, end: date, grain: str, by_channel: bool,
           channel: str | None, lookback_days: int = _LOOKBACK_DAYS, model: str | None = None) -> pd.DataFrame:
    need = base_metrics(keys)
    long = _base_long(con, need, start, end, grain, lookback_days)
    periods = _periods(start, end, grain)
    total_only = {"conversions", "revenue", "attributed_new_customers", "converting_customers",
                  "multi_channel_customers"}
    if not by_channel:
        tot = _pivot(long, ["period"], need)
        grid = pd.DataFrame({"period": periods}).merge(tot, on="period", how="left")
        for b in need:
            grid[b] = grid[b].fillna(0.0).astype(float) if b in grid else 0.0
    else:
        chan_rows = long[long["channel"].notna() & (long["channel"] != "__none__")]
        shares = attribution_shares(con, model)
        chans = sorted(set(chan_rows["channel"].astype(str)) | set(shares["channel"]))
        if channel is not None:
            chans = [channel]
        per = _pivot(chan_rows, ["period", "channel"], need)
        idx = pd.MultiIndex.from_product([periods, chans], names=["period", "channel"]).to_frame(index=False)
        grid = idx.merge(per, on=["period", "channel"], how="left") if not per.empty else idx
        for b in need:
            grid[b] = grid[b].fillna(0.0).astype(float) if b in grid else 0.0
        totals = _pivot(long[long["channel"].isna()], ["period"], need)
        for b, share_col in (("conversions", "conversion_share"), ("revenue", "value_share"),
                             ("attributed_new_customers", "conversion_share")):
            if b not in need:
                continue
            tot = grid[["period"]].merge(totals[["period", b]] if b in totals else
                                         pd.DataFrame({"period": periods, b: 0.0}), on="period", how="left")[b]
            sh = grid[["channel"]].merge(shares[["channel", share_col]], on="channel", how="left")[share_col]
            if not shares.empty:  # a channel the stored attribution gives no credit has a share of 0
                sh = sh.fillna(0.0)
            grid[b] = tot.fillna(0.0).to_numpy() * sh.to_numpy(dtype=float)
        for b in need:
            if b in total_only - {"conversions", "revenue", "attributed_new_customers"}:
                grid[b] = np.nan
    out = grid[["period", "channel"] if by_channel else ["period"]].copy()
    for k in keys:
        m = metric(k)
        if by_channel and not m.channel_level:
            out[k] = np.nan
        elif m.kind == "ratio":
            num = grid[m.numerator].to_numpy(dtype=float)
            den = grid[m.denominator].to_numpy(dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                out[k] = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
        else:
            out[k] = grid[k].to_numpy(dtype=float)
    return out.sort_values(["period", "channel"] if by_channel else ["period"]).reset_index(drop=True)


def metric_frame(
    ws: Workspace | str | Path | Any,
    metrics: Sequence[str] | None,
    start: date | str,
    end: date | str,
    *,
    grain: str = "day",
    by_channel: bool = False,
    channel: str | None = None,
    lookback_days: int = _LOOKBACK_DAYS,
    model: str | None = None,
) -> pd.DataFrame:
    """Metrics per period bucket (and channel) over ``[start, end]``, from the warehouse.

    Args:
        ws: a :class:`~omnimix.workspace.Workspace`, its directory, or an open DuckDB connection.
        metrics: keys of :data:`~omnimix.metrics.registry.METRICS` (None: all of them).
        start: first day (inclusive); ISO string or date.
        end: last day (inclusive).
        grain: ``day``, ``week`` (ISO, Monday), ``month`` or ``range`` (the whole range as one bucket,
            stamped with ``start``: distinct counts such as converting customers over the range).
        by_channel: one row per period and channel (channels seen in spend, touchpoints or
            attribution) instead of one per period.
        channel: only this channel (implies ``by_channel``).
        lookback_days: the window before a bucket in which touches count for
            ``multi_channel_customers`` (default 30; the dashboard passes ``[journeys] lookback_days``).
        model: the attribution model of the per-channel split of conversions, revenue and
            attributed new customers (default: see :func:`attribution_model`).

    Returns:
        DataFrame with ``period`` (Timestamp of the bucket start), ``channel`` when per channel, then one
        float column per metric in the order asked. Every bucket of the range is present (zero for
        counts and sums without rows, NaN for a ratio over zero and for an all-channel-only metric in a
        per-channel frame).

    Raises:
        UsageError: unknown metric or grain, or ``end`` before ``start``.
        InputDataError: no warehouse in the workspace.
    """
    keys = list(METRICS) if metrics is None else list(metrics)
    for k in keys:
        try:
            metric(k)
        except KeyError as exc:
            raise UsageError(str(exc.args[0])) from None
    if int(lookback_days) < 0:
        raise UsageError(f"lookback_days {lookback_days} is negative")
    if grain not in GRAINS:
        raise UsageError(f"unknown grain {grain!r}; use one of {', '.join(GRAINS)}")
    d0, d1 = pd.Timestamp(start).date(), pd.Timestamp(end).date()
    if d1 < d0:
        raise UsageError(f"end {d1} is before start {d0}")
    by = by_channel or channel is not None
    if hasattr(ws, "execute") and not isinstance(ws, (Workspace, str, Path)):
        return _frame(ws, keys, d0, d1, grain, by, channel, lookback_days, model)
    con = Workspace.loaded(ws).connect(read_only=True)
    try:
        return _frame(con, keys, d0, d1, grain, by, channel, lookback_days, model)
    finally:
        con.close()


def _on(ws: Workspace | str | Path | Any, fn: Any) -> Any:
    if hasattr(ws, "execute") and not isinstance(ws, (Workspace, str, Path)):
        return fn(ws)
    con = Workspace.loaded(ws).connect(read_only=True)
    try:
        return fn(con)
    finally:
        con.close()


def ltv(ws: Workspace | str | Path | Any) -> tuple[float | None, str]:
    """Lifetime value per customer and where it comes from: ``(value, source)``.

    ``clv_customers``: the mean predicted CLV of the scored customers (``omnimix clv predict --save``);
    else ``historical``: all-time revenue per buying person (the conversions and person of
    ``new_customers``); else ``(None, "none")``. Not split by channel: the dashboard marks it so.
    """
    def run(con: Any) -> tuple[float | None, str]:
        if "clv" in _columns(con, "clv_customers") and _nonempty(con, "clv_customers"):
            v = con.execute("SELECT avg(clv) FROM clv_customers").fetchall()[0][0]
            return (None if v is None or not np.isfinite(float(v)) else float(v)), "clv_customers"
        if not _nonempty(con, "conversions"):
            return None, "none"
        cj, cp = _person(con, "conversions", "c", "conversion_id")
        rev, people = con.execute(
            f"SELECT coalesce(sum(c.value), 0), count(DISTINCT {cp}) FROM conversions c {cj} "
            f"WHERE true{_purchase_filter(con)}").fetchall()[0]
        return (float(rev) / int(people) if people else None), "historical"

    out: tuple[float | None, str] = _on(ws, run)
    return out


def data_span(ws: Workspace | str | Path | Any) -> tuple[date, date] | None:
    """First and last day with spend, touchpoints or conversions (None when all are empty)."""
    def run(con: Any) -> tuple[date, date] | None:
        parts = []
        if _columns(con, "spend"):
            parts.append('SELECT min("date") AS lo, max("date") AS hi FROM spend')
        for t in ("touchpoints", "conversions"):
            if _columns(con, t):
                parts.append(f"SELECT CAST(min(ts) AS DATE) AS lo, CAST(max(ts) AS DATE) AS hi FROM {t}")
        if not parts:
            return None
        row = con.execute(f"SELECT min(lo), max(hi) FROM ({' UNION ALL '.join(parts)})").fetchall()[0]
        return None if row[0] is None else (pd.Timestamp(row[0]).date(), pd.Timestamp(row[1]).date())

    if hasattr(ws, "execute") and not isinstance(ws, (Workspace, str, Path)):
        return run(ws)
    con = Workspace.loaded(ws).connect(read_only=True)
    try:
        return run(con)
    finally:
        con.close()
