"""KPI values against an independent pandas computation on the same warehouse."""

from __future__ import annotations

import re
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from omnimix.metrics import metric_frame

from .conftest import Env, login

START, END = date(2026, 2, 1), date(2026, 3, 31)
Q = f"start={START}&end={END}"


def frames(ws: Path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True)
    names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
    out = {n: con.execute(f'SELECT * FROM "{n}"').df() for n in names}
    con.close()
    return out


def in_range(ts: pd.Series, start: date = START, end: date = END) -> pd.Series:
    return (ts >= pd.Timestamp(start)) & (ts < pd.Timestamp(end + timedelta(days=1)))


def test_kpis_match_pandas_with_identity_and_results(env: Env) -> None:
    d = frames(env.workspace)
    r = env.client.get(f"/api/v1/kpis?{Q}", headers=env.headers("viewer"))
    assert r.status_code == 200
    k = r.json()
    sp = d["spend"][(d["spend"]["date"] >= pd.Timestamp(START)) & (d["spend"]["date"] <= pd.Timestamp(END))]
    conv = d["conversions"][in_range(d["conversions"]["ts"])]
    spend, revenue = sp["spend"].sum(), conv["value"].sum()
    assert k["spend"] == pytest.approx(spend)
    assert k["revenue"] == pytest.approx(revenue)
    assert k["conversions"] == len(conv) > 0
    # new customers: people whose FIRST purchase falls in the range (not people first seen in it)
    ids = d["identifiers"]
    owner = {(t, v): c for t, v, c in zip(ids["id_type"], ids["id_value"], ids["customer_id"], strict=True)}
    id_cols = [c for c in ("user_id", "crm_id", "loyalty_id", "email", "phone", "unionid", "openid", "device_id",
                           "anonymous_id") if c in d["conversions"].columns]
    allconv = d["conversions"]
    person = [next((owner[(c, r[c])] for c in id_cols if isinstance(r[c], str) and (c, r[c]) in owner),
                   next((f"{c}:{r[c]}" for c in id_cols if isinstance(r[c], str)), None))
              for _, r in allconv.iterrows()]
    first = allconv.assign(person=person).dropna(subset=["person"]).groupby("person")["ts"].min()
    new = int(in_range(first).sum())
    assert k["new_customers"] == new > 0 and k["new_customers_source"] == "first_purchase"
    assert k["cac"] == pytest.approx(spend / new)
    ltv = d["clv_customers"]["clv"].mean()
    assert k["ltv"] == pytest.approx(ltv) and k["ltv_source"] == "clv_customers"
    assert k["ltv_cac"] == pytest.approx(ltv / (spend / new))
    assert k["mer"] == pytest.approx(revenue / spend)
    assert k["roas"] == pytest.approx(revenue / spend) and k["attribution_model"] == "markov"
    assert k["currency"] == "CNY"
    # cross-channel conversion through the identifiers table
    ids = d["identifiers"]
    m = {(t, v): c for t, v, c in zip(ids["id_type"], ids["id_value"], ids["customer_id"], strict=True)}
    buyers = {m[("user_id", u)] for u in conv["user_id"]}
    tp = d["touchpoints"]
    tp = tp[in_range(tp["ts"], START - timedelta(days=30), END)]
    person = [
        m[("user_id", u)] if isinstance(u, str) else m[("anonymous_id", a)]
        for u, a in zip(tp["user_id"], tp["anonymous_id"], strict=True)
    ]
    n_ch = pd.DataFrame({"p": person, "ch": tp["channel"].to_numpy()}).groupby("p")["ch"].nunique()
    multi = sum(1 for b in buyers if n_ch.get(b, 0) >= 2)
    assert k["converting_customers"] == len(buyers)
    assert k["multi_channel_customers"] == multi
    assert k["cross_channel_rate"] == pytest.approx(multi / len(buyers))
    assert k["notes"] == []


