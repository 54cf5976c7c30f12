"""What the review reads from the MMM's posterior: marginal ROI at the period's spend, the KPI change
decomposed into media, baseline and seasonality, identification, and the experiment planner's tests.

The fit is the directory ``omnimix mmm fit --workspace`` saves (``[review] fit``, default
``mmm/latest``), reloaded with :func:`omnimix.mmm.load_fit` so every posterior draw is at hand.

Marginal ROI of channel ``c`` in a period is the derivative of its steady-state weekly response curve
``β·sat(x)`` (adstock weights sum to one) at ``x`` = the period's spend per week, one value per posterior
draw, times the KPI's value per unit (1 for revenue); its interval is the central ``level`` interval of
those draws.

The decomposition works on the model's weekly parts. A week counts towards a period by the share of its
seven days inside the period. Seasonality is the Fourier and retail-event part of the baseline; the
baseline is the rest (intercept, trend, controls); media is the sum of the channel contributions;
``unexplained`` is the actual KPI change (from the metrics layer) minus the three.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from omnimix.review.period import Period

if TYPE_CHECKING:
    from omnimix.mmm.analysis import FittedMMM

log = logging.getLogger("omnimix")


def _iv(x: np.ndarray, level: float) -> dict[str, float]:
    q = (1.0 - level) / 2.0
    lo, hi = np.quantile(x, [q, 1.0 - q])
    return {"mean": float(np.mean(x)), "lo": float(lo), "hi": float(hi)}


@dataclass
class ModelView:
    """A reloaded fit and the facts the review uses.

    Attributes:
        fit_dir: the fit directory.
        fit: the fitted model.
        passed: whether it passed review; reasons: why not.
        identification: per channel the posterior contraction of log ROI.
        status: per channel ``ok``, ``weak`` or ``conflict``.
        first_week, last_week: the first and last period of the fit's data.
        fitted_at: when the fit was saved (the directory's ``model.json`` time).
    """

    fit_dir: Path
    fit: FittedMMM
    passed: bool
    reasons: list[str]
    identification: dict[str, float]
    status: dict[str, str]
    first_week: date
    last_week: date
    fitted_at: date

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(self.fit.channels)

    @property
    def value_per_kpi(self) -> float:
        """Currency per KPI unit (1 when the KPI is revenue or its value is unknown)."""
        v = self.fit.config.value_per_kpi
        return float(v) if v is not None else 1.0

    @property
    def weeks(self) -> int:
        return int(self.fit.data.n_periods)

    def mroi(self, weekly_spend: dict[str, float], level: float) -> dict[str, dict[str, float]]:
        """Marginal ROI interval per channel at ``weekly_spend`` (see the module docstring)."""
        rc = self.fit.curves(None)
        x = np.array([max(float(weekly_spend.get(c, 0.0)), 0.0) for c in rc.channels])
        d = rc.draws(x, order=1) * self.value_per_kpi  # (D, C)
        return {c: _iv(d[:, i], level) for i, c in enumerate(rc.channels)}

    def _weights(self, p: Period) -> np.ndarray:
        days = int(self.fit.data.period_days)
        out = np.zeros(self.weeks)
        for t, d0 in enumerate(self.fit.data.dates):
            d1 = d0 + timedelta(days=days - 1)
            lo, hi = max(d0, p.start), min(d1, p.end)
            if hi >= lo:
                out[t] = ((hi - lo).days + 1) / days
        return out

    def coverage(self, p: Period) -> float:
        """Share of the period's days inside the fit's data."""
        return float(self._weights(p).sum() * self.fit.data.period_days / p.days)

    def parts(self) -> dict[str, np.ndarray]:
        """Per draw and week, in KPI units: ``media`` (S, T), per channel ``media:<c>`` (S, T),
        ``seasonality`` (S, T), ``baseline`` (S, T, without seasonality)."""
        f = self.fit
        flat = f._flat
        ys = float(np.sum(f.prep.y_scale))
        seas = np.zeros_like(f.baseline)
        if "seasonal" in flat and f.prep.seasonal.shape[1]:
            seas = np.einsum("tf,sf->st", np.asarray(f.prep.seasonal, float), np.asarray(flat["seasonal"], float)) * ys
        out = {"media": f.contributions.sum(axis=2), "seasonality": seas, "baseline": f.baseline - seas}
        for i, c in enumerate(f.channels):
            out[f"media:{c}"] = f.contributions[..., i]
        return out

    def decompose(self, period: Period, previous: Period, actual: tuple[float, float], level: float
                  ) -> dict[str, Any] | None:
        """The KPI change from ``previous`` to ``period`` split into media, baseline and seasonality.

        Args:
            period, previous: the two periods.
            actual: the KPI (revenue) of ``previous`` and of ``period`` from the metrics layer.
            level: interval level.

        Returns:
            ``{"kpi_previous", "kpi_current", "change", "parts": {name: {"mean","lo","hi"}},
            "channels": {c: {...}}, "unexplained"}`` or None when the fit's data do not cover both
            periods (a refit is needed first).
        """
        if min(self.coverage(period), self.coverage(previous)) < 0.95:
            return None
        wa, wb = self._weights(previous), self._weights(period)
        parts = self.parts()
        delta = {k: v @ wb - v @ wa for k, v in parts.items()}  # (S,)
        change = actual[1] - actual[0]
        main = {k: _iv(delta[k], level) for k in ("media", "baseline", "seasonality")}
        explained = sum(main[k]["mean"] for k in main)
        return {
            "kpi_previous": actual[0], "kpi_current": actual[1], "change": change,
            "change_pct": change / actual[0] if actual[0] else None,
            "parts": main,
            "channels": {c: _iv(delta[f"media:{c}"], level) for c in self.channels},
            "unexplained": change - explained,
        }

    def experiments(self, n: int) -> list[dict[str, Any]]:
        """The experiment planner's next ``n`` lift tests (objective ``budget``: the uncertainty the
        budget rests on)."""
        from omnimix.experiments.planner import plan_from_fit

        plan = plan_from_fit(self.fit, n_tests=n, objective="budget")
        return [t.to_json() for t in plan.tests]


def view_of(fit: FittedMMM, fit_dir: Path) -> ModelView:
    """A :class:`ModelView` of a fit in memory (saved in ``fit_dir``)."""
    import datetime as _dt

    d = fit.diagnostics
    status = {c: str(v.get("status", "ok")) for c, v in dict(d.details.get("channel_status", {})).items()}
    meta = fit_dir / "model.json"
    fitted = _dt.datetime.fromtimestamp(meta.stat().st_mtime).date() if meta.is_file() else _dt.date.today()
    dates = list(fit.data.dates)
    return ModelView(fit_dir, fit, bool(d.passed), list(d.reasons), dict(d.details.get("identification", {})),
                     status, dates[0], dates[-1], fitted)


def load_model(fit_dir: Path) -> ModelView | None:
    """Reload the fit in ``fit_dir``; None when there is none (no ``model.json``)."""
    if not (fit_dir / "model.json").is_file():
        return None
    from omnimix.mmm.analysis import load_fit

    return view_of(load_fit(fit_dir), fit_dir)
