"""Worlds drawn from the MMM's own prior, for simulation-based calibration (strict SBC).

A *prior world* is the MMM's generative model run forwards: a spend design (varied per world — see
:func:`design_spend`), every parameter drawn from the configured model's priors by the model's own
code (:meth:`omnimix.mmm.spec.ModelSpec.sample_params`, so the worlds follow any change of the
default priors), the forward pass (adstock, saturation, baseline), and the KPI drawn from the model's
likelihood (AR(1) residuals when ``ar_errors``). When the forward pass reads the KPI itself (a prior
on media's *share* of the KPI turns the share into a coefficient through the KPI total), the KPI is
the fixed point of ``y = μ(θ, y) + u`` for the drawn residuals u. The fit then sees exactly the model that made the
data, so the rank of every true parameter among the posterior draws must be uniform (Talts et al.
2018; statistics in :mod:`omnimix.simulate.sbc`).

The MMM scales the KPI by its mean before fitting. A prior that depends on the data it is fitted to is
not a generative model, so the scaling is *held fixed* here: the world chooses the KPI scale
``y_scale`` (a multiple of the weekly spend), generates the KPI in scaled units, and
:func:`fit_prior_world` fits with that same scale (``MMM.fit`` would recompute it from the KPI). Every
other step — NUTS, the derived contributions and ROI, the review gates — is the package's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from omnimix.mmm.data import MMMData
from omnimix.mmm.spec import MMMConfig, ModelSpec, Prepared, prepare
from omnimix.simulate import sbc

if TYPE_CHECKING:
    from omnimix.mmm.analysis import FittedMMM

__all__ = ["PriorWorld", "design_controls", "design_spend", "fit_prior_world", "prior_world", "score_fit"]

LEVELS = (0.5, 0.8, 0.9)


@dataclass(frozen=True)
class PriorWorld:
    """A world drawn from the model's prior.

    Attributes:
        data: the modelling table (KPI = scaled KPI × ``y_scale``).
        prep: the model inputs with the scaling the world was generated with.
        config: the model configuration whose priors drew the truth.
        truth: ``params`` (site → value, as nested lists), per-channel ``roi`` and ``contribution``
            (KPI units over the data period), ``media_total`` and the ``design`` facts.
    """

    data: MMMData
    prep: Prepared
    config: MMMConfig
    truth: dict[str, Any]


def _ar1(rng: np.random.Generator, n: int, rho: float, size: int = 1) -> np.ndarray:
    """Stationary unit-variance AR(1) series, shape (n, size)."""
    e = rng.normal(0.0, 1.0, (n, size))
    out = np.zeros((n, size))
    out[0] = e[0]
    s = np.sqrt(1.0 - rho**2)
    for t in range(1, n):
        out[t] = rho * out[t - 1] + s * e[t]
    return out


def design_spend(
    rng: np.random.Generator,
    weeks: int,
    n_channels: int,
    *,
    correlation: float | None = None,
    flighting: float = 0.4,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Weekly spend (weeks, n_channels) with correlated channels and on/off flighting.

    Each channel has a weekly level drawn log-uniformly from 20k..200k; log spend moves by a common
    AR(1) factor and an own AR(1) factor (sd 0.35 in all) with ``corr(log spend_i, log spend_j) =
    correlation`` (drawn from U(0, 0.8) when None). With probability ``flighting`` a channel flights:
    it is on air a share U(0.4, 0.8) of weeks, in bursts (a two-state Markov chain with mean on-block
    length 4 weeks).

    Returns:
        ``(spend, facts)`` with facts ``{"correlation", "on_air": [share per channel]}``.
    """
    r = float(rng.uniform(0.0, 0.8)) if correlation is None else float(correlation)
    level = np.exp(rng.uniform(np.log(20_000.0), np.log(200_000.0), n_channels))
    z = np.sqrt(r) * _ar1(rng, weeks, 0.6) + np.sqrt(1.0 - r) * _ar1(rng, weeks, 0.6, n_channels)
    spend = level * np.exp(0.35 * z - 0.35**2 / 2)
    on_air = []
    for c in range(n_channels):
        if rng.random() < flighting:
            share = float(rng.uniform(0.4, 0.8))
            p_off = 1.0 / 4.0  # leave an on-block with prob 1/4: mean block 4 weeks
            p_on = p_off * share / (1.0 - share)  # stationary share on air = share
            on = np.zeros(weeks, dtype=bool)
            on[0] = rng.random() < share
            for t in range(1, weeks):
                on[t] = (rng.random() >= p_off) if on[t - 1] else (rng.random() < p_on)
            if not on.any():
                on[rng.integers(weeks)] = True
            spend[:, c] *= on
        on_air.append(float(np.mean(spend[:, c] > 0)))
    return np.round(spend, 2), {"correlation": r, "on_air": on_air}