def test_channel_filter_uses_attribution_share(env: Env) -> None:
    d = frames(env.workspace)
    k = env.client.get(f"/api/v1/kpis?{Q}&channel=douyin&channel=email", headers=env.headers("viewer")).json()
    sp = d["spend"]
    sel = sp[
        (sp["date"] >= pd.Timestamp(START))
        & (sp["date"] <= pd.Timestamp(END))
        & sp["channel"].isin(["douyin", "email"])
    ]["spend"].sum()
    att = d["attribution_results"]
    mk = att[att["model"] == "markov"]
    share = mk[mk["channel"].isin(["douyin", "email"])]["value"].sum() / mk["value"].sum()
    revenue = d["conversions"][in_range(d["conversions"]["ts"])]["value"].sum()
    assert k["channels"] == ["douyin", "email"]
    assert k["spend"] == pytest.approx(sel)
    assert k["revenue"] == pytest.approx(revenue * share)
    assert k["roas"] == pytest.approx(revenue * share / sel)
    k2 = env.client.get(
        f"/api/v1/kpis?{Q}&channel=douyin&channel=email&model=shapley", headers=env.headers("viewer")
    ).json()
    sh = att[att["model"] == "shapley"]
    share2 = sh[sh["channel"].isin(["douyin", "email"])]["value"].sum() / sh["value"].sum()
    assert k2["attribution_model"] == "shapley" and k2["revenue"] == pytest.approx(revenue * share2)


def test_kpis_without_identity_or_results(bare_env: Env) -> None:
    d = frames(bare_env.workspace)
    k = bare_env.client.get(f"/api/v1/kpis?{Q}", headers=bare_env.headers("viewer")).json()
    conv = d["conversions"]
    first = conv.groupby("user_id")["ts"].min()
    new = int(in_range(first).sum())
    assert k["new_customers_source"] == "first_purchase" and k["new_customers"] == new
    allc = conv.groupby("user_id")["value"].sum()
    assert k["ltv_source"] == "historical" and k["ltv"] == pytest.approx(allc.mean())
    assert k["roas"] is None
    metrics = {n["metric"]: n["message"] for n in k["notes"]}
    assert "omnimix attribute" in metrics["roas"] and "omnimix clv predict" in metrics["ltv"]
    # the person key falls back to the first identifier: anonymous touches do not join to buyers
    tp = d["touchpoints"]
    tp = tp[in_range(tp["ts"], START - timedelta(days=30), END) & tp["user_id"].notna()]
    n_ch = tp.groupby("user_id")["channel"].nunique()
    buyers = set(conv[in_range(conv["ts"])]["user_id"])
    multi = sum(1 for b in buyers if n_ch.get(b, 0) >= 2)
    assert k["multi_channel_customers"] == multi and k["converting_customers"] == len(buyers)
    kf = bare_env.client.get(f"/api/v1/kpis?{Q}&channel=douyin", headers=bare_env.headers("viewer")).json()
    assert kf["revenue"] is None and any(n["metric"] == "revenue" for n in kf["notes"])


