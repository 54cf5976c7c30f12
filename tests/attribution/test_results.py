from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from omnimix.attribution.paths import from_strings
from omnimix.attribution.results import MODELS, attribute, chart, compare
from omnimix.errors import ConfigError


def test_compare_joins_spend_cpa_roas(tmp_path: Path) -> None:
    p = from_strings(["a > b", "b", "a"], [2, 1, 1], [20.0, 5.0, 15.0], [1, 1, 1])
    results = [attribute("first", p), attribute("last", p), attribute("markov", p)]
    spend = pd.DataFrame({"date": ["2024-01-01"] * 3, "channel": ["a", "a", "c"], "spend": [10.0, 30.0, 5.0]})
    table = compare(results, spend)
    assert list(table.index) == ["a", "b", "c"]
    assert table.loc["a", "spend"] == 40.0
    assert table.loc["a", "first_conversions"] == 3.0
    assert table.loc["a", "first_cpa"] == pytest.approx(40.0 / 3.0)
    assert table.loc["a", "first_roas"] == pytest.approx(35.0 / 40.0)
    assert np.isnan(table.loc["b", "first_cpa"])  # no spend for b
    assert table.loc["c", "last_conversions"] == 0.0 and np.isnan(table.loc["c", "last_cpa"])
    out = chart(table, tmp_path / "c.html")
    text = out.read_text(encoding="utf-8")
    assert "ROAS" in text and len(text) > 1_000_000  # plotly.js bundled inline


def test_campaign_level_from_touches() -> None:
    touches = pd.DataFrame(
        {
            "journey_id": ["j1", "j1", "j2"],
            "ts": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-01"]),
            "channel": ["search", "search", "email"],
            "campaign": ["brand", "generic", "news"],
            "converted": [True, True, False],
            "conversion_value": [10.0, 10.0, 0.0],
        }
    )
    res = attribute("linear", None, touches, level="campaign")
    assert dict(zip(res.channels, res.conversions, strict=True)) == {
        "email / news": 0.0,
        "search / brand": 0.5,
        "search / generic": 0.5,
    }
    spend = pd.DataFrame({"channel": ["search"], "campaign": ["brand"], "spend": [4.0]})
    table = compare([res], spend, level="campaign")
    assert table.loc["search / brand", "linear_cpa"] == pytest.approx(8.0)


def test_every_model_runs_and_unknown_model_errors() -> None:
    p = from_strings(["a > b", "b"], [1, 1])
    for m in MODELS:
        if m != "time_decay":
            assert attribute(m, p).conversions.sum() == pytest.approx(2.0)
    with pytest.raises(ConfigError, match="unknown"):
        attribute("nope", p)
    with pytest.raises(ConfigError, match="touch"):
        attribute("time_decay", p)
