"""Stage conversion rates (overall, by cohort month, by channel), time in stage and pipeline velocity.

A person *converts* from stage k when, after first entering k, they first enter any later stage
(skipping a stage counts: a lead that becomes a customer directly converted from lead). The delay is
the time from entering k to that later entry: the time in stage. Recent entries have not had time to
convert, so a stage's rate counts only *mature* entries: those at least ``maturity_days`` before the
data's end, where ``maturity_days`` is the ``maturity_quantile`` (default 0.99) of the observed delays of
that transition. Cohort rows say whether the whole month is mature.

Pipeline velocity = opportunities × win rate × average deal value ÷ sales-cycle length (days): the
revenue the pipeline yields per day. Opportunities are those opened in the last ``window_days``; the win
rate is the mature opportunity → customer rate; the deal value is the mean ``amount`` of won deals; the
cycle is the mean days from opportunity to customer of the won.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from omnimix.lifecycle.stages import StageModel


def _r(x: float | None, n: int = 4) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), n)


@dataclass(frozen=True)
class Transition:
    """Conversion from one stage to the next with the time in stage."""

    from_stage: str
    to_stage: str
    entered: int
    converted: int
    mature_entered: int
    mature_converted: int
    maturity_days: float
    days_mean: float | None
    days_median: float | None
    days_p90: float | None

    @property
    def rate(self) -> float | None:
        """Conversion rate over the mature entries."""
        return self.mature_converted / self.mature_entered if self.mature_entered else None

    def to_json(self) -> dict[str, Any]:
        return {"from": self.from_stage, "to": self.to_stage, "rate": _r(self.rate), "entered": self.entered,
                "converted": self.converted, "mature_entered": self.mature_entered,
                "mature_converted": self.mature_converted, "maturity_days": _r(self.maturity_days, 2),
                "days_in_stage": {"mean": _r(self.days_mean, 2), "median": _r(self.days_median, 2),
                                  "p90": _r(self.days_p90, 2)}}


@dataclass(frozen=True)
class Velocity:
    """Pipeline velocity (revenue per day) and its four factors."""

    window_days: int
    opportunities: int
    win_rate: float | None
    deal_value: float | None
    cycle_days: float | None

    @property
    def per_day(self) -> float | None:
        if self.win_rate is None or self.deal_value is None or not self.cycle_days:
            return None
        return self.opportunities * self.win_rate * self.deal_value / self.cycle_days

    def to_json(self) -> dict[str, Any]:
        return {"window_days": self.window_days, "opportunities": self.opportunities,
                "win_rate": _r(self.win_rate), "deal_value": _r(self.deal_value, 2),
                "cycle_days": _r(self.cycle_days, 2), "per_day": _r(self.per_day, 2)}


def _next_entry(first: pd.DataFrame, model: StageModel, k: int) -> pd.Series:
    """Per person entering stage k: the first entry into any later stage at or after it (NaT if none)."""
    t = first.iloc[:, k]
    later = first.iloc[:, k + 1:]
    ok = later.ge(t, axis=0)
    return later.where(ok).min(axis=1)


def _delays_days(first: pd.DataFrame, model: StageModel, k: int) -> tuple[pd.Series, pd.Series]:
    t = first.iloc[:, k]
    entered = first[t.notna()]
    nxt = _next_entry(entered, model, k)
    days = (nxt - entered.iloc[:, k]).dt.total_seconds() / 86_400
    return entered.iloc[:, k], days


def transitions(first: pd.DataFrame, model: StageModel, as_of: dt.datetime,
                maturity_quantile: float = 0.99) -> list[Transition]:
    """One :class:`Transition` per consecutive pair of stages from the first-entry table."""
    out = []
    for k, (a, b) in enumerate(model.transitions()):
        t, days = _delays_days(first, model, k)
        conv = days.notna()
        maturity = float(np.quantile(days[conv], maturity_quantile)) if conv.any() else 0.0
        mature = t <= pd.Timestamp(as_of) - pd.Timedelta(days=maturity)
        d = days[conv]
        out.append(Transition(a, b, len(t), int(conv.sum()), int(mature.sum()), int((mature & conv).sum()),
                              maturity, float(d.mean()) if len(d) else None,
                              float(d.median()) if len(d) else None, float(d.quantile(0.9)) if len(d) else None))
    return out


def by_cohort(first: pd.DataFrame, model: StageModel, trans: list[Transition],
              as_of: dt.datetime) -> dict[str, list[dict[str, Any]]]:
    """Per transition ``"from→to"``: one row per month of entering ``from`` (entered, converted, rate, mature)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for k, tr in enumerate(trans):
        t, days = _delays_days(first, model, k)
        month = t.dt.to_period("M")
        cutoff = pd.Timestamp(as_of) - pd.Timedelta(days=tr.maturity_days)
        rows = []
        for m, idx in month.groupby(month).groups.items():
            n = len(idx)
            c = int(days.loc[idx].notna().sum())
            rows.append({"cohort": str(m), "entered": n, "converted": c, "rate": _r(c / n),
                         "mature": bool(m.end_time <= cutoff)})
        out[f"{tr.from_stage}→{tr.to_stage}"] = rows
    return out


