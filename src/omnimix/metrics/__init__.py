"""The one metrics layer: one definition per KPI (issues #19, #17, #20).

``metric_frame(ws, ["spend", "cac"], "2026-01-01", "2026-03-31", grain="week", by_channel=True)``
returns one row per week and channel; :data:`METRICS` holds each definition (zh/en name, unit, formula).
docs/metrics.md lists them.
"""

from __future__ import annotations

from omnimix.metrics.compute import attribution_model, attribution_shares, data_span, ltv, metric_frame
from omnimix.metrics.registry import GRAINS, METRICS, Metric, base_metrics, metric, stage_metric

__all__: list[str] = [
    "GRAINS",
    "METRICS",
    "Metric",
    "attribution_model",
    "attribution_shares",
    "base_metrics",
    "data_span",
    "ltv",
    "metric",
    "metric_frame",
    "stage_metric",
]
