"""Achievability: the probability of reaching a goal's target at the planned budget, from the MMM posterior.

The workspace's latest *passed* MMM fit models weekly revenue (``conversions.value``) as a non-media
base plus one response curve per channel. For a planned weekly spend ``x`` (the channel budgets of
the plan divided by the weeks of the year) and posterior draw ``d`` the plan year's revenue is

    R_d = W · (base + Σ_c f_c,d(x_c)),        W = weeks in the plan year,

where ``base`` is the fit's mean weekly prediction (``mmm_fit``) less the posterior-mean media response
at current spend, and the year's noise is Normal with sd ``√W · σ`` (σ: the sd of the weekly residuals
``actual − predicted``). Then

    P(reach) = mean_d Φ((R_d − r*) / (√W σ)),

with ``r*`` the revenue the target needs. KPIs other than revenue are carried by their ratio to revenue
over the baseline window (new customers per unit of revenue, orders per unit of revenue …): a new-customer
target ``t`` needs ``r* = t / (new customers / revenue)``, a CAC target ``t`` at spend ``S`` needs
``r* = S / (t · new customers / revenue)``, a ROAS target ``r* = t · S``, an ROI target
``r* = (t + 1) · S``. KPIs the MMM does not drive (rates, AOV, survey metrics) get ``None``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from omnimix.plan.baseline import Baselines

if TYPE_CHECKING:
    from omnimix.curves import ResponseCurves
    from omnimix.workspace import Workspace

#: KPIs carried by their ratio to revenue (a flow that grows with sales).
RATIO_KPIS = ("new_customers", "orders", "conversions", "customers", "leads", "mql", "sql", "opportunities")


@dataclass(frozen=True)
class Posterior:
    """What achievability needs from a workspace's MMM.

    Attributes:
        curves: the response curves (posterior draws) of the latest passed fit.
        base: non-media weekly revenue.
        sigma: sd of the weekly residuals.
    """

    curves: ResponseCurves
    base: float
    sigma: float

    def annual_revenue(self, weekly_spend: np.ndarray, weeks: float) -> np.ndarray:
        """Per-draw expected revenue of the plan year at a weekly spend per channel, shape (D,)."""
        return weeks * (self.base + self.curves.total_draws(weekly_spend))


@dataclass(frozen=True)
class Achievability:
    """The probability of reaching one target at the planned budget.

    Attributes:
        probability: P(reach), in [0, 1].
        expected: posterior mean of the KPI for the plan year at the planned budget.
        interval_90: its 5% and 95% quantiles.
        target: the target tested.
        reachable_50, reachable_80: the targets reached with 50% and 80% probability (the fix to offer).
    """

    probability: float
    expected: float
    interval_90: tuple[float, float]
    target: float
    reachable_50: float
    reachable_80: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"probability": self.probability, "expected": self.expected, "interval_90": list(self.interval_90),
                "target": self.target, "reachable_50": self.reachable_50, "reachable_80": self.reachable_80}


def load_posterior(ws: Workspace) -> Posterior:
    """The latest passed MMM fit's curves, non-media base and residual sd.

    Raises:
        NotFittedError: no MMM fit (run ``omnimix mmm fit --workspace DIR``).
        ConvergenceError: the latest fit failed review.
    """
    from omnimix.optimize.workflow import load_workspace_curves

    curves = load_workspace_curves(ws)
    fit = ws.read("mmm_fit", order_by=("date",))
    recent = fit.tail(52)
    predicted = float(recent["predicted"].mean())
    media_now = float(curves.response(curves.current_spend).sum())
    resid = (fit["actual"] - fit["predicted"]).to_numpy(dtype=float)
    sigma = float(np.std(resid, ddof=1)) if len(resid) > 1 else 0.0
    return Posterior(curves, predicted - media_now, sigma)


def _phi(z: np.ndarray) -> np.ndarray:
    erf = np.vectorize(math.erf)
    return np.asarray(0.5 * (1.0 + erf(z / math.sqrt(2.0))), dtype=float)


def _revenue_needed(kpi: str, target: float, spend: float, ratio: float | None) -> float | None:
    """The plan-year revenue at which the KPI reaches ``target`` (monotone in revenue), or None."""
    if kpi == "revenue":
        return target
    if kpi in RATIO_KPIS:
        return None if not ratio else target / ratio
    if kpi == "cac":
        return None if not ratio or target <= 0 else spend / (target * ratio)
    if kpi == "roas":
        return target * spend
    if kpi == "roi":
        return (target + 1.0) * spend
    return None


def _kpi_of_revenue(kpi: str, revenue: np.ndarray, spend: float, ratio: float | None) -> np.ndarray:
    if kpi == "revenue":
        return revenue
    if kpi in RATIO_KPIS:
        return revenue * float(ratio or 0.0)
    if kpi == "cac":
        return np.asarray(spend / np.maximum(revenue * float(ratio or 0.0), 1e-12))
    if kpi == "roas":
        return revenue / spend
    return revenue / spend - 1.0


def _ratio(kpi: str, baselines: Baselines) -> float | None:
    rev = baselines.counts.get("revenue")
    key = "new_customers" if kpi == "cac" else kpi
    num = baselines.counts.get(key)
    if not rev or num is None:
        return None
    return float(num) / float(rev)


def achievability(post: Posterior, kpi: str, target: float, weekly_spend: np.ndarray, weeks: float,
                  annual_spend: float, baselines: Baselines) -> Achievability | None:
    """P(the plan year's KPI reaches ``target``) at ``weekly_spend`` (None: the MMM does not drive the KPI).

    Args:
        post: the MMM posterior (:func:`load_posterior`).
        kpi: the KPI's key.
        target: the target level (a CAC target is reached at or below it; the others at or above).
        weekly_spend: planned spend per period per channel, shape (C,), in the curves' channel order.
        weeks: weeks in the plan year.
        annual_spend: the year's total spend (for CAC, ROAS, ROI).
        baselines: the warehouse baselines (for the KPI's ratio to revenue).
    """
    ratio = _ratio(kpi, baselines) if kpi in (*RATIO_KPIS, "cac") else None
    needed = _revenue_needed(kpi, target, annual_spend, ratio)
    if needed is None or (annual_spend <= 0 and kpi in ("roas", "roi", "cac")):
        return None
    rev = post.annual_revenue(np.asarray(weekly_spend, dtype=float), weeks)
    sd = math.sqrt(weeks) * post.sigma
    if sd > 0:
        prob = float(_phi((rev - needed) / sd).mean())
    else:
        prob = float((rev >= needed).mean())
    noise = np.random.default_rng(0).standard_normal((rev.size, 64)) * sd
    sim = (rev[:, None] + noise).ravel()
    values = _kpi_of_revenue(kpi, sim, annual_spend, ratio)
    lo, hi = (float(x) for x in np.quantile(values, [0.05, 0.95]))
    lower_better = kpi == "cac"
    q50 = float(np.quantile(values, 0.5))
    q80 = float(np.quantile(values, 0.8 if lower_better else 0.2))
    return Achievability(prob, float(_kpi_of_revenue(kpi, rev, annual_spend, ratio).mean()), (lo, hi), float(target),
                         q50, q80)
