"""omnimix: integrated marketing in one system.

One data layer (ingest, identity, journeys), one measurement (attribution, MMM, CLV), one budget
(optimizer), one plan and one loop (web dashboard). Heavy backends (JAX, Spark, Splink) are imported
lazily by the modules that need them, so ``import omnimix`` and the CLI start fast.

The package root exports the error tree, :class:`~omnimix.workspace.Workspace` (the one door to the
warehouse; imported on first use) and ``__version__``. docs/architecture.md maps the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omnimix._lazy import lazy_exports
from omnimix.errors import (
    ConfigError,
    ConvergenceError,
    EngineError,
    InfeasibleError,
    InputDataError,
    NotFittedError,
    OmnimixError,
    UsageError,
    WarehouseBusy,
)

if TYPE_CHECKING:
    from omnimix.workspace import Workspace

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "ConvergenceError",
    "EngineError",
    "InfeasibleError",
    "InputDataError",
    "NotFittedError",
    "OmnimixError",
    "UsageError",
    "WarehouseBusy",
    "Workspace",
    "__version__",
]

__getattr__, __dir__ = lazy_exports(__name__, {"Workspace": "omnimix.workspace"})
