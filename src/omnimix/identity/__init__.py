"""Identity resolution: the identity graph, merge protection, probabilistic linking (Splink),
clustering into stable ``customer_id``s, profiles, explain and erasure (PIPL/GDPR).

Names load on first use so the CLI starts without pydantic, DuckDB or scipy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from omnimix.identity.resolve import ResolveResult, resolve


def __getattr__(name: str) -> Any:
    if name in ("ResolveResult", "resolve"):
        import importlib

        module = importlib.import_module("omnimix.identity.resolve")
        # importing the submodule binds the package attribute ``resolve`` to the module: rebind both
        # public names to the objects, as an eager import would
        globals().update(ResolveResult=module.ResolveResult, resolve=module.resolve)
        return globals()[name]
    raise AttributeError(f"module 'omnimix.identity' has no attribute {name!r}")


__all__ = ["ResolveResult", "resolve"]
