"""Plain-file readers shared by every "pass a file on the command line" entry point.

One function per return type, one set of rules:

* :func:`read_frame` — a pandas DataFrame (the MMM's weekly series, CLV summaries and transactions,
  lift tests, curves tables);
* :func:`read_arrow` — a pyarrow Table (attribution's paths files, where millions of rows are read
  column-wise).

Both accept CSV (``,``, ``;``, tab or ``|`` delimited, detected from the first 64 KiB; UTF-8 with or
without BOM, GB18030 as a fallback), Parquet (``.parquet``/``.pq``) and Excel (``.xlsx``/``.xlsm``; the
first sheet unless ``sheet`` names one). Every failure is an :class:`~omnimix.errors.InputDataError`
naming the file and the fix. The warehouse loader (``omnimix ingest``) has its own streaming readers
with row-level quarantine; these are for files that are read whole.
"""

from __future__ import annotations

import csv
import io as _io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omnimix.errors import InputDataError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

PARQUET_SUFFIXES = (".parquet", ".pq")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
_DELIMITERS = (",", ";", "\t", "|")
_FORMATS_HINT = "expected a CSV with a header row, a Parquet file or an .xlsx workbook"


def file_format(path: str | Path) -> str:
    """``"parquet"``, ``"xlsx"`` or ``"csv"`` from the file name (anything else is read as CSV)."""
    suffix = Path(path).suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in EXCEL_SUFFIXES:
        return "xlsx"
    return "csv"


def _existing(path: str | Path) -> Path:
    p = Path(path)
    if not p.exists():
        raise InputDataError(str(p), "file not found", ["check the path; " + _FORMATS_HINT])
    if p.is_dir():
        raise InputDataError(str(p), "is a directory, not a file", ["pass one file; " + _FORMATS_HINT])
    return p


def _encoding(p: Path) -> str:
    head = p.open("rb").read(65536)
    try:
        head.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        if exc.start > len(head) - 4:  # a multi-byte character cut at the end of the sample
            return "utf-8-sig"
    try:
        head.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        return "utf-8-sig"


def detect_delimiter(sample: str) -> str:
    """The delimiter of a CSV sample: the candidate that splits the header into the most fields."""
    lines = [ln for ln in sample.splitlines() if ln.strip()][:20]
    if not lines:
        return ","
    best, best_n = ",", 1
    for d in _DELIMITERS:
        counts = [len(next(csv.reader([ln], delimiter=d))) for ln in lines]
        if counts[0] > best_n and all(c == counts[0] for c in counts[1:]):
            best, best_n = d, counts[0]
    if best_n == 1:  # ragged rows: fall back to the header alone
        for d in _DELIMITERS:
            n = len(next(csv.reader([lines[0]], delimiter=d)))
            if n > best_n:
                best, best_n = d, n
    return best


def _csv_layout(p: Path) -> tuple[str, str]:
    enc = _encoding(p)
    with p.open("r", encoding=enc, errors="replace") as fh:
        head = fh.read(65536)
    return enc, detect_delimiter(head)


def _excel_rows(p: Path, sheet: str | int | None) -> tuple[list[str], list[tuple[Any, ...]]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, InvalidFileException …
        raise InputDataError(str(p), f"cannot be opened as an Excel workbook ({exc})", [_FORMATS_HINT]) from exc
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif isinstance(sheet, int):
            ws = wb.worksheets[sheet]
        elif sheet in wb.sheetnames:
            ws = wb[sheet]
        else:
            raise InputDataError(str(p), f"no sheet named {sheet!r}", [f"sheets: {wb.sheetnames}"])
        rows = list(ws.iter_rows(values_only=True))
    finally:
        wb.close()
    if not rows:
        raise InputDataError(str(p), "the sheet is empty", ["put a header row in the first row"])
    header = ["" if v is None else str(v).strip() for v in rows[0]]
    while header and header[-1] == "":
        header.pop()
    body = [r[: len(header)] for r in rows[1:] if any(v is not None and v != "" for v in r)]
    return header, body


def read_frame(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    dtype: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Read a CSV, Parquet or Excel file into a DataFrame.

    Args:
        path: the file.
        sheet: Excel only: the sheet name or index (default: the first sheet).
        dtype: optional column → dtype for CSV and Excel (e.g. ``{"channel": str}``).

    Returns:
        The frame with the file's column names as written (Excel headers stripped).

    Raises:
        InputDataError: the file is missing or cannot be parsed; the message says what was expected.
    """
    import pandas as pd

    p = _existing(path)
    fmt = file_format(p)
    try:
        if fmt == "parquet":
            return pd.read_parquet(p)
        if fmt == "xlsx":
            header, body = _excel_rows(p, sheet)
            frame = pd.DataFrame(body, columns=header)
            return frame.astype(dtype) if dtype else frame
        enc, delim = _csv_layout(p)
        return pd.read_csv(p, sep=delim, encoding=enc, dtype=dtype)
    except InputDataError:
        raise
    except pd.errors.EmptyDataError as exc:
        raise InputDataError(str(p), "the file is empty", ["put a header row in the first line"]) from exc
    except Exception as exc:  # pandas and pyarrow raise many types
        raise InputDataError(str(p), f"cannot be read as a table ({exc})", [_FORMATS_HINT]) from exc


def read_arrow(path: str | Path, *, string_columns: Sequence[str] = (), sheet: str | int | None = None) -> pa.Table:
    """Read a CSV, Parquet or Excel file into a pyarrow Table (column-wise, fast for large CSVs).

    Args:
        path: the file.
        string_columns: CSV columns to keep as text whatever they look like (compared after trimming and
            lower-casing the header, e.g. ``("path", "channel")``).
        sheet: Excel only: the sheet name or index.

    Raises:
        InputDataError: the file is missing or cannot be parsed.
    """
    import pyarrow as pa

    p = _existing(path)
    fmt = file_format(p)
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return pq.read_table(p)
        if fmt == "xlsx":
            header, body = _excel_rows(p, sheet)
            cols = list(zip(*body, strict=False)) if body else [() for _ in header]
            keep = {s.strip().lower() for s in string_columns}
            arrays = [pa.array([None if v is None else str(v) for v in col], pa.string())
                      if h.strip().lower() in keep else pa.array(list(col))
                      for h, col in zip(header, cols, strict=False)]
            return pa.table(arrays, names=header)
        import pyarrow.csv as pcsv

        enc, delim = _csv_layout(p)
        with p.open("r", encoding=enc, errors="replace") as fh:
            first = fh.readline()
        header = next(csv.reader(_io.StringIO(first), delimiter=delim), [])
        keep = {s.strip().lower() for s in string_columns}
        types = {raw: pa.string() for raw in header if raw.strip().lower().lstrip("\ufeff") in keep}
        read_opts = pcsv.ReadOptions(encoding="utf8" if enc.startswith("utf-8") else enc)
        return pcsv.read_csv(
            p,
            read_options=read_opts,
            parse_options=pcsv.ParseOptions(delimiter=delim),
            convert_options=pcsv.ConvertOptions(column_types=types, strings_can_be_null=False),
        )
    except InputDataError:
        raise
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputDataError(str(p), f"cannot be read as a table ({exc})", [_FORMATS_HINT]) from exc
