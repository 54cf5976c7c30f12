"""Multi-touch attribution: rule models, exact Markov removal effects (order 1-4) and Shapley values.

Public API::

    from omnimix.attribution import read_paths_file, attribute, markov, compare

    paths = read_paths_file("paths.csv")          # path;total_conversions[;total_conversion_value][;total_null]
    res = attribute("markov", paths, order=2)     # Attribution: channels, conversions, value, extras
    exact = markov(paths, order=3)                # MarkovResult with removal effects and transition matrix

Every model's credit sums to the observed total conversions and value. See ``docs/attribution.md``.
"""

from __future__ import annotations

from omnimix.attribution.markov import MarkovResult, markov
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
from omnimix.attribution.shapley import shapley, shapley_ordered, shapley_simplified

__all__ = [
    "MODELS",
    "Attribution",
    "MarkovResult",
    "PathData",
    "attribute",
    "chart",
    "compare",
    "from_sequences",
    "from_strings",
    "markov",
    "read_paths_file",
    "read_touches",
    "read_workspace",
    "shapley",
    "shapley_ordered",
    "shapley_simplified",
    "touches_to_paths",
]
