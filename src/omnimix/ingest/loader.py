"""Load one source file into a canonical table, atomically and idempotently, losing nothing.

The steps, all inside one DuckDB transaction (a crash or kill leaves the warehouse as it was):

1. read the file into a temp table of text columns (:mod:`omnimix.ingest.readers`); rows that do not
   parse (wrong column count, bad quoting, over-long lines, broken JSON) become rejects;
2. type and check every mapped column in one generated SELECT: each row gets its typed values and a
   ``reason`` listing every problem (unparseable date, text in a numeric column, negative spend,
   unknown currency, missing required value …);
3. normalise and hash PII, derive channel and stage from the taxonomy, derive event ids;
4. rows with a reason and rows repeating a key earlier in the same file go to ``quarantine``; rows
   whose key is already in the warehouse are skipped (counted, not loaded twice); the rest are
   inserted; a row in ``loads`` records the file's SHA-256 and counts.

A file whose SHA-256 was already loaded into the same table is skipped whole. Every result satisfies
``rows_in = rows_loaded + rows_quarantined + rows_skipped``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from omnimix.errors import EngineError, InputDataError, OmnimixError
from omnimix.ingest.compiler import RECORD, Compiler, masked_note, skip_notes
from omnimix.ingest.lines import csv_line_map
from omnimix.ingest.loads import DATE_COLUMN, day_range, replace_earlier
from omnimix.ingest.mapping import Overrides, choose, for_file
from omnimix.ingest.pii import normalize_phone
from omnimix.ingest.presets import Preset, get_preset
from omnimix.ingest.readers import RawTable, collect_csv_rejects, read_any
from omnimix.ingest.redact import Redactor
from omnimix.schema import TABLES
from omnimix.taxonomy import Taxonomy
from omnimix.workspace import Workspace
from omnimix.workspace import quote_ident as _q
from omnimix.workspace import quote_literal as _s

log = logging.getLogger("omnimix")

_HANG_ENV = "OMNIMIX_TEST_HANG_BEFORE_COMMIT"  # test hook: pause inside the transaction (kill tests)


@dataclass
class LoadResult:
    """What happened to one file.

    ``warnings`` name what the load did not do silently: rows restating a value already loaded under
    the same key (skipped, the earlier value kept), rows added on days an earlier load of the same
    platform already covered with different content, and what ``--replace`` replaced.
    """

    file: str
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_skipped: int = 0
    errors: list[str] = field(default_factory=list)
    table: str | None = None
    preset: str | None = None
    load_id: str | None = None
    already_loaded: bool = False
    warnings: list[str] = field(default_factory=list)
    rows_replaced: int = 0
    notes: list[str] = field(default_factory=list)  # skipped totals / line-item rows, masked ids, sections

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _sha256(path: Path, out: list[str]) -> None:
    with open(path, "rb") as fh:
        out.append(hashlib.file_digest(fh, "sha256").hexdigest())


def ingest_file(ws: Workspace, path: str | Path, preset: str | None = None, table: str | None = None,
                con: Any = None, replace: bool = False, overrides: Overrides | None = None) -> LoadResult:
    """Load one file. File-level problems raise :class:`InputDataError`; row problems quarantine.

    Args:
        ws: the workspace.
        path: the file.
        preset: preset name (see :data:`omnimix.ingest.presets.PRESETS`).
        table: canonical table name (the file has canonical columns); exclusive with ``preset``.
        con: an open writable warehouse connection (opened and closed here when omitted).
        replace: the file restates earlier loads of the same table and platform: their rows on the
            file's days are replaced (:func:`omnimix.ingest.loads.replace_earlier`), in the same
            transaction; the file is loaded even if the same bytes were loaded before.
        overrides: one-off mapping (``--map``, ``--set``, ``--sheet``, ``--header-row``), see
            :mod:`omnimix.ingest.mapping`; applied over the file's ``[[sources]]`` entries.
    """
    p = Path(path)
    own = con is None
    if own:
        con = ws.connect()
    try:
        return _ingest(ws, con, p, preset, table, replace, overrides)
    finally:
        if own:
            con.close()


def _ingest(ws: Workspace, con: Any, path: Path, preset_name: str | None, table: str | None,
            replace: bool = False, flags: Overrides | None = None) -> LoadResult:
    import duckdb

    if preset_name and table:
        raise InputDataError(str(path), "give either --preset or --table, not both.")
    if preset_name:
        get_preset(preset_name, str(path))  # an unknown name fails before the file is read
    reading = for_file(ws, path).merged(flags or Overrides())  # sheet / header row from [[sources]] or flags
    digest: list[str] = []
    hasher = threading.Thread(target=_sha256, args=(path, digest), daemon=True)
    if path.is_file():
        hasher.start()
    tag = "raw_" + uuid.uuid4().hex[:12]
    load_id = uuid.uuid4().hex
    result = LoadResult(file=str(path), load_id=load_id)
    raw_ref: list[RawTable] = []
    con.execute("BEGIN TRANSACTION")
    try:
        raw = read_any(con, path, tag, sheet=reading.sheet, header_row=reading.header_row)
        raw_ref.append(raw)
        preset, mapping, _ = choose(ws, path, raw.header, preset_name, table, flags)
        result.table, result.preset = preset.table, preset.name
        if "phone" in mapping and any(h.lower() == RECORD for h in raw.header):
            raise InputDataError(str(path), f"has a column named {RECORD!r}, a name omnimix reserves. "
                                 "Fix: rename that column.")
        comp = Compiler(preset, raw, mapping, ws, str(path))
        if "phone" in mapping:
            _phone_map(ws, con, tag, comp.phone_source())
        select_sql, cols = comp.build()
        rec = comp.record
        staged = f"staged_{tag}"
        _exec(con, f"CREATE TEMP TABLE {staged} AS {select_sql}", path)
        if raw.fmt == "csv":
            collect_csv_rejects(con, raw)
        base, n_parsed = con.execute(f"SELECT coalesce(min({rec}), 0), count(*) FROM {staged}").fetchone()
        base = 0 if rec == "_rec" else int(base)  # temp-table rowids start at a large offset
        result.rows_in = int(n_parsed) + len(raw.rejects)
        lines = _Lines(raw, int(n_parsed))
        _derive(ws, con, staged, preset, mapping)
        hasher.join() if hasher.is_alive() else None
        sha = digest[0] if digest else ""
        target = TABLES[preset.table]
        lo, hi = day_range(con, staged, target.name)
        if "source" in mapping:  # the file names its sources: look them up
            sources = _sources(con, staged)
        elif "source" in cols:  # one constant (the preset's or the file name) on every row: read one
            sources = [str(r[0]) for r in con.execute(
                f"SELECT source FROM {staged} WHERE source IS NOT NULL LIMIT 1").fetchall()]
        else:
            sources = []
        if not replace:
            prior = con.execute(
                "SELECT load_id FROM loads WHERE sha256 = ? AND target_table = ? "
                "AND coalesce(status, 'loaded') = 'loaded'", [sha, preset.table]).fetchone()
            if prior is not None:
                con.execute("ROLLBACK")
                result.rows_skipped = result.rows_in
                result.already_loaded = True
                result.load_id = prior[0]
                return result
        elif not con.execute(f"SELECT count(*) FROM {staged} WHERE _reason IS NULL").fetchone()[0]:
            result.warnings.append("--replace: this file has no valid row, so it replaces nothing")
        else:
            # a canonical file naming its sources replaces only theirs; otherwise the preset decides
            own = sources if preset.name.startswith("table:") and "source" in mapping else []
            result.rows_replaced, touched = replace_earlier(con, target.name, preset.name, own, lo, hi, load_id)
            if touched:
                result.warnings.append(
                    f"--replace: {result.rows_replaced} row(s) of {len(touched)} earlier load(s) "
                    f"({', '.join(t[:8] for t in touched)}) on {lo}–{hi} replaced by this file")
        # derived event ids are written after staging, so their key hash is stale: check exactly
        derived = preset.table == "touchpoints" and "event_id" not in mapping
        _mark_duplicates(con, staged, target.key, rec, base, screen=not derived)
        key = target.key
        exists = ""
        has_rows = bool(key) and bool(con.execute(f"SELECT count(*) > 0 FROM {_q(target.name)}").fetchone()[0])
        if has_rows:
            cond = " AND ".join(f"t.{_q(k)} IS NOT DISTINCT FROM s.{_q(k)}" for k in key)
            exists = f" AND NOT EXISTS (SELECT 1 FROM {_q(target.name)} t WHERE {cond})"
        col_list = ", ".join(_q(c) for c in cols)
        loaded = con.execute(
            f"INSERT INTO {_q(target.name)} ({col_list}, load_id) SELECT {col_list}, {_s(load_id)} "
            f"FROM {staged} s WHERE _reason IS NULL{exists}").fetchone()[0]
        n_bad = con.execute(f"SELECT count(*) FROM {staged} WHERE _reason IS NOT NULL AND _skip IS NULL"
                            ).fetchone()[0]
        result.notes = [*raw.notes, *skip_notes(con, staged, lines, base, rec), *masked_note(con, staged)]
        result.rows_loaded = int(loaded)
        result.rows_quarantined = int(n_bad) + len(raw.rejects)
        result.rows_skipped = result.rows_in - result.rows_loaded - result.rows_quarantined
        if result.rows_skipped and has_rows:
            result.warnings += _restated(con, staged, target.name, key, cols, rec, base, load_id, lines)
        if not replace and lo is not None and hi is not None and result.rows_loaded:
            result.warnings += _overlaps(con, target.name, preset.name, sha, lo, hi, load_id)
        _quarantine(con, raw, staged, rec, base, load_id, str(path), target.name, lines,
                    Redactor.of(ws, mapping, raw.header))
        con.execute(
            "INSERT INTO loads (load_id, file, sha256, target_table, preset, rows_in, rows_loaded, "
            "rows_quarantined, rows_skipped, loaded_at, source, date_min, date_max, status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?, ?, ?, 'loaded')",
            [load_id, str(path), sha, target.name, preset.name, result.rows_in, result.rows_loaded,
             result.rows_quarantined, result.rows_skipped, ",".join(sources) or None, lo, hi])
        if os.environ.get(_HANG_ENV):
            import sys
            import time

            sys.stderr.write(f"omnimix: {_HANG_ENV} set, pausing before commit\n")
            sys.stderr.flush()
            time.sleep(3600)
        con.execute("COMMIT")
    except OmnimixError:
        _rollback(con)
        raise
    except duckdb.Error as exc:
        _rollback(con)
        log.debug("loading %s failed", path, exc_info=True)
        raise EngineError(f"loading {path} failed: {_first_line(exc)}") from None
    except BaseException:
        _rollback(con)
        raise
    finally:
        for stmt in (f"DROP VIEW IF EXISTS {tag}", f"DROP TABLE IF EXISTS {tag}",
                     f"DROP TABLE IF EXISTS staged_{tag}", "DROP TABLE IF EXISTS _phones"):
            try:
                con.execute(stmt)
            except duckdb.Error:
                pass
        if raw_ref and raw_ref[0].cleanup is not None:
            raw_ref[0].cleanup.unlink(missing_ok=True)
    if result.rows_quarantined:
        result.errors.append(f"{result.rows_quarantined} row(s) quarantined: see `omnimix quarantine "
                             f"--workspace {ws.root}` or the quarantine table (load_id {load_id})")
    return result


class _Lines:
    """Record number → physical line, made exact for CSV (one scan) the first time it is needed."""

    def __init__(self, raw: RawTable, n_rows: int) -> None:
        self.raw, self.n_rows, self.ready = raw, n_rows, raw.fmt != "csv"

    def resolve(self) -> None:
        if not self.ready:
            csv_line_map(self.raw, self.n_rows)
            self.ready = True

    def line(self, record: int) -> int:
        self.resolve()
        return self.raw.lines.line(record)


def _first_line(exc: BaseException) -> str:
    """An engine error's first line (DuckDB appends the failing SQL after it; that goes to the debug log)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _rollback(con: Any) -> None:
    try:
        con.execute("ROLLBACK")
    except Exception:  # already rolled back
        log.debug("rollback after failure raised", exc_info=True)


