"""CRM stage histories with known conversion rates, stage delays, SLA behaviour, feedback and scores.

:func:`simulate_crm` writes ``crm_stage_history.csv`` (the columns of the ``stage_history`` table, so
``omnimix ingest`` detects it) and the truth in ``truth/crm_truth.json`` and ``truth/crm_breaches.csv``.

Each person enters as a subscriber (60%) or straight as a lead, uniformly over the period, then moves
one stage at a time with the probabilities of :data:`RATES` after exponential delays (:data:`DELAY_DAYS`,
plus a floor). At MQL the hand-off: the CRM lead score (0–100) and the source channel set the true
probability that sales accepts, ``sigmoid(-0.2 + 0.9 (score - 50) / 15 + CHANNEL_EFFECT[ch])``; 4% of
MQLs are never contacted; the others are contacted after a known number of business minutes (mostly
within the SLA, one in five over it), counted on mainland China's working days (chinese_calendar) and
the default ``[lifecycle] work_hours``. Accepted leads become SQLs; the rest are rejected (with a reason)
or recycled back to lead. Events after the export time ``as_of`` are cut, as a real export would.

The SLA truth is computed here by walking business minutes forward from the MQL time — not with
:mod:`omnimix.lifecycle.sla`, which measures the other way.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

STAGES: tuple[str, ...] = ("subscriber", "lead", "mql", "sql", "opportunity", "customer", "advocate")
#: what the export calls each stage (HubSpot's internal names for three of them)
EXPORT_NAMES: dict[str, str] = {"mql": "marketingqualifiedlead", "sql": "salesqualifiedlead", "advocate": "evangelist"}
#: probability of moving on from each stage (MQL → SQL is the score model's, see the module doc)
RATES: dict[str, float] = {"subscriber": 0.55, "lead": 0.5, "sql": 0.6, "opportunity": 0.4, "customer": 0.4}
#: mean exponential delay (days) before moving on from each stage, plus DELAY_FLOOR_DAYS
DELAY_DAYS: dict[str, float] = {"subscriber": 12.0, "lead": 9.0, "sql": 8.0, "opportunity": 25.0, "customer": 30.0}
DELAY_FLOOR_DAYS = 0.5
CHANNELS: dict[str, float] = {"search": 0.3, "social": 0.2, "email": 0.15, "douyin": 0.15, "wechat": 0.1, "events": 0.1}
CHANNEL_EFFECT: dict[str, float] = {"search": 0.3, "social": -0.4, "email": 0.1, "douyin": -0.6, "wechat": 0.0,
                                    "events": 0.8}
REJECT_REASONS: dict[str, float] = {"no_budget": 0.35, "no_need": 0.3, "bad_contact": 0.2, "competitor": 0.15}
RECYCLE_REASONS: dict[str, float] = {"not_ready": 0.6, "timing": 0.4}
OWNERS: tuple[str, ...] = tuple(f"rep_{i:02d}" for i in range(1, 9))
WORK_MINUTES: tuple[tuple[int, int], ...] = ((9 * 60, 12 * 60), (13 * 60, 18 * 60))  # [lifecycle] default
SLA_HOURS = 4.0
DEAL_MEAN = 20_000.0
NEVER_CONTACTED = 0.04


def _workday(d: dt.date) -> bool:
    import chinese_calendar

    return bool(chinese_calendar.is_workday(d))


def add_business_minutes(t0: dt.datetime, minutes: int) -> dt.datetime:
    """The time ``minutes`` business minutes after ``t0`` (working days, WORK_MINUTES)."""
    t, left = t0, float(minutes)
    while True:
        d = t.date()
        midnight = dt.datetime.combine(d, dt.time())
        if _workday(d):
            for s, e in WORK_MINUTES:
                end = midnight + dt.timedelta(minutes=e)
                if t >= end:
                    continue
                cur = max(t, midnight + dt.timedelta(minutes=s))
                avail = (end - cur).total_seconds() / 60
                if left <= avail:
                    return cur + dt.timedelta(minutes=left)
                left -= avail
                t = end
        t = midnight + dt.timedelta(days=1)


@dataclass
class CrmSummary:
    """What :func:`simulate_crm` wrote."""

    persons: int
    rows: int
    as_of: str
    files: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"persons": self.persons, "rows": self.rows, "as_of": self.as_of, "files": self.files}


def _pick(rng: np.random.Generator, table: dict[str, float], n: int) -> np.ndarray:
    keys = list(table)
    p = np.array([table[k] for k in keys])
    return np.asarray(rng.choice(keys, n, p=p / p.sum()))


def _minute(t: pd.Timestamp | dt.datetime) -> dt.datetime:
    out: dt.datetime = pd.Timestamp(t).floor("min").to_pydatetime()
    return out


def simulate_crm(out: str | Path, persons: int = 20_000, weeks: int = 104, seed: int = 0,
                 start: str = "2024-01-01") -> CrmSummary:
    """Write ``crm_stage_history.csv`` and the CRM truth under ``out`` (see the module doc)."""
    out = Path(out)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed + 17_017)
    t_start = pd.Timestamp(start)
    as_of = (t_start + pd.Timedelta(weeks=weeks)).to_pydatetime()
    span = (as_of - t_start.to_pydatetime()).total_seconds()
    rows: list[dict[str, Any]] = []
    reached = {s: 0 for s in STAGES}
    moved = {s: 0 for s in STAGES}
    p_accept: list[float] = []
    breaches: list[dict[str, Any]] = []
    feedback: dict[str, dict[str, int]] = {}
    reasons: dict[str, dict[str, dict[str, int]]] = {}
    delays: dict[str, list[float]] = {s: [] for s in STAGES}
    chans = _pick(rng, CHANNELS, persons)
    first_stage = np.where(rng.random(persons) < 0.6, 0, 1)
    t_first = rng.random(persons) * span
    for i in range(persons):
        rid = f"R{i:07d}"
        ch = str(chans[i])
        k = int(first_stage[i])
        t = _minute(t_start + pd.Timedelta(seconds=float(t_first[i])))
        deal: float | None = None
        events: list[dict[str, Any]] = []
        while True:
            stage = STAGES[k]
            if stage == "opportunity":
                deal = round(float(rng.lognormal(np.log(DEAL_MEAN) - 0.125, 0.5)), 2)
            ev: dict[str, Any] = {"record_id": rid, "stage": EXPORT_NAMES.get(stage, stage), "entered_at": t,
                                  "channel": ch, "source": "crm",
                                  "amount": deal if stage in ("opportunity", "customer") else None}
            events.append(ev)
            reached[stage] += 1
            if k == len(STAGES) - 1:
                break
            if stage == "mql":
                nxt = _handoff(rng, ev, ch, t, as_of, p_accept, breaches, feedback, reasons, events)
            elif rng.random() < RATES[stage]:
                nxt = _minute(t + dt.timedelta(days=float(DELAY_FLOOR_DAYS + rng.exponential(DELAY_DAYS[stage]))))
            else:
                nxt = None
            if nxt is None:
                break
            moved[stage] += 1
            delays[stage].append((nxt - t).total_seconds() / 86_400)
            t = nxt
            k += 1
        rows.extend(e for e in events if e["entered_at"] <= as_of)
    return _write(out, rows, as_of, persons, reached, moved, p_accept, breaches, feedback, reasons, delays)


def _bump(d: dict[str, int], k: str) -> None:
    d[k] = d.get(k, 0) + 1


def _handoff(rng: np.random.Generator, ev: dict[str, Any], ch: str, t: dt.datetime, as_of: dt.datetime,
             p_accept: list[float], breaches: list[dict[str, Any]], feedback: dict[str, dict[str, int]],
             reasons: dict[str, dict[str, dict[str, int]]], events: list[dict[str, Any]]) -> dt.datetime | None:
    """The MQL hand-off: score, owner, first contact, feedback; the SQL time when accepted."""
    score = int(np.clip(np.rint(rng.normal(50, 18)), 0, 100))
    ev["lead_score"] = score
    ev["owner"] = str(rng.choice(OWNERS))
    p = 1.0 / (1.0 + np.exp(-(-0.2 + 0.9 * (score - 50) / 15 + CHANNEL_EFFECT[ch])))
    p_accept.append(float(p))
    accepted = bool(rng.random() < p)
    limit = int(SLA_HOURS * 60)
    if rng.random() < NEVER_CONTACTED:
        deadline = add_business_minutes(t, limit + 1)
        if t <= as_of and deadline <= as_of:
            breaches.append({"record_id": ev["record_id"], "mql_at": t, "contacted_at": None})
        return None
    if rng.random() < 0.8:
        minutes = int(rng.integers(5, limit))  # within: at most limit - 1
    else:
        minutes = limit + 1 + int(rng.exponential(8 * 60))
    contact = add_business_minutes(t, minutes)
    if accepted:
        kind, reason = "accepted", None
    elif rng.random() < 0.65:
        kind, reason = "rejected", str(_pick(rng, REJECT_REASONS, 1)[0])
    else:
        kind, reason = "recycled", str(_pick(rng, RECYCLE_REASONS, 1)[0])
    if contact <= as_of:  # the export shows the contact and the feedback
        ev["contacted_at"] = contact
        ev["feedback"], ev["feedback_reason"] = kind, reason
        _bump(feedback.setdefault(ch, {}), kind)
        if reason is not None:
            _bump(reasons.setdefault(ch, {}).setdefault(kind, {}), reason)
        if minutes > limit:
            breaches.append({"record_id": ev["record_id"], "mql_at": t, "contacted_at": contact})
    elif t <= as_of and add_business_minutes(t, limit + 1) <= as_of:  # not contacted by the export
        breaches.append({"record_id": ev["record_id"], "mql_at": t, "contacted_at": None})
    after = _minute(contact + dt.timedelta(days=float(rng.exponential(1.5))))
    if kind == "recycled":
        events.append({"record_id": ev["record_id"], "stage": "lead", "entered_at": after, "channel": ch,
                       "source": "crm", "amount": None})
    return after if accepted else None


def _write(out: Path, rows: list[dict[str, Any]], as_of: dt.datetime, persons: int, reached: dict[str, int],
           moved: dict[str, int], p_accept: list[float], breaches: list[dict[str, Any]],
           feedback: dict[str, dict[str, int]], reasons: dict[str, dict[str, dict[str, int]]],
           delays: dict[str, list[float]]) -> CrmSummary:
    cols = ["record_id", "stage", "entered_at", "channel", "owner", "lead_score", "contacted_at", "feedback",
            "feedback_reason", "amount", "source"]
    df = pd.DataFrame(rows).reindex(columns=cols)
    for c in ("entered_at", "contacted_at"):
        df[c] = pd.to_datetime(df[c]).dt.strftime("%Y-%m-%d %H:%M:%S")
    df["lead_score"] = df["lead_score"].astype("Int64")
    df.to_csv(out / "crm_stage_history.csv", index=False)
    br = pd.DataFrame(breaches, columns=["record_id", "mql_at", "contacted_at"])
    br.to_csv(out / "truth" / "crm_breaches.csv", index=False)
    pairs = list(itertools.pairwise(STAGES))
    known = {f"{a}→{b}": (float(np.mean(p_accept)) * (1 - NEVER_CONTACTED) if a == "mql" else RATES[a])
             for a, b in pairs}
    truth = {
        "as_of": as_of.isoformat(sep=" "), "sla_hours": SLA_HOURS,
        "work_hours": ["09:00-12:00", "13:00-18:00"], "holidays": "cn",
        "rates": {k: round(v, 6) for k, v in known.items()},
        "realized": {f"{a}→{b}": {"entered": reached[a], "converted": moved[a],
                                  "rate": round(moved[a] / reached[a], 6) if reached[a] else None} for a, b in pairs},
        "delay_days_mean": {f"{a}→{b}": (round(float(np.mean(delays[a])), 4) if delays[a] else None)
                            for a, b in pairs},
        "deal_mean": DEAL_MEAN, "breaches": len(br), "feedback": dict(sorted(feedback.items())),
        "reasons": dict(sorted(reasons.items())),
    }
    (out / "truth" / "crm_truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=2), encoding="utf-8")
    return CrmSummary(persons=persons, rows=len(df), as_of=as_of.isoformat(sep=" "),
                      files={"crm_stage_history.csv": len(df)})
