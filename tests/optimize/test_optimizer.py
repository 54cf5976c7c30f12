import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnimix.errors import InfeasibleError
from omnimix.optimize import (
    ChannelBound,
    Constraints,
    Group,
    Objective,
    ResponseCurves,
    minimize_spend,
    optimize_budget,
)
from omnimix.optimize.allocation import evaluate
from omnimix.optimize.constraints import resolve
from omnimix.optimize.objective import _risk_value

from ._ref import brute_force, enumerate_on_off, multistart


@st.composite
def concave_problems(draw):  # type: ignore[no-untyped-def]
    c = draw(st.integers(2, 4))
    kinds = [draw(st.sampled_from(["hill", "logistic"])) for _ in range(c)]
    beta = [draw(st.floats(10, 500)) for _ in range(c)]
    k = [draw(st.floats(5, 200)) for _ in range(c)]
    s = [draw(st.floats(0.5, 1.0)) for _ in range(c)]
    lam = [draw(st.floats(0.002, 0.1)) for _ in range(c)]
    cur = [draw(st.floats(0, 100)) for _ in range(c)]
    curves = ResponseCurves.from_params(
        [f"c{j}" for j in range(c)], kinds, beta=beta, half_saturation=k, slope=s, lam=lam, current_spend=cur
    )
    budget = draw(st.floats(20, 600))
    bounds = {}
    for j in range(c):
        if draw(st.booleans()):
            lo = draw(st.floats(0, budget / (2 * c)))
            hi = lo + draw(st.floats(1, budget))
            bounds[f"c{j}"] = ChannelBound(min=lo, max=hi)
    groups = []
    if draw(st.booleans()):
        groups.append(Group("g", ("c0", "c1"), max_share=draw(st.floats(0.3, 0.9))))
    reserve = draw(st.sampled_from([0.0, 0.1, 0.2]))
    return curves, Constraints(budget=budget, reserve=reserve, bounds=bounds, groups=groups)


def _kkt_spread(a) -> float:  # type: ignore[no-untyped-def]
    free = np.array([s == "free" for s in a.status])
    if free.sum() < 2:
        return 0.0
    m = a.marginal_roi[free]
    return float((m.max() - m.min()) / m.mean())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(concave_problems())
def test_concave_problems_match_references(problem) -> None:  # type: ignore[no-untyped-def]
    curves, spec = problem
    try:
        rc = resolve(curves, spec)
    except InfeasibleError:
        return
    a = optimize_budget(curves, spec)
    ms, _ = multistart(curves, rc, rc.allocatable, starts=8)
    ref = ms
    if curves.n_channels <= 3:
        ref = max(ref, brute_force(curves, rc, rc.allocatable, n=201 if curves.n_channels == 3 else 2001))
    assert a.expected_kpi >= ref * (1 - 1e-3)
    # every constraint to 1e-6
    assert rc.violations(a.allocation, tol=1e-6) == []
    assert a.allocation.sum() <= rc.allocatable + 1e-6
    # KKT: free channels share one marginal ROI (within 1%)
    assert a.kkt_spread < 0.01
    assert _kkt_spread(a) < 0.01


def test_kkt_equal_marginal_roi_exactly() -> None:
    rng = np.random.default_rng(3)
    c = ResponseCurves.from_params(
        [f"c{j}" for j in range(10)],
        "hill",
        beta=rng.uniform(50, 200, 10),
        half_saturation=rng.uniform(20, 100, 10),
        slope=rng.uniform(0.6, 1.0, 10),
        current_spend=np.full(10, 30.0),
    )
    a = optimize_budget(c, Constraints(budget=400.0))
    assert all(s == "free" for s in a.status)
    m = a.marginal_roi
    assert (m.max() - m.min()) / m.mean() < 1e-8
    assert a.spend == pytest.approx(360.0, abs=1e-9)
    assert a.reserve == pytest.approx(40.0)


S_SHAPED = [
    # beta, K, slope: the last is worthless at zero spend (f'(0)=0) but belongs in the optimum
    ([300.0, 200.0, 400.0], [80.0, 60.0, 150.0], [1.0, 2.5, 4.0]),
    ([150.0, 250.0, 220.0], [40.0, 90.0, 70.0], [3.0, 2.0, 3.5]),
    ([100.0, 100.0, 100.0], [50.0, 50.0, 50.0], [3.0, 3.0, 3.0]),
]


