"""The NumPyro marketing mix model: configuration, scaled inputs and the model itself.

For period t, geo g and channel c, in scaled units (KPI divided by its per-geo mean; media divided by
its per-geo, per-channel mean non-zero value)::

    a[t,g,c]  = Σ_l w[l,c] · x[t-l,g,c]                      adstock: one einsum over a lag tensor
    m[t,g,c]  = β[g,c] · sat_c(a[t,g,c])                      saturation (Hill or logistic)
    μ[t,g]    = b0[g] + b1[g]·τ_t + Σ_k γ_k f_k(t) + Σ_e δ_e event_e(t) + Σ_j κ_j z_j[t,g] + Σ_c m[t,g,c]
    y[t,g]    = μ[t,g] + u[t,g],   u[t] = ρ·u[t-1] + ε_t,  ε ~ N(0, σ²)      (AR(1) errors, optional)

f_k are yearly Fourier terms, event_e the Chinese retail events (春节, the week after 春节, 618, 双11,
双12), z_j the standardised controls. With several geos, channel effects are partially pooled:
β[g,c] = β[c]·exp(τ_c·η[g,c]), η ~ N(0, 1), τ ~ HalfNormal(0.3).

Channel effect priors (:data:`PRIOR_MODES`):

* ``prior="share"`` (default, unit-free): a prior on the total media share of the KPI over the training
  periods, ``M ~ media_share_prior`` (Beta(2, 3): mean 40%, sd 20%, Meridian's non-revenue default), split
  over channels by ``w = softmax(log π + σ·z)``, ``z_c ~ N(0, 1)``, π the spend shares and σ =
  ``share_spread`` (the prior median split follows spend — a common ROI, as Meridian's shared ROI prior —
  and each channel's ROI relative to the others spreads log-normally); channel c's share is
  ``s_c = M·w_c`` and ``β_c = s_c · Σ_{t∈train,g} y_raw / Σ_{t∈train,g} y_scale_g·sat(a_tgc)``. Neither the
  unit of spend nor the unit of the KPI enters: multiplying either by any constant leaves the fit unchanged.
* ``prior="roi"``: a prior on each channel's ROI in currency (``kpi_value`` × incremental KPI per unit spend
  over the data period, as Meridian does) and β = ROI · spend / (kpi_value · Σ_t y_scale·sat(a_t)). Meaningful
  when the KPI is revenue in the currency of spend (``kpi_type="revenue"``) or a count with a known value.
* ``prior="beta"``: a HalfNormal prior on β directly (scaled units).

Each of the channel-effect sites is drawn under ``numpyro.handlers.scale(arr["prior_weight"])``: 1 for the
fit, ~0 for the flat-prior likelihood profile of the prior–data conflict check.

Lift-test calibration: experiment e on channel c over window W_e adds
``lift_e ~ N(Σ_{t∈W_e} Σ_g y_scale[g]·m[t,g,c], lift_sd_e²)`` to the likelihood, i.e. the model's
incremental KPI of that channel over the test window must match the measured lift.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from omnimix.errors import ConfigError, InputDataError
from omnimix.mmm.components import (
    Adstock,
    Prior,
    Saturation,
    make_adstock,
    make_saturation,
)
from omnimix.mmm.data import EVENT_NAMES, MMMData, retail_events

log = logging.getLogger("omnimix")

PRIOR_MODES = ("share", "roi", "beta")
KPI_TYPES = ("unknown", "revenue", "count")
#: ``prior_weight`` of the flat-prior profile (numpyro's scale handler refuses exactly 0).
FLAT_PRIOR_WEIGHT = 1e-6


@dataclass(frozen=True)
class MMMConfig:
    """Model and inference settings (validated on creation).

    Attributes:
        adstock: registered adstock name (geometric, delayed, weibull).
        l_max: adstock window in periods.
        saturation: registered saturation name (hill, logistic).
        adstock_priors: overrides of the adstock priors, ``{param: Prior | {"dist", "params"}}``.
        saturation_priors: overrides of the saturation priors.
        prior: ``"share"`` (default: prior on each channel's share of the KPI, unit-free), ``"roi"``
            (prior on ROI in currency) or ``"beta"`` (HalfNormal on the channel coefficient).
        kpi_type: ``"revenue"`` (KPI in the currency of spend: ROI is ROAS), ``"count"`` (conversions;
            an ROI in currency needs ``kpi_value``) or ``"unknown"``.
        kpi_value: currency per KPI unit (1 for revenue); turns ROI into currency and enables the
            implausible-ROI gate. None: the KPI's unit is unknown.
        media_share_prior: prior of the total media share of the KPI in ``"share"`` mode.
        share_spread: σ of the logistic-normal split of the media share over channels (log-scale
            spread of a channel's ROI relative to the others; 0 would split exactly by spend).
        beta_prior: prior of β (scaled units) in ``"beta"`` mode.
        roi_prior: prior of each channel's ROI in ``"roi"`` mode (same for all channels unless
            ``roi_priors`` names the channel).
        roi_priors: per-channel ROI priors (``"roi"`` mode only).
        fourier_order: yearly Fourier pairs (0 to disable).
        trend: include a linear trend.
        events: include the Chinese retail event regressors.
        ar_errors: AR(1) residuals (honest intervals when demand drifts).
        geo_pooling: partial pooling of channel effects across geos (when the data have geos).
        holdout: last N periods held out of the likelihood for an out-of-sample check.
        chains, warmup, samples: NUTS settings.
        chain_method: ``"vectorized"`` (one program for all chains), ``"parallel"`` (one host device
            per chain; needs XLA_FLAGS set before JAX starts) or ``"auto"`` (parallel when possible).
        target_accept: NUTS target acceptance probability.
        max_tree_depth: NUTS maximum tree depth.
        dense_mass: NUTS mass matrix: True (dense), False (diagonal) or ``"auto"`` — dense for models
            with at most 4 channels (correlated β/saturation/adstock posteriors: 4x fewer leapfrog steps
            on the 2-channel benchmark), diagonal above (a dense matrix over ~50 parameters adapted in
            1000 warm-up draws gave more divergences on the 8-channel worlds).
        laplace_draws: posterior draws of the MAP/Laplace mode.
        max_plausible_roi: review gate: a channel whose ROI in currency (``kpi_value`` × KPI per spend)
            has a posterior mean above this fails (None: no check; skipped when ``kpi_value`` is None).
    """

    adstock: str = "geometric"
    l_max: int = 8
    saturation: str = "hill"
    adstock_priors: dict[str, Any] = field(default_factory=dict)
    saturation_priors: dict[str, Any] = field(default_factory=dict)
    prior: str = "share"
    kpi_type: str = "unknown"
    kpi_value: float | None = None
    media_share_prior: Prior = field(
        default_factory=lambda: Prior("Beta", {"concentration1": 2.0, "concentration0": 3.0})
    )
    share_spread: float = 1.0
    beta_prior: Prior = field(default_factory=lambda: Prior("HalfNormal", {"scale": 0.5}))
    roi_prior: Prior = field(default_factory=lambda: Prior("LogNormal", {"loc": 0.2, "scale": 0.9}))
    roi_priors: dict[str, Prior] = field(default_factory=dict)
    fourier_order: int = 2
    trend: bool = True
    events: bool = True
    ar_errors: bool = True
    geo_pooling: bool = True
    holdout: int = 0
    chains: int = 4
    warmup: int = 1000
    samples: int = 1000
    target_accept: float = 0.85
    max_tree_depth: int = 10
    laplace_draws: int = 1000
    max_plausible_roi: float | None = 25.0
    chain_method: str = "auto"
    dense_mass: bool | str = "auto"

    def __post_init__(self) -> None:
        problems = []
        if self.prior not in PRIOR_MODES:
            problems.append(f"prior={self.prior!r}: expected one of {list(PRIOR_MODES)}")
        if self.kpi_type not in KPI_TYPES:
            problems.append(f"kpi_type={self.kpi_type!r}: expected one of {list(KPI_TYPES)}")
        if self.kpi_value is not None and not (np.isfinite(self.kpi_value) and self.kpi_value > 0):
            problems.append(f"kpi_value={self.kpi_value}: expected a positive currency amount per KPI unit")
        if self.kpi_type == "revenue" and self.kpi_value not in (None, 1.0):
            problems.append(f"kpi_value={self.kpi_value} with kpi_type='revenue': a revenue KPI is worth 1 "
                            "per unit; use kpi_type='count' for a valued count")
        if self.roi_priors and self.prior != "roi":
            problems.append(f"roi_priors need prior='roi' (prior={self.prior!r})")
        if not 0.01 <= self.share_spread <= 10:
            problems.append(f"share_spread={self.share_spread}: expected 0.01..10")
        for name, lo, hi in (
            ("fourier_order", 0, 10),
            ("chains", 1, 64),
            ("warmup", 10, 100_000),
            ("samples", 10, 100_000),
            ("holdout", 0, 10_000),
            ("laplace_draws", 10, 100_000),
            ("max_tree_depth", 3, 15),
        ):
            v = getattr(self, name)
            if not lo <= v <= hi:
                problems.append(f"{name}={v}: expected {lo}..{hi}")
        if self.dense_mass not in (True, False, "auto"):
            problems.append(f"dense_mass={self.dense_mass!r}: expected True, False or 'auto'")
        if self.chain_method not in ("auto", "vectorized", "parallel"):
            problems.append(f"chain_method={self.chain_method!r}: expected auto, vectorized or parallel")
        if not 0.5 <= self.target_accept < 1.0:
            problems.append(f"target_accept={self.target_accept}: expected 0.5..0.99")
        if problems:
            raise ConfigError("invalid MMM configuration", problems)
        # validate component names and priors now, not at fit time
        self.make_adstock()
        self.make_saturation()

    @property
    def value_per_kpi(self) -> float | None:
        """Currency per KPI unit: 1 for a revenue KPI, ``kpi_value`` for a valued count, else None."""
        if self.kpi_value is not None:
            return float(self.kpi_value)
        return 1.0 if self.kpi_type == "revenue" else None

    @property
    def roi_value(self) -> float:
        """The factor turning KPI per spend into the ROI the ROI prior speaks of (1 when unknown)."""
        v = self.value_per_kpi
        return 1.0 if v is None else v

    def make_adstock(self) -> Adstock:
        """The configured adstock component."""
        return make_adstock(self.adstock, self.l_max, self.adstock_priors)

    def make_saturation(self) -> Saturation:
        """The configured saturation component."""
        return make_saturation(self.saturation, self.saturation_priors)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (round-trips through :meth:`from_dict`)."""
        d = asdict(self)
        d["beta_prior"] = self.beta_prior.to_dict()
        d["roi_prior"] = self.roi_prior.to_dict()
        d["media_share_prior"] = self.media_share_prior.to_dict()
        d["roi_priors"] = {k: v.to_dict() for k, v in self.roi_priors.items()}
        d["adstock_priors"] = {
            k: v.to_dict() if isinstance(v, Prior) else v for k, v in self.adstock_priors.items()
        }
        d["saturation_priors"] = {
            k: v.to_dict() if isinstance(v, Prior) else v for k, v in self.saturation_priors.items()
        }
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MMMConfig:
        """Inverse of :meth:`to_dict`."""
        d = dict(d)
        d["beta_prior"] = Prior.from_dict(d["beta_prior"])
        d["roi_prior"] = Prior.from_dict(d["roi_prior"])
        d.setdefault("prior", "roi")  # fits saved before the share prior existed
        if "media_share_prior" in d:
            d["media_share_prior"] = Prior.from_dict(d["media_share_prior"])
        d["roi_priors"] = {k: Prior.from_dict(v) for k, v in d.get("roi_priors", {}).items()}
        return cls(**d)


@dataclass(frozen=True)
class Prepared:
    """Scaled model inputs (numpy arrays; converted to JAX at fit time).

    Attributes:
        xlag: lagged scaled media, shape (L, T, G, C); ``xlag[l, t] = x[t - l]`` (0 before the data).
        y: scaled KPI, shape (T, G).
        mask: 1.0 for periods in the likelihood (not held out), shape (T,).
        time: linear time in [0, 1], shape (T,).
        seasonal: Fourier and event regressors, shape (T, F).
        controls: standardised controls, shape (T, G, K).
        y_scale: per-geo KPI scale, shape (G,).
        x_scale: per-geo, per-channel media scale, shape (G, C).
        spend_total: spend per geo and channel over all periods, shape (G, C).
        exp_weight: share of each period inside each experiment window, shape (E, T).
        exp_channel: channel index per experiment, shape (E,).
        exp_lift: measured lift scaled by the mean KPI scale, shape (E,).
        exp_sd: its standard error, same scaling, shape (E,).
        split_loc: log spend shares, the centre of the media-share split (share mode), shape (C,).
        prior_weight: weight of the channel-effect prior's log density (1; ~0 for the flat profile).
        seasonal_names: names of the seasonal columns, length F.
        control_names: names of the kept controls, length K.
        control_mean, control_sd: standardisation constants, shape (K,).
    """

    xlag: np.ndarray
    y: np.ndarray
    mask: np.ndarray
    time: np.ndarray
    seasonal: np.ndarray
    controls: np.ndarray
    y_scale: np.ndarray
    x_scale: np.ndarray
    spend_total: np.ndarray
    exp_weight: np.ndarray
    exp_channel: np.ndarray
    exp_lift: np.ndarray
    exp_sd: np.ndarray
    seasonal_names: tuple[str, ...]
    control_names: tuple[str, ...]
    control_mean: np.ndarray
    control_sd: np.ndarray
    split_loc: np.ndarray = field(default_factory=lambda: np.zeros(1, np.float32))
    prior_weight: np.ndarray = field(default_factory=lambda: np.ones((), np.float32))

    def arrays(self) -> dict[str, np.ndarray]:
        """The numeric inputs of the model as a dict (what the NumPyro model receives)."""
        return {
            "xlag": self.xlag,
            "y": self.y,
            "mask": self.mask,
            "time": self.time,
            "seasonal": self.seasonal,
            "controls": self.controls,
            "y_scale": self.y_scale,
            "spend_total": self.spend_total,
            "exp_weight": self.exp_weight,
            "exp_channel": self.exp_channel,
            "exp_lift": self.exp_lift,
            "exp_sd": self.exp_sd,
            "split_loc": self.split_loc,
            "prior_weight": np.asarray(self.prior_weight, np.float32),
        }

    def spend_share(self) -> np.ndarray:
        """Each channel's share of total spend, shape (C,) (equal shares when nothing was spent)."""
        tot = self.spend_total.sum(axis=0)
        return tot / tot.sum() if tot.sum() > 0 else np.full(tot.shape, 1.0 / tot.size)


def lag_tensor(x: np.ndarray, l_max: int) -> np.ndarray:
    """Stack lagged copies of ``x`` (T, ...) into (L, T, ...) with zeros before the first period."""
    t = x.shape[0]
    out = np.zeros((l_max, *x.shape), dtype=x.dtype)
    for lag in range(min(l_max, t)):
        out[lag, lag:] = x[: t - lag]
    return out


def fourier_terms(dates: tuple[dt.date, ...], order: int) -> tuple[np.ndarray, list[str]]:
    """Yearly Fourier terms sin/cos(2πk·dayofyear/365.25), k = 1..order; shape (T, 2·order)."""
    doy = np.array([d.timetuple().tm_yday for d in dates], dtype=float)
    cols, names = [], []
    for k in range(1, order + 1):
        ang = 2 * np.pi * k * doy / 365.25
        cols += [np.sin(ang), np.cos(ang)]
        names += [f"sin_{k}", f"cos_{k}"]
    return (np.stack(cols, axis=1) if cols else np.zeros((len(dates), 0))), names


def _as_geo(a: np.ndarray, ndim: int) -> np.ndarray:
    """National data (T,) / (T, C) → geo form (T, 1) / (T, 1, C)."""
    return a if a.ndim == ndim else np.expand_dims(a, 1)


def prepare(data: MMMData, config: MMMConfig) -> Prepared:
    """Scale the data and build the model's design arrays.

    Media, spend and controls may carry a geo axis: kpi (T, G), media/spend (T, G, C), controls (T, G, K).
    """
    t_n = data.n_periods
    y_raw = _as_geo(np.asarray(data.kpi, float), 2)
    media = _as_geo(np.asarray(data.media, float), 3)
    spend = _as_geo(np.asarray(data.spend, float), 3)
    ctrl = _as_geo(np.asarray(data.controls, float), 3)
    if config.holdout and config.holdout >= t_n - 20:
        raise ConfigError(f"holdout={config.holdout} leaves fewer than 20 periods", ["use a smaller holdout"])
    mask = np.ones(t_n)
    if config.holdout:
        mask[t_n - config.holdout :] = 0.0
    train = mask > 0
    y_scale = np.abs(y_raw[train]).mean(axis=0)
    if np.any(y_scale <= 0):
        raise InputDataError("<data>", "the KPI is zero throughout", ["check the KPI column"])
    nz = np.where(media > 0, media, np.nan)
    x_scale = np.nanmean(nz, axis=0)
    dead = [data.channels[c] for c in range(media.shape[2]) if not np.isfinite(x_scale[:, c]).any()]
    if dead:
        raise InputDataError(
            "<data>", f"channels {dead} have no positive media values", ["drop them from --channels"]
        )
    x_scale = np.where(np.isfinite(x_scale), x_scale, 1.0)
    xlag = lag_tensor(media / x_scale, config.l_max).astype(np.float32)

    seas, names = fourier_terms(data.dates, config.fourier_order)
    cols = [seas]
    if config.events:
        ev = retail_events(data.dates, data.period_days)
        kept = [n for n in EVENT_NAMES if ev[n][train].sum() > 0]
        if kept:
            cols.append(np.stack([ev[n] for n in kept], axis=1))
            names += kept
    seasonal = np.concatenate(cols, axis=1) if cols else np.zeros((t_n, 0))

    c_mean = ctrl[train].reshape(-1, ctrl.shape[2]).mean(axis=0) if ctrl.shape[2] else np.zeros(0)
    c_sd = ctrl[train].reshape(-1, ctrl.shape[2]).std(axis=0) if ctrl.shape[2] else np.zeros(0)
    keep = [k for k in range(ctrl.shape[2]) if c_sd[k] > 0]
    if len(keep) < ctrl.shape[2]:
        dropped = [data.control_names[k] for k in range(ctrl.shape[2]) if k not in keep]
        log.warning("controls %s are constant over the training periods and were dropped", dropped)
    controls = (ctrl[:, :, keep] - c_mean[keep]) / np.where(c_sd[keep] > 0, c_sd[keep], 1.0)

    exps = [e for e in data.experiments if e.channel in data.channels]
    skipped = [e.channel for e in data.experiments if e.channel not in data.channels]
    if skipped:
        log.warning("experiments on channels %s are not modelled and were ignored", skipped)
    e_w = np.zeros((len(exps), t_n))
    starts = np.array([np.datetime64(d, "D") for d in data.dates])
    for i, e in enumerate(exps):
        lo = np.datetime64(e.start, "D")
        hi = np.datetime64(e.end, "D") + np.timedelta64(1, "D")
        p_lo = starts
        p_hi = starts + np.timedelta64(data.period_days, "D")
        overlap = (np.minimum(p_hi, hi) - np.maximum(p_lo, lo)).astype(int)
        e_w[i] = np.clip(overlap, 0, None) / data.period_days
        if e_w[i].sum() == 0:
            raise InputDataError(
                "<experiments>",
                f"experiment on {e.channel} ({e.start}..{e.end}) lies outside the data period",
                [f"data cover {data.dates[0]}..{data.dates[-1]}; drop or fix the experiment"],
            )
    ys_mean = float(y_scale.mean())
    spend_tot = spend.sum(axis=(0, 1))
    n_c = spend_tot.size
    sshare = spend_tot / spend_tot.sum() if spend_tot.sum() > 0 else np.full(n_c, 1.0 / n_c)
    sshare = np.maximum(sshare, 0.01 / n_c)  # a channel without spend (impressions only) still gets a share
    split_loc = np.log(sshare / sshare.sum())
    return Prepared(
        xlag=xlag,
        y=(y_raw / y_scale).astype(np.float32),
        mask=mask.astype(np.float32),
        time=(np.arange(t_n) / max(t_n - 1, 1)).astype(np.float32),
        seasonal=seasonal.astype(np.float32),
        controls=controls.astype(np.float32),
        y_scale=y_scale.astype(np.float32),
        x_scale=x_scale,
        spend_total=spend.sum(axis=0),
        exp_weight=e_w.astype(np.float32),
        exp_channel=np.array([data.channels.index(e.channel) for e in exps], dtype=np.int32),
        exp_lift=np.array([e.lift / ys_mean for e in exps], dtype=np.float32),
        exp_sd=np.array([e.lift_sd / ys_mean for e in exps], dtype=np.float32),
        seasonal_names=tuple(names),
        control_names=tuple(data.control_names[k] for k in keep),
        control_mean=c_mean[keep],
        control_sd=c_sd[keep],
        split_loc=split_loc.astype(np.float32),
        prior_weight=np.ones((), np.float32),
    )


class ModelSpec:
    """The NumPyro model and its deterministic forward pass for one configuration and data shape."""

    def __init__(self, config: MMMConfig, prep: Prepared, channels: tuple[str, ...]) -> None:
        self.config = config
        self.adstock = config.make_adstock()
        self.saturation = config.make_saturation()
        self.channels = channels
        _, _, self.n_geo, self.n_channels = prep.xlag.shape
        self.n_seasonal = prep.seasonal.shape[1]
        self.n_controls = prep.controls.shape[2]
        self.pooled = self.n_geo > 1 and config.geo_pooling
        if config.prior == "roi":
            unknown = sorted(set(config.roi_priors) - set(channels))
            if unknown:
                raise ConfigError(
                    f"roi_priors name unknown channels {unknown}", [f"channels: {list(channels)}"]
                )

    # -- sampling -------------------------------------------------------------------------------
    def sample_params(self, arr: dict[str, Any] | None = None) -> dict[str, Any]:
        """Draw every parameter (inside a NumPyro model).

        ``arr`` (the model arrays) supplies the share split's concentration and the prior weight of the
        channel-effect sites; without it they are 1 (each channel equal) and 1.
        """
        import numpyro
        import numpyro.distributions as dist

        c, g = self.n_channels, self.n_geo
        cfg = self.config
        p: dict[str, Any] = {}
        for k, v in self.adstock.sample(c).items():
            p[f"adstock_{k}"] = v
        for k, v in self.saturation.sample(c).items():
            p[f"sat_{k}"] = v
        weight = arr["prior_weight"] if arr is not None and "prior_weight" in arr else 1.0
        with numpyro.handlers.scale(scale=weight):
            p.update(self._sample_effects(arr))
        if self.pooled:
            p["geo_tau"] = numpyro.sample("geo_tau", dist.HalfNormal(0.3).expand((c,)))
            p["geo_eta"] = numpyro.sample("geo_eta", dist.Normal(0.0, 1.0).expand((g, c)))
        p["intercept"] = numpyro.sample("intercept", dist.Normal(0.6, 0.4).expand((g,)))
        if cfg.trend:
            p["trend"] = numpyro.sample("trend", dist.Normal(0.0, 0.3).expand((g,)))
        if self.n_seasonal:
            p["seasonal"] = numpyro.sample("seasonal", dist.Normal(0.0, 0.2).expand((self.n_seasonal,)))
        if self.n_controls:
            p["controls"] = numpyro.sample("controls", dist.Normal(0.0, 0.2).expand((self.n_controls,)))
        p["sigma"] = numpyro.sample("sigma", dist.HalfNormal(0.1))
        if cfg.ar_errors:
            p["rho"] = numpyro.sample("rho", dist.Uniform(-0.5, 0.95))
        return p

    def _sample_effects(self, arr: dict[str, Any] | None) -> dict[str, Any]:
        """The channel-effect sites: media share and split, ROI, or β (see the module docstring)."""
        import jax.numpy as jnp
        import numpyro
        import numpyro.distributions as dist

        c, cfg = self.n_channels, self.config
        p: dict[str, Any] = {}
        if cfg.prior == "share":
            p["media_share"] = numpyro.sample("media_share", cfg.media_share_prior.build())
            if c > 1:
                p["media_split_z"] = numpyro.sample("media_split_z", dist.Normal(0.0, 1.0).expand((c,)))
        elif cfg.prior == "roi":
            if cfg.roi_priors:
                rois = []
                for i, ch in enumerate(self.channels):
                    pr = cfg.roi_priors.get(ch, cfg.roi_prior)
                    rois.append(numpyro.sample(f"roi_{i}", pr.build()))
                p["roi"] = jnp.stack(rois)
            else:
                p["roi"] = numpyro.sample("roi", cfg.roi_prior.build((c,)))
        else:
            p["beta"] = numpyro.sample("beta", cfg.beta_prior.build((c,)))
        return p

    # -- deterministic forward pass -------------------------------------------------------------
    def forward(self, p: dict[str, Any], arr: dict[str, Any]) -> dict[str, Any]:
        """Deterministic quantities for one parameter draw.

        Args:
            p: parameters (unbatched; vmap over draws). A ``beta_gc`` entry (G, C) fixes the
                coefficients instead of deriving them (used to hold β fixed when media change).
            arr: the arrays of :meth:`Prepared.arrays` (jax or numpy).

        Returns:
            ``weights`` (L, C), ``beta`` (G, C) scaled coefficients, ``media`` (T, G, C) scaled
            contributions, ``base`` (T, G) scaled baseline, ``mu`` (T, G).
        """
        import jax
        import jax.numpy as jnp

        ad = {k[len("adstock_") :]: v for k, v in p.items() if k.startswith("adstock_")}
        sp = {k[len("sat_") :]: v for k, v in p.items() if k.startswith("sat_")}
        w = self.adstock.weights(ad)  # (L, C)
        a = jnp.einsum("ltgc,lc->tgc", arr["xlag"], w)
        s = self.saturation.apply(a, sp)  # (T, G, C)
        roi = p.get("roi")
        if roi is None and "roi_0" in p:  # per-channel ROI priors: the draws hold one site per channel
            roi = jnp.stack([p[f"roi_{i}"] for i in range(self.n_channels)])
        if "beta_gc" in p:  # fixed coefficients (marginal ROI, response curves)
            beta_c = None
        elif "media_share" in p:
            # share_c = Σ_train Σ_g y_scale_g β_c sat / Σ_train Σ_g y_raw  →  β_c = share_c · K / Σ y_scale·sat
            split = (
                jax.nn.softmax(arr["split_loc"] + self.config.share_spread * p["media_split_z"])
                if "media_split_z" in p
                else jnp.ones((self.n_channels,))
            )
            ys_rel = arr["y_scale"] / jnp.mean(arr["y_scale"])
            kpi_train = jnp.einsum("tg,t,g->", arr["y"], arr["mask"], ys_rel)
            denom = jnp.einsum("tgc,t,g->c", s, arr["mask"], ys_rel) + 1e-9
            beta_c = p["media_share"] * split * kpi_train / denom
        elif roi is not None:
            # ROI = v · Σ_g y_scale_g Σ_t β_c sat / Σ_g spend_gc  →  β_c = ROI · spend_c / (v · Σ y_scale·sat)
            denom = jnp.einsum("tgc,g->c", s, arr["y_scale"]) * self.config.roi_value + 1e-9
            beta_c = roi * arr["spend_total"].sum(axis=0) / denom
        else:
            beta_c = p["beta"]
        if beta_c is None:
            beta = p["beta_gc"]
        else:
            beta = jnp.broadcast_to(beta_c, (self.n_geo, self.n_channels))
            if "geo_eta" in p:
                beta = beta * jnp.exp(p["geo_tau"] * p["geo_eta"])
        media = s * beta
        base = jnp.broadcast_to(p["intercept"], (arr["y"].shape[0], self.n_geo))
        if "trend" in p:
            base = base + arr["time"][:, None] * p["trend"]
        if "seasonal" in p:
            base = base + (arr["seasonal"] @ p["seasonal"])[:, None]
        if "controls" in p:
            base = base + arr["controls"] @ p["controls"]
        mu = base + media.sum(axis=-1)
        return {"weights": w, "beta": beta, "media": media, "base": base, "mu": mu}

    def model(self, arr: dict[str, Any]) -> None:
        """The NumPyro model: priors, KPI likelihood (masked for holdout) and lift-test likelihood."""
        import jax.numpy as jnp
        import numpyro
        import numpyro.distributions as dist

        p = self.sample_params(arr)
        out = self.forward(p, arr)
        mu, y, sigma = out["mu"], arr["y"], p["sigma"]
        mask = arr["mask"][:, None] > 0
        if "rho" in p:
            rho = p["rho"]
            resid = y - mu
            prev = jnp.concatenate([jnp.zeros_like(resid[:1]), resid[:-1]], axis=0)
            cond_mu = mu + rho * prev
            first_scale = sigma / jnp.sqrt(1.0 - rho**2)
            scale = jnp.concatenate(
                [jnp.broadcast_to(first_scale, resid[:1].shape), jnp.broadcast_to(sigma, resid[1:].shape)]
            )
        else:
            cond_mu, scale = mu, jnp.broadcast_to(sigma, mu.shape)
        with numpyro.handlers.mask(mask=mask):
            numpyro.sample("y", dist.Normal(cond_mu, scale), obs=y)
        if arr["exp_lift"].shape[0]:
            ys = arr["y_scale"] / arr["y_scale"].mean()
            per_t = jnp.einsum("tgc,g->tc", out["media"], ys)  # (T, C), in mean-scale units
            pred = jnp.einsum("et,te->e", arr["exp_weight"], per_t[:, arr["exp_channel"]])
            numpyro.sample("lift", dist.Normal(pred, arr["exp_sd"]), obs=arr["exp_lift"])
