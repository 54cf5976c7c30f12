from __future__ import annotations

import math

import pytest

from omnimix.voice.score import band, length_units, passes, penalty, score
from omnimix.voice.types import Issue


def _i(sev: str, cat: str = "terminology") -> Issue:
    return Issue("r", cat, sev, 0, 0, "", "m")  # type: ignore[arg-type]


def test_golden_values() -> None:
    assert score(0, 100) == 100.0
    # one warning (4) in 100 units: density 4 -> 100 * exp(-4/25)
    assert score(penalty([_i("warning")]), 100) == pytest.approx(round(100 * math.exp(-0.16), 1))
    # short texts are floored at 40 units
    assert score(10, 10) == score(10, 40) == pytest.approx(round(100 * math.exp(-1.0), 1))
    assert penalty([_i("error", "ad_law"), _i("suggestion", "tone")]) == pytest.approx(15.7)


def test_more_and_worse_issues_score_lower() -> None:
    base = score(penalty([_i("suggestion")]), 80)
    assert score(penalty([_i("warning")]), 80) < base
    assert score(penalty([_i("suggestion")] * 3), 80) < base
    assert score(penalty([_i("suggestion")]), 400) > base  # same issue in a longer text


def test_units_and_bands() -> None:
    assert length_units("天然成分") == 4
    assert length_units("natural skin care") == pytest.approx(4.8)
    assert [band(x) for x in (95, 80, 79.9, 60, 10)] == ["good", "good", "fair", "fair", "poor"]
    assert passes(70, None) and passes(70, 70) and not passes(69.9, 70)
