"""Workspaces with ``[[schedule.jobs]]`` for the scheduler tests (written by ``omnimix init``'s writer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omnimix.config import parse_config
from omnimix.workspace import Workspace


def job(name: str, kind: str = "monitor", cron: str = "0 7 * * *", **extra: Any) -> dict[str, Any]:
    return {"name": name, "kind": kind, "cron": cron, **extra}


def make_ws(root: Path, jobs: list[dict[str, Any]], timezone: str = "Asia/Shanghai", **schedule: Any) -> Workspace:
    """A new workspace whose omnimix.toml (rendered, then re-read) holds these jobs and [schedule] keys."""
    cfg = parse_config({"workspace": {"timezone": timezone}, "schedule": {**schedule, "jobs": jobs}})
    Workspace.init(root, config=cfg)
    return Workspace.open(root)
