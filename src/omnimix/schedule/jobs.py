"""What each kind of scheduled job does: ``ingest``, ``monitor``, ``refit`` and ``review``.

Each kind is a function ``(workspace, job, context) -> message``: it returns a one-line summary (the
run is then ``ok``), raises :class:`Skipped` (the run is ``skipped`` with the reason) or raises any
other exception (``failed``, with the error as the message).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from omnimix.config import ScheduleJob
from omnimix.errors import InputDataError
from omnimix.workspace import Workspace

log = logging.getLogger("omnimix")

#: file types the ingest job picks up from a watch folder
INGEST_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".xlsx", ".xlsm", ".json", ".jsonl", ".ndjson",
                   ".csv.gz", ".tsv.gz", ".jsonl.gz")


class Skipped(Exception):
    """The job did not run; the message says why (e.g. the warehouse is locked)."""


class JobFailed(Exception):
    """The job ran and failed in a way its message explains (recorded without a type name)."""


@dataclass(frozen=True)
class JobContext:
    """What a job may need beyond its workspace: the app-state database URL."""

    state_url: str


JobFn = Callable[[Workspace, ScheduleJob, JobContext], str]


def _watched(ws: Workspace) -> list[tuple[Path, Path]]:
    """(folder, file) of every loadable file directly inside the watch folders, oldest first."""
    out: list[tuple[Path, Path]] = []
    for name in ws.config.schedule.watch:
        folder = ws.root / name
        if not folder.is_dir():
            continue
        for p in folder.iterdir():
            if p.is_file() and not p.name.startswith((".", "~$")) and p.name.lower().endswith(INGEST_SUFFIXES):
                out.append((folder, p))
    return sorted(out, key=lambda fp: (fp[1].stat().st_mtime, fp[1].name))


def _move(path: Path, folder: Path, sub: str) -> None:
    target = folder / sub / datetime.now().strftime("%Y-%m-%d")
    target.mkdir(parents=True, exist_ok=True)
    dest = target / path.name
    n = 1
    while dest.exists():
        dest = target / f"{path.stem}.{n}{path.suffix}"
        n += 1
    shutil.move(str(path), dest)


def run_ingest(ws: Workspace, job: ScheduleJob, ctx: JobContext) -> str:
    """Load every file in the ``[schedule] watch`` folders (as ``omnimix ingest`` would).

    A file that loaded (or had been loaded before) moves to ``FOLDER/loaded/DAY/``, one that failed to
    ``FOLDER/failed/DAY/`` (so it is not retried every run); the run fails when any file failed. A
    busy warehouse leaves every file where it is (the run is skipped).
    """
    from omnimix.errors import WarehouseBusy
    from omnimix.ingest.workflow import ingest_files

    found = _watched(ws)
    if not found:
        folders = ", ".join(ws.config.schedule.watch) or "(none)"
        return f"no files in the watch folders ({folders})"
    try:
        run = ingest_files(ws, [p for _, p in found])
    except WarehouseBusy as exc:
        raise Skipped(str(exc)) from None
    failed = []
    for (folder, path), res in zip(found, run.files, strict=True):
        bad = res.table is None and bool(res.errors)
        if bad:
            failed.append(f"{path.name}: {res.errors[0]}")
        _move(path, folder, "failed" if bad else "loaded")
    msg = (f"{len(found)} file(s): {run.rows_loaded} rows loaded, {run.rows_quarantined} quarantined, "
           f"{sum(1 for r in run.files if r.already_loaded)} already loaded")
    if failed:
        raise JobFailed(msg + f"; {len(failed)} failed (moved to failed/): " + "; ".join(failed))
    return msg


def run_monitor(ws: Workspace, job: ScheduleJob, ctx: JobContext) -> str:
    """``omnimix monitor``: every check, alerts recorded in the app state and new ones delivered."""
    from omnimix.monitor import monitor_workspace

    run = monitor_workspace(ws, state_url=ctx.state_url, record=True, send=True)
    ok = sum(1 for d in run.deliveries if d.ok)
    return (f"{run.series} series {run.since} – {run.end}: {len(run.alerts)} alert(s), {len(run.new)} new, "
            f"{ok} of {len(run.deliveries)} deliveries ok")


def saved_fit_spec(ws: Workspace) -> tuple[Any, list[str]]:
    """The :class:`~omnimix.mmm.workflow.FitSpec` and channels of the workspace's saved fit
    (``DIR/mmm/latest/model.json``, written by ``omnimix mmm fit --workspace``).

    Raises:
        InputDataError: no saved fit to take the settings from.
    """
    import dataclasses
    import json

    from omnimix.mmm.spec import MMMConfig
    from omnimix.mmm.workflow import FitSpec

    path = ws.root / "mmm" / "latest" / "model.json"
    if not path.is_file():
        raise InputDataError(str(path), "no saved MMM fit to refit with its settings",
                             [f"fit once with `omnimix mmm fit --workspace {ws.root}` (the refit job reuses "
                              "its mode, priors and sampler settings)"])
    meta = json.loads(path.read_text(encoding="utf-8"))
    cfg = MMMConfig.from_dict(meta["config"])
    own = {"chains", "warmup", "samples", "holdout", "prior", "kpi_type", "kpi_value", "adstock", "saturation",
           "chain_method"}
    options = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg) if f.name not in own}
    spec = FitSpec(mode=str(meta.get("mode", "nuts")), chains=cfg.chains, draws=cfg.samples, warmup=cfg.warmup,
                   holdout=cfg.holdout, prior=cfg.prior, kpi_type=cfg.kpi_type, kpi_value=cfg.kpi_value,
                   adstock=cfg.adstock, saturation=cfg.saturation, chain_method=cfg.chain_method,
                   options=options)
    return spec, [str(c) for c in meta.get("channels", [])]


def run_refit(ws: Workspace, job: ScheduleJob, ctx: JobContext) -> str:
    """Refit the MMM on the warehouse with the saved fit's settings; saved to ``DIR/mmm/latest``."""
    from omnimix.mmm import workflow

    spec, channels = saved_fit_spec(ws)
    run = workflow.fit_workspace(ws, spec, channels=channels or None)
    diag = run.payload.get("diagnostics", {}) if isinstance(run.payload, dict) else {}
    passed = diag.get("passed")
    verdict = "passed review" if passed else "FAILED review: " + "; ".join(diag.get("reasons", []))
    return f"refit ({spec.mode}) of {len(channels) or 'all'} channel(s): {verdict}"


def run_review(ws: Workspace, job: ScheduleJob, ctx: JobContext) -> str:
    """``omnimix review`` of the latest period, written to ``DIR/reports`` in the job's ``lang``."""
    import importlib

    review = getattr(importlib.import_module("omnimix.review"), "run_review", None)
    if review is None:
        raise JobFailed("omnimix.review.run_review is not available in this installation: "
                           "update omnimix or disable the review job")
    out = ws.root / "reports"
    result = review(ws, period=None, out=out, lang=job.lang)
    doc = result.to_json() if hasattr(result, "to_json") else result if isinstance(result, dict) else {}
    period = doc.get("period") if isinstance(doc, dict) else None
    files = doc.get("files", []) if isinstance(doc, dict) else []
    return f"review {period or ''} ({job.lang}) written to {out}: {len(files)} file(s)".replace("  ", " ")


#: job kind → function
KINDS: dict[str, JobFn] = {"ingest": run_ingest, "monitor": run_monitor, "refit": run_refit, "review": run_review}
#: kinds that only read the warehouse (the lock probe opens it read-only)
READ_ONLY = frozenset({"monitor", "review"})
