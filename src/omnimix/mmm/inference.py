"""Inference for the MMM: NUTS with vectorised chains, and a MAP + Laplace fast mode.

* :func:`run_nuts` runs NumPyro's NUTS with ``config.chains`` chains in one vectorised program
  (``chain_method="vectorized"``), or in parallel when JAX sees enough host devices (set
  ``XLA_FLAGS=--xla_force_host_platform_device_count=N`` before JAX is imported;
  :func:`omnimix.mmm.devices.prepare_host_devices` does that on the fit path).
  Chains start near the posterior mode (MAP plus Laplace jitter), which shortens warm-up and avoids
  chains stuck in far modes.
* :func:`run_map` minimises the jitted negative log density in unconstrained space with L-BFGS
  from the centre of the unconstrained space, then draws from the Laplace approximation N(mode, H⁻¹).

Compiled programs go to JAX's persistent compile cache (:func:`enable_compile_cache`) so a second
process with the same shapes starts warm.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from omnimix.errors import ConvergenceError

if TYPE_CHECKING:
    from omnimix.mmm.spec import ModelSpec, Prepared

log = logging.getLogger("omnimix")

_CACHE_DONE = False


def cache_dir() -> Path:
    """The JAX compile cache directory: ``$OMNIMIX_JAX_CACHE`` or ``<user cache>/omnimix/jax``."""
    env = os.environ.get("OMNIMIX_JAX_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "omnimix" / "jax"


def enable_compile_cache() -> None:
    """Turn on JAX's persistent compilation cache (idempotent; off with OMNIMIX_JAX_CACHE=off)."""
    global _CACHE_DONE
    if _CACHE_DONE or os.environ.get("OMNIMIX_JAX_CACHE") == "off":
        return
    import jax

    d = cache_dir()
    try:
        d.mkdir(parents=True, exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", str(d))  # type: ignore[no-untyped-call]
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)  # type: ignore[no-untyped-call]
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)  # type: ignore[no-untyped-call]
    except (OSError, AttributeError) as exc:  # read-only home, old jax
        log.warning("JAX compile cache disabled: %s", exc)
    _CACHE_DONE = True


@dataclass
class InferenceResult:
    """Posterior draws and sampler facts.

    Attributes:
        samples: site name → array of shape (chains, draws, *site_shape), constrained values.
        diverging: divergent transitions, shape (chains, draws); None for MAP.
        mode: ``"nuts"`` or ``"map"``.
        seconds: wall time of inference.
        info: extra facts (optimizer status, Laplace validity, steps per draw, chain method).
    """

    samples: dict[str, np.ndarray]
    diverging: np.ndarray | None
    mode: str
    seconds: float
    info: dict[str, Any] = field(default_factory=dict)


def _jax_arrays(prep: Prepared) -> dict[str, Any]:
    import jax.numpy as jnp

    return {k: jnp.asarray(v) for k, v in prep.arrays().items()}


def _initial_point(spec: ModelSpec, arr: dict[str, Any]) -> dict[str, Any]:
    """Unconstrained start for every latent site: zeros (the centre of each site's unconstrained space).

    Site names and shapes come from an abstract trace of the model (``jax.eval_shape``: nothing is
    compiled or executed).
    """
    import jax
    import jax.numpy as jnp
    from numpyro import handlers
    from numpyro.distributions.transforms import biject_to

    supports: dict[str, Any] = {}

    def shapes(a: dict[str, Any]) -> dict[str, Any]:
        tr = handlers.trace(handlers.seed(spec.model, 0)).get_trace(a)
        sites = {n: s for n, s in tr.items() if s["type"] == "sample" and not s["is_observed"]}
        supports.update({n: s["fn"].support for n, s in sites.items()})
        return {n: s["value"] for n, s in sites.items()}

    abstract = jax.eval_shape(shapes, arr)
    # unconstrained shapes differ from constrained ones for some supports (a simplex has one less)
    return {
        n: jnp.zeros(biject_to(supports[n]).inverse_shape(v.shape), jnp.float32) for n, v in abstract.items()
    }


