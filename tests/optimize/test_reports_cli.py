import json

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from omnimix.cli.optimize import parse_bound, parse_group, parse_lock, register
from omnimix.optimize import (
    Constraints,
    ResponseCurves,
    compare_scenarios,
    efficient_frontier,
    optimize_budget,
    scenarios_frame,
)
from omnimix.optimize.charts import allocation_chart, frontier_chart, scenarios_chart, write_html

CURVES = {
    "channels": {
        "search": {
            "type": "hill",
            "beta": 1200,
            "half_saturation": 300,
            "slope": 1.0,
            "current_spend": 400,
            "max": 900,
        },
        "social": {"type": "hill", "beta": 900, "half_saturation": 350, "slope": 2.2, "current_spend": 300},
        "tiktok": {"type": "hill", "beta": 700, "half_saturation": 250, "slope": 2.8, "current_spend": 0},
        "tv": {"type": "logistic", "beta": 1500, "lam": 0.002, "current_spend": 600, "min": 200},
    }
}


@pytest.fixture
def curves_file(tmp_path):  # type: ignore[no-untyped-def]
    p = tmp_path / "CURVES.json"
    p.write_text(json.dumps(CURVES))
    return p


def _posterior() -> ResponseCurves:
    rng = np.random.default_rng(2)
    return ResponseCurves.from_params(
        ["a", "b", "c"],
        "hill",
        beta=rng.normal([100, 80, 60], 10, (200, 3)),
        half_saturation=[40.0, 30.0, 60.0],
        slope=[1.0, 2.0, 0.9],
        current_spend=[30.0, 30.0, 30.0],
    )


def test_frontier_monotone_with_intervals() -> None:
    c = _posterior()
    f = efficient_frontier(c, Constraints(budget=100.0), points=6, span=(0.5, 2.0))
    assert f.budgets.tolist() == pytest.approx([50, 80, 110, 140, 170, 200])
    assert np.all(np.diff(f.expected_kpi) > 0)
    assert np.all(f.kpi_low < f.expected_kpi) and np.all(f.expected_kpi < f.kpi_high)
    assert np.all(np.diff(f.marginal_roi) < 0)  # diminishing returns along the frontier
    np.testing.assert_allclose(f.allocations.sum(axis=1), 0.9 * f.budgets, rtol=1e-9)
    assert list(f.to_frame().columns)[:3] == ["budget", "spend", "expected_kpi"]


def test_scenarios_compare_with_current_mix() -> None:
    c = _posterior()
    base = Constraints(budget=100.0)
    sc = compare_scenarios(c, base, changes=(-0.2, 0.0, 0.2))
    assert [s.name for s in sc] == ["-20%", "current", "+20%"]
    kpis = [s.optimal.expected_kpi for s in sc]
    assert kpis[0] < kpis[1] < kpis[2]
    assert kpis[1] == pytest.approx(optimize_budget(c, base).expected_kpi)
    for s in sc:
        assert s.optimal.expected_kpi >= s.current_plan_kpi - 1e-9
    df = scenarios_frame(sc)
    assert len(df) == 9 and set(df["scenario"]) == {"-20%", "current", "+20%"}
    d = sc[0].to_dict()
    assert d["budget"] == pytest.approx(80.0) and d["reserve"] == pytest.approx(8.0)


def test_charts_write_offline_html(tmp_path) -> None:  # type: ignore[no-untyped-def]
    c = _posterior()
    a = optimize_budget(c, Constraints(budget=100.0))
    f = efficient_frontier(c, Constraints(budget=100.0), points=3)
    sc = compare_scenarios(c, Constraints(budget=100.0))
    p = write_html(tmp_path / "o.html", [allocation_chart(a), frontier_chart(f), scenarios_chart(sc)])
    html = p.read_text()
    assert 'src="https://cdn.plot.ly' not in html and html.count('class="plotly-graph-div"') >= 3
    assert len(html) > 1_000_000  # plotly.js is embedded


