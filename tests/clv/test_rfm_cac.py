"""RFM scores and segments, persona cards, CAC and LTV:CAC, workspace readers on a tiny DuckDB."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from omnimix.clv.cac import cac_table, flag, read_workspace_cac
from omnimix.clv.rfm import DEFAULT_SEGMENTS, SegmentRule, persona_cards, rfm_table, score, validate_rules
from omnimix.clv.summary import read_workspace_transactions
from omnimix.errors import ConfigError, InputDataError


def _orders(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        k = int(rng.integers(1, 12))
        last = pd.Timestamp("2024-06-30") - pd.Timedelta(days=int(rng.integers(0, 360)))
        for j in range(k):
            rows.append((f"c{i:03d}", last - pd.Timedelta(days=7 * j), float(rng.gamma(2.0, 20.0 + i))))
    return pd.DataFrame(rows, columns=["customer_id", "ts", "value"])


def test_rfm_table_values() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "ts": ["2024-01-01", "2024-01-10", "2024-01-05"],
            "value": [10.0, 30.0, 5.0],
        }
    )
    t = rfm_table(tx, "customer_id", "ts", "value", as_of="2024-01-20")
    assert t.loc["a", "recency_days"] == 10 and t.loc["a", "frequency"] == 2 and t.loc["a", "monetary"] == 40
    assert t.loc["b", "recency_days"] == 15 and t.loc["b", "monetary"] == 5


def test_default_rules_cover_grid_with_ten_segments() -> None:
    validate_rules(DEFAULT_SEGMENTS)
    assert [r.name for r in DEFAULT_SEGMENTS] == [
        "Champions",
        "Loyal",
        "Potential Loyalist",
        "New",
        "Promising",
        "Need Attention",
        "About to Sleep",
        "At Risk",
        "Can't Lose Them",
        "Lost",
    ]


def test_rules_with_gaps_are_rejected() -> None:
    with pytest.raises(ConfigError) as err:
        validate_rules([SegmentRule("Top", (4, 5), (1, 5))])
    assert "R=1 FM=1" in str(err.value)
    with pytest.raises(ConfigError, match="1 <= low <= high <= 5"):
        SegmentRule("Bad", (0, 6), (1, 5))


def test_scores_and_segments() -> None:
    scored = score(rfm_table(_orders(), "customer_id", "ts", "value"))
    for col in ("R", "F", "M", "FM"):
        assert scored[col].between(1, 5).all()
        counts = scored[col].value_counts()
        assert len(counts) >= 4
    assert set(scored["segment"]) <= {r.name for r in DEFAULT_SEGMENTS}
    champ = scored[scored["segment"] == "Champions"]
    lost = scored[scored["segment"] == "Lost"]
    assert len(champ) > 0 and len(lost) > 0
    assert champ["recency_days"].mean() < lost["recency_days"].mean()
    assert champ["monetary"].mean() > lost["monetary"].mean()
    # the most recent buyer gets R = 5, the least recent R = 1
    assert scored.loc[scored["recency_days"].idxmin(), "R"] == 5
    assert scored.loc[scored["recency_days"].idxmax(), "R"] == 1


def test_custom_rules() -> None:
    rules = (SegmentRule("Recent", (4, 5), (1, 5)), SegmentRule("Other", (1, 3), (1, 5)))
    scored = score(rfm_table(_orders(), "customer_id", "ts", "value"), rules)
    assert set(scored["segment"]) == {"Recent", "Other"}
    assert (scored.loc[scored["segment"] == "Recent", "R"] >= 4).all()


def test_persona_cards() -> None:
    tx = _orders()
    scored = score(rfm_table(tx, "customer_id", "ts", "value"))
    ids = scored.index
    attrs = pd.DataFrame(
        {
            "channel": np.where(np.arange(len(ids)) % 3 == 0, "email", "search"),
            "path": "search > email",
            "region": "north",
        },
        index=ids,
    )
    clv = pd.Series(np.linspace(1, 2, len(ids)), index=ids)
    cards = persona_cards(scored, attrs, clv)
    assert sum(c.size for c in cards) == len(scored)
    assert sum(c.value_share for c in cards) == pytest.approx(1.0)
    assert cards == sorted(cards, key=lambda c: -c.value_share)
    champ = next(c for c in cards if c.segment == "Champions")
    sel = scored[scored["segment"] == "Champions"]
    assert champ.aov == pytest.approx(sel["monetary"].sum() / sel["orders"].sum())
    assert champ.typical_path == "search > email" and champ.top_regions == [("north", 1.0)]
    assert {n for n, _ in champ.top_channels} <= {"email", "search"}
    assert champ.mean_clv is not None and champ.description
    assert champ.to_dict()["top_channels"][0]["name"] in {"email", "search"}


def test_cac_table_by_channel_and_month() -> None:
    spend = pd.DataFrame(
        {
            "date": ["2024-01-05", "2024-01-20", "2024-02-03", "2024-01-10", "2024-02-10"],
            "channel": ["search", "search", "search", "social", "social"],
            "spend": [100.0, 100.0, 300.0, 500.0, 0.0],
        }
    )
    customers = pd.DataFrame(
        {
            "customer_id": ["1", "2", "3", "4", "5", "6"],
            "first_seen": [
                "2024-01-02",
                "2024-01-30",
                "2024-02-14",
                "2024-01-11",
                "2024-02-01",
                "2024-02-02",
            ],
            "acquisition_channel": ["search", "search", "search", "social", "social", None],
        }
    )
    clv = pd.Series([400.0, 200.0, 150.0, 90.0, 50.0, 10.0], index=["1", "2", "3", "4", "5", "6"])
    t = cac_table(spend, customers, clv).set_index(["channel", "cohort_month"])
    assert t.loc[("search", "2024-01"), "cac"] == 100.0
    assert t.loc[("search", "2024-01"), "mean_clv"] == 300.0
    assert t.loc[("search", "2024-01"), "ltv_cac"] == 3.0
    assert t.loc[("search", "2024-01"), "flag"] == "strong"
    assert t.loc[("search", "2024-02"), "ltv_cac"] == 0.5 and t.loc[("search", "2024-02"), "flag"] == "loss"
    assert t.loc[("social", "2024-01"), "cac"] == 500.0 and t.loc[("social", "2024-01"), "flag"] == "loss"
    assert t.loc[("social", "2024-02"), "flag"] == "no spend"
    assert t.loc[("(unknown)", "2024-02"), "new_customers"] == 1
    by_ch = cac_table(spend, customers, clv, by_month=False).set_index("channel")
    assert by_ch.loc["search", "cac"] == pytest.approx(500.0 / 3)
    assert by_ch.loc["search", "ltv_cac"] == pytest.approx(250.0 / (500.0 / 3))
    assert by_ch.loc["search", "flag"] == "ok"
    assert flag(0.99) == "loss" and flag(3.0) == "strong" and flag(2.0) == "ok" and flag(None) == "n/a"


def test_cac_no_customers_flag() -> None:
    spend = pd.DataFrame({"date": ["2024-03-01"], "channel": ["tv"], "spend": [1000.0]})
    customers = pd.DataFrame(
        {"customer_id": ["1"], "first_seen": ["2024-03-02"], "acquisition_channel": ["search"]}
    )
    t = cac_table(spend, customers, None).set_index("channel")
    assert t.loc["tv", "flag"] == "no customers" and np.isnan(t.loc["tv", "cac"])


def make_workspace(root: Path, with_customer_id: bool = True) -> Path:
    """A tiny warehouse.duckdb with conversions, customers and spend."""
    tx = _orders(60, seed=4)
    conv = tx.rename(columns={"ts": "ts"}).assign(
        conversion_id=[f"o{i}" for i in range(len(tx))], type="purchase"
    )
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    cols = "conversion_id, ts, type, value" + (", customer_id" if with_customer_id else "")
    con.register("conv_df", conv)
    con.execute(f"CREATE TABLE conversions AS SELECT {cols} FROM conv_df")
    first = tx.groupby("customer_id")["ts"].min().reset_index()
    first["acquisition_channel"] = np.where(np.arange(len(first)) % 2 == 0, "search", "social")
    first["revenue"] = tx.groupby("customer_id")["value"].sum().to_numpy()
    con.register("cust_df", first)
    con.execute(
        "CREATE TABLE customers AS SELECT customer_id, ts AS first_seen, acquisition_channel, revenue, "
        "'north' AS region FROM cust_df"
    )
    days = pd.date_range("2023-06-01", "2024-06-30", freq="D")
    sp = pd.DataFrame(
        {
            "date": np.repeat(days.date, 2),
            "channel": ["search", "social"] * len(days),
            "campaign": "c",
            "spend": [3.0, 12.0] * len(days),
        }
    )
    con.register("sp_df", sp)
    con.execute(
        "CREATE TABLE spend AS SELECT CAST(date AS DATE) AS date, channel, campaign, spend FROM sp_df"
    )
    con.close()
    return root


def test_workspace_readers(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    tx = read_workspace_transactions(ws)
    assert list(tx.columns) == ["customer_id", "ts", "value"] and len(tx) > 60
    spend, customers = read_workspace_cac(ws)
    assert set(spend["channel"]) == {"search", "social"}
    assert set(customers.columns) == {"customer_id", "first_seen", "acquisition_channel"}


def test_workspace_without_identity(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, with_customer_id=False)
    with pytest.raises(InputDataError, match="omnimix resolve"):
        read_workspace_transactions(ws)
    with pytest.raises(InputDataError, match="no warehouse"):
        read_workspace_transactions(tmp_path / "nowhere")


def make_resolved_workspace(root: Path) -> Path:
    """A warehouse shaped like `omnimix resolve` + journeys output: conversions without customer_id,
    the row_customers map, customers with first_order_at, contacts with city, journeys with paths."""
    tx = _orders(40, seed=9)
    conv = tx.assign(conversion_id=[f"o{i}" for i in range(len(tx))], type="purchase", source="shop")
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    con.register("conv_df", conv)
    con.execute("CREATE TABLE conversions AS SELECT conversion_id, ts, type, value, source FROM conv_df")
    con.execute(
        "CREATE TABLE row_customers AS SELECT 'conversions' AS src_table, conversion_id AS row_key, "
        "'C' || customer_id AS customer_id FROM conv_df"
    )
    first = tx.groupby("customer_id")["ts"].min().reset_index()
    first["cid"] = "C" + first["customer_id"]
    first["acq"] = np.where(np.arange(len(first)) % 2 == 0, "search", "social")
    first["acq_markov"] = "email"
    con.register("cust_df", first)
    con.execute(
        "CREATE TABLE customers AS SELECT cid AS customer_id, ts - INTERVAL 20 DAY AS first_seen, "
        "ts AS first_order_at, acq AS acquisition_channel, acq_markov, "
        "CAST(NULL AS VARCHAR) AS segment FROM cust_df "
        "UNION ALL SELECT 'Cnobuyer', TIMESTAMP '2024-01-01', NULL, 'search', 'email', NULL"
    )
    con.execute(
        "CREATE TABLE contacts AS SELECT 'r' || cid AS record_id, 'crm' AS source, 'Lyon' AS city "
        "FROM cust_df"
    )
    con.execute("INSERT INTO row_customers SELECT 'contacts', 'crm:r' || cid, cid FROM cust_df")
    con.execute(
        "CREATE TABLE journeys AS SELECT cid || ':1' AS journey_id, cid AS customer_id, true AS converted, "
        "ts AS conversion_ts, 'search > email' AS path FROM cust_df"
    )
    days = pd.date_range("2023-06-01", "2024-06-30", freq="D")
    sp = pd.DataFrame(
        {
            "date": np.repeat(days.date, 3),
            "channel": ["search", "social", "email"] * len(days),
            "spend": [2.0, 6.0, 1.0] * len(days),
        }
    )
    con.register("sp_df", sp)
    con.execute("CREATE TABLE spend AS SELECT CAST(date AS DATE) AS date, channel, spend FROM sp_df")
    con.close()
    return root


def test_resolved_workspace_readers(tmp_path: Path) -> None:
    from omnimix.clv.rfm import read_workspace_attributes

    ws = make_resolved_workspace(tmp_path)
    tx = read_workspace_transactions(ws)
    assert tx["customer_id"].str.startswith("C").all() and tx["customer_id"].nunique() == 40
    _, customers = read_workspace_cac(ws)
    assert len(customers) == 40 and "Cnobuyer" not in set(customers["customer_id"])  # never bought
    _, markov = read_workspace_cac(ws, "acq_markov")
    assert set(markov["acquisition_channel"]) == {"email"}
    with pytest.raises(InputDataError, match="--channel-col"):
        read_workspace_cac(ws, "nope")
    attrs = read_workspace_attributes(ws)
    assert attrs is not None
    assert (attrs.loc[attrs.index != "Cnobuyer", "region"] == "Lyon").all()
    assert attrs.loc["C" + "c000", "path"] == "search > email"
    assert attrs.loc["Cc000", "channel"] == "search"


def test_save_segments(tmp_path: Path) -> None:
    from omnimix.clv.rfm import save_segments

    ws = make_resolved_workspace(tmp_path)
    scored = score(rfm_table(read_workspace_transactions(ws), "customer_id", "ts", "value"))
    assert save_segments(ws, scored) == 40
    con = duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True)
    got = dict(con.execute("SELECT customer_id, segment FROM customers").fetchall())
    con.close()
    assert got["Cnobuyer"] is None
    assert all(got[c] == s for c, s in scored["segment"].items())
