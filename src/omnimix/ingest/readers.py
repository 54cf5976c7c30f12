"""Readers: turn a source file into a DuckDB table of text columns, plus the rows that could not parse.

Every reader produces a :class:`RawTable`: a temporary DuckDB table whose columns are the file's
header (all VARCHAR, in file order, so ``rowid`` is the record number), a :class:`LineMap` from record
number to line in the file, and the structural rejects (line, raw text, reason) that go to quarantine.
CSV goes straight through DuckDB's parallel reader; GBK/GB18030 files are transcoded to UTF-8 first
(DuckDB reads UTF-8 only without extensions). JSON lines, XLSX and Parquet are parsed without loss.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omnimix.errors import InputDataError
from omnimix.ingest.fileprep import (
    SECTION_SCAN_BYTES,
    first_section,
    gunzip,
    mixed_newlines,
    normalise_newlines,
    transcode,
)
from omnimix.workspace import quote_ident, quote_literal

SNIFF_BYTES = 1 << 20
MAX_LINE_BYTES = 8 << 20
DELIMITERS = (",", ";", "\t", "|")
SAMPLE_ROWS = 1000  # data rows kept for per-column format decisions (decimal comma)
#: Prefix of an XLSX formula cell that has no cached value (the compiler quarantines it with the formula).
FORMULA_MARK = "\ue000"


@dataclass
class LineMap:
    """Record number (0-based ``rowid``) → physical line in the file (header = line 1).

    Either arithmetic (``first_line`` + record number, stepping over the ``skipped`` lines that did not
    become rows) or, where records span lines (quoted newlines, blank lines), the explicit first line of
    every record (``starts``, built by :func:`csv_line_map` only when a row is quarantined).
    """

    first_line: int
    skipped: list[int] = field(default_factory=list)
    starts: Any = None  # array('q') of first lines, one per record, or None

    def __post_init__(self) -> None:
        self.skipped = sorted(s for s in self.skipped if s >= self.first_line)

    def line(self, rowid: int) -> int:
        if self.starts is not None:
            return int(self.starts[rowid]) if 0 <= rowid < len(self.starts) else self.first_line + rowid
        line = self.first_line + rowid
        skipped = self.skipped
        # advance past every skipped line at or before the candidate line
        i = 0
        while True:
            n = bisect.bisect_right(skipped, line) - i
            if n <= 0:
                return line
            i += n
            line += n


@dataclass
class RawTable:
    """A parsed file: the temp table's name, its header, the line map and structural rejects."""

    table: str
    header: list[str]
    lines: LineMap
    rejects: list[tuple[int, str, str]]
    encoding: str
    fmt: str
    cleanup: Path | None = None
    delim: str = ","
    source: Path | None = None  # the UTF-8 file DuckDB read (CSV): physical lines are counted in it
    reject_pos: list[int] = field(default_factory=list)  # CSV rejects: 1-based byte offset of each
    sample: list[list[str | None]] = field(default_factory=list)  # first data rows (header order)
    notes: list[str] = field(default_factory=list)  # what the reader left out, for the load's notes


def detect_format(path: Path) -> str:
    suffix = "".join(path.suffixes[-2:]).lower() if path.suffix.lower() == ".gz" else path.suffix.lower()
    return {
        ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".csv.gz": "csv", ".tsv.gz": "csv", ".txt.gz": "csv",
        ".parquet": "parquet", ".pq": "parquet", ".parquet.gz": "parquet",
        ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
        ".jsonl.gz": "jsonl", ".ndjson.gz": "jsonl", ".json.gz": "jsonl",
        ".xlsx": "xlsx", ".xlsm": "xlsx", ".xlsx.gz": "xlsx",
    }.get(suffix, "csv")


