"""The one lazy-export idiom of omnimix's packages.

A package lists its public names and the module each comes from; the module is imported on first
access, so ``import omnimix.mmm`` does not import JAX and ``omnimix --help`` does not import NumPy::

    from omnimix._lazy import lazy_exports

    __all__ = ["MMM", "load_csv"]
    __getattr__, __dir__ = lazy_exports(__name__, {"MMM": "omnimix.mmm.model", "load_csv": "omnimix.mmm.data"})

Static type checkers see the same names through an ``if TYPE_CHECKING:`` block of real imports.
``tests/test_public_api.py`` pins every package's ``__all__`` and checks each name resolves.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, where: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for a package whose public names live in submodules.

    Args:
        package: the package's ``__name__``.
        where: public name → the module that defines it (``"omnimix.mmm.model"``), or
            ``"module:attribute"`` to export an attribute under another name.

    Returns:
        The module-level ``__getattr__`` and ``__dir__`` to assign in the package.
    """
    table = dict(where)

    def __getattr__(name: str) -> Any:
        target = table.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name, _, attr = target.partition(":")
        module = importlib.import_module(module_name)
        value = getattr(module, attr or name)
        _rebind()
        return value

    def _rebind() -> None:
        # an eager import would have bound every public name at once: bind those whose module is
        # loaded by now (no public name may equal a submodule's name, which the import system binds to
        # the module; tests/test_public_api.py checks it)
        pkg = sys.modules[package]
        for other, other_target in table.items():
            mod_name, _, other_attr = other_target.partition(":")
            loaded = sys.modules.get(mod_name)
            if loaded is not None and hasattr(loaded, other_attr or other):
                setattr(pkg, other, getattr(loaded, other_attr or other))

    def __dir__() -> list[str]:
        return sorted(set(table) | set(vars(sys.modules[package])))

    return __getattr__, __dir__
