"""The attribution workflows: a `marketing.duckdb` workspace end to end, CLI = workflow, XLSX input,
the model registry and the one Markov → Attribution conversion."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from omnimix.attribution.credit import Attribution
from omnimix.attribution.markov import markov
from omnimix.attribution.models import MODELS, REGISTRY, attribute
from omnimix.attribution.paths import from_strings, read_columns
from omnimix.attribution.results import save_to_workspace
from omnimix.attribution.workflow import AttributionRun, attribute_file, attribute_workspace
from omnimix.errors import UsageError
from omnimix.workspace import Workspace

from .marketing_ws import WAREHOUSE, build_marketing_workspace, run_cli

PATHS_CSV = (
    "path;total_conversions;total_conversion_value;total_null\n"
    "A > B;20;200;10\nA;10;50;30\nB;5;20;40\nB > C;6;60;12\nA > B > C;9;90;3\n"
)


@pytest.fixture(scope="module")
def mws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return build_marketing_workspace(tmp_path_factory.mktemp("attr_marketing"))


def _json(obj: object) -> object:
    return json.loads(json.dumps(obj, default=str))


def test_marketing_workspace_attribute_all(mws: Workspace) -> None:
    out = json.loads(run_cli("attribute", "--workspace", str(mws.root), "--model", "all", "--json"))
    assert out["model"] == "all"
    assert "time_decay" in out["models"] and "markov" in out["models"] and len(out["models"]) == len(MODELS)
    # the workflow gives the CLI's JSON exactly
    run = attribute_workspace(mws.root, "all")
    assert isinstance(run, AttributionRun) and run.saved is not None and run.saved > 0
    assert _json(run.to_json()) == out
    # credit landed in the configured warehouse, and no warehouse.duckdb was created beside it
    stored = mws.read("attribution_results")
    assert sorted(stored["model"].unique()) == sorted(out["models"])
    assert len(stored) == run.saved
    first = stored[stored["model"] == "first"].set_index("channel")["conversions"]
    assert first.to_dict() == pytest.approx({ch: v["first"]["conversions"] for ch, v in out["channels"].items()
                                             if ch in first.index})
    assert not (mws.root / "warehouse.duckdb").exists()
    assert sorted(p.name for p in mws.root.iterdir() if p.suffix == ".duckdb") == [WAREHOUSE]


def test_marketing_workspace_single_model_and_spend(mws: Workspace) -> None:
    run = attribute_workspace(mws, "linear", save=False)
    assert run.saved is None and run.table is None
    total = float(mws.read("paths")["total_conversions"].sum())
    assert run.results[0].conversions.sum() == pytest.approx(total)
    out = json.loads(run_cli("attribute", "--workspace", str(mws.root), "--model", "linear", "--json"))
    assert _json(run.to_json()) == out


def test_save_replaces_only_the_models_written(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    p = from_strings(["a > b", "b"], [3, 1], [30.0, 10.0], [1, 1])
    assert save_to_workspace(ws, [attribute("first", p), attribute("last", p)]) == 4
    fake = Attribution("first", ("zz",), np.array([4.0]), np.array([40.0]))
    assert save_to_workspace(ws.root, [fake]) == 1
    rows = ws.read("attribution_results", order_by=("model", "channel"))
    assert rows[rows["model"] == "first"][["channel", "conversions"]].values.tolist() == [["zz", 4.0]]
    last = rows[rows["model"] == "last"].set_index("channel")["conversions"].to_dict()
    assert last == {"a": 0.0, "b": 4.0}


def test_file_workflow_equals_cli_and_xlsx_reads_like_csv(tmp_path: Path) -> None:
    import openpyxl

    csv = tmp_path / "paths.csv"
    csv.write_text(PATHS_CSV, encoding="utf-8")
    xlsx = tmp_path / "paths.xlsx"
    wb = openpyxl.Workbook()
    sheet = wb.active
    assert sheet is not None
    for line in PATHS_CSV.strip().splitlines():
        cells = line.split(";")
        sheet.append([cells[0], *[(int(c) if c.isdigit() else c) for c in cells[1:]]])
    # a header written with stray spaces and capitals is normalised as in CSV files
    sheet.cell(row=1, column=2, value=" Total_Conversions ")
    wb.save(xlsx)
    cols = read_columns(xlsx)
    assert list(cols) == ["path", "total_conversions", "total_conversion_value", "total_null"]
    from_csv = attribute_file(csv, "shapley_simplified")
    from_xlsx = attribute_file(xlsx, "shapley_simplified")
    assert {k: v["conversions"] for k, v in from_xlsx.to_json()["channels"].items()} == pytest.approx(
        {"A": 23.0, "B": 21.0, "C": 6.0}
    )
    assert from_xlsx.to_json() == from_csv.to_json()
    out = json.loads(run_cli("attribute", str(xlsx), "--model", "all", "--json"))
    assert _json(attribute_file(xlsx, "all").to_json()) == out
    assert "time_decay" not in out["models"]  # paths carry no timestamps


def test_xlsx_touch_rows_keep_ids_as_text(tmp_path: Path) -> None:
    import openpyxl

    xlsx = tmp_path / "touches.xlsx"
    wb = openpyxl.Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.append(["customer_id", "ts", "channel", "converted", "conversion_value"])
    for row in (
        [101, "2024-01-01", "search", "true", 70],
        [101, "2024-01-08", "email", "true", 70],
        [101, "2024-01-15", "social", "true", 70],
        [102, "2024-01-01", "email", "false", None],
    ):
        sheet.append(row)
    wb.save(xlsx)
    cols = read_columns(xlsx)
    assert cols["customer_id"].to_pylist() == ["101", "101", "101", "102"]
    ch = attribute_file(xlsx, "time_decay").to_json()["channels"]
    assert ch["social"]["conversions"] == pytest.approx(4 / 7)
    assert ch["search"]["value"] == pytest.approx(10.0)


def test_registry_is_the_one_dispatch() -> None:
    assert MODELS == tuple(REGISTRY)
    assert [m for m, spec in REGISTRY.items() if spec.reads == "touches"] == ["time_decay"]
    p = from_strings(["a > b", "b > c", "a"], [2, 1, 1], [20.0, 5.0, 7.0], [1, 2, 0])
    for name in MODELS:
        if name != "time_decay":
            res = attribute(name, p)
            assert res.model == name and res.conversions.sum() == pytest.approx(4.0)


def test_one_markov_conversion(tmp_path: Path) -> None:
    f = tmp_path / "paths.csv"
    f.write_text(PATHS_CSV, encoding="utf-8")
    via_registry = attribute_file(f, "markov", order=2).to_json()
    with_matrix = attribute_file(f, "markov", order=2, transitions=True).to_json()
    matrix = with_matrix.pop("transition_matrix")
    assert with_matrix == via_registry  # same record, whichever way Markov is run
    assert via_registry["params"]["order"] == 2 and via_registry["params"]["use_null"] is True
    start = {t["to"]: t["probability"] for t in matrix if t["from"] == "(start)"}
    assert sum(start.values()) == pytest.approx(1.0)
    paths = from_strings(["A > B", "A"], [2, 1], None, [1, 1])
    res = markov(paths)
    att = res.to_attribution(use_null=True, collapse_repeats=True)
    assert att.model == "markov" and att.channels == res.channels
    np.testing.assert_allclose(att.extras["removal_effect"], res.removal_effect)


def test_bad_flags_are_usage_errors(tmp_path: Path) -> None:
    from omnimix.cli import app

    f = tmp_path / "paths.csv"
    f.write_text(PATHS_CSV, encoding="utf-8")
    with pytest.raises(UsageError, match="unknown"):
        attribute_file(f, "nope")
    with pytest.raises(UsageError, match="--level"):
        attribute_file(f, "linear", level="region")
    r = CliRunner().invoke(app, ["attribute", str(f), "--model", "nope"])
    assert isinstance(r.exception, UsageError) and r.exception.exit_code == 2
    r = CliRunner().invoke(app, ["attribute", "--model", "first"])
    assert isinstance(r.exception, UsageError) and "no input" in str(r.exception)


def test_file_with_workspace_spend_writes_nothing(mws: Workspace, tmp_path: Path) -> None:
    attribute_workspace(mws, "first")
    before = mws.read("attribution_results")
    paths = mws.read("paths")
    f = tmp_path / "ws_paths.parquet"
    paths.to_parquet(f)
    run = attribute_file(f, "all", spend_from=mws)
    assert run.saved is None and run.table is not None
    spend = mws.read("spend").groupby("channel")["spend"].sum()
    for ch, sp in spend.items():
        if ch in run.table.index:
            assert run.table.loc[ch, "spend"] == pytest.approx(sp)
    pd.testing.assert_frame_equal(mws.read("attribution_results"), before)


def test_public_names_resolve_lazily() -> None:
    import subprocess
    import sys

    import omnimix.attribution as pkg

    # __all__ itself is pinned in tests/test_public_api.py
    for name in pkg.__all__:
        assert getattr(pkg, name) is not None and name in dir(pkg)
    assert pkg.exact_markov is markov and pkg.Attribution is Attribution and pkg.MODELS == MODELS
    code = "import sys, omnimix.attribution; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_no_import_cycles_in_attribution() -> None:
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("omnimix", cache_dir=None)
    mods = [m for m in graph.modules if m == "omnimix.attribution" or m.startswith("omnimix.attribution.")]
    back = [(m, dep) for m in mods for dep in graph.find_modules_directly_imported_by(m)
            if dep != m and graph.chain_exists(importer=dep, imported=m)]
    assert back == []
