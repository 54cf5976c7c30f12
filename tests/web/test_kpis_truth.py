"""The dashboard's KPIs against the simulator's truth (issue #20 acceptance).

``omnimix simulate``'s world (2,000 people, 39 weeks) is ingested from its exports and resolved as a
user would; ``truth/orders.csv`` lists every order with the person who placed it. Over several date
ranges ``GET /api/v1/kpis`` must give the conversions and revenue within 1 % and the new customers
(identified people whose first order falls in the range) within 5 % of the truth — the gaps are the
planted bad rows ingestion quarantines and identity resolution's mistakes — with CAC and LTV:CAC
consistent with them, and the funnel's last step equal to the conversions card. ``-s`` prints the
figures.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import pandas as pd
import pytest

from omnimix.ingest.workflow import ingest_files
from omnimix.journeys.workflow import resolve_workspace
from omnimix.simulate.world import simulate_world
from omnimix.taxonomy import IDENTIFIER_TYPES
from omnimix.workspace import Workspace, table_columns

from .conftest import Env, make_env

FIRST = date(2024, 1, 1)  # the simulator's first day
WEEKS = 39


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Workspace]:
    root = tmp_path_factory.mktemp("kpi_truth")
    simulate_world(root / "data", customers=2000, weeks=WEEKS, seed=23)
    ws = Workspace.init(root / "ws")
    ingest_files(ws, [p for p in sorted((root / "data").iterdir()) if p.is_file()])
    resolve_workspace(ws, probabilistic=False)
    return root / "data" / "truth", ws


def _identified_orders(ws: Workspace) -> set[str]:
    """Order ids whose exported row carries at least one identifier (user id, card, e-mail, phone …)."""
    con = ws.connect(read_only=True)
    try:
        cols = [c for c in IDENTIFIER_TYPES if c in table_columns(con, "conversions")]
        rows = con.execute("SELECT conversion_id FROM conversions WHERE "
                           + " OR ".join(f'"{c}" IS NOT NULL' for c in cols)).fetchall()
    finally:
        con.close()
    return {str(r[0]) for r in rows}


@pytest.fixture(scope="module")
def truth_env(world: tuple[Path, Workspace]) -> Iterator[Env]:
    yield from make_env(world[1].root)


RANGES = [
    (date(2024, 1, 1), date(2024, 1, 31)),  # the first month: nearly every buyer is new
    (date(2024, 2, 5), date(2024, 3, 3)),  # four ISO weeks across a month end
    (date(2024, 4, 1), date(2024, 6, 30)),  # a quarter
    (date(2024, 7, 15), date(2024, 9, 29)),  # the last 11 weeks
    (FIRST, FIRST + timedelta(weeks=WEEKS) - timedelta(days=1)),  # everything
]


@pytest.mark.parametrize(("start", "end"), RANGES, ids=[f"{a}..{b}" for a, b in RANGES])
def test_kpis_match_the_simulated_truth(world: tuple[Path, Workspace], truth_env: Env, start: date,
                                        end: date) -> None:
    orders = pd.read_csv(world[0] / "orders.csv", parse_dates=["ts"])
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    inside = orders[(orders["ts"] >= lo) & (orders["ts"] < hi)]
    # new customers are identified buyers: a receipt or guest order without any identifier names nobody,
    # so the truth is each true person's first order that carries an identifier in the exports
    known = orders[orders["order_id"].isin(_identified_orders(world[1]))]
    first = known.groupby("person_id")["ts"].min()
    new_true = int(((first >= lo) & (first < hi)).sum())
    h = truth_env.headers("viewer")
    k = truth_env.client.get(f"/api/v1/kpis?start={start}&end={end}", headers=h).json()
    print(f"{start}..{end}: conversions {k['conversions']:.0f} vs {len(inside)} "
          f"({k['conversions'] / len(inside) - 1:+.2%}), revenue {k['revenue']:.2f} vs {inside['value'].sum():.2f} "
          f"({k['revenue'] / inside['value'].sum() - 1:+.2%}), new customers {k['new_customers']:.0f} vs {new_true} "
          f"({k['new_customers'] / new_true - 1:+.2%})")
    assert len(inside) > 50 and new_true > 10
    assert k["conversions"] == pytest.approx(len(inside), rel=0.01)
    assert k["revenue"] == pytest.approx(inside["value"].sum(), rel=0.01)
    assert k["new_customers"] == pytest.approx(new_true, rel=0.05)
    assert k["new_customers"] <= k["converting_customers"] <= k["conversions"]
    # CAC and LTV:CAC are the cards' own ratios, and CAC is within 5 % of spend over the true new customers
    assert k["cac"] == pytest.approx(k["spend"] / k["new_customers"], rel=1e-12)
    assert k["cac"] == pytest.approx(k["spend"] / new_true, rel=0.05)
    assert k["ltv_cac"] == pytest.approx(k["ltv"] / k["cac"], rel=1e-12)
    fn = truth_env.client.get(f"/api/v1/kpis/funnel?start={start}&end={end}", headers=h).json()["items"]
    steps = [r["cumulative"] for r in fn if not r["after_purchase"]]
    assert steps[-1] == k["conversions"]
    assert all(a >= b for a, b in pairwise(steps))


def test_filtered_channels_add_up_to_the_truth(world: tuple[Path, Workspace], truth_env: Env) -> None:
    """With a channel filter over every channel the attributed figures are the totals again, and the
    selected channels' figures of a partition add up to them."""
    start, end = date(2024, 4, 1), date(2024, 6, 30)
    h = truth_env.headers("viewer")
    q = f"start={start}&end={end}"
    total = truth_env.client.get(f"/api/v1/kpis?{q}", headers=h).json()
    chans = truth_env.client.get(f"/api/v1/kpis/channels?{q}", headers=h).json()["all_channels"]
    assert len(chans) >= 6 and total["attribution_model"] is None  # no attribution run: nothing to split
    parts = [truth_env.client.get(f"/api/v1/kpis?{q}&channel={c}", headers=h).json() for c in chans]
    assert sum(p["spend"] for p in parts) == pytest.approx(total["spend"], rel=1e-12)
    assert all(p["revenue"] is None and p["new_customers"] is None for p in parts)
    assert all(p["scope"]["mer"] == "all_channels" and p["mer"] == total["mer"] for p in parts)