def detect_encoding(path: Path) -> str:
    """Return ``utf-8``, ``utf-8-sig``, ``utf-16`` or ``gb18030`` from the first megabyte.

    UTF-16 with its byte-order mark is what Google Ads' "Excel .csv" download and Excel's "Unicode
    Text" write (tab-separated); it is transcoded to UTF-8 like GBK.

    Raises:
        InputDataError: UTF-16 without a byte-order mark, UTF-32 or binary content (with the fix).
    """
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise InputDataError(str(path), "is UTF-32 text. Fix: save it as CSV UTF-8 (Excel: Save As → "
                             "'CSV UTF-8') or as XLSX.")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head[:200].count(b"\x00") > 10:
        raise InputDataError(str(path), "is UTF-16 without a byte-order mark, or binary, not a text export. "
                             "Fix: save it as CSV UTF-8 (Excel: Save As → 'CSV UTF-8') or as XLSX.")
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=False)
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise InputDataError(str(path), f"is neither UTF-8 nor GBK/GB18030 text (byte {exc.start}). "
                             "Fix: re-export the file as CSV UTF-8.") from None


def _first_record(path: Path, encoding: str, header_row: int | None = None
                  ) -> tuple[str, list[str], int, list[list[str | None]]]:
    """Choose the delimiter, find the header line (title rows, ``#`` comments above it) and sample rows.

    Returns:
        (delimiter, header, number of lines before the header, the first data rows).
    """
    from omnimix.ingest.headers import HEADER_SCAN_ROWS, find_header_row
    from omnimix.ingest.presets import known_headers

    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        sample_lines = []
        for i in range(HEADER_SCAN_ROWS + SAMPLE_ROWS):
            line = fh.readline(1 << 16)
            if len(line) == 1 << 16 and not line.endswith("\n"):
                fh.readline()  # rest of an over-long line: not used to choose the delimiter
                line = "\n"
            if not line:
                break
            if i == 0:
                line = line.lstrip("\ufeff")
            sample_lines.append(line)
    nonblank = [ln for ln in sample_lines if ln.strip() and len(ln) < (1 << 16)]
    if not nonblank:
        raise InputDataError(str(path), "is empty: it has no header line. Fix: export the report again "
                             "with its column headers.")
    head = [ln for ln in sample_lines[:HEADER_SCAN_ROWS + 20] if ln.strip() and not ln.lstrip().startswith("#")]
    best, best_score = ",", -1.0
    for d in DELIMITERS:
        widths = [len(next(csv.reader([ln], delimiter=d))) for ln in head or nonblank[:1]]
        wide = [w for w in widths if w >= 2]
        if not wide:
            continue
        mode = max(set(wide), key=lambda w: (wide.count(w), w))
        score = mode + 10 * wide.count(mode)
        if score > best_score:
            best, best_score = d, score
    if header_row is not None:
        if header_row > len(sample_lines):
            raise InputDataError(str(path), f"--header-row {header_row} is past the first {len(sample_lines)} "
                                 "lines of the file. Fix: give the line number of the header (1 = first line).")
        at = header_row - 1
    else:
        rows = [next(csv.reader([ln], delimiter=best)) if ln.strip() else [] for ln in sample_lines]
        at = find_header_row(rows, known_headers())
    header = next(csv.reader([sample_lines[at]], delimiter=best))
    data = [next(csv.reader([ln], delimiter=best)) for ln in sample_lines[at + 1:] if ln.strip()]
    n = len(header)
    sample: list[list[str | None]] = [[*r[:n], *([None] * (n - len(r)))] for r in data if len(r) == n]
    return best, [h.strip() for h in header], at, sample


def check_header(header: list[str], file: str) -> None:
    """Reject empty and duplicated header names, naming their positions."""
    problems = []
    seen: dict[str, int] = {}
    for i, h in enumerate(header, start=1):
        if not h.strip():
            problems.append(f"column {i} has an empty header name (merged or blank header cell): "
                            "give every column a name in the first row")
            continue
        key = h.strip().lower()
        if key in seen:
            problems.append(f"header {h!r} appears twice (columns {seen[key]} and {i}): rename or "
                            "remove one of them")
        else:
            seen[key] = i
    if problems:
        raise InputDataError(file, "has an invalid header row.", problems)


