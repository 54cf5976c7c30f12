from __future__ import annotations

from datetime import date

import pytest

from omnimix.errors import UsageError
from omnimix.plan.retail import lunar_to_solar, peak_weights, retail_peaks, spring_festival


@pytest.mark.parametrize(
    ("year", "expected"),
    [(2024, date(2024, 2, 10)), (2025, date(2025, 1, 29)), (2026, date(2026, 2, 17)), (2027, date(2027, 2, 6))],
)
def test_spring_festival_known_dates(year: int, expected: date) -> None:
    assert spring_festival(year) == expected


def test_lunar_festivals_known_dates() -> None:
    assert lunar_to_solar(2025, 8, 15) == date(2025, 10, 6)  # 中秋 2025
    assert lunar_to_solar(2026, 8, 15) == date(2026, 9, 25)  # 中秋 2026
    assert lunar_to_solar(2026, 7, 7) == date(2026, 8, 19)  # 七夕 2026
    assert lunar_to_solar(2025, 7, 7) == date(2025, 8, 29)  # 七夕 2025


def test_peaks_of_2026() -> None:
    peaks = {p.key: p for p in retail_peaks(2026)}
    assert {"nianhuo", "spring", "women", "618", "qixi", "midautumn", "national", "double11", "double12",
            "valentines", "mothers", "black_friday", "cyber_monday", "christmas"} <= set(peaks)
    assert peaks["spring"].peak == date(2026, 2, 17)
    assert peaks["nianhuo"].end == date(2026, 2, 16) and peaks["nianhuo"].start == date(2026, 1, 27)
    assert peaks["qixi"].peak == date(2026, 8, 19)
    assert peaks["midautumn"].peak == date(2026, 9, 25)
    assert peaks["double11"].peak == date(2026, 11, 11)
    assert peaks["mothers"].peak == date(2026, 5, 10)  # second Sunday of May 2026
    assert peaks["black_friday"].peak == date(2026, 11, 27)  # Thanksgiving 2026-11-26
    assert peaks["cyber_monday"].peak == date(2026, 11, 30)
    assert peaks["black_friday"].peak.weekday() == 4 and peaks["cyber_monday"].peak.weekday() == 0
    for p in peaks.values():
        assert p.start <= p.peak <= p.end
        assert p.name("zh-CN") == p.name_zh and p.name("en") == p.name_en


def test_black_friday_2025_and_mothers_day_2027() -> None:
    peaks = {p.key: p for p in retail_peaks(2025, ["west"])}
    assert peaks["black_friday"].peak == date(2025, 11, 28)
    assert {p.key for p in retail_peaks(2025, ["west"])}.isdisjoint({"618", "double11"})
    assert {p.key: p for p in retail_peaks(2027, ["west"])}["mothers"].peak == date(2027, 5, 9)


def test_peaks_sorted_and_regions_checked() -> None:
    peaks = retail_peaks(2026)
    assert [p.start for p in peaks] == sorted(p.start for p in peaks)
    with pytest.raises(UsageError, match="regions"):
        retail_peaks(2026, ["mars"])
    with pytest.raises(UsageError, match="1901"):
        retail_peaks(1800)


def test_peak_weights() -> None:
    w = peak_weights(2026, lift=0.5, regions=["cn"])
    assert len(w) == 12
    # March: 1–8 inside 38女神节 → 8/31 of the month
    assert w[2] == pytest.approx(1 + 0.5 * 8 / 31)
    # April has no Chinese peak
    assert w[3] == 1.0
    assert all(1.0 <= x <= 1.5 for x in w)
