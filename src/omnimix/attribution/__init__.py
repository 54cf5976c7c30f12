"""Multi-touch attribution: rule models, exact Markov removal effects (order 1-4) and Shapley values.

Public API::

    from omnimix.attribution import read_paths_file, attribute, exact_markov, compare

    paths = read_paths_file("paths.csv")        # path, total_conversions[, value][, null]
    res = attribute("markov", paths, order=2)     # Attribution: channels, conversions, value, extras
    exact = exact_markov(paths, order=3)         # MarkovResult: removal effects, transition matrix

Every model's credit sums to the observed total conversions and value. See ``docs/attribution.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from omnimix.attribution.markov import MarkovResult
    from omnimix.attribution.markov import markov as exact_markov
    from omnimix.attribution.paths import (
        PathData,
        from_sequences,
        from_strings,
        read_paths_file,
        read_touches,
        read_workspace,
        touches_to_paths,
    )
    from omnimix.attribution.results import MODELS, Attribution, attribute, chart, compare
    from omnimix.attribution.shapley import shapley as exact_shapley
    from omnimix.attribution.shapley import shapley_ordered, shapley_simplified

_WHERE = {
    "MarkovResult": ("markov", "MarkovResult"),
    "exact_markov": ("markov", "markov"),
    "PathData": ("paths", "PathData"),
    "from_sequences": ("paths", "from_sequences"),
    "from_strings": ("paths", "from_strings"),
    "read_paths_file": ("paths", "read_paths_file"),
    "read_touches": ("paths", "read_touches"),
    "read_workspace": ("paths", "read_workspace"),
    "touches_to_paths": ("paths", "touches_to_paths"),
    "MODELS": ("results", "MODELS"),
    "Attribution": ("results", "Attribution"),
    "attribute": ("results", "attribute"),
    "chart": ("results", "chart"),
    "compare": ("results", "compare"),
    "exact_shapley": ("shapley", "shapley"),
    "shapley_ordered": ("shapley", "shapley_ordered"),
    "shapley_simplified": ("shapley", "shapley_simplified"),
}


def __getattr__(name: str) -> Any:
    """Import the public API lazily so that ``omnimix.attribution.cli`` stays light (no numpy)."""
    if name in _WHERE:
        import importlib

        module_name, attr = _WHERE[name]
        module = importlib.import_module(f"omnimix.attribution.{module_name}")
        return getattr(module, attr)
    raise AttributeError(f"module 'omnimix.attribution' has no attribute {name!r}")


__all__ = [
    "MODELS",
    "Attribution",
    "MarkovResult",
    "PathData",
    "attribute",
    "chart",
    "compare",
    "exact_markov",
    "exact_shapley",
    "from_sequences",
    "from_strings",
    "read_paths_file",
    "read_touches",
    "read_workspace",
    "shapley_ordered",
    "shapley_simplified",
    "touches_to_paths",
]
