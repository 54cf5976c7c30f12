"""Baselines of plan KPIs from the warehouse: the value of each KPI over the last 52 weeks of data.

The window ends on the newest day in ``conversions`` (or ``spend``) and spans 364 days; every value is
one aggregate read through :class:`~omnimix.workspace.Workspace` (a read-only connection, dates bound
as parameters). A KPI whose tables are missing or empty has no baseline (``None``) and the reason says
which command writes them.

| KPI | definition over the window |
|---|---|
| revenue, orders, conversions, aov | ``sum(value)``, purchases, all conversions, revenue / orders (``conversions``) |
| new_customers, customers | first order in the window; an order in the window (``customers``) |
| spend, ctr | ``sum(spend)``; ``sum(clicks) / sum(impressions)`` (``spend``) |
| cac, roas, roi | spend / new customers; revenue / spend; (revenue − spend) / spend |
| leads, mql, sql, opportunities, cpl | contacts created in the window at that stage or later; spend / leads |
| conversion_rate | converted journeys / journeys ending in the window (``journeys``) |
| traffic | touchpoints in the window (``touchpoints``) |
| retention_rate, churn_rate | of customers whose first order is before the window: share ordering in it; 1 − that |
| repeat_rate | customers with 2+ orders / customers with 1+ |
| clv | mean predicted CLV (``clv_customers``), else mean revenue per customer |
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omnimix.workspace import Workspace

WINDOW_DAYS = 364
#: Lifecycle stages in order; a contact at a later stage counts at every earlier one.
STAGES = ("subscriber", "lead", "mql", "sql", "opportunity", "customer", "evangelist")
_STAGE_ALIASES = {"marketingqualifiedlead": "mql", "salesqualifiedlead": "sql", "advocate": "evangelist",
                  "marketing_qualified_lead": "mql", "sales_qualified_lead": "sql"}
_STAGE_OF = {"leads": "lead", "mql": "mql", "sql": "sql", "opportunities": "opportunity"}


@dataclass(frozen=True)
class Baselines:
    """KPI values of the last 52 weeks of a workspace.

    Attributes:
        start, end: the window (inclusive); None when the warehouse has no dated rows.
        values: KPI key → value (only KPIs the warehouse could compute).
        missing: KPI key → why it has no value and the fix.
        counts: the raw aggregates the values were computed from (revenue, orders, spend, …).
        history: KPI → its year-over-year change (revenue, orders, spend; not new customers, whose first
            orders pile up at the start of the data): the last ``n``
            days against the same ``n`` days a year earlier, ``n`` as much of 364 as the data covers
            (at least 28); the history a target is set against.
    """

    start: dt.date | None
    end: dt.date | None
    values: dict[str, float] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    counts: dict[str, float] = field(default_factory=dict)
    history: dict[str, float] = field(default_factory=dict)

    def get(self, kpi: str) -> float | None:
        """The KPI's baseline, or None."""
        return self.values.get(kpi)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"start": None if self.start is None else self.start.isoformat(),
                "end": None if self.end is None else self.end.isoformat(),
                "values": dict(self.values), "missing": dict(self.missing)}


def _one(con: Any, sql: str, params: tuple[Any, ...] = ()) -> Any:
    row = con.execute(sql, list(params)).fetchone()
    return None if row is None else row[0]


