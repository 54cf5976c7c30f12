"""Bayesian marketing mix model on JAX + NumPyro.

Public API (imported lazily so ``import omnimix.mmm`` stays light)::

    from omnimix.mmm import MMM, MMMConfig, load_csv, load_workspace
    fit = MMM(MMMConfig()).fit(data, mode="nuts")   # or mode="map"
    fit.summary(); fit.response_curves(); fit.save("out/mmm")

See docs/mmm.md for the maths and the CLI.

Parallel chains: when JAX has not been imported yet, importing this package asks XLA for 4 host CPU
devices (``XLA_FLAGS=--xla_force_host_platform_device_count=4``) so NUTS chains run in parallel rather
than vectorised (several times less CPU on this model). Set ``OMNIMIX_HOST_DEVICES=0`` to leave
``XLA_FLAGS`` alone.
"""

from __future__ import annotations

import os
import sys
from typing import Any


def _ask_host_devices() -> None:
    n = os.environ.get("OMNIMIX_HOST_DEVICES", "4")
    flags = os.environ.get("XLA_FLAGS", "")
    if n == "0" or "jax" in sys.modules or "xla_force_host_platform_device_count" in flags:
        return
    os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={int(n)}".strip()


_ask_host_devices()

from omnimix.mmm.data import Experiment  # noqa: E402, MMMData, from_frame, load_csv, load_experiments, load_workspace

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
