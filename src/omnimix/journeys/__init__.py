"""Cross-channel journeys, the ``paths`` table (the input of attribution) and the funnel report."""

from __future__ import annotations

from omnimix.journeys.build import JourneyResult, build_journeys, export_paths
from omnimix.journeys.funnel import funnel_report

__all__ = ["JourneyResult", "build_journeys", "export_paths", "funnel_report"]
