"""Recovery of known geo-test effects: coverage, error and null rejection of each method.

:func:`recovery` draws ``n_worlds`` geo panels (:func:`~omnimix.simulate.geo.simulate_geo_panel`,
world ``k`` with seed ``seed + k``, 2–5 treated geos, an effect between 2% and 10%, or 0 for null
worlds), reads each with every method and scores it against the truth: the share of worlds whose
interval covers the true ATT, the median absolute error of the ATT (and relative to the true ATT),
the share of worlds whose p-value is below ``alpha`` (the rejection rate; the size on null worlds)
and the median wall time. A method may name its inference as ``"method:inference"`` (``"tbr:ar1"``,
``"did:cluster"``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from omnimix.experiments import GeoPanel, analyze
from omnimix.simulate.geo import simulate_geo_panel


@dataclass
class MethodScore:
    """One method over the worlds."""

    method: str
    worlds: int = 0
    covered: int = 0
    rejected: int = 0
    abs_errors: list[float] = field(default_factory=list)
    rel_errors: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        n = max(self.worlds, 1)
        return {"method": self.method, "worlds": self.worlds, "coverage": self.covered / n,
                "rejection_rate": self.rejected / n,
                "median_abs_error": float(np.median(self.abs_errors)) if self.abs_errors else None,
                "median_rel_error": float(np.median(self.rel_errors)) if self.rel_errors else None,
                "median_seconds": float(np.median(self.seconds)) if self.seconds else None}


def world_spec(k: int, seed: int, null: bool) -> dict[str, Any]:
    """The drawn settings of world ``k``: treated count and effect."""
    rng = np.random.default_rng([seed, k, 1 if null else 0])
    return {"treated": int(rng.integers(2, 6)), "effect": 0.0 if null else float(rng.uniform(0.02, 0.10))}


def recovery(n_worlds: int, methods: Sequence[str], *, null: bool = False, seed: int = 0, level: float = 0.9,
             alpha: float = 0.05, n_geos: int = 40, n_days: int = 120, test_days: int = 28,
             regional: float = 1.0, trends: float = 1.0,
             progress: Callable[[str], None] | None = None) -> dict[str, MethodScore]:
    """Score ``methods`` on ``n_worlds`` simulated geo tests (see the module docstring)."""
    scores = {m: MethodScore(m) for m in methods}
    for k in range(n_worlds):
        spec = world_spec(k, seed, null)
        frame, truth = simulate_geo_panel(n_geos=n_geos, n_days=n_days, test_days=test_days,
                                          treated=spec["treated"], effect=spec["effect"], seed=seed + k,
                                          cost=False, regional=regional,
                                          trends=trends)
        panel = GeoPanel.from_frame(frame)
        for m in methods:
            name, _, inf = m.partition(":")
            t = time.perf_counter()
            r = analyze(panel, name, truth["treated"], truth["test_start"], truth["test_end"], level=level, seed=k,
                        inference=inf or None)
            s = scores[m]
            s.seconds.append(time.perf_counter() - t)
            s.worlds += 1
            s.covered += int(r.att.lo <= truth["att"] <= r.att.hi)
            s.rejected += int(r.p_value < alpha)
            s.abs_errors.append(abs(r.att.mean - truth["att"]))
            if truth["att"] != 0:
                s.rel_errors.append(abs(r.att.mean - truth["att"]) / abs(truth["att"]))
        if progress is not None:
            progress(f"world {k + 1}/{n_worlds}")
    return scores