def test_parsers() -> None:
    g = parse_group("social=facebook,tiktok<=40%")
    assert g.name == "social" and g.channels == ("facebook", "tiktok") and g.max_share == pytest.approx(0.4)
    g2 = parse_group("brand=tv,radio<=5000>=1000")
    assert g2.max == 5000 and g2.min == 1000
    assert parse_lock("tv") == ("tv", None) and parse_lock("tv=12.5") == ("tv", 12.5)
    assert parse_bound("tv=100:5000") == ("tv", {"min": 100.0, "max": 5000.0})
    assert parse_bound("tv=-30%:+50%") == ("tv", {"min_change": -0.3, "max_change": 0.5})
    assert parse_bound("tv=:800") == ("tv", {"max": 800.0})


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:
        pass

    return app


def test_cli_contract(curves_file) -> None:  # type: ignore[no-untyped-def]
    r = CliRunner().invoke(_app(), ["optimize", "--curves", str(curves_file), "--budget", "1500", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert list(doc)[:4] == ["allocation", "reserve", "expected_kpi", "marginal_roi"]
    assert doc["reserve"] == pytest.approx(150.0)
    assert sum(doc["allocation"].values()) == pytest.approx(1350.0, rel=1e-9)
    assert doc["allocation"]["search"] <= 900 + 1e-6 and doc["allocation"]["tv"] >= 200 - 1e-6
    assert doc["expected_kpi"] > doc["current_kpi"]
    free = [k for k, v in doc["status"].items() if v == "free"]
    m = [doc["marginal_roi"][k] for k in free]
    assert len(m) >= 2 and (max(m) - min(m)) / np.mean(m) < 0.01


def test_cli_options_files_and_errors(curves_file, tmp_path) -> None:  # type: ignore[no-untyped-def]
    csv, html = tmp_path / "a.csv", tmp_path / "a.html"
    r = CliRunner().invoke(
        _app(),
        [
            "optimize",
            "--curves",
            str(curves_file),
            "--budget",
            "1500",
            "--reserve",
            "0.2",
            "--objective",
            "profit",
            "--kpi-value",
            "2",
            "--group",
            "social=social,tiktok<=30%",
            "--lock",
            "tv=500",
            "--scenarios=-20,0,20",
            "--frontier",
            "3",
            "--csv",
            str(csv),
            "--chart",
            str(html),
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["reserve"] == pytest.approx(300.0)
    assert doc["allocation"]["tv"] == pytest.approx(500.0)
    assert doc["group_totals"]["social"] <= 0.3 * 1200 + 1e-6
    assert [s["scenario"] for s in doc["scenarios"]] == ["-20%", "current", "+20%"]
    assert len(doc["frontier"]["budget"]) == 3
    assert csv.read_text().splitlines()[0].startswith("channel,current,optimal")
    sc_lines = (tmp_path / "a_scenarios.csv").read_text().splitlines()
    assert sc_lines[0].startswith("scenario,budget,channel") and len(sc_lines) == 1 + 3 * 4
    assert len((tmp_path / "a_frontier.csv").read_text().splitlines()) == 4
    assert html.stat().st_size > 100_000
    r = CliRunner().invoke(_app(), ["optimize", "--curves", str(curves_file), "--target", "2000", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["expected_kpi"] == pytest.approx(2000.0, rel=1e-6)
    r = CliRunner().invoke(_app(), ["optimize", "--curves", str(curves_file), "--budget", "100", "--json"])
    assert r.exit_code != 0
    assert "tv min 200 (curves file)" in str(r.exception)
    r = CliRunner().invoke(
        _app(), ["optimize", "--curves", str(curves_file), "--budget", "5200", "--periods", "4", "--json"]
    )
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.output)["allocation"]) == 4
    r = CliRunner().invoke(_app(), ["optimize", "--curves", str(curves_file), "--budget", "1500"])
    assert r.exit_code == 0 and "expected KPI" in r.output


def test_dp_frontier_values_match_polished_optimum() -> None:
    from omnimix.optimize.budget import frontier_values

    c = _posterior()
    spec = Constraints(budget=100.0)
    spend, value = frontier_values(c, spec, grid=400)
    assert spend[0] == 0.0 and spend[-1] == pytest.approx(90.0)
    assert np.all(np.diff(value) >= -1e-12)
    best = optimize_budget(c, spec).expected_kpi
    assert value[-1] <= best + 1e-9 and value[-1] >= best * (1 - 1e-3)