def _exec(con: Any, sql: str, path: Path | None = None) -> None:
    import duckdb

    try:
        con.execute(sql)
    except duckdb.Error as exc:
        log.debug("SQL that failed:\n%s", sql)
        err = EngineError(f"loading {path} failed: {_first_line(exc)}" if path else _first_line(exc))
        err.sql = sql  # kept on the error and in the debug log, never in the message
        raise err from None


def _sources(con: Any, staged: str) -> list[str]:
    return sorted(str(r[0]) for r in con.execute(
        f"SELECT DISTINCT source FROM {staged} WHERE _reason IS NULL AND source IS NOT NULL LIMIT 20").fetchall())


def _restated(con: Any, staged: str, table: str, key: tuple[str, ...], cols: list[str], rec: str, base: int,
              load_id: str, lines: _Lines) -> list[str]:
    """Rows skipped because their key was loaded before, but with different values: say so."""
    values = [c for c in cols if c not in key]
    if not values:
        return []
    cond = " AND ".join(f"t.{_q(k)} IS NOT DISTINCT FROM s.{_q(k)}" for k in key)
    differs = " OR ".join(f"t.{_q(c)} IS DISTINCT FROM s.{_q(c)}" for c in values)
    first_diff = "coalesce(" + ", ".join(
        f"CASE WHEN t.{_q(c)} IS DISTINCT FROM s.{_q(c)} THEN {_s(c)} || ' ' || coalesce(CAST(t.{_q(c)} AS "
        f"VARCHAR), 'NULL') || ' → ' || coalesce(CAST(s.{_q(c)} AS VARCHAR), 'NULL') END" for c in values) + ")"
    row = con.execute(
        f"SELECT count(*), min(s.{rec}), arg_min({first_diff}, s.{rec}) FROM {staged} s JOIN {_q(table)} t "
        f"ON {cond} WHERE s._reason IS NULL AND t.load_id IS DISTINCT FROM ? AND ({differs})",
        [load_id]).fetchone()
    n = int(row[0] or 0)
    if not n:
        return []
    return [f"{n} row(s) restate a value already loaded under the same key ({', '.join(key)}), e.g. line "
            f"{lines.line(int(row[1]) - base)}: {row[2]}; they were skipped and the warehouse keeps the earlier "
            "values. If this file restates the earlier load, ingest it with --replace (or `omnimix loads "
            "remove` the earlier load first)."]


