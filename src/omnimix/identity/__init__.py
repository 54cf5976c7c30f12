"""Identity resolution: the identity graph, merge protection, probabilistic linking (Splink),
clustering into stable ``customer_id``s, profiles, explain and erasure primitives (PIPL/GDPR).

Workspace-level entry points are in :mod:`omnimix.identity.workflow`. Names load on first use so the
CLI starts without pydantic, DuckDB or scipy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omnimix._lazy import lazy_exports

if TYPE_CHECKING:
    from omnimix.identity.resolver import ResolveResult, resolve
    from omnimix.identity.workflow import evaluate_identities, explain_identity, export_identity_map, resolve_identities

__all__ = [
    "ResolveResult",
    "evaluate_identities",
    "explain_identity",
    "export_identity_map",
    "resolve",
    "resolve_identities",
]
__getattr__, __dir__ = lazy_exports(__name__, {
    "evaluate_identities": "omnimix.identity.workflow",
    "explain_identity": "omnimix.identity.workflow",
    "export_identity_map": "omnimix.identity.workflow",
    "resolve_identities": "omnimix.identity.workflow",
    "ResolveResult": "omnimix.identity.resolver",
    "resolve": "omnimix.identity.resolver",
})
