"""The scheduler: ``[[schedule.jobs]]`` on APScheduler 3 cron triggers, with a run history.

:class:`Scheduler` turns a workspace's jobs into APScheduler jobs (``CronTrigger`` in the job's or the
workspace's time zone, ``max_instances=1``, ``coalesce=True``, ``misfire_grace_time`` from
``[schedule] misfire_grace_s``) and runs each through :meth:`Scheduler.run`, which

1. takes the job's file lock ``DIR/.omnimix-locks/JOB.lock`` without waiting — a second run of the same
   job, from this process or another (``omnimix schedule --once`` while ``omnimix serve --schedule``
   runs), is recorded as ``skipped``;
2. probes the warehouse for up to ``[schedule] lock_wait_s`` seconds (another ``omnimix ingest``, a
   refit or the dashboard holding it) — still busy: ``skipped`` with the reason;
3. runs the job's kind (:data:`omnimix.schedule.jobs.KINDS`) and records ``ok`` or ``failed`` with the
   message. Nothing a job raises reaches APScheduler: the scheduler keeps going.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from omnimix.config import ScheduleJob, cron_fields
from omnimix.errors import OmnimixError, UsageError, WarehouseBusy
from omnimix.schedule.jobs import KINDS, READ_ONLY, JobContext, JobFailed, JobFn, Skipped
from omnimix.schedule.store import JobRun, RunStore, default_url
from omnimix.workspace import Workspace

log = logging.getLogger("omnimix")
LOCK_DIR = ".omnimix-locks"


def cron_trigger(job: ScheduleJob, default_zone: str) -> Any:
    """The APScheduler ``CronTrigger`` of a job (crontab semantics, see :func:`omnimix.config.cron_fields`)."""
    from apscheduler.triggers.cron import CronTrigger

    return CronTrigger(**cron_fields(job.cron), timezone=ZoneInfo(job.timezone or default_zone))


def next_fire(job: ScheduleJob, default_zone: str, after: datetime) -> datetime | None:
    """The first time at or after ``after`` (aware) that the job's cron fires, in the job's zone."""
    fire: datetime | None = cron_trigger(job, default_zone).get_next_fire_time(None, after)
    return fire


class Scheduler:
    """A workspace's scheduled jobs: list them, run one, run what is due, or host them on APScheduler.

    Args:
        workspace: a :class:`~omnimix.workspace.Workspace` or its directory.
        state_url: app-state database for the run history (default ``sqlite:///DIR/app.db``).
        executor: ``thread`` (jobs in threads of this process) or ``process`` (each run in a fresh
            spawned process: what ``omnimix serve --schedule`` uses, so a job never shares the
            dashboard's read handle of the warehouse).
        kinds: replaces job kinds' functions (tests, extensions); default :data:`~omnimix.schedule.jobs.KINDS`.
    """

    def __init__(self, workspace: Workspace | str | Path, *, state_url: str | None = None,
                 executor: str = "thread", kinds: Mapping[str, JobFn] | None = None) -> None:
        if executor not in ("thread", "process"):
            raise UsageError(f"executor {executor!r} is unknown: use thread or process")
        w = Workspace.of(workspace)
        self.workspace = Workspace(w.root.resolve(), w.config)
        self.config = self.workspace.config.schedule
        self.zone = self.workspace.config.workspace.timezone
        self.state_url = state_url or default_url(self.workspace.root)
        self.store = RunStore(self.state_url)
        self.executor = executor
        self.kinds: dict[str, JobFn] = {**KINDS, **(kinds or {})}
        self.jobs: dict[str, ScheduleJob] = {j.name: j for j in self.config.jobs}
        self._aps: Any = None

    # ------------------------------------------------------------------ inspection
    def job(self, name: str) -> ScheduleJob:
        """A job by name.

        Raises:
            UsageError: no such job (lists the configured ones).
        """
        if name not in self.jobs:
            known = ", ".join(self.jobs) or "none: add [[schedule.jobs]] to omnimix.toml (docs/schedule.md)"
            raise UsageError(f"no scheduled job named {name!r}; configured: {known}")
        return self.jobs[name]

    def listing(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Every job with its next run time (ISO, in the job's zone; None when disabled) and last run."""
        at = now or datetime.now(UTC)
        out = []
        for j in self.jobs.values():
            fire = next_fire(j, self.zone, at) if j.enabled else None
            last = self.store.last(j.name)
            out.append({"name": j.name, "kind": j.kind, "cron": j.cron, "timezone": j.timezone or self.zone,
                        "enabled": j.enabled, "next_run": fire.isoformat() if fire else None,
                        "last_run": last.to_json() if last else None})
        return out

    # ------------------------------------------------------------------ running
    def run(self, name: str, trigger: str = "once") -> JobRun:
        """Run one job now (disabled ones too) and record the run; never raises for the job's own failure."""
        from filelock import FileLock, Timeout

        job = self.job(name)
        run_id = self.store.start(job.name, job.kind, trigger)
        lock_dir = self.workspace.root / LOCK_DIR
        lock_dir.mkdir(exist_ok=True)
        lock = FileLock(str(lock_dir / f"{job.name}.lock"), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            log.info("scheduled job %s skipped: already running", job.name)
            return self.store.finish(run_id, "skipped", f"job {job.name!r} is already running (another run "
                                     "holds its lock); this run was skipped")
        try:
            status, message = self._execute(job)
        finally:
            lock.release()
        level = logging.ERROR if status == "failed" else logging.INFO
        log.log(level, "scheduled job %s (%s): %s: %s", job.name, job.kind, status, message)
        return self.store.finish(run_id, status, message)

    def _execute(self, job: ScheduleJob) -> tuple[str, str]:
        ws = self.workspace
        try:
            if ws.exists:
                con = ws.connect(read_only=job.kind in READ_ONLY, wait=self.config.lock_wait_s)
                con.close()
            return "ok", self.kinds[job.kind](ws, job, JobContext(self.state_url))
        except WarehouseBusy as exc:
            return "skipped", f"warehouse locked: {exc}"
        except Skipped as exc:
            return "skipped", str(exc)
        except (JobFailed, OmnimixError) as exc:
            return "failed", str(exc)
        except Exception as exc:  # a job's failure is recorded, never raised into the scheduler
            log.debug("scheduled job %s failed", job.name, exc_info=True)
            first = str(exc).strip() or repr(exc)
            return "failed", f"{type(exc).__name__}: {first}"

    def due(self, now: datetime | None = None) -> list[str]:
        """Enabled jobs with a cron time since their last run (never run: within the misfire grace)."""
        at = now or datetime.now(UTC)
        out = []
        for j in self.jobs.values():
            if not j.enabled:
                continue
            last = self.store.last(j.name)
            ref = (last.started.replace(tzinfo=UTC) + timedelta(seconds=1) if last
                   else at - timedelta(seconds=self.config.misfire_grace_s))
            fire = next_fire(j, self.zone, ref)
            if fire is not None and fire <= at:
                out.append(j.name)
        return out

    def run_pending(self, now: datetime | None = None) -> list[JobRun]:
        """Run every job that is :meth:`due` once (for a system cron calling ``--run-pending``)."""
        return [self.run(name, trigger="pending") for name in self.due(now)]

    # ------------------------------------------------------------------ hosting on APScheduler
    def build(self, blocking: bool = False) -> Any:
        """An APScheduler scheduler holding every enabled job (not started)."""
        from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent
        from apscheduler.executors.pool import ProcessPoolExecutor, ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.schedulers.blocking import BlockingScheduler

        if self.executor == "process":
            import multiprocessing

            pool = ProcessPoolExecutor(max(1, len(self.jobs)), pool_kwargs={
                "mp_context": multiprocessing.get_context("spawn"), "max_tasks_per_child": 1})
        else:
            pool = ThreadPoolExecutor(max(1, len(self.jobs)))
        cls = BlockingScheduler if blocking else BackgroundScheduler
        aps = cls(executors={"default": pool}, timezone=ZoneInfo(self.zone))
        for j in self.jobs.values():
            if not j.enabled:
                continue
            if self.executor == "process":
                func: Any = execute_job
                args: list[Any] = [str(self.workspace.root), j.name, self.state_url, "cron"]
            else:
                func, args = self.run, [j.name, "cron"]
            aps.add_job(func, cron_trigger(j, self.zone), args=args, id=j.name, name=j.name, replace_existing=True,
                        max_instances=1, coalesce=True, misfire_grace_time=self.config.misfire_grace_s)

        def missed(event: JobEvent) -> None:
            job = self.jobs.get(event.job_id)
            if job is None:
                return
            why = ("the previous run was still going (max_instances=1)" if event.code == EVENT_JOB_MAX_INSTANCES
                   else f"missed by more than misfire_grace_s = {self.config.misfire_grace_s} s")
            times = getattr(event, "scheduled_run_times", None) or [getattr(event, "scheduled_run_time", None)]
            rid = self.store.start(job.name, job.kind, "cron")
            self.store.finish(rid, "skipped", f"run due {times[0]} skipped: {why}")

        aps.add_listener(missed, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)
        return aps

    @property
    def running(self) -> bool:
        """Whether the hosted (background) scheduler is running."""
        return self._aps is not None and bool(self._aps.running)

    @property
    def aps(self) -> Any:
        """The hosted APScheduler scheduler (None before :meth:`start`)."""
        return self._aps

    def start(self) -> None:
        """Start the jobs in a background scheduler (``omnimix serve --schedule``)."""
        if self.running:
            return
        self._aps = self.build(blocking=False)
        self._aps.start()
        log.info("scheduler started: %s", ", ".join(j for j in self.jobs if self.jobs[j].enabled) or "no jobs")

    def shutdown(self, wait: bool = True) -> None:
        """Stop the background scheduler (waits for running jobs when ``wait``)."""
        if self._aps is not None and self._aps.running:
            self._aps.shutdown(wait=wait)
            log.info("scheduler stopped")

    def run_forever(self, ready: Callable[[], None] | None = None) -> None:
        """Run the jobs in a blocking scheduler until interrupted (``omnimix schedule``): Ctrl-C or
        SIGTERM stop it after the running jobs finish. ``ready`` is called once it is about to start.

        Raises:
            UsageError: no enabled job.
        """
        if not any(j.enabled for j in self.jobs.values()):
            raise UsageError("no enabled job in [schedule]: add [[schedule.jobs]] to omnimix.toml "
                             "(docs/schedule.md proposes ingest, monitor, review and refit jobs)")
        import signal
        import threading

        self._aps = self.build(blocking=True)
        previous = None
        if threading.current_thread() is threading.main_thread():
            def stop(signum: int, frame: object) -> None:
                raise SystemExit(0)

            previous = signal.signal(signal.SIGTERM, stop)  # a service manager's stop: finish like Ctrl-C
        try:
            if ready is not None:
                ready()
            self._aps.start()
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            if self._aps.running:
                self._aps.shutdown(wait=True)
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)


def execute_job(root: str, name: str, state_url: str, trigger: str) -> dict[str, Any]:
    """Run one job of the workspace at ``root`` (the picklable entry point of the process executor)."""
    return Scheduler(root, state_url=state_url).run(name, trigger).to_json()