def design_controls(rng: np.random.Generator, weeks: int) -> tuple[np.ndarray, tuple[str, ...]]:
    """Two controls: ``price_index`` (1 + AR(1) noise) and ``promo`` (0/1 in ~15% of weeks)."""
    price = 1.0 + 0.015 * _ar1(rng, weeks, 0.7)[:, 0]
    promo = (rng.random(weeks) < 0.15).astype(float)
    if promo.sum() == 0:
        promo[rng.integers(weeks)] = 1.0
    return np.column_stack([price, promo]), ("price_index", "promo")


def _sample_sites(spec: ModelSpec, seed: int) -> dict[str, np.ndarray]:
    """One draw of every parameter from the model's priors (one jitted program, not op by op)."""
    import jax
    import numpyro

    def draw(key: Any) -> dict[str, Any]:
        tr = numpyro.handlers.trace(numpyro.handlers.seed(spec.sample_params, rng_seed=key)).get_trace()
        return {k: s["value"] for k, s in tr.items() if s["type"] == "sample"}

    out = jax.jit(draw)(jax.random.PRNGKey(seed))
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


def prior_world(
    seed: int,
    *,
    weeks: int = 52,
    n_channels: int = 3,
    config: MMMConfig | None = None,
    kpi_per_spend: float | None = None,
    start: dt.date = dt.date(2023, 1, 2),
) -> PriorWorld:
    """Draw one world from the prior of ``config`` (default: ``MMMConfig()``).

    Args:
        seed: random seed (design, parameters and noise).
        weeks, n_channels: size of the world.
        config: the model whose priors generate the truth; fit with the same one.
        kpi_per_spend: KPI scale ÷ total weekly spend (drawn from U(3, 8) when None), so that media's
            share of the KPI is of the usual order under an ROI prior.
        start: first week (a Monday).
    """
    from omnimix.mmm.inference import enable_compile_cache

    enable_compile_cache()  # the two jitted programs below are then compiled once per shape
    cfg = config or MMMConfig()
    rng = np.random.default_rng(seed)
    spend, facts = design_spend(rng, weeks, n_channels)
    controls, cnames = design_controls(rng, weeks)
    dates = tuple(start + dt.timedelta(days=7 * i) for i in range(weeks))
    chans = tuple(f"ch{i + 1}" for i in range(n_channels))
    k = float(rng.uniform(3.0, 8.0)) if kpi_per_spend is None else float(kpi_per_spend)
    y_scale = k * float(spend.sum(axis=1).mean())
    data0 = MMMData(dates, np.ones(weeks), spend, spend.copy(), chans, controls, cnames)
    prep0 = prepare(data0, cfg)
    prep0 = dataclasses.replace(prep0, y_scale=np.array([y_scale], dtype=np.float32))
    spec = ModelSpec(cfg, prep0, chans)
    params = _sample_sites(spec, int(rng.integers(2**31)))
    import jax

    sigma = float(params["sigma"])
    if "rho" in params:
        rho = float(params["rho"])
        u = np.zeros(weeks)
        e = rng.normal(0.0, sigma, weeks)
        u[0] = e[0] / np.sqrt(1.0 - rho**2)
        for t in range(1, weeks):
            u[t] = rho * u[t - 1] + e[t]
    else:
        u = rng.normal(0.0, sigma, weeks)
    # A prior stated relative to the KPI (e.g. media's share of it) makes the forward pass depend on
    # the KPI itself: iterate y = μ(θ, y) + u to its fixed point (one pass when it does not).
    fwd = jax.jit(spec.forward)
    arr = prep0.arrays()
    for _ in range(200):
        out = fwd(params, arr)
        y = np.asarray(out["mu"], dtype=np.float64)[:, 0] + u
        prev = np.asarray(arr["y"], dtype=np.float64)[:, 0]
        arr = {**arr, "y": y[:, None].astype(np.float32)}
        if np.max(np.abs(y - prev)) <= 1e-6 * (1.0 + np.max(np.abs(y))):
            break
    media = np.asarray(out["media"], dtype=np.float64)[:, 0, :]
    data = dataclasses.replace(data0, kpi=y * y_scale)
    prep = dataclasses.replace(prep0, y=y[:, None].astype(np.float32))
    contrib = media.sum(axis=0) * y_scale
    truth = {
        "params": {k: v.tolist() for k, v in params.items()},
        "roi": {c: float(contrib[i] / spend[:, i].sum()) for i, c in enumerate(chans)},
        "contribution": {c: float(contrib[i]) for i, c in enumerate(chans)},
        "media_total": float(contrib.sum()),
        "media_share": float(contrib.sum() / max(abs(float(data.kpi.sum())), 1e-12)),
        "design": {"seed": seed, "weeks": weeks, "channels": n_channels, "saturation": cfg.saturation,
                   "kpi_per_spend": k, "y_scale": y_scale, **facts},
    }  # fmt: skip
    return PriorWorld(data=data, prep=prep, config=cfg, truth=truth)


