"""Lead-score calibration: the fitters against reference solutions, Brier and deciles by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from omnimix.errors import UsageError
from omnimix.lifecycle.scoring import (
    brier,
    calibrate,
    fit_isotonic,
    fit_logistic,
    predict_isotonic,
    reliability,
    sigmoid,
)


def test_logistic_matches_a_generic_optimiser() -> None:
    rng = np.random.default_rng(3)
    X = np.column_stack([np.ones(500), rng.normal(size=500), rng.normal(size=500)])
    y = (rng.random(500) < sigmoid(X @ np.array([-0.3, 1.2, -0.7]))).astype(float)

    def nll(b: np.ndarray) -> float:
        z = X @ b
        return float(np.sum(np.logaddexp(0, z) - y * z))

    ref = minimize(nll, np.zeros(3), method="BFGS", options={"gtol": 1e-10}).x
    np.testing.assert_allclose(fit_logistic(X, y, l2=0.0), ref, atol=1e-5)


def _pav_brute(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Isotonic fit by the max-min formula: f(x_i) = max_{j<=i} min_{k>=i} mean(y[j..k]) over sorted x."""
    o = np.argsort(x, kind="mergesort")
    ys = y[o]
    n = len(ys)
    out = np.empty(n)
    for i in range(n):
        out[i] = max(min(ys[j:k + 1].mean() for k in range(i, n)) for j in range(i + 1))
    res = np.empty(n)
    res[o] = out
    return res


def test_isotonic_matches_the_max_min_formula() -> None:
    rng = np.random.default_rng(5)
    x = rng.permutation(40).astype(float)  # distinct scores
    y = (rng.random(40) < x / 40).astype(float)
    model = fit_isotonic(x, y)
    np.testing.assert_allclose(predict_isotonic(model, x), _pav_brute(x, y), atol=1e-12)
    assert np.all(np.diff(model[1]) > 0)


def test_isotonic_ties_share_one_value() -> None:
    x = np.array([1.0, 1.0, 2.0, 3.0, 3.0])
    y = np.array([0.0, 1.0, 0.0, 1.0, 1.0])
    p = predict_isotonic(fit_isotonic(x, y), x)
    np.testing.assert_allclose(p, [1 / 3, 1 / 3, 1 / 3, 1.0, 1.0])


def test_brier_and_deciles_by_hand() -> None:
    assert brier(np.array([0.9, 0.2, 0.5]), np.array([1, 0, 1])) == pytest.approx((0.01 + 0.04 + 0.25) / 3)
    p = np.arange(20) / 20
    y = (np.arange(20) % 2).astype(float)
    rows = reliability(p, y)
    assert [r["n"] for r in rows] == [2] * 10
    assert rows[0] == {"decile": 1, "n": 2, "predicted": 0.025, "observed": 0.5}


def test_calibration_beats_the_raw_score_on_a_known_model() -> None:
    rng = np.random.default_rng(11)
    n = 4000
    score = np.clip(rng.normal(50, 18, n), 0, 100)
    channel = rng.choice(["a", "b"], n)
    p = sigmoid(-0.5 + 0.05 * (score - 50) + np.where(channel == "a", 0.8, -0.8))
    y = (rng.random(n) < p).astype(float)
    fb = np.where(y == 1, "accepted", "rejected")
    sample = pd.DataFrame({"record_id": [f"r{i}" for i in range(n)], "score": score, "channel": channel,
                           "feedback": fb, "y": y})
    res = calibrate(sample, "logistic", folds=5, seed=0)
    assert res is not None
    assert res.brier_raw is not None
    truth = brier(p, y)
    assert res.brier_model < res.brier_raw and res.brier_model < res.brier_base
    assert res.brier_model == pytest.approx(truth, abs=0.005)  # within noise of the true probabilities
    assert res.model["channel_coef"] > 0.5
    iso = calibrate(sample, "isotonic")
    assert iso is not None and iso.brier_model < iso.brier_base
    for row in res.deciles:
        assert abs(row["predicted"] - row["observed"]) < 0.08


def test_calibration_errors() -> None:
    df = pd.DataFrame({"record_id": ["a"] * 30, "score": np.arange(30.0), "channel": "x", "feedback": "none",
                       "y": 1.0})
    assert calibrate(df) is None  # one outcome only
    with pytest.raises(UsageError, match="isotonic"):
        calibrate(df, "tree")
