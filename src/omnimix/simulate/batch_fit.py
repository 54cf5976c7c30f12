"""NUTS fits of many simulated worlds of one shape, compiled once (for the SBC harness).

The package's :func:`omnimix.mmm.inference.run_nuts` closes its potential over the data, so every new
data set compiles a new XLA program: on a small world that compilation (NUTS, the MAP start and the
Laplace Hessian) is ~80% of the fit's time. :class:`BatchNUTS` runs the *same model*
(:meth:`omnimix.mmm.spec.ModelSpec.model`) under NumPyro's NUTS with the *same settings*
(``target_accept``, ``max_tree_depth``, dense mass matrix for ≤ 4 channels, ``chains`` × (``warmup`` +
``samples``)) but passes the data as arguments (``jit_model_args``), so every world of one shape and
configuration reuses one compiled sampler. Two differences from ``run_nuts``: chains are vectorised
(NumPyro compiles model arguments only for vectorised chains), and they start at the prior median
(``init_to_median``) instead of the MAP mode. The result goes through the package's
:meth:`omnimix.mmm.analysis.FittedMMM.build` (derived quantities, review gates) unchanged.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np

from omnimix.mmm.data import MMMData
from omnimix.mmm.spec import MMMConfig, ModelSpec, Prepared

if TYPE_CHECKING:
    from omnimix.mmm.analysis import FittedMMM

__all__ = ["BatchNUTS"]


class BatchNUTS:
    """A cache of compiled NUTS samplers, one per (configuration, data shape)."""

    def __init__(self) -> None:
        self._cache: dict[Any, tuple[Any, ModelSpec]] = {}

    def fit(self, data: MMMData, prep: Prepared, config: MMMConfig, *, seed: int = 0) -> FittedMMM:
        """Fit ``prep`` (the model inputs of ``data``) with NUTS; see the module docstring."""
        import jax
        import jax.numpy as jnp
        from numpyro.infer import MCMC, NUTS, init_to_median

        from omnimix.mmm.analysis import FittedMMM
        from omnimix.mmm.inference import InferenceResult, enable_compile_cache

        enable_compile_cache()
        arrays = prep.arrays()
        key = (repr(config.to_dict()), data.channels,
               tuple((k, np.shape(v)) for k, v in sorted(arrays.items())))  # fmt: skip
        if key not in self._cache:
            spec0 = ModelSpec(config, prep, data.channels)
            kernel = NUTS(
                spec0.model,
                target_accept_prob=config.target_accept,
                max_tree_depth=config.max_tree_depth,
                dense_mass=bool(config.dense_mass) if config.dense_mass != "auto" else spec0.n_channels <= 4,
                init_strategy=init_to_median(num_samples=15),
            )
            mcmc = MCMC(
                kernel,
                num_warmup=config.warmup,
                num_samples=config.samples,
                num_chains=config.chains,
                chain_method="vectorized",
                progress_bar=False,
                jit_model_args=True,
            )
            self._cache[key] = (mcmc, spec0)
        mcmc, _ = self._cache[key]
        spec = ModelSpec(config, prep, data.channels)
        arr = {k: jnp.asarray(v) for k, v in arrays.items()}
        t0 = time.perf_counter()
        mcmc.run(jax.random.PRNGKey(seed), arr, extra_fields=("diverging", "num_steps"))
        samples = {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}
        extra = mcmc.get_extra_fields(group_by_chain=True)
        steps = np.asarray(extra["num_steps"])
        result = InferenceResult(
            samples=samples,
            diverging=np.asarray(extra["diverging"]).reshape(config.chains, config.samples),
            mode="nuts",
            seconds=time.perf_counter() - t0,
            info={"chain_method": "vectorized", "init": "prior median", "engine": "BatchNUTS",
                  "mean_steps": float(steps.mean()), "max_steps": int(steps.max())},
        )  # fmt: skip
        return FittedMMM.build(data=data, config=config, prep=prep, spec=spec, result=result, mode="nuts")