@pytest.mark.parametrize(("beta", "k", "s"), S_SHAPED)
@pytest.mark.parametrize("budget", [60.0, 150.0, 400.0])
def test_s_shaped_global_optimum_vs_brute_force(beta, k, s, budget) -> None:  # type: ignore[no-untyped-def]
    c = ResponseCurves.from_params(["a", "b", "c"], "hill", beta=beta, half_saturation=k, slope=s)
    spec = Constraints(budget=budget, reserve=0.0)
    rc = resolve(c, spec)
    a = optimize_budget(c, spec)
    ref = brute_force(c, rc, budget, n=401)
    assert a.expected_kpi >= ref - 1e-6 * abs(ref)
    assert a.expected_kpi <= ref * (1 + 1e-4)  # the brute force is itself near-exact
    assert rc.violations(a.allocation, tol=1e-6) == []


def test_new_s_shaped_channel_is_switched_on() -> None:
    # 'new' has zero marginal return at zero spend: a gradient method from the current plan never funds it
    c = ResponseCurves.from_params(
        ["search", "new"],
        "hill",
        beta=[100.0, 400.0],
        half_saturation=[50.0, 60.0],
        slope=[1.0, 3.0],
        current_spend=[150.0, 0.0],
    )
    a = optimize_budget(c, Constraints(budget=150.0, reserve=0.0))
    assert a.allocation[1] > 60.0
    assert a.expected_kpi > c.response(np.array([150.0, 0.0])).sum() * 2
    rc = resolve(c, Constraints(budget=150.0, reserve=0.0))
    assert a.expected_kpi == pytest.approx(brute_force(c, rc, 150.0, n=3001), rel=1e-6)


def test_mixed_s_shaped_eight_channels_vs_enumeration() -> None:
    rng = np.random.default_rng(11)
    c = ResponseCurves.from_params(
        [f"c{j}" for j in range(8)],
        "hill",
        beta=rng.uniform(80, 300, 8),
        half_saturation=rng.uniform(30, 120, 8),
        slope=[0.8, 1.0, 2.0, 3.0, 2.5, 1.0, 3.5, 1.5],
    )
    for budget in (150.0, 500.0):
        spec = Constraints(budget=budget, reserve=0.0)
        a = optimize_budget(c, spec)
        ref = enumerate_on_off(c, resolve(c, spec), budget)
        assert a.expected_kpi >= ref * (1 - 1e-4)


def test_group_cap_binds_and_kkt_inside_blocks() -> None:
    c = ResponseCurves.from_params(
        ["fb", "tt", "search", "tv"],
        "hill",
        beta=[300, 250, 120, 150],
        half_saturation=[50, 40, 60, 90],
        current_spend=[10, 10, 10, 10],
    )
    spec = Constraints(budget=500, groups=[Group("social", ("fb", "tt"), max_share=0.4)])
    a = optimize_budget(c, spec)
    assert a.group_totals["social"] == pytest.approx(0.4 * 450, abs=1e-6)
    assert a.status[:2] == ("group_limit", "group_limit")
    m = a.marginal_roi
    assert abs(m[0] - m[1]) / m[0] < 1e-6 and abs(m[2] - m[3]) / m[2] < 1e-6
    assert m[0] > m[2]  # the cap holds social back


def test_locked_and_relative_bounds() -> None:
    c = ResponseCurves.from_params(
        ["a", "b", "c"],
        "logistic",
        beta=[100, 200, 150],
        lam=[0.01, 0.02, 0.015],
        current_spend=[100, 50, 80],
    )
    spec = Constraints(
        budget=300, locked={"a": None}, bounds={"b": ChannelBound(min_change=-0.2, max_change=0.2)}
    )
    a = optimize_budget(c, spec)
    assert a.allocation[0] == 100.0
    assert 40 - 1e-9 <= a.allocation[1] <= 60 + 1e-9
    assert a.spend == pytest.approx(270.0)
    assert a.status[0] == "locked"


def test_profit_objective_stops_at_marginal_roi_one() -> None:
    c = ResponseCurves.from_params(["a", "b"], "hill", beta=[100.0, 80.0], half_saturation=[30.0, 20.0])
    a = optimize_budget(c, Constraints(budget=10_000.0), Objective(kind="profit", kpi_value=5.0))
    assert a.unallocated > 1000
    np.testing.assert_allclose(a.marginal_roi, [1.0, 1.0], rtol=1e-8)
    # analytic: 5*100*30/(x+30)^2 = 1 → x = sqrt(15000) - 30
    assert a.allocation[0] == pytest.approx(np.sqrt(15000) - 30, rel=1e-8)


