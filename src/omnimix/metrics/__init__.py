"""The one metrics layer: one definition per KPI (issues #19, #17, #20)."""

from __future__ import annotations

__all__: list[str] = []
