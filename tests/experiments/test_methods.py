"""Each estimator against a direct reference computation, and the inference contract."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from omnimix.experiments import METHODS, GeoPanel, analyze
from omnimix.experiments.did import _assignments, sdid_weights
from omnimix.experiments.inference import conformal_pvalue
from omnimix.experiments.prepared import Design
from omnimix.experiments.synth import _ridge_correction, asc_fit, sc_fit
from omnimix.experiments.tbr import analyze_tbr

from .test_simplex import brute_force

FAST = ["synthetic_control", "augmented_synthetic_control", "tbr", "did", "sdid"]


def _small(seed: int = 0, n: int = 6, T: int = 30) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    f = np.cumsum(rng.normal(size=T))
    Y0 = 10 + np.outer(f, rng.uniform(0.5, 1.5, n)) + rng.normal(0, 0.5, (T, n)) + rng.uniform(0, 20, n)
    y1 = 50 + f + rng.normal(0, 0.5, T)
    return y1, Y0


def test_sc_fixed_effects_is_the_simplex_fit_on_demeaned_series() -> None:
    y1, Y0 = _small()
    fit = np.arange(30) < 20
    cf, w = sc_fit(y1, Y0, fit)
    A = Y0[fit] - Y0[fit].mean(axis=0)
    ref = brute_force(A, y1[fit] - y1[fit].mean(), 0.0)
    np.testing.assert_allclose(w, ref, atol=1e-7)
    np.testing.assert_allclose(cf, y1[fit].mean() + (Y0 - Y0[fit].mean(axis=0)) @ ref, atol=1e-6)


def test_ridge_augmentation_formula_and_limits() -> None:
    y1, Y0 = _small(1)
    fit = np.arange(30) < 20
    _, w_aug, w_sc = asc_fit(y1, Y0, fit, lam=1e12)
    np.testing.assert_allclose(w_aug, w_sc, atol=1e-8)           # huge penalty: plain SC
    _, w_aug, w_sc = asc_fit(y1, Y0, fit, lam=3.0)
    assert w_aug.sum() == pytest.approx(1.0)
    # augsynth's form: (x1 - X0'w)' (X0'X0 + λI_T)^-1 X0' with X0 donors × dates (centred)
    D = (Y0[fit] - Y0[fit].mean(axis=0)).T
    c = D.mean(axis=0)
    X0 = D - c
    x1 = y1[fit] - y1[fit].mean() - c
    ref = (x1 - X0.T @ w_sc) @ np.linalg.inv(X0.T @ X0 + 3.0 * np.eye(X0.shape[1])) @ X0.T
    np.testing.assert_allclose(_ridge_correction(x1, X0, w_sc, 3.0), ref, atol=1e-9)
    np.testing.assert_allclose(w_aug - w_sc, ref, atol=1e-9)


def test_did_is_the_two_way_fixed_effects_ols(panel: GeoPanel, world: tuple[pd.DataFrame, dict[str, Any]]) -> None:
    truth = world[1]
    r = analyze(panel, "did", truth["treated"], truth["test_start"], truth["test_end"])
    f = panel.frame
    geos, dates = panel.geos, panel.dates
    G = (f["geo"].to_numpy()[:, None] == np.array(geos)[None, 1:]).astype(float)
    Tm = (f["date"].to_numpy()[:, None] == dates.to_numpy()[None, 1:]).astype(float)
    D = (f["geo"].isin(truth["treated"]) & (f["date"] >= truth["test_start"])).to_numpy(float)
    X = np.column_stack([np.ones(len(f)), G, Tm, D])
    beta = np.linalg.lstsq(X, f["kpi"].to_numpy(), rcond=None)[0]
    assert r.att.mean == pytest.approx(beta[-1], rel=1e-9)


def test_did_permutation_test_is_the_exact_randomisation_test(panel: GeoPanel,
                                                             world: tuple[pd.DataFrame, dict[str, Any]]) -> None:
    truth = world[1]
    sub = panel.subset(geos=panel.geos[:9] + truth["treated"][:1])
    treated = truth["treated"][:1] if truth["treated"][0] in sub.geos else [sub.geos[0]]
    r = analyze(sub, "did", treated, truth["test_start"], truth["test_end"])
    W = sub.wide().to_numpy()
    post = np.asarray(sub.dates >= pd.Timestamp(truth["test_start"]))
    g = W[post].mean(0) - W[~post].mean(0)
    k = sub.geos.index(treated[0])
    stats = np.array([abs(g[j] - np.delete(g, j).mean()) for j in range(len(g))])
    assert r.p_value == pytest.approx(np.mean(stats >= stats[k] - 1e-12))
    assert _assignments(10, 1, np.array([k]), np.random.default_rng(0)).shape[0] == 10


def test_tbr_interval_covers_on_its_own_model() -> None:
    """On data drawn from TBR's model (iid normal errors) the 90% interval covers ~90%."""
    rng = np.random.default_rng(5)
    covered = 0
    reps = 300
    for _ in range(reps):
        T, T1 = 60, 20
        x = 1000 + np.cumsum(rng.normal(0, 20, T))
        y = 50 + 0.4 * x + rng.normal(0, 15, T)
        effect = 30.0
        y[-T1:] += effect
        post = np.arange(T) >= T - T1
        d = Design(np.column_stack([y, x]), None, pd.date_range("2024-01-01", periods=T), ["t", "c"],
                   np.array([0]), np.array([1]), ~post, post)
        est = analyze_tbr(d, level=0.9)
        covered += int(est.lo <= effect <= est.hi)
    assert 0.85 <= covered / reps <= 0.95


