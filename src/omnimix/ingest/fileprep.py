"""Preparing a source file for the readers: decompressing ``.gz`` and cutting GA4-style report sections.

Both write a temp file the reader then reads (the caller unlinks it when the load ends).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from omnimix.errors import InputDataError

SECTION_SCAN_BYTES = 64 << 20


def first_section(path: Path, source: Path, above: int) -> tuple[Path, list[str]]:
    """A GA4-style download (``#`` comment lines above the header) ends its table at the next comment
    block: keep the lines up to it (in a temp copy) and say which lines were not read."""
    with open(source, encoding="utf-8-sig", errors="replace", newline="") as fh:
        lines = fh.readlines()
    if not any(ln.lstrip().startswith("#") for ln in lines[:above]):
        return source, []
    end = next((i for i in range(above + 1, len(lines)) if lines[i].lstrip().startswith("#")), None)
    if end is None:
        return source, []
    cut = end
    while cut > above + 1 and not lines[cut - 1].strip():
        cut -= 1
    fd, name = tempfile.mkstemp(suffix=".csv", prefix="omnimix-section-")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
        out.writelines(lines[:cut])
    if source != path:
        source.unlink(missing_ok=True)
    return Path(name), [f"lines {cut + 1}–{len(lines)} (further report sections after the first table) "
                        "were not read: export each table on its own to load it"]


def gunzip(path: Path) -> Path:
    """Decompress a ``.gz`` file into a temp file with the inner suffix (``x.csv.gz`` → ``….csv``)."""
    import gzip
    import shutil
    import zlib

    inner = Path(path.stem).suffix or ".csv"
    fd, name = tempfile.mkstemp(suffix=inner, prefix="omnimix-gunzip-")
    try:
        with os.fdopen(fd, "wb") as out, gzip.open(path, "rb") as fh:
            shutil.copyfileobj(fh, out, 1 << 22)
    except (OSError, EOFError, zlib.error) as exc:
        Path(name).unlink(missing_ok=True)
        raise InputDataError(str(path), f"is not a readable gzip file ({exc}). Fix: check the download, or "
                             "decompress it yourself and ingest the plain file.") from None
    return Path(name)