def by_channel(first: pd.DataFrame, channels: pd.Series, model: StageModel, trans: list[Transition],
               as_of: dt.datetime) -> dict[str, dict[str, dict[str, Any]]]:
    """Per transition: per source channel, the mature entries, conversions and rate."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    ch = channels.reindex(first.index).fillna("(none)")
    for k, tr in enumerate(trans):
        t, days = _delays_days(first, model, k)
        mature = t <= pd.Timestamp(as_of) - pd.Timedelta(days=tr.maturity_days)
        rows: dict[str, dict[str, Any]] = {}
        c = ch.loc[t.index]
        for name in sorted(c.unique()):
            sel = mature & (c == name)
            n = int(sel.sum())
            conv = int((sel & days.notna()).sum())
            rows[str(name)] = {"entered": n, "converted": conv, "rate": _r(conv / n) if n else None}
        out[f"{tr.from_stage}→{tr.to_stage}"] = rows
    return out


def velocity(first: pd.DataFrame, events: pd.DataFrame, model: StageModel, trans: list[Transition],
             as_of: dt.datetime, window_days: int = 90) -> Velocity:
    """Pipeline velocity over the opportunities opened in the last ``window_days``."""
    o = model.index(model.opportunity)
    c = model.index(model.customer)
    opened = first.iloc[:, o]
    lo = pd.Timestamp(as_of) - pd.Timedelta(days=window_days)
    n_opp = int(((opened > lo) & (opened <= pd.Timestamp(as_of))).sum())
    # win rate: mature opportunity → customer (a multi-step gap multiplies the consecutive rates)
    win: float | None = 1.0
    for tr in trans[o:c]:
        win = None if win is None or tr.rate is None else win * tr.rate
    won = first[opened.notna() & first.iloc[:, c].notna() & (first.iloc[:, c] >= opened)]
    cycle = ((won.iloc[:, c] - won.iloc[:, o]).dt.total_seconds() / 86_400)
    amounts = events[(events["stage"] == model.customer) & events["record_id"].isin(won.index)
                     & events["amount"].notna()].drop_duplicates("record_id")["amount"]
    if amounts.empty:
        amounts = events[(events["stage"] == model.opportunity) & events["record_id"].isin(won.index)
                         & events["amount"].notna()].drop_duplicates("record_id")["amount"]
    return Velocity(window_days, n_opp, win, float(amounts.mean()) if len(amounts) else None,
                    float(cycle.mean()) if len(cycle) else None)


def stage_counts(first: pd.DataFrame, events: pd.DataFrame, model: StageModel) -> list[dict[str, Any]]:
    """Per stage: persons who ever entered it and persons whose latest event is in it."""
    latest = events.sort_values("entered_at").groupby("record_id")["stage"].last()
    now = latest.value_counts()
    return [{"stage": s, "names": model.names(s), "entered": int(first[s].notna().sum()),
             "current": int(now.get(s, 0))} for s in model.stages]
