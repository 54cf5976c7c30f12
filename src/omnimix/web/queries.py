"""Analytics read from the workspace warehouse (``DIR/warehouse.duckdb``), read-only.

Connections: one read-only DuckDB database handle with a small pool of cursors (one per concurrent
request). When no request has used the warehouse for ``idle_close_s`` seconds the handle is closed, so
other omnimix commands can take the file's write lock; it reopens on the next request. Results of the
aggregate queries are cached, keyed by the warehouse file's size and modification time plus the query
parameters, so a new load invalidates them.

Result tables written by the analysis stages slot in through :data:`RESULTS`: each page reads its
table when present and otherwise answers "not computed yet — run `omnimix …`".
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from omnimix.config import IDENTIFIER_TYPES
from omnimix.errors import EngineError, OmnimixError
from omnimix.schema import TABLES

log = logging.getLogger("omnimix")
T = TypeVar("T")
MISSING: Any = object()


class WarehouseBusy(OmnimixError):
    """Another process holds the warehouse's write lock; retry shortly."""


@dataclass(frozen=True)
class ResultTable:
    """A workspace table written by an analysis stage and shown by the dashboard.

    Attributes:
        table: table name in the warehouse.
        columns: columns the dashboard reads (all must exist).
        command: the command that writes it (shown in the "not computed yet" state).
    """

    table: str
    columns: tuple[str, ...]
    command: str


RESULTS: dict[str, ResultTable] = {
    "attribution": ResultTable(
        "attribution_results", ("model", "channel", "conversions", "value"),
        "omnimix attribute --workspace DIR --model all"
    ),
    "mmm": ResultTable(
        "mmm_channels",
        (
            "channel",
            "contribution_mean",
            "contribution_lo",
            "contribution_hi",
            "roi_mean",
            "roi_lo",
            "roi_hi",
        ),
        "omnimix mmm fit",
    ),
    "mmm_diagnostics": ResultTable("mmm_diagnostics", ("metric", "value"), "omnimix mmm fit"),
    "mmm_fit": ResultTable("mmm_fit", ("date", "actual", "predicted"), "omnimix mmm fit"),
    "response_curves": ResultTable(
        "response_curves",
        ("channel", "type", "beta", "half_saturation", "slope", "lam", "current_spend"),
        "omnimix mmm fit",
    ),
    "clv": ResultTable(
        "clv_customers",
        ("customer_id", "segment", "clv", "p_alive"),
        "omnimix clv predict --workspace DIR --horizon 52 --time-unit weeks --save",
    ),
    "segment_profiles": ResultTable(
        "segment_profiles", ("segment", "persona"), "omnimix clv segments --workspace DIR --save"
    ),
}


#: Shown where customer-level pages need identity resolution (the canonical ``customers`` table).
IDENTITY_HINT = "no customers yet — run `omnimix resolve` to link identifiers into customers"


def not_computed(key: str, reason: str = "") -> dict[str, Any]:
    """The body answered for a result that is not in the warehouse yet."""
    src = RESULTS[key]
    msg = f"not computed yet — run `{src.command}`"
    if reason:
        msg += f" ({reason})"
    return {"computed": False, "table": src.table, "command": src.command, "message": msg}


