"""Physical line numbers of CSV records (header = line 1), computed only when a row is quarantined.

DuckDB's parallel reader numbers records, not lines: a quoted newline or a blank line shifts every
later number. :func:`csv_line_map` checks cheaply whether the file holds one record per line and, when
it does not, scans it once to find where each record starts; DuckDB's rejects are matched to the
records by their byte offsets.
"""

from __future__ import annotations

import bisect
from pathlib import Path

from omnimix.ingest.readers import LineMap, RawTable


def _count_lines(path: Path) -> tuple[int, bool]:
    """(physical lines, whether any line is blank) of a file, read in binary chunks."""
    n, blank, last, prev = 0, False, b"", b"\n"
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 24):
            n += chunk.count(b"\n")
            if not blank and (b"\n\n" in chunk or b"\n\r\n" in chunk
                              or (prev == b"\n" and chunk[:1] in (b"\n", b"\r"))):
                blank = True
            prev = chunk[-1:]
            last = chunk[-1:]
    if last and last != b"\n":
        n += 1
    return n, blank


def csv_line_map(raw: RawTable, n_rows: int) -> None:
    """Make ``raw.lines`` and the rejects' lines physical lines of the file (header = line 1).

    Called only when a row of the file goes to quarantine. When every record sits on one line (the
    file has exactly header + rows + rejects lines and no blank line) the arithmetic map already is
    physical. Otherwise the file is scanned once: a line ends a record unless it leaves a quote open
    (an odd number of ``"`` so far), blank lines are no records; DuckDB's rejects are matched to the
    records by byte offset.
    """
    from array import array

    src = raw.source
    if src is None or not src.exists():
        return
    first = raw.lines.first_line
    n_lines, blank = _count_lines(src)
    if not blank and n_lines == first - 1 + n_rows + len(raw.rejects):
        return
    quote = ord('"')
    starts: list[tuple[int, int]] = []  # (first line, 1-based byte offset) of each non-blank record
    line_no, offset, open_quote, rec_line, rec_pos, rec_blank = 0, 0, False, 0, 0, True
    with open(src, "rb") as fh:
        for ln in fh:
            line_no += 1
            if not open_quote:
                rec_line, rec_pos, rec_blank = line_no, offset + 1, True
            if rec_blank and ln.strip(b"\r\n"):
                rec_blank = False
            if ln.count(quote) % 2:
                open_quote = not open_quote
            offset += len(ln)
            if not open_quote and not rec_blank and rec_line >= first:
                starts.append((rec_line, rec_pos))
    if open_quote and not rec_blank and rec_line >= first:
        starts.append((rec_line, rec_pos))
    positions = [p for _, p in starts]
    rejected: set[int] = set()
    fixed = []
    for (_, text, reason), p in zip(raw.rejects, raw.reject_pos, strict=True):
        i = bisect.bisect_left(positions, p)  # DuckDB's offset may point at a blank line before it
        if i < len(starts):
            rejected.add(i)
            fixed.append((starts[i][0], text, reason))
    if len(fixed) != len(raw.rejects) or len(starts) - len(rejected) != n_rows:
        return  # the scan disagrees with DuckDB's parse (odd quoting): keep the record-based map
    raw.rejects = fixed
    raw.lines = LineMap(first, [], array("q", (ln for i, (ln, _) in enumerate(starts) if i not in rejected)))
