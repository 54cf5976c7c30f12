"""MAP fits (seconds) and one tiny NUTS run: outputs, save/load, calibration, gates."""

from __future__ import annotations

import json

import numpy as np
import pytest

from omnimix.errors import ConfigError, ConvergenceError
from omnimix.mmm.analysis import load_fit, load_response_curves
from omnimix.mmm.components import Prior
from omnimix.mmm.model import MMM, MMMConfig
from omnimix.simulate.media import saturation_np, simulate_media
from omnimix.simulate.truth import from_world


@pytest.fixture(scope="module")
def small_world():
    return simulate_media(weeks=104, seed=1, channels=["search", "douyin", "social"])


@pytest.fixture(scope="module")
def map_fit(small_world):
    return MMM(MMMConfig(holdout=8)).fit(from_world(small_world), mode="map", seed=0)


def test_map_fit_outputs(map_fit, small_world) -> None:
    fit = map_fit
    assert fit.mode == "map"
    assert fit.contributions.shape == (1000, 104, 3)
    s = fit.summary()
    truth = small_world.truth
    # the calibrated channel is recovered (true ROI inside the 90% interval), the others roughly
    r = s["channels"]["search"]["roi"]
    assert r["lo"] <= truth["channels"]["search"]["roi"] <= r["hi"], r
    for c in ("douyin", "social"):
        assert abs(s["channels"][c]["roi"]["mean"] / truth["channels"][c]["roi"] - 1) < 0.5, c
    media_true = truth["media_total"]
    assert abs(s["media_total"]["mean"] / media_true - 1) < 0.25
    d = s["diagnostics"]
    assert d["passed"], d["reasons"]
    assert d["rhat_max"] is None and d["holdout_coverage"] is not None and d["holdout_mape"] < 0.06
    assert 0.7 <= d["ppc_coverage"] <= 1.0
    # contributions decompose the fit: baseline + media ≈ predicted mean
    pred = fit.y_rep.mean(axis=0)
    decomposed = fit.baseline.mean(axis=0) + fit.contributions.mean(axis=0).sum(axis=1)
    assert np.corrcoef(pred, decomposed)[0, 1] > 0.95
    ad = fit.adstock_curves()
    assert np.asarray(ad["search"]["mean"]).sum() == pytest.approx(1.0, abs=1e-5)


def test_response_curves_match_parameters(map_fit) -> None:
    curves = map_fit.response_curves(points=11)
    for c, cv in curves.items():
        assert cv["mean"][0] == pytest.approx(0.0, abs=1e-6)
        assert np.all(np.diff(cv["mean"]) >= -1e-6)  # monotone
        assert np.all(np.asarray(cv["lo"]) <= np.asarray(cv["hi"]) + 1e-9)
        # the posterior-mean parameter curve (KPI units) tracks the posterior mean curve
        x = np.asarray(cv["spend"])
        approx = saturation_np(x, cv["saturation"])
        assert np.allclose(approx[1:], np.asarray(cv["mean"])[1:], rtol=0.35), c
        assert cv["current_weekly_spend"] > 0


def test_save_load_roundtrip_and_gate(map_fit, tmp_path) -> None:
    out = map_fit.save(tmp_path / "fit")
    for f in (
        "model.json",
        "samples.npz",
        "data.npz",
        "response_curves.json",
        "contributions.csv",
        "report.html",
    ):
        assert (out / f).exists(), f
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Response curves" in html and "plotly" in html.lower()
    again = load_fit(out)
    a, b = map_fit.summary(marginal=False), again.summary(marginal=False)
    for c in map_fit.channels:
        assert a["channels"][c]["roi"]["mean"] == pytest.approx(b["channels"][c]["roi"]["mean"], rel=1e-5)
    curves = load_response_curves(out)
    assert set(curves["channels"]) == {"search", "douyin", "social"}
    # a failed fit is refused downstream
    meta = json.loads((out / "response_curves.json").read_text())
    meta["passed"], meta["reasons"] = False, ["R-hat 1.2 > 1.05"]
    (out / "response_curves.json").write_text(json.dumps(meta))
    with pytest.raises(ConvergenceError, match=r"R-hat 1\.2"):
        load_response_curves(out)
    assert load_response_curves(out, allow_failed=True)["passed"] is False


