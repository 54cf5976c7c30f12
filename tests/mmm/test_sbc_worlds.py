"""Worlds for recovery over many worlds: prior worlds (strict SBC), varied worlds, the lift-test programme."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from omnimix.errors import ConfigError
from omnimix.mmm.data import EVENT_NAMES
from omnimix.mmm.spec import MMMConfig
from omnimix.simulate.experiments import lift_test_programme, programme_channels, with_experiments
from omnimix.simulate.media import adstock_np, geometric_weights, saturation_np, simulate_media
from omnimix.simulate.prior import design_spend, prior_world
from omnimix.simulate.truth import from_world
from omnimix.simulate.varied import varied_world


# -- lift-test programme ------------------------------------------------------------------------
def test_programme_channels_take_the_largest_until_the_share_is_covered() -> None:
    spend = {"a": 10.0, "b": 40.0, "c": 30.0, "d": 15.0, "e": 5.0, "f": 0.0}
    assert programme_channels(spend, spend_share=0.75, min_channels=1) == ["b", "c", "d"]  # 85% ≥ 75%
    assert programme_channels(spend, spend_share=0.5, min_channels=1) == ["b", "c"]
    assert programme_channels(spend, spend_share=0.1, min_channels=3) == ["b", "c", "d"]
    assert programme_channels(spend, spend_share=1.0, min_channels=1) == ["b", "c", "d", "a", "e"]  # f never
    with pytest.raises(ConfigError):
        programme_channels(spend, spend_share=0.0)


@pytest.fixture(scope="module")
def media_world():
    return simulate_media(weeks=104, seed=3)


def test_lift_test_programme_on_a_media_world(media_world) -> None:
    w = media_world
    prog = lift_test_programme(w, seed=3)
    spend = {c: w.truth["channels"][c]["spend_total"] for c in w.channels}
    chans = [e["channel"] for e in prog]
    assert chans == sorted(chans, key=lambda c: -spend[c])  # largest first
    assert len(chans) >= 3 and len(set(chans)) == len(chans)
    assert sum(spend[c] for c in chans) >= 0.75 * sum(spend.values())
    df = w.weekly
    weeks = list(df["week"])
    for e in prog:
        s = weeks.index(dt.date.fromisoformat(e["start"]))
        assert dt.date.fromisoformat(e["end"]) == weeks[s + 5] + dt.timedelta(days=6)  # 6 weeks, end inclusive
        window = slice(s, s + 6)
        assert (df[f"spend_{e['channel']}"].to_numpy()[window] > 0).all()
        assert sum(df[k].to_numpy()[window].sum() for k in EVENT_NAMES) == 0
        assert e["true_lift"] == pytest.approx(df[f"contribution_{e['channel']}"].to_numpy()[window].sum())
        assert e["lift_sd"] == pytest.approx(0.10 * e["true_lift"])
        assert e["spend"] == pytest.approx(df[f"spend_{e['channel']}"].to_numpy()[window].sum())
    starts = [dt.date.fromisoformat(e["start"]) for e in prog]
    assert starts == sorted(starts)  # staggered through the period
    assert lift_test_programme(w, seed=3) == prog
    data = from_world(with_experiments(w, prog))
    assert [e.channel for e in data.experiments] == chans
    assert w.truth["experiments"][0]["channel"] == "search"  # the original world is unchanged


def test_lift_test_programme_checks_its_arguments(media_world) -> None:
    with pytest.raises(ConfigError, match="weeks"):
        lift_test_programme(media_world, weeks=60)
    with pytest.raises(ConfigError, match="rel_sd"):
        lift_test_programme(media_world, rel_sd=0.0)


# -- designs and varied worlds ------------------------------------------------------------------
def test_design_spend_correlation_and_flighting() -> None:
    rng = np.random.default_rng(0)
    spend, facts = design_spend(rng, 2000, 2, correlation=0.8, flighting=0.0)
    assert facts["on_air"] == [1.0, 1.0]
    r = np.corrcoef(np.log(spend[:, 0]), np.log(spend[:, 1]))[0, 1]
    assert r == pytest.approx(0.8, abs=0.06)
    spend, facts = design_spend(np.random.default_rng(1), 2000, 3, correlation=0.0, flighting=1.0)
    assert all(0.3 <= s <= 0.9 for s in facts["on_air"])
    assert facts["on_air"] == pytest.approx(list((spend > 0).mean(axis=0)))


def test_varied_world_truth_is_consistent() -> None:
    for seed in (0, 1, 2, 3):
        w = varied_world(seed)
        df = w.weekly
        assert w.truth["weeks"] in (52, 78) and len(w.channels) in (2, 3)
        media = 0.0
        for c in w.channels:
            t = w.truth["channels"][c]
            a = adstock_np(df[f"spend_{c}"].to_numpy(), geometric_weights(t["adstock"]["alpha"]))
            contrib = saturation_np(a, t["saturation"])
            assert contrib == pytest.approx(df[f"contribution_{c}"].to_numpy())
            assert t["roi"] == pytest.approx(contrib.sum() / df[f"spend_{c}"].sum())
            assert 0.5 <= t["roi"] <= 3.0
            media += contrib.sum()
        assert w.truth["media_total"] == pytest.approx(media)
        resid = df["kpi"] - df["baseline"] - df[[f"contribution_{c}" for c in w.channels]].sum(axis=1)
        assert resid.std() < 4 * w.truth["noise_sd"]
        share = w.truth["media_total"] / w.truth["kpi_total"]
        assert 0.05 < share < 0.6
    assert varied_world(5).weekly.equals(varied_world(5).weekly)
    assert {varied_world(s).truth["design"]["saturation"] for s in range(8)} == {"hill", "logistic"}


# -- prior worlds -------------------------------------------------------------------------------
def test_prior_world_is_the_model_run_forwards() -> None:
    cfg = MMMConfig(saturation="logistic", prior="roi")
    w = prior_world(11, weeks=52, n_channels=2, config=cfg)
    ys = float(w.prep.y_scale[0])
    assert np.asarray(w.data.kpi) == pytest.approx(w.prep.y[:, 0].astype(float) * ys, rel=1e-5)
    assert set(w.truth["params"]) >= {"roi", "sat_lam", "adstock_alpha", "sigma", "rho", "intercept"}
    spend = w.data.spend.sum(axis=0)
    for i, c in enumerate(w.data.channels):  # ROI mode: the drawn ROI is the channel's contribution ÷ spend
        assert w.truth["roi"][c] == pytest.approx(w.truth["params"]["roi"][i], rel=1e-4)
        assert w.truth["contribution"][c] == pytest.approx(w.truth["roi"][c] * spend[i])
    assert w.truth["media_total"] == pytest.approx(sum(w.truth["contribution"].values()))
    again = prior_world(11, weeks=52, n_channels=2, config=cfg)
    assert np.array_equal(again.data.kpi, w.data.kpi)


@pytest.mark.slow
def test_score_fit_of_a_short_fit_records_every_parameter() -> None:
    from omnimix.simulate.prior import fit_prior_world, score_fit

    cfg = MMMConfig(prior="roi", chains=2, warmup=150, samples=150, chain_method="vectorized")
    w = prior_world(21, weeks=52, n_channels=2, config=cfg)
    rec = score_fit(w, fit_prior_world(w, seed=1), n_ranks=99, prior_draws=200)
    labels = set(rec["params"])
    assert {"roi[0]", "roi[1]", "channel_roi[0]", "channel_roi[1]", "media_total", "sigma"} <= labels
    assert {f"seasonal[{k}]" for k in range(len(w.truth["params"]["seasonal"]))} <= labels
    for v in rec["params"].values():
        assert 0 <= v["rank"] <= 99 and set(v["cover"]) == {"50", "80", "90"}
        assert v["cover"]["50"] <= v["cover"]["80"] <= v["cover"]["90"]
    r = rec["params"]["roi[1]"]  # ROI mode: the site and the derived ROI are the same quantity
    assert r["truth"] == pytest.approx(rec["params"]["channel_roi[1]"]["truth"], rel=1e-4)
    assert r["mean"] == pytest.approx(rec["params"]["channel_roi[1]"]["mean"], rel=0.05)


@pytest.mark.slow
def test_batch_nuts_reuses_one_sampler_per_shape() -> None:
    from omnimix.simulate.batch_fit import BatchNUTS

    cfg = MMMConfig(prior="roi", chains=2, warmup=150, samples=150)
    batch = BatchNUTS()
    fits = [batch.fit(w.data, w.prep, cfg, seed=1) for w in (prior_world(s, weeks=52, n_channels=2, config=cfg)
                                                            for s in (31, 32))]  # fmt: skip
    assert len(batch._cache) == 1
    for f in fits:
        assert f.result.samples["roi"].shape == (2, 150, 2)
        assert f.result.info["engine"] == "BatchNUTS"
        assert f.contributions.shape[1:] == (52, 2)
    assert not np.array_equal(fits[0].result.samples["roi"], fits[1].result.samples["roi"])
