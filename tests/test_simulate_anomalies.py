"""``omnimix simulate --anomalies N``: planted anomalies of known dates in the exports, and the monitor finds them."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from omnimix.cli import main
from omnimix.simulate.anomalies import EXPORT_KINDS, KPI_DROP, SPIKE_FACTOR, plant_exports
from omnimix.simulate.world import simulate_world

KPI_METRICS = {"revenue", "conversions", "converting_customers", "new_customers", "roas", "mer", "aov"}
STOPPED_SOURCE = {"douyin": "ocean_engine", "search": "google_ads"}


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean") / "data"
    simulate_world(out, customers=500, weeks=26, seed=11)
    return out


def _digest(d: Path) -> dict[str, str]:
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.rglob("*"))
            if p.is_file()}


def _days(s: pd.Series, fmt: str) -> pd.Series:
    return pd.to_datetime(s.astype(str).str.slice(0, 10), format=fmt, errors="coerce").dt.date


def test_plants_change_exactly_their_rows_and_days(clean: Path, tmp_path: Path) -> None:
    out = tmp_path / "data"
    shutil.copytree(clean, out)
    plants = plant_exports(out, 4, seed=3)
    assert sorted(p.kind for p in plants) == sorted(EXPORT_KINDS)
    doc = json.loads((out / "truth" / "anomalies.json").read_text(encoding="utf-8"))
    last = date.fromisoformat(doc["last_day"])
    assert doc["window_start"] == (last - timedelta(days=27)).isoformat()
    assert doc["plants"] == [vars(p) for p in plants]
    assert pd.read_csv(out / "truth" / "anomalies.csv").fillna("").to_dict("records") == [
        {**vars(p), "channel": p.channel or ""} for p in plants]
    changed = {k for k, v in _digest(out).items() if _digest(clean).get(k) != v}
    by = {p.kind: p for p in plants}
    for p in plants:
        start, end = date.fromisoformat(p.start), date.fromisoformat(p.end)
        assert last - timedelta(days=24) <= start <= last - timedelta(days=8)
        if p.kind == "spend_spike":
            fname, dcol, vcol = (("meta_ads.csv", "Reporting starts", "Amount spent (CNY)") if p.channel == "social"
                                 else ("other_media_spend.csv", "date", "spend"))
            enc = "utf-8-sig" if fname == "meta_ads.csv" else "utf-8"
            a, b = (pd.read_csv(d / fname, encoding=enc) for d in (clean, out))
            if "channel" in a:
                a, b = a[a["channel"] == p.channel], b[b["channel"] == p.channel]
            in_spike = _days(a[dcol], "%Y-%m-%d").between(start, end).to_numpy()
            assert 2 <= (end - start).days + 1 <= 3
            ratio = (b[vcol].to_numpy()[in_spike] / a[vcol].to_numpy()[in_spike])
            assert ratio.min() > SPIKE_FACTOR[0] - 0.01 and ratio.max() < SPIKE_FACTOR[1] + 0.01
            assert abs(ratio.max() - ratio.min()) < 0.05  # one factor for the spike
            assert (b[vcol].to_numpy()[~in_spike] == a[vcol].to_numpy()[~in_spike]).all()
        elif p.kind == "tracking_break":
            a, b = (pd.read_json(d / "ga4_events.jsonl", lines=True, dtype={"event_date": str}) for d in (clean, out))
            da, db = _days(a["event_date"], "%Y%m%d"), _days(b["event_date"], "%Y%m%d")
            inside_a, inside_b = da.between(start, end).sum(), db.between(start, end).sum()
            assert (end - start).days == 6 and inside_b < 0.25 * inside_a
            assert (~da.between(start, end)).sum() == (~db.between(start, end)).sum()  # other days untouched
        elif p.kind == "kpi_drop":
            a, b = (pd.read_csv(d / "shopify_orders.csv") for d in (clean, out))
            ka, kb = (_days(x["Created at"], "%Y-%m-%d").between(start, end) for x in (a, b))
            kept = b.loc[kb.to_numpy(), "Name"].nunique() / a.loc[ka.to_numpy(), "Name"].nunique()
            assert 1 - KPI_DROP[1] - 0.2 < kept < 1 - KPI_DROP[0] + 0.2
            assert len(b[~kb.to_numpy()]) == len(a[~ka.to_numpy()])
            assert set(b["Name"]) <= set(a["Name"])
        else:
            fname, dcol, fmt, enc = (("ocean_engine_report.csv", "日期", "%Y/%m/%d", "gbk") if p.channel == "douyin"
                                     else ("google_ads_campaigns.csv", "Day", "%Y-%m-%d", "utf-8"))
            a, b = (pd.read_csv(d / fname, encoding=enc, dtype=str) for d in (clean, out))
            assert _days(b[dcol], fmt).max() == start - timedelta(days=1) and p.end == doc["last_day"]
            assert len(b) == (_days(a[dcol], fmt) < start).sum()
    files = {"spend_spike": "meta_ads.csv" if by["spend_spike"].channel == "social" else "other_media_spend.csv",
             "tracking_break": "ga4_events.jsonl", "kpi_drop": "shopify_orders.csv",
             "source_stops": "ocean_engine_report.csv" if by["source_stops"].channel == "douyin"
             else "google_ads_campaigns.csv"}
    assert changed == {*files.values(), "pos_transactions.csv", "truth/anomalies.json", "truth/anomalies.csv"}
    shutil.copytree(clean, tmp_path / "zero")
    assert plant_exports(tmp_path / "zero", 0, seed=3) == []
    assert {k for k, v in _digest(tmp_path / "zero").items() if _digest(clean).get(k) != v} == {
        "truth/anomalies.json", "truth/anomalies.csv"}


def test_no_anomalies_unless_asked(clean: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["simulate", "--out", str(tmp_path / "plain"), "--customers", "500", "--weeks", "26", "--seed", "11",
          "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert "anomalies" not in doc and "anomalies.json" not in doc["truth"]
    assert not (tmp_path / "plain" / "truth" / "anomalies.json").exists()
    plain, base = _digest(tmp_path / "plain"), _digest(clean)
    assert set(base) <= set(plain)  # the CLI adds the CRM files
    assert {k: plain[k] for k in base if not k.endswith(".xlsx")} == {k: v for k, v in base.items()
                                                                      if not k.endswith(".xlsx")}
    with pytest.raises(SystemExit) as err:
        main(["simulate", "--out", str(tmp_path / "many"), "--customers", "100", "--anomalies", "13"])
    assert err.value.code == 2 and not (tmp_path / "many").exists()
    with pytest.raises(ValueError, match="between 0 and 12"):
        plant_exports(tmp_path / "plain", 13)
    with pytest.raises(ValueError, match="no simulated world"):
        plant_exports(tmp_path, 1)


def _flags(plant: dict[str, str], alert: dict[str, object]) -> bool:
    if abs((date.fromisoformat(str(alert["date"])) - date.fromisoformat(plant["start"])).days) > 3:
        return False
    if plant["kind"] == "spend_spike":
        return alert["kind"] == "anomaly" and alert["metric"] == "spend" and alert["channel"] == plant["channel"]
    if plant["kind"] == "tracking_break":
        return alert["kind"] == "anomaly" and alert["metric"] == "touchpoints"
    if plant["kind"] == "kpi_drop":
        return alert["kind"] == "anomaly" and alert["metric"] in KPI_METRICS
    return (alert["kind"] == "data" and alert["metric"] == "source_stopped"
            and f"source {STOPPED_SOURCE[plant['channel']]} " in str(alert["message"]))


def test_the_monitor_flags_each_planted_anomaly_within_3_days(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                               ) -> None:
    from omnimix.ingest.workflow import ingest_files
    from omnimix.monitor import monitor_workspace
    from omnimix.workspace import Workspace

    main(["simulate", "--out", str(tmp_path / "data"), "--customers", "3000", "--weeks", "30", "--seed", "4",
          "--anomalies", "3", "--anomaly-seed", "27", "--json"])
    plants = json.loads(capsys.readouterr().out)["anomalies"]
    assert sorted(p["kind"] for p in plants) == ["kpi_drop", "source_stops", "spend_spike"]  # the 4th kind (GA4 break): rows checked above
    ws = Workspace.init(tmp_path / "ws")
    skip = {"hubspot_contacts.csv", "pos_members.csv", "crm_stage_history.csv", "experiments.csv"}  # not monitored
    run_in = ingest_files(ws, sorted(p for p in (tmp_path / "data").iterdir() if p.is_file() and p.name not in skip))
    assert not run_in.failed
    alerts = [a.to_json() for a in monitor_workspace(ws, record=False).alerts]
    for p in plants:
        hits = [a for a in alerts if _flags(p, a)]
        assert hits, (p, [(a["kind"], a["metric"], a["channel"], a["date"]) for a in alerts])
