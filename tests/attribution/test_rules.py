from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omnimix.attribution import rules
from omnimix.attribution.paths import PathData, from_strings
from omnimix.errors import ConfigError

# small_paths: channels (a, b, c, direct)
# "a > b > c" 2 conv 20 val | "a" 1 conv 5 | "b > a" 0 | "c > direct" 3 conv 30 | "a > a > b" 1 conv 7


def test_first_last(small_paths: PathData) -> None:
    assert small_paths.channels == ("a", "b", "c", "direct")
    np.testing.assert_allclose(rules.first_touch(small_paths).conversions, [4, 0, 3, 0])
    np.testing.assert_allclose(rules.last_touch(small_paths).conversions, [1, 1, 2, 3])


def test_last_touch_value(small_paths: PathData) -> None:
    # last touches: c (20), a (5), a (0), direct (30), b (7)
    np.testing.assert_allclose(rules.last_touch(small_paths).value, [5, 7, 20, 30])


def test_last_non_direct(small_paths: PathData) -> None:
    res = rules.last_non_direct(small_paths)
    # "c > direct" -> c
    np.testing.assert_allclose(res.conversions, [1, 1, 5, 0])
    only_direct = from_strings(["Direct > direct"], [2])
    np.testing.assert_allclose(rules.last_non_direct(only_direct).conversions, [0, 2])  # Direct, direct


def test_linear_conventions(small_paths: PathData) -> None:
    lin = rules.linear(small_paths)
    # a>b>c: 2/3 each; a: 1; c>direct: 1.5 each; a>a>b: distinct a,b -> 0.5 each
    np.testing.assert_allclose(lin.conversions, [2 / 3 + 1 + 0.5, 2 / 3 + 0.5, 2 / 3 + 1.5, 1.5])
    lt = rules.linear_touch(small_paths)
    # a>a>b: a gets 2/3, b 1/3
    np.testing.assert_allclose(lt.conversions, [2 / 3 + 1 + 2 / 3, 2 / 3 + 1 / 3, 2 / 3 + 1.5, 1.5])


def test_position_based() -> None:
    p = from_strings(["a > b > c > d", "a > b", "a"], [10, 10, 10])
    res = rules.position_based(p)
    np.testing.assert_allclose(res.conversions, [4 + 5 + 10, 1 + 5, 1, 4])
    res2 = rules.position_based(p, first=0.3, last=0.5)
    np.testing.assert_allclose(res2.conversions, [3 + 3.75 + 10, 1 + 6.25, 1, 5])
    with pytest.raises(ConfigError, match="position weights"):
        rules.position_based(p, first=0.7, last=0.5)


def _touches() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "journey_id": ["j1", "j1", "j1", "j2", "j2"],
            "ts": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-01", "2024-01-02"]),
            "channel": ["search", "email", "social", "email", "search"],
            "converted": [True, True, True, False, False],
            "conversion_value": [70.0, 70.0, 70.0, 0.0, 0.0],
            "conversion_ts": pd.to_datetime(["2024-01-15", "2024-01-15", "2024-01-15", None, None]),
            "campaign": ["s", "e", "so", "e", "s"],
        }
    )


def test_time_decay_half_life() -> None:
    res = rules.time_decay(_touches(), half_life_days=7.0)
    # ages 14, 7, 0 days -> weights 1/4, 1/2, 1 -> shares 1/7, 2/7, 4/7
    got = dict(zip(res.channels, res.conversions, strict=True))
    assert got["search"] == pytest.approx(1 / 7)
    assert got["email"] == pytest.approx(2 / 7)
    assert got["social"] == pytest.approx(4 / 7)
    assert res.value.sum() == pytest.approx(70.0)


def test_time_decay_lookback_and_unattributed() -> None:
    res = rules.time_decay(_touches(), half_life_days=7.0, lookback_days=10)
    got = dict(zip(res.channels, res.conversions, strict=True))
    assert got["search"] == 0.0
    assert got["email"] == pytest.approx(1 / 3) and got["social"] == pytest.approx(2 / 3)
    t = _touches()
    t.loc[t["journey_id"] == "j1", "conversion_ts"] = pd.Timestamp("2024-03-01")
    res2 = rules.time_decay(t, lookback_days=5)
    assert dict(zip(res2.channels, res2.conversions, strict=True))["(unattributed)"] == 1.0
    assert res2.warnings


def test_time_decay_campaign_level() -> None:
    res = rules.time_decay(_touches(), level="campaign")
    assert "social / so" in res.channels
    assert res.conversions.sum() == pytest.approx(1.0)


def test_time_decay_rejects_bad_half_life() -> None:
    with pytest.raises(ConfigError, match="half-life"):
        rules.time_decay(_touches(), half_life_days=0)
