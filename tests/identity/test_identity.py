"""Identity resolution: merge protection, stable ids, explain, forget, clustering references.

The tests taking ``resolved`` run once per engine (DuckDB and Spark, see tests/identity/engines.py)
with the same assertions: both engines must give the same customers and ids.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from omnimix.engine.base import DuckDBEngine
from omnimix.identity.cluster import components_numpy, components_sql
from omnimix.identity.manage import explain, stored_value
from omnimix.identity.resolver import ResolveResult, resolve
from omnimix.ingest.loader import ingest_file
from omnimix.journeys import build_journeys
from omnimix.journeys.erase import forget
from omnimix.workspace import Workspace
from tests.identity.engines import on_engine

TP = "event_id,ts,channel,anonymous_id,user_id,email,phone\n"
CONV = "conversion_id,ts,value,user_id,email,phone,loyalty_id\n"


def _load(ws: Workspace, tmp: Path, name: str, text: str, table: str) -> None:
    p = tmp / name
    p.write_text(text)
    r = ingest_file(ws, p, table=table)
    assert r.rows_quarantined == 0, r


def _customer(ws: Workspace, id_type: str, value: str) -> str | None:
    con = ws.connect(read_only=True)
    try:
        row = con.execute("SELECT customer_id FROM identifiers WHERE id_type = ? AND id_value = ?",
                          [id_type, stored_value(ws, id_type, value)]).fetchone()
        return None if row is None else row[0]
    finally:
        con.close()


@pytest.fixture
def world(ws_raw: Workspace, tmp_path: Path) -> Workspace:
    """Alice (2 cookies, phone), Bob; a family iPad both log in on; a team mailbox; junk ids."""
    return _world(ws_raw, tmp_path)


@pytest.fixture(scope="module")
def resolved(engine: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, ResolveResult]:
    """The world resolved (no Splink) on ``engine``, once per module and engine."""
    root = tmp_path_factory.mktemp(f"identity_{engine}")
    ws = on_engine(_world(Workspace.init(root / "ws_raw", keep_pii=True), root), engine)
    return ws, resolve(ws, probabilistic=False)


def _world(ws_raw: Workspace, tmp_path: Path) -> Workspace:
    _load(ws_raw, tmp_path, "tp.csv", TP + "\n".join([
        "t1,2024-01-01 10:00:00,search,ck_a1,alice,,",
        "t2,2024-01-02 10:00:00,social,ck_a2,alice,,",
        "t3,2024-01-03 10:00:00,douyin,ipad,alice,,",
        "t4,2024-01-04 10:00:00,douyin,ipad,bob,,",
        "t5,2024-01-05 10:00:00,email,ck_b1,bob,,",
        "t6,2024-01-06 10:00:00,search,0,carol,,",
        "t7,2024-01-07 10:00:00,search,0,dave,,",
        "t8,2024-01-08 10:00:00,social,null,erin,,",
        "t9,2024-01-09 10:00:00,social,null,frank,,",
    ]) + "\n", "touchpoints")
    _load(ws_raw, tmp_path, "conv.csv", CONV + "\n".join([
        "o1,2024-01-10 10:00:00,100,alice,alice@x.com,13800138000,",
        "o2,2024-01-11 10:00:00,50,bob,team@corp.com,,",
        "o3,2024-01-12 10:00:00,70,carol,team@corp.com,,",
        "o4,2024-01-13 10:00:00,30,dave,team@corp.com,,",
        "o5,2024-01-14 10:00:00,80,,,+86 138 0013 8000,L1",
    ]) + "\n", "conversions")
    return ws_raw


def test_merge_protection_keeps_people_apart(resolved: tuple[Workspace, ResolveResult]) -> None:
    world, r = resolved
    alice = _customer(world, "user_id", "alice")
    bob = _customer(world, "user_id", "bob")
    assert alice != bob
    # alice's cookies, phone and store card join her; the phone's two spellings normalise to one
    for t, v in [("anonymous_id", "ck_a1"), ("anonymous_id", "ck_a2"), ("email", "alice@x.com"),
                 ("phone", "13800138000"), ("loyalty_id", "L1")]:
        assert _customer(world, t, v) == alice, (t, v)
    assert _customer(world, "anonymous_id", "ck_b1") == bob
    # the family iPad and the team mailbox are their own identifiers, merged with nobody
    ipad, team = _customer(world, "anonymous_id", "ipad"), _customer(world, "email", "team@corp.com")
    assert ipad not in (alice, bob) and team not in (alice, bob, _customer(world, "user_id", "carol"))
    # blocked values never link (and never become identifiers)
    assert _customer(world, "anonymous_id", "0") is None and _customer(world, "anonymous_id", "null") is None
    assert len({_customer(world, "user_id", u) for u in ["carol", "dave", "erin", "frank"]}) == 4
    assert r.cut_reasons == {"shared identifier": 5}
    con = world.connect(read_only=True)
    prof = con.execute("SELECT orders, revenue, channels, acquisition_channel FROM customers WHERE customer_id = ?",
                       [alice]).fetchone()
    con.close()
    assert prof == (2, 180.0, ["douyin", "search", "social"], "search")


def test_without_protection_the_team_mailbox_would_fuse_strangers(world: Workspace) -> None:
    from omnimix.config import IdentitySection

    loose = world.config.identity.model_copy(update={"max_per_person": {"user_id": 100, "anonymous_id": 100}})
    assert isinstance(loose, IdentitySection)
    ws = Workspace(world.root, world.config.model_copy(update={"identity": loose}))
    resolve(ws, probabilistic=False)
    assert _customer(ws, "user_id", "bob") == _customer(ws, "user_id", "carol") == _customer(ws, "user_id", "alice")


def test_ids_are_stable_and_merges_keep_the_oldest(world: Workspace, tmp_path: Path) -> None:
    _load(world, tmp_path, "store1.csv", CONV + "s1,2024-01-20 10:00:00,10,,,13900139000,\n"
          "s2,2024-01-21 10:00:00,10,,,,L9\n", "conversions")
    resolve(world, probabilistic=False)
    users = ["alice", "bob", "carol", "dave", "erin", "frank"]
    before = {u: _customer(world, "user_id", u) for u in users}
    phone_only, card_only = _customer(world, "phone", "13900139000"), _customer(world, "loyalty_id", "L9")
    assert phone_only != card_only
    # new batch: a new person, and a store receipt showing the phone and the card together
    _load(world, tmp_path, "store2.csv", CONV + "s3,2024-02-01 10:00:00,10,gina,,,\n"
          "s4,2024-02-02 10:00:00,10,,,13900139000,L9\n", "conversions")
    r = resolve(world, probabilistic=False)
    assert {u: _customer(world, "user_id", u) for u in users} == before
    older, newer = sorted([phone_only, card_only])  # type: ignore[type-var]
    assert _customer(world, "phone", "13900139000") == _customer(world, "loyalty_id", "L9") == older
    assert (r.merged_customers, r.new_customers) == (1, 1)
    con = world.connect(read_only=True)
    assert con.execute("SELECT merged_id, into_id FROM identity_merges").fetchall() == [(newer, older)]
    con.close()
    assert _customer(world, "user_id", "gina") not in {*before.values(), older, newer}
    # an order tying two site accounts through one phone is refused: ids stay apart
    _load(world, tmp_path, "store3.csv", CONV + "s5,2024-02-03 10:00:00,10,erin,,13700137000,\n"
          "s6,2024-02-04 10:00:00,10,frank,,13700137000,\n", "conversions")
    resolve(world, probabilistic=False)
    assert _customer(world, "user_id", "erin") == before["erin"] != _customer(world, "user_id", "frank")


def test_explain_shows_the_chain(resolved: tuple[Workspace, ResolveResult]) -> None:
    world, _ = resolved
    doc = explain(world, id_type="loyalty_id", value="L1")
    assert doc["start"] == "loyalty_id:L1"
    reached = {e["to"] for e in doc["chain"]}
    assert {"user_id:alice", "anonymous_id:ck_a1", "email:alice@x.com", "phone:+8613800138000"} <= reached
    assert all(e["evidence"].startswith(("touchpoints/", "conversions/")) for e in doc["chain"])
    assert any(e["to"] == "anonymous_id:ipad" or e["from"] == "anonymous_id:ipad" for e in doc["cut_edges"])


def _all_values(ws: Workspace) -> set[str]:
    con = ws.connect(read_only=True)
    out: set[str] = set()
    try:
        for (t,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema='main'").fetchall():
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND data_type = 'VARCHAR'",
                [t]).fetchall()]
            for c in cols:
                for (v,) in con.execute(f'SELECT DISTINCT "{c}" FROM "{t}" WHERE "{c}" IS NOT NULL').fetchall():
                    out.add(str(v))
    finally:
        con.close()
    return out


def test_forget_leaves_nothing_anywhere(world: Workspace, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(CONV + "o9,not a date,1,alice,alice@x.com,,\n")
    assert ingest_file(world, bad, table="conversions").rows_quarantined == 1
    resolve(world, probabilistic=False)
    build_journeys(world)
    alice = _customer(world, "user_id", "alice")
    con = world.connect(read_only=True)
    person = [v for (v,) in con.execute("SELECT id_value FROM identifiers WHERE customer_id = ?", [alice]).fetchall()]
    con.close()
    assert {"alice", "ck_a1", "ck_a2", "L1"} <= set(person)
    before = _all_values(world)
    assert alice in before and "alice" in before
    doc = forget(world, "email", "ALICE@x.com ")
    assert doc["customer_id"] == alice
    assert doc["deleted"]["touchpoints"] == 3 and doc["deleted"]["conversions"] == 2
    assert doc["deleted"]["quarantine"] == 1
    after = _all_values(world)
    assert not (set(person) | {alice}) & after
    # quarantine raw text, journeys and paths hold nothing of her either
    con = world.connect(read_only=True)
    raws = " ".join(r[0] for r in con.execute("SELECT raw FROM quarantine").fetchall())
    assert "alice" not in raws
    assert con.execute("SELECT sum(total_conversions) FROM paths").fetchone()[0] == 3  # bob, carol, dave
    assert _customer(world, "user_id", "bob") is not None


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sql_components_equal_scipy(seed: int) -> None:
    import duckdb
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    n = 400
    src = rng.integers(0, n, 300)
    dst = rng.integers(0, n, 300)
    expected = components_numpy(n, src, dst)
    # brute force: union-find
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(src, dst, strict=True):
        ra, rb = find(int(a)), find(int(b))
        parent[max(ra, rb)] = min(ra, rb)
    brute = np.array([min(i for i in range(n) if find(i) == find(v)) for v in range(n)])
    assert (expected == brute).all()
    eng = DuckDBEngine(duckdb.connect())
    eng.register_arrow("nodes", pa.table({"node": np.arange(n)}))
    eng.register_arrow("edges", pa.table({"src": src, "dst": dst}))
    iters = components_sql(eng, "nodes", "edges", "out")
    got = dict(eng.fetchall("SELECT node, label FROM out"))
    assert [got[i] for i in range(n)] == brute.tolist()
    assert iters < 30


def test_sql_clustering_path_matches_fast_path(world: Workspace) -> None:
    resolve(world, probabilistic=False, fast=True)
    fast = {u: _customer(world, "user_id", u) for u in ["alice", "bob", "carol"]}
    r = resolve(world, probabilistic=False, fast=False)
    assert r.method == "sql"
    assert {u: _customer(world, "user_id", u) for u in fast} == fast


def _where(ws: Workspace, values: set[str]) -> list[tuple[str, str, str]]:
    con = ws.connect(read_only=True)
    out = []
    try:
        for (t,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema='main'").fetchall():
            for (c,) in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                                    "AND data_type = 'VARCHAR'", [t]).fetchall():
                for (v,) in con.execute(f'SELECT DISTINCT "{c}" FROM "{t}"').fetchall():
                    if v in values:
                        out.append((t, c, v))
    finally:
        con.close()
    return out
