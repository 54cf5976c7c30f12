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


class _Con:
    """A connection whose catalogue (tables and columns, which tables have rows, the purchase filter)
    is read once per call of a public function instead of once per lookup."""

    def __init__(self, con: Any) -> None:
        self.con = con
        self.cols: dict[str, list[str]] | None = None
        self.memo: dict[tuple[str, str], Any] = {}

    def execute(self, sql: str, params: Any = None) -> Any:
        return self.con.execute(sql) if params is None else self.con.execute(sql, params)


def _wrap(con: Any) -> _Con:
    return con if isinstance(con, _Con) else _Con(con)


def _columns(con: Any, table: str) -> list[str]:
    if not isinstance(con, _Con):
        return table_columns(con, table)
    if con.cols is None:
        cols: dict[str, list[str]] = {}
        for t, c in con.execute("SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'main' "
                                "AND database_name = current_database() ORDER BY table_name, column_index"
                                ).fetchall():  # duckdb_columns(): a tenth of information_schema's time
            cols.setdefault(str(t), []).append(str(c))
        con.cols = cols
    return con.cols.get(table, [])


def _nonempty(con: Any, table: str) -> bool:
    if isinstance(con, _Con) and ("nonempty", table) in con.memo:
        return bool(con.memo[("nonempty", table)])
    out = bool(_columns(con, table)) and bool(
        con.execute(f'SELECT count(*) FROM (SELECT 1 FROM "{table}" LIMIT 1)').fetchall()[0][0] > 0)
    if isinstance(con, _Con):
        con.memo[("nonempty", table)] = out
    return out


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
    if isinstance(con, _Con) and ("purchase", "") in con.memo:
        return str(con.memo[("purchase", "")])
    out = ""
    if "type" in _columns(con, "conversions"):
        n = con.execute("SELECT count(*) FROM (SELECT 1 FROM conversions WHERE lower(type) IN ('purchase', "
                        "'order') LIMIT 1)").fetchall()
        out = " AND lower(c.type) IN ('purchase', 'order')" if int(n[0][0]) > 0 else ""
    if isinstance(con, _Con):
        con.memo[("purchase", "")] = out
    return out


def _on(ws: Workspace | str | Path | Any, fn: Any) -> Any:
    if hasattr(ws, "execute") and not isinstance(ws, (Workspace, str, Path)):
        return fn(_wrap(ws))
    con = Workspace.loaded(ws).connect(read_only=True)
    try:
        return fn(_Con(con))
    finally:
        con.close()


def attribution_model(ws: Workspace | str | Path | Any, model: str | None = None) -> str | None:
    """The attribution model the per-channel split uses: ``model`` when stored, else the default
    (markov, else shapley, else data_driven, else the first stored); None without attribution results.
    ``ws``: a workspace, its directory or an open connection."""
    out: str | None = _on(ws, lambda con: _attribution_model(con, model))
    return out


def _attribution_model(con: Any, model: str | None) -> str | None:
    if not _nonempty(con, "attribution_results"):
        return None
    models = [str(r[0]) for r in con.execute(
        "SELECT DISTINCT model FROM attribution_results WHERE model IS NOT NULL ORDER BY 1").fetchall()]
    if not models:
        return None
    if model in models:
        return model
    return next((m for m in _ATTR_MODELS if m in models), models[0])


def attribution_shares(con: Workspace | str | Path | Any, model: str | None = None) -> pd.DataFrame:
    """Per channel the share of attributed value and of conversions under ``model`` (default: see
    :func:`attribution_model`).

    Columns channel, value_share, conversion_share (each sums to 1); empty when nothing is stored.
    """
    if not isinstance(con, _Con):  # a workspace, its directory or a plain connection
        out: pd.DataFrame = _on(con, lambda c: attribution_shares(c, model))
        return out
    empty = pd.DataFrame({"channel": [], "value_share": [], "conversion_share": []})
    model = _attribution_model(con, model)
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


#: One base value: (bucket start, channel or None for an all-channel-only value, metric, value).
_Row = tuple[date, str | None, str, float]


def _day(v: Any) -> date:
    out: date = v.date() if isinstance(v, datetime) else v
    return out


def _long(rows: list[tuple[Any, ...]], cols: Sequence[str]) -> list[_Row]:
    """(period, channel, metric, value) rows from the (period, channel, *cols) rows of a SQL result."""
    return [(_day(r[0]), r[1], m, float(r[2 + i] or 0.0)) for r in rows for i, m in enumerate(cols)]


