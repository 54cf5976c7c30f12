"""Cron lines: crontab semantics on APScheduler, validation errors naming job and field, next runs by zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from omnimix.config import ScheduleJob, cron_fields, parse_config
from omnimix.errors import ConfigError
from omnimix.schedule import Scheduler, next_fire
from tests.schedule.helpers import job, make_ws

_RANGES = {"minute": (0, 59), "hour": (0, 23), "day": (1, 31), "month": (1, 12), "day_of_week": (0, 7)}
_NAMES = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}


def _expand(field: str, text: str) -> set[int]:
    """A naive crontab field expander (cron's own numbering: day of week 0 and 7 are Sunday)."""
    lo_all, hi_all = _RANGES[field]
    out: set[int] = set()
    for part in text.split(","):
        base, _, step = part.partition("/")
        if base == "*":
            lo, hi = lo_all, hi_all
        elif "-" in base:
            a, b = base.split("-")
            lo, hi = _NAMES.get(a, None) if a in _NAMES else int(a), _NAMES[b] if b in _NAMES else int(b)
        else:
            lo = _NAMES[base] if base in _NAMES else int(base)
            hi = hi_all if step else lo
        out.update(range(lo, hi + 1, int(step) if step else 1))
    if field == "day_of_week":
        out = {d % 7 for d in out}
    return out


def _matches(expr: str, t: datetime) -> bool:
    f = dict(zip(_RANGES, expr.split(), strict=True))
    cron_dow = (t.weekday() + 1) % 7  # Python Monday 0 → cron Monday 1, Sunday 0
    return (t.minute in _expand("minute", f["minute"]) and t.hour in _expand("hour", f["hour"])
            and t.day in _expand("day", f["day"]) and t.month in _expand("month", f["month"])
            and cron_dow in _expand("day_of_week", f["day_of_week"]))


@pytest.mark.parametrize("expr", ["0 8 * * 0", "30 7 * * 1-5", "*/20 9-10 * * 7", "0 0 * * */2", "15 6 * * 5-7",
                                  "0 12 * * sat,sun", "0 8 1 * *", "5 */6 * * *", "0 3 1 1,4,7,10 *"])
def test_fire_times_match_a_brute_force_crontab(expr: str) -> None:
    zone = ZoneInfo("Asia/Shanghai")
    start = datetime(2026, 1, 1, tzinfo=zone)
    end = start + timedelta(days=21) if "1,4,7,10" not in expr else start + timedelta(days=400)
    j = ScheduleJob(name="t", kind="monitor", cron=expr)
    got = []
    t = next_fire(j, "Asia/Shanghai", start)
    while t is not None and t < end:
        got.append(t.replace(tzinfo=None))
        t = next_fire(j, "Asia/Shanghai", t + timedelta(seconds=1))
    step = timedelta(minutes=1) if "1,4,7,10" not in expr else timedelta(hours=1)
    want = []
    m = start.replace(tzinfo=None)
    while m < end.replace(tzinfo=None):
        if _matches(expr, m):
            want.append(m)
        m += step
    assert got == want and got


def test_crontab_weekday_numbers_are_cron_not_apscheduler() -> None:
    # APScheduler 3 reads 0 as Monday; omnimix passes cron's meaning (0 = 7 = Sunday) as names
    assert cron_fields("0 8 * * 0")["day_of_week"] == "sun"
    assert cron_fields("0 8 * * 7")["day_of_week"] == "sun"
    assert cron_fields("0 8 * * 1-5")["day_of_week"] == "mon,tue,wed,thu,fri"
    assert cron_fields("0 8 * * 0-6")["day_of_week"] == "*"


@pytest.mark.parametrize(("cron", "field", "allowed"), [
    ("0 25 * * *", "field hour = '25'", "0-23"),
    ("61 * * * *", "field minute = '61'", "0-59"),
    ("0 8 32 * *", "field day = '32'", "1-31"),
    ("0 8 * 13 *", "field month = '13'", "1-12"),
    ("0 8 * * 8", "field day_of_week = '8'", "0-7"),
    ("x 8 * * *", "field minute = 'x'", "0-59"),
])
def test_a_bad_field_is_named_with_its_job(cron: str, field: str, allowed: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"schedule": {"jobs": [job("ok"), job("daily-monitor", cron=cron)]}})
    text = str(err.value)
    assert "1 problem(s)" in text
    assert f"schedule.jobs.1: job 'daily-monitor': cron '{cron}': {field} is invalid" in text
    assert f"allowed: {allowed}" in text


def test_other_schedule_problems_are_all_reported() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"schedule": {"lock_wait_s": -1, "jobs": [
            job("a", cron="0 8 * *"), job("b", cron="0 8 1 * mon"), job("c", kind="backup"),
            job("d", timezone="Mars/Olympus"), job("e", colour="red")]}})
    text = str(err.value)
    assert "5 problem(s)" in text or "6 problem(s)" in text
    assert "job 'a': cron '0 8 * *': a crontab line has 5 fields" in text and "this has 4" in text
    assert "job 'b'" in text and "not both" in text
    assert "schedule.jobs.2.kind" in text
    assert "schedule.jobs.3.timezone: unknown time zone 'Mars/Olympus'" in text
    assert "schedule.jobs.4.colour: unknown key" in text
    assert "schedule.lock_wait_s" in text
    with pytest.raises(ConfigError, match="names must be unique; repeated: a"):
        parse_config({"schedule": {"jobs": [job("a"), job("a", kind="ingest")]}})


def test_next_runs_are_in_the_workspace_zone_or_the_jobs(tmp_path: Path) -> None:
    ws = make_ws(tmp_path / "ws", [job("monitor", cron="0 7 * * *"), job("ny", cron="0 7 * * *",
                                   timezone="America/New_York"), job("off", enabled=False)])
    sched = Scheduler(ws)
    now = datetime(2026, 3, 7, 12, 30, tzinfo=UTC)  # 20:30 in Shanghai, 07:30 EST: the day before DST starts
    rows = {r["name"]: r for r in sched.listing(now)}
    assert rows["monitor"]["next_run"] == "2026-03-08T07:00:00+08:00"
    assert rows["monitor"]["timezone"] == "Asia/Shanghai"
    assert rows["ny"]["next_run"] == "2026-03-08T07:00:00-04:00"  # EDT from 2026-03-08 02:00
    assert rows["off"]["next_run"] is None and rows["off"]["enabled"] is False
    assert rows["monitor"]["last_run"] is None
    before = datetime(2026, 3, 7, 22, 59, tzinfo=UTC)  # 06:59 in Shanghai
    assert next_fire(ws.config.schedule.jobs[0], "Asia/Shanghai", before) == datetime(
        2026, 3, 8, 7, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_the_written_config_keeps_the_jobs_and_proposes_defaults_commented(tmp_path: Path) -> None:
    ws = make_ws(tmp_path / "ws", [job("m", cron="*/5 * * * *", lang="en")], lock_wait_s=2.0)
    text = (ws.root / "omnimix.toml").read_text(encoding="utf-8")
    assert "[[schedule.jobs]]\nname = 'm'\nkind = 'monitor'\ncron = '*/5 * * * *'" in text
    assert "# cron = '*/15 * * * *'" in text and "# cron = '0 7 * * *'" in text
    assert ws.config.schedule.lock_wait_s == 2.0 and ws.config.schedule.jobs[0].lang == "en"
    assert [j.name for j in make_ws(tmp_path / "empty", []).config.schedule.jobs] == []  # nothing enabled unwritten