def _overlaps(con: Any, table: str, preset: str, sha: str, lo: Any, hi: Any, load_id: str) -> list[str]:
    """Earlier loads of the same table and platform covering some of the same days with other content."""
    col = DATE_COLUMN[table]
    earlier = con.execute(
        "SELECT load_id, file, date_min, date_max FROM loads WHERE target_table = ? AND preset = ? "
        "AND coalesce(status, 'loaded') = 'loaded' AND sha256 <> ? AND date_min IS NOT NULL "
        "AND NOT (date_max < ? OR date_min > ?) ORDER BY loaded_at", [table, preset, sha, lo, hi]).fetchall()
    out = []
    for lid, file, a, b in earlier:
        o_lo, o_hi = max(a, lo), min(b, hi)
        added = int(con.execute(
            f"SELECT count(*) FROM {_q(table)} WHERE load_id = ? AND CAST({_q(col)} AS DATE) BETWEEN ? AND ?",
            [load_id, o_lo, o_hi]).fetchone()[0])
        if added:
            out.append(f"this file adds {added} row(s) on {o_lo}–{o_hi}, days that load {lid[:8]} ({file}) "
                       "already covers with different content: if it is a re-saved copy or a restatement of "
                       f"that export, the days are now counted twice. Undo with `omnimix loads remove "
                       f"{load_id[:12]}`, then ingest it with --replace.")
    return out


