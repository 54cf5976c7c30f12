"""The metrics layer's additions for the dashboard (issue #20): the range grain, attributed new
customers and CAC, LTV, configured funnel stages, the attribution model option."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from omnimix.metrics import attribution_model, ltv, metric, metric_frame, stage_metric
from omnimix.workspace import Workspace

from .test_metrics import tiny  # noqa: F401 - the hand-computed warehouse


def test_range_grain_is_one_bucket_with_distinct_counts_over_the_range(tiny: Workspace) -> None:  # noqa: F811
    f = metric_frame(tiny, ["spend", "revenue", "conversions", "new_customers", "converting_customers",
                            "cross_channel_share", "cac"], "2026-03-01", "2026-03-10", grain="range")
    assert len(f) == 1 and f["period"][0] == pd.Timestamp("2026-03-01")
    assert f["spend"][0] == 200.0 and f["revenue"][0] == 135.0 and f["conversions"][0] == 4.0
    # p1 (new 03-02), p3 (new 03-09); p2 bought in February
    assert f["new_customers"][0] == 2.0 and f["cac"][0] == 100.0
    # distinct people over the range, not a sum of days (p1 bought twice, p2 once, p3 once)
    assert f["converting_customers"][0] == 3.0
    days = metric_frame(tiny, ["converting_customers"], "2026-03-01", "2026-03-10")
    assert days["converting_customers"].sum() == 4.0
    # p1: search and social within 30 days before the range's end; p2: search only; p3: social only
    assert f["cross_channel_share"][0] == pytest.approx(1 / 3)


def test_attributed_new_customers_split_like_conversions(tiny: Workspace) -> None:  # noqa: F811
    per = metric_frame(tiny, ["attributed_new_customers", "attributed_cac", "new_customers", "conversions"],
                       "2026-03-01", "2026-03-10", grain="range", by_channel=True)
    by = per.set_index("channel")
    # markov credits 3 of 4 conversions to search: the 2 new customers split 1.5 / 0.5
    assert by.loc["search", "attributed_new_customers"] == pytest.approx(1.5)
    assert by.loc["social", "attributed_new_customers"] == pytest.approx(0.5)
    assert by["attributed_new_customers"].sum() == pytest.approx(2.0)
    assert by.loc["search", "attributed_cac"] == pytest.approx(130.0 / 1.5)
    assert by.loc["search", "conversions"] == pytest.approx(4 * 0.75)
    tot = metric_frame(tiny, ["attributed_new_customers", "attributed_cac"], "2026-03-01", "2026-03-10",
                       grain="range")
    assert tot["attributed_new_customers"][0] == 2.0 and tot["attributed_cac"][0] == 100.0
    # another stored model, on request
    assert attribution_model(tiny) == "markov" and attribution_model(tiny, "last_touch") == "last_touch"
    lt = metric_frame(tiny, ["spend", "conversions"], "2026-03-01", "2026-03-10", grain="range", by_channel=True,
                      model="last_touch").set_index("channel")
    assert lt.loc["search", "conversions"] == 4.0 and lt.loc["social", "conversions"] == 0.0  # no credit: 0


def test_ltv_and_configured_stages(tiny: Workspace) -> None:  # noqa: F811
    # no clv_customers: historical revenue per buying person (purchases only: 140 over p1, p2, p3)
    assert ltv(tiny) == (pytest.approx(140.0 / 3), "historical")
    tiny.write("clv_customers", pd.DataFrame({"customer_id": ["a", "b"], "clv": [100.0, 300.0]}))
    assert ltv(tiny) == (200.0, "clv_customers")
    assert stage_metric("awareness") is metric("stage_awareness")
    assert metric("stage_trial").doc.startswith("count(*) of touchpoints with stage = 'trial'")
    f = metric_frame(tiny, ["stage_trial", "stage_decision"], "2026-03-01", "2026-03-10", grain="range")
    assert f["stage_trial"][0] == 0.0 and f["stage_decision"][0] == 1.0
    with pytest.raises(KeyError, match="plain name"):
        stage_metric("x'; DROP TABLE spend; --")
    assert math.isnan(metric_frame(tiny, ["cac"], "2026-03-20", "2026-03-21", grain="range")["cac"][0])