def _div(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return float(a) / float(b)


def _stage_rank(stage: Any) -> int:
    s = str(stage or "").strip().lower().replace(" ", "")
    s = _STAGE_ALIASES.get(s, s)
    return STAGES.index(s) if s in STAGES else -1


def read_baselines(workspace: Workspace | str | Path) -> Baselines:
    """The KPI values of the last 52 weeks of the workspace's warehouse (see the module's table)."""
    ws = Workspace.of(workspace)
    if not ws.warehouse_path.exists():
        return Baselines(None, None, missing={"*": f"{ws.warehouse_path} does not exist: run `omnimix ingest` first"})
    present = set(ws.tables())
    con = ws.connect(read_only=True)
    try:
        return _compute(con, present)
    finally:
        con.close()


def _compute(con: Any, present: set[str]) -> Baselines:
    end: dt.date | None = None
    for table, col in (("conversions", "ts"), ("spend", "date")):
        if table in present:
            v = _one(con, f'select max(cast("{col}" as date)) from "{table}"')
            if v is not None:
                end = v if end is None else max(end, v)
    if end is None:
        return Baselines(None, None, missing={"*": "the warehouse has no conversions or spend: run `omnimix ingest`"})
    start = end - dt.timedelta(days=WINDOW_DAYS - 1)
    win = (start, end)
    c: dict[str, float] = {}
    missing: dict[str, str] = {}
    if "conversions" in present:
        c["revenue"] = float(_one(con, "select coalesce(sum(value), 0) from conversions where cast(ts as date) "
                                       "between ? and ?", win) or 0.0)
        c["conversions"] = float(_one(con, "select count(*) from conversions where cast(ts as date) between ? and ?",
                                      win) or 0)
        c["orders"] = float(_one(con, "select count(*) from conversions where cast(ts as date) between ? and ? "
                                      "and (type is null or lower(type) in ('purchase', 'order'))", win) or 0)
    if "spend" in present:
        c["spend"] = float(_one(con, "select coalesce(sum(spend), 0) from spend where date between ? and ?",
                                win) or 0.0)
        clicks = _one(con, "select sum(clicks) from spend where date between ? and ?", win)
        imps = _one(con, "select sum(impressions) from spend where date between ? and ?", win)
        if clicks is not None and imps:
            c["clicks"], c["impressions"] = float(clicks), float(imps)
    if "customers" in present:
        c["new_customers"] = float(_one(con, "select count(*) from customers where cast(first_order_at as date) "
                                             "between ? and ?", win) or 0)
        c["customers"] = float(_one(con, "select count(*) from customers where cast(last_order_at as date) >= ?",
                                    (start,)) or 0)
        before = _one(con, "select count(*) from customers where cast(first_order_at as date) < ?", (start,)) or 0
        kept = _one(con, "select count(*) from customers where cast(first_order_at as date) < ? and "
                         "cast(last_order_at as date) >= ?", (start, start)) or 0
        buyers = _one(con, "select count(*) from customers where orders >= 1") or 0
        repeat = _one(con, "select count(*) from customers where orders >= 2") or 0
        if before:
            c["retention_rate"] = kept / before
        if buyers:
            c["repeat_rate"] = repeat / buyers
            c["revenue_per_customer"] = float(_one(con, "select avg(revenue) from customers where orders >= 1") or 0)
    if "clv_customers" in present:
        v = _one(con, "select avg(clv) from clv_customers")
        if v is not None:
            c["clv"] = float(v)
    if "contacts" in present:
        rows = con.execute("select lifecycle_stage, count(*) from contacts where created_at is null or "
                           "cast(created_at as date) between ? and ? group by 1", list(win)).fetchall()
        won = sum(int(k) for s, k in rows if _stage_rank(s) >= STAGES.index("customer"))
        if won:
            c["won"] = float(won)
        for kpi, stage in _STAGE_OF.items():
            need = STAGES.index(stage)
            n = sum(int(k) for s, k in rows if _stage_rank(s) >= need)
            if n:
                c[kpi] = float(n)
    if "journeys" in present:
        tot = _one(con, "select count(*) from journeys where conversion_ts is null or cast(conversion_ts as date) "
                        "between ? and ?", win)
        conv = _one(con, "select count(*) from journeys where converted and cast(conversion_ts as date) "
                         "between ? and ?", win)
        if tot:
            c["conversion_rate"] = float(conv or 0) / float(tot)
    if "touchpoints" in present:
        c["traffic"] = float(_one(con, "select count(*) from touchpoints where cast(ts as date) between ? and ?",
                                  win) or 0)
    history = _history(con, present, end)
    values = _derive(c)
    for key, why in _WHY.items():
        if key not in values:
            missing[key] = why
    return Baselines(start, end, {k: v for k, v in values.items() if v is not None}, missing, c, history)


def _history(con: Any, present: set[str], end: dt.date) -> dict[str, float]:
    """Year-over-year change of the flow KPIs over the longest span the data covers twice."""
    first: dt.date | None = None
    for table, col in (("conversions", "ts"), ("spend", "date")):
        if table in present:
            v = _one(con, f'select min(cast("{col}" as date)) from "{table}"')
            if v is not None:
                first = v if first is None else min(first, v)
    if first is None:
        return {}
    n = min(WINDOW_DAYS, (end - first).days + 1 - 364)
    if n < 28:
        return {}
    now = (end - dt.timedelta(days=n - 1), end)
    then = (now[0] - dt.timedelta(days=364), end - dt.timedelta(days=364))
    sql = {
        "revenue": ("conversions", "select coalesce(sum(value), 0) from conversions "
                                   "where cast(ts as date) between ? and ?"),
        "orders": ("conversions", "select count(*) from conversions where cast(ts as date) between ? and ?"),
        "spend": ("spend", "select coalesce(sum(spend), 0) from spend where date between ? and ?"),
    }
    out: dict[str, float] = {}
    for kpi, (table, q) in sql.items():
        if table not in present:
            continue
        a, b = float(_one(con, q, now) or 0), float(_one(con, q, then) or 0)
        if b > 0:
            out[kpi] = a / b - 1.0
    return out


def _derive(c: dict[str, float]) -> dict[str, float]:
    v: dict[str, float | None] = {k: c.get(k) for k in ("revenue", "orders", "conversions", "spend", "new_customers",
                                                        "customers", "leads", "mql", "sql", "opportunities",
                                                        "conversion_rate", "traffic", "retention_rate",
                                                        "repeat_rate")}
    v["aov"] = _div(c.get("revenue"), c.get("orders"))
    v["cac"] = _div(c.get("spend"), c.get("new_customers"))
    v["cpl"] = _div(c.get("spend"), c.get("leads"))
    v["roas"] = _div(c.get("revenue"), c.get("spend"))
    roas = v["roas"]
    v["roi"] = None if roas is None else roas - 1.0
    v["ctr"] = _div(c.get("clicks"), c.get("impressions"))
    v["mql_rate"] = _div(c.get("mql"), c.get("leads"))
    v["sql_rate"] = _div(c.get("sql"), c.get("mql"))
    v["win_rate"] = _div(c.get("won"), c.get("sql"))
    v["spend_ratio"] = _div(c.get("spend"), c.get("revenue"))
    v["churn_rate"] = None if c.get("retention_rate") is None else 1.0 - c["retention_rate"]
    v["clv"] = c.get("clv", c.get("revenue_per_customer"))
    return {k: float(x) for k, x in v.items() if x is not None}


_WHY = {
    "revenue": "no conversions: load orders with `omnimix ingest`",
    "orders": "no conversions: load orders with `omnimix ingest`",
    "conversions": "no conversions: load them with `omnimix ingest`",
    "aov": "no orders in the window: load orders with `omnimix ingest`",
    "spend": "no spend: load ad platform reports with `omnimix ingest`",
    "new_customers": "no customers table: run `omnimix resolve`",
    "customers": "no customers table: run `omnimix resolve`",
    "cac": "needs spend and new customers: load spend, then run `omnimix resolve`",
    "roas": "needs spend and conversions: load both with `omnimix ingest`",
    "roi": "needs spend and conversions: load both with `omnimix ingest`",
    "leads": "no contacts at stage lead or later: load CRM contacts with `omnimix ingest`",
    "mql": "no contacts at stage MQL or later: load CRM contacts with lifecycle stages",
    "sql": "no contacts at stage SQL or later: load CRM contacts with lifecycle stages",
    "opportunities": "no contacts at stage opportunity or later: load CRM contacts with lifecycle stages",
    "cpl": "needs spend and leads: load spend and CRM contacts",
    "mql_rate": "needs contacts at stages lead and MQL: load CRM contacts with lifecycle stages",
    "sql_rate": "needs contacts at stages MQL and SQL: load CRM contacts with lifecycle stages",
    "win_rate": "needs contacts at stages SQL and customer: load CRM contacts with lifecycle stages",
    "spend_ratio": "needs spend and conversions: load both with `omnimix ingest`",
    "conversion_rate": "no journeys: run `omnimix resolve`",
    "traffic": "no touchpoints: load web/app analytics with `omnimix ingest`",
    "ctr": "spend has no clicks and impressions: load reports with those columns",
    "retention_rate": "no customers with orders before the window: run `omnimix resolve` on more history",
    "churn_rate": "no customers with orders before the window: run `omnimix resolve` on more history",
    "repeat_rate": "no customers with orders: run `omnimix resolve`",
    "clv": "no customers: run `omnimix resolve` (and `omnimix clv predict --save`)",
}