def test_tbr_ar1_covers_under_autocorrelated_errors() -> None:
    """Errors = a persistent AR(1) part (ρ = 0.8) under white noise: the iid interval undercovers badly,
    ``inference="ar1"`` (AR(1) + noise by REML) is near its level."""
    rng = np.random.default_rng(8)
    cov_t = cov_ar1 = 0
    reps = 80
    for _ in range(reps):
        T, T1 = 120, 28
        x = 1000 + np.cumsum(rng.normal(0, 20, T))
        ar = np.zeros(T)
        ar[0] = rng.normal(0, 10 / np.sqrt(1 - 0.64))
        for t in range(1, T):
            ar[t] = 0.8 * ar[t - 1] + rng.normal(0, 10)
        y = 50 + 0.4 * x + ar + rng.normal(0, 25, T)
        y[-T1:] += 30.0
        post = np.arange(T) >= T - T1
        d = Design(np.column_stack([y, x]), None, pd.date_range("2024-01-01", periods=T), ["t", "c"],
                   np.array([0]), np.array([1]), ~post, post)
        a, b = analyze_tbr(d, level=0.9), analyze_tbr(d, level=0.9, inference="ar1")
        assert a.att == b.att                     # same point estimate: only the variance changes
        cov_t += int(a.lo <= 30.0 <= a.hi)
        cov_ar1 += int(b.lo <= 30.0 <= b.hi)
    assert cov_t / reps < 0.75
    assert 0.82 <= cov_ar1 / reps <= 0.97, (cov_t, cov_ar1)


def test_sdid_weights_minimise_their_objectives() -> None:
    rng = np.random.default_rng(2)
    Y = 5 + np.cumsum(rng.normal(size=(40, 8)), axis=0)
    pre, post = Y[:30], Y[30:]
    tr = np.zeros(8, dtype=bool)
    tr[:2] = True
    omega, lam, _, tau = sdid_weights(pre, post, tr)
    co = ~tr
    sigma = np.diff(pre[:, co], axis=0).std(ddof=1)
    zeta2 = (2 * 10) ** 0.5 * sigma ** 2

    def unit_obj(w: np.ndarray) -> float:
        r = pre[:, co] @ w - pre[:, tr].mean(1)
        return float(np.sum((r - r.mean()) ** 2) + zeta2 * 30 * w @ w)

    for _ in range(300):
        q = rng.dirichlet(np.ones(6))
        assert unit_obj(omega) <= unit_obj(q) + 1e-9
    ytr = pre[:, tr].mean(1)
    direct = (post[:, tr].mean() - lam @ ytr) - omega @ (post[:, co].mean(0) - pre[:, co].T @ lam)
    assert tau == pytest.approx(direct)


def test_conformal_pvalue_by_hand() -> None:
    y1, Y0 = _small(3, n=4, T=12)
    post = np.arange(12) >= 9
    rows = np.ones(12, dtype=bool)

    def fitter(y: np.ndarray, X: np.ndarray, fit: np.ndarray) -> np.ndarray:
        return sc_fit(y, X, fit)[0]

    tau0 = 1.5
    y = y1 - tau0 * post
    u = y - fitter(y, Y0, rows)
    stats = [abs(np.mean([u[(t + j) % 12] for t in range(9, 12)])) for j in range(12)]
    expected = np.mean(np.array(stats) >= stats[0] - 1e-12)
    assert conformal_pvalue(y1, Y0, rows, post, tau0, fitter) == pytest.approx(expected)


