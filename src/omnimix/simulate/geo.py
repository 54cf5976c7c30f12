"""A geo × day panel with a known treatment effect, for geo-experiment tests and benchmarks.

Each geo ``g`` has a scale ``s_g`` (log-normal: a few big cities, many small ones), its own linear
trend, a weekly pattern shared by all geos with geo-specific amplitude, loadings on two common
shocks (AR(1) factors: national demand and a regional wave) and AR(1) idiosyncratic noise whose
size grows like ``√s_g`` (count-like) plus a proportional part::

    base_gt = s_g · (1 + trend_g · t/T) · (1 + a_g · weekly_t) · (1 + λ_gᵀ f_t) + noise_gt
    kpi_gt  = base_gt · (1 + effect · D_gt)

with ``D_gt = 1`` on treated geos in the test period (the last ``test_days`` days). The truth is
the realised average effect per treated geo per test day, ``att = mean(base · effect)`` over the
treated test cells, with ``incremental_kpi`` and ``lift`` (= ``effect`` by construction up to
noise). With ``cost=True`` every geo spends ``cost_share · s_g`` a day (noisy) and treated geos add
``incremental_cost``, set so that the true iROAS is ``incremental_kpi / incremental_cost``.
``effect=0`` is a null world.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def _ar1(rng: np.random.Generator, n: int, rho: float, sd: float, size: int | None = None) -> np.ndarray:
    shape = (n,) if size is None else (n, size)
    e = rng.normal(0.0, sd, shape)
    out = np.empty(shape)
    out[0] = e[0] / np.sqrt(1.0 - rho ** 2)
    for t in range(1, n):
        out[t] = rho * out[t - 1] + e[t]
    return out


def simulate_geo_panel(n_geos: int = 40, n_days: int = 120, test_days: int = 28,
                       treated: Sequence[str] | int = 3, effect: float = 0.05, seed: int = 0,
                       cost: bool = True, start: str = "2024-01-01", noise: float = 1.0,
                       regional: float = 1.0, trends: float = 1.0) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A geo panel and its truth.

    Args:
        n_geos: number of geos (named ``G01``, ``G02`` …).
        n_days: days in the panel.
        test_days: the test period (the last days).
        treated: the treated geos' names, or how many to draw at random.
        effect: relative lift on treated geos during the test (0 = null world).
        seed: random seed (same seed, same panel).
        cost: add a ``cost`` column with treated geos' extra spend during the test.
        start: first date.
        noise: multiplier of the idiosyncratic noise.
        regional: multiplier of the geos' loadings on the regional shock (0: one national shock only,
            the world where a regression on the control total has independent errors).
        trends: multiplier of the geo-specific trends (0: all geos share one level path).

    Returns:
        ``(frame, truth)``: frame with ``geo, date, kpi[, cost]``; truth with ``treated``,
        ``test_start``, ``test_end``, ``att``, ``incremental_kpi``, ``lift``, ``effect`` and, with
        cost, ``incremental_cost`` and ``iroas``.
    """
    if not 0 < test_days < n_days - 2:
        raise ValueError("test_days must leave at least 3 pre-period days")
    rng = np.random.default_rng(seed)
    names = [f"G{i + 1:02d}" for i in range(n_geos)]
    dates = pd.date_range(start, periods=n_days, freq="D")
    if isinstance(treated, int):
        tr = sorted(rng.choice(names, size=treated, replace=False).tolist())
    else:
        tr = sorted(str(g) for g in treated)
    s = 1000.0 * rng.lognormal(0.0, 0.6, n_geos)
    trend = trends * rng.normal(0.0, 0.08, n_geos)
    amp = rng.uniform(0.6, 1.4, n_geos)
    dow = np.array([0.0, -0.03, -0.05, -0.02, 0.04, 0.12, 0.08])
    weekly = dow[np.asarray(dates.dayofweek)]
    t = np.arange(n_days) / n_days
    f = np.column_stack([_ar1(rng, n_days, 0.8, 0.02), _ar1(rng, n_days, 0.9, 0.015)])
    load = np.column_stack([rng.normal(1.0, 0.3, n_geos), regional * rng.normal(0.0, 1.0, n_geos)])
    mean = s * (1.0 + np.outer(t, trend)) * (1.0 + weekly[:, None] * amp) * (1.0 + f @ load.T)
    eps = _ar1(rng, n_days, 0.3, 1.0, n_geos)
    sd = noise * (1.5 * np.sqrt(s) + 0.02 * s)
    base = np.maximum(mean + eps * sd, 0.0)
    test = np.zeros(n_days, dtype=bool)
    test[n_days - test_days:] = True
    D = np.zeros((n_days, n_geos), dtype=bool)
    idx = np.array([names.index(g) for g in tr], dtype=np.int64)
    D[np.ix_(test, idx)] = True
    kpi = base * (1.0 + effect * D)
    inc = float((base * effect)[D].sum())
    truth: dict[str, Any] = {
        "treated": tr, "test_start": str(dates[test][0].date()), "test_end": str(dates[-1].date()),
        "pre_start": str(dates[0].date()), "effect": effect,
        "att": inc / float(D.sum()), "incremental_kpi": inc,
        "lift": inc / float(base[D].sum()),
    }
    frame = pd.DataFrame({"geo": np.repeat(names, n_days), "date": np.tile(dates, n_geos),
                          "kpi": np.round(kpi.T.ravel(), 4)})
    if cost:
        spend = 0.1 * s * (1.0 + 0.1 * rng.standard_normal((n_days, n_geos)))
        extra = np.where(D, 0.1 * s * 0.5, 0.0)          # +50% spend on treated geos in the test
        frame["cost"] = np.round((spend + extra).T.ravel(), 4)
        inc_cost = float(extra.sum())
        truth["incremental_cost"] = inc_cost
        truth["iroas"] = inc / inc_cost if inc_cost > 0 else None
    # truth att as stored: the realised effect on the rounded panel is the same to 1e-4 per cell
    return frame, truth


def write_geo_panel(out: str | Path, seed: int = 0, n_geos: int = 40, n_days: int = 120) -> dict[str, int]:
    """Write ``out/geo/geo_panel.csv`` (geo, date, kpi, cost) and ``out/geo/truth.json``.

    The panel sits in its own folder so that ingesting every file of ``out`` stays as before. The
    three treated geos and the 5% effect are in ``truth.json`` with the test dates::

        omnimix experiment analyze out/geo/geo_panel.csv --method synthetic_control \\
            --cost-col cost --treated <truth.treated> --test-start <…> --test-end <…>
    """
    folder = Path(out) / "geo"
    folder.mkdir(parents=True, exist_ok=True)
    frame, truth = simulate_geo_panel(n_geos=n_geos, n_days=n_days, seed=seed + 7919)
    frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d")).to_csv(folder / "geo_panel.csv", index=False)
    (folder / "truth.json").write_text(json.dumps(truth, indent=2, default=float), encoding="utf-8")
    return {"geo/geo_panel.csv": len(frame)}
