"""The review's pure parts: periods, the decision rule and its reasons, refresh-or-rebuild advice."""

from __future__ import annotations

from datetime import date

import pytest

from omnimix.errors import UsageError
from omnimix.review import Period, decide, parse_period
from omnimix.review.advice import advise
from omnimix.review.period import last_full_month


def test_periods_parse_and_step_back() -> None:
    may = parse_period("2026-05")
    assert (may.kind, may.start, may.end, may.days) == ("month", date(2026, 5, 1), date(2026, 5, 31), 31)
    assert parse_period("2026-03").previous().label == "2026-02"
    assert parse_period("2026-01").previous().label == "2025-12"
    q = parse_period("2026-q1")
    assert (q.label, q.start, q.end) == ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31))
    assert q.previous() == Period("2025-Q4", "quarter", date(2025, 10, 1), date(2025, 12, 31))
    assert parse_period("2026-Q3").previous().label == "2026-Q2"
    for bad in ("2026-13", "2026/05", "May", "2026-Q5"):
        with pytest.raises(UsageError, match="YYYY-MM"):
            parse_period(bad)
    assert last_full_month(date(2025, 12, 28)).label == "2025-11"
    assert last_full_month(date(2025, 11, 30)).label == "2025-11"
    assert last_full_month(date(2026, 1, 3)).label == "2025-12"


def _d(lo: float, hi: float, ident: float | None = 0.9, status: str | None = "ok", pacing: dict | None = None):
    return decide("search", mroi={"mean": (lo + hi) / 2, "lo": lo, "hi": hi}, threshold=1.0, level=0.9,
                  identification=ident, status=status, min_identification=0.5, weekly_spend=1000.0, pacing=pacing)


def test_the_decision_rule() -> None:
    assert (_d(1.2, 2.0).decision, _d(1.2, 2.0).basis) == ("scale", "above")
    assert _d(0.2, 0.8).decision == "cut"
    # the whole interval below the threshold is a cut even for a weakly identified channel
    assert _d(0.2, 0.8, ident=0.1, status="weak").decision == "cut"
    assert _d(1.2, 2.0, ident=0.1).decision == "scale"
    # straddling: test when weak (contraction, the MMM's flag, or unknown), hold when identified
    assert (_d(0.7, 1.4, ident=0.3).decision, _d(0.7, 1.4, ident=0.3).basis) == ("test", "near_weak")
    assert _d(0.7, 1.4, ident=0.9, status="conflict").decision == "test"
    assert _d(0.7, 1.4, ident=None).decision == "test"
    assert (_d(0.7, 1.4).decision, _d(0.7, 1.4).basis) == ("hold", "near_identified")
    none = decide("kol", mroi=None, threshold=1.0, level=0.9, identification=None, status=None,
                  min_identification=0.5, weekly_spend=10.0)
    assert (none.decision, none.basis) == ("test", "no_model")


def test_reasons_state_the_interval_identification_and_pacing_in_both_languages() -> None:
    d = _d(1.25, 2.5, ident=0.87, pacing={"plan": 100.0, "actual": 70.0, "pace": 0.7, "status": "under",
                                           "source": "plan"})
    en, zh = d.reason("en"), d.reason("zh-CN")
    assert "marginal ROI 1.88 (90% interval 1.25–2.50) lies wholly above the threshold 1.00" in en
    assert "the data removed 87% of the prior's log-ROI variance" in en
    assert "spend ran at 70% of the plan, so first deliver the planned budget" in en
    assert "边际ROI 1.88（90%区间 1.25–2.50）整体高于阈值 1.00" in zh and "花费为计划的 70%" in zh
    assert d.to_json("en") == {"decision": "scale", "reason": en, "mroi": {"mean": 1.875, "lo": 1.25, "hi": 2.5}}
    weak = _d(0.5, 1.5, ident=0.2, status="weak").reason("en")
    assert "straddles the threshold 1.00 and the channel is weakly identified" in weak
    assert "the MMM flags it weakly identified" in weak


def test_refresh_or_rebuild_advice() -> None:
    may = parse_period("2025-05")
    kw = {"passed": True, "reasons": [], "fit_channels": ("a", "b"), "spending": ["a", "b"],
          "fit_first": date(2024, 1, 1), "period": may, "refresh_weeks": 13}
    assert advise(has_fit=False, **{**kw, "fit_first": None}, fit_last=None, data_last=date(2025, 6, 1)).action == "fit"
    keep = advise(has_fit=True, fit_last=date(2025, 5, 26), data_last=date(2025, 6, 1), **kw)
    assert keep.action == "keep" and keep.new_weeks == 0 and "refresh by 2025-08-25" in keep.text("en")[0]
    late = advise(has_fit=True, fit_last=date(2025, 2, 24), data_last=date(2025, 6, 1), **kw)
    assert late.action == "refresh" and late.new_weeks == 13
    assert {c for c, _ in late.reasons} == {"behind", "quarter"}
    assert "季度" in " ".join(late.text("zh-CN"))
    changed = advise(has_fit=True, fit_last=date(2025, 5, 26), data_last=date(2025, 6, 1),
                     **{**kw, "spending": ["a", "b", "c"]})
    assert changed.action == "rebuild" and "(c)" in changed.text("en")[0]
    mostly_new = advise(has_fit=True, fit_last=date(2024, 6, 3), data_last=date(2025, 6, 1), **kw)
    assert mostly_new.action == "rebuild" and [c for c, _ in mostly_new.reasons] == ["mostly_new"]
    failed = advise(has_fit=True, fit_last=date(2025, 5, 26), data_last=date(2025, 6, 1),
                    **{**kw, "passed": False, "reasons": ["R-hat 1.3"]})
    assert failed.action == "rebuild" and "R-hat 1.3" in failed.text("en")[0]
