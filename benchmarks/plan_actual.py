"""Measure: plan vs actual of a simulated year equals the warehouse's own figures; the exports open.

Run from the repository root (on a branch checkout add ``PYTHONPATH=src``)::

    python benchmarks/plan_actual.py            # 500 people, 53 weeks (the simulated year 2024)
    python benchmarks/plan_actual.py --customers 2000

Steps, in one process: ``simulate_world`` → ingest → resolve → ``omnimix mmm fit --mode map`` →
``omnimix plan build`` of a 2024 plan (goal sentences only, one campaign with RACI) → the build's
``plan.xlsx`` opened with openpyxl and ``plan.ics`` with icalendar → ``plan_vs_actual`` of every
target the build holds (channel budgets of the year, quarter and month spend per channel and in
total, the goals' cascaded targets) as of 2024-12-31 → each actual recomputed with direct SQL on the
warehouse (spend: ``sum(spend.spend)``; revenue/conversions: purchase rows of ``conversions``; new
customers: people whose first purchase falls in the period, the person being ``row_customers`` else the
first identifier; CAC: spend / new customers). Prints the number of figures compared and the largest
relative difference.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from pathlib import Path

import pandas as pd


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=500)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()

    import icalendar
    from openpyxl import load_workbook
    from typer.testing import CliRunner

    from omnimix.cli import app
    from omnimix.config import IDENTIFIER_TYPES
    from omnimix.ingest.workflow import ingest_files
    from omnimix.journeys.workflow import resolve_workspace
    from omnimix.plan.actual import plan_vs_actual, targets_from_build
    from omnimix.plan.retail import retail_peaks
    from omnimix.simulate.world import simulate_world
    from omnimix.workspace import Workspace

    t0 = time.time()
    root = Path(tempfile.mkdtemp(prefix="plan_actual_"))
    simulate_world(root / "data", customers=args.customers, weeks=53, seed=args.seed)
    ws = Workspace.init(root / "ws")
    ingest_files(ws, [p for p in sorted((root / "data").iterdir()) if p.is_file()])
    resolve_workspace(ws, probabilistic=False)
    runner = CliRunner()
    res = runner.invoke(app, ["mmm", "fit", "--workspace", str(ws.root), "--mode", "map", "--seed", "0", "--json"])
    assert res.exit_code == 0, res.output[-2000:]
    plan = root / "plan.toml"
    plan.write_text(
        '[plan]\nname = "2024 年度整合营销计划"\nyear = 2024\nbudget = 3_000_000\n\n[[goals]]\nid = "g1"\n'
        'statement = "本年度通过整合营销活动，将新注册用户数量提升25%，并将平均用户获取成本(CAC)降低15%"\n\n'
        '[[campaigns]]\nid = "c618"\nname = "618 大促"\nstart = 2024-05-25\nend = 2024-06-18\n'
        'channels = ["douyin", "wechat"]\ngoal_ids = ["g1"]\nowner = "电商部"\nbudget = 300000\n\n'
        '[[campaigns.raci]]\ntask = "投放"\nresponsible = "投放组"\naccountable = "电商总监"\n',
        encoding="utf-8")
    res = runner.invoke(app, ["plan", "build", str(plan), "--workspace", str(ws.root), "--out", str(root / "out"),
                              "--json"])
    assert res.exit_code == 0, res.output[-2000:]
    doc = json.loads(res.stdout)
    built = time.time() - t0

    wb = load_workbook(root / "out" / "plan.xlsx")
    cal = icalendar.Calendar.from_ical((root / "out" / "plan.ics").read_bytes())
    events = list(cal.walk("VEVENT"))
    peaks = [e for e in doc["calendar"] if e.get("kind") == "retail_peak"]
    print(f"files: {[Path(f).name for f in doc['files']]}")
    print(f"plan.xlsx sheets: {wb.sheetnames}")
    print(f"plan.ics events: {len(events)} (campaigns 1 + retail peaks {len(retail_peaks(2024))})")
    print(f"calendar: {len(doc['calendar'])} entries, retail peaks {len(peaks)} of {len(retail_peaks(2024))}")

    targets = targets_from_build(doc, 2024)
    pva = plan_vs_actual(ws, targets, as_of=pd.Timestamp("2024-12-31").date()).to_frame()
    con = ws.connect(read_only=True)
    ids = ", ".join(f"'{t}:' || c.\"{t}\"" for t in IDENTIFIER_TYPES)
    first = con.execute(
        f"SELECT coalesce(r.customer_id, {ids}) AS p, min(c.ts) AS f FROM conversions c LEFT JOIN row_customers r "
        "ON r.src_table = 'conversions' AND r.row_key = c.conversion_id WHERE lower(c.type) IN ('purchase', 'order') "
        "GROUP BY 1").df().dropna(subset=["p"])

    def direct(metric: str, start: object, end: object, channel: str | None) -> float:
        s, e = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
        if metric in ("spend", "cac"):
            q = 'SELECT coalesce(sum(spend), 0) FROM spend WHERE "date" >= ? AND "date" < ?'
            params: list[object] = [s, e]
            if channel is not None:
                q += " AND channel = ?"
                params.append(channel)
            spend = float(con.execute(q, params).fetchall()[0][0])
            if metric == "spend":
                return spend
        if metric in ("new_customers", "cac"):
            if channel is not None:
                raise ValueError("per-channel new customers are not recomputed here")
            new = float(((first["f"] >= s) & (first["f"] < e)).sum())
            return new if metric == "new_customers" else (spend / new if new else math.nan)
        if metric in ("revenue", "conversions"):
            agg = "coalesce(sum(value), 0)" if metric == "revenue" else "count(*)"
            return float(con.execute(f"SELECT {agg} FROM conversions WHERE ts >= ? AND ts < ? "
                                     "AND lower(type) IN ('purchase', 'order')", [s, e]).fetchall()[0][0])
        raise ValueError(metric)

    compared, worst, skipped = 0, 0.0, 0
    by_metric: dict[str, int] = {}
    for r in pva.to_dict("records"):
        ch = None if r["channel"] == "all" else r["channel"]
        try:
            want = direct(r["metric"], r["start"], r["end"], ch)
        except ValueError:
            skipped += 1
            continue
        got = float(r["actual"])
        rel = abs(got - want) / max(abs(want), 1e-12) if want else abs(got)
        worst = max(worst, rel)
        compared += 1
        by_metric[r["metric"]] = by_metric.get(r["metric"], 0) + 1
    con.close()
    print(f"targets: {len(targets)}; figures compared with direct SQL: {compared} {by_metric}; skipped {skipped}")
    print(f"largest relative difference: {worst:.3g}")
    print(f"off-pace rows (alerts): {int(pva['status'].isin(['behind', 'over', 'under']).sum())} of {len(pva)}")
    print(f"wall time to the build: {built:.1f} s; total {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
