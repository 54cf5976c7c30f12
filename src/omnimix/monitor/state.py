"""Alert state in the app-state database: deduplication, acknowledge/resolve, delivery history.

The same SQLAlchemy database as the web service's users and audit log (``sqlite:///DIR/app.db`` by
default, or a PostgreSQL URL), with tables of its own: ``monitor_alerts`` (one row per distinct alert
key with its status ``open``/``acked``/``resolved``), ``monitor_deliveries`` (every delivery attempt's
outcome) and ``monitor_kv`` (what the monitor remembers between runs, e.g. the last MMM's ROI).
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, ForeignKey, Integer, String, Text, create_engine, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from omnimix.errors import UsageError
from omnimix.monitor.alerts import KINDS, Alert

STATUSES = ("open", "acked", "resolved")


def utc_now() -> datetime:
    """Now in UTC without a zone: what the app-state tables' ``DateTime`` columns store."""
    return datetime.now(UTC).replace(tzinfo=None)


class _Base(DeclarativeBase):
    pass


class AlertRow(_Base):
    __tablename__ = "monitor_alerts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(400), unique=True, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    metric: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(128), nullable=True)
    day: Mapped[str] = mapped_column(String(10), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    first_seen: Mapped[datetime] = mapped_column(DateTime, default=utc_now)
    last_seen: Mapped[datetime] = mapped_column(DateTime, default=utc_now)
    seen: Mapped[int] = mapped_column(Integer, default=1)
    acked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    acked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class DeliveryRow(_Base):
    __tablename__ = "monitor_deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("monitor_alerts.id", ondelete="CASCADE"), index=True)
    target: Mapped[str] = mapped_column(String(400))
    ok: Mapped[bool] = mapped_column(default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)


class KVRow(_Base):
    __tablename__ = "monitor_kv"
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)


def default_url(workspace: str | Path) -> str:
    """``sqlite:///DIR/app.db``, the web service's default app-state database (also the scheduler's)."""
    return f"sqlite:///{Path(workspace).resolve() / 'app.db'}"


def open_state(url: str, metadata: Any, what: str) -> tuple[Engine, sessionmaker[Session]]:
    """An engine on the app-state database ``url`` with ``metadata``'s tables created, and its sessions.

    SQLite connections may cross threads (the scheduler's and the server's) and wait 30 s on a lock.
    Any failure is a :class:`~omnimix.errors.UsageError` naming ``what`` and the URL.
    """
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    try:
        engine = create_engine(url, **kwargs)
        metadata.create_all(engine)
    except Exception as exc:  # SQLAlchemy raises many types; name the URL
        raise UsageError(f"cannot open the {what} database {url!r}: {exc}") from exc
    return engine, sessionmaker(engine, expire_on_commit=False)


def _payload(a: Alert) -> dict[str, Any]:
    out = a.to_json()
    if a.trace is not None:
        out["trace"] = a.trace
    if a.detail is not None:
        out["detail"] = a.detail
    return out


def _row_json(r: AlertRow) -> dict[str, Any]:
    return {**r.payload, "id": r.id, "status": r.status, "first_seen": r.first_seen.isoformat(),
            "last_seen": r.last_seen.isoformat(), "seen": r.seen, "acked_by": r.acked_by,
            "resolved_at": r.resolved_at.isoformat() if r.resolved_at else None, "note": r.note}


