"""Monitoring and alerts (issue #19).

``monitor_workspace("ws")`` scores every (metric, channel) series of the last 28 days against
seasonal expected bands (explained by the MMM's response curves where a passed fit exists), adds
change points, data, model and pacing alerts, applies ``[[monitor.rules]]``, deduplicates against the
alert state and delivers new alerts by webhook and e-mail. docs/monitor.md has the details.
"""

from __future__ import annotations

from omnimix.monitor.alerts import Alert
from omnimix.monitor.deliver import Delivery, post_webhook, send_email, webhook_body
from omnimix.monitor.detect import DEFAULT_METRICS, Series, series_matrix
from omnimix.monitor.forecast import Bands, rolling_bands
from omnimix.monitor.state import AlertStore
from omnimix.monitor.testing import bh_reject
from omnimix.monitor.workflow import MonitorRun, monitor_workspace

__all__: list[str] = [
    "DEFAULT_METRICS",
    "Alert",
    "AlertStore",
    "Bands",
    "Delivery",
    "MonitorRun",
    "Series",
    "bh_reject",
    "monitor_workspace",
    "post_webhook",
    "rolling_bands",
    "send_email",
    "series_matrix",
    "webhook_body",
]
