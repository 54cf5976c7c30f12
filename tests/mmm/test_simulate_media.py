from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from omnimix.errors import ConfigError
from omnimix.simulate.media import (
    DEFAULT_CHANNELS,
    adstock_np,
    geometric_weights,
    saturation_np,
    simulate_media,
)


@pytest.fixture(scope="module")
def world():
    return simulate_media(weeks=104, seed=0)


def test_columns_and_shape(world) -> None:
    df = world.weekly
    assert len(df) == 104
    assert df["week"].iloc[0] == dt.date(2024, 1, 1)
    assert all(d.weekday() == 0 for d in df["week"])
    for ch in DEFAULT_CHANNELS:
        for pre in ("spend_", "impressions_", "contribution_"):
            assert f"{pre}{ch}" in df.columns
    for c in ("price_index", "promo", "baseline", "kpi", "event_cny", "event_618", "event_double11"):
        assert c in df.columns
    spend = df[[f"spend_{c}" for c in DEFAULT_CHANNELS]]
    means = spend.mean()
    assert means.min() > 10_000 and means.max() < 600_000
    # kpi is baseline + media + small noise
    resid = df["kpi"] - df["baseline"] - df[[f"contribution_{c}" for c in DEFAULT_CHANNELS]].sum(axis=1)
    assert abs(resid.std() / world.truth["noise_sd"] - 1) < 0.25


def test_deterministic_and_seed_dependent() -> None:
    a = simulate_media(weeks=52, seed=7)
    b = simulate_media(weeks=52, seed=7)
    c = simulate_media(weeks=52, seed=8)
    assert a.weekly.equals(b.weekly)
    assert a.truth == b.truth
    assert not np.allclose(a.weekly["kpi"], c.weekly["kpi"])


def test_truth_consistent(world, tmp_path) -> None:
    t = world.truth
    json.dumps(t)
    df = world.weekly
    for ch, spec in t["channels"].items():
        assert spec["contribution_total"] == pytest.approx(df[f"contribution_{ch}"].sum())
        assert spec["roi"] == pytest.approx(spec["contribution_total"] / spec["spend_total"])
        # recompute the contribution from the stated truth
        w = geometric_weights(spec["adstock"]["alpha"], spec["adstock"]["l_max"])
        assert w.sum() == pytest.approx(1.0)
        rec = saturation_np(adstock_np(df[f"spend_{ch}"].to_numpy(), w), spec["saturation"])
        np.testing.assert_allclose(rec, df[f"contribution_{ch}"], rtol=1e-9)
        # steady state: constant spend x gives beta*sat(x)
        x = spec["current_weekly_spend"]
        steady = saturation_np(adstock_np(np.full(30, x), w), spec["saturation"])[-1]
        assert steady == pytest.approx(float(saturation_np(np.array([x]), spec["saturation"])[0]))
    assert t["baseline_total"] == pytest.approx(df["baseline"].sum())
    (exp,) = t["experiments"]
    assert exp["channel"] == "search"
    win = (df["week"] >= dt.date.fromisoformat(exp["start"])) & (
        df["week"] <= dt.date.fromisoformat(exp["end"])
    )
    assert int(win.sum()) == 6
    assert exp["true_lift"] == pytest.approx(df.loc[win, "contribution_search"].sum())
    assert abs(exp["lift"] - exp["true_lift"]) < 4 * exp["lift_sd"]
    out = world.write(tmp_path)
    assert json.loads((out / "media.json").read_text(encoding="utf-8"))["weeks"] == 104
    assert (out / "weekly.csv").read_text().startswith("week,spend_search")


def test_confounding_and_events(world) -> None:
    df = world.weekly
    # the confounded channel follows demand much more than the others
    base = df["baseline"].to_numpy()
    c_search = np.corrcoef(df["spend_search"], base)[0, 1]
    c_other = np.corrcoef(df["spend_wechat"], base)[0, 1]
    assert c_search > 0.5 and c_search > c_other + 0.2
    # double 11 weeks: spend surges; CNY weeks: spend dips
    d11 = df["event_double11"] == 1
    cny = df["event_cny"] == 1
    assert d11.sum() == 2 and cny.sum() == 2
    assert df.loc[d11, "spend_douyin"].mean() > 1.5 * df["spend_douyin"].median()
    assert df.loc[cny, "spend_douyin"].mean() < df["spend_douyin"].median()


def test_long_and_custom() -> None:
    w = simulate_media(weeks=260, seed=1, channels=["tv", "search"], confounded=None)
    assert len(w.weekly) == 260 and w.truth["experiments"] == []
    assert set(w.truth["channels"]) == {"tv", "search"}
    with pytest.raises(ConfigError):
        simulate_media(channels=["a"], confounded="search")
    with pytest.raises(ConfigError):
        simulate_media(weeks=5)
