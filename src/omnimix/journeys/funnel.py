"""The funnel report: customers reaching each stage, stage-to-stage rates, cross-channel conversion.

A customer *reaches* a stage when they had a touch whose taxonomy stage is that stage or a later one,
or when their behaviour shows it: ``decision`` = at least one conversion, ``retention`` = a repeat
conversion (two or more), ``advocacy`` = an advocacy-stage touch (referral, share) after their first
conversion. Every stage counts customers who reached it or any later stage, so the funnel narrows.

**Cross-channel conversion rate**: of the customers who converted, the share whose converting journeys
(touches inside the lookback window before a conversion) include two or more distinct channels.
"""

from __future__ import annotations

from typing import Any

from omnimix.engine.base import Engine, engine_scope
from omnimix.errors import OmnimixError
from omnimix.workspace import Workspace, quote_literal


def funnel_report(ws: Workspace, engine: Engine | None = None) -> dict[str, Any]:
    """The funnel overall and by first-touch channel, and the cross-channel conversion rate."""
    with engine_scope(ws, engine) as eng:
        return _funnel(ws, eng)


def _funnel(ws: Workspace, eng: Engine) -> dict[str, Any]:
    if not eng.table_exists("journey_touches"):
        raise OmnimixError(f"no journeys yet: run `omnimix resolve --workspace {ws.root}` first")
    stages = list(ws.config.funnel.stages)
    rank_sql = " ".join(f"WHEN {quote_literal(s)} THEN {i}" for i, s in enumerate(stages))
    idx = {s: i for i, s in enumerate(stages)}
    beh = []
    if "decision" in idx:
        beh.append(f"CASE WHEN c.orders >= 1 THEN {idx['decision']} END")
    if "retention" in idx:
        beh.append(f"CASE WHEN c.orders >= 2 THEN {idx['retention']} END")
    beh_sql = ", ".join(beh) if beh else "NULL"
    adv = idx.get("advocacy")
    eng.materialize("_f_cust", f"""
        WITH touch AS (
          SELECT r.customer_id, t.ts, t.channel, CASE t.stage {rank_sql} ELSE 0 END AS rnk, t.stage
          FROM touchpoints t JOIN row_customers r ON r.src_table = 'touchpoints' AND r.row_key = t.event_id),
        tmax AS (
          SELECT t.customer_id, max(CASE WHEN t.stage = '{'advocacy' if adv is not None else '-'}'
                                          AND c.first_order_at IS NOT NULL AND t.ts > c.first_order_at
                                         THEN {adv if adv is not None else 0}
                                         WHEN t.stage = 'advocacy' THEN {max(idx.get('retention', 0), 0)}
                                         ELSE t.rnk END) AS rnk,
                 -- ties on ts broken by channel (struct order) so DuckDB and Spark pick the same one
                 arg_min(t.channel, struct_pack(ts := t.ts, ch := t.channel)) AS first_channel
          FROM touch t JOIN customers c ON c.customer_id = t.customer_id GROUP BY t.customer_id)
        SELECT c.customer_id, coalesce(tm.first_channel, '(none)') AS first_channel,
               greatest(coalesce(tm.rnk, 0), {beh_sql}) AS reached
        FROM customers c LEFT JOIN tmax tm ON tm.customer_id = c.customer_id
        WHERE tm.customer_id IS NOT NULL OR c.orders > 0""")
    def table(where: str = "") -> list[dict[str, Any]]:
        counts = dict(eng.fetchall(f"SELECT reached, count(*) FROM _f_cust {where} GROUP BY reached"))
        out, prev = [], None
        for i, s in enumerate(stages):
            n = int(sum(v for k, v in counts.items() if k is not None and int(k) >= i))
            out.append({"stage": s, "customers": n,
                        "rate_from_previous": (n / prev if prev else None) if i else None})
            prev = n
        return out
    overall = table()
    by_first = {}
    for (ch,) in eng.fetchall("SELECT DISTINCT first_channel FROM _f_cust ORDER BY 1"):
        by_first[str(ch)] = table(f"WHERE first_channel = {quote_literal(str(ch))}")
    conv, multi = eng.fetchall("""
        SELECT count(*), sum(CASE WHEN n_ch >= 2 THEN 1 ELSE 0 END) FROM (
          SELECT customer_id, count(DISTINCT channel) AS n_ch FROM journey_touches WHERE converted
          GROUP BY customer_id) x""")[0]
    converters = eng.fetchall("SELECT count(*) FROM customers WHERE orders > 0")[0][0]
    eng.drop("_f_cust")
    return {
        "stages": overall,
        "by_first_touch": by_first,
        "converters": int(converters),
        "converters_with_touches": int(conv),
        "cross_channel_conversion_rate": (int(multi or 0) / int(conv)) if conv else None,
    }
