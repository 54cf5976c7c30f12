"""Golden values, lifetimes agreement, gradients and parameter recovery for the four models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad
from scipy.special import gammaln

from omnimix.clv import bgnbd, paretonbd
from omnimix.clv.bgnbd import BetaGeoModel
from omnimix.clv.gammagamma import GammaGammaModel
from omnimix.clv.paretonbd import ParetoNBDModel
from omnimix.clv.sbg import ShiftedBetaGeoModel
from omnimix.errors import InputDataError, NotFittedError


def _rft(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (df["frequency"].to_numpy(float), df["recency"].to_numpy(float), df["T"].to_numpy(float))


def test_bgnbd_cdnow_reproduces_fader_hardie_lee_2005(cdnow: pd.DataFrame) -> None:
    res = BetaGeoModel().fit(*_rft(cdnow), time_unit="weeks").result
    assert res.converged
    assert round(res.params["r"], 3) == 0.243
    assert round(res.params["alpha"], 3) == 4.414
    assert round(res.params["a"], 3) == 0.793
    assert round(res.params["b"], 3) == 2.426
    assert round(res.log_likelihood, 1) == -9582.4
    assert res.n_obs == 2357 and res.time_unit == "weeks"
    # standard errors are finite and plausible (FHL report r 0.013, alpha 0.378)
    assert res.stderr["r"] == pytest.approx(0.0126, rel=0.05)
    assert res.stderr["alpha"] == pytest.approx(0.378, rel=0.05)


def test_bgnbd_matches_lifetimes_predictions(cdnow: pd.DataFrame) -> None:
    lifetimes = pytest.importorskip("lifetimes")
    x, t_x, big_t = _rft(cdnow)
    ours = BetaGeoModel().fit(x, t_x, big_t)
    theirs = lifetimes.BetaGeoFitter().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    for k in ("r", "alpha", "a", "b"):
        assert ours.params[k] == pytest.approx(theirs.params_[k], rel=1e-3)
    ref = BetaGeoModel(params=dict(theirs.params_))
    np.testing.assert_allclose(
        ref.expected_purchases(39, x, t_x, big_t),
        theirs.conditional_expected_number_of_purchases_up_to_time(39, x, t_x, big_t),
        rtol=1e-7,
    )
    np.testing.assert_allclose(
        ref.p_alive(x, t_x, big_t), theirs.conditional_probability_alive(x, t_x, big_t), rtol=1e-9
    )
    np.testing.assert_allclose(
        ref.expected_purchases_new(np.array([5.0, 39.0, 78.0])),
        theirs.expected_number_of_purchases_up_to_time(np.array([5.0, 39.0, 78.0])),
        rtol=1e-9,
    )


def test_paretonbd_matches_lifetimes_and_published(cdnow: pd.DataFrame) -> None:
    lifetimes = pytest.importorskip("lifetimes")
    x, t_x, big_t = _rft(cdnow)
    res = ParetoNBDModel().fit(x, t_x, big_t, time_unit="weeks").result
    # Fader, Hardie & Lee (2005) report r 0.553, alpha 10.578, s 0.606, beta 11.669, LL -9595.0
    assert round(res.params["r"], 3) == 0.553
    assert round(res.params["alpha"], 2) == 10.58
    assert round(res.params["s"], 3) == 0.606
    assert res.params["beta"] == pytest.approx(11.669, abs=0.01)
    assert round(res.log_likelihood, 1) == -9595.0
    theirs = lifetimes.ParetoNBDFitter().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    for k in ("r", "alpha", "s", "beta"):
        assert res.params[k] == pytest.approx(theirs.params_[k], rel=1e-3)
    ref = ParetoNBDModel(params=dict(theirs.params_))
    ll_theirs = float(ref.log_likelihood(x, t_x, big_t).sum())
    assert ll_theirs <= res.log_likelihood + 1e-6  # ours is at least as good a maximum
    assert ll_theirs == pytest.approx(res.log_likelihood, abs=1e-3)
    np.testing.assert_allclose(
        ref.p_alive(x, t_x, big_t), theirs.conditional_probability_alive(x, t_x, big_t), rtol=1e-6
    )
    np.testing.assert_allclose(
        ref.expected_purchases(39, x, t_x, big_t),
        theirs.conditional_expected_number_of_purchases_up_to_time(39, x, t_x, big_t),
        rtol=1e-6,
    )


def test_gammagamma_matches_lifetimes(cdnow_monetary: pd.DataFrame) -> None:
    lifetimes = pytest.importorskip("lifetimes")
    df = cdnow_monetary
    res = GammaGammaModel().fit(df["x"], df["zbar"]).result
    # Fader, Hardie & Lee (2005, RFM and CLV): p 6.25, q 3.74, gamma 15.44
    assert round(res.params["p"], 2) == 6.25
    assert round(res.params["q"], 2) == 3.74
    assert res.params["gamma"] == pytest.approx(15.44, abs=0.01)
    rep = df[df["x"] > 0]
    theirs = lifetimes.GammaGammaFitter().fit(rep["x"], rep["zbar"])
    for ours_k, their_k in (("p", "p"), ("q", "q"), ("gamma", "v")):
        assert res.params[ours_k] == pytest.approx(theirs.params_[their_k], rel=1e-3)
    ref = GammaGammaModel(
        params={"p": theirs.params_["p"], "q": theirs.params_["q"], "gamma": theirs.params_["v"]}
    )
    np.testing.assert_allclose(
        ref.expected_spend(rep["x"], rep["zbar"]),
        theirs.conditional_expected_average_profit(rep["x"], rep["zbar"]),
        rtol=1e-9,
    )


def test_clv_matches_lifetimes(cdnow_monetary: pd.DataFrame) -> None:
    lifetimes = pytest.importorskip("lifetimes")
    from omnimix.clv.predict import discounted_clv

    df = cdnow_monetary
    x, t_x, big_t, m = (df[c].to_numpy(float) for c in ("x", "t_x", "T", "zbar"))
    bg = lifetimes.BetaGeoFitter().fit(x, t_x, big_t)
    gg = lifetimes.GammaGammaFitter().fit(x[x > 0], m[x > 0])
    theirs = gg.customer_lifetime_value(
        bg, df["x"], df["t_x"], df["T"], df["zbar"], time=12, discount_rate=0.01, freq="W"
    )
    ours_bg = BetaGeoModel(params=dict(bg.params_))
    ours_gg = GammaGammaModel(params={"p": gg.params_["p"], "q": gg.params_["q"], "gamma": gg.params_["v"]})
    spend = ours_gg.expected_spend(x, m)
    ours = discounted_clv(
        ours_bg, x, t_x, big_t, spend, months=12, discount_rate=0.01, period_length=4.345, time_unit="weeks"
    )
    # lifetimes' gamma-gamma uses the observed mean for one-time buyers (m = 0 → population mean too)
    np.testing.assert_allclose(ours, theirs.to_numpy(), rtol=1e-6)
    assert ours.sum() > 0


REGULAR = [1000, 631, 468, 382, 326, 290, 262, 241, 223, 207, 195, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


def test_sbg_fader_hardie_2007() -> None:
    # F&H (2007) calibrate on years 0..7: regular alpha 0.704, beta 1.182; high end alpha 0.668, beta 3.806
    reg = ShiftedBetaGeoModel().fit(REGULAR[:8]).result
    assert round(reg.params["alpha"], 3) == 0.704
    assert round(reg.params["beta"], 3) == 1.182
    high = ShiftedBetaGeoModel().fit(HIGH_END).result
    assert round(high.params["alpha"], 3) == 0.668
    assert round(high.params["beta"], 3) == 3.806
    full = ShiftedBetaGeoModel().fit(REGULAR)
    assert full.result.converged
    # the 7-year fit projects the 12-year survival of the regular cohort within a few points (F&H Fig. 3)
    proj = ShiftedBetaGeoModel(params=reg.params).survival(np.arange(13)) * 1000
    assert np.max(np.abs(proj - np.array(REGULAR))) < 25
    assert full.retention(1.0) == pytest.approx(
        full.params["beta"] / (full.params["alpha"] + full.params["beta"])
    )


def test_sbg_del_matches_sum() -> None:
    m = ShiftedBetaGeoModel(params={"alpha": 0.704, "beta": 1.182})
    d = 0.1
    t = np.arange(0, 4000)
    brute = float(np.sum(m.survival(t) / (1 + d) ** t))
    assert m.discounted_expected_lifetime(d) == pytest.approx(brute, rel=1e-8)


def test_sbg_rejects_bad_counts() -> None:
    with pytest.raises(InputDataError, match="never increase"):
        ShiftedBetaGeoModel().fit([1000, 1200, 500])


def test_not_fitted() -> None:
    with pytest.raises(NotFittedError):
        _ = BetaGeoModel().params


@pytest.mark.parametrize("mod", [bgnbd, paretonbd])
def test_analytic_gradient_matches_finite_differences(mod) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(1)
    params = {"r": 0.6, "alpha": 5.0, "a": 0.8, "b": 2.5, "s": 0.7, "beta": 8.0}
    x, t_x, big_t = bgnbd.simulate_summary(params, rng.uniform(10, 60, 400), rng)
    x[:3] = [250, 400, 120]  # heavy buyers
    t_x[:3] = big_t[:3] * 0.95
    fun = mod._objective(x, t_x, big_t, np.ones(x.size))
    theta = np.log([0.5, 4.0, 0.9, 6.0])
    _, g = fun(theta)
    h = 1e-6
    num = np.array([(fun(theta + e)[0] - fun(theta - e)[0]) / (2 * h) for e in np.eye(4) * h])
    np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-8)


def test_paretonbd_likelihood_against_adaptive_quadrature() -> None:
    rng = np.random.default_rng(7)
    for _ in range(60):
        r, alpha, s, beta = np.exp(rng.uniform(-3, 3, 4))
        x = float(rng.choice([0, 1, 4, 30, 200, 600]))
        big_t = rng.uniform(1, 100)
        t_x = 0.0 if x == 0 else big_t * rng.uniform(0.01, 1.0)
        ours = ParetoNBDModel(params={"r": r, "alpha": alpha, "s": s, "beta": beta}).log_likelihood(
            [x], [t_x], [big_t]
        )[0]
        rho, sig = r + x, s + 1.0
        shift = rho * np.log(alpha + t_x) + sig * np.log(beta + t_x)

        def f(
            tau: float,
            rho: float = rho,
            sig: float = sig,
            shift: float = shift,
            al: float = alpha,
            be: float = beta,
        ) -> float:
            return float(np.exp(-rho * np.log(al + tau) - sig * np.log(be + tau) + shift))

        pts = [t_x + (alpha + t_x) / (rho + s) * k for k in (1, 5, 20)]
        integral, _ = quad(
            f, t_x, big_t, epsabs=0, epsrel=1e-12, limit=500, points=[p for p in pts if p < big_t]
        )
        log_i = np.log(integral) - shift if integral > 0 else -np.inf
        a_term = -rho * np.log(alpha + big_t) - s * np.log(beta + big_t)
        ref = (
            gammaln(rho)
            - gammaln(r)
            + r * np.log(alpha)
            + s * np.log(beta)
            + np.logaddexp(a_term, np.log(s) + log_i)
        )
        assert ours == pytest.approx(ref, rel=1e-8, abs=1e-8)


def test_bgnbd_recovers_simulated_parameters() -> None:
    rng = np.random.default_rng(2024)
    truth = {"r": 0.5, "alpha": 6.0, "a": 0.7, "b": 3.0}
    x, t_x, big_t = bgnbd.simulate_summary(truth, rng.uniform(20, 78, 30000), rng)
    res = BetaGeoModel().fit(x, t_x, big_t, time_unit="weeks").result
    for k, v in truth.items():
        assert abs(res.params[k] - v) < 3.5 * res.stderr[k], (k, res.params[k], v, res.stderr[k])


def test_paretonbd_recovers_simulated_parameters() -> None:
    rng = np.random.default_rng(99)
    truth = {"r": 0.8, "alpha": 8.0, "s": 0.5, "beta": 12.0}
    x, t_x, big_t = paretonbd.simulate_summary(truth, rng.uniform(20, 78, 20000), rng)
    res = ParetoNBDModel().fit(x, t_x, big_t, time_unit="weeks").result
    for k, v in truth.items():
        assert abs(res.params[k] - v) < 3.5 * res.stderr[k], (k, res.params[k], v, res.stderr[k])


def test_gammagamma_recovers_simulated_parameters() -> None:
    rng = np.random.default_rng(5)
    p, q, g = 4.0, 3.0, 20.0
    n = 20000
    nu = rng.gamma(q, 1.0 / g, n)
    x = rng.integers(1, 15, n).astype(float)
    m = np.array([rng.gamma(p, 1.0 / v, int(k)).mean() for v, k in zip(nu, x, strict=True)])
    res = GammaGammaModel().fit(x, m).result
    for k, v in {"p": p, "q": q, "gamma": g}.items():
        assert abs(res.params[k] - v) < 3.5 * res.stderr[k], (k, res.params[k], v)


def test_summary_validation_lists_problems() -> None:
    with pytest.raises(InputDataError) as err:
        BetaGeoModel().fit([1, -1], [2.0, 0.0], [1.0, 5.0])
    msg = str(err.value)
    assert "frequency -1.0" in msg and "recency 2.0 with T 1.0" in msg
