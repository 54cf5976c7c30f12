"""Scores 0–100 per asset and per campaign, Acrolinx-like: weighted issues per 100 length units.

``penalty`` = Σ severity weight × category weight over the issues; ``density`` = penalty per 100 units,
where a Han character counts 1 unit and a Latin word 1.6 (about the same content), with a floor of 40 units
so a one-line asset is not punished beyond a paragraph; ``score`` = 100 · exp(−density / 25).

One suggestion in a 40-unit asset costs ~10 points, a warning ~26, an error ~63 (×1.5 for ad_law and offer).
A campaign's score is the same formula over all its assets' issues and length, with each cross-asset
conflict counted as an ``offer`` error. Bands: ``good`` ≥ 80, ``fair`` ≥ 60, ``poor`` below.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from omnimix.voice.types import Issue

__all__ = [
    "CATEGORY_WEIGHT",
    "CONFLICT_PENALTY",
    "SEVERITY_WEIGHT",
    "band",
    "length_units",
    "passes",
    "penalty",
    "score",
]

SEVERITY_WEIGHT = {"suggestion": 1.0, "warning": 4.0, "error": 10.0}
CATEGORY_WEIGHT = {"ad_law": 1.5, "offer": 1.5, "terminology": 1.0, "message": 1.0, "tone": 0.7}
CONFLICT_PENALTY = SEVERITY_WEIGHT["error"] * CATEGORY_WEIGHT["offer"]
MIN_UNITS = 40.0
SCALE = 25.0
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z0-9]+(?:['’-][A-Za-z0-9]+)*")


def length_units(text: str) -> float:
    """Han characters + 1.6 × Latin words."""
    return len(_HAN.findall(text)) + 1.6 * len(_LATIN.findall(text))


def penalty(issues: Iterable[Issue]) -> float:
    return sum(SEVERITY_WEIGHT[i.severity] * CATEGORY_WEIGHT[i.category] for i in issues)


def score(total_penalty: float, units: float) -> float:
    """100 · exp(−penalty per 100 units / 25), rounded to 0.1."""
    density = 100.0 * total_penalty / max(MIN_UNITS, units)
    return round(100.0 * math.exp(-density / SCALE), 1)


def band(value: float) -> str:
    """``good`` (≥ 80), ``fair`` (≥ 60) or ``poor``."""
    return "good" if value >= 80 else "fair" if value >= 60 else "poor"


def passes(value: float, fail_below: float | None) -> bool:
    """The gate: False when ``fail_below`` is set and ``value`` is below it."""
    return fail_below is None or value >= fail_below
