"""Write a fitted MMM into the workspace for the dashboard and the optimizer.

Tables (replaced on every workspace fit): ``mmm_channels`` (contribution and ROI with 90% intervals),
``mmm_diagnostics(metric, value)``, ``mmm_fit(date, actual, predicted)`` and ``response_curves``
(weekly Hill/logistic parameters at the posterior mean, with current weekly spend) — the Budget page
and ``omnimix optimize --workspace`` read them. A fit that failed review is stored with
``passed = 0`` in ``mmm_diagnostics`` and its curves are not written, so nothing downstream uses it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd


def save_to_workspace(workspace: str | Path, payload: dict[str, Any], fit_dir: str | Path) -> dict[str, int]:
    """Store the fit summary (``fit_payload``) and the saved fit directory's curves and series."""
    from omnimix.workspace import connect_warehouse

    fit_dir = Path(fit_dir)
    chans = pd.DataFrame([
        {"channel": ch, "contribution_mean": v["contribution"]["mean"], "contribution_lo": v["contribution"]["lo"],
         "contribution_hi": v["contribution"]["hi"], "roi_mean": v["roi"]["mean"], "roi_lo": v["roi"]["lo"],
         "roi_hi": v["roi"]["hi"],
         "mroi_mean": v.get("mroi", {}).get("mean"), "mroi_lo": v.get("mroi", {}).get("lo"),
         "mroi_hi": v.get("mroi", {}).get("hi"), "spend": v.get("spend")}
        for ch, v in payload["channels"].items()])
    diag = payload["diagnostics"]
    metrics = pd.DataFrame([
        {"metric": k, "value": float(v) if isinstance(v, int | float) else None}
        for k, v in diag.items() if k not in ("reasons", "suggestions")])
    metrics.loc[len(metrics)] = {"metric": "passed", "value": 1.0 if diag.get("passed") else 0.0}
    contrib = pd.read_csv(fit_dir / "contributions.csv", parse_dates=["week"])
    means = [c for c in contrib.columns if c.endswith("_mean")]
    fitted = pd.DataFrame({"date": contrib["week"].dt.date, "predicted": contrib[means].sum(axis=1)})
    curves: list[dict[str, Any]] = []
    if diag.get("passed"):
        doc = json.loads((fit_dir / "response_curves.json").read_text(encoding="utf-8"))
        for ch, c in doc["channels"].items():
            sat = c["saturation"]
            curves.append({"channel": ch, "type": sat["type"], "beta": sat.get("beta"),
                           "half_saturation": sat.get("half_saturation"), "slope": sat.get("slope"),
                           "lam": sat.get("lam"), "current_spend": c.get("current_weekly_spend")})
    con = connect_warehouse(workspace)
    try:
        con.execute("BEGIN TRANSACTION")
        for name, frame in (("mmm_channels", chans), ("mmm_diagnostics", metrics)):
            con.register("_f", frame)
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _f")
            con.unregister("_f")
        con.register("_f", fitted)
        con.execute("""CREATE OR REPLACE TABLE mmm_fit AS
            SELECT f.date, a.actual, f.predicted FROM _f f LEFT JOIN (
              SELECT CAST(date_trunc('week', ts) AS DATE) AS week, sum(value) AS actual
              FROM conversions GROUP BY 1) a ON a.week = f.date ORDER BY f.date""")
        con.unregister("_f")
        con.execute("DROP TABLE IF EXISTS response_curves")
        if curves:
            con.register("_f", pd.DataFrame(curves))
            con.execute("CREATE TABLE response_curves AS SELECT * FROM _f")
            con.unregister("_f")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.close()
    return {"mmm_channels": len(chans), "mmm_diagnostics": len(metrics), "mmm_fit": len(fitted),
            "response_curves": len(curves)}
