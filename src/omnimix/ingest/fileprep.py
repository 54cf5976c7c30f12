"""Preparing a source file for the readers: decompressing ``.gz``, transcoding to UTF-8, normalising mixed
line endings and cutting GA4-style report sections.

Both write a temp file the reader then reads (the caller unlinks it when the load ends).
"""

from __future__ import annotations

import codecs
import os
import tempfile
from pathlib import Path

from omnimix.errors import InputDataError

SNIFF_BYTES = 1 << 20

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


def mixed_newlines(path: Path) -> bool:
    """Whether the first megabyte ends lines both with CRLF and with a bare LF (e.g. a title block
    written by one program above data written by another): DuckDB's reader takes one line ending per
    file, so such a file is normalised to LF first (:func:`normalise_newlines`)."""
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    crlf = head.count(b"\r\n")
    return 0 < crlf < head.count(b"\n")


def normalise_newlines(path: Path, encoding: str) -> Path:
    """A UTF-8 copy of a text file with every CRLF / CR line ending turned into LF."""
    fd, name = tempfile.mkstemp(suffix=".csv", prefix="omnimix-lf-")
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out, \
            open(path, encoding="utf-8-sig" if encoding.startswith("utf-8") else encoding,
                 errors="backslashreplace", newline=None) as fh:
        while chunk := fh.read(1 << 22):
            out.write(chunk)
    return Path(name)


def transcode(path: Path, encoding: str) -> Path:
    fd, name = tempfile.mkstemp(suffix=".csv", prefix="omnimix-utf8-")
    with os.fdopen(fd, "wb") as out, open(path, "rb") as fh:
        dec = codecs.getincrementaldecoder(encoding)(errors="backslashreplace")
        while chunk := fh.read(1 << 22):
            out.write(dec.decode(chunk).encode("utf-8"))
        out.write(dec.decode(b"", final=True).encode("utf-8"))
    return Path(name)
