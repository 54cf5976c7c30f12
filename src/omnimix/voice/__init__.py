"""One voice: brand book, advertising-law and consistency checks (issue #18)."""

from __future__ import annotations

__all__: list[str] = []
