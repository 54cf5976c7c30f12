"""The /monitor page and the alerts API: the monitor's real alerts on a planted world, both languages,
the band chart, role checks, CSRF, audit rows and the scheduler's run history."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from omnimix.monitor import monitor_workspace
from omnimix.monitor.state import AlertStore, default_url
from omnimix.schedule.store import RunStore
from omnimix.simulate.anomalies import plant_world

from .conftest import Env, login, make_env


@pytest.fixture(scope="module")
def mon_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    w = plant_world(tmp_path_factory.mktemp("mon") / "ws", "kpi_drop", seed=51, days=130, channels=3)
    run = monitor_workspace(w.root, w.window_start, send=False)
    assert run.new and any(a.kind == "anomaly" for a in run.alerts)
    runs = RunStore(default_url(w.root))
    rid = runs.start("nightly-monitor", "monitor", "cron")
    runs.finish(rid, "ok", f"{len(run.alerts)} alert(s), {len(run.new)} new")
    rid = runs.start("weekly-refit", "refit", "once")
    runs.finish(rid, "failed", "ConvergenceError: r-hat 1.3")
    yield from make_env(Path(w.root))


def _store(env: Env) -> AlertStore:
    return AlertStore(default_url(env.workspace))


def _client(env: Env) -> TestClient:
    c = TestClient(env.app)
    c.__enter__()
    return c


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh-CN", ["告警", "收入", "预期区间", "异常", "定时任务运行记录", "未处理", "全部渠道", "失败"]),
        ("en", ["Alerts", "Revenue", "Expected band", "Anomaly", "Scheduled runs", "Open", "All channels", "failed"]),
    ],
)
def test_monitor_page_lists_alerts_with_band_chart_and_runs(mon_env: Env, lang: str, words: list[str]) -> None:
    c = _client(mon_env)
    login(c, "viewer")
    r = c.get(f"/monitor?lang={lang}")
    assert r.status_code == 200
    for w in words:
        assert w in r.text, w
    assert 'href="/monitor"' in r.text  # the navigation entry
    open_rows = _store(mon_env).list("open")
    assert len(re.findall(r'<tr id="alert-\d+" data-status="open"', r.text)) == min(len(open_rows), 50)
    # a revenue anomaly's row shows its value and band, and its chart has the band and the series
    rev = next(a for a in open_rows if a["metric"] == "revenue" and a["kind"] == "anomaly")
    m = re.search(rf"id=\"chart-alert-{rev['id']}\"[^>]*data-figure='([^']+)'", r.text)
    assert m is not None
    fig = json.loads(m.group(1).replace("&#34;", '"').replace("&quot;", '"'))
    names = [tr.get("name") for tr in fig["data"]]
    assert len(fig["data"]) == 5 and fig["data"][1]["fill"] == "tonexty"
    trace = rev["trace"]
    assert fig["data"][3]["y"] == trace["value"] and fig["data"][0]["y"] == trace["lo"]
    assert rev["date"] in trace["dates"] and fig["data"][4]["x"] == [rev["date"]]
    assert names[1] == ("预期区间" if lang == "zh-CN" else "Expected band")
    # viewers get no buttons; the run history shows both runs
    assert f'id="ack-{rev["id"]}"' not in r.text
    assert "nightly-monitor" in r.text and "ConvergenceError" in r.text


def test_filters(mon_env: Env) -> None:
    c = _client(mon_env)
    login(c, "viewer")
    r = c.get("/monitor?status=all&kind=data&lang=en")
    assert r.status_code == 200
    kinds = set(re.findall(r'<tr id="alert-\d+" data-status="\w+" data-kind="(\w+)"', r.text))
    assert kinds <= {"data"}
    assert c.get("/monitor?status=bogus").status_code == 200  # an unknown filter value lists everything


def test_editor_acknowledges_and_resolves_from_the_page(mon_env: Env) -> None:
    store = _store(mon_env)
    target = store.list("open")[0]
    c = _client(mon_env)
    csrf = login(c, "analyst")
    page = c.get("/monitor?lang=en")
    assert f'id="ack-{target["id"]}"' in page.text and f'id="resolve-{target["id"]}"' in page.text
    bad = c.post(f"/monitor/alerts/{target['id']}/ack", data={"csrf_token": "wrong"}, follow_redirects=False)
    assert bad.status_code == 403 and store.one(target["id"])["status"] == "open"
    r = c.post(f"/monitor/alerts/{target['id']}/ack", data={"csrf_token": csrf, "status": "open", "note": "on it"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/monitor?status=open")
    row = store.one(target["id"])
    assert row["status"] == "acked" and row["acked_by"] == "analyst" and row["note"] == "on it"
    assert f"Alert {target['id']} acknowledged" in c.get(r.headers["location"]).text
    r = c.post(f"/monitor/alerts/{target['id']}/resolve", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and store.one(target["id"])["status"] == "resolved"
    st = mon_env.app.state.ctx.state  # type: ignore[attr-defined]
    _, acks = st.audit_log(action="alert_ack")
    assert acks[0]["actor"] == "analyst" and acks[0]["target"] == f"alert:{target['id']}"
    _, res = st.audit_log(action="alert_resolve")
    assert res[0]["target"] == f"alert:{target['id']}"
    missing = c.post("/monitor/alerts/999999/ack", data={"csrf_token": csrf}, follow_redirects=False)
    assert missing.status_code == 404


def test_viewer_may_not_change_alerts(mon_env: Env) -> None:
    target = _store(mon_env).list("open")[0]
    c = _client(mon_env)
    csrf = login(c, "viewer")
    r = c.post(f"/monitor/alerts/{target['id']}/ack", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 403
    api = mon_env.client.post(f"/api/v1/alerts/{target['id']}/ack", headers=mon_env.headers("viewer"))
    assert api.status_code == 403 and api.json()["error"]["code"] == "forbidden"
    assert _store(mon_env).one(target["id"])["status"] == "open"


def test_alerts_api(mon_env: Env) -> None:
    store = _store(mon_env)
    cl = mon_env.client
    assert cl.get("/api/v1/alerts").status_code == 401
    r = cl.get("/api/v1/alerts", headers=mon_env.headers("viewer"), params={"limit": 5})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == store.count() and len(body["items"]) == min(5, body["total"])
    first = body["items"][0]
    for k in ("id", "kind", "metric", "channel", "date", "value", "expected", "severity", "message", "status"):
        assert k in first
    assert "trace" not in first
    anomalies = cl.get("/api/v1/alerts", headers=mon_env.headers("viewer"),
                       params={"kind": "anomaly", "trace": "true", "limit": 500}).json()["items"]
    assert anomalies and all(a["kind"] == "anomaly" for a in anomalies)
    assert all(len(a["trace"]["dates"]) == len(a["trace"]["hi"]) for a in anomalies)
    assert cl.get("/api/v1/alerts", headers=mon_env.headers("viewer"), params={"status": "nope"}).status_code == 422
    target = store.list("open")[-1]
    r = cl.post(f"/api/v1/alerts/{target['id']}/ack", headers=mon_env.headers("analyst"), json={"note": "checking"})
    assert r.status_code == 200 and r.json()["status"] == "acked" and r.json()["note"] == "checking"
    r = cl.post(f"/api/v1/alerts/{target['id']}/resolve", headers=mon_env.headers("admin"))
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    assert cl.post("/api/v1/alerts/987654/ack", headers=mon_env.headers("analyst")).status_code == 404
    st = mon_env.app.state.ctx.state  # type: ignore[attr-defined]
    _, res = st.audit_log(action="alert_resolve")
    assert res[0]["actor"] == "admin" and res[0]["target"] == f"alert:{target['id']}"


def test_api_post_from_a_cookie_session_needs_the_csrf_header(mon_env: Env) -> None:
    target = _store(mon_env).list("open")[0]
    c = _client(mon_env)
    csrf = login(c, "analyst")
    r = c.post(f"/api/v1/alerts/{target['id']}/ack")
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf"
    r = c.post(f"/api/v1/alerts/{target['id']}/ack", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["acked_by"] == "analyst"


def test_empty_state(empty_env: Env) -> None:
    c = _client(empty_env)
    login(c, "viewer")
    r = c.get("/monitor?lang=en")
    assert r.status_code == 200 and 'id="alerts-none"' in r.text and 'id="runs-none"' in r.text
    assert empty_env.client.get("/api/v1/alerts", headers=empty_env.headers("viewer")).json()["total"] == 0


def test_anomaly_lines_in_the_page_language(mon_env: Env) -> None:
    from omnimix.web.alerts_view import message
    from omnimix.web.i18n import Formatter

    a = {"kind": "anomaly", "metric": "revenue", "channel": "video", "date": "2025-05-03", "value": 3966.96,
         "expected": {"mean": 6563.9, "lo": 4459.63, "hi": 9538.2}, "message": "Revenue (video) 3,967 …"}
    zh = message(a, Formatter("zh-CN", "CNY"))
    assert zh.startswith("收入") and "低于预期区间" in zh and "2025" in zh
    en = message(a, Formatter("en", "CNY"))
    assert "is below the expected band" in en and en.startswith("Revenue (")
    shift = message({**a, "value": 5000.0}, Formatter("en", "CNY"))  # a change point's day inside the band
    assert "shifted down from" in shift
    # an alert stored without detail: a plain line in zh-CN, the monitor's own message in English
    data = {**a, "kind": "data", "metric": "source_stopped", "channel": None, "message": "source x stopped"}
    assert message(data, Formatter("en", "CNY")) == "source x stopped"
    assert message(data, Formatter("zh-CN", "CNY")).startswith("数据源停止加载：")


#: A run of three or more English words (what a zh-CN page must not show in an alert's line).
ENGLISH = re.compile(r"[A-Za-z]{2,}(?:[ ,;:]+[A-Za-z]{2,}){2,}")


def _kind_alerts() -> list:
    """One real alert of each data, model and pacing check (and a rule), from the monitor's detectors."""
    from datetime import date

    import duckdb
    import pandas as pd

    from omnimix.config import MonitorRule
    from omnimix.monitor.data import load_jumps, stopped_sources
    from omnimix.monitor.model import drift, review_failed
    from omnimix.monitor.pacing import pacing_alerts
    from omnimix.monitor.rules import threshold_alerts

    con = duckdb.connect()
    rows = []
    for wk in range(14):
        lo = date(2026, 1, 1) + pd.Timedelta(days=7 * wk)
        for src in ("shop", "web") if wk < 8 else ("shop",):
            n, q = (7000, 3000) if (src == "shop" and wk == 13) else (700, 3)
            rows.append({"target_table": "conversions", "source": src, "file": f"{src}{wk}.csv", "rows_in": n,
                         "rows_quarantined": q, "date_min": lo, "date_max": lo + pd.Timedelta(days=6),
                         "loaded_at": lo + pd.Timedelta(days=7)})
    con.register("loads_df", pd.DataFrame(rows))
    con.execute("CREATE TABLE loads AS SELECT * FROM loads_df")
    con.register("diag_df", pd.DataFrame({"metric": ["passed", "check:rhat:passed", "check:holdout:passed"],
                                          "value": [0.0, 0.0, 1.0]}))
    con.execute("CREATE TABLE mmm_diagnostics AS SELECT * FROM diag_df")
    today = date(2026, 4, 8)
    out = [*stopped_sources(con, date(2026, 3, 1)), *load_jumps(con, date(2026, 3, 30)), *review_failed(con, today)]
    out += drift({"fingerprint": "a", "roi": {"search": [2.0, 1.5, 2.5]}},
                 {"fingerprint": "b", "roi": {"search": [4.0, 3.2, 4.8]}}, today)
    days = pd.date_range("2026-03-01", "2026-03-15")
    spend = pd.DataFrame({"period": days, "channel": "search", "spend": 90.0})
    spend.loc[4, "spend"] = 250.0
    d0, d1 = date(2026, 3, 1), date(2026, 3, 15)
    out += pacing_alerts(spend, {"search": (100.0, None)}, d0, d1)  # over the day cap
    out += pacing_alerts(spend.assign(spend=60.0), {"search": (120.0, None)}, d0, d1)  # under-delivery
    out += pacing_alerts(spend.assign(spend=180.0), {"search": (None, 3000.0)}, d0, d1)  # over-delivery
    out += pacing_alerts(spend.assign(spend=300.0), {"search": (None, 3000.0)}, d0, d1)  # over the cap
    kpi = pd.DataFrame({"period": days, "revenue": 100.0})
    kpi.loc[9, "revenue"] = 900.0
    out += threshold_alerts([MonitorRule(metric="revenue", above=500.0)], kpi, None, d0)
    return out


