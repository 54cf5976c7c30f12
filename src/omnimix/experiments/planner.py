"""Which channel to test next: the largest expected reduction in the MMM's uncertainty per yuan.

A candidate lift test on channel ``c`` over a window ``W`` measures ``L_c = Σ_{t∈W} contribution_c,t``
with a standard error ``σ_c``. The MMM posterior gives joint draws of every ``L_c`` and of the target
``Q``: the **total media** contribution ``Σ_{t,c} contribution`` (objective ``total_media``) or the
channels' ROIs weighted by spend share (objective ``budget``, the uncertainty a budget decision rests
on). Treating the draws as jointly normal (preposterior analysis), observing tests ``A`` leaves

    Cov(Q | L_A) = Cov(Q) − Cov(Q, L_A)·(Cov(L_A) + diag σ_A²)⁻¹·Cov(L_A, Q),

whatever the test results turn out to be. The planner adds tests greedily: at each step the channel with
the largest drop in ``trace Cov(Q | ·)`` per unit of test cost, while the reserve lasts.

Windows: the most recent ``weeks`` periods in which the channel spent every period. The test's error
``σ_c = rel_sd · |E L_c|`` (default 10%, the lift-test programme's) unless ``lift_sd`` gives it. Cost: the
spend at stake in the test cell, ``cell_share ×`` the channel's spend over the window (the spend a
heavy-up adds or a holdout withholds), unless ``costs`` gives it.

Funding: ``reserve`` is the test fund. Where the workspace has a plan, it is what is left of the plan's
test-and-innovation reserve (:func:`omnimix.plan.reserve.plan_next_tests` passes it, with ``funding``
saying where it came from: the plan year, the reserve, what recorded tests spent of it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from omnimix.errors import UsageError

__all__ = ["LiftTestPlan", "PlannedTest", "plan_from_fit", "plan_tests", "posterior_reduction", "save_plan"]

OBJECTIVES = ("total_media", "budget")


@dataclass(frozen=True)
class PlannedTest:
    """One recommended test: channel, window (indices and dates), expected lift, its sd, cost and the
    target's sd before and after (with the tests chosen before it)."""

    channel: str
    start: str
    end: str
    expected_lift: float
    lift_sd: float
    cost: float
    sd_before: float
    sd_after: float
    reduction_per_cost: float

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class LiftTestPlan:
    """The ranked tests, what they leave of the target's uncertainty and every candidate's score."""

    objective: str
    reserve: float
    tests: list[PlannedTest]
    sd_now: float
    sd_after: float
    candidates: list[dict[str, Any]] = field(default_factory=list)
    funding: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (``reserve`` null when unlimited; ``funding`` where the reserve came from)."""
        return {"objective": self.objective, "reserve": None if np.isnan(self.reserve) else self.reserve,
                "funding": self.funding, "sd_now": self.sd_now,
                "sd_after": self.sd_after, "spent": float(sum(t.cost for t in self.tests)),
                "tests": [t.to_json() for t in self.tests], "candidates": list(self.candidates)}  # fmt: skip


def posterior_reduction(q: np.ndarray, lifts: np.ndarray, sd: np.ndarray) -> float:
    """``trace Cov(Q | L)`` after observing ``L`` (draws × k) with errors ``sd`` (k,), from draws of
    ``Q`` (draws × q), under the joint-normal approximation."""
    q = q.reshape(q.shape[0], -1)
    lifts = lifts.reshape(lifts.shape[0], -1)
    full = np.cov(np.concatenate([q, lifts], axis=1), rowvar=False).reshape(q.shape[1] + lifts.shape[1], -1)
    nq = q.shape[1]
    cqq, cql, cll = full[:nq, :nq], full[:nq, nq:], full[nq:, nq:]
    if lifts.shape[1] == 0:
        return float(np.trace(cqq))
    s = cll + np.diag(np.asarray(sd, dtype=float) ** 2)
    return float(np.trace(cqq - cql @ np.linalg.solve(s, cql.T)))


def _window(spend: np.ndarray, weeks: int) -> tuple[int, int] | None:
    on = spend > 0
    for end in range(spend.size - 1, weeks - 2, -1):
        if on[end - weeks + 1 : end + 1].all():
            return end - weeks + 1, end
    return None


def plan_tests(
    contributions: np.ndarray,
    spend: np.ndarray,
    channels: Sequence[str],
    dates: Sequence[Any],
    *,
    reserve: float | None = None,
    n_tests: int | None = None,
    weeks: int = 6,
    rel_sd: float = 0.10,
    lift_sd: Mapping[str, float] | None = None,
    costs: Mapping[str, float] | None = None,
    cell_share: float = 0.2,
    objective: str = "total_media",
    exclude: Sequence[str] = (),
    funding: Mapping[str, Any] | None = None,
) -> LiftTestPlan:
    """Rank lift tests by expected uncertainty reduction per unit cost (see the module docstring).

    Args:
        contributions: MMM posterior KPI contribution per draw, period and channel, (S, T, C).
        spend: spend per period and channel, (T, C).
        channels: channel names (C); dates: period start dates (T).
        reserve: the test fund; tests are added while their cost fits (None: no limit).
        n_tests: the most tests to add (None: as many as the reserve allows, at most one per channel).
        weeks: test length in periods; rel_sd, lift_sd: test error (relative, or per channel absolute).
        costs: cost per channel's test (default ``cell_share`` × window spend).
        objective: ``total_media`` or ``budget``; exclude: channels not to test (e.g. tested already).
        funding: where ``reserve`` came from (e.g. the plan's reserve), carried into the result.
    """
    c = np.asarray(contributions, dtype=float)
    sp = np.asarray(spend, dtype=float)
    if objective not in OBJECTIVES:
        raise UsageError(f"objective={objective!r}", [f"use one of {list(OBJECTIVES)}"])
    if c.ndim != 3 or c.shape[1:] != sp.shape or c.shape[2] != len(channels) or len(dates) != sp.shape[0]:
        raise UsageError("contributions (S, T, C), spend (T, C), channels and dates disagree in shape",
                         [f"got {c.shape}, {sp.shape}, {len(channels)} channels, {len(dates)} dates"])  # fmt: skip
    if reserve is not None and not (np.isfinite(reserve) and reserve >= 0):
        raise UsageError(f"reserve {reserve!r}", ["give the test fund as an amount >= 0"])
    if c.shape[0] < 10:
        raise UsageError(f"{c.shape[0]} posterior draws", ["fit the MMM with more draws (≥ 10)"])
    if objective == "total_media":
        q = c.sum(axis=(1, 2))[:, None]
    else:
        tot = sp.sum(axis=0)
        share = tot / tot.sum()
        roi = c.sum(axis=1) / np.where(tot > 0, tot, np.nan)
        q = np.nan_to_num(roi[:, tot > 0] * share[tot > 0])
    cands: list[dict[str, Any]] = []
    for j, ch in enumerate(channels):
        if ch in exclude:
            continue
        win = _window(sp[:, j], weeks)
        if win is None:
            continue
        a, b = win
        lift = c[:, a : b + 1, j].sum(axis=1)
        sd = float(lift_sd[ch]) if lift_sd and ch in lift_sd else rel_sd * abs(float(lift.mean()))
        cost = float(costs[ch]) if costs and ch in costs else cell_share * float(sp[a : b + 1, j].sum())
        if sd <= 0 or cost <= 0:
            continue
        cands.append({"channel": ch, "a": a, "b": b, "draws": lift, "sd": sd, "cost": cost})
    v_now = posterior_reduction(q, np.zeros((q.shape[0], 0)), np.zeros(0))
    chosen: list[dict[str, Any]] = []
    tests: list[PlannedTest] = []
    left = float("inf") if reserve is None else float(reserve)
    v_cur = v_now
    scored = []
    while cands and (n_tests is None or len(chosen) < n_tests):
        best, best_score, best_v = None, -np.inf, v_cur
        for cd in cands:
            if cd["cost"] > left:
                continue
            lifts = np.stack([x["draws"] for x in [*chosen, cd]], axis=1)
            v = posterior_reduction(q, lifts, np.array([x["sd"] for x in [*chosen, cd]]))
            score = (v_cur - v) / cd["cost"]
            if not chosen:
                scored.append({"channel": cd["channel"], "cost": cd["cost"], "lift_sd": cd["sd"],
                               "sd_after": float(np.sqrt(max(v, 0.0))), "reduction_per_cost": score})  # fmt: skip
            if score > best_score:
                best, best_score, best_v = cd, score, v
        if best is None or best_score <= 0:
            break
        chosen.append(best)
        cands = [x for x in cands if x is not best]
        left -= best["cost"]
        tests.append(PlannedTest(
            channel=best["channel"], start=str(dates[best["a"]]), end=str(dates[best["b"]]),
            expected_lift=float(best["draws"].mean()), lift_sd=best["sd"], cost=best["cost"],
            sd_before=float(np.sqrt(max(v_cur, 0.0))), sd_after=float(np.sqrt(max(best_v, 0.0))),
            reduction_per_cost=float(best_score),
        ))  # fmt: skip
        v_cur = best_v
    scored.sort(key=lambda r: -r["reduction_per_cost"])
    return LiftTestPlan(objective, float("nan") if reserve is None else float(reserve), tests,
                        float(np.sqrt(v_now)), float(np.sqrt(max(v_cur, 0.0))), scored,
                        None if funding is None else dict(funding))  # fmt: skip


def plan_from_fit(fit: Any, **kwargs: Any) -> LiftTestPlan:
    """:func:`plan_tests` on a fitted MMM (``omnimix.mmm.FittedMMM``): its contribution draws, spend and dates."""
    spend = np.asarray(fit.data.spend, float).reshape(fit.data.n_periods, -1, len(fit.channels)).sum(axis=1)
    dates = [str(d)[:10] for d in fit.data.dates]
    return plan_tests(fit.contributions, spend, list(fit.channels), dates, **kwargs)


def save_plan(workspace: Any, plan: LiftTestPlan) -> int:
    """Write ``plan``'s tests into ``experiment_plan`` (replacing the previous plan) for the dashboard."""
    import datetime as dt
    import json

    import pandas as pd

    from omnimix.workspace import Workspace

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    reserve = None if np.isnan(plan.reserve) else float(plan.reserve)
    funding = json.dumps(plan.funding, ensure_ascii=False, default=str) if plan.funding is not None else None
    cols = ["rank", "channel", "start", "end", "expected_lift", "lift_sd", "cost", "sd_before", "sd_after",
            "reduction_per_cost", "objective", "reserve", "funding", "planned_at"]
    rows = [{"rank": i, **t.to_json(), "objective": plan.objective, "reserve": reserve, "funding": funding,
             "planned_at": now} for i, t in enumerate(plan.tests, 1)]
    if not rows:   # an empty plan still records its fund and time (rank 0, no channel)
        rows = [{"rank": 0, "channel": None, "objective": plan.objective, "reserve": reserve,
                 "funding": funding, "planned_at": now}]
    frame = pd.DataFrame(rows).reindex(columns=cols)
    return int(Workspace.of(workspace).write("experiment_plan", frame))