class Warehouse:
    """Read-only access to a DuckDB warehouse file with a cursor pool and a result cache.

    Args:
        path: the warehouse file.
        idle_close_s: close the handle after this many idle seconds (frees the file lock).
        cache_size: number of cached query results.
    """

    def __init__(self, path: str | Path, idle_close_s: float = 3.0, cache_size: int = 512) -> None:
        self.path = Path(path)
        self.idle_close_s = idle_close_s
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._free: list[duckdb.DuckDBPyConnection] = []
        self._in_use = 0
        self._last_used = 0.0
        self._stamp: tuple[int, int] | None = None
        self._cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._cache_size = cache_size
        self._tables: dict[str, list[str]] | None = None
        self._stop = threading.Event()
        self._reaper = threading.Thread(target=self._reap, name="omnimix-warehouse-reaper", daemon=True)
        self._reaper.start()

    # ---- connection management ----------------------------------------------------------------
    def exists(self) -> bool:
        return self.path.is_file()

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        wal = self.path.with_name(self.path.name + ".wal")
        wal_m = os.stat(wal).st_mtime_ns if wal.exists() else 0
        return (st.st_size, max(st.st_mtime_ns, wal_m))

    def _close_locked(self) -> None:
        for cur in self._free:
            try:
                cur.close()
            except duckdb.Error:  # pragma: no cover - closing never matters
                pass
        self._free.clear()
        if self._con is not None:
            try:
                self._con.close()
            except duckdb.Error:  # pragma: no cover
                pass
        self._con = None

    def _reap(self) -> None:
        while not self._stop.wait(0.5):
            with self._lock:
                if (
                    self._con is not None
                    and self._in_use == 0
                    and time.monotonic() - self._last_used > self.idle_close_s
                ):
                    self._close_locked()

    def close(self) -> None:
        """Close the handle and stop the idle reaper."""
        self._stop.set()
        with self._lock:
            self._close_locked()

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor from the pool; raises :class:`WarehouseBusy` when the file is write-locked."""
        with self._lock:
            if self._con is None:
                stamp = self._file_stamp()
                if stamp is None:
                    raise OmnimixError(f"no warehouse at {self.path}: load data with `omnimix ingest` first")
                try:
                    self._con = duckdb.connect(str(self.path), read_only=True)
                except duckdb.Error as exc:  # IOException (lock) from another process, or a clash here
                    raise WarehouseBusy(
                        f"the warehouse {self.path} is locked by another omnimix process "
                        f"(a load or a model run is writing); retry in a moment ({exc})"
                    ) from None
                if stamp != self._stamp:
                    self._stamp = stamp
                    self._cache.clear()
                    self._tables = None
            cur = self._free.pop() if self._free else self._con.cursor()
            self._in_use += 1
        try:
            yield cur
        finally:
            with self._lock:
                self._in_use -= 1
                self._last_used = time.monotonic()
                if self._con is not None:
                    self._free.append(cur)
                else:  # pragma: no cover - closed under us; drop the cursor
                    cur.close()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run a query and return rows as dicts."""
        with self.cursor() as cur:
            try:
                res = cur.execute(sql, list(params))
                names = [d[0] for d in res.description or []]
                return [dict(zip(names, r, strict=True)) for r in res.fetchall()]
            except duckdb.Error as exc:
                raise EngineError(f"warehouse query failed: {exc}", sql) from exc

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self.cursor() as cur:
            try:
                row = cur.execute(sql, list(params)).fetchone()
            except duckdb.Error as exc:
                raise EngineError(f"warehouse query failed: {exc}", sql) from exc
        return row[0] if row else None

    def peek(self, key: tuple[Any, ...]) -> Any:
        """The cached value for ``key`` while the handle is open, else :data:`MISSING` (no I/O, no wait)."""
        with self._lock:
            if self._con is None:
                return MISSING
            hit = self._cache.get(key, MISSING)
            if hit is not MISSING:
                self._cache.move_to_end(key)
                self._last_used = time.monotonic()
            return hit

    def cached(self, key: tuple[Any, ...], fn: Callable[[], T]) -> T:
        """``fn()`` memoised under ``key`` until the warehouse file changes."""
        with self.cursor():  # opens (and revalidates the stamp) before the lookup
            with self._lock:
                if key in self._cache:
                    self._cache.move_to_end(key)
                    hit: T = self._cache[key]
                    return hit
            value = fn()
            with self._lock:
                self._cache[key] = value
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
            return value

    # ---- catalogue ---------------------------------------------------------------------------
    def tables(self) -> dict[str, list[str]]:
        """Table name → column names in the ``main`` schema (cached until the file changes)."""
        if not self.exists():
            return {}
        with self.cursor():
            if self._tables is None:
                rows = self.rows(
                    "SELECT table_name, column_name FROM information_schema.columns "
                    "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
                )
                out: dict[str, list[str]] = {}
                for r in rows:
                    out.setdefault(r["table_name"], []).append(r["column_name"])
                self._tables = out
            return self._tables

    def has(self, table: str, columns: Sequence[str] = ()) -> bool:
        cols = self.tables().get(table)
        return cols is not None and all(c in cols for c in columns)

    def count(self, table: str) -> int:
        if not self.has(table):
            return 0
        return int(self.cached(("count", table), lambda: self.scalar(f'SELECT count(*) FROM "{table}"')))

    def result_state(self, key: str) -> dict[str, Any] | None:
        """None when result ``key`` can be read, else the "not computed yet" body."""
        src = RESULTS[key]
        cols = self.tables().get(src.table)
        if cols is None:
            return not_computed(key)
        missing = [c for c in src.columns if c not in cols]
        if missing:
            return not_computed(key, f"table {src.table} lacks columns {', '.join(missing)}")
        if self.count(src.table) == 0:
            return not_computed(key, f"table {src.table} is empty")
        return None


# ---------------------------------------------------------------------------------------------------
# filters


@dataclass(frozen=True)
class Filters:
    """Date range (inclusive) and channel filter; an empty channel tuple means all channels."""

    start: date
    end: date
    channels: tuple[str, ...] = ()

    def key(self) -> tuple[Any, ...]:
        return (self.start.isoformat(), self.end.isoformat(), self.channels)


def data_range(wh: Warehouse) -> tuple[date, date] | None:
    """First and last day with spend or conversions; None when both are empty."""

    def compute() -> tuple[date, date] | None:
        parts = []
        if wh.has("spend"):
            parts.append('SELECT min("date") AS lo, max("date") AS hi FROM spend')
        if wh.has("conversions"):
            parts.append("SELECT min(ts)::DATE AS lo, max(ts)::DATE AS hi FROM conversions")
        if not parts:
            return None
        row = wh.rows(f"SELECT min(lo) AS lo, max(hi) AS hi FROM ({' UNION ALL '.join(parts)})")[0]
        if row["lo"] is None:
            return None
        return (row["lo"], row["hi"])

    return wh.cached(("data_range",), compute)


