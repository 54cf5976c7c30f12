"""The periodic Measure–Learn–Optimize review (issue #19)."""

from __future__ import annotations

__all__: list[str] = []
