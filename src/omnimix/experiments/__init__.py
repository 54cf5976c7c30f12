"""Lift tests: design, analysis and MMM calibration (issue #16)."""

from __future__ import annotations

__all__: list[str] = []
