"""Workspace-level entry points of the journeys layer; each returns a result with ``to_json()``.

* :func:`resolve_workspace` — ``omnimix resolve``: identities, then journeys and paths, on one engine;
* :func:`forget_person` — ``omnimix identity forget``: erase a person everywhere, one transaction;
* :func:`export_journey_paths` — ``omnimix journeys export``;
* :func:`funnel` — ``omnimix funnel``.

They sit here, above identity, because each needs journeys (stage order: ingest < identity < journeys).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omnimix.engine.base import engine_scope
from omnimix.identity.resolver import ResolveResult, resolve
from omnimix.journeys.build import JourneyResult, build_journeys, export_paths
from omnimix.journeys.erase import forget
from omnimix.journeys.funnel import funnel_report
from omnimix.workspace import Workspace


@dataclass(frozen=True)
class ResolveRun:
    """One ``omnimix resolve``: the identity counts and the journeys built from them."""

    identity: ResolveResult
    journeys: JourneyResult

    def to_json(self) -> dict[str, Any]:
        return {"identity": self.identity.to_json(), "journeys": self.journeys.to_json()}


def resolve_workspace(workspace: Workspace | str | Path, *, probabilistic: bool = True,
                      fast: bool = True) -> ResolveRun:
    """Resolve identities, rebuild profiles, then journeys, journey touches and paths (one engine).

    Args:
        workspace: the workspace (or its directory).
        probabilistic: add Splink matches between contact records.
        fast: allow the in-memory scipy clustering (else iterative SQL).
    """
    ws = Workspace.of(workspace)
    with engine_scope(ws, None) as eng:
        r = resolve(ws, probabilistic=probabilistic, fast=fast, engine=eng)
        j = build_journeys(ws, engine=eng)
    return ResolveRun(r, j)


@dataclass(frozen=True)
class ForgetResult:
    """What ``omnimix identity forget`` erased.

    Attributes:
        customer_id: the person's customer id (None when the identifier was never resolved).
        identifiers: how many identifiers the person had.
        deleted: rows deleted per table.
    """

    customer_id: str | None
    identifiers: int
    deleted: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {"customer_id": self.customer_id, "identifiers": self.identifiers, "deleted": dict(self.deleted)}


def forget_person(workspace: Workspace | str | Path, id_type: str, value: str) -> ForgetResult:
    """Erase the person holding ``id_type = value`` everywhere (see :func:`omnimix.journeys.erase.forget`).

    Raises:
        UsageError: unknown identifier type or empty value.
    """
    doc = forget(workspace, id_type, value)
    return ForgetResult(doc["customer_id"], int(doc["identifiers"]), dict(doc["deleted"]))


@dataclass(frozen=True)
class PathsExport:
    """Where ``paths`` were written and how many."""

    out: Path
    paths: int

    def to_json(self) -> dict[str, Any]:
        return {"out": str(self.out), "paths": self.paths}


def export_journey_paths(workspace: Workspace | str | Path, out: str | Path) -> PathsExport:
    """Write ``paths`` as ``path;total_conversions;total_conversion_value;total_null``."""
    return PathsExport(Path(out), export_paths(Workspace.of(workspace), out))


@dataclass(frozen=True)
class FunnelReport:
    """The funnel overall and by first-touch channel, and the cross-channel conversion rate.

    Attributes:
        stages: ``{"stage", "customers", "rate_from_previous"}`` per configured stage.
        by_first_touch: the same list per first-touch channel.
        converters: customers with at least one conversion.
        converters_with_touches: converters whose conversions had touches in the lookback window.
        cross_channel_conversion_rate: share of those whose converting journeys span 2+ channels.
    """

    stages: tuple[dict[str, Any], ...]
    by_first_touch: dict[str, list[dict[str, Any]]]
    converters: int
    converters_with_touches: int
    cross_channel_conversion_rate: float | None

    def to_json(self) -> dict[str, Any]:
        return {"stages": list(self.stages), "by_first_touch": dict(self.by_first_touch),
                "converters": self.converters, "converters_with_touches": self.converters_with_touches,
                "cross_channel_conversion_rate": self.cross_channel_conversion_rate}


def funnel(workspace: Workspace | str | Path) -> FunnelReport:
    """The funnel report of ``omnimix funnel`` (needs ``omnimix resolve`` first)."""
    doc = funnel_report(Workspace.of(workspace))
    return FunnelReport(tuple(doc["stages"]), dict(doc["by_first_touch"]), int(doc["converters"]),
                        int(doc["converters_with_touches"]), doc["cross_channel_conversion_rate"])
