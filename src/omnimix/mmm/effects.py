"""Channel effects of the MMM's draws: the forward pass over draws, the prior predictive and the checks.

* :func:`forward_draws` runs the model's deterministic forward pass for every draw (jit + vmap);
* :func:`effect_of` turns contributions into the quantity the channel-effect prior speaks of (share of
  the KPI, or ROI in currency);
* :func:`prior_predictive` draws those quantities (and the media share of the KPI) before any data;
* :func:`assess_fit` runs :func:`omnimix.mmm.checks.assess` on a fit's draws and records the verdict.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from omnimix.mmm.diagnostics import Diagnostics
from omnimix.mmm.inference import InferenceResult, enable_compile_cache
from omnimix.mmm.spec import ModelSpec, Prepared
from omnimix.mmm.stats import interval

__all__ = ["assess_fit", "effect_of", "forward_draws", "prior_predictive"]


def forward_fn(spec: ModelSpec) -> Any:
    """The jitted, draw-vmapped forward pass of ``spec`` (memoised on the spec)."""
    fn = getattr(spec, "_fwd_jit", None)
    if fn is None:
        import jax

        fn = jax.jit(jax.vmap(lambda p, a: spec.forward(p, a), in_axes=(0, None)))
        spec._fwd_jit = fn  # type: ignore[attr-defined]
    return fn


def forward_draws(
    spec: ModelSpec, prep: Prepared, flat: dict[str, np.ndarray], bump: tuple[int, float] | None = None
) -> dict[str, np.ndarray]:
    """Run the forward pass for every draw (jit + vmap).

    With ``bump=(c, f)`` channel c's media are multiplied by f while the coefficients β stay at their
    values on the observed data (in ROI mode β would otherwise be re-derived from the new media).
    """
    import jax.numpy as jnp

    arrs = prep.arrays()
    fn = forward_fn(spec)
    params = {k: jnp.asarray(v) for k, v in flat.items()}
    if bump is not None:
        base = fn(params, {k: jnp.asarray(v) for k, v in arrs.items()})
        x = arrs["xlag"].copy()
        x[..., bump[0]] *= bump[1]
        arrs = {**arrs, "xlag": x}
        params = {**params, "beta_gc": base["beta"]}
    out = fn(params, {k: jnp.asarray(v) for k, v in arrs.items()})
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


def effect_of(spec: ModelSpec, prep: Prepared, contrib: np.ndarray, train: np.ndarray) -> np.ndarray:
    """The channel-effect quantity the prior speaks of, per draw and channel, shape (S, C).

    ``prior="roi"``: ROI in currency (``kpi_value`` × KPI over all periods ÷ spend); otherwise the
    channel's share of the KPI over the training periods. ``contrib`` is (S, T, C) in KPI units.
    """
    if spec.config.prior == "roi":
        spend = prep.spend_total.sum(axis=0)
        return np.asarray(spec.config.roi_value * contrib.sum(axis=1) / np.where(spend > 0, spend, np.nan))
    kpi_train = float(np.einsum("tg,g->", prep.y[train], prep.y_scale))
    return np.asarray(contrib[:, train].sum(axis=1) / kpi_train)


def prior_predictive(
    spec: ModelSpec, prep: Prepared, sites: list[str] | None = None, n: int = 1000, seed: int = 23
) -> dict[str, np.ndarray]:
    """Prior draws of the channel effects before any data are seen.

    Returns:
        ``q``: the quantity of :func:`effect_of` per prior draw and channel (n, C); ``share``: each
        channel's share of the KPI (n, C); ``total``: the total media share (n,). Shares are over the
        training periods (over all periods under an ROI prior).

    In share and ROI mode without geo pooling the quantity *is* a parameter, so its prior is sampled
    directly (no model trace, milliseconds); otherwise the whole model is drawn and run forward.
    """
    enable_compile_cache()  # before the first JAX op: the eager sampling kernels are cached across processes
    import jax
    import jax.numpy as jnp
    from numpyro.infer import Predictive

    cfg = spec.config
    key = jax.random.PRNGKey(seed)
    train = prep.mask > 0
    spend = prep.spend_total.sum(axis=0)
    if cfg.prior == "share" and not spec.pooled:
        tot = np.asarray(cfg.media_share_prior.build().sample(key, (n,)), np.float64)
        if spec.n_channels > 1:
            z = np.asarray(jax.random.normal(jax.random.fold_in(key, 1), (n, spec.n_channels)), np.float64)
            logits = prep.split_loc[None, :] + cfg.share_spread * z
            split = np.exp(logits - logits.max(axis=1, keepdims=True))
            split /= split.sum(axis=1, keepdims=True)
        else:
            split = np.ones((n, 1))
        sh = tot[:, None] * split
        return {"q": sh, "share": sh, "total": tot}
    if cfg.prior == "roi" and not spec.pooled:
        cols = []
        for i, ch in enumerate(spec.channels):
            pr = cfg.roi_priors.get(ch, cfg.roi_prior)
            cols.append(np.asarray(pr.build().sample(jax.random.fold_in(key, i), (n,))))
        q = np.column_stack(cols).astype(np.float64)
        kpi_all = float(np.einsum("tg,g->", prep.y, prep.y_scale))
        sh = q * spend[None, :] / (cfg.roi_value * kpi_all)
        return {"q": q, "share": sh, "total": sh.sum(axis=1)}
    arr = {k: jnp.asarray(v) for k, v in prep.arrays().items()}
    draws = Predictive(spec.model, num_samples=n, return_sites=sites or None)(key, arr)
    draws = {k: v for k, v in draws.items() if k not in ("y", "lift")}
    out = forward_draws(spec, prep, {k: np.asarray(v) for k, v in draws.items()})
    contrib = np.einsum("stgc,g->stc", out["media"], prep.y_scale)
    kpi_train = float(np.einsum("tg,g->", prep.y[train], prep.y_scale))
    sh = contrib[:, train].sum(axis=1) / kpi_train
    return {"q": effect_of(spec, prep, contrib, train), "share": sh, "total": sh.sum(axis=1)}


def assess_fit(
    diag: Diagnostics,
    spec: ModelSpec,
    prep: Prepared,
    result: InferenceResult,
    pri: dict[str, np.ndarray],
    post_q: np.ndarray,
    contrib: np.ndarray,
    baseline: np.ndarray,
    y_kpi: np.ndarray,
    y_rep: np.ndarray,
    value_roi: dict[str, float] | None,
    share: float,
) -> None:
    """Run :func:`omnimix.mmm.checks.assess` and record its verdict in ``diag``."""
    from omnimix.mmm.checks import assess

    cfg = spec.config
    train = prep.mask > 0
    kpi_train = float(np.einsum("tg,g->", prep.y[train], prep.y_scale))
    prof = result.info.get("profile") or None
    flat_q = None
    total = None
    gain = 0.0
    post_total = contrib[:, train].sum(axis=(1, 2)) / kpi_train
    if prof is not None and prof.get("point"):
        # the profile point repeated to the draws' batch size: the forward pass compiled for the draws
        # runs it (no new compilation, a few ms)
        n = contrib.shape[0]
        point = {k: np.broadcast_to(np.asarray(v, np.float32), (n, *np.shape(v))) for k, v in prof["point"].items()}
        media = forward_draws(spec, prep, point)["media"][0]
        c_flat = np.einsum("tgc,g->tc", media, prep.y_scale)[None]
        flat_q = effect_of(spec, prep, c_flat, train)[0]
        gain = float(prof.get("gain", 0.0))
        total = (pri["total"], post_total, float(c_flat[0, train].sum() / kpi_train))
    a = assess(
        diag=diag, quantity="roi" if cfg.prior == "roi" else "share", channels=list(spec.channels),
        prior_q=pri["q"], post_q=post_q, flat_q=flat_q, gain=gain, n_params=spec.n_channels, total=total,
        baseline=baseline, y=y_kpi, y_rep=y_rep, train=train, value_roi_mean=value_roi,
        max_plausible_roi=cfg.max_plausible_roi, media_share=share,
    )
    diag.reasons.extend(a.reasons)
    diag.suggestions.extend(a.suggestions)
    diag.warnings.extend(a.warnings)
    diag.passed = not diag.reasons
    diag.health = a.health
    diag.checks = [c.to_dict() for c in a.checks]
    diag.details["channel_status"] = {c: {"status": s, "reason": r} for c, (s, r) in a.status.items()}
    diag.details["conflict"] = [x.to_dict() for x in a.conflicts]
    diag.details["prior_predictive"] = {
        "prior": cfg.prior,
        "media_share": interval(pri["total"]),
        "channels": {c: interval(pri["share"][:, i]) for i, c in enumerate(spec.channels)},
    }