def test_seed_reproducible(small_world) -> None:
    d = from_world(small_world)
    a = MMM().fit(d, mode="map", seed=3).summary(marginal=False)
    b = MMM().fit(d, mode="map", seed=3).summary(marginal=False)
    assert a["channels"]["search"]["roi"] == b["channels"]["search"]["roi"]


def test_calibration_shrinks_confounded_error() -> None:
    w = simulate_media(seed=2)  # 104 weeks x 8 channels; search spend follows latent demand
    true = w.truth["channels"]["search"]["roi"]
    naive = MMM().fit(from_world(w, calibrate=False), mode="map").summary(marginal=False)
    cal_data = from_world(w, calibrate=True)
    cal = MMM().fit(cal_data, mode="map").summary(marginal=False)
    err_naive = abs(naive["channels"]["search"]["roi"]["mean"] - true)
    err_cal = abs(cal["channels"]["search"]["roi"]["mean"] - true)
    assert naive["channels"]["search"]["roi"]["mean"] > true  # confounding over-credits
    assert err_cal < 0.5 * err_naive, (err_naive, err_cal)
    r = cal["channels"]["search"]["roi"]
    assert r["lo"] <= true <= r["hi"]
    # MAP speed is a benchmark target (benchmarks/mmm.py, ratios in one run), not a timed unit test


def test_tiny_nuts() -> None:
    w = simulate_media(weeks=52, seed=4, channels=["search", "douyin"], confounded=None)
    cfg = MMMConfig(chains=2, warmup=150, samples=100, fourier_order=1)
    fit = MMM(cfg).fit(from_world(w), mode="nuts", seed=0)
    assert fit.result.samples["media_share"].shape == (2, 100)  # the default, unit-free share prior
    assert fit.result.samples["media_split_z"].shape == (2, 100, 2)
    assert fit.result.diverging is not None and fit.result.diverging.shape == (2, 100)
    d = fit.diagnostics
    assert d.rhat_max is not None and d.rhat_max >= 1.0 and d.ess_bulk_min is not None and d.ess_bulk_min > 0
    s = fit.summary(marginal=False)
    assert s["diagnostics"]["divergences"] == d.divergences


def test_config_validation() -> None:
    with pytest.raises(ConfigError, match="prior"):
        MMMConfig(prior="flat")
    with pytest.raises(ConfigError, match="chains"):
        MMMConfig(chains=0)
    cfg = MMMConfig(adstock="weibull", saturation="logistic", l_max=6)
    assert MMMConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    with pytest.raises(ConfigError, match="mode"):
        MMM().fit(from_world(simulate_media(weeks=52, channels=["a"], confounded=None)), mode="vi")


def test_geo_hierarchy_map(tmp_path) -> None:
    from omnimix.mmm.data import MMMData

    chans = ["search", "douyin"]
    worlds = [simulate_media(weeks=78, seed=s, channels=chans, confounded=None) for s in (11, 12)]
    dfs = [w.weekly for w in worlds]
    data = MMMData(
        dates=tuple(dfs[0]["week"]),
        kpi=np.stack([d["kpi"].to_numpy() for d in dfs], axis=1),
        media=np.stack([d[[f"spend_{c}" for c in chans]].to_numpy() for d in dfs], axis=1),
        spend=np.stack([d[[f"spend_{c}" for c in chans]].to_numpy() for d in dfs], axis=1),
        channels=tuple(chans),
        controls=np.stack([d[["price_index", "promo"]].to_numpy() for d in dfs], axis=1),
        control_names=("price_index", "promo"),
        geos=("north", "south"),
    )
    fit = MMM().fit(data, mode="map")
    assert fit.result.samples["geo_eta"].shape == (1, 1000, 2, 2)
    assert fit.contributions.shape == (1000, 78, 2)
    roi = fit.summary(marginal=False)["channels"]
    for c in chans:
        true = sum(w.truth["channels"][c]["contribution_total"] for w in worlds) / sum(
            w.truth["channels"][c]["spend_total"] for w in worlds
        )
        assert roi[c]["roi"]["lo"] <= true <= roi[c]["roi"]["hi"], (c, roi[c]["roi"], true)
    again = load_fit(fit.save(tmp_path / "geo", html=False))
    assert again.data.geos == ("north", "south")


