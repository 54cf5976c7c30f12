"""The MMM entry point: ``MMM(config).fit(data, mode="nuts" | "map")`` → :class:`FittedMMM`.

The model itself (configuration, scaling, the NumPyro model and its forward pass) lives in
:mod:`omnimix.mmm.spec`; inference in :mod:`omnimix.mmm.inference`; the fitted result in
:mod:`omnimix.mmm.analysis`. This module ties them together and re-exports the names of
:mod:`omnimix.mmm.spec` that older code imports from here (``MMMConfig``, ``ModelSpec``, ``prepare`` …).
"""

from __future__ import annotations

import logging

import numpy as np

from omnimix.errors import ConfigError
from omnimix.mmm.analysis import FittedMMM
from omnimix.mmm.data import MMMData
from omnimix.mmm.devices import prepare_host_devices
from omnimix.mmm.spec import (
    PRIOR_MODES,
    MMMConfig,
    ModelSpec,
    Prepared,
    fourier_terms,
    lag_tensor,
    prepare,
)

__all__ = [
    "MMM",
    "PRIOR_MODES",
    "FittedMMM",
    "MMMConfig",
    "ModelSpec",
    "Prepared",
    "fourier_terms",
    "lag_tensor",
    "prepare",
]

log = logging.getLogger("omnimix")


class MMM:
    """Bayesian MMM: ``MMM(config).fit(data, mode="nuts" | "map")`` → :class:`FittedMMM`."""

    def __init__(self, config: MMMConfig | None = None) -> None:
        self.config = config or MMMConfig()

    def fit(self, data: MMMData, *, mode: str = "nuts", seed: int = 0, progress: bool = False) -> FittedMMM:
        """Fit the model.

        Args:
            data: the modelling table.
            mode: ``"nuts"`` (full posterior; parallel chains when JAX sees one host device per chain,
                see :mod:`omnimix.mmm.devices`) or ``"map"`` (posterior mode with a Laplace
                approximation: seconds, for interactive use).
            seed: random seed; the same seed and data give the same result.
            progress: show a progress bar (NUTS) on stderr.

        Returns:
            The fitted model with diagnostics and review gates evaluated.
        """
        if mode not in ("nuts", "map"):
            raise ConfigError(f"mode={mode!r} is unknown", ["use mode='nuts' or mode='map'"])
        if self.config.chain_method != "vectorized":
            prepare_host_devices(self.config.chains)  # before JAX is first imported (no-op after)
        from omnimix.mmm.effects import prior_predictive
        from omnimix.mmm.inference import run_map, run_nuts

        prep = prepare(data, self.config)
        spec = ModelSpec(self.config, prep, data.channels)
        prior = prior_predictive(spec, prep)  # before the data: what the priors alone say
        t = prior["total"]
        log.info("prior predictive media share of the KPI (%s prior): %.1f%% [%.1f%%, %.1f%%]", self.config.prior,
                 100 * t.mean(), 100 * np.quantile(t, 0.05), 100 * np.quantile(t, 0.95))
        if mode == "map":
            result = run_map(spec, prep, seed=seed)
        else:
            result = run_nuts(spec, prep, seed=seed, progress=progress)
        return FittedMMM.build(data=data, config=self.config, prep=prep, spec=spec, result=result, mode=mode,
                               prior=prior)