def _base_long(con: Any, need: list[str], start: date, end: date, grain: str,
               lookback_days: int = _LOOKBACK_DAYS) -> list[_Row]:
    """Long rows of the base metrics in ``need``; channel None marks an all-channel-only value."""
    parts: list[_Row] = []
    ts = _ts_bounds(start, end)

    def _bucket(expr: str, grain: str) -> str:
        return _bucket_of(expr, grain, start)

    spend_cols = [m for m in ("spend", "impressions", "clicks") if m in need]
    if spend_cols and _columns(con, "spend"):
        ssel = ", ".join(f"coalesce(sum({m}), 0) AS {m}" for m in spend_cols)
        df = con.execute(f'SELECT {_bucket("date", grain)} AS period, channel, {ssel} FROM spend '
                         'WHERE "date" BETWEEN ? AND ? GROUP BY 1, 2', [start, end]).fetchall()
        parts += _long(df, spend_cols)
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
                         "WHERE ts >= ? AND ts < ? GROUP BY 1, 2", [*params, *ts]).fetchall()
        parts += _long(df, tp_cols)
    if not _columns(con, "conversions"):
        return parts
    pf = _purchase_filter(con)
    conv_cols = [m for m in ("conversions", "revenue") if m in need]
    if conv_cols:
        df = con.execute(f"SELECT {_bucket('c.ts', grain)} AS period, NULL::VARCHAR AS channel, "
                         "count(*) AS conversions, coalesce(sum(c.value), 0) AS revenue FROM conversions c "
                         f"WHERE c.ts >= ? AND c.ts < ?{pf} GROUP BY 1", ts).fetchall()
        both = ("conversions", "revenue")
        parts += [r for r in _long(df, both) if r[2] in conv_cols]
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
            ts).fetchall()
        nc = [(p, ch if acq and ch is not None else "__none__", m, v) for p, ch, m, v in _long(df, ["new_customers"])]
        if "new_customers" in need:
            parts += nc
        if "attributed_new_customers" in need:  # the all-channel total, split by attribution in _frame
            tot: dict[date, float] = {}
            for p, _ch, _m, v in nc:
                tot[p] = tot.get(p, 0.0) + v
            parts += [(p, None, "attributed_new_customers", v) for p, v in tot.items()]
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
                [*ts, ts[0] - timedelta(days=int(lookback_days)), ts[1]]).fetchall()
        else:
            df = con.execute(cte + "SELECT period, NULL::VARCHAR AS channel, count(*) AS converting_customers, "
                             "0 AS multi_channel_customers FROM cv WHERE p IS NOT NULL GROUP BY 1", ts).fetchall()
        both = ("converting_customers", "multi_channel_customers")
        parts += [r for r in _long(df, both) if r[2] in people]
    return parts


def _frame(con: Any, keys: list[str], start: date, end: date, grain: str, by_channel: bool,
           channel: str | None, lookback_days: int = _LOOKBACK_DAYS, model: str | None = None) -> pd.DataFrame:
    need = base_metrics(keys)
    long = _base_long(con, need, start, end, grain, lookback_days)
    periods = [p.date() for p in _periods(start, end, grain)]
    split = ("conversions", "revenue", "attributed_new_customers")  # all-channel totals × attribution share
    grid: dict[str, np.ndarray] = {}
    if not by_channel:
        acc: dict[tuple[date, str], float] = {}
        for p, _ch, mk, v in long:
            acc[(p, mk)] = acc.get((p, mk), 0.0) + v
        for b in need:
            grid[b] = np.array([acc.get((p, b), 0.0) for p in periods], dtype=float)
        out = pd.DataFrame({"period": pd.to_datetime(periods)})
    else:
        per: dict[tuple[date, str, str], float] = {}
        totals: dict[tuple[date, str], float] = {}
        seen: set[str] = set()
        for p, ch, mk, v in long:
            if ch is None:
                totals[(p, mk)] = totals.get((p, mk), 0.0) + v
            elif ch != "__none__":
                per[(p, ch, mk)] = per.get((p, ch, mk), 0.0) + v
                seen.add(str(ch))
        shares = attribution_shares(con, model)
        chans = sorted(seen | set(shares["channel"])) if channel is None else [channel]
        cells = [(p, c) for p in periods for c in chans]
        share_of = {col: dict(zip(shares["channel"], shares[col].astype(float), strict=True))
                    for col in ("conversion_share", "value_share")}
        for b in need:
            if b in split:
                sh = share_of["value_share" if b == "revenue" else "conversion_share"]
                missing = np.nan if shares.empty else 0.0  # no credit stored at all / none for this channel
                grid[b] = np.array([totals.get((p, b), 0.0) * sh.get(c, missing) for p, c in cells], dtype=float)
            elif b in ("converting_customers", "multi_channel_customers"):
                grid[b] = np.full(len(cells), np.nan)
            else:
                grid[b] = np.array([per.get((p, c, b), 0.0) for p, c in cells], dtype=float)
        out = pd.DataFrame({"period": pd.to_datetime([p for p, _ in cells]),
                            "channel": pd.Series([c for _, c in cells], dtype=object)})
    for k in keys:
        m = metric(k)
        if by_channel and not m.channel_level:
            out[k] = np.nan
        elif m.kind == "ratio":
            num, den = grid[m.numerator], grid[m.denominator]
            with np.errstate(divide="ignore", invalid="ignore"):
                out[k] = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
        else:
            out[k] = grid[k]
    return out


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
        return _frame(_Con(ws), keys, d0, d1, grain, by, channel, lookback_days, model)
    con = Workspace.loaded(ws).connect(read_only=True)
    try:
        return _frame(_Con(con), keys, d0, d1, grain, by, channel, lookback_days, model)
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
