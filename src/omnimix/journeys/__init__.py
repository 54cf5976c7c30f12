"""Cross-channel journeys, the ``paths`` table (the input of attribution), the funnel report and the
workspace-wide erasure of a person.

Workspace-level entry points (``omnimix resolve``, ``funnel``, ``journeys export``, ``identity forget``)
are in :mod:`omnimix.journeys.workflow`. Names load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omnimix._lazy import lazy_exports

if TYPE_CHECKING:
    from omnimix.journeys.build import JourneyResult, build_journeys, export_paths
    from omnimix.journeys.funnel import funnel_report
    from omnimix.journeys.workflow import (
        ForgetResult,
        FunnelReport,
        ResolveRun,
        export_journey_paths,
        forget_person,
        resolve_workspace,
    )

__all__ = [
    "ForgetResult",
    "FunnelReport",
    "JourneyResult",
    "ResolveRun",
    "build_journeys",
    "export_journey_paths",
    "export_paths",
    "forget_person",
    "funnel_report",
    "resolve_workspace",
]
__getattr__, __dir__ = lazy_exports(__name__, {
    "ForgetResult": "omnimix.journeys.workflow",
    "FunnelReport": "omnimix.journeys.workflow",
    "ResolveRun": "omnimix.journeys.workflow",
    "export_journey_paths": "omnimix.journeys.workflow",
    "forget_person": "omnimix.journeys.workflow",
    "resolve_workspace": "omnimix.journeys.workflow",
    "JourneyResult": "omnimix.journeys.build",
    "build_journeys": "omnimix.journeys.build",
    "export_paths": "omnimix.journeys.build",
    "funnel_report": "omnimix.journeys.funnel",
})
