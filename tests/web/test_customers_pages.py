"""/customers persona cards and the customer detail's timeline."""

from __future__ import annotations

import re
import warnings
from datetime import datetime

import duckdb
import pandas as pd
import pytest

from omnimix.web.i18n import CATALOG
from omnimix.web.queries.customers import TIMELINE_KINDS, customer_timeline

from .conftest import Env
from .pages_sample import (
    CUSTOMER,
    EVENTS,
    HASHED_EMAIL,
    SEGMENTS,
    build_pages_workspace,
    chart_labels,
    figures,
    raw_keys_in,
    visible_text,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

CHANNELS = ("baidu", "douyin", "email", "wechat", "xiaohongshu")
ZH_SEGMENTS = {"Champions": "冠军客户", "Loyal": "忠诚客户", "At Risk": "流失风险客户", "Can't Lose Them": "不能失去的客户"}


@pytest.fixture
def zh_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chinese segment names (names.toml's job; set here so the test does not depend on its content)."""
    for key, name in ZH_SEGMENTS.items():
        monkeypatch.setitem(CATALOG["zh-CN"], f"name.segment.{key}", name)


def _truth(penv: Env) -> pd.DataFrame:
    con = duckdb.connect(str(penv.workspace / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(
            "SELECT k.segment, count(*) AS n, sum(c.revenue) / sum(c.orders) AS aov, avg(c.orders) AS freq, "
            "avg(k.clv) AS clv FROM clv_customers k JOIN customers c USING (customer_id) GROUP BY 1").df()
    finally:
        con.close()


def test_persona_cards_render_with_figures_and_no_json(penv: Env, pclient: TestClient) -> None:
    page = pclient.get("/customers?lang=en").text
    cards = dict(re.findall(r'<article class="card persona" data-segment="([^"]+)">(.*?)</article>', page, re.S))
    assert set(cards) == {s.replace("'", "&#39;") for s in SEGMENTS}
    assert '{"segment"' not in page and "top_channels" not in page and "&#34;segment&#34;" not in page
    truth = _truth(penv).set_index("segment")
    total = int(truth["n"].sum())
    for seg, row in truth.iterrows():
        body = cards[str(seg).replace("'", "&#39;")]
        text = visible_text("<main>" + body + "</main>")
        assert f"{int(row['n'])} " in text and f"{row['n'] / total:.1%} of customers" in text
        assert f"Average order value CN¥{row['aov']:,.2f}" in text
        assert f"Orders per customer {row['freq']:,.1f}" in text and f"Mean CLV CN¥{row['clv']:,.2f}" in text
        assert "Days since last order (median)" in text and "Typical path: Douyin → Email" in text
    assert "Bought recently, buy often and spend the most." in page
    fig = figures(page)["chart-segments"]
    assert {t["type"] for t in fig["data"]} == {"bar"} and all(t["orientation"] == "h" for t in fig["data"])
    assert "pie" not in page


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.usefixtures("zh_segments")
def test_customers_pages_show_no_raw_key(pclient: TestClient, lang: str) -> None:
    for path in ("/customers", f"/customers/{CUSTOMER}"):
        page = pclient.get(f"{path}?lang={lang}").text
        text = visible_text(page)
        drawn = " | ".join(label for f in figures(page).values() for label in chart_labels(f))
        keys = CHANNELS + (SEGMENTS if lang == "zh-CN" else ()) + ("user_id", "anonymous_id", "subscriber", "mql")
        assert raw_keys_in(text, keys) == [], path
        assert raw_keys_in(drawn, keys) == [], path
    if lang == "zh-CN":
        text = visible_text(pclient.get("/customers?lang=zh-CN").text)
        for name in ZH_SEGMENTS.values():
            assert name in text
        assert "曾是最好的客户之一" in text and "抖音 → 邮件" in text


def _independent_count(penv: Env) -> int:
    """Events of CUSTOMER counted straight from the tables, by its identifiers."""
    con = duckdb.connect(str(penv.workspace / "warehouse.duckdb"), read_only=True)
    try:
        ids = con.execute("SELECT id_type, id_value FROM identifiers WHERE customer_id = ?", [CUSTOMER]).fetchall()
        by = {t: {v for tt, v in ids if tt == t} for t, _ in ids}
        tp = con.execute("SELECT user_id, anonymous_id, email FROM touchpoints").fetchall()
        n_tp = sum(1 for u, a, e in tp if u in by.get("user_id", ()) or a in by.get("anonymous_id", ())
                   or e in by.get("email", ()))
        cv = con.execute("SELECT user_id, email FROM conversions").fetchall()
        n_cv = sum(1 for u, e in cv if u in by.get("user_id", ()) or e in by.get("email", ()))
    finally:
        con.close()
    # consent: records R1 and R2; stages: subscriber (became-date), lead (history = became-date, once),
    # mql and customer (history)
    return len(ids) + n_tp + n_cv + 2 + 4


def test_timeline_is_ordered_and_has_every_kind(penv: Env, pclient: TestClient) -> None:
    page = pclient.get(f"/customers/{CUSTOMER}?lang=en&limit=500").text
    rows = re.findall(r'<tr data-kind="([^"]+)"(?: data-ts="([^"]+)")?>(.*?)</tr>', page)
    assert {r[0] for r in rows} == set(TIMELINE_KINDS)
    assert len(rows) == _independent_count(penv)
    stamps = [datetime.fromisoformat(r[1]) for r in rows if r[1]]
    assert stamps == sorted(stamps)
    assert all(r[1] for r in rows[: len(stamps)])  # events without a time come last
    known = [(k, ts) for k, ts, _ in [(r[0], datetime.fromisoformat(r[1]) if r[1] else None, r[2]) for r in rows]
             if (k, ts) in set(EVENTS)]
    assert known == EVENTS  # each known event once (the lead stage from two sources is shown once)
    text = visible_text(page)
    assert "Times in Asia/Shanghai" in text
    assert "Jan 12, 2026 20:45 Order · CN¥688.00 Purchase · online" in text
    assert "Jan 7, 2026 12:30 Touchpoint · Xiaohongshu" in text and "campaign spring_launch" in text
    assert "Lifecycle stage · Marketing qualified lead (MQL) owner zhang.san" in text
    consent = [r[2] for r in rows if r[0] == "consent"]
    assert "changed" not in consent[0] and "changed" in consent[1]  # e-mail consent withdrawn on R2
    assert "e-mail: no" in visible_text("<main>" + consent[1] + "</main>")
    # the hashed e-mail is shown as stored, shortened; never more of it, and no raw address
    assert HASHED_EMAIL[:10] + "…" in text and HASHED_EMAIL not in page and "li.wei@example.com" not in page
    assert "u00002" not in text  # another person's contact record is not on this timeline


def test_timeline_pages(penv: Env, pclient: TestClient) -> None:
    total = _independent_count(penv)
    first = pclient.get(f"/customers/{CUSTOMER}?lang=en&limit=4").text
    second = pclient.get(f"/customers/{CUSTOMER}?lang=en&limit=4&offset=4").text
    a = re.findall(r'<tr data-kind="[^"]+" data-ts="([^"]+)">', first)
    b = re.findall(r'<tr data-kind="[^"]+" data-ts="([^"]+)">', second)
    assert len(a) == 4 and len(b) == 4 and a[-1] <= b[0]
    assert f"1–4 / {total}" in first and f"/customers/{CUSTOMER}?offset=4&limit=4" in first
    assert f"5–8 / {total}" in second


def test_timeline_through_row_customers(penv: Env, tmp_path_factory: pytest.TempPathFactory) -> None:
    """With identity resolution's row map the timeline follows it (not the identifier columns)."""
    from omnimix.web.warehouse import Warehouse
    from omnimix.workspace import Workspace

    ws = build_pages_workspace(tmp_path_factory.mktemp("ws_rows"))
    rows = pd.DataFrame([
        {"src_table": "touchpoints", "row_key": "tl-1", "customer_id": "C00007"},
        {"src_table": "conversions", "row_key": "tl-o1", "customer_id": "C00007"},
        {"src_table": "contacts", "row_key": "crm:R1", "customer_id": "C00007"},
    ])
    with Workspace.open(ws).writer() as w:
        w.write("row_customers", rows)
    wh = Warehouse(Workspace.open(ws))
    try:
        tl = customer_timeline(wh, "C00007", 0, 100)
        kinds = [(r["kind"], r["ts"]) for r in tl["items"] if r["kind"] != "identifier"]
        assert kinds == [("stage", EVENTS[1][1]), ("consent", EVENTS[2][1]), ("stage", EVENTS[3][1]),
                         ("touchpoint", EVENTS[4][1]), ("stage", EVENTS[5][1]), ("order", EVENTS[6][1]),
                         ("stage", EVENTS[7][1])]
        own = wh.scalar("SELECT count(*) FROM identifiers WHERE customer_id = 'C00007'")
        assert tl["counts"]["identifier"] == own >= 2  # C00007's own identifiers only
    finally:
        wh.close()
