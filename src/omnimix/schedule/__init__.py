"""Scheduled jobs: ingest watch folders, monitoring, MMM refits and reviews on a cron schedule (issue #19).

``Scheduler("ws")`` reads ``[[schedule.jobs]]`` from omnimix.toml and hosts them on APScheduler 3
(cron triggers in the workspace's time zone, one run of a job at a time, a busy warehouse skips the
run); every run is recorded in the app-state database (``schedule_runs``). ``omnimix schedule`` runs
it in the foreground, ``omnimix serve --schedule`` inside the dashboard. docs/schedule.md has the details.
"""

from __future__ import annotations

from omnimix.schedule.jobs import KINDS, JobContext, JobFailed, Skipped
from omnimix.schedule.scheduler import Scheduler, cron_trigger, next_fire
from omnimix.schedule.store import JobRun, RunStore

__all__: list[str] = ["KINDS", "JobContext", "JobFailed", "JobRun", "RunStore", "Scheduler", "Skipped", "cron_trigger",
                      "next_fire"]
