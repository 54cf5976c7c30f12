from __future__ import annotations

import numpy as np
import pytest

from omnimix.mmm.diagnostics import ess_bulk, ess_tail, mcmc_summary, review, rhat


def test_rhat_and_ess_on_iid_and_stuck_chains() -> None:
    rng = np.random.default_rng(1)
    iid = rng.standard_normal((4, 1000))
    assert rhat(iid) == pytest.approx(1.0, abs=0.01)
    assert 3000 < ess_bulk(iid) < 5000
    assert 2500 < ess_tail(iid) < 5500
    stuck = iid + np.array([0.0, 0.0, 0.0, 3.0])[:, None]
    assert rhat(stuck) > 1.3
    # AR(1) chains with rho=0.9: ESS ≈ N (1-rho)/(1+rho) ≈ 4000/19 ≈ 210
    ar = np.zeros((4, 1000))
    e = rng.standard_normal((4, 1000))
    for t in range(1, 1000):
        ar[:, t] = 0.9 * ar[:, t - 1] + e[:, t]
    assert 120 < ess_bulk(ar) < 350
    s = mcmc_summary({"a": iid[..., None], "b": stuck})
    assert s["rhat_param"] == "b"
    assert s["ess_bulk_param"] == "b"


def _review(**kw):
    rng = np.random.default_rng(0)
    y = 100 + rng.standard_normal(50)
    y_rep = 100 + rng.standard_normal((400, 50))
    args = dict(
        mode="nuts",
        samples={"x": rng.standard_normal((2, 200))},
        diverging=np.zeros((2, 200), bool),
        info={},
        y=y,
        y_rep=y_rep,
        train=np.ones(50, bool),
        roi_mean={"a": 2.0},
        media_share=0.3,
        max_plausible_roi=25.0,
    )
    args.update(kw)
    return review(**args)


def test_review_gates() -> None:
    ok = _review()
    assert ok.passed and ok.reasons == []
    assert 0.8 < ok.ppc_coverage <= 1.0
    div = np.zeros((2, 200), bool)
    div[0, :10] = True
    bad = _review(diverging=div, roi_mean={"a": 40.0}, media_share=0.95)
    assert not bad.passed
    assert len(bad.reasons) == 3 and len(bad.suggestions) == 3
    assert "10 divergent" in bad.reasons[0] and "target_accept" in bad.suggestions[0]
    assert "implausible ROI (a=40.0" in bad.reasons[1]
    rng = np.random.default_rng(2)
    stuck = rng.standard_normal((2, 200)) + np.array([0.0, 5.0])[:, None]
    assert any("R-hat" in r for r in _review(samples={"x": stuck}).reasons)
    train = np.ones(50, bool)
    train[-10:] = False
    y = 100 + np.random.default_rng(0).standard_normal(50)
    y[-10:] += 20  # structural break in the holdout
    h = _review(y=y, train=train)
    assert h.holdout_coverage == 0.0 and not h.passed
    m = _review(mode="map", info={"optimizer_success": False, "optimizer_message": "x", "laplace_ok": False})
    assert m.rhat_max is None and len(m.reasons) == 2


def test_rankdata_matches_scipy() -> None:
    from scipy import stats

    from omnimix.mmm.diagnostics import _rankdata

    x = np.array([[3.0, 1.0, 2.0, 2.0], [5.0, 1.0, 0.5, 2.0]])
    np.testing.assert_allclose(_rankdata(x), stats.rankdata(x, method="average").reshape(x.shape))


def test_identification_contraction_and_warnings() -> None:
    from omnimix.mmm.diagnostics import identification

    rng = np.random.default_rng(0)
    prior = np.exp(rng.normal(0.2, 0.9, size=(4000, 3)))
    post = np.column_stack(
        [
            np.exp(rng.normal(0.7, 0.09, 4000)),  # pinned: 1% of the prior variance left
            np.exp(rng.normal(0.0, 0.85, 4000)),  # the prior again
            np.exp(rng.normal(0.3, 0.45, 4000)),  # a quarter of the variance left
        ]
    )
    k, warns = identification(post, prior, ["search", "kol", "wechat"])
    assert k["search"] == pytest.approx(0.99, abs=0.01)
    assert k["kol"] == pytest.approx(1 - 0.85**2 / 0.81, abs=0.06)
    assert k["wechat"] == pytest.approx(0.75, abs=0.05)
    assert len(warns) == 1 and warns[0].startswith("kol: ROI is weakly identified")
    # non-positive or missing draws are ignored, not propagated as NaN
    post[:10, 0] = np.nan
    k2, _ = identification(post, prior, ["search", "kol", "wechat"])
    assert np.isfinite(k2["search"])
