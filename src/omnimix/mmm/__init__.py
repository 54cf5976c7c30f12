"""Bayesian marketing mix model on JAX + NumPyro.

Public API (imported lazily, so ``import omnimix.mmm`` imports neither JAX nor NumPyro)::

    from omnimix.mmm import MMM, MMMConfig, load_file, load_workspace
    fit = MMM(MMMConfig()).fit(data, mode="nuts")   # or mode="map"
    fit.summary(); fit.curves(); fit.save("out/mmm")

    from omnimix.mmm import FitSpec, fit_workspace  # the workflow behind `omnimix mmm fit`
    run = fit_workspace("ws", FitSpec(mode="map"))

See docs/mmm.md for the maths and the CLI.

Parallel chains: importing this package changes nothing in the environment. The fit path
(:meth:`MMM.fit`, the workflows) calls :func:`prepare_host_devices`, which — when JAX has not been
imported yet — asks XLA for one host CPU device per chain
(``XLA_FLAGS=--xla_force_host_platform_device_count=N``) so NUTS chains run in parallel rather than
vectorised. Set ``OMNIMIX_HOST_DEVICES=0`` to leave ``XLA_FLAGS`` alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omnimix._lazy import lazy_exports

if TYPE_CHECKING:
    from omnimix.mmm.analysis import FittedMMM, load_fit, load_response_curves
    from omnimix.mmm.data import (
        Experiment,
        MMMData,
        from_frame,
        load_csv,
        load_experiments,
        load_file,
        load_workspace,
    )
    from omnimix.mmm.devices import prepare_host_devices
    from omnimix.mmm.model import MMM
    from omnimix.mmm.spec import MMMConfig
    from omnimix.mmm.workflow import FitSpec, MMMReport, MMMRun, fit_data, fit_file, fit_workspace, report_fit

__all__ = [
    "MMM",
    "Experiment",
    "FitSpec",
    "FittedMMM",
    "MMMConfig",
    "MMMData",
    "MMMReport",
    "MMMRun",
    "fit_data",
    "fit_file",
    "fit_workspace",
    "from_frame",
    "load_csv",
    "load_experiments",
    "load_file",
    "load_fit",
    "load_response_curves",
    "load_workspace",
    "prepare_host_devices",
    "report_fit",
]

__getattr__, __dir__ = lazy_exports(__name__, {
    "MMM": "omnimix.mmm.model",
    "MMMConfig": "omnimix.mmm.spec",
    "FittedMMM": "omnimix.mmm.analysis",
    "load_fit": "omnimix.mmm.analysis",
    "load_response_curves": "omnimix.mmm.analysis",
    "Experiment": "omnimix.mmm.data",
    "MMMData": "omnimix.mmm.data",
    "from_frame": "omnimix.mmm.data",
    "load_csv": "omnimix.mmm.data",
    "load_experiments": "omnimix.mmm.data",
    "load_file": "omnimix.mmm.data",
    "load_workspace": "omnimix.mmm.data",
    "prepare_host_devices": "omnimix.mmm.devices",
    "FitSpec": "omnimix.mmm.workflow",
    "MMMReport": "omnimix.mmm.workflow",
    "MMMRun": "omnimix.mmm.workflow",
    "fit_data": "omnimix.mmm.workflow",
    "fit_file": "omnimix.mmm.workflow",
    "fit_workspace": "omnimix.mmm.workflow",
    "report_fit": "omnimix.mmm.workflow",
})