def fit_prior_world(world: PriorWorld, *, seed: int = 0) -> FittedMMM:
    """NUTS fit of the world's own model with the world's scaling held fixed (see the module doc)."""
    from omnimix.mmm.analysis import FittedMMM
    from omnimix.mmm.devices import prepare_host_devices

    if world.config.chain_method != "vectorized":
        prepare_host_devices(world.config.chains)
    from omnimix.mmm.inference import run_nuts

    spec = ModelSpec(world.config, world.prep, world.data.channels)
    result = run_nuts(spec, world.prep, seed=seed)
    return FittedMMM.build(
        data=world.data, config=world.config, prep=world.prep, spec=spec, result=result, mode="nuts"
    )


def _scalars(name: str, arr: np.ndarray) -> list[tuple[str, tuple[int, ...]]]:
    """Names and indices of the scalar components of a site with trailing shape ``arr.shape``."""
    if arr.ndim == 0:
        return [(name, ())]
    return [(f"{name}[{','.join(map(str, ix))}]", ix) for ix in np.ndindex(*arr.shape)]


def _flat_index(ix: tuple[int, ...], shape: tuple[int, ...]) -> int:
    return int(np.ravel_multi_index(ix, shape)) if ix else 0


def _prior_draws(spec: ModelSpec, prep: Prepared, sites: list[str], n: int, seed: int) -> dict[str, Any]:
    import jax
    import jax.numpy as jnp
    from numpyro.infer import Predictive

    arr = {k: jnp.asarray(v) for k, v in prep.arrays().items()}
    draws = Predictive(spec.model, num_samples=n, return_sites=sites)(jax.random.PRNGKey(seed), arr)
    fwd = jax.jit(jax.vmap(lambda p: spec.forward(p, arr)))
    out = fwd({k: jnp.asarray(v) for k, v in draws.items()})
    media = np.einsum("stgc,g->sc", np.asarray(out["media"], dtype=np.float64), prep.y_scale)
    return {"sites": {k: np.asarray(v, dtype=np.float64) for k, v in draws.items()}, "contrib": media}


def score_fit(world: PriorWorld, fit: FittedMMM, *, n_ranks: int = 99, prior_draws: int = 2000) -> dict[str, Any]:
    """SBC record of one fitted prior world.

    For every scalar parameter (each component of each sampled site) and for the derived quantities
    ``channel_roi[c]`` (the channel's contribution ÷ spend) and ``media_total``: the rank of the truth among
    ``n_ranks`` draws thinned evenly through the chains, coverage of the 50/80/90% central intervals,
    posterior contraction against ``prior_draws`` prior draws, and the bulk ESS of the parameter.
    """
    from omnimix.mmm.diagnostics import ess_bulk

    samples = fit.result.samples
    spend = world.data.spend.sum(axis=0)
    prior = _prior_draws(fit.spec, world.prep, list(samples), prior_draws, seed=world.truth["design"]["seed"])
    rec: dict[str, Any] = {}
    for name, draws in samples.items():
        true = np.asarray(world.truth["params"][name], dtype=np.float64)
        for label, ix in _scalars(name, true):
            d = np.asarray(draws).reshape(*draws.shape[:2], -1)[:, :, _flat_index(ix, true.shape)]
            t = float(true[ix])
            rec[label] = {
                "truth": t,
                "rank": sbc.rank_statistic(sbc.thin(d, n_ranks), t),
                "cover": sbc.covers(d, t, LEVELS),
                "contraction": sbc.contraction(
                    prior["sites"][name].reshape(-1, max(true.size, 1))[:, _flat_index(ix, true.shape)],
                    d.reshape(-1),
                ),
                "ess_bulk": float(ess_bulk(d)),
                "mean": float(d.mean()),
            }
    tot = fit.contributions.sum(axis=1)  # (S, C), draws thinned evenly through the chains
    derived = {f"channel_roi[{i}]": (tot[:, i] / spend[i], prior["contrib"][:, i] / spend[i],
                             world.truth["roi"][c]) for i, c in enumerate(world.data.channels)}  # fmt: skip
    derived["media_total"] = (tot.sum(axis=1), prior["contrib"].sum(axis=1), world.truth["media_total"])
    for label, (d, p, t) in derived.items():
        rec[label] = {
            "truth": float(t),
            "rank": sbc.rank_statistic(sbc.thin(d, n_ranks), float(t)),
            "cover": sbc.covers(d, float(t), LEVELS),
            "contraction": sbc.contraction(p, d),
            "mean": float(d.mean()),
        }
    diag = fit.diagnostics
    return {
        "design": world.truth["design"],
        "media_share": world.truth["media_share"],
        "n_ranks": n_ranks,
        "params": rec,
        "diagnostics": {"passed": diag.passed, "rhat_max": diag.rhat_max, "ess_bulk_min": diag.ess_bulk_min,
                        "divergences": diag.divergences, "seconds": fit.result.seconds},
    }  # fmt: skip
