"""Progress bars for long work (rich), silent when not on a terminal or when disabled."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")


def progress_iter(items: Sequence[T] | Iterable[T], description: str, enabled: bool = True,
                  total: int | None = None) -> Iterator[T]:
    """Yield ``items`` while showing a progress bar on stderr."""
    if not enabled or not sys.stderr.isatty():
        yield from items
        return
    from rich.progress import Progress

    n = total if total is not None else (len(items) if isinstance(items, Sequence) else None)
    with Progress(transient=False) as prog:
        task = prog.add_task(description, total=n)
        for item in items:
            yield item
            prog.advance(task)