def _find_mode(
    spec: ModelSpec,
    arr: dict[str, Any],
    seed: int,
    starts: int = 1,
    *,
    like: dict[str, Any] | None = None,
    x0: np.ndarray | None = None,
) -> dict[str, Any]:
    """L-BFGS on the unconstrained negative log density (potential) from one or more starts.

    Args:
        like: a result of an earlier call on arrays of the same shapes: its compiled potential and
            parameter layout are reused (no tracing or compilation).
        x0: start of the first run (default: the centre of the unconstrained space).

    Returns:
        dict with ``z`` (flat unconstrained mode, float64), ``unravel``, ``potential`` (value),
        ``vg`` (jitted value-and-gradient of the flat potential), ``fun`` (its float64 wrapper on
        ``arr``), ``constrain``, ``success``, ``message``, ``nit``.
    """
    import jax
    import jax.numpy as jnp
    from jax.flatten_util import ravel_pytree
    from numpyro.infer.util import constrain_fn, potential_energy
    from scipy.optimize import minimize

    t0 = time.perf_counter()
    if like is not None:
        z0, unravel, vg = jnp.zeros_like(jnp.asarray(like["z"], jnp.float32)), like["unravel"], like["vg"]
    else:
        z0, unravel = ravel_pytree(_initial_point(spec, arr))
        log.debug("MAP init point in %.2fs", time.perf_counter() - t0)

        def flat_pot(z: Any, a: dict[str, Any]) -> Any:
            return potential_energy(spec.model, (), {"arr": a}, unravel(z))

        vg = jax.jit(jax.value_and_grad(flat_pot))

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        v, g = vg(jnp.asarray(x, dtype=jnp.float32), arr)
        v = float(v)
        g = np.asarray(g, dtype=np.float64)
        if not np.isfinite(v) or not np.all(np.isfinite(g)):
            return 1e20, np.zeros_like(g)
        return v, g

    t0 = time.perf_counter()
    fun(np.asarray(z0, dtype=np.float64))
    log.debug("potential compiled in %.2fs", time.perf_counter() - t0)
    rng = np.random.default_rng(seed)
    best = None
    z0n = np.asarray(z0, dtype=np.float64) if x0 is None else np.asarray(x0, dtype=np.float64)
    for i in range(starts):
        start = z0n if i == 0 else z0n + rng.normal(0.0, 0.7, z0n.shape)
        res = minimize(fun, start, jac=True, method="L-BFGS-B", options={"maxiter": 3000, "maxcor": 30})
        log.debug("MAP start %d: f=%.4f success=%s nit=%d", i, res.fun, res.success, res.nit)
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None

    def constrain(zd: dict[str, Any]) -> dict[str, Any]:
        return dict(constrain_fn(spec.model, (), {"arr": arr}, zd))

    return {
        "z": np.asarray(best.x, dtype=np.float64),
        "unravel": unravel,
        "potential": float(best.fun),
        "vg": vg,
        "fun": fun,
        "constrain": constrain,
        "success": bool(best.success) or "ABNORMAL" in str(best.message),
        "message": str(best.message),
        "nit": int(best.nit),
    }


def flat_profile(spec: ModelSpec, arr: dict[str, Any], mode: dict[str, Any], seed: int) -> dict[str, Any]:
    """The flat-prior likelihood profile: the mode with the channel-effect priors switched off.

    The channel-effect sites (media share and split, ROI or β) get ``prior_weight`` ≈ 0, every other
    prior stays; L-BFGS starts at the fit's mode and from the centre, reusing the compiled potential.

    Returns:
        ``z`` (flat unconstrained profile mode), ``gain`` (how much higher the log density without the
        channel-effect priors is at the profile mode than at the fit's mode: ≥ 0; twice it is a
        likelihood-ratio statistic), ``success``.
    """
    import jax.numpy as jnp

    from omnimix.mmm.spec import FLAT_PRIOR_WEIGHT

    flat_arr = {**arr, "prior_weight": jnp.asarray(FLAT_PRIOR_WEIGHT, jnp.float32)}
    prof = _find_mode(spec, flat_arr, seed, like=mode, x0=mode["z"])
    for z in _roi_starts(spec, arr, mode):
        # under an ROI prior in the wrong units the likelihood is flat near the fit's mode: start also
        # where the ROI implies a plausible media share, and keep the best mode
        other = _find_mode(spec, flat_arr, seed, like=mode, x0=z)
        if other["potential"] < prof["potential"]:
            prof = other
    at_fit = prof["fun"](mode["z"])[0]
    return {
        "z": prof["z"],
        "gain": float(max(at_fit - prof["potential"], 0.0)),
        "success": bool(prof["success"]),
    }


#: Total media shares of the KPI the extra profile starts imply under an ROI prior.
ROI_START_SHARES = (0.1, 0.4)