def test_funnel_trend_and_channels(env: Env) -> None:
    d = frames(env.workspace)
    h = env.headers("viewer")
    k = env.client.get(f"/api/v1/kpis?{Q}", headers=h).json()
    fn = env.client.get(f"/api/v1/kpis/funnel?{Q}", headers=h).json()["items"]
    tp = d["touchpoints"][in_range(d["touchpoints"]["ts"])]
    by = tp.groupby("stage").size()
    stages = [r["stage"] for r in fn]
    assert stages == ["awareness", "consideration", "decision", "conversion", "retention", "advocacy"]
    for r in fn:
        if r["stage"] != "conversion":
            assert r["events"] == int(by.get(r["stage"], 0))
    steps = [r for r in fn if not r["after_purchase"]]
    n_conv = int(in_range(d["conversions"]["ts"]).sum())
    # cumulative: touches at the stage or a later one before the purchase, plus the conversions
    pre = ["awareness", "consideration", "decision"]
    for i, r in enumerate(steps[:-1]):
        assert r["cumulative"] == sum(int(by.get(s, 0)) for s in pre[i:]) + n_conv
    assert steps[-1]["cumulative"] == n_conv == k["conversions"]
    assert all(a["cumulative"] >= b["cumulative"] for a, b in pairwise(steps))
    assert [r["cumulative"] for r in fn if r["after_purchase"]] == [None, None]
    tr = env.client.get(f"/api/v1/kpis/trend?{Q}&grain=week", headers=h).json()
    assert tr["grain"] == "week"
    assert sum(tr["spend"]) == pytest.approx(k["spend"])
    assert sum(tr["revenue"]) == pytest.approx(k["revenue"]) and sum(tr["conversions"]) == k["conversions"]
    assert sum(tr["new_customers"]) == k["new_customers"]
    tr_day = env.client.get(f"/api/v1/kpis/trend?{Q}", headers=h).json()
    assert tr_day["grain"] == "day" and len(tr_day["dates"]) == (END - START).days + 1
    ch = env.client.get(f"/api/v1/kpis/channels?{Q}&channel=wechat", headers=h).json()
    assert [r["channel"] for r in ch["items"]] == ["wechat"]
    sp = d["spend"]
    want = sp[
        (sp["date"] >= pd.Timestamp(START)) & (sp["date"] <= pd.Timestamp(END)) & (sp["channel"] == "wechat")
    ]
    assert ch["items"][0]["spend"] == pytest.approx(want["spend"].sum())
    assert ch["items"][0]["clicks"] == int(want["clicks"].sum())
    assert ch["all_channels"] == ["baidu", "douyin", "email", "wechat"]
    every = env.client.get(f"/api/v1/kpis/channels?{Q}", headers=h).json()["items"]
    assert sum(r["attributed_revenue"] for r in every) == pytest.approx(k["revenue"])
    assert sum(r["attributed_conversions"] for r in every) == pytest.approx(k["conversions"])


def test_default_range_is_last_90_days_of_data(env: Env) -> None:
    k = env.client.get("/api/v1/kpis", headers=env.headers("viewer")).json()
    assert k["end"] == "2026-04-30" and k["start"] == "2026-01-31"


def test_empty_workspace(empty_env: Env) -> None:
    h = empty_env.headers("viewer")
    r = empty_env.client.get("/api/v1/kpis", headers=h)
    assert r.status_code == 404 and r.json()["error"]["code"] == "no_warehouse"
    st = empty_env.client.get("/api/v1/workspace/status", headers=h).json()
    assert st["exists"] is False
    att = empty_env.client.get("/api/v1/attribution", headers=h).json()
    assert att["computed"] is False and "omnimix attribute" in att["message"]


RANGES = [(START, END), (date(2026, 1, 1), date(2026, 1, 7)), (date(2026, 3, 15), date(2026, 4, 30))]
SELECTIONS: list[tuple[str, ...]] = [(), ("douyin",), ("wechat", "email")]


@pytest.mark.parametrize("chans", SELECTIONS, ids=lambda c: "+".join(c) or "all")
def test_api_equals_the_metrics_layer(env: Env, chans: tuple[str, ...]) -> None:
    """GET /api/v1/kpis is omnimix.metrics.metric_frame over the range (summed over the selection)."""
    keys = ["spend", "revenue", "conversions", "new_customers", "attributed_new_customers", "mer",
            "cross_channel_share", "converting_customers", "multi_channel_customers"]
    h = env.headers("viewer")
    for start, end in RANGES:
        q = f"start={start}&end={end}" + "".join(f"&channel={c}" for c in chans)
        k = env.client.get(f"/api/v1/kpis?{q}", headers=h).json()
        tot = metric_frame(env.workspace, keys, start, end, grain="range").iloc[0]
        if chans:
            per = metric_frame(env.workspace, keys, start, end, grain="range", by_channel=True)
            sel = per[per["channel"].isin(chans)]
            want = {"spend": sel["spend"].sum(), "revenue": sel["revenue"].sum(),
                    "conversions": sel["conversions"].sum(), "new_customers": sel["attributed_new_customers"].sum()}
        else:
            want = {m: tot[m] for m in ("spend", "revenue", "conversions", "new_customers")}
        for m, v in want.items():
            assert k[m] == pytest.approx(float(v), rel=1e-12, abs=1e-12), (start, end, chans, m)
        assert k["cac"] == pytest.approx(want["spend"] / want["new_customers"], rel=1e-12)
        assert k["roas"] == pytest.approx(want["revenue"] / want["spend"], rel=1e-12)
        assert k["mer"] == pytest.approx(tot["mer"], rel=1e-12)
        assert k["cross_channel_rate"] == pytest.approx(tot["cross_channel_share"], rel=1e-12)
        assert k["converting_customers"] == tot["converting_customers"]
        assert k["ltv_cac"] == pytest.approx(k["ltv"] / k["cac"], rel=1e-12)
        # the funnel's last step is the conversions card, and no step is larger than the one before
        fn = env.client.get(f"/api/v1/kpis/funnel?{q}", headers=h).json()["items"]
        steps = [r["cumulative"] for r in fn if not r["after_purchase"]]
        assert steps[-1] == pytest.approx(k["conversions"], rel=1e-12)
        assert all(a >= b for a, b in pairwise(steps))
        tr = env.client.get(f"/api/v1/kpis/trend?{q}", headers=h).json()
        for m in ("spend", "revenue", "conversions", "new_customers"):
            assert sum(tr[m]) == pytest.approx(k[m], rel=1e-9), m
    assert sum(r["spend"] for r in env.client.get(f"/api/v1/kpis/channels?{Q}", headers=h).json()["items"]
               if not chans or r["channel"] in chans) == pytest.approx(
        env.client.get(f"/api/v1/kpis?{Q}" + "".join(f"&channel={c}" for c in chans), headers=h).json()["spend"])


