"""The CLV workflows: a `marketing.duckdb` workspace end to end (predict/segments --save, cac, fit),
CLI JSON = workflow ``to_json()``, XLSX inputs, bad flags."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from omnimix.clv import workflow as W
from omnimix.errors import InputDataError, UsageError
from omnimix.workspace import Workspace

from ..attribution.marketing_ws import WAREHOUSE, build_marketing_workspace, run_cli
from .test_summary_holdout import simulate_bgnbd_orders


@pytest.fixture(scope="module")
def mws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return build_marketing_workspace(tmp_path_factory.mktemp("clv_marketing"))


def _json(obj: object) -> object:
    return json.loads(json.dumps(obj, default=str))


def _only_marketing_warehouse(ws: Workspace) -> None:
    assert not (ws.root / "warehouse.duckdb").exists()
    assert sorted(p.name for p in ws.root.iterdir() if p.suffix == ".duckdb") == [WAREHOUSE]


def test_predict_workspace_save(mws: Workspace) -> None:
    args = ["--time-unit", "weeks", "--horizon", "52", "--limit", "5"]
    out = json.loads(run_cli("clv", "predict", "--workspace", str(mws.root), *args, "--save", "--json"))
    assert out["saved"] == out["n_customers"] > 20 and len(out["customers"]) == 5
    stored = mws.read("clv_customers")
    assert len(stored) == out["n_customers"]
    assert stored["clv"].sum() == pytest.approx(out["totals"]["clv"])
    top = out["customers"][0]
    assert stored.set_index("customer_id").loc[top["customer_id"], "clv"] == pytest.approx(top["clv"])
    run = W.predict_workspace(mws, 52, time_unit="weeks", limit=5, save=True)
    assert isinstance(run, W.PredictRun) and _json(run.to_json()) == out
    assert "saved" not in W.predict_workspace(mws.root, 52, time_unit="weeks", limit=5).to_json()
    _only_marketing_warehouse(mws)


def test_segments_workspace_save_then_predict_carries_segment(mws: Workspace) -> None:
    out = json.loads(run_cli("clv", "segments", "--workspace", str(mws.root), "--save", "--json"))
    assert out["saved"] == out["n_customers"] > 20
    assert sum(s["size"] for s in out["segments"]) == out["n_customers"]
    customers = mws.read("customers", ["customer_id", "segment"])
    assert int(customers["segment"].notna().sum()) == out["saved"]
    profiles = mws.read("segment_profiles")
    assert sorted(profiles["segment"]) == sorted(s["segment"] for s in out["segments"])
    card = json.loads(profiles["persona"].iloc[0])
    assert card["segment"] == profiles["segment"].iloc[0] and "size" in card
    run = W.segments_workspace(mws, save=True)
    assert _json(run.to_json()) == out
    # clv_customers picks the segment up from customers.segment
    W.predict_workspace(mws, 52, time_unit="weeks", save=True)
    seg = mws.read("clv_customers").set_index("customer_id")["segment"]
    by_customer = customers.set_index("customer_id")["segment"]
    assert seg.notna().all() and (seg == by_customer.reindex(seg.index)).all()
    _only_marketing_warehouse(mws)


def test_cac_and_fit_workspace(mws: Workspace) -> None:
    out = json.loads(run_cli("clv", "cac", "--workspace", str(mws.root), "--json"))
    assert out["model"] == "bgnbd" and out["by_channel"] and out["rows"]
    spend = mws.read("spend").groupby("channel")["spend"].sum()
    by = {r["channel"]: r for r in out["by_channel"]}
    for ch, sp in spend.items():
        assert by[str(ch)]["spend"] == pytest.approx(sp)
    assert sum(r["new_customers"] for r in out["by_channel"]) == sum(r["new_customers"] for r in out["rows"])
    assert _json(W.cac_workspace(mws).to_json()) == out
    by_channel = W.cac_workspace(mws.root, by_month=False)
    assert all("cohort_month" not in r for r in by_channel.to_json()["rows"])
    fit = json.loads(run_cli("clv", "fit", "--workspace", str(mws.root), "--model", "bgnbd", "--time-unit", "days",
                             "--json"))
    assert set(fit["params"]) == {"r", "alpha", "a", "b"}
    assert _json(W.fit_workspace(mws, "bgnbd", time_unit="days").to_json()) == fit
    _only_marketing_warehouse(mws)


def _orders(tmp_path: Path) -> tuple[pd.DataFrame, Path, Path]:
    import openpyxl

    orders = simulate_bgnbd_orders(300, {"r": 0.8, "alpha": 40.0, "a": 0.6, "b": 4.0}, 300, np.random.default_rng(5))
    csv = tmp_path / "orders.csv"
    orders.to_csv(csv, index=False)
    xlsx = tmp_path / "orders.xlsx"
    wb = openpyxl.Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.append(list(orders.columns))
    for row in orders.itertuples(index=False):
        sheet.append([str(v) if isinstance(v, pd.Timestamp) else v for v in row])
    wb.save(xlsx)
    return orders, csv, xlsx


def test_transactions_xlsx_like_csv(tmp_path: Path) -> None:
    orders, csv, xlsx = _orders(tmp_path)
    cols = {"customer_col": "person_id", "date_col": "ts", "value_col": "value"}
    from_csv = W.predict_transactions_file(csv, 90, time_unit="days", limit=3, **cols).to_json()
    from_xlsx = W.predict_transactions_file(xlsx, 90, time_unit="days", limit=3, **cols).to_json()
    assert from_xlsx["n_customers"] == from_csv["n_customers"] == orders["person_id"].nunique()
    assert from_xlsx["params"] == pytest.approx(from_csv["params"], rel=1e-6)
    assert from_xlsx["totals"] == pytest.approx(from_csv["totals"], rel=1e-6)
    out = json.loads(run_cli("clv", "predict", "--transactions", str(xlsx), "--customer-col", "person_id",
                             "--date-col", "ts", "--value-col", "value", "--time-unit", "days", "--horizon", "90",
                             "--limit", "3", "--json"))
    assert _json(from_xlsx) == out
    seg = W.segments_transactions_file(xlsx, customer_col="person_id", date_col="ts", with_clv=False)
    assert sum(c.size for c in seg.cards) == orders["person_id"].nunique()


def test_summary_xlsx_and_semicolon_csv(tmp_path: Path) -> None:
    import openpyxl

    summary = pd.DataFrame({"customer_id": [f"c{i}" for i in range(8)],
                            "frequency": [0, 1, 2, 3, 0, 5, 1, 2], "recency": [0, 10, 20, 30, 0, 40, 5, 25],
                            "T": [50, 50, 45, 40, 30, 60, 55, 35], "monetary_value": [0, 10, 12, 9, 0, 11, 8, 10]})
    semi = tmp_path / "s.csv"
    summary.to_csv(semi, index=False, sep=";")
    xlsx = tmp_path / "s.xlsx"
    wb = openpyxl.Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.append(list(summary.columns))
    for row in summary.itertuples(index=False):
        sheet.append(list(row))
    wb.save(xlsx)
    a = W.fit_summary_file(semi, "gammagamma").to_json()
    b = W.fit_summary_file(xlsx, "gammagamma").to_json()
    assert a["params"] == pytest.approx(b["params"], rel=1e-6) and a["n_obs"] == b["n_obs"] == 6


def test_bad_flags(tmp_path: Path, mws: Workspace) -> None:
    with pytest.raises(UsageError, match="--model"):
        W.predict_workspace(mws, 10, model="gammagamma", time_unit="days")
    with pytest.raises(UsageError, match="--model"):
        W.cac_workspace(mws, model="sbg")
    with pytest.raises(InputDataError, match="--time-unit"):
        W.fit_workspace(mws, "bgnbd")
    with pytest.raises(InputDataError, match="no warehouse"):
        W.predict_workspace(tmp_path / "nowhere", 10, time_unit="days")


def test_public_names_resolve_lazily() -> None:
    import subprocess
    import sys

    import omnimix.clv as pkg

    # __all__ itself is pinned in tests/test_public_api.py
    for name in pkg.__all__:
        assert getattr(pkg, name) is not None and name in dir(pkg)
    code = "import sys, omnimix.clv; print(any(m in sys.modules for m in ('numpy', 'scipy', 'pandas')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_no_import_cycles_in_clv() -> None:
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("omnimix", cache_dir=None)
    mods = [m for m in graph.modules if m == "omnimix.clv" or m.startswith("omnimix.clv.")]
    back = [(m, dep) for m in mods for dep in graph.find_modules_directly_imported_by(m)
            if dep != m and graph.chain_exists(importer=dep, imported=m)]
    assert back == []
