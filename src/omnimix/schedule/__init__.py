"""Scheduled jobs: ingest watch folders, monitoring, MMM refits and reviews on a cron schedule (issue #19)."""

from __future__ import annotations

__all__: list[str] = []
