"""Run history of scheduled jobs in the app-state database.

The same SQLAlchemy database as the dashboard's users and the monitor's alert state
(``sqlite:///DIR/app.db`` by default, or a PostgreSQL URL), with a table of its own:
``schedule_runs`` — one row per run (job name, kind, start, end, status ``running``/``ok``/``failed``/
``skipped``, message, and what started it: ``cron``, ``once`` or ``pending``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, Text, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from omnimix.errors import UsageError
from omnimix.monitor.state import default_url as default_url  # re-exported: the scheduler's default
from omnimix.monitor.state import open_state, utc_now

STATUSES = ("running", "ok", "failed", "skipped")


class _Base(DeclarativeBase):
    pass


class RunRow(_Base):
    __tablename__ = "schedule_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    trigger: Mapped[str] = mapped_column(String(16), default="cron")
    started: Mapped[datetime] = mapped_column(DateTime, default=utc_now, index=True)
    ended: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="running", index=True)
    message: Mapped[str] = mapped_column(Text, default="")


@dataclass(frozen=True)
class JobRun:
    """One recorded run (times are UTC).

    Attributes:
        id: row id; job, kind: the job's name and kind; trigger: ``cron``, ``once`` or ``pending``;
        started, ended: UTC times (``ended`` None while running); status: running, ok, failed or
        skipped; message: what it did, or why it failed or was skipped.
    """

    id: int
    job: str
    kind: str
    trigger: str
    started: datetime
    ended: datetime | None
    status: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "job": self.job, "kind": self.kind, "trigger": self.trigger,
                "started": self.started.isoformat() + "Z",
                "ended": self.ended.isoformat() + "Z" if self.ended else None,
                "status": self.status, "message": self.message}


def _run(r: RunRow) -> JobRun:
    return JobRun(r.id, r.job, r.kind, r.trigger, r.started, r.ended, r.status, r.message)


class RunStore:
    """Reads and writes of ``schedule_runs`` (created on first use)."""

    def __init__(self, url: str) -> None:
        self.engine, self._session = open_state(url, _Base.metadata, "app-state")

    def session(self) -> Session:
        return self._session()

    def start(self, job: str, kind: str, trigger: str) -> int:
        """Record a run as started; return its id."""
        with self.session() as s, s.begin():
            row = RunRow(job=job, kind=kind, trigger=trigger, started=utc_now(), status="running", message="")
            s.add(row)
            s.flush()
            return row.id

    def finish(self, run_id: int, status: str, message: str) -> JobRun:
        """Close a run with its status (ok, failed, skipped) and message."""
        if status not in STATUSES[1:]:
            raise ValueError(f"unknown run status {status!r}")
        with self.session() as s, s.begin():
            row = s.get(RunRow, run_id)
            if row is None:
                raise UsageError(f"no scheduled run with id {run_id}")
            row.ended, row.status, row.message = utc_now(), status, message[:4000]
            return _run(row)

    def runs(self, job: str | None = None, limit: int = 50) -> list[JobRun]:
        """Runs, newest first; ``job`` filters by name."""
        q = select(RunRow).order_by(RunRow.id.desc()).limit(limit)
        if job is not None:
            q = q.where(RunRow.job == job)
        with self.session() as s:
            return [_run(r) for r in s.scalars(q)]

    def last(self, job: str) -> JobRun | None:
        """The newest run of a job, if any."""
        rows = self.runs(job, limit=1)
        return rows[0] if rows else None
