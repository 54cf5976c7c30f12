"""Identity resolution: the identity graph, merge protection, probabilistic linking (Splink),
clustering into stable ``customer_id``s, profiles, explain and erasure (PIPL/GDPR).
"""

from __future__ import annotations

from omnimix.identity.resolve import ResolveResult, resolve

__all__ = ["ResolveResult", "resolve"]
