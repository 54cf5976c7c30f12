"""omnimix: integrated marketing in one system.

One data layer (ingest, identity, journeys), one measurement (attribution, MMM, CLV), one budget
(optimizer), one plan and one loop (web dashboard). Heavy backends (JAX, Spark, Splink) are imported
lazily by the modules that need them, so ``import omnimix`` and the CLI start fast.
"""

from __future__ import annotations

from omnimix.errors import (
    ConfigError,
    ConvergenceError,
    EngineError,
    InfeasibleError,
    InputDataError,
    NotFittedError,
    OmnimixError,
)

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "ConvergenceError",
    "EngineError",
    "InfeasibleError",
    "InputDataError",
    "NotFittedError",
    "OmnimixError",
    "__version__",
]
