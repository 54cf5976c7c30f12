"""Bayesian marketing mix model on JAX + NumPyro.

Public API (imported lazily so ``import omnimix.mmm`` stays light)::

    from omnimix.mmm import MMM, MMMConfig, load_csv, load_workspace
    fit = MMM(MMMConfig()).fit(data, mode="nuts")   # or mode="map"
    fit.summary(); fit.response_curves(); fit.save("out/mmm")

See docs/mmm.md for the maths and the CLI.
"""

from __future__ import annotations

from typing import Any

from omnimix.mmm.data import Experiment, MMMData, from_frame, load_csv, load_experiments, load_workspace

__all__ = [
    "MMM",
    "Experiment",
    "FittedMMM",
    "MMMConfig",
    "MMMData",
    "from_frame",
    "load_csv",
    "load_experiments",
    "load_fit",
    "load_workspace",
]


def __getattr__(name: str) -> Any:
    if name in ("MMM", "MMMConfig"):
        from omnimix.mmm import model

        return getattr(model, name)
    if name in ("FittedMMM", "load_fit"):
        from omnimix.mmm import analysis

        return getattr(analysis, name)
    raise AttributeError(f"module 'omnimix.mmm' has no attribute {name!r}")