class AlertStore:
    """Reads and writes of the monitor's tables (created on first use)."""

    def __init__(self, url: str) -> None:
        self.engine, self._session = open_state(url, _Base.metadata, "alert-state")

    def session(self) -> Session:
        return self._session()

    def record(self, alerts: Sequence[Alert]) -> list[tuple[int, Alert]]:
        """Store a run's alerts; return the new ones (key not seen before, or seen only as resolved).

        An alert already open or acknowledged is a duplicate: its ``last_seen`` and ``seen`` count move,
        nothing is delivered again.
        """
        new: list[tuple[int, Alert]] = []
        with self.session() as s, s.begin():
            for a in alerts:
                row = s.scalar(select(AlertRow).where(AlertRow.key == a.key))
                if row is None:
                    row = AlertRow(key=a.key, kind=a.kind, metric=a.metric, channel=a.channel, day=a.date,
                                   severity=a.severity, message=a.message, payload=_payload(a))
                    s.add(row)
                    s.flush()
                    new.append((row.id, a))
                elif row.status == "resolved":
                    row.status, row.resolved_at, row.last_seen = "open", None, utc_now()
                    row.seen += 1
                    row.payload, row.message, row.severity = _payload(a), a.message, a.severity
                    new.append((row.id, a))
                else:
                    row.last_seen = utc_now()
                    row.seen += 1
        return new

    def _set(self, alert_id: int, status: str, who: str, note: str | None) -> dict[str, Any]:
        with self.session() as s, s.begin():
            row = s.get(AlertRow, alert_id)
            if row is None:
                raise UsageError(f"no alert with id {alert_id}; list them with `omnimix alerts list`")
            row.status = status
            if status == "acked":
                row.acked_by, row.acked_at = who, utc_now()
            if status == "resolved":
                row.resolved_at = utc_now()
            if note:
                row.note = note
            return _row_json(row)

    def acknowledge(self, alert_id: int, who: str = "", note: str | None = None) -> dict[str, Any]:
        """Mark an alert acknowledged (it stays deduplicated)."""
        return self._set(alert_id, "acked", who, note)

    def resolve(self, alert_id: int, who: str = "", note: str | None = None) -> dict[str, Any]:
        """Mark an alert resolved (the same key alerting again reopens it and is delivered)."""
        return self._set(alert_id, "resolved", who, note)

    def list(self, status: str | None = None, limit: int = 200, *, kind: str | None = None, offset: int = 0,
             trace: bool = True) -> list[dict[str, Any]]:
        """Alerts, newest first; ``status`` (open, acked, resolved) and ``kind`` filter; ``trace=False``
        leaves out the anomalies' series traces."""
        q = self._filtered(select(AlertRow), status, kind)
        q = q.order_by(AlertRow.day.desc(), AlertRow.id.desc()).offset(offset).limit(limit)
        with self.session() as s:
            rows = [_row_json(r) for r in s.scalars(q)]
        if not trace:
            for r in rows:
                r.pop("trace", None)
        return rows

    def count(self, status: str | None = None, kind: str | None = None) -> int:
        """How many alerts :meth:`list` would page through."""
        q = self._filtered(select(func.count()).select_from(AlertRow), status, kind)
        with self.session() as s:
            return int(s.scalar(q) or 0)

    def one(self, alert_id: int) -> dict[str, Any] | None:
        """One alert by id, or None."""
        with self.session() as s:
            row = s.get(AlertRow, alert_id)
            return _row_json(row) if row is not None else None

    @staticmethod
    def _filtered(q: Any, status: str | None, kind: str | None) -> Any:
        if status is not None and status not in STATUSES:
            raise UsageError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
        if kind is not None and kind not in KINDS:
            raise UsageError(f"unknown alert kind {kind!r}; use one of {', '.join(KINDS)}")
        if status is not None:
            q = q.where(AlertRow.status == status)
        if kind is not None:
            q = q.where(AlertRow.kind == kind)
        return q

    def log_delivery(self, alert_ids: Sequence[int], target: str, ok: bool, attempts: int,
                     error: str | None) -> None:
        with self.session() as s, s.begin():
            for i in alert_ids:
                s.add(DeliveryRow(alert_id=i, target=target, ok=ok, attempts=attempts, error=error))

    def deliveries(self, alert_id: int | None = None) -> builtins.list[dict[str, Any]]:
        q = select(DeliveryRow).order_by(DeliveryRow.id)
        if alert_id is not None:
            q = q.where(DeliveryRow.alert_id == alert_id)
        with self.session() as s:
            return [{"alert_id": r.alert_id, "target": r.target, "ok": r.ok, "attempts": r.attempts,
                     "error": r.error, "at": r.at.isoformat()} for r in s.scalars(q)]

    def get(self, key: str) -> dict[str, Any] | None:
        with self.session() as s:
            row = s.get(KVRow, key)
            return dict(row.value) if row is not None else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        with self.session() as s, s.begin():
            row = s.get(KVRow, key)
            if row is None:
                s.add(KVRow(key=key, value=value))
            else:
                row.value = value
