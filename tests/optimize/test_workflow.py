"""The optimize workflow: ``optimize_workspace`` / ``optimize_file`` and ``omnimix optimize --workspace``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from omnimix.config import Config
from omnimix.curves import ResponseCurves, curves_from_dict, load_curves
from omnimix.errors import ConvergenceError, NotFittedError, UsageError
from omnimix.optimize import OptimizeRun, optimize_file, optimize_workspace
from omnimix.workspace import Workspace
from tests.conftest import RunCli

D = 200


def _curves() -> ResponseCurves:
    rng = np.random.default_rng(11)
    return ResponseCurves.from_params(
        ["search", "social", "tv"],
        ["hill", "hill", "logistic"],
        beta=rng.normal([1200.0, 900.0, 1500.0], [120.0, 150.0, 200.0], (D, 3)),
        half_saturation=rng.normal([300.0, 350.0, 1.0], [20.0, 30.0, 0.0], (D, 3)),
        slope=[1.0, 2.2, 1.0],
        lam=rng.normal([1.0, 1.0, 0.002], [0.0, 0.0, 0.0002], (D, 3)),
        current_spend=[400.0, 300.0, 600.0],
    )


def _mmm_file_doc(c: ResponseCurves, with_draws: bool = True) -> dict[str, Any]:
    """The shape the MMM writes to ``DIR/mmm/latest/response_curves.json``."""
    mean = c.mean_curves()
    chans: dict[str, Any] = {}
    for j, name in enumerate(c.channels):
        if c.kinds[j] == "hill":
            sat = {"type": "hill", "beta": float(mean.beta[0, j]),
                   "half_saturation": float(mean.half_saturation[0, j]), "slope": float(mean.slope[0, j])}
            draws = {"beta": c.beta[:, j].tolist(), "half_saturation": c.half_saturation[:, j].tolist(),
                     "slope": c.slope[:, j].tolist()}
        else:
            sat = {"type": "logistic", "beta": float(mean.beta[0, j]), "lam": float(mean.lam[0, j])}
            draws = {"beta": c.beta[:, j].tolist(), "lam": c.lam[:, j].tolist()}
        grid = np.linspace(0.0, 2000.0, 5)
        resp = c.draws(grid, channel=j)
        entry: dict[str, Any] = {
            "spend": grid.tolist(), "mean": resp.mean(0).tolist(),
            "lo": np.quantile(resp, 0.05, axis=0).tolist(), "hi": np.quantile(resp, 0.95, axis=0).tolist(),
            "current_weekly_spend": float(c.current_spend[j]), "saturation": sat,
            "adstock": {"type": "geometric", "l_max": 8, "alpha": 0.5},
        }
        if with_draws:
            entry["saturation_draws"] = draws
        chans[name] = entry
    return {"passed": True, "reasons": [], "channels": chans}


def _workspace(root: Path, passed: float = 1.0, curves: ResponseCurves | None = None) -> Workspace:
    cfg = Config.model_validate({"workspace": {"warehouse": "marketing.duckdb"}})
    ws = Workspace.init(root, config=cfg)
    frames = (curves or _curves()).to_frames()
    ws.write("mmm_diagnostics", pd.DataFrame({"metric": ["max_rhat", "passed"], "value": [1.01, passed]}))
    ws.write("response_curves", frames[0])
    ws.write("response_curve_draws", frames[1])
    return ws



# ---------------------------------------------------------------------------------------------- library
def test_optimize_workspace_plans_from_posterior_draws(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws")
    run = optimize_workspace(ws, 1500.0, reserve=0.1)
    assert isinstance(run, OptimizeRun) and run.curves.n_draws == D
    doc = run.to_json()
    assert list(doc)[:4] == ["allocation", "reserve", "expected_kpi", "marginal_roi"]
    for key in ("current_allocation", "current_kpi", "uplift_kpi", "kpi_interval_90"):
        assert key in doc
    lo, hi = doc["kpi_interval_90"]
    assert lo < doc["expected_kpi"] < hi
    assert hi - lo > 50.0  # the draws spread the KPI, not a point estimate
    assert sum(doc["allocation"].values()) == pytest.approx(1350.0, rel=1e-9)
    assert doc["reserve"] == pytest.approx(150.0)
    assert doc["expected_kpi"] > doc["current_kpi"]
    # the workspace names its warehouse marketing.duckdb: nothing creates warehouse.duckdb beside it
    assert (tmp_path / "ws" / "marketing.duckdb").exists()
    assert not (tmp_path / "ws" / "warehouse.duckdb").exists()
    # the same plan from the directory, and a thinned plan
    assert optimize_workspace(tmp_path / "ws", 1500.0).to_json()["allocation"] == doc["allocation"]
    assert optimize_workspace(ws, 1500.0, max_draws=50).curves.n_draws == 50


def test_workspace_and_mmm_file_give_the_same_plan(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws")
    f = tmp_path / "response_curves.json"
    f.write_text(json.dumps(_mmm_file_doc(_curves())))
    a = optimize_workspace(ws, 1500.0, bounds={"search": {"max": 500.0}}).to_json()
    b = optimize_file(f, 1500.0, bounds={"search": {"max": 500.0}}, guardrails=True).to_json()
    assert a["allocation"].keys() == b["allocation"].keys()
    for k in a["allocation"]:
        assert a["allocation"][k] == pytest.approx(b["allocation"][k], rel=1e-9, abs=1e-9)
    assert a["allocation"]["search"] <= 500.0 + 1e-6
    assert a["kpi_interval_90"] == pytest.approx(b["kpi_interval_90"], rel=1e-9)
    assert a["kpi_interval_90"][0] < a["kpi_interval_90"][1]


def test_failed_fit_is_refused(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws", passed=0.0)
    with pytest.raises(ConvergenceError, match="failed review") as err:
        optimize_workspace(ws, 1500.0)
    assert "omnimix mmm fit --workspace" in str(err.value) and "max_rhat=1.01" in str(err.value)
    doc = _mmm_file_doc(_curves())
    doc.update(passed=False, reasons=["r_hat 1.3 > 1.05"])
    f = tmp_path / "failed.json"
    f.write_text(json.dumps(doc))
    with pytest.raises(ConvergenceError, match=r"r_hat 1\.3"):
        optimize_file(f, 1500.0)


def test_missing_mmm_tables_name_the_fit_command(tmp_path: Path) -> None:
    cfg = Config.model_validate({"workspace": {"warehouse": "marketing.duckdb"}})
    ws = Workspace.init(tmp_path / "ws", config=cfg)
    with pytest.raises(NotFittedError, match=r"omnimix mmm fit --workspace") as err:
        optimize_workspace(ws, 1000.0)
    assert "response_curve_draws" in str(err.value)
    assert not (tmp_path / "ws" / "warehouse.duckdb").exists()


def test_bad_parameters_are_usage_errors(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws")
    with pytest.raises(UsageError, match="--budget"):
        optimize_workspace(ws, None)
    with pytest.raises(UsageError, match="no channel 'radio'"):
        optimize_workspace(ws, 1000.0, locked={"radio": None})
    with pytest.raises(UsageError, match="objective"):
        optimize_workspace(ws, 1000.0, objective="clicks")


def test_run_writes_csv_and_chart(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws")
    run = optimize_workspace(ws, 1500.0, scenarios=[-0.2, 0.0], frontier=3)
    files = run.write_csv(tmp_path / "plan.csv")
    assert [p.name for p in files] == ["plan.csv", "plan_scenarios.csv", "plan_frontier.csv"]
    assert (tmp_path / "plan.csv").read_text().startswith("channel,current,optimal")
    assert [s["scenario"] for s in run.to_json()["scenarios"]] == ["-20%", "current"]
    assert run.write_chart(tmp_path / "plan.html").stat().st_size > 100_000


# ---------------------------------------------------------------------------------------------- MMM file form
def test_curves_from_dict_reads_the_mmm_file_with_draws() -> None:
    c = _curves()
    rc = curves_from_dict(_mmm_file_doc(c))
    assert rc.channels == c.channels and rc.kinds == c.kinds and rc.n_draws == D
    np.testing.assert_allclose(rc.beta, c.beta)
    np.testing.assert_allclose(rc.half_saturation[:, :2], c.half_saturation[:, :2])
    np.testing.assert_allclose(rc.lam[:, 2], c.lam[:, 2])
    assert rc.current_spend.tolist() == [400.0, 300.0, 600.0]


def test_curves_from_dict_reads_the_mmm_file_without_draws(tmp_path: Path) -> None:
    c = _curves()
    rc = curves_from_dict(_mmm_file_doc(c, with_draws=False))
    assert rc.n_draws == 1
    np.testing.assert_allclose(rc.beta[0], c.beta.mean(0))
    np.testing.assert_allclose(rc.lam[0, 2], c.lam[:, 2].mean())
    # an MMM fit directory is accepted as well as the file
    fit = tmp_path / "mmm" / "latest"
    fit.mkdir(parents=True)
    (fit / "response_curves.json").write_text(json.dumps(_mmm_file_doc(c, with_draws=False)))
    assert load_curves(fit).channels == c.channels
    run = optimize_file(fit / "response_curves.json", 1500.0)
    doc = run.to_json()  # point curves: no interval rather than a zero-width one
    assert doc["kpi_interval_90"] is None and doc["uplift_interval_90"] is None
    assert doc["interval_note"] == "no interval (curves file has no posterior draws)"
    assert "[" not in run.table().to_csv()  # nothing shows [x, x]


# ---------------------------------------------------------------------------------------------- CLI
def test_cli_workspace_json_matches_curves_mode(tmp_path: Path, run_cli: RunCli) -> None:
    ws = _workspace(tmp_path / "ws")
    f = tmp_path / "response_curves.json"
    f.write_text(json.dumps(_mmm_file_doc(_curves())))
    flags = ["--budget", "1500", "--reserve", "0.2", "--bound", "tv=100:700", "--json"]
    code, out, err = run_cli(["optimize", "--workspace", str(ws.root), "--no-guardrails", *flags])
    assert code == 0, err
    a = json.loads(out)
    code, out, err = run_cli(["optimize", "--curves", str(f), *flags])
    assert code == 0, err
    b = json.loads(out)
    assert list(a) == list(b)
    assert a["allocation"] == pytest.approx(b["allocation"], rel=1e-9)
    assert a["kpi_interval_90"][0] < a["kpi_interval_90"][1]
    assert a["reserve"] == pytest.approx(300.0)
    assert 100.0 - 1e-6 <= a["allocation"]["tv"] <= 700.0 + 1e-6
    lib = optimize_workspace(ws, 1500.0, reserve=0.2, bounds=[("tv", {"min": 100.0, "max": 700.0})],
                             guardrails=False).to_json()
    assert a["allocation"] == pytest.approx(lib["allocation"], rel=1e-12)
    assert not (tmp_path / "ws" / "warehouse.duckdb").exists()


def test_cli_source_flags_and_errors(tmp_path: Path, run_cli: RunCli) -> None:
    ws = _workspace(tmp_path / "ws", passed=0.0)
    f = tmp_path / "c.json"
    f.write_text(json.dumps(_mmm_file_doc(_curves())))
    code, _, err = run_cli(["optimize", "--budget", "100"])
    assert code == 2 and "exactly one of --workspace" in err
    code, _, err = run_cli(["optimize", "--curves", str(f), "--workspace", str(ws.root), "--budget", "1"])
    assert code == 2 and "exactly one of --workspace" in err
    code, _, err = run_cli(["optimize", "--workspace", str(ws.root), "--budget", "1500", "--json"])
    assert code == ConvergenceError.exit_code and "failed review" in err
    code, _, err = run_cli(["optimize", "--curves", str(f), "--budget", "1500", "--bound", "tv"])
    assert code == 2 and "--bound 'tv'" in err
    code, _, err = run_cli(["optimize", "--curves", str(f), "--budget", "1500", "--scenarios", "a,b"])
    assert code == 2 and "--scenarios" in err
    code, _, err = run_cli(["optimize", "--curves", str(f), "--budget", "1500", "--objective", "x"])
    assert code == 2 and "objective" in err.lower()
