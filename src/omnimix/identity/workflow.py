"""Workspace-level identity entry points (``omnimix identity …``); each returns a result with ``to_json()``.

* :func:`resolve_identities` — identity graph, clusters, stable ids and profiles (the identity half
  of ``omnimix resolve``; the whole command, journeys included, is
  :func:`omnimix.journeys.workflow.resolve_workspace`);
* :func:`explain_identity` — why identifiers joined (``omnimix identity explain``);
* :func:`export_identity_map` — the identifier → customer map as CSV (``omnimix identity export``);
* :func:`evaluate_identities` — pairwise precision/recall against a truth file (``omnimix identity evaluate``).

Erasure (``omnimix identity forget``) rebuilds journeys' ``paths``, so its entry point is
:func:`omnimix.journeys.workflow.forget_person`, one layer up.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omnimix.engine.base import Engine
from omnimix.identity.evaluate import IdentityScore, evaluate
from omnimix.identity.manage import explain, export_identities
from omnimix.identity.resolver import ResolveResult, resolve
from omnimix.workspace import Workspace


def resolve_identities(workspace: Workspace | str | Path, *, probabilistic: bool = True, fast: bool = True,
                       engine: Engine | None = None) -> ResolveResult:
    """Resolve identities into stable customer ids and rebuild the ``customers`` profiles.

    Args:
        workspace: the workspace (or its directory).
        probabilistic: add Splink matches between contact records.
        fast: allow the in-memory scipy clustering (else iterative SQL).
        engine: an engine to run on (default: the workspace's ``[workspace] engine``).
    """
    return resolve(Workspace.of(workspace), probabilistic=probabilistic, fast=fast, engine=engine)


@dataclass(frozen=True)
class Explanation:
    """The identifiers of one customer and the chain of edges that joined them.

    Attributes:
        customer_id: the customer.
        start: the identifier the chain starts from (``type:value``).
        identifiers: ``{"id_type", "id_value", "first_seen", "last_seen"}`` per identifier.
        chain: ``{"from", "to", "evidence", "first_seen", "times_seen"}`` per edge, breadth first.
        cut_edges: ``{"from", "to", "evidence", "reason"}`` per edge merge protection cut.
    """

    customer_id: str
    start: str
    identifiers: tuple[dict[str, Any], ...]
    chain: tuple[dict[str, Any], ...]
    cut_edges: tuple[dict[str, Any], ...]

    def to_json(self) -> dict[str, Any]:
        return {"customer_id": self.customer_id, "start": self.start, "identifiers": list(self.identifiers),
                "chain": list(self.chain), "cut_edges": list(self.cut_edges)}


def explain_identity(workspace: Workspace | str | Path, customer_id: str | None = None, *,
                     id_type: str | None = None, value: str | None = None) -> Explanation:
    """Explain a customer (by id, or by an identifier's type and raw value).

    Raises:
        UsageError: neither a customer id nor ``id_type`` and ``value``; unknown identifier type.
        OmnimixError: not in the identity graph.
    """
    doc = explain(Workspace.of(workspace), customer_id=customer_id, id_type=id_type, value=value)
    return Explanation(str(doc["customer_id"]), str(doc["start"]), tuple(doc["identifiers"]),
                       tuple(doc["chain"]), tuple(doc["cut_edges"]))


@dataclass(frozen=True)
class IdentityExport:
    """Where the identity map was written and how many identifiers it holds."""

    out: Path
    identifiers: int

    def to_json(self) -> dict[str, Any]:
        return {"out": str(self.out), "identifiers": self.identifiers}


def export_identity_map(workspace: Workspace | str | Path, out: str | Path) -> IdentityExport:
    """Write ``id_type, id_value, customer_id`` (values as stored: hashed unless the workspace keeps PII)."""
    return IdentityExport(Path(out), export_identities(Workspace.of(workspace), out))


def evaluate_identities(workspace: Workspace | str | Path, truth: str | Path) -> IdentityScore:
    """Pairwise precision and recall of the resolved customers against ``truth`` (``truth/identities.csv``)."""
    return evaluate(Workspace.of(workspace), truth)