def read_csv(con: Any, path: Path, table: str, header_row: int | None = None) -> RawTable:
    """Load a CSV file as text columns into temp table ``table`` (DuckDB's parallel reader).

    The header is the line ``header_row`` (1-based) when given, else detected below title rows and
    ``#`` comment lines (:func:`omnimix.ingest.headers.find_header_row`); the lines above it are skipped.
    """
    encoding = detect_encoding(path)
    source = path
    if encoding != "utf-16" and mixed_newlines(path):
        source = normalise_newlines(path, encoding)
    elif encoding in ("gb18030", "utf-16"):
        source = transcode(path, encoding)
        if mixed_newlines(source):
            plain, source = source, normalise_newlines(source, "utf-8")
            plain.unlink(missing_ok=True)
    try:
        delim, header, above, sample = _first_record(source, "utf-8" if source != path else "utf-8-sig",
                                                     header_row)
        check_header(header, str(path))
        notes: list[str] = []
        if above and source.stat().st_size < SECTION_SCAN_BYTES:
            source, notes = first_section(path, source, above)
        cols = "{" + ", ".join(f"{quote_literal(h)}: 'VARCHAR'" for h in header) + "}"
        # a view: the file is scanned once, by the typing SELECT that reads it
        sql = (
            f"CREATE TEMP VIEW {table} AS SELECT * FROM read_csv({quote_literal(str(source))}, "
            f"auto_detect=false, header=true, skip={above}, columns={cols}, delim={quote_literal(delim)}, quote='\"', "
            f"escape='\"', ignore_errors=true, store_rejects=true, rejects_table='_rej_{table}', "
            f"rejects_scan='_rejscan_{table}', max_line_size={MAX_LINE_BYTES}, strict_mode=true, "
            f"null_padding=false, allow_quoted_nulls=false)"
        )
        con.execute(sql)
    except BaseException:
        if source != path:
            source.unlink(missing_ok=True)
        raise
    raw = RawTable(table, header, LineMap(above + 2), [], encoding, "csv")
    raw.cleanup = source if source != path else None
    raw.delim = delim
    raw.source = source
    raw.sample = sample
    raw.notes = notes
    return raw


def collect_csv_rejects(con: Any, raw: RawTable) -> None:
    """After the view was scanned: fetch DuckDB's rejects (one per record) and fix the line map.

    DuckDB's reject ``line`` counts records, not physical lines (a quoted newline shifts it), so each
    reject also keeps its byte offset; :func:`csv_line_map` turns both into physical lines when the
    file's records do not sit one per line.
    """
    table = raw.table
    rows = con.execute(
        f"SELECT line, line_byte_position, coalesce(csv_line, ''), error_type || ': ' || error_message "
        f"FROM _rej_{table} ORDER BY line"
    ).fetchall()
    con.execute(f"DROP TABLE IF EXISTS _rej_{table}")
    con.execute(f"DROP TABLE IF EXISTS _rejscan_{table}")
    rejects: dict[int, tuple[int, str, str]] = {}
    pos: dict[int, int] = {}
    for line, byte_pos, text, reason in rows:
        n = int(line)
        if n not in rejects:  # one row per record, first error wins
            rejects[n] = (n, str(text).strip("\r\n"), _reject_reason(str(reason), raw.delim))
            pos[n] = int(byte_pos or 0)
    raw.rejects = list(rejects.values())
    raw.reject_pos = [pos[n] for n in rejects]
    # line 1 is the header; rejected lines produced no row
    raw.lines = LineMap(raw.lines.first_line, sorted(rejects))


def _reject_reason(reason: str, delim: str) -> str:
    shown = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}[delim]
    if reason.startswith("MISSING COLUMNS"):
        return f"{reason} (truncated line or wrong delimiter; the file is read as {shown}-separated)"
    if reason.startswith("TOO MANY COLUMNS"):
        return f"{reason} (an unquoted {shown} inside a value? quote the value)"
    if reason.startswith("LINE SIZE OVER MAXIMUM"):
        return f"line longer than {MAX_LINE_BYTES // (1 << 20)} MB: {reason}"
    return reason


def _register_rows(con: Any, table: str, header: list[str], rows: list[list[str | None]]) -> None:
    """Create temp table ``table`` of text columns ``header`` holding ``rows``."""
    import pyarrow as pa

    empty = pa.Table.from_arrays([pa.array([], type=pa.string()) for _ in header],
                                 names=[f"c{i}" for i in range(len(header))])
    con.register(f"_empty_{table}", empty)
    cols = ", ".join(f"c{i} AS {quote_ident(h)}" for i, h in enumerate(header))
    con.execute(f"CREATE TEMP TABLE {table} AS SELECT {cols} FROM _empty_{table}")
    con.unregister(f"_empty_{table}")
    _append_rows(con, table, header, rows)