def test_data_model_pacing_lines_in_the_page_language(tmp_path: Path) -> None:
    from omnimix.web.alerts_view import message
    from omnimix.web.i18n import Formatter

    alerts = _kind_alerts()
    codes = {(a.detail or {}).get("code") for a in alerts}
    assert {"source_stopped", "load_rows", "quarantine_rate", "mmm_review", "roi_drift", "spend_day",
            "month_over_cap", "month_over_pace", "month_under_pace", "rule_above"} <= codes, codes
    store = AlertStore(f"sqlite:///{tmp_path / 'state.db'}")
    store.record(alerts)
    zh_fmt, en_fmt = Formatter("zh-CN", "CNY"), Formatter("en", "CNY")
    for a in store.list(None, 100):
        zh, en = message(a, zh_fmt), message(a, en_fmt)
        assert not ENGLISH.search(zh), (a["metric"], zh)
        assert re.search(r"[\u4e00-\u9fff]", zh), zh
        assert ENGLISH.search(en) and not re.search(r"[\u4e00-\u9fff]", en), en
        assert "{" not in zh and "{" not in en
    by = {a["detail"]["code"]: a for a in store.list(None, 100)}
    assert "web" in message(by["source_stopped"], zh_fmt) and "web" in message(by["source_stopped"], en_fmt)
    assert "R-hat" in message(by["mmm_review"], zh_fmt) and "holdout" not in message(by["mmm_review"], en_fmt)
    assert "under-delivery" in message(by["month_under_pace"], en_fmt)
    assert "投放不足" in message(by["month_under_pace"], zh_fmt)
    # the CLI contract is unchanged: no detail in the alert's JSON
    assert set(alerts[0].to_json()) == {"kind", "metric", "channel", "date", "value", "expected", "severity",
                                        "message"}


def test_monitor_page_rebuilds_every_kind_in_zh(mon_env: Env) -> None:
    _store(mon_env).record(_kind_alerts())
    c = _client(mon_env)
    login(c, "viewer")
    for lang in ("zh-CN", "en"):
        r = c.get(f"/monitor?lang={lang}&status=all&kind=")
        assert r.status_code == 200
        cells = re.findall(r'<tr class="alert-detail"><td[^>]*><span class="muted">([^<]*)</span>', r.text)
        assert cells
        if lang == "zh-CN":
            assert [x for x in cells if ENGLISH.search(x)] == []
        else:
            assert any("this month" in x for x in cells) and any("loaded nothing after" in x for x in cells)
