"""Budget optimizer benchmarks (run: PYTHONPATH=src python benchmarks/optimize.py [--quick]).

1. 20 channels × 1000 posterior draws, one period, with bounds and a group cap (target ≤ 2 s).
2. 20 channels × 52 weeks with seasonality and flighting limits (target ≤ 30 s).
3. Objective reached vs PyMC-Marketing 0.19.2's BudgetOptimizer (SLSQP over posterior draws) on the
   identical Hill curves and draws, measured in the same run (target ratio ≥ 1.0), with the time ratio.

PyMC-Marketing is driven through its documented custom-model path: a PyMC model with a ``channel_data``
data variable (date × channel), Hill parameters as free variables, a ``total_contribution``
deterministic, an InferenceData holding our posterior draws, ``CustomModelWrapper`` and
``BudgetOptimizer(num_periods=1).allocate_budget``.
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings

import numpy as np

from omnimix.optimize import (
    Constraints,
    Flighting,
    Group,
    ResponseCurves,
    optimize_budget,
    optimize_flighting,
)


def make_curves(c: int, d: int, seed: int, slope_range: tuple[float, float]) -> ResponseCurves:
    rng = np.random.default_rng(seed)
    beta_mu = rng.uniform(2_000, 12_000, c)
    k_mu = rng.uniform(5_000, 40_000, c)
    s_mu = rng.uniform(*slope_range, c)
    beta = beta_mu * rng.lognormal(0.0, 0.15, (d, c))
    k = k_mu * rng.lognormal(0.0, 0.10, (d, c))
    s = np.clip(s_mu * rng.lognormal(0.0, 0.05, (d, c)), 1.0, None)
    current = k_mu * rng.uniform(0.4, 1.2, c)
    return ResponseCurves.from_params(
        [f"ch{j:02d}" for j in range(c)], "hill", beta=beta, half_saturation=k, slope=s, current_spend=current
    )


def timed(fn, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def bench_single(quick: bool) -> None:
    curves = make_curves(20, 1000, 1, (1.0, 3.0))
    budget = float(curves.current_spend.sum()) / 0.9
    spec = Constraints(
        budget=budget,
        groups=[Group("social", tuple(curves.channels[:5]), max_share=0.25)],
    )
    optimize_budget(curves, spec)  # warm imports
    t, a = timed(lambda: optimize_budget(curves, spec), 1 if quick else 5)
    print(
        f"[1] single period, 20 channels x 1000 draws: median {t:.3f} s (target <= 2 s) "
        f"expected KPI {a.expected_kpi:,.1f} [{a.kpi_interval[0]:,.1f}, {a.kpi_interval[1]:,.1f}] "
        f"vs current {a.current_kpi:,.1f}; KKT spread {a.kkt_spread:.2e}"
    )


def bench_flighting(quick: bool, draws: int) -> None:
    curves = make_curves(20, draws, 2, (0.8, 3.0))
    weeks = 52
    season = 1.0 + 0.3 * np.sin(np.arange(weeks) * 2 * np.pi / 52)
    budget = float(curves.current_spend.sum()) * weeks / 0.9
    fl = Flighting(periods=weeks, weights=season, max_change_pct=0.2)
    t, p = timed(lambda: optimize_flighting(curves, budget, fl), 1)
    print(
        f"[2] 20 channels x 52 weeks x {draws} draws, seasonality + max change 20%/week: {t:.2f} s "
        f"(target <= 30 s); expected KPI {p.expected_kpi:,.0f} vs current plan {p.current_kpi:,.0f} "
        f"(+{p.uplift / p.current_kpi:.1%})"
    )


def pymc_marketing_optimize(curves: ResponseCurves, total: float, bounds: dict[str, tuple[float, float]]):  # type: ignore[no-untyped-def]
    import arviz as az
    import pymc as pm
    import pymc.dims as pmd
    import xarray as xr
    from pymc_marketing.mmm.budget_optimizer import BudgetOptimizer, CustomModelWrapper

    chans = list(curves.channels)
    coords = {"date": [0, 1], "channel": chans}
    with pm.Model(coords=coords) as model:
        x = pmd.Data("channel_data", xr.DataArray(np.zeros((2, len(chans))), dims=("date", "channel")))
        beta = pmd.HalfNormal("beta", 10_000.0, dims="channel")
        k = pmd.HalfNormal("half_saturation", 30_000.0, dims="channel")
        s = pmd.HalfNormal("slope", 2.0, dims="channel")
        xs = x**s
        pmd.Deterministic("total_contribution", (beta * xs / (xs + k**s)).sum())
    post = {
        "beta": curves.beta[None],
        "half_saturation": curves.half_saturation[None],
        "slope": curves.slope[None],
    }
    idata = az.from_dict(posterior=post, coords={"channel": chans}, dims={k_: ["channel"] for k_ in post})
    t0 = time.perf_counter()
    wrapper = CustomModelWrapper(base_model=model, idata=idata, channels=chans)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = BudgetOptimizer(model=wrapper, num_periods=1)
        t1 = time.perf_counter()
        alloc, res = opt.allocate_budget(total_budget=total, budget_bounds=bounds, return_if_fail=True)
    t2 = time.perf_counter()
    return np.asarray(alloc.values, dtype=float), t1 - t0, t2 - t1, res


def bench_vs_pymc(label: str, slope_range: tuple[float, float], seed: int) -> None:
    curves = make_curves(20, 1000, seed, slope_range)
    total = float(curves.current_spend.sum())
    upper = 3.0 * curves.current_spend
    bounds = {c: (0.0, float(u)) for c, u in zip(curves.channels, upper, strict=True)}
    from omnimix.optimize import ChannelBound

    spec = Constraints(
        budget=total,
        reserve=0.0,
        bounds={c: ChannelBound(max=float(u)) for c, u in zip(curves.channels, upper, strict=True)},
    )
    optimize_budget(curves, spec)
    t_ours, ours = timed(lambda: optimize_budget(curves, spec), 3)
    x_pm, t_build, t_solve, res = pymc_marketing_optimize(curves, total, bounds)
    ok = np.all(x_pm >= -1e-6) and np.all(x_pm <= upper + 1e-6) and abs(x_pm.sum() - total) < 1e-4 * total
    obj_pm = float(curves.response(np.clip(x_pm, 0, None)).sum())
    obj_ours = float(curves.response(ours.allocation).sum())
    print(
        f"[3] vs PyMC-Marketing 0.19.2 BudgetOptimizer, {label}: objective ours {obj_ours:,.3f} / theirs "
        f"{obj_pm:,.3f} = ratio {obj_ours / obj_pm:.9f} (target >= 1.0; theirs feasible={bool(ok)}, "
        f"scipy status {res.status}: {res.message}); "
        f"time ours {t_ours:.3f} s vs theirs solve {t_solve:.3f} s "
        f"(+{t_build:.1f} s build/compile) = time ratio theirs/ours {t_solve / t_ours:.2f}x "
        f"({(t_solve + t_build) / t_ours:.1f}x with build)"
    )


def main() -> None:
    quick = "--quick" in sys.argv
    bench_single(quick)
    bench_flighting(quick, 100 if quick else 1000)
    bench_vs_pymc("20 concave Hill channels (slope 1), 1000 draws", (1.0, 1.0), 3)
    bench_vs_pymc("20 mixed Hill channels (slopes 1-3, S-shaped), 1000 draws", (1.0, 3.0), 4)


if __name__ == "__main__":
    main()
