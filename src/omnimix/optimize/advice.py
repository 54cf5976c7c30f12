"""Scale / hold / cut: one line per channel with the marginal-ROI interval behind it.

The rule (documented in docs/optimize.md):

* the **marginal ROI now** of a channel is ``kpi_value · f′(x)`` at its current spend ``x`` (KPI per
  currency unit for the KPI objective), per posterior draw; its 90% interval is the 5%–95% quantiles;
* the **threshold** ``τ`` is the plan's own marginal ROI: the marginal ROI the free channels share at
  the plan (the return of the plan's last currency unit); when no channel is free, the spend-weighted
  mean marginal ROI of the planned channels. For the profit objective ``τ = 1`` (break-even). A
  ``min_marginal_roi`` floor above ``τ`` replaces it;
* **scale** when the whole interval lies above ``τ``, **cut** when it lies below, **hold** otherwise.
  A channel held at current spend (weak or conflicting MMM status) is ``hold``; a channel that spends
  nothing today is never ``cut``. A channel without spend today is judged at its planned spend (or at a
  small spend when the plan leaves it at zero).

With point-estimate curves (one draw) the interval is a single value, so the verdict only compares the
point with ``τ``; the plan says so in ``interval_note``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from omnimix.curves import ResponseCurves
from omnimix.optimize.allocation import Allocation

ACTIONS: tuple[str, ...] = ("scale", "hold", "cut")


@dataclass(frozen=True)
class ChannelAdvice:
    """The verdict for one channel.

    Attributes:
        channel: channel key.
        action: ``scale``, ``hold`` or ``cut``.
        current: today's spend per period.
        planned: the plan's spend per period.
        at_spend: the spend the marginal ROI is measured at (today's, or see the module notes).
        marginal_roi: posterior-mean marginal ROI there.
        marginal_roi_interval: its 90% interval.
        reason: one sentence saying why.
    """

    channel: str
    action: str
    current: float
    planned: float
    at_spend: float
    marginal_roi: float
    marginal_roi_interval: tuple[float, float]
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "action": self.action,
            "current": self.current,
            "planned": self.planned,
            "at_spend": self.at_spend,
            "marginal_roi": self.marginal_roi,
            "marginal_roi_interval_90": list(self.marginal_roi_interval),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Advice:
    """Scale / hold / cut for every channel of a plan, against one threshold."""

    threshold: float
    threshold_rule: str
    channels: tuple[ChannelAdvice, ...]

    def by_channel(self) -> dict[str, ChannelAdvice]:
        """Channel key → its advice."""
        return {a.channel: a for a in self.channels}


def plan_threshold(a: Allocation) -> tuple[float, str]:
    """The threshold ``τ`` and the words saying how it was chosen (see the module docstring)."""
    if a.objective.kind == "profit":
        tau, rule = 1.0, "break-even (profit objective): marginal revenue of 1 per currency unit"
    else:
        free = np.array([s == "free" for s in a.status])
        if free.any():
            tau = float(a.marginal_roi[free].mean())
            rule = "the plan's marginal ROI (shared by its free channels)"
        else:
            w = np.where(np.array([s != "locked" for s in a.status]), a.allocation, 0.0)
            if w.sum() <= 0:
                w = a.allocation if a.allocation.sum() > 0 else np.ones_like(a.allocation)
            tau = float(np.average(a.marginal_roi, weights=w))
            rule = "the spend-weighted mean marginal ROI of the plan (no channel is free)"
    floor = a.objective.min_marginal_roi
    if floor is not None and floor > tau:
        tau, rule = float(floor), "the minimum marginal ROI asked for"
    return tau, rule


def _fmt(v: float) -> str:
    return f"{v:,.3g}"


def advise(curves: ResponseCurves, a: Allocation, held: Mapping[str, str] | None = None) -> Advice:
    """Scale / hold / cut per channel for plan ``a`` (made from ``curves``).

    Args:
        curves: the curves the plan was made from (their draws give the intervals).
        a: the plan.
        held: channels held at current spend → why.
    """
    held = held or {}
    tau, rule = plan_threshold(a)
    cur = a.current
    small = 0.01 * float(cur.sum()) / max(len(cur), 1) or 1e-6
    at = np.where(cur > 0, cur, np.where(a.allocation > 0, a.allocation, small))
    d = a.objective.value * curves.draws(at, order=1)  # (D, C)
    lo, hi = np.quantile(d, 0.05, axis=0), np.quantile(d, 0.95, axis=0)
    mean = d.mean(axis=0)
    out = []
    for j, ch in enumerate(a.channels):
        band = f"marginal ROI {_fmt(mean[j])} [{_fmt(lo[j])}, {_fmt(hi[j])}]"
        where = "at current spend" if cur[j] > 0 else f"at {_fmt(at[j])} (no spend today)"
        if ch in held:
            action, why = "hold", f"held at current spend: {held[ch]}"
        elif lo[j] > tau:
            action, why = "scale", f"{band} {where} lies above the threshold {_fmt(tau)}"
        elif hi[j] < tau and cur[j] > 0:
            action, why = "cut", f"{band} {where} lies below the threshold {_fmt(tau)}"
        else:
            action, why = "hold", f"{band} {where} straddles the threshold {_fmt(tau)}"
            if hi[j] < tau:
                action, why = "hold", f"{band} {where} is below the threshold {_fmt(tau)}; nothing to cut"
        out.append(ChannelAdvice(
            channel=ch, action=action, current=float(cur[j]), planned=float(a.allocation[j]),
            at_spend=float(at[j]), marginal_roi=float(mean[j]),
            marginal_roi_interval=(float(lo[j]), float(hi[j])), reason=why,
        ))
    return Advice(threshold=tau, threshold_rule=rule, channels=tuple(out))