def _cards(page: str) -> dict[str, tuple[str, str, str]]:
    """data-kpi -> (scope, value, scope text) of the Overview's cards."""
    out = {}
    for m in re.finditer(r'<div class="card kpi" data-scope="([^"]+)" data-kpi="([^"]+)">(.*?)</div>\s*(?=<div class="card kpi"|</section>)',
                         page, re.S):
        value = re.search(r'<div class="value">([^<]*)</div>', m.group(3))
        scope = re.search(r'<div class="scope[^"]*">([^<]*)</div>', m.group(3))
        out[m.group(2)] = (m.group(1), value.group(1) if value else "", scope.group(1) if scope else "")
    return out


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_every_card_changes_or_is_marked_under_a_channel_filter(env: Env, lang: str) -> None:
    c = env.client
    login(c, "viewer")
    base = c.get(f"/?lang={lang}&{Q}").text
    filt = c.get(f"/?lang={lang}&{Q}&channel=douyin").text
    before, after = _cards(base), _cards(filt)
    assert set(before) == set(after) == {"spend", "revenue", "conversions", "new_customers", "cac", "ltv",
                                         "ltv_cac", "roas", "mer", "cross_channel"}
    assert all(text == "" for _s, _v, text in before.values())  # nothing to mark without a filter
    marked = {"en": "all channels: the channel filter does not apply", "zh-CN": "全部渠道：渠道筛选不适用"}[lang]
    for key, (scope, value, text) in after.items():
        if scope == "all_channels":
            assert text == marked, key
        else:
            assert value != before[key][1], key  # the card follows the filter
            assert text, key  # and says how (selected channels, by attributed credit)
    assert {k for k, v in after.items() if v[0] == "all_channels"} == {"ltv", "mer", "cross_channel"}
    # the trend says its revenue line is the selection's; the funnel's last step is the conversions card
    assert 'id="trend-scope"' in filt and 'id="trend-scope"' not in base
    steps = re.findall(r'<tr data-stage="([^"]+)" data-step="([^"]+)">', filt)
    k = env.client.get(f"/api/v1/kpis?{Q}&channel=douyin", headers=env.headers("viewer")).json()
    assert steps[-1][0] == "conversion" and float(steps[-1][1]) == pytest.approx(k["conversions"], rel=1e-12)


def test_filter_without_attribution_marks_the_split_cards(bare_env: Env) -> None:
    c = bare_env.client
    login(c, "viewer")
    after = _cards(c.get(f"/?lang=en&{Q}&channel=douyin").text)
    for key in ("revenue", "conversions", "new_customers", "cac", "roas"):
        assert after[key][0] == "all_channels" and "no attribution results" in after[key][2], key
    assert after["spend"][0] == "selection"