def default_filters(wh: Warehouse, days: int = 90) -> Filters:
    """The last ``days`` days with data (or the last ``days`` days to today when empty)."""
    rng = data_range(wh) if wh.exists() else None
    end = rng[1] if rng else date.today()
    start = max(rng[0], end - timedelta(days=days - 1)) if rng else end - timedelta(days=days - 1)
    return Filters(start, end)


def _ts_range(f: Filters) -> list[Any]:
    return [
        datetime.combine(f.start, datetime.min.time()),
        datetime.combine(f.end + timedelta(days=1), datetime.min.time()),
    ]


def _chan_clause(f: Filters, col: str = "channel") -> tuple[str, list[Any]]:
    if not f.channels:
        return "", []
    return f" AND list_contains(?, {col})", [list(f.channels)]


# ---------------------------------------------------------------------------------------------------
# people: identifiers → customers


def _id_cols(wh: Warehouse, table: str) -> list[str]:
    cols = wh.tables().get(table, [])
    return [t for t in IDENTIFIER_TYPES if t in cols]


def _fallback_person(alias: str, ids: list[str]) -> str:
    if not ids:
        return "NULL::VARCHAR"
    return "coalesce(" + ", ".join(f"'{t}:' || {alias}.\"{t}\"" for t in ids) + ")"


def _person_sql(wh: Warehouse, table: str, alias: str) -> tuple[str, str]:
    """(joins, person expression) mapping rows of ``table`` to a person.

    Uses the ``identifiers`` table (``omnimix resolve``) when it has rows; identifiers it does not know,
    or a workspace without identity resolution, fall back to the first identifier present in the row
    (``type:value``, in the configured priority order).
    """
    ids = _id_cols(wh, table)
    fallback = _fallback_person(alias, ids)
    if not ids or wh.count("identifiers") == 0:
        return "", fallback
    joins = []
    mapped = []
    for i, t in enumerate(ids):
        joins.append(
            f"LEFT JOIN identifiers _i{i} ON _i{i}.id_type = '{t}' AND _i{i}.id_value = {alias}.\"{t}\""
        )
        mapped.append(f"_i{i}.customer_id")
    return " ".join(joins), "coalesce(" + ", ".join(mapped) + f", {fallback})"


# ---------------------------------------------------------------------------------------------------
# KPIs


def attribution_models(wh: Warehouse) -> list[str]:
    if wh.result_state("attribution") is not None:
        return []
    return [
        r["model"]
        for r in wh.cached(
            ("attr_models",),
            lambda: wh.rows(
                "SELECT DISTINCT model FROM attribution_results WHERE model IS NOT NULL ORDER BY model"
            ),
        )
    ]


def default_model(models: Sequence[str]) -> str | None:
    for m in ("markov", "shapley", "data_driven"):
        if m in models:
            return m
    return models[0] if models else None


def _attr_share(wh: Warehouse, model: str, channels: tuple[str, ...]) -> float | None:
    """Share of attributed value that goes to ``channels`` under ``model``."""
    rows = wh.rows(
        "SELECT sum(value) AS total, sum(CASE WHEN list_contains(?, channel) THEN value END) AS sel "
        "FROM attribution_results WHERE model = ?",
        [list(channels), model],
    )
    total, sel = rows[0]["total"], rows[0]["sel"]
    if not total:
        return None
    return float(sel or 0.0) / float(total)


def _f(x: Any) -> float | None:
    if x is None:
        return None
    v = float(x)
    return v if math.isfinite(v) else None


