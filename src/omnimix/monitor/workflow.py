"""``monitor_workspace``: every check of the monitor on a workspace, with dedup and delivery."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from omnimix.curves import ResponseCurves
from omnimix.errors import UsageError
from omnimix.metrics import METRICS, data_span, metric_frame
from omnimix.monitor.alerts import Alert
from omnimix.monitor.data import load_jumps, stopped_sources
from omnimix.monitor.deliver import Delivery, deliver
from omnimix.monitor.detect import DEFAULT_METRICS, detect, series_matrix
from omnimix.monitor.mmm_band import workspace_curves
from omnimix.monitor.model import drift, review_failed, roi_snapshot
from omnimix.monitor.pacing import pacing_alerts
from omnimix.monitor.rules import apply_rules, check_rules, threshold_alerts
from omnimix.monitor.state import AlertStore, default_url
from omnimix.workspace import Workspace

#: Days monitored when no ``since`` is given (the training days come before them).
DEFAULT_WINDOW = 28
_ORDER = {"data": 0, "model": 1, "pacing": 2, "anomaly": 3}


@dataclass
class MonitorRun:
    """One monitoring run.

    Attributes:
        alerts: every alert of the run (sorted by date, kind, metric, channel).
        since: first monitored day; end: last day with data.
        series: number of (metric, channel) series scored.
        new: ids (in the alert store) of the alerts not seen before; empty without a store.
        deliveries: each target's delivery outcome.
        mmm: whether the MMM's curves explained the KPI series.
        seconds: wall time.
    """

    alerts: list[Alert]
    since: date
    end: date
    series: int
    new: list[int] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    mmm: bool = False
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The CLI contract: ``{"alerts": [{kind, metric, channel, date, value, expected, severity, message}]}``."""
        return {"alerts": [a.to_json() for a in self.alerts]}


def _budgets(ws: Workspace, budgets: dict[str, tuple[float | None, float | None]] | None
             ) -> dict[str, tuple[float | None, float | None]]:
    if budgets is not None:
        return budgets
    return {c: (b.daily, b.monthly) for c, b in ws.config.monitor.budgets.items()}


def monitor_workspace(
    ws: Workspace | str | Path,
    since: date | str | None = None,
    *,
    metrics: list[str] | None = None,
    curves: ResponseCurves | None = None,
    budgets: dict[str, tuple[float | None, float | None]] | None = None,
    state_url: str | None = None,
    record: bool = True,
    send: bool = True,
    retries: int = 3,
    backoff: float = 0.5,
) -> MonitorRun:
    """Run every check on a workspace: anomalies (seasonal bands, explained by the MMM where it has
    passed review), change points, data, model and pacing alerts and the ``[[monitor.rules]]``.

    Args:
        ws: a workspace or its directory.
        since: first day to report on (default: the last 28 days with data).
        metrics: metrics to monitor (default :data:`~omnimix.monitor.detect.DEFAULT_METRICS`).
        curves: response curves to explain KPI series with (default: the latest passed MMM fit's).
        budgets: channel → (daily, monthly) budget for pacing (default ``[monitor.budgets]``).
        state_url: app-state database (default ``sqlite:///DIR/app.db``).
        record: store the alerts (dedup, ack/resolve, history); False leaves the state untouched.
        send: deliver new alerts to their rule's ``who``.
        retries: delivery retries per target; backoff: first retry's pause in seconds.

    Raises:
        InputDataError: no warehouse.
        UsageError: no data, or ``since`` after the last day with data.
        ConfigError: a rule names an unknown metric or recipient.
    """
    t0 = time.perf_counter()
    w = Workspace.loaded(ws)
    cfg = w.config.monitor
    check_rules(cfg.rules, [h.name for h in cfg.webhooks])
    keys = list(metrics) if metrics is not None else list(DEFAULT_METRICS)
    for k in keys:
        if k not in METRICS:
            raise UsageError(f"unknown metric {k!r}; known: {', '.join(METRICS)}")
    con = w.connect(read_only=True)
    try:
        span = data_span(con)
        if span is None:
            raise UsageError(f"{w.root}: no spend, touchpoints or conversions to monitor yet")
        end = span[1]
        day0 = pd.Timestamp(since).date() if since is not None else end - timedelta(days=DEFAULT_WINDOW - 1)
        if day0 > end:
            raise UsageError(f"--since {day0} is after the last day with data ({end})")
        start = max(span[0], day0 - timedelta(days=cfg.train_days))
        total = metric_frame(con, keys, start, end)
        per = metric_frame(con, [k for k in keys if METRICS[k].channel_level], start, end, by_channel=True)
        the_curves = curves if curves is not None else workspace_curves(con)
        series = series_matrix(total, per, keys)
        first = (day0 - start).days
        found, _ = detect(series, first, fdr=cfg.fdr, train=cfg.train_days, curves=the_curves)
        found += stopped_sources(con, day0) + load_jumps(con, day0) + review_failed(con, end)
        snap = roi_snapshot(con)
    finally:
        con.close()
    store = AlertStore(state_url or default_url(w.root)) if record else None
    if store is not None and snap is not None:
        found += drift(store.get("mmm_roi"), snap, end)
        store.put("mmm_roi", snap)
    spend = per[["period", "channel", "spend"]] if "spend" in per else pd.DataFrame()
    found += pacing_alerts(spend, _budgets(w, budgets), day0, end)
    found += threshold_alerts(cfg.rules, total, per, day0)
    alerts = apply_rules([a for a in found if a.date >= day0.isoformat() or a.kind != "anomaly"], cfg.rules)
    alerts.sort(key=lambda a: (a.date, _ORDER[a.kind], a.metric, a.channel or ""))
    run = MonitorRun(alerts, day0, end, len(series.keys), mmm=the_curves is not None)
    if store is not None:
        new = store.record(alerts)
        run.new = [i for i, _ in new]
        if send and new:
            for d, idx in deliver([a for _, a in new], cfg.webhooks, cfg.email, retries=retries, backoff=backoff):
                store.log_delivery([new[i][0] for i in idx], d.target, d.ok, d.attempts, d.error)
                run.deliveries.append(d)
    run.seconds = time.perf_counter() - t0
    return run