def _append_rows(con: Any, table: str, header: list[str], rows: list[list[str | None]]) -> None:
    """Append ``rows`` (values in ``header`` order) to the text columns ``header`` of ``table``."""
    import pyarrow as pa

    arrays = [pa.array([r[i] for r in rows], type=pa.string()) for i in range(len(header))]
    con.register(f"_arrow_{table}", pa.Table.from_arrays(arrays, names=[f"c{i}" for i in range(len(header))]))
    cols = ", ".join(quote_ident(h) for h in header)
    picks = ", ".join(f"c{i}" for i in range(len(header)))
    con.execute(f"INSERT INTO {table} ({cols}) SELECT {picks} FROM _arrow_{table}")
    con.unregister(f"_arrow_{table}")


MAX_JSON_DEPTH = 64  # objects nested deeper are kept as JSON text in their column


def _flatten(obj: dict[str, Any], prefix: str = "", depth: int = 0, nested: list[int] | None = None) -> dict[str, Any]:
    """Nested objects → dotted keys; ``nested[0]`` counts the keys that held an object.

    Raises:
        ValueError: two keys collide once flattened (``{"a": {"b": 1}, "a.b": 2}``): one value would
            silently replace the other.
    """
    out: dict[str, Any] = {}
    n = 0
    for k, v in obj.items():
        if isinstance(v, dict) and depth < MAX_JSON_DEPTH:
            if nested is not None:
                nested[0] += 1
            inner = _flatten(v, f"{prefix}{k}.", depth + 1, nested)
            out.update(inner)
            n += len(inner)
        else:
            out[f"{prefix}{k}"] = v
            n += 1
    if len(out) != n:  # fewer keys than were written: some collided
        seen: set[str] = set()
        for key in _flat_keys(obj, prefix, depth):
            if key in seen:
                raise ValueError(f"key {key!r} appears twice once nested objects are flattened with dots")
            seen.add(key)
    return out