def _phone_map(ws: Workspace, con: Any, tag: str, text_sql: str) -> None:
    """The E.164 form of every distinct phone text (``text_sql`` over the raw table ``r``)."""
    import pyarrow as pa

    values = [v[0] for v in con.execute(
        f"SELECT DISTINCT t FROM (SELECT {text_sql} AS t FROM {tag} r) WHERE t IS NOT NULL").fetchall()]
    region = ws.config.pii.default_region
    e164 = [normalize_phone(v, region) for v in values]
    con.register("_phones_arrow", pa.table({"raw": pa.array(values, pa.string()),
                                            "e164": pa.array(e164, pa.string())}))
    con.execute("DROP TABLE IF EXISTS _phones")
    con.execute("CREATE TEMP TABLE _phones AS SELECT * FROM _phones_arrow")
    con.unregister("_phones_arrow")


def _derive(ws: Workspace, con: Any, staged: str, preset: Preset,
            mapping: dict[str, str | tuple[str, ...]]) -> None:
    """Fill channel/stage from the taxonomy and derive missing event ids (touchpoints)."""
    if preset.table != "touchpoints":
        return
    import pyarrow as pa

    tax = Taxonomy([r.model_dump(exclude_none=True) for r in ws.config.taxonomy.rules])
    if "channel" not in mapping:
        triples = con.execute(
            f"SELECT DISTINCT utm_source, utm_medium, campaign FROM {staged}").fetchall()
        cls = [tax.classify(s, m, c) for s, m, c in triples]
        con.register("_tax_arrow", pa.table({
            "s": pa.array([t[0] for t in triples], pa.string()),
            "m": pa.array([t[1] for t in triples], pa.string()),
            "c": pa.array([t[2] for t in triples], pa.string()),
            "channel": pa.array([c[0] for c in cls], pa.string()),
            "stage": pa.array([c[1] for c in cls], pa.string())}))
        con.execute(
            f"UPDATE {staged} SET channel = x.channel, stage = coalesce({staged}.stage, x.stage) "
            f"FROM _tax_arrow x WHERE x.s IS NOT DISTINCT FROM {staged}.utm_source AND "
            f"x.m IS NOT DISTINCT FROM {staged}.utm_medium AND x.c IS NOT DISTINCT FROM {staged}.campaign")
        con.unregister("_tax_arrow")
    if "event_id" not in mapping and preset.event_id_from:
        parts = ", ".join(f"coalesce(CAST({_q(c)} AS VARCHAR), '')" for c in preset.event_id_from)
        con.execute(f"UPDATE {staged} SET event_id = {_s(preset.name + ':')} || md5(concat_ws('|', {parts}))")