@pytest.mark.parametrize("method", FAST)
@pytest.mark.parametrize("effect", [0.0, 0.1])
def test_interval_and_p_value_never_contradict(method: str, effect: float) -> None:
    from omnimix.simulate.geo import simulate_geo_panel

    for seed in range(2):
        frame, truth = simulate_geo_panel(n_geos=15, n_days=70, test_days=14, treated=2, effect=effect,
                                          seed=seed, cost=False)
        r = analyze(GeoPanel.from_frame(frame), method, truth["treated"], truth["test_start"], truth["test_end"])
        alpha = 1 - r.level
        assert (r.p_value <= alpha) == (not r.att.lo <= 0.0 <= r.att.hi), (r.p_value, r.att)
        assert r.att.lo <= r.att.hi
        inc = r.att.scale(len(truth["treated"]) * 14)
        assert r.incremental_kpi.mean == pytest.approx(inc.mean)
        assert (r.lift.lo <= 0) == (r.incremental_kpi.lo <= 0)


@pytest.mark.parametrize("method", FAST)
def test_deterministic_and_json_contract(method: str, panel: GeoPanel,
                                         world: tuple[pd.DataFrame, dict[str, Any]]) -> None:
    truth = world[1]
    a = analyze(panel, method, truth["treated"], truth["test_start"], truth["test_end"], seed=4)
    b = analyze(panel, method, truth["treated"], truth["test_start"], truth["test_end"], seed=4)
    ja, jb = a.to_json(), b.to_json()
    assert json.dumps(ja) == json.dumps(jb)
    assert list(ja) == ["method", "att", "incremental_kpi", "lift", "p_value", "weights", "iroas",
                        "incremental_cost"]
    for k in ("att", "incremental_kpi", "lift", "iroas"):
        assert set(ja[k]) == {"mean", "lo", "hi"}
    assert set(ja["weights"]) == set(panel.geos) - set(truth["treated"])
    # incremental cost: the treated geos' extra spend, recovered by each method's counterfactual
    assert a.incremental_cost == pytest.approx(truth["incremental_cost"], rel=0.15)
    assert a.periods["in_test"].sum() == 21 and {"date", "observed", "counterfactual", "lo", "hi"} <= set(a.periods)
    assert method in METHODS


@pytest.mark.parametrize(("method", "inference"), [("synthetic_control", "conformal"),
                                                   ("synthetic_control", "placebo_time"),
                                                   ("augmented_synthetic_control", "placebo_space"),
                                                   ("did", "cluster"), ("tbr", "ar1"), ("sdid", "jackknife")])
def test_other_inference_methods_are_consistent(method: str, inference: str, panel: GeoPanel,
                                                world: tuple[pd.DataFrame, dict[str, Any]]) -> None:
    truth = world[1]
    r = analyze(panel, method, truth["treated"], truth["test_start"], truth["test_end"], inference=inference)
    assert r.inference == inference
    assert (r.p_value <= 1 - r.level) == (not r.att.lo <= 0.0 <= r.att.hi)
    assert r.att.lo <= r.att.mean <= r.att.hi
    with pytest.raises(Exception, match="not available"):
        analyze(panel, method, truth["treated"], truth["test_start"], truth["test_end"], inference="bogus")


def test_sdid_jackknife_matches_leave_one_out_and_needs_two_treated(panel: GeoPanel,
                                                                   world: tuple[pd.DataFrame, dict[str, Any]]) -> None:
    """Algorithm 3 by hand: each unit dropped, λ and the other ω kept (renormalised)."""
    from omnimix.experiments.did import sdid_jackknife_se
    from omnimix.experiments.prepared import prepare

    truth = world[1]
    d = prepare(panel, truth["treated"], truth["test_start"], truth["test_end"])
    tr = np.zeros(len(d.geos), dtype=bool)
    tr[d.treated] = True
    Yp, Yq = d.Y[d.pre], d.Y[d.post]
    omega, lam, _, _ = sdid_weights(Yp, Yq, tr)
    co = np.flatnonzero(~tr)
    u = []
    for i in range(tr.size):
        t_keep = [j for j in np.flatnonzero(tr) if j != i]
        c_keep = [j for j in co if j != i]
        w = np.array([omega[list(co).index(j)] for j in c_keep])
        w = w / w.sum()
        yt = (Yq[:, t_keep].mean(axis=1).mean() - lam @ Yp[:, t_keep].mean(axis=1))
        yc = w @ (Yq[:, c_keep].mean(axis=0) - Yp[:, c_keep].T @ lam)
        u.append(yt - yc)
    n = len(u)
    want = np.sqrt((n - 1) / n * np.sum((np.array(u) - np.mean(u)) ** 2))
    assert sdid_jackknife_se(Yp, Yq, tr, omega, lam) == pytest.approx(want, rel=1e-10)
    with pytest.raises(Exception, match="at least 2 treated"):
        analyze(panel, "sdid", [truth["treated"][0]], truth["test_start"], truth["test_end"], inference="jackknife")


