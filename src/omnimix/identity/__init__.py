"""Identity resolution: the identity graph, merge protection, probabilistic linking (Splink),
clustering into stable ``customer_id``s, profiles, explain and erasure primitives (PIPL/GDPR).

Workspace-level entry points are in :mod:`omnimix.identity.workflow`. Names load on first use so the
CLI starts without pydantic, DuckDB or scipy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omnimix._lazy import lazy_exports

if TYPE_CHECKING:
    from omnimix.identity.resolve import ResolveResult, resolve

__all__ = ["ResolveResult", "resolve"]
__getattr__, __dir__ = lazy_exports(__name__, {
    "ResolveResult": "omnimix.identity.resolve",
    "resolve": "omnimix.identity.resolve",
})