def _mark_duplicates(con: Any, staged: str, key: tuple[str, ...], rec: str, base: int,
                     screen: bool = True) -> None:
    """Quarantine rows that repeat the key of an earlier valid row of the same file (the earliest wins)."""
    if not key:
        return
    cols = ", ".join(_q(k) for k in key)
    if screen:
        # equal keys have equal hashes, so all hashes distinct proves every key distinct; a hash
        # collision only sends us on to the exact check. Sorting the 64-bit hashes in NumPy is 4x
        # faster than a distinct hash aggregate over millions of rows.
        import numpy as np

        h = con.execute(f"SELECT _kh FROM {staged} WHERE _reason IS NULL").fetchnumpy()["_kh"]
        h = np.sort(np.asarray(h, dtype=np.uint64))
        if not bool(np.any(h[1:] == h[:-1])):
            return
    dup_keys = con.execute(
        f"SELECT count(*) FROM (SELECT {cols} FROM {staged} WHERE _reason IS NULL "
        f"GROUP BY ALL HAVING count(*) > 1)").fetchone()[0]
    if not dup_keys:
        return
    cond = " AND ".join(f"d.{_q(k)} IS NOT DISTINCT FROM {staged}.{_q(k)}" for k in key)
    row_json = "to_json({" + ", ".join(f"{_s(k)}: {staged}.{_q(k)}" for k in key) + "})"
    # the first row's record number is written as a marker; _quarantine turns it into its line
    con.execute(
        f"UPDATE {staged} SET _reason = 'duplicate key ({', '.join(key)}) of an earlier row in this file "
        f"(line #REC#' || (d.first_row - {base}) || '#)', _column = {_s(key[0])}, _raw = {row_json} FROM ("
        f"SELECT {cols}, min({rec}) AS first_row FROM {staged} WHERE _reason IS NULL GROUP BY ALL "
        f"HAVING count(*) > 1) d WHERE {cond} AND {staged}.{rec} > d.first_row AND {staged}._reason IS NULL")


_MARK = re.compile(r"#REC#(\d+)#")


def _quarantine(con: Any, raw: RawTable, staged: str, rec: str, base: int, load_id: str, file: str, table: str,
                lines: _Lines, redact: Redactor) -> None:
    """Write structural rejects and rows with a reason to ``quarantine`` with their physical line.

    Every raw text passes the redactor first: in a workspace that hashes PII, identifiers in rows
    rejected before mapping (wrong field count, broken JSON) are hashed like the warehouse's.
    """
    import pyarrow as pa

    bad = con.execute(
        f"SELECT {rec} - {base}, _column, _reason, _raw FROM {staged} WHERE _reason IS NOT NULL AND _skip IS NULL "
        f"ORDER BY {rec}"
    ).fetchall()
    if not bad and not raw.rejects:
        return
    lines.resolve()
    rows = [(lines.line(int(r)), c, redact.json_row(j),
             redact.reason(_MARK.sub(lambda m: str(lines.line(int(m.group(1)))), reason)))
            for r, c, reason, j in bad]
    rows += [(line, None, redact.text(text, raw.fmt, raw.delim), redact.reason(reason))
             for line, text, reason in raw.rejects]
    con.register("_q_arrow", pa.table({
        "line": pa.array([r[0] for r in rows], pa.int64()),
        "column_name": pa.array([r[1] for r in rows], pa.string()),
        "raw": pa.array([r[2] for r in rows], pa.string()),
        "reason": pa.array([r[3] for r in rows], pa.string())}))
    con.execute(
        "INSERT INTO quarantine SELECT ?, ?, line, column_name, raw, reason, ?, now()::TIMESTAMP "
        "FROM _q_arrow ORDER BY line", [load_id, file, table])
    con.unregister("_q_arrow")
