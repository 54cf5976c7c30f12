"""Multi-touch attribution: rule models, exact Markov removal effects (order 1-4) and Shapley values.

Public API::

    from omnimix.attribution import read_paths_file, attribute, exact_markov, compare

    paths = read_paths_file("paths.csv")        # path, total_conversions[, value][, null]
    res = attribute("markov", paths, order=2)     # Attribution: channels, conversions, value, extras
    exact = exact_markov(paths, order=3)         # MarkovResult: removal effects, transition matrix

Every model's credit sums to the observed total conversions and value. The workflows behind
``omnimix attribute`` are :func:`omnimix.attribution.workflow.attribute_workspace` and
:func:`~omnimix.attribution.workflow.attribute_file`. Names load on first use (no NumPy on
``import omnimix.attribution``). See ``docs/attribution.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omnimix._lazy import lazy_exports

if TYPE_CHECKING:  # pragma: no cover
    from omnimix.attribution.credit import Attribution
    from omnimix.attribution.markov import MarkovResult
    from omnimix.attribution.markov import markov as exact_markov
    from omnimix.attribution.models import MODELS, attribute
    from omnimix.attribution.paths import (
        PathData,
        from_sequences,
        from_strings,
        read_paths_file,
        read_touches,
        read_workspace,
        touches_to_paths,
    )
    from omnimix.attribution.results import chart, compare
    from omnimix.attribution.shapley import shapley as exact_shapley
    from omnimix.attribution.shapley import shapley_ordered, shapley_simplified
    from omnimix.attribution.workflow import AttributionRun, attribute_file, attribute_workspace

__all__ = [
    "MODELS",
    "Attribution",
    "AttributionRun",
    "MarkovResult",
    "PathData",
    "attribute",
    "attribute_file",
    "attribute_workspace",
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

__getattr__, __dir__ = lazy_exports(__name__, {
    "AttributionRun": "omnimix.attribution.workflow",
    "attribute_file": "omnimix.attribution.workflow",
    "attribute_workspace": "omnimix.attribution.workflow",
    "MODELS": "omnimix.attribution.models",
    "Attribution": "omnimix.attribution.credit",
    "MarkovResult": "omnimix.attribution.markov",
    "PathData": "omnimix.attribution.paths",
    "attribute": "omnimix.attribution.models",
    "chart": "omnimix.attribution.results",
    "compare": "omnimix.attribution.results",
    "exact_markov": "omnimix.attribution.markov:markov",
    "exact_shapley": "omnimix.attribution.shapley:shapley",
    "from_sequences": "omnimix.attribution.paths",
    "from_strings": "omnimix.attribution.paths",
    "read_paths_file": "omnimix.attribution.paths",
    "read_touches": "omnimix.attribution.paths",
    "read_workspace": "omnimix.attribution.paths",
    "shapley_ordered": "omnimix.attribution.shapley",
    "shapley_simplified": "omnimix.attribution.shapley",
    "touches_to_paths": "omnimix.attribution.paths",
})
