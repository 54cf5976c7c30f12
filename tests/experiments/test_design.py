"""Design search: placebo errors, the vectorised quadratic form, the search, power calibration."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from omnimix.errors import UsageError
from omnimix.experiments.design import (
    assurance,
    placebo_errors,
    placebo_power,
    power,
    ratio_estimate,
    search_designs,
    set_power,
)


def _panel(seed: int, g: int = 10, t: int = 150) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.lognormal(4, 0.4, g)
    common = np.exp(0.05 * np.sin(np.arange(t) / 7))
    return base[:, None] * common[None, :] * (1 + rng.normal(0, 0.05, (g, t)))


def test_placebo_errors_brute_force() -> None:
    y = _panel(0, 4, 30)
    e = placebo_errors(y, 5, 10)
    assert e.shape == (30 - 15 + 1, 4)
    p = 3
    ref = y[:, p + 10 : p + 15].sum(1) - 0.5 * y[:, p : p + 10].sum(1)
    np.testing.assert_allclose(e[p], ref)
    with pytest.raises(UsageError, match="history days"):
        placebo_errors(y, 25, 10)


def test_search_matches_brute_force() -> None:
    y = _panel(1)
    res = search_designs(y, duration=14, pre_days=28, lift=0.03, min_size=2, max_size=3, top=5, max_share=1.0,
                         error_model="full")
    assert res.evaluated == math.comb(10, 2) + math.comb(10, 3)
    e = placebo_errors(y, 14, 28)
    mean = y.mean(1)
    best = None
    for s in itertools.chain(itertools.combinations(range(10), 2), itertools.combinations(range(10), 3)):
        m = np.zeros(10, bool)
        m[list(s)] = True
        k = mean[m].sum() / mean[~m].sum()
        err = (1 + k) * e[:, m].sum(1) - k * e.sum(1)  # linearised estimator error per window
        se = math.sqrt(np.mean(err**2))
        pw = float(power(0.03 * 14 * mean[m].sum(), se))
        if best is None or pw > best[0]:
            best = (pw, s, se)
    top = res.table.iloc[0]
    assert top["power"] == pytest.approx(best[0], rel=1e-9)
    assert top["se"] == pytest.approx(best[2], rel=1e-9)
    assert [int(g) for g in top["geos"]] == list(best[1])


def test_power_formula_and_assurance() -> None:
    assert float(power(0.0, 1.0, 0.05)) == pytest.approx(0.05)
    z = stats.norm.ppf(0.975)
    assert float(power((z + stats.norm.ppf(0.8)) * 2.0, 2.0)) == pytest.approx(0.8, abs=1e-3)
    assert assurance(2.0, 10.0, np.full(50, 0.5)) == pytest.approx(float(power(5.0, 2.0)))
    d = np.random.default_rng(0).lognormal(0, 0.5, 4000)
    assert assurance(2.0, 10.0, d) < float(power(10.0 * d.mean(), 2.0))  # uncertainty lowers assurance


def test_set_power_budget_and_placebo() -> None:
    y = _panel(2)
    tab = set_power(y, [0, 1], durations=[14, 28], pre_days=28, lifts=[0.02], budgets=[100.0], roi=2.0)
    assert list(tab["duration"]) == [14, 14, 28, 28]
    assert tab.loc[1, "effect"] == 200.0
    assert tab.loc[2, "mde"] < tab.loc[0, "mde"] * 1.2
    pp = placebo_power(y, [0, 1], duration=14, pre_days=28, lift=0.0)
    assert pp["power"] <= 0.2 and pp["windows"] == 150 - 42 + 1


def test_predicted_power_matches_rejection_rate() -> None:
    """A fast version of the acceptance check (the benchmark runs the 40-geo version): design on each
    world's history, run the estimator on its future with the effect, compare power with rejections."""
    pred, rej = [], []
    z = stats.norm.ppf(0.975)
    for i in range(300):
        y = _panel(100 + i, 8, 200 + 14)
        d = search_designs(y[:, :200], duration=14, pre_days=28, lift=0.02, min_size=2, max_size=2, top=1,
                           max_share=1.0)  # fmt: skip
        best = d.table.iloc[0]
        tr = [int(g) for g in best["geos"]]
        fut = y.copy()
        fut[tr, 200:] *= 1.02
        rej.append(abs(ratio_estimate(fut, tr, 200, 213, 28)) > z * best["se"])
        pred.append(best["power"])
    assert 0.2 < np.mean(pred) < 0.9
    assert abs(np.mean(rej) - np.mean(pred)) <= 0.05 + 2 * math.sqrt(0.25 / 300)


def test_with_assurance_column() -> None:
    from omnimix.experiments.design import with_assurance

    res = search_designs(_panel(4), duration=14, pre_days=28, lift=0.02, min_size=2, max_size=2, top=3, max_share=1.0)
    draws = np.random.default_rng(0).lognormal(0.5, 0.4, 2000)
    out = with_assurance(res, draws, budget=300.0)
    se = out.table["se"].to_numpy()
    assert out.table["assurance"].tolist() == [pytest.approx(assurance(float(s), 300.0, draws)) for s in se]
    assert out.settings["budget"] == 300.0