def _div(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def kpis(wh: Warehouse, f: Filters, lookback_days: int = 30, model: str | None = None) -> dict[str, Any]:
    """Headline KPIs for the Overview page.

    spend and conversions/revenue over [start, end]; CAC = spend / new customers; LTV = mean predicted
    CLV (``clv_customers``) or historical revenue per customer; ROAS = attributed revenue / spend
    (needs ``attribution_results``); MER = all revenue / all spend; cross-channel conversion = share of
    converting people touched by >= 2 channels in the lookback window before the range end.
    """
    return wh.cached(("kpis", *f.key(), lookback_days, model), lambda: _kpis(wh, f, lookback_days, model))


def _kpis(wh: Warehouse, f: Filters, lookback_days: int, model: str | None) -> dict[str, Any]:
    notes: list[dict[str, str]] = []
    ts = _ts_range(f)
    spend_all = spend_sel = 0.0
    if wh.has("spend"):
        chan, cp = _chan_clause(f)
        row = wh.rows(
            "SELECT sum(spend) AS s_all, sum(CASE WHEN true" + chan + " THEN spend END) AS s_sel "
            'FROM spend WHERE "date" BETWEEN ? AND ?',
            [*cp, f.start, f.end],
        )[0]
        spend_all = float(row["s_all"] or 0.0)
        spend_sel = float(row["s_sel"] or 0.0)
    revenue_all = 0.0
    conversions = 0
    converting = 0
    new_customers = 0
    conv_joins, conv_person = _person_sql(wh, "conversions", "c") if wh.has("conversions") else ("", "NULL")
    if wh.has("conversions"):
        row = wh.rows(
            f"SELECT sum(c.value) AS rev, count(*) AS n, count(DISTINCT {conv_person}) AS people "
            f"FROM conversions c {conv_joins} WHERE c.ts >= ? AND c.ts < ?",
            ts,
        )[0]
        revenue_all = float(row["rev"] or 0.0)
        conversions = int(row["n"])
        converting = int(row["people"])
    if wh.count("customers") > 0:
        new_customers = int(
            wh.scalar("SELECT count(*) FROM customers WHERE first_seen >= ? AND first_seen < ?", ts) or 0
        )
        new_source = "customers"
    elif wh.has("conversions"):
        new_customers = int(
            wh.scalar(
                f"SELECT count(*) FROM (SELECT {conv_person} AS p, min(c.ts) AS first_ts FROM conversions c "
                f"{conv_joins} GROUP BY 1) WHERE p IS NOT NULL AND first_ts >= ? AND first_ts < ?",
                ts,
            )
            or 0
        )
        new_source = "identifiers"
    else:
        new_source = "none"
    # revenue for the channel selection
    models = attribution_models(wh)
    model = model if model in models else default_model(models)
    revenue_sel: float | None = revenue_all
    roas: float | None = None
    if model is not None:
        share = _attr_share(wh, model, f.channels) if f.channels else 1.0
        revenue_sel = None if share is None else revenue_all * share
        roas = _div(revenue_sel, spend_sel)
    else:
        notes.append({"metric": "roas", **_hint("attribution")})
        if f.channels:
            revenue_sel = None
            notes.append(
                {
                    "metric": "revenue",
                    "message": "revenue cannot be split by channel without "
                    "attribution results — " + _hint("attribution")["message"],
                }
            )
    # LTV
    ltv: float | None
    if wh.result_state("clv") is None:
        ltv = _f(wh.scalar("SELECT avg(clv) FROM clv_customers"))
        ltv_source = "clv_customers"
    elif wh.has("conversions"):
        row = wh.rows(
            f"SELECT sum(c.value) AS rev, count(DISTINCT {conv_person}) AS people "
            f"FROM conversions c {conv_joins}"
        )[0]
        ltv = _div(_f(row["rev"]), float(row["people"] or 0))
        ltv_source = "historical"
        notes.append(
            {
                "metric": "ltv",
                "message": "historical revenue per customer; predicted CLV is " + _hint("clv")["message"],
            }
        )
    else:
        ltv, ltv_source = None, "none"
    cac = _div(spend_sel if f.channels else spend_all, float(new_customers) if new_customers else None)
    cross = cross_channel(wh, f, lookback_days)
    return {
        "start": f.start.isoformat(),
        "end": f.end.isoformat(),
        "channels": list(f.channels),
        "spend": spend_sel if f.channels else spend_all,
        "spend_total": spend_all,
        "revenue": revenue_sel,
        "revenue_total": revenue_all,
        "conversions": conversions,
        "converting_customers": converting,
        "new_customers": new_customers,
        "new_customers_source": new_source,
        "cac": cac,
        "ltv": ltv,
        "ltv_source": ltv_source,
        "ltv_cac": _div(ltv, cac),
        "roas": roas,
        "attribution_model": model,
        "mer": _div(revenue_all, spend_all),
        "cross_channel_rate": cross["rate"],
        "multi_channel_customers": cross["multi_channel"],
        "notes": notes,
    }


def _hint(key: str) -> dict[str, str]:
    nc = not_computed(key)
    return {"message": nc["message"]}


def cross_channel(wh: Warehouse, f: Filters, lookback_days: int = 30) -> dict[str, Any]:
    """Converting people in the range and how many were touched by >= 2 channels.

    A touch counts when it falls between ``start - lookback_days`` and the range end.
    """
    if not (wh.has("conversions") and wh.has("touchpoints")):
        return {"converting": 0, "multi_channel": 0, "rate": None}
    cj, cp = _person_sql(wh, "conversions", "c")
    tj, tp = _person_sql(wh, "touchpoints", "t")
    ts = _ts_range(f)
    t0 = ts[0] - timedelta(days=lookback_days)
    row = wh.rows(
        f"WITH conv AS (SELECT DISTINCT {cp} AS p FROM conversions c {cj} WHERE c.ts >= ? AND c.ts < ?), "
        f"touch AS (SELECT {tp} AS p, count(DISTINCT t.channel) AS n FROM touchpoints t {tj} "
        f"WHERE t.ts >= ? AND t.ts < ? GROUP BY 1) "
        "SELECT count(*) AS converting, count(*) FILTER (WHERE touch.n >= 2) AS multi "
        "FROM conv LEFT JOIN touch ON conv.p = touch.p WHERE conv.p IS NOT NULL",
        [*ts, t0, ts[1]],
    )[0]
    n = int(row["converting"])
    m = int(row["multi"])
    return {"converting": n, "multi_channel": m, "rate": (m / n) if n else None}


def funnel(wh: Warehouse, f: Filters, stages: Sequence[str]) -> list[dict[str, Any]]:
    """Touchpoints and distinct people per funnel stage (configured order), then conversions."""

    def compute() -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        ts = _ts_range(f)
        if wh.has("touchpoints", ["stage"]):
            tj, tp = _person_sql(wh, "touchpoints", "t")
            chan, cp = _chan_clause(f, "t.channel")
            rows = wh.rows(
                f"SELECT coalesce(t.stage, 'unknown') AS stage, count(*) AS events, "
                f"count(DISTINCT {tp}) AS people FROM touchpoints t {tj} "
                f"WHERE t.ts >= ? AND t.ts < ?{chan} GROUP BY 1",
                [*ts, *cp],
            )
            by = {r["stage"]: r for r in rows}
            order = list(stages) + sorted(s for s in by if s not in stages)
            out = [
                {
                    "stage": s,
                    "events": int(by[s]["events"]) if s in by else 0,
                    "people": int(by[s]["people"]) if s in by else 0,
                }
                for s in order
            ]
        if wh.has("conversions"):
            cj, cpers = _person_sql(wh, "conversions", "c")
            row = wh.rows(
                f"SELECT count(*) AS events, count(DISTINCT {cpers}) AS people FROM conversions c {cj} "
                "WHERE c.ts >= ? AND c.ts < ?",
                ts,
            )[0]
            out.append({"stage": "conversion", "events": int(row["events"]), "people": int(row["people"])})
        return out

    return wh.cached(("funnel", *f.key(), tuple(stages)), compute)


def trend(wh: Warehouse, f: Filters, grain: str = "auto") -> dict[str, Any]:
    """Spend, revenue and conversions per day or week (``auto``: weeks beyond 120 days)."""
    if grain == "auto":
        grain = "week" if (f.end - f.start).days > 120 else "day"
    if grain not in ("day", "week"):
        raise ValueError(f"grain {grain!r}: use day, week or auto")

    def compute() -> dict[str, Any]:
        bucket = "date_trunc('week', {c})::DATE" if grain == "week" else "{c}::DATE"
        spend: dict[date, float] = {}
        rev: dict[date, float] = {}
        conv: dict[date, int] = {}
        if wh.has("spend"):
            chan, cp = _chan_clause(f)
            b_spend = bucket.format(c='"date"')
            for r in wh.rows(
                f"SELECT {b_spend} AS d, sum(spend) AS s FROM spend "
                f'WHERE "date" BETWEEN ? AND ?{chan} GROUP BY 1',
                [f.start, f.end, *cp],
            ):
                spend[r["d"]] = float(r["s"] or 0.0)
        if wh.has("conversions"):
            b_conv = bucket.format(c="ts")
            for r in wh.rows(
                f"SELECT {b_conv} AS d, sum(value) AS v, count(*) AS n "
                "FROM conversions WHERE ts >= ? AND ts < ? GROUP BY 1",
                _ts_range(f),
            ):
                rev[r["d"]] = float(r["v"] or 0.0)
                conv[r["d"]] = int(r["n"])
        days = sorted(set(spend) | set(rev))
        return {
            "grain": grain,
            "dates": [d.isoformat() for d in days],
            "spend": [spend.get(d, 0.0) for d in days],
            "revenue": [rev.get(d, 0.0) for d in days],
            "conversions": [conv.get(d, 0) for d in days],
            "revenue_scope": "all channels",
        }

    return wh.cached(("trend", *f.key(), grain), compute)


def by_channel(wh: Warehouse, f: Filters, model: str | None = None) -> list[dict[str, Any]]:
    """Per channel: spend, impressions, clicks, touchpoints and, with attribution results, ROAS."""

    def compute() -> list[dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        if wh.has("spend"):
            chan, cp = _chan_clause(f)
            for r in wh.rows(
                "SELECT channel, sum(spend) AS spend, sum(impressions) AS impressions, "
                f'sum(clicks) AS clicks FROM spend WHERE "date" BETWEEN ? AND ?{chan} '
                "GROUP BY 1",
                [f.start, f.end, *cp],
            ):
                out[r["channel"]] = {
                    "channel": r["channel"],
                    "spend": float(r["spend"] or 0.0),
                    "impressions": int(r["impressions"] or 0),
                    "clicks": int(r["clicks"] or 0),
                }
        if wh.has("touchpoints"):
            chan, cp = _chan_clause(f)
            for r in wh.rows(
                f"SELECT channel, count(*) AS n FROM touchpoints WHERE ts >= ? AND ts < ?{chan} GROUP BY 1",
                [*_ts_range(f), *cp],
            ):
                out.setdefault(
                    r["channel"], {"channel": r["channel"], "spend": 0.0, "impressions": 0, "clicks": 0}
                )["touchpoints"] = int(r["n"])
        models = attribution_models(wh)
        m = model if model in models else default_model(models)
        if m is not None and wh.has("conversions"):
            rev = float(
                wh.scalar(
                    "SELECT coalesce(sum(value), 0) FROM conversions WHERE ts >= ? AND ts < ?", _ts_range(f)
                )
                or 0.0
            )
            rows = wh.rows(
                "SELECT channel, sum(conversions) AS conv, sum(value) AS value FROM attribution_results "
                "WHERE model = ? GROUP BY 1",
                [m],
            )
            total = sum(float(r["value"] or 0.0) for r in rows)
            for r in rows:
                if f.channels and r["channel"] not in f.channels:
                    continue
                d = out.setdefault(
                    r["channel"], {"channel": r["channel"], "spend": 0.0, "impressions": 0, "clicks": 0}
                )
                d["attributed_conversions"] = _f(r["conv"])
                d["attributed_revenue"] = rev * float(r["value"] or 0.0) / total if total else None
                d["roas"] = _div(d["attributed_revenue"], d["spend"])
        for d in out.values():
            d.setdefault("touchpoints", 0)
            d["attribution_model"] = m
        return sorted(out.values(), key=lambda d: -d["spend"])

    return wh.cached(("by_channel", *f.key(), model), compute)


def channels(wh: Warehouse) -> list[str]:
    """Every channel seen in spend or touchpoints."""

    def compute() -> list[str]:
        parts = [
            f"SELECT DISTINCT channel FROM {t}" for t in ("spend", "touchpoints") if wh.has(t, ["channel"])
        ]
        if not parts:
            return []
        return [r["channel"] for r in wh.rows(" UNION ".join(parts) + " ORDER BY 1") if r["channel"]]

    return wh.cached(("channels",), compute)


# ---------------------------------------------------------------------------------------------------
# data quality


def table_counts(wh: Warehouse) -> list[dict[str, Any]]:
    """Row counts of the canonical tables and of every result table present."""
    names = list(TABLES) + [r.table for r in RESULTS.values()]
    return [
        {
            "table": n,
            "rows": wh.count(n),
            "present": wh.has(n),
            "kind": "canonical" if n in TABLES else "result",
        }
        for n in names
    ]


def loads(
    wh: Warehouse, offset: int, limit: int, target_table: str | None = None
) -> tuple[int, list[dict[str, Any]]]:
    if not wh.has("loads"):
        return 0, []
    where, params = ("WHERE target_table = ?", [target_table]) if target_table else ("", [])
    total = int(wh.scalar(f"SELECT count(*) FROM loads {where}", params) or 0)
    rows = wh.rows(
        f"SELECT * FROM loads {where} ORDER BY loaded_at DESC NULLS LAST, load_id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return total, rows


def quarantine_summary(wh: Warehouse) -> list[dict[str, Any]]:
    if not wh.has("quarantine"):
        return []
    return wh.cached(
        ("q_summary",),
        lambda: wh.rows(
            "SELECT target_table, reason, count(*) AS rows FROM quarantine "
            "GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2"
        ),
    )


def quarantine_rows(
    wh: Warehouse,
    offset: int,
    limit: int,
    load_id: str | None = None,
    target_table: str | None = None,
    reason: str | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    if not wh.has("quarantine"):
        return 0, []
    conds, params = [], []
    for col, val in (("load_id", load_id), ("target_table", target_table), ("reason", reason)):
        if val:
            conds.append(f"{col} = ?")
            params.append(val)
    where = ("WHERE " + " AND ".join(conds)) if conds else ""
    total = int(wh.scalar(f"SELECT count(*) FROM quarantine {where}", params) or 0)
    rows = wh.rows(
        f"SELECT * FROM quarantine {where} ORDER BY loaded_at DESC NULLS LAST, source_file, line "
        "LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return total, rows


# ---------------------------------------------------------------------------------------------------
# customers and PII masking

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*(@[A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_PHONE = re.compile(r"(\+?\d{2,4})[\d -]{4,}(\d{4})")


def mask_text(text: str | None) -> str | None:
    """Mask e-mail addresses and phone numbers inside free text (e.g. a quarantined raw row)."""
    if text is None:
        return None
    return _PHONE.sub(r"\1****\2", _EMAIL.sub(r"\1***\2", text))


def mask_identifier(id_type: str, value: str | None) -> str | None:
    """Mask an identifier for display: e-mail ``a***@x.com``, phone ``+86****1234``, hashes cut short."""
    if value is None:
        return None
    if re.fullmatch(r"[0-9a-f]{64}", value):
        return value[:10] + "…"  # SHA-256 from ingestion: not PII any more, shortened for reading
    if id_type == "email" or "@" in value:
        return mask_text(value)
    if id_type == "phone":
        digits = re.sub(r"\D", "", value)
        return (value[:3] if value.startswith("+") else "") + "****" + digits[-4:]
    if id_type in ("openid", "unionid", "device_id", "anonymous_id") and len(value) > 8:
        return value[:4] + "…" + value[-2:]
    return value


def customers(
    wh: Warehouse, q: str | None, segment: str | None, offset: int, limit: int
) -> tuple[int, list[dict[str, Any]]]:
    """Customers (from ``customers``) with predicted CLV when present; search by id or identifier."""
    if wh.count("customers") == 0:
        return 0, []
    with_clv = wh.result_state("clv") is None
    join = "LEFT JOIN clv_customers k ON k.customer_id = c.customer_id" if with_clv else ""
    sel = (
        ", k.clv, k.p_alive, coalesce(k.segment, c.segment) AS segment"
        if with_clv
        else ", NULL::DOUBLE AS clv, NULL::DOUBLE AS p_alive, c.segment"
    )
    conds, params = [], []
    if q:
        conds.append(
            "(c.customer_id = ? OR c.customer_id IN (SELECT customer_id FROM identifiers WHERE id_value = ?))"
            if wh.has("identifiers")
            else "c.customer_id = ?"
        )
        params += [q, q] if wh.has("identifiers") else [q]
    if segment:
        conds.append(("coalesce(k.segment, c.segment)" if with_clv else "c.segment") + " = ?")
        params.append(segment)
    where = ("WHERE " + " AND ".join(conds)) if conds else ""
    total = int(wh.scalar(f"SELECT count(*) FROM customers c {join} {where}", params) or 0)
    order = "k.clv DESC NULLS LAST, c.customer_id" if with_clv else "c.revenue DESC NULLS LAST, c.customer_id"
    rows = wh.rows(
        f"SELECT c.customer_id, c.first_seen, c.last_seen, c.channels, c.orders, c.revenue{sel} "
        f"FROM customers c {join} {where} ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return total, rows


def customer_profile(wh: Warehouse, customer_id: str, reveal: bool) -> dict[str, Any] | None:
    """One customer with identifiers (masked unless ``reveal``), CLV and touch channels."""
    if wh.count("customers") == 0:
        return None
    rows = wh.rows("SELECT * FROM customers WHERE customer_id = ?", [customer_id])
    if not rows:
        return None
    out = dict(rows[0])
    ids = []
    if wh.has("identifiers"):
        for r in wh.rows(
            "SELECT id_type, id_value, first_seen, last_seen FROM identifiers "
            "WHERE customer_id = ? ORDER BY id_type, id_value",
            [customer_id],
        ):
            r["id_value"] = r["id_value"] if reveal else mask_identifier(r["id_type"], r["id_value"])
            ids.append(r)
    out["identifiers"] = ids
    out["pii_revealed"] = reveal
    if wh.result_state("clv") is None:
        k = wh.rows("SELECT segment, clv, p_alive FROM clv_customers WHERE customer_id = ?", [customer_id])
        out["clv"] = k[0] if k else None
    else:
        out["clv"] = None
    return out


# ---------------------------------------------------------------------------------------------------
# results


def attribution(wh: Warehouse, model: str | None = None) -> dict[str, Any]:
    state = wh.result_state("attribution")
    if state is not None:
        return {**state, "models": [], "items": []}
    models = attribution_models(wh)
    params: list[Any] = []
    where = ""
    if model:
        where, params = "WHERE model = ?", [model]
    rows = wh.rows(
        f"SELECT model, channel, sum(conversions) AS conversions, sum(value) AS value "
        f"FROM attribution_results {where} GROUP BY 1, 2 ORDER BY 1, 4 DESC",
        params,
    )
    return {"computed": True, "models": models, "items": rows}


def mmm_channels(wh: Warehouse) -> dict[str, Any]:
    state = wh.result_state("mmm")
    if state is not None:
        return {**state, "items": []}
    cols = ", ".join(RESULTS["mmm"].columns)
    return {
        "computed": True,
        "items": wh.rows(f"SELECT {cols} FROM mmm_channels ORDER BY contribution_mean DESC"),
    }


def mmm_diagnostics(wh: Warehouse) -> dict[str, Any]:
    state = wh.result_state("mmm_diagnostics")
    diag: dict[str, Any] = (
        {**state, "items": []}
        if state
        else {"computed": True, "items": wh.rows("SELECT metric, value FROM mmm_diagnostics ORDER BY metric")}
    )
    fit_state = wh.result_state("mmm_fit")
    diag["fit"] = None if fit_state else wh.rows("SELECT date, actual, predicted FROM mmm_fit ORDER BY date")
    return diag


def curve_value(
    kind: str, x: float, beta: float, half_saturation: float | None, slope: float | None, lam: float | None
) -> float:
    """Response at spend ``x``: Hill ``β·x^s/(x^s+K^s)`` or logistic ``β·(1−e^{−λx})/(1+e^{−λx})``."""
    if kind == "hill":
        if half_saturation is None or slope is None or half_saturation <= 0:
            raise ValueError("hill curve needs half_saturation > 0 and slope")
        if x <= 0:
            return 0.0
        return float(beta / (1.0 + (half_saturation / x) ** slope))
    if kind == "logistic":
        if lam is None:
            raise ValueError("logistic curve needs lam")
        e = math.exp(-lam * x)
        return beta * (1.0 - e) / (1.0 + e)
    raise ValueError(f"curve type {kind!r}: use hill or logistic")


def response_curves(wh: Warehouse, points: int = 40) -> dict[str, Any]:
    """Curve parameters per channel plus ``points`` evaluated points from 0 to 2.5× current spend."""
    state = wh.result_state("response_curves")
    if state is not None:
        return {**state, "items": []}
    cols = ", ".join(RESULTS["response_curves"].columns)
    items = []
    for r in wh.rows(f"SELECT {cols} FROM response_curves ORDER BY channel"):
        cur = _f(r["current_spend"]) or 0.0
        top = cur * 2.5 if cur > 0 else (_f(r["half_saturation"]) or 1.0) * 3
        xs = [top * i / (points - 1) for i in range(points)]
        try:
            ys: list[float | None] = [
                curve_value(
                    str(r["type"]),
                    x,
                    float(r["beta"]),
                    _f(r["half_saturation"]),
                    _f(r["slope"]),
                    _f(r["lam"]),
                )
                for x in xs
            ]
            error = None
        except (ValueError, TypeError, OverflowError) as exc:
            ys, error = [], str(exc)
        items.append({**r, "x": xs, "y": ys, "error": error})
    return {"computed": True, "items": items}


def curves_for_optimizer(wh: Warehouse) -> dict[str, dict[str, Any]]:
    """``response_curves`` rows as the ``channels`` mapping of the optimizer's CURVES.json."""
    state = wh.result_state("response_curves")
    if state is not None:
        raise OmnimixError(state["message"])
    out: dict[str, dict[str, Any]] = {}
    cols = ", ".join(RESULTS["response_curves"].columns)
    for r in wh.rows(f"SELECT {cols} FROM response_curves ORDER BY channel"):
        entry: dict[str, Any] = {
            "type": r["type"],
            "beta": _f(r["beta"]),
            "current_spend": _f(r["current_spend"]),
        }
        if r["type"] == "hill":
            entry.update(half_saturation=_f(r["half_saturation"]), slope=_f(r["slope"]))
        else:
            entry["lam"] = _f(r["lam"])
        out[str(r["channel"])] = entry
    return out


def segments(wh: Warehouse) -> dict[str, Any]:
    """Segments with size, mean CLV, mean P(alive), share of total CLV and persona when present."""
    state = wh.result_state("clv")
    if state is not None:
        return {**state, "items": []}
    with_p = wh.result_state("segment_profiles") is None
    rows = wh.rows(
        "SELECT coalesce(k.segment, 'unsegmented') AS segment, count(*) AS customers, avg(k.clv) AS avg_clv, "
        "sum(k.clv) AS total_clv, avg(k.p_alive) AS avg_p_alive"
        + (", any_value(p.persona) AS persona" if with_p else ", NULL AS persona")
        + " FROM clv_customers k"
        + (" LEFT JOIN segment_profiles p ON p.segment = k.segment" if with_p else "")
        + " GROUP BY 1 ORDER BY total_clv DESC NULLS LAST"
    )
    total = sum(float(r["total_clv"] or 0.0) for r in rows)
    for r in rows:
        r["share_clv"] = _div(_f(r["total_clv"]), total)
    return {"computed": True, "items": rows}


def clv_customers(wh: Warehouse, segment: str | None, offset: int, limit: int) -> dict[str, Any]:
    state = wh.result_state("clv")
    if state is not None:
        return {**state, "items": [], "total": 0}
    where, params = ("WHERE segment = ?", [segment]) if segment else ("", [])
    total = int(wh.scalar(f"SELECT count(*) FROM clv_customers {where}", params) or 0)
    rows = wh.rows(
        f"SELECT customer_id, segment, clv, p_alive FROM clv_customers {where} "
        "ORDER BY clv DESC NULLS LAST, customer_id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return {"computed": True, "items": rows, "total": total}


def status(wh: Warehouse) -> dict[str, Any]:
    """Workspace status: warehouse presence, table counts, result availability, data range, last load."""
    if not wh.exists():
        return {
            "warehouse": str(wh.path),
            "exists": False,
            "tables": [],
            "results": {},
            "data_range": None,
            "last_load": None,
        }
    rng = data_range(wh)
    last = loads(wh, 0, 1)[1]
    results = {}
    for key, src in RESULTS.items():
        st = wh.result_state(key)
        results[key] = {
            "table": src.table,
            "computed": st is None,
            "rows": wh.count(src.table),
            "message": None if st is None else st["message"],
        }
    return {
        "warehouse": str(wh.path),
        "exists": True,
        "tables": table_counts(wh),
        "results": results,
        "data_range": None if rng is None else {"start": rng[0].isoformat(), "end": rng[1].isoformat()},
        "last_load": last[0] if last else None,
        "quarantine_rows": wh.count("quarantine"),
    }
