"""The periodic Measure–Learn–Optimize review (issue #19).

``run_review("ws", period="2026-05", out="reports")`` decides **scale / hold / cut / test** per spending
channel from the MMM's marginal-ROI interval against ``[review] threshold``, the channel's
identification and its pacing against the plan; it adds KPIs against plan, the revenue change split into
media, baseline and seasonality, the next lift tests, refresh-or-rebuild advice for the MMM and what
followed last period's decisions, and writes HTML and Excel in zh-CN and en. docs/review.md has the
details. Names are imported on first use (the review loads JAX only when it reloads a fit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omnimix._lazy import lazy_exports

if TYPE_CHECKING:
    from omnimix.review.decision import DECISIONS, Decision, decide
    from omnimix.review.period import Period, parse_period
    from omnimix.review.store import ReviewStore
    from omnimix.review.workflow import ReviewRun, run_review

__all__ = ["DECISIONS", "Decision", "Period", "ReviewRun", "ReviewStore", "decide", "parse_period", "run_review"]

__getattr__, __dir__ = lazy_exports(__name__, {
    "DECISIONS": "omnimix.review.decision",
    "Decision": "omnimix.review.decision",
    "decide": "omnimix.review.decision",
    "Period": "omnimix.review.period",
    "parse_period": "omnimix.review.period",
    "ReviewStore": "omnimix.review.store",
    "ReviewRun": "omnimix.review.workflow",
    "run_review": "omnimix.review.workflow",
})
