"""Model alerts: the latest MMM fit failed review; a refit moved a channel's ROI (drift).

* **review failed**: ``mmm_diagnostics`` holds ``passed = 0`` — the curves are then not stored and the
  monitor's KPI bands fall back to the seasonal forecast; the alert names the failed checks.
* **drift**: the monitor remembers the ROI interval of each channel of the fit it last saw (a
  fingerprint of ``mmm_channels``). After a refit, a channel whose new ROI mean lies outside the old
  90% interval *and* whose old mean lies outside the new interval has drifted.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

import pandas as pd

from omnimix.monitor.alerts import Alert


def _table(con: Any, name: str) -> pd.DataFrame:
    n = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' "
                    "AND table_name = ?", [name]).fetchall()[0][0]
    if not n:
        return pd.DataFrame()
    df: pd.DataFrame = con.execute(f'SELECT * FROM "{name}"').df()
    return df


def review_failed(con: Any, today: date) -> list[Alert]:
    diag = _table(con, "mmm_diagnostics")
    if diag.empty:
        return []
    vals = dict(zip(diag["metric"].astype(str), diag["value"], strict=True))
    if vals.get("passed", 1.0):
        return []
    failed = sorted(k.removeprefix("check:").removesuffix(":passed") for k, v in vals.items()
                    if k.startswith("check:") and k.endswith(":passed") and not v)
    why = f": failed checks {', '.join(failed)}" if failed else ""
    return [Alert("model", "mmm_review", None, today.isoformat(), 0.0, None, None, None, "warning",
                  f"the latest MMM fit failed review{why}; KPI bands use the seasonal forecast only "
                  "(refit with `omnimix mmm fit`)", detail={"code": "mmm_review", "failed": failed})]


def roi_snapshot(con: Any) -> dict[str, Any] | None:
    """The current fit's ROI per channel with a fingerprint, or None without ``mmm_channels``."""
    ch = _table(con, "mmm_channels")
    if ch.empty or "roi_mean" not in ch:
        return None
    rows = {str(r["channel"]): [float(r["roi_mean"]), float(r["roi_lo"]), float(r["roi_hi"])]
            for _, r in ch.iterrows()}
    fp = hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()[:16]
    return {"fingerprint": fp, "roi": rows}


def drift(previous: dict[str, Any] | None, current: dict[str, Any] | None, today: date) -> list[Alert]:
    """Channels whose ROI moved between two snapshots of :func:`roi_snapshot` (see the module docstring)."""
    if not previous or not current or previous.get("fingerprint") == current.get("fingerprint"):
        return []
    out: list[Alert] = []
    for c, (m1, lo1, hi1) in sorted(current["roi"].items()):
        if c not in previous["roi"]:
            continue
        m0, lo0, hi0 = previous["roi"][c]
        if not lo0 <= m1 <= hi0 and not lo1 <= m0 <= hi1:
            out.append(Alert("model", "roi_drift", c, today.isoformat(), m1, m0, lo0, hi0, "warning",
                             f"ROI of {c} moved from {m0:.3g} ({lo0:.3g}–{hi0:.3g}) to {m1:.3g} "
                             f"({lo1:.3g}–{hi1:.3g}) at the last refit",
                             detail={"code": "roi_drift", "lo1": lo1, "hi1": hi1}))
    return out