def test_per_channel_roi_prior_moves_only_its_channel() -> None:
    # roi_priors samples one site per channel; the derived quantities must read them (regression)
    w = simulate_media(weeks=52, seed=4, channels=["search", "douyin"], confounded=None)
    base = MMM(MMMConfig(prior="roi")).fit(from_world(w), mode="map", seed=0).summary(marginal=False)["channels"]
    tight = Prior("LogNormal", {"loc": float(np.log(6.0)), "scale": 0.05})
    fit = MMM(MMMConfig(prior="roi", roi_priors={"search": tight})).fit(from_world(w), mode="map", seed=0)
    got = fit.summary(marginal=False)["channels"]
    assert 5.0 < got["search"]["roi"]["mean"] < 7.0
    assert abs(base["search"]["roi"]["mean"] - 6.0) > 1.5  # the prior, not the data, put it there
    assert got["douyin"]["roi"]["mean"] > 0


def test_identification_in_fit_diagnostics(map_fit, tmp_path) -> None:
    """The lift-tested search channel is pinned by the data; the numbers survive save/load."""
    ident = map_fit.diagnostics.details["identification"]
    assert set(ident) == {"search", "douyin", "social"}
    assert ident["search"] > 0.9
    assert all(v <= 1.0 for v in ident.values())
    s = map_fit.summary(marginal=False)["diagnostics"]
    assert s["identification"] == ident and s["warnings"] == map_fit.diagnostics.warnings
    again = load_fit(map_fit.save(tmp_path / "fit"))
    assert again.diagnostics.details["identification"] == ident


@pytest.mark.parametrize("prior", ["share", "roi"])
def test_prior_draws_shortcut_matches_the_full_model(map_fit, prior) -> None:
    """Share and ROI mode sample their prior directly; running the whole model forward gives the same law."""
    from omnimix.mmm.analysis import prior_predictive
    from omnimix.mmm.model import ModelSpec, prepare

    cfg = MMMConfig(holdout=8, prior=prior)
    prep = prepare(map_fit.data, cfg)
    spec = ModelSpec(cfg, prep, map_fit.channels)
    fast = prior_predictive(spec, prep)
    spec_full = ModelSpec(cfg, prep, map_fit.channels)
    spec_full.pooled = True  # forces the Predictive path (no geo axis: pooling has no effect here)
    full = prior_predictive(spec_full, prep)
    for k in ("q", "share"):
        assert fast[k].shape == full[k].shape == (1000, 3)
    lf, lq = np.log(fast["q"]), np.log(full["q"])
    np.testing.assert_allclose(np.median(lq, axis=0), np.median(lf, axis=0), atol=0.2)
    np.testing.assert_allclose(lq.std(axis=0), lf.std(axis=0), rtol=0.15)
    np.testing.assert_allclose(np.median(full["total"]), np.median(fast["total"]), rtol=0.15)
    if prior == "roi":
        np.testing.assert_allclose(lf.std(axis=0), 0.9, rtol=0.1)
        np.testing.assert_allclose(np.median(full["q"], axis=0), np.exp(0.2), rtol=0.15)
    else:  # total share Beta(2, 3): mean 0.4
        assert abs(fast["total"].mean() - 0.4) < 0.03 and abs(full["total"].mean() - 0.4) < 0.03
