"""Mappings from the user: ``[[sources]]`` in omnimix.toml and the one-off ``--map`` / ``--set`` flags.

A mapping says, for the files it matches, which header feeds which canonical column (any column,
required ones included), which columns take one constant value (``channel = "抖音"``), how values
are renamed, and which sheet / header row to read. It is applied before validation: a preset whose
required column a mapping supplies matches, and detection counts the mapped columns.

Order of precedence: ``--map`` / ``--set`` over the ``[[sources]]`` entries that match the file (in
file order, later entries over earlier ones) over the preset's own aliases and constants.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

from omnimix.errors import InputDataError, UsageError
from omnimix.ingest.headers import HeaderIndex, normalize
from omnimix.ingest.presets import Mapping, Preset
from omnimix.schema import TABLES
from omnimix.workspace import Workspace


@dataclass(frozen=True)
class Overrides:
    """What a user mapping adds for one file.

    Attributes:
        columns: header in the file → canonical column.
        constants: canonical column → value for every row.
        values: canonical column → {value in the file → canonical value}.
        sheet: XLSX sheet (name or 1-based number).
        header_row: 1-based line (CSV) or sheet row (XLSX) of the header.
        preset / table: the preset or canonical table the mapping names.
        sources: names of the ``[[sources]]`` entries applied.
    """

    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    sheet: str | None = None
    header_row: int | None = None
    preset: str | None = None
    table: str | None = None
    sources: tuple[str, ...] = ()

    def merged(self, other: Overrides) -> Overrides:
        """``other`` over ``self``."""
        return Overrides(
            columns={**self.columns, **other.columns},
            constants={**self.constants, **other.constants},
            values={**self.values, **other.values},
            sheet=other.sheet if other.sheet is not None else self.sheet,
            header_row=other.header_row if other.header_row is not None else self.header_row,
            preset=other.preset or self.preset,
            table=other.table or self.table,
            sources=(*self.sources, *other.sources),
        )

    @property
    def empty(self) -> bool:
        return self == Overrides()


def _pairs(items: list[str] | None, flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{flag} {item!r}: expected NAME=VALUE (e.g. {flag} "
                             + ("'项目名称=campaign'" if flag == "--map" else "channel=douyin") + ")")
        out[key.strip()] = value.strip()
    return out


def from_flags(maps: list[str] | None = None, sets: list[str] | None = None, sheet: str | None = None,
               header_row: int | None = None) -> Overrides:
    """The ``--map SRC=CANON``, ``--set COL=VALUE``, ``--sheet`` and ``--header-row`` flags.

    Raises:
        UsageError: a flag is not ``NAME=VALUE`` or the header row is below 1.
    """
    if header_row is not None and header_row < 1:
        raise UsageError(f"--header-row must be 1 or more (the header's line in the file), not {header_row}")
    return Overrides(columns=_pairs(maps, "--map"), constants=_pairs(sets, "--set"), sheet=sheet,
                     header_row=header_row)


def _glob(path: Path, pattern: str) -> bool:
    p = path.as_posix()
    return (path.match(pattern) or fnmatch.fnmatch(path.name, pattern) or fnmatch.fnmatch(p, pattern)
            or Path(pattern).name == path.name)


def for_file(ws: Workspace, path: Path, header: list[str] | None = None) -> Overrides:
    """The ``[[sources]]`` entries of omnimix.toml that match a file (by pattern; by header once known).

    An entry with a ``header`` list matches only when ``header`` is given and holds every listed name.
    """
    out = Overrides()
    idx = HeaderIndex(header) if header is not None else None
    for src in ws.config.sources:
        if src.pattern is not None and not _glob(path, src.pattern):
            continue
        if src.header:
            if idx is None or any(idx.find(h) is None for h in src.header):
                continue
        out = out.merged(Overrides(columns=dict(src.columns), constants=dict(src.constants),
                                   values={k: dict(v) for k, v in src.values.items()}, sheet=src.sheet,
                                   header_row=src.header_row, preset=src.preset, table=src.table,
                                   sources=(src.name,)))
    return out


def forced_columns(ov: Overrides, header: list[str], preset: Preset | None, file: str) -> dict[str, str]:
    """canonical column → header name from ``ov.columns`` (headers matched like aliases).

    Raises:
        InputDataError: a mapped header is not in the file, or a canonical name is not a column of the
            preset's table.
    """
    idx = HeaderIndex(header)
    out: dict[str, str] = {}
    origin = ("[[sources]] " + ", ".join(repr(s) for s in ov.sources)) if ov.sources else "--map"
    for raw_name, canon in ov.columns.items():
        hit = idx.find(raw_name)
        if hit is None:
            raise InputDataError(file, f"{origin} maps column {raw_name!r}, which the file does not have. "
                                 f"Header: {header}. Fix: correct the header name in the mapping.")
        if preset is not None:
            _check_column(canon, preset, file, origin)
        out[canon] = hit
    return out


def _check_column(canon: str, preset: Preset, file: str, origin: str) -> None:
    cols = [c for c in TABLES[preset.table].column_names if c != "load_id"]
    if canon not in cols:
        raise InputDataError(file, f"{origin} names {canon!r}, which is not a column of table "
                             f"{preset.table!r}. Columns: {', '.join(cols)}.")


def apply(ws: Workspace, preset: Preset, ov: Overrides, header: list[str], file: str) -> tuple[Preset, Mapping]:
    """The preset with the mapping's constants and value maps, and the file's column mapping.

    The unit of a money header (``消耗(元)``, ``Amount spent (USD)``) gives the currency when no column
    or constant does. A ``channel`` constant or mapped value that is a channel's display name in
    ``[taxonomy.channels]`` (``抖音``) becomes its key (``douyin``).

    Raises:
        InputDataError: a mapping names a missing header or an unknown column, or a required column is
            still missing.
    """
    forced = forced_columns(ov, header, preset, file)
    origin = ("[[sources]] " + ", ".join(repr(s) for s in ov.sources)) if ov.sources else "--set"
    for canon in (*ov.constants, *ov.values):
        _check_column(canon, preset, file, origin)
    constants = {k: v for k, v in preset.constants.items() if k not in forced}
    constants.update(_channel_keys(ws, ov.constants))
    values = {k: dict(v) for k, v in preset.values.items()}
    for k, vm in ov.values.items():
        values[k] = {**values.get(k, {}), **(_channel_keys_map(ws, vm) if k == "channel" else vm)}
    p = dataclasses.replace(preset, constants=constants, values=values)
    mapping = p.resolve(header, file, forced)
    for k in ov.constants:
        mapping.pop(k, None)  # a constant wins over a column the preset found
    extra = p.unit_constants(header, mapping)
    if extra:
        p = dataclasses.replace(p, constants={**p.constants, **extra})
    return p, mapping


def _display_to_key(ws: Workspace) -> dict[str, str]:
    return {normalize(disp): key for key, disp in ws.config.taxonomy.channels.items()}


def _channel_keys(ws: Workspace, constants: dict[str, str]) -> dict[str, str]:
    out = dict(constants)
    if "channel" in out:
        out["channel"] = _display_to_key(ws).get(normalize(out["channel"]), out["channel"])
    return out


def _channel_keys_map(ws: Workspace, vm: dict[str, str]) -> dict[str, str]:
    keys = _display_to_key(ws)
    return {k: keys.get(normalize(v), v) for k, v in vm.items()}


def choose(ws: Workspace, path: Path, header: list[str], preset_name: str | None, table: str | None,
           flags: Overrides | None) -> tuple[Preset, Mapping, Overrides]:
    """The preset and column mapping for a file: flags over matching [[sources]] over detection.

    ``--preset`` / ``--table`` win over a source's ``preset`` / ``table``; with none, the preset is
    detected counting the mapped columns.

    Raises:
        InputDataError: unknown preset, a mapping that names a missing header or column, no preset fits.
    """
    from omnimix.ingest.presets import detect_preset, get_preset

    ov = for_file(ws, path, header).merged(flags or Overrides())
    file = str(path)
    if preset_name:
        preset = get_preset(preset_name, file)
    elif table:
        preset = get_preset(f"table:{table}", file)
    elif ov.preset or ov.table:
        preset = get_preset(ov.preset or f"table:{ov.table}", file)
    else:
        forced = forced_columns(ov, header, None, file)
        preset = detect_preset(header, file, forced or None, constants=tuple(ov.constants))
    p, mapping = apply(ws, preset, ov, header, file)
    return p, mapping, ov