def _roi_starts(spec: ModelSpec, arr: dict[str, Any], mode: dict[str, Any]) -> list[np.ndarray]:
    """Unconstrained starts whose ROIs imply the media shares :data:`ROI_START_SHARES` (ROI mode only).

    Every channel gets the same ROI ``v · share · KPI / spend`` (its share then follows its spend).
    """
    import jax.numpy as jnp
    from jax.flatten_util import ravel_pytree

    if spec.config.prior != "roi":
        return []
    y = np.asarray(arr["y"], np.float64)
    kpi = float(np.einsum("tg,g->", y, np.asarray(arr["y_scale"], np.float64)))
    spend = float(np.asarray(arr["spend_total"], np.float64).sum())
    if kpi <= 0 or spend <= 0:
        return []
    out = []
    for share in ROI_START_SHARES:
        log_roi = np.log(spec.config.roi_value * share * kpi / spend)
        zd = dict(unravel_point(mode, mode["z"]))
        for k in zd:
            if k == "roi" or (k.startswith("roi_") and k[4:].isdigit()):
                zd[k] = jnp.full_like(zd[k], log_roi)
        out.append(np.asarray(ravel_pytree(zd)[0], np.float64))
    return out


def unravel_point(mode: dict[str, Any], z: np.ndarray) -> dict[str, Any]:
    """A flat unconstrained vector as the site dict of ``mode``'s layout."""
    import jax.numpy as jnp

    out: dict[str, Any] = mode["unravel"](jnp.asarray(z, dtype=jnp.float32))
    return out


def _laplace_draws(mode: dict[str, Any], n: int, seed: int) -> tuple[np.ndarray, bool]:
    """Draws from N(mode, H⁻¹) in unconstrained space; returns (draws (n, D), Hessian positive definite).

    The Hessian is central finite differences of the jitted gradient (2·D gradient calls, no extra
    compilation).
    """
    z = mode["z"]
    d = z.size
    h = np.zeros((d, d))
    for i in range(d):
        step = 1e-3 * max(1.0, abs(z[i]))
        e = np.zeros(d)
        e[i] = step
        h[i] = (mode["fun"](z + e)[1] - mode["fun"](z - e)[1]) / (2 * step)
    h = 0.5 * (h + h.T)
    if not np.all(np.isfinite(h)):
        raise ConvergenceError(
            "MAP fit failed: the Hessian at the mode is not finite. Try mode='nuts' or simpler priors."
        )
    lam, vec = np.linalg.eigh(h)
    pd_ok = bool(lam.min() > 0)
    lam = np.clip(lam, 1e-6 * max(lam.max(), 1.0), None)
    rng = np.random.default_rng(seed)
    eps = rng.standard_normal((n, d))
    draws = z[None, :] + (eps / np.sqrt(lam)) @ vec.T
    return draws, pd_ok


def _constrain(mode: dict[str, Any], draws: np.ndarray) -> dict[str, np.ndarray]:
    import jax
    import jax.numpy as jnp

    unravel, post = mode["unravel"], mode["constrain"]
    fn = jax.jit(jax.vmap(lambda z: post(unravel(z))))
    out = fn(jnp.asarray(draws, dtype=jnp.float32))
    return {k: np.asarray(v) for k, v in out.items()}


def run_map(spec: ModelSpec, prep: Prepared, *, seed: int = 0) -> InferenceResult:
    """Posterior mode (L-BFGS, several starts) plus Laplace draws.

    Returns:
        Samples with one "chain" of ``config.laplace_draws`` draws; ``info["map"]`` holds the
        constrained mode, ``info["laplace_ok"]`` whether the Hessian was positive definite.
    """
    enable_compile_cache()
    t0 = time.perf_counter()
    arr = _jax_arrays(prep)
    mode = _find_mode(spec, arr, seed)
    t1 = time.perf_counter()
    draws, pd_ok = _laplace_draws(mode, spec.config.laplace_draws, seed)
    t2 = time.perf_counter()
    profile = flat_profile(spec, arr, mode, seed)
    both = _constrain(mode, np.concatenate([mode["z"][None, :], profile.pop("z")[None, :], draws]))
    samples = {k: v[2:] for k, v in both.items()}
    map_point = {k: v[:1] for k, v in both.items()}
    profile["point"] = {k: v[1] for k, v in both.items()}
    t3 = time.perf_counter()
    secs = t3 - t0
    log.debug(
        "MAP timings: mode %.2fs (%d its), hessian %.2fs, constrain %.2fs",
        t1 - t0,
        mode["nit"],
        t2 - t1,
        t3 - t2,
    )
    log.info("MAP fit in %.2f s (%s)", secs, mode["message"])
    return InferenceResult(
        samples={k: v[None] for k, v in samples.items() if k in map_point},
        diverging=None,
        mode="map",
        seconds=secs,
        info={
            "map": {k: v[0] for k, v in map_point.items()},
            "laplace_ok": pd_ok,
            "optimizer_success": mode["success"],
            "optimizer_message": mode["message"],
            "iterations": mode["nit"],
            "profile": profile,
        },
    )


