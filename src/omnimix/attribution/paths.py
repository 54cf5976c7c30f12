"""Journey paths: reading, parsing and the compact array form every attribution model consumes.

A set of journeys is held as :class:`PathData`: one flat array of channel ids (``tokens``) cut into
paths by ``offsets`` (CSR layout), with per-path conversions, conversion value and null counts. The
parser is vectorised: all path strings are split in one call and channel names are trimmed once per
distinct raw token, so 200 000 distinct paths parse in a fraction of a second.

Three inputs are understood:

* a plain paths file (CSV with ``,``, ``;``, tab or ``|`` detected; Parquet; XLSX) with columns ``path``,
  ``total_conversions`` and optionally ``total_conversion_value`` and ``total_null``;
* touch-level rows (``journey_id`` or ``customer_id``, ``ts``, ``channel``, ``converted``,
  ``conversion_value``, optional ``conversion_ts`` and ``campaign``), see :func:`read_touches`;
* a workspace's warehouse (tables ``paths``, ``journey_touches`` and ``spend``), read through
  :class:`omnimix.workspace.Workspace`, see :func:`read_workspace`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from omnimix.errors import InputDataError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from omnimix.workspace import Workspace

logger = logging.getLogger("omnimix")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

PATH_COLUMNS = ("path", "total_conversions", "total_conversion_value", "total_null")
TOUCH_COLUMNS = (
    "journey_id",
    "customer_id",
    "ts",
    "channel",
    "campaign",
    "converted",
    "conversion_value",
    "conversion_ts",
)


def wbincount(index: IntArray, weights: npt.ArrayLike, minlength: int) -> FloatArray:
    """Weighted ``np.bincount`` returning float64, shape ``(max(minlength, index.max() + 1),)``."""
    return np.asarray(np.bincount(index, weights=weights, minlength=minlength), dtype=np.float64)


@dataclass(frozen=True, eq=False)
class PathData:
    """Aggregated journeys in CSR form.

    Attributes:
        channels: channel names, sorted; a token ``i`` means ``channels[i]``. Shape ``(m,)``.
        tokens: channel id of every touch, path after path. Shape ``(n_touches,)``, int64.
        offsets: path ``p`` is ``tokens[offsets[p]:offsets[p + 1]]``. Shape ``(n_paths + 1,)``.
        conversions: conversions of each path (journeys that converted). Shape ``(n_paths,)``.
        value: conversion value of each path (0 where unknown). Shape ``(n_paths,)``.
        null: journeys of each path that did not convert. Shape ``(n_paths,)``.
        has_value: whether a conversion value column was given.
        has_null: whether a null (non-converting) count column was given.
    """

    channels: tuple[str, ...]
    tokens: IntArray
    offsets: IntArray
    conversions: FloatArray
    value: FloatArray
    null: FloatArray
    has_value: bool = False
    has_null: bool = False

    @property
    def n_paths(self) -> int:
        """Number of (distinct) paths."""
        return int(self.offsets.shape[0] - 1)

    @property
    def n_channels(self) -> int:
        """Number of channels."""
        return len(self.channels)

    @property
    def lengths(self) -> IntArray:
        """Touches per path, shape ``(n_paths,)``."""
        return np.diff(self.offsets)

    @property
    def path_of_touch(self) -> IntArray:
        """Path index of every touch, shape ``(n_touches,)``."""
        return np.repeat(np.arange(self.n_paths, dtype=np.int64), self.lengths)

    @property
    def total_conversions(self) -> float:
        """Sum of conversions over all paths."""
        return float(self.conversions.sum())

    @property
    def total_value(self) -> float:
        """Sum of conversion value over all paths."""
        return float(self.value.sum())

    def path_strings(self, sep: str = " > ") -> list[str]:
        """The paths as strings, channel names joined by ``sep``."""
        names = self.channels
        toks = self.tokens.tolist()
        off = self.offsets.tolist()
        return [sep.join(names[t] for t in toks[off[p] : off[p + 1]]) for p in range(self.n_paths)]

    def collapsed(self) -> PathData:
        """Paths with consecutive repeats of a channel merged (``a > a > b`` becomes ``a > b``)."""
        if self.tokens.size == 0:
            return self
        path = self.path_of_touch
        keep = np.ones(self.tokens.size, dtype=bool)
        keep[1:] = (self.tokens[1:] != self.tokens[:-1]) | (path[1:] != path[:-1])
        if keep.all():
            return self
        new_len = np.bincount(path[keep], minlength=self.n_paths)
        offsets = np.concatenate(([0], np.cumsum(new_len))).astype(np.int64)
        return PathData(
            self.channels,
            self.tokens[keep],
            offsets,
            self.conversions,
            self.value,
            self.null,
            self.has_value,
            self.has_null,
        )

    def converting_only(self) -> PathData:
        """Only the paths with conversions, null counts set to zero."""
        sel = self.conversions > 0
        return self.select(sel, drop_null=True)

    def select(self, mask: npt.NDArray[np.bool_], drop_null: bool = False) -> PathData:
        """Keep the paths where ``mask`` is true (shape ``(n_paths,)``)."""
        lengths = self.lengths[mask]
        touch_mask = np.repeat(mask, self.lengths)
        offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        null = np.zeros(int(mask.sum())) if drop_null else self.null[mask]
        return PathData(
            self.channels,
            self.tokens[touch_mask],
            offsets,
            self.conversions[mask],
            self.value[mask],
            null,
            self.has_value,
            self.has_null and not drop_null,
        )


def _as_float(values: Any, name: str, source: str, n: int) -> FloatArray:
    if values is None:
        return np.zeros(n)
    try:
        arr = np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise InputDataError(
            source, f"column `{name}` must be numeric ({exc}).", [f"fix the non-numeric values in `{name}`"]
        ) from exc
    if arr.shape[0] != n:
        raise InputDataError(source, f"column `{name}` has {arr.shape[0]} values for {n} paths.")
    bad = np.flatnonzero(~np.isfinite(arr) | (arr < 0))
    if bad.size:
        problems = [f"row {int(i) + 1}: `{name}` = {arr[i]!r}, expected a number >= 0" for i in bad[:10]]
        if bad.size > 10:
            problems.append(f"... and {bad.size - 10} more rows")
        raise InputDataError(source, f"column `{name}` has {bad.size} missing or negative values.", problems)
    return arr


def from_strings(
    paths: Sequence[str],
    conversions: Any,
    value: Any = None,
    null: Any = None,
    sep: str = ">",
    source: str = "<paths>",
) -> PathData:
    """Parse path strings into :class:`PathData`.

    Args:
        paths: one string per path, channels separated by ``sep``. Shape ``(n_paths,)``.
        conversions: conversions per path, shape ``(n_paths,)``.
        value: conversion value per path, or ``None``.
        null: non-converting journeys per path, or ``None``.
        sep: the channel separator; channel names are trimmed of surrounding spaces.
        source: name used in error messages.

    Returns:
        The parsed paths. Channel ids follow the sorted channel names.

    Raises:
        InputDataError: a path has no channel, or a count is negative or not a number.
    """
    if not sep:
        raise InputDataError(source, "the path separator is empty.", ["pass --sep, e.g. --sep '>'"])
    paths = list(paths)
    n = len(paths)
    conv = _as_float(conversions, "total_conversions", source, n)
    val = _as_float(value, "total_conversion_value", source, n)
    nul = _as_float(null, "total_null", source, n)
    # Join with a start marker so path boundaries survive one flat split: every token that begins
    # with the marker opens a path. Channel names are trimmed once per distinct raw token.
    mark = "\x1e"
    joiner = sep + mark
    try:
        joined = joiner.join(paths)
    except TypeError:
        paths = ["" if p is None else str(p) for p in paths]
        joined = joiner.join(paths)
    raw_tokens = (mark + joined).split(sep) if n else []
    raw_map: dict[str, int] = dict.fromkeys(raw_tokens, 0)
    names = sorted({r.lstrip(mark).strip() for r in raw_map} - {""})
    ids = {name: i for i, name in enumerate(names)}
    big = len(names) + 1  # ids >= big mark the first token of a path; -1 an empty name
    for r in raw_map:
        if r.startswith(mark):
            raw_map[r] = big + ids.get(r[1:].strip(), -1) + 1
        else:
            raw_map[r] = ids.get(r.strip(), -1)
    tokens = np.fromiter(map(raw_map.__getitem__, raw_tokens), dtype=np.int64, count=len(raw_tokens))
    is_start = tokens >= big
    tokens = np.where(is_start, tokens - big - 1, tokens)
    path_idx = np.cumsum(is_start) - 1
    ok = tokens >= 0  # empty channel names ("a > > b", trailing separators) are dropped
    counts = np.bincount(path_idx[ok], minlength=n).astype(np.int64)
    tokens = tokens[ok]
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        problems = [f"row {int(i) + 1}: path {paths[i]!r} has no channel" for i in empty[:10]]
        raise InputDataError(
            source,
            f"{empty.size} paths are empty.",
            [*problems, "remove empty paths or check the separator (--sep)"],
        )
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    return PathData(
        tuple(names), tokens, offsets, conv, val, nul, has_value=value is not None, has_null=null is not None
    )


def from_sequences(
    sequences: Sequence[Sequence[str]],
    conversions: Any,
    value: Any = None,
    null: Any = None,
) -> PathData:
    """Build :class:`PathData` from lists of channel names (one list per path)."""
    names = sorted({c.strip() for s in sequences for c in s})
    ids = {c: i for i, c in enumerate(names)}
    tokens = np.array([ids[c.strip()] for s in sequences for c in s], dtype=np.int64)
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    if (lengths == 0).any():
        raise InputDataError("<sequences>", "a path is empty.", ["every path needs at least one channel"])
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    n = len(sequences)
    return PathData(
        tuple(names),
        tokens,
        offsets,
        _as_float(conversions, "total_conversions", "<sequences>", n),
        _as_float(value, "total_conversion_value", "<sequences>", n),
        _as_float(null, "total_null", "<sequences>", n),
        has_value=value is not None,
        has_null=null is not None,
    )


#: Columns read as text whatever they look like (ids and channel names such as ``"1"`` stay strings).
STRING_COLUMNS = ("path", "channel", "campaign", "journey_id", "customer_id")


def _normalise_header(names: Sequence[str]) -> list[str]:
    return [str(n).strip().lower().lstrip("\ufeff") for n in names]


def read_columns(file: str | Path) -> dict[str, Any]:
    """Read a paths or touches file (CSV, delimiter detected; Parquet; XLSX) into a dict of columns.

    The file is read by :func:`omnimix.io.read_arrow`; headers are trimmed and lower-cased, and the
    :data:`STRING_COLUMNS` stay text.

    Returns:
        ``{column name (trimmed, lower case): pyarrow ChunkedArray}``.

    Raises:
        InputDataError: the file is missing or cannot be read as a table.
    """
    from omnimix.io import read_arrow

    table = read_arrow(file, string_columns=STRING_COLUMNS)
    return {n: table.column(i) for i, n in enumerate(_normalise_header(table.column_names))}


_NUMPY_OF_ARROW = {
    "int8": np.int8,
    "int16": np.int16,
    "int32": np.int32,
    "int64": np.int64,
    "uint8": np.uint8,
    "uint16": np.uint16,
    "uint32": np.uint32,
    "uint64": np.uint64,
    "float": np.float32,
    "double": np.float64,
}


def _chunk_to_float(chunk: Any) -> FloatArray:
    """An Arrow numeric array as float64 (nulls as NaN), read from its buffers.

    ``Array.to_numpy`` imports pandas (~0.3 s), which would dominate the CLI start; primitive
    numeric arrays are read straight from their data and validity buffers instead.
    """
    dtype = _NUMPY_OF_ARROW.get(str(chunk.type))
    n = len(chunk)
    if dtype is None or n == 0:
        return np.asarray(chunk.to_numpy(zero_copy_only=False), dtype=np.float64)
    validity, data = chunk.buffers()[:2]
    out = np.frombuffer(data, dtype=dtype, count=n, offset=chunk.offset * np.dtype(dtype).itemsize)
    res = out.astype(np.float64)
    if chunk.null_count and validity is not None:
        bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
        res[~bits[chunk.offset : chunk.offset + n].astype(bool)] = np.nan
    return res


def _numeric(col: Any, name: str, source: str) -> FloatArray:
    import pyarrow as pa

    if not (
        pa.types.is_integer(col.type)
        or pa.types.is_floating(col.type)
        or pa.types.is_decimal(col.type)
        or pa.types.is_null(col.type)
    ):
        raise InputDataError(
            source,
            f"column `{name}` is {col.type}, expected numbers.",
            [f"make `{name}` numeric (no text, no thousands separators)"],
        )
    parts = [_chunk_to_float(c) for c in col.chunks]
    arr = np.concatenate(parts) if parts else np.zeros(0)
    return np.nan_to_num(arr, nan=0.0) if col.null_count else arr


def read_paths_file(file: str | Path, sep: str = ">") -> PathData:
    """Read a plain paths file.

    Args:
        file: CSV (delimiter detected), Parquet or XLSX with columns ``path``, ``total_conversions`` and
            optionally ``total_conversion_value`` and ``total_null``.
        sep: channel separator inside ``path``.

    Returns:
        The parsed :class:`PathData`.
    """
    return paths_from_columns(read_columns(file), sep=sep, source=str(file))


def paths_from_columns(cols: dict[str, Any], sep: str = ">", source: str = "<paths>") -> PathData:
    """:class:`PathData` from the columns returned by :func:`read_columns`."""
    missing = [c for c in ("path", "total_conversions") if c not in cols]
    if missing:
        raise InputDataError(
            source,
            f"missing column(s) {missing}; found {sorted(cols)}.",
            [
                "a paths file needs `path` and `total_conversions` "
                "(optional `total_conversion_value`, `total_null`)"
            ],
        )
    paths = cols["path"].to_pylist()
    conv = _numeric(cols["total_conversions"], "total_conversions", source)
    value = (
        _numeric(cols["total_conversion_value"], "total_conversion_value", source)
        if "total_conversion_value" in cols
        else None
    )
    null = _numeric(cols["total_null"], "total_null", source) if "total_null" in cols else None
    return from_strings(paths, conv, value, null, sep=sep, source=source)


def is_touch_table(columns: Sequence[str]) -> bool:
    """Whether a table with these columns holds touch-level rows (rather than paths)."""
    cols = set(_normalise_header(columns))
    return "path" not in cols and {"ts", "channel"} <= cols


def read_touches(file: str | Path, cols: dict[str, Any] | None = None) -> pd.DataFrame:
    """Read touch-level rows from a CSV, Parquet or XLSX file into a normalised DataFrame.

    Columns: ``journey_id`` (or ``customer_id``), ``ts``, ``channel``, ``converted`` and optionally
    ``conversion_value``, ``conversion_ts``, ``campaign``. See :func:`normalise_touches`.
    ``cols`` may pass the file's columns already read with :func:`read_columns`.
    """
    if cols is None:
        cols = read_columns(file)
    import pandas as pd

    frame = pd.DataFrame({k: v.to_pandas() for k, v in cols.items()})
    return normalise_touches(frame, source=str(file))


def normalise_touches(frame: pd.DataFrame, source: str = "<touches>") -> pd.DataFrame:
    """Validate and normalise touch rows.

    Returns:
        A DataFrame with ``journey_id`` (str), ``ts`` (datetime64), ``channel`` (str, trimmed),
        ``campaign`` (str or missing), ``converted`` (bool), ``conversion_value`` (float, 0 if
        missing) and ``conversion_ts`` (datetime64 or NaT), sorted by journey and time.
    """
    import pandas as pd

    df = frame.copy()
    df.columns = _normalise_header([str(c) for c in df.columns])
    if "journey_id" not in df.columns:
        if "customer_id" not in df.columns:
            raise InputDataError(
                source,
                f"no `journey_id` or `customer_id` column; found {list(df.columns)}.",
                ["touch rows need a journey or customer id, `ts` and `channel`"],
            )
        df["journey_id"] = df["customer_id"]
    missing = [c for c in ("ts", "channel") if c not in df.columns]
    if missing:
        raise InputDataError(
            source,
            f"missing column(s) {missing}; found {list(df.columns)}.",
            ["touch rows need `ts` (timestamp) and `channel`"],
        )
    problems: list[str] = []
    ts = pd.to_datetime(df["ts"], errors="coerce")
    for i in np.flatnonzero(ts.isna().to_numpy())[:10]:
        problems.append(f"row {int(i) + 1}: ts = {df['ts'].iloc[i]!r} is not a timestamp")
    channel = df["channel"].astype("string").str.strip()
    for i in np.flatnonzero((channel.isna() | (channel == "")).to_numpy())[:10]:
        problems.append(f"row {int(i) + 1}: channel is empty")
    if problems:
        raise InputDataError(source, "touch rows have invalid values.", problems)
    out = pd.DataFrame(
        {"journey_id": df["journey_id"].astype("string"), "ts": ts, "channel": channel.astype(str)}
    )
    out["campaign"] = (
        df["campaign"].astype("string").str.strip()
        if "campaign" in df.columns
        else pd.Series(pd.NA, index=df.index, dtype="string")
    )
    if "converted" in df.columns:
        conv = df["converted"]
        if conv.dtype == object or str(conv.dtype).startswith("string"):
            conv = conv.astype("string").str.strip().str.lower().isin(["1", "true", "t", "yes", "y"])
        out["converted"] = conv.fillna(False).astype(bool)
    else:
        out["converted"] = False
    value = (
        pd.to_numeric(df["conversion_value"], errors="coerce")
        if "conversion_value" in df.columns
        else pd.Series(0.0, index=df.index)
    )
    out["conversion_value"] = value.fillna(0.0).astype(float)
    out["conversion_ts"] = (
        pd.to_datetime(df["conversion_ts"], errors="coerce")
        if "conversion_ts" in df.columns
        else pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    )
    return out.sort_values(["journey_id", "ts"], kind="stable").reset_index(drop=True)


def ensure_normalised(touches: pd.DataFrame) -> pd.DataFrame:
    """``touches`` if already in :func:`normalise_touches` form, else normalised."""
    import pandas as pd

    cols = {"journey_id", "ts", "channel", "campaign", "converted", "conversion_value", "conversion_ts"}
    if cols <= set(touches.columns) and pd.api.types.is_datetime64_any_dtype(touches["ts"]):
        return touches
    return normalise_touches(touches)


def journey_table(
    touches: pd.DataFrame, lookback_days: float | None = None, level: str = "channel"
) -> pd.DataFrame:
    """Touches that count for each journey, with the journey's outcome.

    A journey converts if any of its rows says ``converted``; its value is the largest
    ``conversion_value`` on its rows; its conversion time is ``conversion_ts`` (or its last touch).
    Touches after the conversion time are dropped; with ``lookback_days``, so are touches older than
    that before the conversion (or, for journeys without conversion, before the last touch).

    Returns:
        Touch rows with added ``unit`` (channel, or ``"channel / campaign"`` at campaign level),
        ``j_converted``, ``j_value``, ``j_end`` and ``age_days`` (days before the journey end).
    """
    df = ensure_normalised(touches).copy()
    g = df.groupby("journey_id", sort=False)
    df["j_converted"] = g["converted"].transform("max").astype(bool)
    df["j_value"] = np.where(df["j_converted"], g["conversion_value"].transform("max"), 0.0)
    conv_ts = g["conversion_ts"].transform("max")
    last_ts = g["ts"].transform("max")
    df["j_end"] = conv_ts.where(df["j_converted"] & conv_ts.notna(), last_ts)
    df = df[df["ts"] <= df["j_end"]]
    age = (df["j_end"] - df["ts"]).dt.total_seconds() / 86400.0
    df = df.assign(age_days=age.astype(float))
    if lookback_days is not None:
        df = df[df["age_days"] <= lookback_days]
    if level == "campaign":
        camp = df["campaign"].fillna("(none)").astype(str)
        df = df.assign(unit=df["channel"].astype(str) + " / " + camp)
    else:
        df = df.assign(unit=df["channel"].astype(str))
    return df.reset_index(drop=True)


def touches_to_paths(
    touches: pd.DataFrame, lookback_days: float | None = None, level: str = "channel"
) -> PathData:
    """Aggregate touch rows into :class:`PathData` (conversions, value and null per distinct path).

    Journeys left without any touch after the lookback filter are dropped (logged).
    """
    touches = ensure_normalised(touches)
    df = journey_table(touches, lookback_days, level)
    n_journeys = touches["journey_id"].nunique()
    if df.empty:
        raise InputDataError(
            "<touches>", "no touch is left after the lookback filter.", ["widen the lookback window"]
        )
    seqs = df.groupby("journey_id", sort=True).agg(
        path=("unit", "\x1f".join), conv=("j_converted", "first"), value=("j_value", "first")
    )
    dropped = n_journeys - len(seqs)
    if dropped:
        logger.warning("%d journeys have no touch inside the lookback window and are left out", dropped)
    seqs["null"] = (~seqs["conv"].astype(bool)).astype(float)
    seqs["conv"] = seqs["conv"].astype(float)
    agg = seqs.groupby("path", sort=True).agg(
        conv=("conv", "sum"), value=("value", "sum"), null=("null", "sum")
    )
    agg = agg.reset_index()
    return from_strings(
        agg["path"].tolist(),
        agg["conv"].to_numpy(),
        agg["value"].to_numpy(),
        agg["null"].to_numpy(),
        sep="\x1f",
        source="<touches>",
    )


@dataclass(frozen=True)
class WorkspaceData:
    """What attribution reads from a workspace warehouse."""

    paths: PathData | None
    touches: pd.DataFrame | None
    spend: pd.DataFrame | None


def open_workspace(workspace: Workspace | str | Path) -> Workspace:
    """The :class:`~omnimix.workspace.Workspace` of ``workspace`` whose warehouse exists.

    Raises:
        InputDataError: the directory is no workspace or its warehouse has not been created yet.
        ConfigError: its omnimix.toml is invalid.
    """
    from omnimix.workspace import Workspace

    return Workspace.loaded(workspace)


def read_workspace(workspace: Workspace | str | Path, want_touches: bool = True) -> WorkspaceData:
    """Read ``paths``, ``journey_touches`` and ``spend`` from a workspace's warehouse (read-only).

    The warehouse is the one ``[workspace] warehouse`` in omnimix.toml names (a bare directory holding
    ``warehouse.duckdb`` also works). Missing tables come back as ``None``; at least one of ``paths``
    and ``journey_touches`` must exist.

    Raises:
        InputDataError: no warehouse, or neither ``paths`` nor ``journey_touches``.
    """
    from omnimix.workspace import read_table as read_warehouse_table

    ws = open_workspace(workspace)
    db = ws.warehouse_path
    con = ws.connect(read_only=True)
    try:
        tables = {str(r[0]).lower() for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
        paths = None
        if "paths" in tables:
            rows = con.execute(
                "SELECT path, total_conversions, "
                "COALESCE(total_conversion_value, 0) AS v, COALESCE(total_null, 0) AS n "
                "FROM paths WHERE path IS NOT NULL AND length(trim(path)) > 0"
            ).fetchnumpy()
            paths = from_strings(
                [str(p) for p in rows["path"].tolist()],
                rows["total_conversions"],
                rows["v"],
                rows["n"],
                sep=">",
                source=f"{db}:paths",
            )
        touches = None
        if want_touches and "journey_touches" in tables:
            touches = normalise_touches(read_warehouse_table(con, "journey_touches"), source=f"{db}:journey_touches")
        spend = None
        if "spend" in tables:
            spend = read_warehouse_table(con, "spend", ["date", "channel", "campaign", "spend"])
    finally:
        con.close()
    if paths is None and touches is None:
        raise InputDataError(
            str(db),
            "the warehouse has neither a `paths` nor a `journey_touches` table.",
            ["build journeys first (`omnimix ingest` / `omnimix demo`)"],
        )
    return WorkspaceData(paths, touches, spend)
