"""Sales feedback on the MQL hand-off, counted per source channel and turned into a scoring feature.

Each MQL row may carry ``feedback`` — ``accepted`` (sales takes the lead: it becomes an SQL),
``rejected`` (with a ``feedback_reason``: no budget, wrong contact …) or ``recycled`` (sent back to
marketing for nurture, with a reason) — the vocabulary of HubSpot's lead status and Salesforce's lead
disqualification. Other values are counted as ``other``; a hand-off without feedback as ``none``.
The per-channel acceptance rate (smoothed toward the overall rate) is what lead scoring learns from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from omnimix.lifecycle.stages import StageModel

FEEDBACK: tuple[str, ...] = ("accepted", "rejected", "recycled")
_ALIASES = {"accept": "accepted", "qualified": "accepted", "sales_accepted": "accepted",
            "reject": "rejected", "disqualified": "rejected", "unqualified": "rejected",
            "recycle": "recycled", "nurture": "recycled", "returned": "recycled"}


def feedback_kind(value: object) -> str:
    """``accepted``, ``rejected``, ``recycled``, ``other`` or ``none`` for a feedback cell."""
    if not isinstance(value, str) or not value.strip():
        return "none"
    v = value.strip().lower().replace(" ", "_").replace("-", "_")
    v = _ALIASES.get(v, v)
    return v if v in FEEDBACK else "other"


@dataclass(frozen=True)
class FeedbackCounts:
    """Feedback on the MQL hand-offs.

    Attributes:
        by_channel: channel → {accepted, rejected, recycled, other, none} counts.
        reasons: channel → feedback kind → reason → count (rejected and recycled reasons).
        totals: the counts over every channel.
    """

    by_channel: dict[str, dict[str, int]]
    reasons: dict[str, dict[str, dict[str, int]]]
    totals: dict[str, int]

    def acceptance(self, strength: float = 10.0) -> dict[str, float]:
        """Channel → acceptance rate among hand-offs with feedback, shrunk toward the overall rate."""
        judged = sum(self.totals[k] for k in FEEDBACK)
        base = self.totals["accepted"] / judged if judged else 0.5
        out = {}
        for ch, c in self.by_channel.items():
            n = sum(c[k] for k in FEEDBACK)
            out[ch] = (c["accepted"] + strength * base) / (n + strength)
        return out

    def to_json(self) -> dict[str, Any]:
        return {"totals": self.totals, "by_channel": self.by_channel, "reasons": self.reasons,
                "acceptance": {k: round(v, 4) for k, v in self.acceptance().items()}}


def count_feedback(events: pd.DataFrame, channels: pd.Series, model: StageModel) -> FeedbackCounts:
    """Count the feedback of every MQL entry per the person's source channel."""
    mql = events[events["stage"] == model.mql]
    ch = mql["record_id"].map(channels).fillna("(none)").astype(str)
    kinds = mql["feedback"].map(feedback_kind)
    reason = mql["feedback_reason"].map(lambda v: v.strip() if isinstance(v, str) and v.strip() else "(none)")
    keys = ("accepted", "rejected", "recycled", "other", "none")
    by: dict[str, dict[str, int]] = {}
    reasons: dict[str, dict[str, dict[str, int]]] = {}
    for c, k, r in zip(ch, kinds, reason, strict=True):
        by.setdefault(c, dict.fromkeys(keys, 0))[k] += 1
        if k in ("rejected", "recycled"):
            slot = reasons.setdefault(c, {}).setdefault(k, {})
            slot[r] = slot.get(r, 0) + 1
    totals = {k: int(sum(v[k] for v in by.values())) for k in keys}
    return FeedbackCounts(dict(sorted(by.items())), dict(sorted(reasons.items())), totals)


def channel_log_odds(rates: dict[str, float]) -> dict[str, float]:
    """Acceptance rates as log-odds (the lead-scoring feature)."""
    return {k: float(np.log(np.clip(v, 1e-6, 1 - 1e-6) / (1 - np.clip(v, 1e-6, 1 - 1e-6)))) for k, v in rates.items()}
