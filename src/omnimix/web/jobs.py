"""Background jobs with progress (optimizer runs) on a small thread pool.

A job moves ``queued → running → succeeded | failed`` and reports ``progress`` in [0, 1] with a
``stage`` label. Jobs live in memory (the server process); results worth keeping are saved as
scenarios in the app state.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator

from omnimix.curves import ResponseCurves
from omnimix.errors import OmnimixError

log = logging.getLogger("omnimix")

OBJECTIVES: tuple[str, ...] = ("kpi", "profit")


class ChannelBounds(BaseModel):
    """Per-channel spend limits for a scenario (absolute amounts in the workspace currency)."""

    min: float | None = Field(None, ge=0)
    max: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _order(self) -> ChannelBounds:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}: swap them")
        return self


class ScenarioSpec(BaseModel):
    """What the Budget page's scenario builder sends.

    Attributes:
        name: label shown when comparing scenarios.
        budget: total budget for the period, > 0.
        reserve: share of the budget set aside as the test-and-innovation fund, in [0, 0.9).
        objective: ``kpi`` (maximise expected KPI) or ``profit`` (KPI − spend).
        channels: optional per-channel min/max; a side given replaces that side of the guardrail.
        guardrails: keep every channel within ±30% of current spend and hold channels the MMM marks
            weak or conflicting at current spend (as ``omnimix optimize --workspace``).
        release: channels the guardrails would hold that are planned anyway.
    """

    name: str = Field("scenario", min_length=1, max_length=200)
    budget: float = Field(gt=0, le=1e15)
    reserve: float = Field(0.1, ge=0, lt=0.9)
    objective: str = "kpi"
    channels: dict[str, ChannelBounds] = Field(default_factory=dict)
    guardrails: bool = True
    release: list[str] = Field(default_factory=list, max_length=200)

    @field_validator("objective")
    @classmethod
    def _objective(cls, v: str) -> str:
        if v not in OBJECTIVES:
            raise ValueError(f"objective {v!r}: use one of {', '.join(OBJECTIVES)}")
        return v


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Job:
    """One background job; ``to_dict`` is what the API answers."""

    id: str
    kind: str
    owner: str
    spec: dict[str, Any]
    status: str = "queued"
    progress: float = 0.0
    stage: str = "queued"
    result: dict[str, Any] | None = None
    error: str | None = None
    created_at: str = field(default_factory=_now)
    finished_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "owner": self.owner,
            "spec": self.spec,
            "status": self.status,
            "progress": self.progress,
            "stage": self.stage,
            "result": self.result,
            "error": self.error,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
        }


Progress = Callable[[float, str], None]


class JobManager:
    """Runs jobs on ``workers`` threads and keeps the last ``keep`` of them."""

    def __init__(self, workers: int = 2, keep: int = 200) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="omnimix-job")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._keep = keep

    def submit(
        self, kind: str, owner: str, spec: dict[str, Any], fn: Callable[[Progress], dict[str, Any]]
    ) -> Job:
        job = Job(id=uuid.uuid4().hex[:16], kind=kind, owner=owner, spec=spec)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > self._keep:
                oldest = next(iter(self._jobs))
                if self._jobs[oldest].status in ("queued", "running"):
                    break
                self._jobs.pop(oldest)
        self._pool.submit(self._run, job, fn)
        return job

    def _run(self, job: Job, fn: Callable[[Progress], dict[str, Any]]) -> None:
        def progress(p: float, stage: str) -> None:
            with self._lock:
                job.progress = max(0.0, min(1.0, p))
                job.stage = stage

        with self._lock:
            job.status = "running"
            job.stage = "starting"
        t0 = time.perf_counter()
        try:
            result = fn(progress)
        except OmnimixError as exc:
            self._finish(job, None, str(exc))
        except Exception as exc:  # a job must never take the server down; keep the reason for the user
            log.exception("job %s failed", job.id)
            self._finish(job, None, f"{type(exc).__name__}: {exc}")
        else:
            result = {**result, "seconds": round(time.perf_counter() - t0, 4)}
            self._finish(job, result, None)

    def _finish(self, job: Job, result: dict[str, Any] | None, error: str | None) -> None:
        with self._lock:
            job.result = result
            job.error = error
            job.status = "failed" if error else "succeeded"
            job.progress = 1.0
            job.stage = "failed" if error else "done"
            job.finished_at = _now()

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def list(self, owner: str | None = None) -> list[Job]:
        with self._lock:
            jobs = list(self._jobs.values())
        return [j for j in reversed(jobs) if owner is None or j.owner == owner]

    def wait(self, job_id: str, timeout: float = 30.0) -> Job | None:
        """Block until the job finishes (tests and CLI use); returns the job."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.get(job_id)
            if job is None or job.status in ("succeeded", "failed"):
                return job
            time.sleep(0.02)
        return self.get(job_id)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def optimizer_job(
    curves: ResponseCurves,
    spec: ScenarioSpec,
    channel_status: Mapping[str, Any] | None = None,
    display_names: Mapping[str, str] | None = None,
) -> Callable[[Progress], dict[str, Any]]:
    """The work of one optimizer run: the scenario's limits and the guardrails, then the optimizer.

    ``curves`` are the workspace's response curves with their posterior draws
    (:func:`omnimix.web.queries.results.read_curves`), so the plan's intervals and ``current_kpi`` are
    those of ``omnimix optimize --workspace``. The scenario's per-channel min/max are bounds on top of
    the guardrails (``spec.guardrails``); ``channel_status`` (:func:`~omnimix.web.queries.results.channel_status`)
    holds weak or conflicting channels at current spend. The optimizer is
    :func:`omnimix.optimize.optimize_curves`, imported from its module when the job runs (so tests can
    replace it); a missing optimizer fails the job with a message saying what to install or merge.
    """

    def run(progress: Progress) -> dict[str, Any]:
        progress(0.1, "validating")
        known = list(curves.channels)
        unknown = sorted(set(spec.channels) - set(known))
        if unknown:
            raise OmnimixError(
                f"scenario limits name channels without a response curve: {', '.join(unknown)}; "
                f"channels with curves: {', '.join(sorted(known))}"
            )
        bounds = {name: {k: v for k, v in (("min", b.min), ("max", b.max)) if v is not None}
                  for name, b in spec.channels.items() if b.min is not None or b.max is not None}
        usable = spec.budget * (1 - spec.reserve)
        mins = sum(b.get("min", 0.0) for b in bounds.values())
        if mins > usable + 1e-9:
            raise OmnimixError(
                f"per-channel minimums add up to {mins:,.2f}, above the budget after the reserve "
                f"({usable:,.2f} = {spec.budget:,.2f} × (1 − {spec.reserve})): lower the minimums, "
                "raise the budget or shrink the reserve"
            )
        progress(0.3, "loading optimizer")
        try:
            from omnimix.optimize import optimize_curves
        except ImportError as exc:
            raise OmnimixError(
                "the budget optimizer is not available in this installation "
                f"(cannot import omnimix.optimize.optimize_curves: {exc}); install or merge the "
                "omnimix optimize module and retry"
            ) from None
        progress(0.5, "optimizing")
        out = optimize_curves(curves, spec.budget, spec.reserve, spec.objective, bounds=bounds,
                              guardrails=spec.guardrails, channel_status=channel_status,
                              release=spec.release, display_names=display_names)
        progress(0.9, "summarising")
        missing = [k for k in ("allocation", "reserve", "expected_kpi", "marginal_roi") if k not in out]
        if missing:
            raise OmnimixError(
                f"the optimizer returned no {', '.join(missing)}: expected the keys allocation, "
                "reserve, expected_kpi, marginal_roi"
            )
        current = {name: float(v) for name, v in zip(known, curves.current_spend, strict=True)}
        return {
            **out,
            "allocation": {str(k): float(v) for k, v in out["allocation"].items()},
            "reserve": float(out["reserve"]),
            "expected_kpi": float(out["expected_kpi"]),
            "marginal_roi": {str(k): float(v) for k, v in out["marginal_roi"].items()},
            "current": current,
            "budget": spec.budget,
        }

    return run