def test_minimize_spend_reaches_target_with_least_spend() -> None:
    c = ResponseCurves.from_params(
        ["a", "b", "c"],
        "hill",
        beta=[100, 80, 60],
        half_saturation=[50, 30, 80],
        slope=[1, 2.5, 0.8],
        current_spend=[40, 40, 40],
    )
    a = minimize_spend(c, 150.0, Constraints(budget=1000.0, reserve=0.0))
    assert a.expected_kpi == pytest.approx(150.0, rel=1e-7)
    # nothing cheaper reaches it: 0.1% less budget, optimally spent, falls short
    b = optimize_budget(c, Constraints(budget=a.spend * 0.999, reserve=0.0))
    assert b.expected_kpi < 150.0
    with pytest.raises(InfeasibleError, match="above the best expected KPI"):
        minimize_spend(c, 1e6, Constraints(budget=1000.0, reserve=0.0))


def test_min_roi_and_min_marginal_roi() -> None:
    c = ResponseCurves.from_params(["a", "b"], "hill", beta=[100.0, 60.0], half_saturation=[30.0, 40.0])
    free = optimize_budget(
        c, Constraints(budget=500.0, reserve=0.0), Objective(kind="revenue", kpi_value=2.0)
    )
    roi_free = free.expected_revenue / free.spend
    a = optimize_budget(
        c, Constraints(budget=500.0, reserve=0.0), Objective(kind="revenue", kpi_value=2.0, min_roi=1.0)
    )
    assert roi_free < 1.0
    assert a.expected_revenue / a.spend == pytest.approx(1.0, rel=1e-6)
    m = optimize_budget(
        c,
        Constraints(budget=500.0, reserve=0.0),
        Objective(kind="revenue", kpi_value=2.0, min_marginal_roi=0.5),
    )
    funded = m.allocation > 1e-9
    assert np.all(m.marginal_roi[funded] >= 0.5 - 1e-6)
    assert m.spend < 500.0
    with pytest.raises(InfeasibleError, match="min ROI"):
        optimize_budget(c, Constraints(budget=500.0), Objective(kind="revenue", min_roi=50.0))


def test_posterior_intervals_and_cvar() -> None:
    rng = np.random.default_rng(5)
    d = 400
    beta = np.column_stack([rng.normal(100, 5, d), rng.normal(110, 45, d)]).clip(1)
    c = ResponseCurves.from_params(
        ["safe", "risky"], "hill", beta=beta, half_saturation=np.array([[40.0, 40.0]]), current_spend=[50, 50]
    )
    spec = Constraints(budget=200.0, reserve=0.0)
    mean_opt = optimize_budget(c, spec)
    lo, hi = mean_opt.kpi_interval
    assert lo < mean_opt.expected_kpi < hi
    assert mean_opt.allocation[1] > mean_opt.allocation[0]  # higher mean → more spend
    risk = Objective(risk="cvar", alpha=0.1)
    cv = optimize_budget(c, spec, risk)
    assert cv.allocation[0] > mean_opt.allocation[0]  # risk-aware moves money to the certain channel
    assert _risk_value(c, risk, cv.allocation)[0] > _risk_value(c, risk, mean_opt.allocation)[0]
    assert cv.expected_kpi <= mean_opt.expected_kpi + 1e-9
    q = optimize_budget(c, spec, Objective(risk="quantile", alpha=0.05))
    qa = _risk_value(c, Objective(risk="quantile", alpha=0.05), q.allocation)[0]
    qm = _risk_value(c, Objective(risk="quantile", alpha=0.05), mean_opt.allocation)[0]
    assert qa >= qm


def test_evaluate_report_and_frames(tmp_path) -> None:  # type: ignore[no-untyped-def]
    c = ResponseCurves.from_params(
        ["a", "b"], "hill", beta=[10.0, 20.0], half_saturation=[5.0, 5.0], current_spend=[5.0, 5.0]
    )
    spec = Constraints(budget=20.0)
    rc = resolve(c, spec)
    r = evaluate(c, np.array([9.0, 9.0]), rc, Objective())
    assert r.expected_kpi == pytest.approx(10 * 9 / 14 + 20 * 9 / 14)
    assert r.current_kpi == pytest.approx(15.0)
    d = r.to_dict()
    assert set(d) >= {"allocation", "reserve", "expected_kpi", "marginal_roi"}
    assert d["reserve"] == pytest.approx(2.0)
    r.to_csv(str(tmp_path / "a.csv"))
    assert (tmp_path / "a.csv").read_text().startswith("channel,current,optimal")
