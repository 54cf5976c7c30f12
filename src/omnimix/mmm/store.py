"""Write a fitted MMM into the workspace for the dashboard and the optimizer.

Tables (defined in :data:`omnimix.schema.RESULTS`, replaced on every workspace fit):

* ``mmm_channels`` — contribution, ROI and marginal ROI per channel with 90% intervals;
* ``mmm_diagnostics(metric, value)`` — the review figures, with ``passed`` = 1 or 0, ``health`` (0–100)
  and per review check ``check:NAME`` (its value) and ``check:NAME:passed`` (1 or 0);
* ``mmm_channel_status(channel, status, reason)`` — ``ok``, ``weak`` or ``conflict`` per channel (the
  optimizer holds weak and conflicting channels at current spend);
* ``mmm_fit(date, actual, predicted)`` — weekly KPI (``actual`` from ``conversions``) and the fit;
* ``response_curves`` — one row per channel: weekly Hill/logistic parameters (posterior mean of the
  stored draws) in KPI units per currency unit of weekly spend, and the current weekly spend;
* ``response_curve_draws`` — one row per posterior draw and channel (the optimizer's intervals).

The two curve tables are written from :meth:`FittedMMM.curves() <omnimix.mmm.analysis.FittedMMM.curves>`
via :meth:`omnimix.curves.ResponseCurves.to_frames` and read back with
:meth:`~omnimix.curves.ResponseCurves.from_frames`; ``omnimix optimize --workspace DIR`` plans from them
and the dashboard's Mix and Budget pages show them. A fit that failed review is stored with
``passed = 0`` in ``mmm_diagnostics`` and both curve tables are left empty, so nothing downstream plans
with it.

Every read and write goes through :class:`omnimix.workspace.Workspace` (the warehouse file named in
omnimix.toml), all writes in one transaction.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from omnimix.mmm.analysis import CURVE_DRAWS
from omnimix.workspace import Workspace, quote_ident

if TYPE_CHECKING:
    import pandas as pd

    from omnimix.mmm.analysis import FittedMMM

#: The tables :func:`save_to_workspace` replaces.
TABLES = ("mmm_channels", "mmm_diagnostics", "mmm_fit", "mmm_channel_status", "response_curves",
          "response_curve_draws")


def _channels_frame(payload: dict[str, Any]) -> pd.DataFrame:
    import pandas as pd

    rows = []
    for ch, v in payload["channels"].items():
        m = v.get("mroi") or {}
        rows.append({
            "channel": ch, "contribution_mean": v["contribution"]["mean"], "contribution_lo": v["contribution"]["lo"],
            "contribution_hi": v["contribution"]["hi"], "roi_mean": v["roi"]["mean"], "roi_lo": v["roi"]["lo"],
            "roi_hi": v["roi"]["hi"], "mroi_mean": m.get("mean"), "mroi_lo": m.get("lo"), "mroi_hi": m.get("hi"),
            "spend": v.get("spend"),
        })
    return pd.DataFrame(rows)


def _diagnostics_frame(payload: dict[str, Any]) -> pd.DataFrame:
    import pandas as pd

    diag = payload["diagnostics"]
    rows = [{"metric": k, "value": float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None}
            for k, v in diag.items()
            if k not in ("reasons", "suggestions", "warnings", "identification", "checks", "passed")]
    rows.append({"metric": "passed", "value": 1.0 if diag.get("passed") else 0.0})
    for c in diag.get("checks", []):
        rows.append({"metric": f"check:{c['name']}", "value": c["value"]})
        rows.append({"metric": f"check:{c['name']}:passed", "value": 1.0 if c["passed"] else 0.0})
    return pd.DataFrame(rows)


def _status_frame(payload: dict[str, Any]) -> pd.DataFrame:
    import pandas as pd

    rows = [{"channel": ch, "status": v.get("status", "ok"), "reason": v.get("status_reason", "")}
            for ch, v in payload["channels"].items()]
    return pd.DataFrame(rows, columns=["channel", "status", "reason"])


def _fit_frame(ws: Workspace, fit: FittedMMM) -> pd.DataFrame:
    """Weekly predicted KPI (sum of the posterior-mean parts) beside the weekly sum of ``conversions``."""
    import numpy as np
    import pandas as pd

    parts = fit.contributions_over_time()
    predicted = np.sum([np.asarray(iv["mean"], dtype=float) for iv in parts.values()], axis=0)
    frame = pd.DataFrame({"date": list(fit.data.dates), "predicted": predicted})
    actual: dict[Any, float] = {}
    con = ws.connect(read_only=True)
    try:
        has = con.execute("SELECT count(*) FROM information_schema.tables "
                          "WHERE table_schema = 'main' AND table_name = 'conversions'").fetchone()[0]
        if has:
            rows = con.execute("SELECT CAST(date_trunc('week', ts) AS DATE) AS week, sum(value) AS actual "
                               "FROM conversions GROUP BY 1").fetchall()
            actual = {r[0]: r[1] for r in rows}
    finally:
        con.close()
    frame["actual"] = [actual.get(d) for d in frame["date"]]
    return frame[["date", "actual", "predicted"]]


def save_to_workspace(
    workspace: Workspace | str | Path,
    fit: FittedMMM,
    payload: dict[str, Any],
    *,
    max_draws: int | None = CURVE_DRAWS,
) -> dict[str, int]:
    """Store a fit's summary, weekly fit and response curves in the workspace's result tables.

    Args:
        workspace: a :class:`~omnimix.workspace.Workspace` or its directory.
        fit: the fitted model.
        payload: its summary as :func:`omnimix.mmm.workflow.fit_payload` gives it (the ``--json``
            document of ``omnimix mmm fit``).
        max_draws: posterior draws of the curves to store (``response_curve_draws``).

    Returns:
        Rows written per table (:data:`TABLES`).
    """
    ws = Workspace.of(workspace)
    frames: dict[str, pd.DataFrame] = {
        "mmm_channels": _channels_frame(payload),
        "mmm_diagnostics": _diagnostics_frame(payload),
        "mmm_fit": _fit_frame(ws, fit),
        "mmm_channel_status": _status_frame(payload),
    }
    if payload["diagnostics"].get("passed"):
        frames["response_curves"], frames["response_curve_draws"] = fit.curves(max_draws).to_frames()
    else:
        import pandas as pd

        frames["response_curves"] = frames["response_curve_draws"] = pd.DataFrame()
    counts: dict[str, int] = {}
    with ws.writer() as w:
        for name in TABLES:
            # whole-table replace; dropping first also retires tables an older omnimix wrote with
            # other columns (they are recreated from omnimix.schema)
            w.execute(f"DROP TABLE IF EXISTS {quote_ident(name)}")
            counts[name] = w.write(name, frames[name])
    return counts
