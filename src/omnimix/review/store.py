"""The review's memory in the app-state database: every run and every decision it made.

Tables (in the same database as the web service's users and the monitor's alerts, ``sqlite:///DIR/app.db``
by default, opened with :func:`omnimix.monitor.state.open_state`):

* ``review_runs`` — one row per review: period, when, the whole report document (JSON) and its files;
* ``review_decisions`` — one row per channel and run: decision, basis, reasons (en, zh-CN), the marginal
  ROI interval, threshold and the period's spend.

The next period's review reads the latest run of the period before it to say what followed each
decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from omnimix.monitor.state import open_state, utc_now


class _Base(DeclarativeBase):
    pass


class RunRow(_Base):
    __tablename__ = "review_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)
    doc: Mapped[dict[str, Any]] = mapped_column(JSON)
    files: Mapped[list[str]] = mapped_column(JSON, default=list)


class DecisionRow(_Base):
    __tablename__ = "review_decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("review_runs.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(16), index=True)
    channel: Mapped[str] = mapped_column(String(128))
    decision: Mapped[str] = mapped_column(String(8))
    basis: Mapped[str] = mapped_column(String(32))
    reason_en: Mapped[str] = mapped_column(Text)
    reason_zh: Mapped[str] = mapped_column(Text)
    mroi_mean: Mapped[float | None] = mapped_column(Float, nullable=True)
    mroi_lo: Mapped[float | None] = mapped_column(Float, nullable=True)
    mroi_hi: Mapped[float | None] = mapped_column(Float, nullable=True)
    threshold: Mapped[float] = mapped_column(Float)
    spend: Mapped[float] = mapped_column(Float, default=0.0)


def _decision_json(r: DecisionRow) -> dict[str, Any]:
    m = None if r.mroi_mean is None else {"mean": r.mroi_mean, "lo": r.mroi_lo, "hi": r.mroi_hi}
    return {"run_id": r.run_id, "period": r.period, "channel": r.channel, "decision": r.decision,
            "basis": r.basis, "reason_en": r.reason_en, "reason_zh": r.reason_zh, "mroi": m,
            "threshold": r.threshold, "spend": r.spend}


class ReviewStore:
    """Reads and writes of ``review_runs`` and ``review_decisions`` (created on first use)."""

    def __init__(self, url: str) -> None:
        self.engine, self._session = open_state(url, _Base.metadata, "review-state")

    def session(self) -> Session:
        return self._session()

    def record(self, period: str, doc: dict[str, Any], files: Sequence[str],
               decisions: Sequence[dict[str, Any]], spend: dict[str, float]) -> int:
        """Store one run and its decisions (each a :meth:`Decision.record() <omnimix.review.decision.Decision.record>`);
        returns the run id."""
        with self.session() as s, s.begin():
            run = RunRow(period=period, doc=doc, files=list(files))
            s.add(run)
            s.flush()
            for d in decisions:
                m = d.get("mroi") or {}
                s.add(DecisionRow(run_id=run.id, period=period, channel=d["channel"], decision=d["decision"],
                                  basis=d["basis"], reason_en=d["reason_en"], reason_zh=d["reason_zh"],
                                  mroi_mean=m.get("mean"), mroi_lo=m.get("lo"), mroi_hi=m.get("hi"),
                                  threshold=float(d["threshold"]), spend=float(spend.get(d["channel"], 0.0))))
            return int(run.id)

    def update_files(self, run_id: int, files: Sequence[str], doc: dict[str, Any]) -> None:
        """Set a run's files and document (after the report is written)."""
        with self.session() as s, s.begin():
            row = s.get(RunRow, run_id)
            if row is not None:
                row.files, row.doc = list(files), doc

    def decisions(self, period: str) -> list[dict[str, Any]]:
        """The decisions of the latest run for ``period`` (empty when it was never reviewed)."""
        with self.session() as s:
            run_id = s.scalar(select(RunRow.id).where(RunRow.period == period).order_by(RunRow.id.desc()).limit(1))
            if run_id is None:
                return []
            rows = s.scalars(select(DecisionRow).where(DecisionRow.run_id == run_id).order_by(DecisionRow.channel))
            return [_decision_json(r) for r in rows]

    def latest(self, period: str | None = None) -> dict[str, Any] | None:
        """The document of the latest run (of ``period`` when given), with ``run_id`` and ``created_at``."""
        q = select(RunRow).order_by(RunRow.id.desc()).limit(1)
        if period is not None:
            q = q.where(RunRow.period == period)
        with self.session() as s:
            row = s.scalar(q)
            if row is None:
                return None
            return {**row.doc, "run_id": row.id, "created_at": row.created_at.isoformat(), "files": row.files}

    def runs(self, limit: int = 24) -> list[dict[str, Any]]:
        """Past runs, newest first: id, period, created_at, the decision counts."""
        with self.session() as s:
            out = []
            for r in s.scalars(select(RunRow).order_by(RunRow.id.desc()).limit(limit)):
                counts: dict[str, int] = {}
                for ch in (r.doc.get("decisions") or []):
                    counts[ch["decision"]] = counts.get(ch["decision"], 0) + 1
                out.append({"run_id": r.id, "period": r.period, "created_at": r.created_at.isoformat(),
                            "counts": counts, "files": r.files})
            return out