def run_nuts(spec: ModelSpec, prep: Prepared, *, seed: int = 0, progress: bool = False) -> InferenceResult:
    """NUTS with ``config.chains`` chains (parallel when host devices allow, else vectorised).

    Chains start at the MAP mode plus Laplace-scaled jitter (one start per chain). NUTS runs on the
    jitted potential in unconstrained space (no per-run model re-tracing by NumPyro); draws are mapped
    back to the constrained space in one vmapped program.
    """
    enable_compile_cache()
    import jax
    import jax.numpy as jnp
    from jax.flatten_util import ravel_pytree
    from numpyro.infer import MCMC, NUTS
    from numpyro.infer.util import constrain_fn, potential_energy

    cfg = spec.config
    t0 = time.perf_counter()
    arr = _jax_arrays(prep)
    rng = np.random.default_rng(seed)
    try:
        mode = _find_mode(spec, arr, seed)
        profile: dict[str, Any] | None = flat_profile(spec, arr, mode, seed)
        assert profile is not None
        z_prof = profile.pop("z")
        profile["point"] = {
            k: np.asarray(v) for k, v in mode["constrain"](unravel_point(mode, z_prof)).items()
        }
        draws, _ = _laplace_draws(mode, cfg.chains, seed + 1)
        starts = mode["z"][None, :] + 0.5 * (draws - mode["z"][None, :])
        unravel = mode["unravel"]
    except ConvergenceError as exc:
        log.warning("MAP initialisation failed (%s); chains start near the prior centre", exc)
        profile = None
        z0, unravel = ravel_pytree(_initial_point(spec, arr))
        starts = rng.normal(0.0, 0.5, (cfg.chains, z0.size))
    init_params = jax.vmap(unravel)(jnp.asarray(starts, dtype=jnp.float32))
    if cfg.chains == 1:
        init_params = jax.tree_util.tree_map(lambda v: v[0], init_params)
    can_parallel = jax.local_device_count() >= cfg.chains > 1
    t_init = time.perf_counter() - t0
    method = "parallel" if can_parallel and cfg.chain_method != "vectorized" else "vectorized"
    if cfg.chain_method == "parallel" and not can_parallel:
        log.warning(
            "parallel chains need %d host devices, JAX sees %d: running vectorised",
            cfg.chains,
            jax.local_device_count(),
        )

    def potential(zd: dict[str, Any]) -> Any:
        return potential_energy(spec.model, (), {"arr": arr}, zd)

    dense = bool(cfg.dense_mass) if cfg.dense_mass != "auto" else spec.n_channels <= 4
    kernel = NUTS(
        potential_fn=potential,
        target_accept_prob=cfg.target_accept,
        max_tree_depth=cfg.max_tree_depth,
        dense_mass=dense,
    )
    mcmc = MCMC(
        kernel,
        num_warmup=cfg.warmup,
        num_samples=cfg.samples,
        num_chains=cfg.chains,
        chain_method=method,
        progress_bar=progress,
    )
    mcmc.run(jax.random.PRNGKey(seed), init_params=init_params, extra_fields=("diverging", "num_steps"))
    z = mcmc.get_samples(group_by_chain=True)
    if cfg.chains == 1 and next(iter(z.values())).ndim == next(iter(init_params.values())).ndim + 1:
        z = jax.tree_util.tree_map(lambda v: v[None], z)

    def constrain(zd: dict[str, Any]) -> dict[str, Any]:
        return dict(constrain_fn(spec.model, (), {"arr": arr}, zd))

    samples = {k: np.asarray(v) for k, v in jax.jit(jax.vmap(jax.vmap(constrain)))(z).items()}
    extra = mcmc.get_extra_fields(group_by_chain=True)
    diverging = np.asarray(extra["diverging"]).reshape(cfg.chains, cfg.samples)
    steps = np.asarray(extra["num_steps"])
    secs = time.perf_counter() - t0
    log.debug("NUTS timings: MAP init %.2fs, sampling (incl. compile) %.2fs", t_init, secs - t_init)
    log.info("NUTS: %d chains x %d draws in %.1f s (%s)", cfg.chains, cfg.samples, secs, method)
    return InferenceResult(
        samples=samples,
        diverging=diverging,
        mode="nuts",
        seconds=secs,
        info={
            "chain_method": method,
            "dense_mass": dense,
            "mean_steps": float(steps.mean()),
            "max_steps": int(steps.max()),
            "profile": profile,
        },
    )
