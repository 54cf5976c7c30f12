"""Results of a fitted MMM: contributions, ROI, marginal ROI, response curves, save and load.

All intervals are central 90% posterior intervals (5% and 95% quantiles). ROI of a channel is its
incremental KPI over the data period divided by its spend (for a revenue KPI this is ROAS: revenue per
unit spend); marginal ROI is the extra KPI per extra unit of spend when every week's spend rises by 1%.

A response curve gives the steady-state weekly KPI for a constant weekly spend x: because the adstock
weights sum to one, a constant spend x adstocks to x, so the curve is ``β·sat(x)`` (in KPI units per
week). :meth:`FittedMMM.curves` gives those curves as a :class:`omnimix.curves.ResponseCurves` with
one set of parameters per posterior draw, in KPI units per currency unit of weekly spend — the form the
optimizer, the warehouse tables ``response_curves``/``response_curve_draws`` and the dashboard use.
Curves are also saved (``response_curves.json``) together with the fit's review verdict:
:func:`load_response_curves` refuses a failed fit unless told otherwise. Charts and the HTML report are
in :mod:`omnimix.mmm.report`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from omnimix.errors import ConvergenceError, InputDataError
from omnimix.formatting import spreadsheet_safe_frame
from omnimix.mmm.data import Experiment, MMMData
from omnimix.mmm.diagnostics import Diagnostics, identification, review
from omnimix.mmm.effects import assess_fit, effect_of, forward_draws, forward_fn, prior_predictive
from omnimix.mmm.inference import InferenceResult
from omnimix.mmm.report import figures, write_report
from omnimix.mmm.spec import MMMConfig, ModelSpec, Prepared, prepare
from omnimix.mmm.stats import interval, jsonable

if TYPE_CHECKING:
    from omnimix.curves import ResponseCurves

__all__ = [
    "CURVE_DRAWS",
    "FORMAT_VERSION",
    "FittedMMM",
    "figures",
    "load_fit",
    "load_response_curves",
    "write_report",
]

log = logging.getLogger("omnimix")

MAX_DERIVED_DRAWS = 2000
#: Posterior draws of the response curves kept in ``response_curves.json`` and the warehouse.
CURVE_DRAWS = 400
FORMAT_VERSION = 1



@dataclass
class FittedMMM:
    """A fitted model with its posterior draws, derived quantities and review verdict.

    Attributes:
        data: the modelling table.
        config: model settings.
        prep: scaled inputs.
        spec: the model.
        result: posterior draws and sampler facts.
        contributions: KPI contribution per draw, period and channel, shape (S, T, C) (summed over geos).
        baseline: baseline KPI per draw and period, shape (S, T).
        y_rep: posterior predictive KPI per draw and period, shape (S, T).
        diagnostics: review verdict.
    """

    data: MMMData
    config: MMMConfig
    prep: Prepared
    spec: ModelSpec
    result: InferenceResult
    contributions: np.ndarray
    baseline: np.ndarray
    y_rep: np.ndarray
    diagnostics: Diagnostics
    _flat: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        *,
        data: MMMData,
        config: MMMConfig,
        prep: Prepared,
        spec: ModelSpec,
        result: InferenceResult,
        mode: str,
        prior: dict[str, np.ndarray] | None = None,
    ) -> FittedMMM:
        """Compute derived quantities and run the review gates and checks.

        ``prior`` is :func:`prior_predictive` of the model when the caller computed it already.
        """
        flat = _flatten_draws(result.samples, MAX_DERIVED_DRAWS)
        out = forward_draws(spec, prep, flat)
        ys = prep.y_scale  # (G,)
        contrib = np.einsum("stgc,g->stc", out["media"], ys)
        baseline = np.einsum("stg,g->st", out["base"], ys)
        y_rep = _predictive(prep, out["mu"], flat, seed=17)
        y_kpi = np.einsum("tg,g->t", prep.y, ys)
        y_rep_kpi = np.einsum("stg,g->st", y_rep, ys)
        spend = prep.spend_total.sum(axis=0)
        roi = contrib.sum(axis=1) / np.where(spend > 0, spend, np.nan)
        value = config.value_per_kpi
        value_roi = {c: float(np.nanmean(roi[:, i])) * value for i, c in enumerate(data.channels)} if value else None
        share = float(contrib.sum(axis=(1, 2)).mean() / max(abs(y_kpi.sum()), 1e-12))
        train = prep.mask > 0
        diag = review(
            mode=mode,
            samples=result.samples,
            diverging=result.diverging,
            info=result.info,
            y=y_kpi,
            y_rep=y_rep_kpi,
            train=train,
            roi_mean=value_roi or {},
            media_share=share,
            max_plausible_roi=config.max_plausible_roi if value else None,
        )
        pri = prior if prior is not None else prior_predictive(spec, prep, list(result.samples))
        post_q = effect_of(spec, prep, contrib, train)
        ident, warns = identification(post_q, pri["q"], data.channels)
        diag.details["identification"] = ident
        diag.warnings.extend(warns)
        assess_fit(diag, spec, prep, result, pri, post_q, contrib, baseline, y_kpi, y_rep_kpi, value_roi, share)
        if not diag.passed:
            log.warning("MMM fit failed review: %s", "; ".join(diag.reasons))
        return cls(data, config, prep, spec, result, contrib, baseline, y_rep_kpi, diag, flat)

    # -- headline numbers -----------------------------------------------------------------------
    @property
    def channels(self) -> tuple[str, ...]:
        """Channel names."""
        return self.data.channels

    @property
    def mode(self) -> str:
        """``"nuts"`` or ``"map"``."""
        return self.result.mode

    def _spend(self) -> np.ndarray:
        spend = np.asarray(self.data.spend, float).reshape(self.data.n_periods, -1, len(self.channels))
        return np.asarray(spend.sum(axis=1))

    def roi_draws(self) -> np.ndarray:
        """ROI per draw and channel, shape (S, C)."""
        spend = self._spend().sum(axis=0)
        return np.asarray(self.contributions.sum(axis=1) / np.where(spend > 0, spend, np.nan))

    def marginal_roi_draws(self, step: float = 0.01) -> np.ndarray:
        """Marginal ROI per draw and channel, shape (S, C): ΔKPI / Δspend when spend rises by ``step``."""
        out = np.zeros((self.contributions.shape[0], len(self.channels)))
        spend = self._spend().sum(axis=0)
        for c in range(len(self.channels)):
            bumped = forward_draws(self.spec, self.prep, self._flat, bump=(c, 1.0 + step))
            tot = np.einsum("stg,g->s", bumped["media"][..., c], self.prep.y_scale)
            base = self.contributions[..., c].sum(axis=1)
            out[:, c] = (tot - base) / (step * spend[c]) if spend[c] > 0 else np.nan
        return out

    def summary(self, marginal: bool = True) -> dict[str, Any]:
        """Per-channel contribution, share, ROI and marginal ROI with 90% intervals, plus diagnostics.

        Returns:
            ``{"channels": {name: {"contribution", "roi", "mroi", "share", "spend"}}, "baseline",
            "kpi_total", "diagnostics", "mode"}``; contribution is the total over the data period.
        """
        tot = self.contributions.sum(axis=1)  # (S, C)
        roi = self.roi_draws()
        mroi = self.marginal_roi_draws() if marginal else None
        kpi_total = float(np.einsum("tg,g->", self.prep.y, self.prep.y_scale))
        spend = self._spend().sum(axis=0)
        ch: dict[str, Any] = {}
        for i, c in enumerate(self.channels):
            ch[c] = {
                "contribution": interval(tot[:, i]),
                "roi": interval(roi[:, i]),
                "share": interval(tot[:, i] / kpi_total),
                "spend": float(spend[i]),
            }
            if mroi is not None:
                ch[c]["mroi"] = interval(mroi[:, i])
        d = self.diagnostics
        return {
            "mode": self.mode,
            "channels": ch,
            "baseline": interval(self.baseline.sum(axis=1)),
            "media_total": interval(tot.sum(axis=1)),
            "kpi_total": kpi_total,
            "periods": self.data.n_periods,
            "start": self.data.dates[0].isoformat(),
            "end": self.data.dates[-1].isoformat(),
            "diagnostics": {
                "rhat_max": d.rhat_max,
                "ess_bulk_min": d.ess_bulk_min,
                "ess_tail_min": d.ess_tail_min,
                "divergences": d.divergences,
                "ppc_coverage": d.ppc_coverage,
                "r2": d.r2,
                "mape": d.mape,
                "holdout_mape": d.holdout_mape,
                "holdout_coverage": d.holdout_coverage,
                "passed": d.passed,
                "reasons": list(d.reasons),
                "suggestions": list(d.suggestions),
                "warnings": list(d.warnings),
                "identification": dict(d.details.get("identification", {})),
                "health": d.health,
                "checks": [dict(c) for c in d.checks],
                "conflict": list(d.details.get("conflict", [])),
            },
            "prior_predictive": dict(d.details.get("prior_predictive", {})),
            "channel_status": dict(d.details.get("channel_status", {})),
            "seconds": self.result.seconds,
        }

    def contributions_over_time(self) -> dict[str, dict[str, np.ndarray]]:
        """Per channel (and ``baseline``): weekly mean, lo, hi arrays of shape (T,)."""
        out = {c: interval(self.contributions[..., i]) for i, c in enumerate(self.channels)}
        out["baseline"] = interval(self.baseline)
        return out

    def adstock_curves(self) -> dict[str, dict[str, np.ndarray]]:
        """Per channel: lag weights (mean, lo, hi) over lags 0..L-1."""
        ad = {k[len("adstock_") :]: v for k, v in self._flat.items() if k.startswith("adstock_")}
        w = self.spec.adstock.weights(ad)  # (S, L, C)
        return {c: interval(np.asarray(w)[..., i]) for i, c in enumerate(self.channels)}

    def response_curves(self, points: int = 41, max_multiple: float = 2.5) -> dict[str, Any]:
        """Steady-state weekly response to a constant weekly spend, per channel, with 90% intervals.

        Returns:
            ``{channel: {"spend": [...], "mean": [...], "lo": [...], "hi": [...],
            "current_weekly_spend", "saturation": {type, beta, ...} (posterior-mean parameters in
            KPI/spend units; approximate for geo models), "adstock": {...}}}``.
        """
        u = self._curve_units()
        sp, beta, spend_t, weekly = u["sat"], u["beta"], u["spend_t"], u["weekly"]
        out: dict[str, Any] = {}
        for i, c in enumerate(self.channels):
            tot_sp = spend_t[:, :, i].sum(axis=0)  # (G,)
            geo_share = tot_sp / tot_sp.sum() if tot_sp.sum() > 0 else np.full(len(tot_sp), 1 / len(tot_sp))
            per_unit = u["per_unit"][:, i]
            grid = np.linspace(0.0, max_multiple * max(weekly[:, i].max(), 1.0), points)
            # media units per geo, scaled: (P, G)
            a = grid[:, None] * geo_share[None, :] * per_unit[None, :] / self.prep.x_scale[None, :, i]
            p_i = {k: v[:, i][:, None, None] for k, v in sp.items()}
            sat = self.spec.saturation.apply(a[None], p_i)  # (S, P, G)
            resp = np.einsum("spg,sg,g->sp", np.asarray(sat), beta[:, :, i], self.prep.y_scale)
            iv = interval(resp)
            pm = {k: float(np.mean(v[:, i])) for k, v in sp.items()}
            beta_kpi = float(np.mean(u["beta_kpi"][:, i]))
            sat_kpi = self.spec.saturation.to_kpi_units(pm, beta_kpi, 1.0, float(u["x_scale_spend"][i]))
            ad = {
                k[len("adstock_") :]: float(np.mean(v[:, i]))
                for k, v in self._flat.items()
                if k.startswith("adstock_")
            }
            out[c] = {
                "spend": grid.tolist(),
                "mean": iv["mean"].tolist(),
                "lo": iv["lo"].tolist(),
                "hi": iv["hi"].tolist(),
                "current_weekly_spend": float(u["recent"][i]),
                "saturation": sat_kpi,
                "adstock": {"type": self.spec.adstock.name, "l_max": self.spec.adstock.l_max, **ad},
            }
        return out

    def _curve_units(self) -> dict[str, Any]:
        """Per-draw saturation parameters (S, C), the media-to-spend conversion and recent spend."""
        sp = {k[len("sat_") :]: v for k, v in self._flat.items() if k.startswith("sat_")}
        beta = forward_draws(self.spec, self.prep, self._flat)["beta"]  # (S, G, C)
        spend_t = np.asarray(self.data.spend, float).reshape(self.data.n_periods, -1, len(self.channels))
        media_t = np.asarray(self.data.media, float).reshape(spend_t.shape)
        weekly = spend_t.sum(axis=1)  # (T, C)
        tot_sp = spend_t.sum(axis=0)  # (G, C)
        safe = np.where(tot_sp > 0, tot_sp, 1)
        per_unit = np.where(tot_sp > 0, media_t.sum(axis=0) / safe, 0)  # media units per spend, (G, C)
        ratio = np.where(per_unit.mean(axis=0) > 0, per_unit.mean(axis=0), 1.0)  # (C,)
        return {
            "sat": sp,
            "beta": beta,
            "spend_t": spend_t,
            "weekly": weekly,
            "per_unit": per_unit,
            "beta_kpi": np.einsum("sgc,g->sc", beta, self.prep.y_scale),  # (S, C)
            "x_scale_spend": (self.prep.x_scale / ratio[None, :]).mean(axis=0),  # (C,)
            "recent": weekly[-min(13, len(weekly)) :].mean(axis=0),
        }

    def curves(self, max_draws: int | None = CURVE_DRAWS) -> ResponseCurves:
        """Weekly response curves with posterior draws, as :class:`omnimix.curves.ResponseCurves`.

        Each draw's saturation parameters are converted to KPI units per currency unit of weekly spend
        the way :meth:`response_curves` converts the posterior means (exact for national models,
        approximate for geo models), and ``current_spend`` is the mean weekly spend of the last 13
        periods.

        Args:
            max_draws: keep this many draws, evenly spaced over the posterior (None: all derived draws).
        """
        from omnimix.curves import ResponseCurves

        u = self._curve_units()
        n = u["beta_kpi"].shape[0]
        idx = np.arange(n)
        if max_draws is not None and n > max_draws:
            idx = np.linspace(0, n - 1, max_draws).round().astype(int)
        params: dict[str, list[np.ndarray]] = {}
        for i in range(len(self.channels)):
            p_i = {k: np.asarray(v[idx, i], dtype=np.float64) for k, v in u["sat"].items()}
            kpi = self.spec.saturation.to_kpi_units(p_i, u["beta_kpi"][idx, i], 1.0, float(u["x_scale_spend"][i]))
            for k, v in kpi.items():
                if k != "type":
                    params.setdefault(k, []).append(np.broadcast_to(np.asarray(v, dtype=np.float64), idx.shape))
        arrays = {k: np.column_stack(v) for k, v in params.items()}
        return ResponseCurves.from_params(
            self.channels,
            self.spec.saturation.name,
            beta=arrays["beta"],
            half_saturation=arrays.get("half_saturation"),
            slope=arrays.get("slope"),
            lam=arrays.get("lam"),
            current_spend=u["recent"],
        )

    def curve_draws(self, max_draws: int | None = CURVE_DRAWS) -> dict[str, dict[str, list[float]]]:
        """Per channel, the draws of :meth:`curves` as lists: ``{"beta", "half_saturation", "slope"}``
        (Hill) or ``{"beta", "lam"}`` (logistic) — the ``saturation_draws`` of ``response_curves.json``."""
        rc = self.curves(max_draws)
        keys = ("beta", "half_saturation", "slope") if rc.kinds[0] == "hill" else ("beta", "lam")
        return {c: {k: getattr(rc, k)[:, j].tolist() for k in keys} for j, c in enumerate(rc.channels)}

    # -- persistence ----------------------------------------------------------------------------
    def save(self, directory: str | Path, *, html: bool = True) -> Path:
        """Write the fit to ``directory``.

        Files: ``model.json`` (config, data meta, diagnostics, summary), ``samples.npz`` (posterior
        draws), ``data.npz`` (the modelling arrays), ``response_curves.json`` (for the optimizer: per
        channel the grid with 90% bands, posterior-mean ``saturation`` parameters in KPI/spend units and
        up to :data:`CURVE_DRAWS` of their posterior draws under ``saturation_draws``),
        ``contributions.csv`` (weekly mean/lo/hi per channel) and ``report.html`` (charts).
        """
        import pandas as pd

        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        summ = self.summary()
        meta = {
            "format": FORMAT_VERSION,
            "mode": self.mode,
            "config": self.config.to_dict(),
            "channels": list(self.channels),
            "control_names": list(self.data.control_names),
            "dates": [x.isoformat() for x in self.data.dates],
            "period_days": self.data.period_days,
            "geos": list(self.data.geos),
            "experiments": [
                {
                    "channel": e.channel,
                    "start": e.start.isoformat(),
                    "end": e.end.isoformat(),
                    "lift": e.lift,
                    "lift_sd": e.lift_sd,
                    "spend": e.spend,
                }
                for e in self.data.experiments
            ],
            "seconds": self.result.seconds,
            "info": {k: v for k, v in self.result.info.items() if k != "map"},
            "diagnostics": self.diagnostics.to_dict(),
            "summary": summ,
        }
        (d / "model.json").write_text(
            json.dumps(jsonable(meta), ensure_ascii=False, indent=2), encoding="utf-8"
        )
        arrays = {f"s__{k}": v for k, v in self.result.samples.items()}
        if self.result.diverging is not None:
            arrays["diverging"] = self.result.diverging
        np.savez_compressed(d / "samples.npz", **arrays)  # type: ignore[arg-type]
        np.savez_compressed(
            d / "data.npz",
            kpi=self.data.kpi,
            media=self.data.media,
            spend=self.data.spend,
            controls=self.data.controls,
        )
        curves: dict[str, Any] = {
            "kpi_per_week": True,
            "passed": self.diagnostics.passed,
            "reasons": self.diagnostics.reasons,
            "channels": self.response_curves(),
        }
        for c, draws in self.curve_draws().items():
            curves["channels"][c]["saturation_draws"] = draws
        (d / "response_curves.json").write_text(json.dumps(jsonable(curves), ensure_ascii=False, indent=2))
        ot = self.contributions_over_time()
        frame: dict[str, Any] = {"week": [x.isoformat() for x in self.data.dates]}
        for name, iv in ot.items():
            for k in ("mean", "lo", "hi"):
                frame[f"{name}_{k}"] = iv[k]
        spreadsheet_safe_frame(pd.DataFrame(frame)).to_csv(d / "contributions.csv", index=False)
        if html:
            write_report(self, d / "report.html")
        return d


def _flatten_draws(samples: dict[str, np.ndarray], max_draws: int) -> dict[str, np.ndarray]:
    out = {k: v.reshape(-1, *v.shape[2:]) for k, v in samples.items()}
    n = next(iter(out.values())).shape[0]
    if n > max_draws:
        idx = np.linspace(0, n - 1, max_draws).round().astype(int)
        out = {k: v[idx] for k, v in out.items()}
    return out


def _predictive(prep: Prepared, mu: np.ndarray, flat: dict[str, np.ndarray], seed: int) -> np.ndarray:
    """Posterior predictive draws (scaled units), shape (S, T, G).

    Training periods: one-step-ahead (AR errors use the observed previous residual). Held-out
    periods: the AR error is propagated forward from the last training residual.
    """
    rng = np.random.default_rng(seed)
    s_n, t_n, g_n = mu.shape
    sigma = flat["sigma"].reshape(s_n, 1)
    rho = flat["rho"].reshape(s_n, 1) if "rho" in flat else np.zeros((s_n, 1))
    y = prep.y.astype(np.float64)
    train = prep.mask > 0
    eps = rng.standard_normal((s_n, t_n, g_n))
    out = np.empty_like(mu)
    resid = y[None] - mu  # (S, T, G)
    first_sd = sigma / np.sqrt(np.clip(1 - rho**2, 1e-6, None))
    out[:, 0] = mu[:, 0] + first_sd * eps[:, 0]
    e_prev = resid[:, 0]
    for t in range(1, t_n):
        if train[t]:
            out[:, t] = mu[:, t] + rho * resid[:, t - 1] + sigma * eps[:, t]
            e_prev = resid[:, t]
        else:
            e_prev = rho * e_prev + sigma * eps[:, t]
            out[:, t] = mu[:, t] + e_prev
    return out


def load_fit(directory: str | Path) -> FittedMMM:
    """Load a fit written by :meth:`FittedMMM.save` (recomputes derived quantities; needs JAX)."""
    d = Path(directory)
    if not (d / "model.json").exists():
        raise InputDataError(
            str(d), "no model.json here", ["pass a directory written by `omnimix mmm fit --out`"]
        )
    meta = json.loads((d / "model.json").read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT_VERSION:
        raise InputDataError(
            str(d),
            f"model format {meta.get('format')} is not supported",
            [f"expected {FORMAT_VERSION}; refit the model"],
        )
    config = MMMConfig.from_dict(meta["config"])
    arrays = np.load(d / "data.npz")
    exps = tuple(
        Experiment(
            e["channel"],
            dt.date.fromisoformat(e["start"]),
            dt.date.fromisoformat(e["end"]),
            float(e["lift"]),
            float(e["lift_sd"]),
            float(e["spend"]) if e["spend"] is not None else np.nan,
        )
        for e in meta["experiments"]
    )
    data = MMMData(
        dates=tuple(dt.date.fromisoformat(x) for x in meta["dates"]),
        kpi=arrays["kpi"],
        media=arrays["media"],
        spend=arrays["spend"],
        channels=tuple(meta["channels"]),
        controls=arrays["controls"],
        control_names=tuple(meta["control_names"]),
        experiments=exps,
        period_days=int(meta["period_days"]),
        geos=tuple(meta.get("geos", [])),
    )
    prep = prepare(data, config)
    spec = ModelSpec(config, prep, data.channels)
    s = np.load(d / "samples.npz")
    samples = {k[3:]: s[k] for k in s.files if k.startswith("s__")}
    diverging = s["diverging"] if "diverging" in s.files else None
    result = InferenceResult(
        samples, diverging, meta["mode"], float(meta["seconds"]), dict(meta.get("info", {}))
    )
    return FittedMMM.build(data=data, config=config, prep=prep, spec=spec, result=result, mode=meta["mode"])


def load_response_curves(path: str | Path, *, allow_failed: bool = False) -> dict[str, Any]:
    """Read ``response_curves.json`` (a file or a fit directory) for the optimizer.

    Raises:
        ConvergenceError: the fit failed its review gates and ``allow_failed`` is False.
    """
    p = Path(path)
    if p.is_dir():
        p = p / "response_curves.json"
    if not p.exists():
        raise InputDataError(
            str(p), "response curves not found", ["fit a model with `omnimix mmm fit --out DIR`"]
        )
    curves: dict[str, Any] = json.loads(p.read_text(encoding="utf-8"))
    if not curves.get("passed", False) and not allow_failed:
        raise ConvergenceError(
            f"the MMM fit behind {p} failed review: {'; '.join(curves.get('reasons', []))}. "
            "Refit (see `omnimix mmm report`) or pass allow_failed=True to use it anyway."
        )
    return curves


# older names, kept for callers of the private helpers
_forward_draws = forward_draws
_forward_fn = forward_fn