def test_placebo_space_is_exact_over_assignments() -> None:
    """Issue #16: every assignment is read by the same rule, so with one treated geo the p-values of the
    n possible assignments are exactly {1/n, 2/n, ..., 1} (size <= α under random assignment). The old
    rule (placebos among the controls only, each fitted without the treated geo) broke this."""
    from omnimix.experiments.inference import placebo_space_effects
    from omnimix.simulate.geo import simulate_geo_panel

    frame, truth = simulate_geo_panel(n_geos=8, n_days=60, test_days=14, treated=1, effect=0.0, seed=3, cost=False)
    panel = GeoPanel.from_frame(frame)
    ps = sorted(analyze(panel, "synthetic_control", [g], truth["test_start"], truth["test_end"],
                        inference="placebo_space").p_value for g in panel.geos)
    np.testing.assert_allclose(ps, np.arange(1, 9) / 8)
    # at τ0 != 0 the placebo effects are those of a refit with the treated geos' test outcomes minus τ0
    from omnimix.experiments.prepared import prepare

    d = prepare(panel, panel.geos[:2], truth["test_start"], truth["test_end"])

    def fitter(y: np.ndarray, X: np.ndarray, fit: np.ndarray) -> np.ndarray:
        return sc_fit(y, X, fit)[0]

    eff, slope, _ = placebo_space_effects(d.Y, d.treated, d.pre, d.post, fitter, np.random.default_rng(0))
    Yn = d.Y.copy()
    Yn[np.ix_(d.post, d.treated)] -= 7.0
    eff7, _, _ = placebo_space_effects(Yn, d.treated, d.pre, d.post, fitter, np.random.default_rng(0))
    np.testing.assert_allclose(eff - 7.0 * slope, eff7, atol=1e-6 * max(1.0, float(np.abs(eff).max())))


def test_synthetic_control_defaults_to_placebo_space_when_it_can_reject() -> None:
    """Issue #16: placebo-in-space (exact under random assignment) is synthetic control's default; with
    too few geos for 19 placebo groups its p-value could never go below 5%, so conformal is used and said."""
    from omnimix.experiments.analysis import default_inference
    from omnimix.simulate.geo import simulate_geo_panel

    assert default_inference("synthetic_control", 40, 3, 0.9) == ("placebo_space", None)
    assert default_inference("synthetic_control", 20, 1, 0.9) == ("placebo_space", None)   # 19 groups
    assert default_inference("synthetic_control", 19, 1, 0.9)[0] == "conformal"            # 18 groups
    assert default_inference("synthetic_control", 7, 2, 0.9) == ("placebo_space", None)    # C(7,2)-1 = 20
    assert default_inference("synthetic_control", 200, 1, 0.99) == ("placebo_space", None)
    assert default_inference("synthetic_control", 60, 1, 0.99)[0] == "conformal"        # needs 99 groups
    assert default_inference("augmented_synthetic_control", 6, 1, 0.9) == ("conformal", None)
    frame, truth = simulate_geo_panel(n_geos=6, n_days=60, test_days=14, treated=1, effect=0.0, seed=3, cost=False)
    panel = GeoPanel.from_frame(frame)
    r = analyze(panel, "synthetic_control", truth["treated"], truth["test_start"], truth["test_end"])
    assert r.inference == "conformal" and "only 5 placebo group(s)" in r.details["inference_note"]
    forced = analyze(panel, "synthetic_control", truth["treated"], truth["test_start"], truth["test_end"],
                     inference="placebo_space")
    assert forced.inference == "placebo_space" and "inference_note" not in forced.details
    assert forced.p_value >= 1 / 6
