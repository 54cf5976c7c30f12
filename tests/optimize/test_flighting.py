import numpy as np
import pytest
from scipy.optimize import minimize

from omnimix.errors import InfeasibleError
from omnimix.optimize import Constraints, Flighting, ResponseCurves, optimize_budget, optimize_flighting


def _curves(slopes=(0.8, 1.0, 0.9)) -> ResponseCurves:  # type: ignore[no-untyped-def]
    return ResponseCurves.from_params(
        ["a", "b", "c"],
        "hill",
        beta=[120.0, 90.0, 60.0],
        half_saturation=[40.0, 30.0, 50.0],
        slope=list(slopes),
        current_spend=[30.0, 30.0, 30.0],
    )


def _reference(curves, w, budget, lo, hi, delta) -> float:  # type: ignore[no-untyped-def]
    """Multi-start SLSQP on the full T×C problem (concave: global)."""
    t, c = w.shape
    cons = [{"type": "ineq", "fun": lambda z: np.array([budget - z.sum()])}]
    for i in range(c):
        for k in range(1, t):
            for sgn in (1, -1):
                cons.append(
                    {
                        "type": "ineq",
                        "fun": lambda z, i=i, k=k, sgn=sgn: np.array(
                            [delta[i] - sgn * (z.reshape(t, c)[k, i] - z.reshape(t, c)[k - 1, i])]
                        ),
                    }
                )

    def f(z: np.ndarray) -> float:
        x = z.reshape(t, c)
        return -sum(float((w[k] * curves.response(x[k])).sum()) for k in range(t))

    rng = np.random.default_rng(0)
    best = -np.inf
    for _ in range(6):
        x0 = np.clip(rng.uniform(lo, hi), lo, hi).ravel()
        x0 *= min(1.0, budget / x0.sum())
        res = minimize(
            f,
            x0,
            method="SLSQP",
            bounds=list(zip(lo.ravel(), hi.ravel(), strict=True)),
            constraints=cons,
            options={"ftol": 1e-12, "maxiter": 500},
        )
        best = max(best, -res.fun)
    return best


def test_no_limits_equals_single_period_times_t() -> None:
    c = _curves()
    plan = optimize_flighting(c, 4 * 100.0, Flighting(periods=4), reserve=0.1)
    single = optimize_budget(c, Constraints(budget=100.0, reserve=0.1))
    assert plan.expected_kpi == pytest.approx(4 * single.expected_kpi, rel=1e-6)
    np.testing.assert_allclose(plan.allocation, np.tile(single.allocation, (4, 1)), atol=1e-3)
    assert plan.reserve == pytest.approx(40.0)


def test_seasonality_and_flighting_limits_vs_reference() -> None:
    c = _curves()
    t = 5
    w = np.array([0.6, 1.0, 1.6, 1.0, 0.7])[:, None] * np.ones((1, 3))
    fl = Flighting(periods=t, weights=w[:, 0], max_change=[10.0, 8.0, 12.0], period_max=[60.0, 60.0, 60.0])
    plan = optimize_flighting(c, 400.0, fl, reserve=0.0)
    x = plan.allocation
    # every limit to 1e-6
    assert x.sum() <= 400.0 + 1e-6
    assert np.all(x >= -1e-9) and np.all(x <= 60.0 + 1e-6)
    assert np.all(np.abs(np.diff(x, axis=0)) <= np.array([10.0, 8.0, 12.0]) + 1e-6)
    ref = _reference(c, w, 400.0, np.zeros((t, 3)), np.full((t, 3), 60.0), [10.0, 8.0, 12.0])
    assert plan.expected_kpi >= ref * (1 - 1e-3)
    # seasonality shifts money to the strong period
    assert x[2].sum() > x[0].sum()


def test_s_shaped_flighting_pulses_better_than_flat() -> None:
    # one S-shaped channel with a small budget: spending it in bursts beats spreading it evenly
    c = ResponseCurves.from_params(
        ["burst"], "hill", beta=[100.0], half_saturation=[50.0], slope=[3.0], current_spend=[10.0]
    )
    plan = optimize_flighting(c, 80.0, Flighting(periods=8), reserve=0.0)
    flat = 8 * float(c.response(np.array([10.0]))[0])
    assert plan.expected_kpi > 3 * flat
    on = plan.allocation[:, 0] > 1e-6
    assert 0 < on.sum() < 8
    assert plan.allocation.sum() == pytest.approx(80.0, rel=1e-6)


def test_infeasible_flighting_names_the_limits() -> None:
    c = _curves()
    with pytest.raises(InfeasibleError, match="per-period minimums sum to 300"):
        optimize_flighting(c, 200.0, Flighting(periods=5, period_min=[20.0, 20.0, 20.0]), reserve=0.0)
    fl = Flighting(
        periods=2, period_min=np.array([[0, 0, 0], [50, 0, 0]]), period_max=[10.0, 60, 60], max_change=5.0
    )
    with pytest.raises(InfeasibleError, match="a: max_change 5"):
        optimize_flighting(c, 500.0, fl, reserve=0.0)


def test_groups_and_locks_per_period() -> None:
    from omnimix.optimize import Group

    c = _curves()
    t = 4
    w = np.array([0.8, 1.2, 1.0, 0.9])
    fl = Flighting(periods=t, weights=w, groups=[Group("ab", ("a", "b"), max_share=0.5)], locked={"c": 20.0})
    plan = optimize_flighting(c, 400.0, fl, reserve=0.0)
    x = plan.allocation
    np.testing.assert_allclose(x[:, 2], 20.0)
    assert np.all(x[:, :2].sum(axis=1) <= 0.5 * x.sum(axis=1) + 1e-6)
    assert x.sum() <= 400.0 + 1e-6
    # reference: SLSQP over (a, b) per period with c fixed; the share cap binds: a + b <= 20 per period
    ww = np.tile(w[:, None], (1, 3))

    def f(z: np.ndarray) -> float:
        xx = np.column_stack([z.reshape(t, 2), np.full(t, 20.0)])
        return -sum(float((ww[k] * c.response(xx[k])).sum()) for k in range(t))

    cons = [
        {"type": "ineq", "fun": lambda z, k=k: np.array([20.0 - z.reshape(t, 2)[k].sum()])} for k in range(t)
    ]
    res = minimize(
        f,
        np.full(2 * t, 5.0),
        method="SLSQP",
        bounds=[(0, 400)] * (2 * t),
        constraints=cons,
        options={"ftol": 1e-12, "maxiter": 500},
    )
    assert plan.expected_kpi >= -res.fun * (1 - 1e-3)
    with pytest.raises(InfeasibleError, match="group ab: cap 10 per period"):
        optimize_flighting(
            c,
            400.0,
            Flighting(periods=2, groups=[Group("ab", ("a", "b"), max=10.0)], period_min=[8.0, 8.0, 0.0]),
            reserve=0.0,
        )
