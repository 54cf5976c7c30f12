"""Every model's credit sums to total conversions and total value (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnimix.attribution.markov import markov
from omnimix.attribution.paths import from_sequences
from omnimix.attribution.results import MODELS, attribute
from omnimix.attribution.rules import time_decay

channel = st.sampled_from(["a", "b", "c", "d", "direct"])
journey = st.tuples(
    st.lists(channel, min_size=1, max_size=7),
    st.integers(0, 6),
    st.floats(0, 100, allow_nan=False),
    st.integers(0, 6),
)
journeys = st.lists(journey, min_size=1, max_size=12).filter(lambda js: sum(j[1] for j in js) > 0)


def _paths(js):  # type: ignore[no-untyped-def]
    return from_sequences(
        [j[0] for j in js], [j[1] for j in js], [j[2] if j[1] > 0 else 0.0 for j in js], [j[3] for j in js]
    )


@settings(max_examples=60, deadline=None)
@given(journeys, st.integers(1, 4))
def test_all_path_models_sum_to_totals(js, order) -> None:  # type: ignore[no-untyped-def]
    p = _paths(js)
    for model in MODELS:
        if model == "time_decay":
            continue
        res = attribute(model, p, order=order)
        assert res.conversions.sum() == pytest.approx(p.total_conversions, rel=1e-9, abs=1e-9), model
        assert res.value.sum() == pytest.approx(p.total_value, rel=1e-9, abs=1e-9), model


@settings(max_examples=40, deadline=None)
@given(journeys, st.integers(1, 4), st.booleans(), st.booleans())
def test_markov_solvers_agree_and_effects_bounded(js, order, use_null, collapse) -> None:  # type: ignore[no-untyped-def]
    p = _paths(js)
    dense = markov(p, order, use_null=use_null, collapse_repeats=collapse, solver="dense")
    it = markov(p, order, use_null=use_null, collapse_repeats=collapse, solver="iterative")
    lu = markov(p, order, use_null=use_null, collapse_repeats=collapse, solver="sparse_lu")
    np.testing.assert_allclose(dense.removal_effect, it.removal_effect, atol=1e-10)
    np.testing.assert_allclose(dense.removal_effect, lu.removal_effect, atol=1e-10)
    assert np.all((dense.removal_effect >= 0) & (dense.removal_effect <= 1))
    assert dense.conversions.sum() == pytest.approx(p.total_conversions)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 5),
            st.sampled_from(["a", "b", "c"]),
            st.integers(0, 40),
            st.booleans(),
            st.floats(0, 50, allow_nan=False),
        ),
        min_size=1,
        max_size=25,
    ),
    st.floats(0.5, 30),
    st.one_of(st.none(), st.floats(1, 60)),
)
def test_time_decay_sums_to_totals(rows, half_life, lookback) -> None:  # type: ignore[no-untyped-def]
    df = pd.DataFrame(rows, columns=["journey_id", "channel", "day", "converted", "conversion_value"])
    df["journey_id"] = "j" + df["journey_id"].astype(str)
    df["ts"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(df["day"], unit="D")
    df["converted"] = df.groupby("journey_id")["converted"].transform("max")
    df["conversion_value"] = df.groupby("journey_id")["conversion_value"].transform("max")
    res = time_decay(df.drop(columns="day"), half_life_days=half_life, lookback_days=lookback)
    jv = df.groupby("journey_id").agg(c=("converted", "max"), v=("conversion_value", "max"))
    assert res.conversions.sum() == pytest.approx(float(jv["c"].sum()))
    assert res.value.sum() == pytest.approx(float(jv.loc[jv["c"], "v"].sum()))