def _flat_keys(obj: dict[str, Any], prefix: str, depth: int) -> list[str]:
    keys: list[str] = []
    for k, v in obj.items():
        if isinstance(v, dict) and depth < MAX_JSON_DEPTH:
            keys += _flat_keys(v, f"{prefix}{k}.", depth + 1)
        else:
            keys.append(f"{prefix}{k}")
    return keys


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` refusing an object that names a key twice (``{"a": 1, "a": 2}``)."""
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"key {k!r} appears twice in one object")
        out[k] = v
    return out


def _nesting_depth(line: str, limit: int) -> int:
    """Bracket depth of a JSON text (strings skipped), stopping as soon as it passes ``limit``."""
    depth = peak = 0
    if line.count("{") + line.count("[") <= limit:
        return 0
    in_str = esc = False
    for ch in line:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "{[":
            depth += 1
            if depth > peak:
                peak = depth
                if peak > limit:
                    return peak
        elif ch in "}]":
            depth -= 1
    return peak


MAX_JSON_NESTING = 512  # a line nested deeper is quarantined (Python's parser would overflow its stack)


def _check_keys(path: Path, lineno: int, keys: Any, seen: dict[str, str]) -> None:
    """Reject empty keys and keys that differ only in case (the warehouse's columns are case-blind)."""
    for k in keys:
        if not str(k).strip():
            raise InputDataError(str(path), f"line {lineno} has an empty key {k!r}: every field of a JSON "
                                 "record needs a name. Fix: rename the key in the export (or drop it).")
        low = str(k).lower()
        other = seen.setdefault(low, k)
        if other != k:
            raise InputDataError(str(path), f"keys {other!r} and {k!r} (line {lineno}) differ only in "
                                 "case; column names are case-insensitive in the warehouse. Fix: rename "
                                 "one of them in the export.")


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list | dict):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


JSONL_CHUNK = 100_000  # records parsed before they are appended to the temp table (bounds memory)


def read_jsonl(con: Any, path: Path, table: str) -> RawTable:
    """Load JSON lines (nested objects flattened with dots); broken lines become rejects.

    Records are appended to the temp table in chunks of :data:`JSONL_CHUNK`, so memory stays flat
    for multi-GB exports; a key first seen in a later chunk adds a column (earlier rows hold NULL).
    """
    encoding = detect_encoding(path)
    chunk: list[dict[str, Any]] = []
    rejects: list[tuple[int, str, str]] = []
    skipped: list[int] = []
    header: dict[str, None] = {}
    created: list[str] = []  # columns of the temp table so far
    n_records = 0

    def flush() -> None:
        new = [c for c in header if c not in created]
        rows = [[_text(r.get(c)) for c in created + new] for r in chunk]
        if not created:
            _register_rows(con, table, new, rows)
        else:
            for c in new:
                con.execute(f"ALTER TABLE {table} ADD COLUMN {quote_ident(c)} VARCHAR")
            _append_rows(con, table, created + new, rows)
        created.extend(new)
        chunk.clear()

    seen: dict[str, str] = {}
    with open(path, encoding="utf-8-sig" if encoding.startswith("utf-8") else encoding, errors="replace") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                skipped.append(lineno)
                continue
            if lineno == 1 or (not n_records and not rejects):
                _check_not_array(path, fh, line)
            try:
                if _nesting_depth(line, MAX_JSON_NESTING) > MAX_JSON_NESTING:
                    raise ValueError(f"nested deeper than {MAX_JSON_NESTING} levels")
                obj = json.loads(line)
                if not isinstance(obj, dict):
                    raise ValueError("a line must be one JSON object")
            except (ValueError, RecursionError) as exc:
                rejects.append((lineno, line.rstrip("\n")[:100_000], f"invalid JSON: {exc}"))
                skipped.append(lineno)
                continue
            try:
                nested = [0]
                flat = _flatten(obj, nested=nested)
                # json keeps the last of two equal keys: when the line names more keys than the record
                # holds, parse it again refusing duplicates (lines with arrays are not checked: their
                # keys inside the arrays are not counted, and GA4 lines all have them)
                if "[" not in line and line.count('":') > len(flat) + nested[0]:
                    json.loads(line, object_pairs_hook=_unique_keys)
            except ValueError as exc:
                rejects.append((lineno, line.rstrip("\n")[:100_000], f"invalid JSON record: {exc}"))
                skipped.append(lineno)
                continue
            new_keys = [k for k in flat if k not in header]
            if new_keys:
                _check_keys(path, lineno, new_keys, seen)
                for k in new_keys:
                    header[k] = None
            chunk.append(flat)
            n_records += 1
            if len(chunk) >= JSONL_CHUNK:
                flush()
    if not n_records and not rejects:
        raise InputDataError(str(path), "is empty: no JSON records. Fix: export the events again.")
    if not header:
        header["_empty"] = None
    flush()
    return RawTable(table, list(created), LineMap(1, skipped), rejects, encoding, "jsonl")


def _check_not_array(path: Path, fh: Any, line: str) -> None:
    """A JSON document that is one top-level array (not JSON lines) gets a message with the fix."""
    head = line.lstrip("\ufeff \t\r\n")
    if head.rstrip() == "{":
        raise InputDataError(str(path), "is one pretty-printed JSON document, not JSON lines (one object "
                             "per line). Fix: write one object per line, e.g. `jq -c . FILE > FILE.jsonl` "
                             "(`jq -c '.[]'` for an array), then ingest the .jsonl file.")
    if not head.startswith("["):
        return
    raise InputDataError(str(path), "is one JSON array, not JSON lines (one object per line). Fix: "
                         "write one object per line, e.g. `jq -c '.[]' FILE > FILE.jsonl`, then ingest "
                         "the .jsonl file.")


def read_xlsx(con: Any, path: Path, table: str, sheet: str | None = None,
              header_row: int | None = None) -> RawTable:
    """Load one worksheet of an XLSX file; merged header cells are an error naming them.

    The sheet is ``sheet`` (its name, or its 1-based number) when given, else the sheet whose header
    has the most known column names (the first on a tie). The header row is ``header_row`` (1-based)
    when given, else detected below title and date-range rows. A formula cell without a cached value
    is kept as :data:`FORMULA_MARK` + its formula, which the compiler quarantines with the formula.
    """
    import openpyxl

    from omnimix.ingest.headers import HEADER_SCAN_ROWS, find_header_row
    from omnimix.ingest.presets import known_headers

    try:
        wb = openpyxl.load_workbook(path, read_only=False, data_only=True)
    except Exception as exc:
        raise InputDataError(str(path), f"cannot be opened as XLSX ({exc}). Fix: open it in Excel and "
                             "save it again as .xlsx, or export CSV UTF-8.") from None
    known = known_headers()
    names = [w.title for w in wb.worksheets]
    if sheet is not None:
        pick = [i for i, n in enumerate(names) if n == sheet or n.strip().lower() == sheet.strip().lower()]
        if not pick and sheet.strip().isdigit() and 1 <= int(sheet) <= len(names):
            pick = [int(sheet) - 1]
        if not pick:
            raise InputDataError(str(path), f"has no sheet {sheet!r}. Sheets: {names}. Fix: --sheet NAME "
                                 "or --sheet NUMBER (1 = first).")
        candidates = pick
    else:
        candidates = list(range(len(names)))
    best: tuple[int, int, list[list[Any]], int] | None = None
    for si in candidates:
        rows = [list(r) for r in wb.worksheets[si].iter_rows(values_only=True)]
        if not any(any(v not in (None, "") for v in r) for r in rows):
            continue
        if header_row is not None:
            at = header_row - 1
        else:
            at = find_header_row([[_xlsx_text(v) or "" for v in r] for r in rows[:HEADER_SCAN_ROWS]], known)
        hits = sum(1 for v in (rows[at] if at < len(rows) else []) if v is not None and _is_known(str(v), known))
        if best is None or hits > best[1]:
            best = (si, hits, rows, at)
    if best is None:
        raise InputDataError(str(path), f"sheet {names[candidates[0]]!r} is empty: no header row." if sheet
                             else f"every sheet ({names}) is empty: no header row.")
    si, _, rows, first = best
    ws = wb.worksheets[si]
    if first >= len(rows):
        raise InputDataError(str(path), f"--header-row {first + 1} is past the last row ({len(rows)}) of "
                             f"sheet {ws.title!r}.")
    merged = [str(rng) for rng in ws.merged_cells.ranges if rng.min_row <= first + 1 <= rng.max_row]
    if merged:
        raise InputDataError(str(path), f"sheet {ws.title!r} has merged header cells {merged}. Fix: unmerge "
                             "them and give every column its own one-row header.")
    header = [str(v).strip() if v is not None else "" for v in rows[first]]
    while header and not header[-1]:
        header.pop()
    check_header(header, str(path))
    formulas = _uncached_formulas(path, ws.title, rows, first, len(header))
    data: list[list[str | None]] = []
    skipped: list[int] = []
    for i, r in enumerate(rows[first + 1:], start=first + 2):
        if not any(v not in (None, "") for v in r) and not any((i, j) in formulas for j in range(len(header))):
            skipped.append(i)
            continue
        vals = [_xlsx_text(v) for v in r[: len(header)]]
        vals += [None] * (len(header) - len(vals))
        for j in range(len(header)):
            if (i, j) in formulas:
                vals[j] = FORMULA_MARK + formulas[(i, j)]
        data.append(vals)
    _register_rows(con, table, header, data)
    raw = RawTable(table, header, LineMap(first + 2, skipped), [], "xlsx", "xlsx")
    raw.sample = data[:SAMPLE_ROWS]
    return raw


def _is_known(cell: str, known: frozenset[str]) -> bool:
    from omnimix.ingest.headers import normalize, split_unit

    return normalize(cell) in known or split_unit(cell)[0] in known


def _uncached_formulas(path: Path, title: str, rows: list[list[Any]], first: int, width: int
                       ) -> dict[tuple[int, int], str]:
    """(sheet row, column index) → formula of the data cells that hold a formula but no cached value.

    Only read (a second pass over the workbook) when the data has empty cells.
    """
    if not any(v is None for r in rows[first + 1:] for v in r[:width]):
        return {}
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=False, data_only=False)
    ws = wb[title]
    out: dict[tuple[int, int], str] = {}
    for i, r in enumerate(ws.iter_rows(min_row=first + 2, values_only=True), start=first + 2):
        cached = rows[i - 1] if i - 1 < len(rows) else []
        for j, v in enumerate(r[:width]):
            if isinstance(v, str) and v.startswith("=") and (j >= len(cached) or cached[j] is None):
                out[(i, j)] = v
    return out


def _xlsx_text(v: Any) -> str | None:
    import datetime as dt

    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def read_parquet(con: Any, path: Path, table: str) -> RawTable:
    """Load a Parquet file with every column as text."""
    try:
        desc = con.execute(f"DESCRIBE SELECT * FROM read_parquet({quote_literal(str(path))})").fetchall()
    except Exception as exc:  # the engine's first line only: the rest quotes the SQL
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputDataError(str(path), f"cannot be read as Parquet ({first}). Fix: export it again, or "
                             "export CSV UTF-8.") from None
    header = [d[0] for d in desc]
    check_header(header, str(path))
    cols = ", ".join(f"CAST({quote_ident(h)} AS VARCHAR) AS {quote_ident(h)}" for h in header)
    con.execute(f"CREATE TEMP TABLE {table} AS SELECT {cols} FROM read_parquet({quote_literal(str(path))})")
    # no lines in Parquet: record n is reported as line n + 1, as in a CSV export of it (header = line 1)
    return RawTable(table, header, LineMap(2), [], "parquet", "parquet")


def read_any(con: Any, path: Path, table: str, sheet: str | None = None,
             header_row: int | None = None) -> RawTable:
    """Dispatch on the file's format; raise a clear error for unreadable files.

    ``sheet`` (XLSX) and ``header_row`` (CSV, XLSX; 1-based) choose what header detection would.
    """
    if not path.exists():
        raise InputDataError(str(path), "does not exist. Fix: check the path.")
    if not path.is_file() or not os.access(path, os.R_OK):
        raise InputDataError(str(path), "is not a readable file. Fix: check the path and permissions.")
    if path.stat().st_size == 0:
        raise InputDataError(str(path), "is empty (0 bytes): it has no header line. Fix: export the "
                             "report again with its column headers.")
    fmt = detect_format(path)

    def reader(con: Any, p: Path, table: str) -> RawTable:
        if fmt == "xlsx":
            return read_xlsx(con, p, table, sheet=sheet, header_row=header_row)
        if fmt == "csv":
            return read_csv(con, p, table, header_row=header_row)
        return {"jsonl": read_jsonl, "parquet": read_parquet}[fmt](con, p, table)

    if path.suffix.lower() != ".gz":
        return reader(con, path, table)
    if fmt not in ("csv", "jsonl"):
        raise InputDataError(str(path), "is gzip-compressed; only .csv.gz, .tsv.gz and .jsonl.gz are read "
                             "compressed. Fix: decompress it (gunzip FILE) and ingest the result.")
    plain = gunzip(path)
    try:
        if plain.stat().st_size == 0:
            raise InputDataError(str(plain), "is empty once decompressed: it has no header line. Fix: "
                                 "export the report again with its column headers.")
        raw = reader(con, plain, table)
    except InputDataError as exc:
        plain.unlink(missing_ok=True)
        text = str(exc)
        prefix = f"{plain}: "
        raise InputDataError(str(path), text[len(prefix):] if text.startswith(prefix) else text) from None
    except BaseException:
        plain.unlink(missing_ok=True)
        raise
    if fmt == "csv" and raw.cleanup is None:
        raw.cleanup = plain  # the CSV view reads the decompressed copy when the load runs
    else:
        plain.unlink(missing_ok=True)
    return raw


def raw_line_text(header: list[str], values: list[str | None]) -> str:
    """The raw row as a JSON object of header → text (what the quarantine keeps)."""
    buf = io.StringIO()
    json.dump(dict(zip(header, values, strict=False)), buf, ensure_ascii=False)
    return buf.getvalue()
