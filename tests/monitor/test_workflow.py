"""monitor_workspace and the CLI on planted worlds: detection, the MMM explanation, data and model
alerts, rules with delivery and dedup, the JSON contract."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from omnimix.monitor import monitor_workspace
from omnimix.monitor.mmm_band import curves_from_daily_truth
from omnimix.simulate.anomalies import plant_world
from omnimix.workspace import Workspace

KPI = {"revenue", "conversions", "new_customers", "converting_customers", "cac", "roas", "mer"}


def _near(alerts: list[Any], day: str, tol: int = 3) -> list[Any]:
    d0 = date.fromisoformat(day)
    return [a for a in alerts if abs((date.fromisoformat(a.date) - d0).days) <= tol]


def test_kpi_drop_found_clean_world_quiet(tmp_path: Path) -> None:
    w = plant_world(tmp_path / "drop", "kpi_drop", seed=11, days=130, channels=3)
    run = monitor_workspace(w.root, w.window_start, record=False)
    hits = _near(run.alerts, w.plants[0].start)
    assert any(a.metric in ("revenue", "conversions") and a.channel is None for a in hits)
    assert len(hits) >= 0.7 * len(run.alerts)
    c = plant_world(tmp_path / "clean", "clean", seed=12, days=130, channels=3)
    assert len(monitor_workspace(c.root, c.window_start, record=False).alerts) <= 1


def test_spend_cut_explained_by_the_mmm_raises_no_kpi_alert(tmp_path: Path) -> None:
    w = plant_world(tmp_path / "cut", "spend_cut", seed=21, days=130, channels=3)
    explained = monitor_workspace(w.root, w.window_start, record=False, curves=curves_from_daily_truth(w.curves))
    assert explained.mmm
    assert [a for a in explained.alerts if a.kind == "anomaly" and a.metric in KPI] == []
    assert any(a.metric == "spend" for a in _near(explained.alerts, w.plants[0].start))
    bare = monitor_workspace(w.root, w.window_start, record=False)
    assert any(a.metric in KPI for a in bare.alerts)  # without the MMM the revenue drop is unexplained


def test_source_stop_is_a_data_alert(tmp_path: Path) -> None:
    w = plant_world(tmp_path / "stop", "source_stops", seed=31, days=130, channels=3)
    run = monitor_workspace(w.root, w.window_start, record=False)
    data = [a for a in run.alerts if a.kind == "data" and a.metric == "source_stopped"]
    assert [a.date for a in data] == [w.plants[0].start]
    assert w.plants[0].channel in data[0].message


def test_model_alerts_and_quarantine_jump(tmp_path: Path) -> None:
    w = plant_world(tmp_path / "m", "clean", seed=41, days=110, channels=2)
    ws = Workspace.open(w.root)
    ws.write("mmm_diagnostics", pd.DataFrame({"metric": ["passed", "check:ppc:passed"], "value": [0.0, 0.0]}))
    ws.write("mmm_channels", pd.DataFrame({"channel": ["search"], "roi_mean": [2.0], "roi_lo": [1.5],
                                           "roi_hi": [2.5]}))
    last = pd.Timestamp(w.last_day)
    loads = ws.read("loads")
    i = loads.index[(loads["source"] == "shop") & (pd.to_datetime(loads["date_max"]) == last)][0]
    loads.loc[i, "rows_quarantined"] = int(loads.loc[i, "rows_in"] * 0.4)
    ws.write("loads", loads)
    url = f"sqlite:///{tmp_path / 'state.db'}"
    run = monitor_workspace(w.root, w.window_start, state_url=url)
    kinds = {(a.kind, a.metric) for a in run.alerts}
    assert ("model", "mmm_review") in kinds and ("data", "quarantine_rate") in kinds
    ws.write("mmm_channels", pd.DataFrame({"channel": ["search"], "roi_mean": [4.0], "roi_lo": [3.2],
                                           "roi_hi": [4.8]}))
    again = monitor_workspace(w.root, w.window_start, state_url=url)
    assert [a.channel for a in again.alerts if a.metric == "roi_drift"] == ["search"]
    assert len(again.new) == 1  # only the drift is new; the rest are duplicates


class _Hook:
    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, HTTPServer

        self.bodies: list[dict[str, Any]] = []
        rec = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                rec.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.t = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.t.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_rules_delivery_dedup_and_cli_contract(tmp_path: Path) -> None:
    from omnimix.cli import main

    w = plant_world(tmp_path / "r", "kpi_drop", seed=51, days=130, channels=3)
    hook = _Hook()
    try:
        cfg = Path(w.root) / "omnimix.toml"
        cfg.write_text(cfg.read_text(encoding="utf-8") + (
            "\n[monitor]\n"
            "[[monitor.rules]]\nmetric = 'revenue'\nseverity = 'critical'\nwho = ['ops']\n"
            "[[monitor.rules]]\nmetric = 'spend'\nchannel = 'search'\nabove = 1e9\nwho = ['ops']\n"
            f"[[monitor.webhooks]]\nname = 'ops'\nurl = '{hook.url}'\nformat = 'wecom'\n"), encoding="utf-8")
        run = monitor_workspace(w.root, w.window_start)
        rev = [a for a in run.alerts if a.metric == "revenue" and a.channel is None]
        assert rev and all(a.severity == "critical" for a in rev)
        assert len(hook.bodies) == 1 and hook.bodies[0]["msgtype"] == "markdown"
        assert "Revenue" in hook.bodies[0]["markdown"]["content"]
        run2 = monitor_workspace(w.root, w.window_start)
        assert run2.new == [] and len(hook.bodies) == 1  # deduplicated: nothing delivered twice
    finally:
        hook.close()
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        main(["monitor", "--workspace", w.root, "--since", w.window_start, "--no-record", "--json"])
    out = json.loads(buf.getvalue())
    assert list(out) == ["alerts"] and out["alerts"]
    for a in out["alerts"]:
        assert list(a) == ["kind", "metric", "channel", "date", "value", "expected", "severity", "message"]
        assert a["kind"] in ("anomaly", "pacing", "data", "model")
        assert list(a["expected"]) == ["mean", "lo", "hi"]
        date.fromisoformat(a["date"])
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        main(["alerts", "list", "--workspace", w.root, "--json"])
    listed = json.loads(buf.getvalue())["alerts"]
    first = listed[0]["id"]
    with contextlib.redirect_stdout(io.StringIO()):
        main(["alerts", "ack", "--workspace", w.root, str(first), "--by", "amy"])
        main(["alerts", "resolve", "--workspace", w.root, str(first)])
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        main(["alerts", "list", "--workspace", w.root, "--status", "resolved", "--json"])
    assert [r["id"] for r in json.loads(buf.getvalue())["alerts"]] == [first]


def test_bad_rule_is_a_config_error(tmp_path: Path) -> None:
    from omnimix.errors import ConfigError

    w = plant_world(tmp_path / "b", "clean", seed=61, days=100, channels=2)
    cfg = Path(w.root) / "omnimix.toml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + "\n[[monitor.rules]]\nmetric = 'nope'\nwho = ['ghost']\n",
                   encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        monitor_workspace(w.root, record=False)
    assert "nope" in str(e.value.problems) and "ghost" in str(e.value.problems)
