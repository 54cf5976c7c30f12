"""The typing-and-checking SELECT for one file: text columns in, canonical typed columns out.

:class:`Compiler` turns a preset's column mapping over a :class:`~omnimix.ingest.readers.RawTable` into
one generated SELECT that yields, per row, the canonical typed values, a ``_reason`` listing every
problem (unparseable date, text in a numeric column, negative spend, unknown currency, missing required
value …), the first offending ``_column`` and, for bad rows only, the ``_raw`` row as JSON (PII hashed
like the warehouse's unless the workspace keeps it). Every identifier is quoted by
:func:`omnimix.workspace.quote_ident` and every literal by :func:`omnimix.workspace.quote_literal`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omnimix.config import ISO_CURRENCIES
from omnimix.ingest import values
from omnimix.ingest.presets import Coalesce, Labelled, Preset
from omnimix.ingest.readers import FORMULA_MARK, RawTable
from omnimix.schema import TABLES, Column
from omnimix.taxonomy import IDENTIFIER_TYPES
from omnimix.workspace import Workspace
from omnimix.workspace import quote_ident as _q
from omnimix.workspace import quote_literal as _s

RECORD = "__omnimix_record"  # the record-number column added before a reordering join
NUMERIC_NON_NEGATIVE = {"spend", "impressions", "clicks", "value", "cost", "lift_sd"}
TRUE_WORDS = ("true", "t", "1", "yes", "y", "是", "opted in", "subscribed", "optin", "marketing contact",
              "同意", "已订阅")
FALSE_WORDS = ("false", "f", "0", "no", "n", "否", "opted out", "unsubscribed", "optout", "non-marketing",
               "non-marketing contact", "non marketing contact", "不同意", "未订阅")
#: Whole-cell totals labels (lower case): such rows are skipped and reported, never loaded.
TOTALS_RE = (r"(总计|合计|汇总|小计|total|totals|grand total|(total|grand total) ?[:：].*"
             r"|(总计|合计|汇总)[:：(（].*)")


class Compiler:
    """Generates the typing-and-checking SELECT for one file and preset."""

    def __init__(self, preset: Preset, raw: RawTable, mapping: dict[str, str | tuple[str, ...]],
                 ws: Workspace, file: str) -> None:
        self.preset = preset
        self.raw = raw
        self.mapping = mapping
        self.ws = ws
        self.file = file
        self.table = TABLES[preset.table]
        self.keep_pii = ws.config.pii.keep_pii
        self.nul = self.sample_has_nul()
        self.salt = ws.config.pii.salt
        #: the staged column holding the 0-based record number: ``rowid`` unless a join reorders rows
        self.record = "rowid"

    def trimmed(self, h: str, tokens: bool = True) -> str:
        if not tokens:
            return values.trimmed(f"r.{_q(h)}", tokens=None)
        return values.trimmed(f"r.{_q(h)}", self.preset.null_tokens)

    @property
    def bulk(self) -> bool:
        """Touchpoints: the multi-million-row table, where per-value text checks are kept to identifiers
        that are hashed (phone, email) and to text columns whose sample shows the problem."""
        return self.table.name == "touchpoints"

    def maskable(self, canon: str) -> bool:
        """Whether masks are looked for in ``canon`` (every identifier; in touchpoints phone and email)."""
        if canon not in self.mapping or canon not in IDENTIFIER_TYPES:
            return False
        return not self.bulk or canon in ("phone", "email")

    def sample_has_nul(self) -> bool:
        return any(v is not None and "\x00" in v for r in self.raw.sample for v in r)

    def text(self, canon: str) -> str | None:
        src = self.mapping.get(canon)
        if src is None:
            if canon in self.preset.constants:
                return _s(self.preset.constants[canon])
            return None
        if isinstance(src, Coalesce):
            t = f"coalesce({', '.join(self.trimmed(h) for h in src)})"
        elif isinstance(src, Labelled):
            n, i = self.trimmed(src[0]), self.trimmed(src[1])
            t = f"CASE WHEN {i} IS NULL THEN {n} WHEN {n} IS NULL THEN {i} ELSE {n} || ' [' || {i} || ']' END"
        elif isinstance(src, tuple):
            parts = ", ".join(self.trimmed(h) for h in src)
            t = f"nullif(concat_ws(' ', {parts}), '')"
        else:
            col = self.table.column(canon) if canon in self.table.column_names else None
            t = self.trimmed(src, tokens=not (self.bulk and col is not None and col.type == "VARCHAR"))
        return values.value_map(t, self.preset.values.get(canon, {}))

    def european(self, canon: str) -> bool:
        """Whether the sampled values of the column mapped to ``canon`` are European-formatted."""
        src = self.mapping.get(canon)
        if not isinstance(src, str) or not self.raw.sample or src not in self.raw.header:
            return False
        i = self.raw.header.index(src)
        return values.european_column(r[i] if i < len(r) else None for r in self.raw.sample)

    def label(self, canon: str) -> str:
        src = self.mapping.get(canon)
        if isinstance(src, tuple):
            return "+".join(src)
        return src or canon

    def typed(self, col: Column, t: str) -> tuple[str, str | None]:
        """Return (typed expression over text ``t``, kind name for error messages)."""
        if col.type == "DOUBLE":
            return values.number(t, self.european(col.name)), "number"
        if col.type == "BIGINT":
            return values.whole(t, self.european(col.name)), "whole number"
        if col.type == "DATE":
            return values.date(t, self.preset.date_formats), "date"
        if col.type == "TIMESTAMP":
            unit = self.preset.epoch_units.get(col.name)
            if unit:
                div = {"s": 1, "ms": 1_000, "us": 1_000_000}[unit]
                secs = f"(try_cast({t} AS DOUBLE) / {div})"  # out of range (1e300) → a bad value, not an abort
                return (f"CASE WHEN abs({secs}) < 1e11 THEN CAST(to_timestamp({secs}) AS TIMESTAMP) END",
                        f"epoch timestamp in {unit}")
            # an offset or Z after the date needs the (slower) time-zone-aware parse into local time;
            # a plain TIMESTAMP cast would silently drop the offset (and an AM/PM suffix)
            return values.timestamp(t, self.preset.ts_formats), "date/time"
        if col.type == "BOOLEAN":
            tw = ", ".join(_s(w) for w in TRUE_WORDS)
            fw = ", ".join(_s(w) for w in FALSE_WORDS)
            return (f"CASE WHEN lower({t}) IN ({tw}) THEN true WHEN lower({t}) IN ({fw}) THEN false END",
                    "yes/no value")
        return t, None

    def pii(self, canon: str, v: str) -> str:
        if canon == "email":
            v = f"nullif(lower({v}), '')"
        elif canon == "name":
            v = f"nullif(lower(regexp_replace({v}, '\\s+', '', 'g')), '')"
        elif canon == "phone":
            v = "_phone_e164"  # normalised in Python (phonenumbers), joined in as a column
        else:
            return v
        if self.keep_pii:
            return v
        hashed = f"sha256({_s(self.salt)} || {v})"
        if canon == "phone":  # an unparseable phone keeps its marker, so identity never links by it
            return f"CASE WHEN starts_with({v}, 'invalid:') THEN 'invalid:' || {hashed} ELSE {hashed} END"
        return hashed

    def build(self) -> tuple[str, list[str]]:
        """Return the SELECT producing typed columns + _reason + _column + _raw + _skip, and output columns.

        ``_skip`` is the reason a row is skipped rather than loaded or quarantined (a totals row, a line
        item of an order); such rows also carry it as ``_reason`` so no later step loads them.
        ``_masked`` lists the identifiers the source masked (``phone=138****8000``).
        """
        # raw columns pass through by reference; the JSON of the raw row is built only for bad rows
        inner: list[str] = [f"r.{_q(h)} AS _r{i}" for i, h in enumerate(self.raw.header)]
        out_cols: list[str] = []
        checks: list[tuple[str, str]] = []  # (condition SQL producing message or NULL, column label)
        computed: dict[str, str] = {}
        masks: list[str] = []
        for col in self.table.columns:
            if col.name == "load_id":
                continue
            t = self.text(col.name)
            if t is None:
                computed[col.name] = "NULL"
                continue
            typed, kind = self.typed(col, t)
            tq, vq = _q(f"_t_{col.name}"), _q(f"_v_{col.name}")
            inner.append(f"{t} AS {tq}")
            label = self.label(col.name)  # a header from the file: it reaches SQL only through _s()
            if self.maskable(col.name):
                m = values.masked(tq, col.name)
                masks.append(f"CASE WHEN {m} THEN {_s(col.name + '=')} || {tq} END")
                typed = f"CASE WHEN {m} THEN NULL ELSE {typed} END"
            inner.append(f"{typed} AS {vq}")
            computed[col.name] = vq
            checks += self.value_checks(col, tq, vq, label, kind)
        for col in self.table.columns:
            if col.required and col.name != "load_id":
                expr = computed.get(col.name, "NULL")
                if col.name == "event_id" and self.preset.event_id_from and expr == "NULL":
                    continue
                if col.name == "channel" and self.table.name == "touchpoints" and expr == "NULL":
                    continue
                label = self.label(col.name)
                missing = _s(f"column {label}: missing value (required)")
                if expr == "NULL":
                    checks.append((missing, label))
                else:
                    tq = _q("_t_" + col.name)
                    checks.append((f"CASE WHEN {expr} IS NULL AND {tq} IS NULL THEN {missing} END", label))
        if self.table.name == "experiments":
            checks.append(("CASE WHEN \"_v_end\" < \"_v_start\" THEN 'end is before start' END", "end"))
            checks.append(("CASE WHEN \"_v_lift_sd\" = 0 THEN 'column lift_sd: must be > 0' END", "lift_sd"))
        inner.append(f"nullif(concat_ws('; ', {', '.join(masks)}), '') AS _masked" if masks
                     else "CAST(NULL AS VARCHAR) AS _masked")
        joins, source = "", self.raw.table
        ordered = bool(self.preset.line_items) and {"conversion_id", "ts"} <= set(self.mapping)
        if "phone" in self.mapping or ordered:
            # the phone join and the line-item window reorder rows: the record number travels with each row
            # (the loader reads it for line numbers and for which of two duplicate keys came first)
            source = f"(SELECT row_number() OVER () - 1 AS {_q(RECORD)}, * FROM {self.raw.table})"
            inner.append(f"r.{_q(RECORD)} AS _rec")
            self.record = "_rec"
        if "phone" in self.mapping:
            joins = f" LEFT JOIN _phones ON _phones.raw = {self.text('phone')}"
            inner.append("_phones.e164 AS _phone_e164")
        inner_sql = f"SELECT {', '.join(inner)} FROM {source} r{joins}"
        skip = self.skip_expr()
        # middle: every check once, as its own column (message or NULL)
        middle_sql = ("SELECT *, " + "".join(f"{c} AS _c{i}, " for i, (c, _) in enumerate(checks))
                      + f"{skip} AS _skip FROM ({inner_sql})")
        cs = [f"_c{i}" for i in range(len(checks))]
        reason = f"nullif(concat_ws('; ', {', '.join(cs)}), '')" if checks else "NULL"
        whens = [f"CASE WHEN {c} IS NOT NULL THEN {_s(lbl)} END" for c, (_, lbl) in zip(cs, checks, strict=True)]
        first_col = f"coalesce({', '.join(whens)})" if checks else "NULL"
        any_bad = " OR ".join(f"{c} IS NOT NULL" for c in cs) if checks else "false"
        # outer: final canonical values
        # good rows (almost all) skip the string work: only rows with a problem build messages and JSON
        outer: list[str] = [f"CASE WHEN _skip IS NOT NULL THEN _skip WHEN {any_bad} THEN {reason} END AS _reason",
                            f"CASE WHEN _skip IS NULL AND ({any_bad}) THEN {first_col} END AS _column",
                            f"CASE WHEN _skip IS NULL AND ({any_bad}) THEN to_json({{{self.raw_struct()}}}) "
                            "END AS _raw", "_skip", "_masked", *(["_rec"] if self.record == "_rec" else [])]
        needed = self.needed()
        for col in self.table.columns:
            if col.name == "load_id":
                continue
            expr = computed.get(col.name, "NULL")
            if col.name in ("email", "name", "phone") and expr != "NULL":
                if col.name == "phone":
                    expr = f"CASE WHEN {expr} IS NOT NULL THEN {self.pii('phone', '_phone_e164')} END"
                else:
                    expr = self.pii(col.name, expr)
            elif col.name == "currency" and expr != "NULL":
                expr = f"upper({expr})"
            elif col.name == "masked_ids" and masks:
                expr = "_masked"
            if expr == "NULL":
                expr = self.default(col)
            if col.name == "stage" and expr == "NULL" and "channel" in self.mapping:
                expr = self.stage_from_channel(computed["channel"])
            if expr == "NULL" and col.name not in needed:
                continue  # left to the column default: staging and inserting a NULL column costs time
            outer.append(f"CAST({expr} AS {col.type}) AS {_q(col.name)}")
            out_cols.append(col.name)
        select = f"SELECT {', '.join(outer)} FROM ({middle_sql})"
        key = self.table.key
        if key:  # a 64-bit hash of the natural key, for a cheap duplicate screen (see _mark_duplicates)
            select = f"SELECT *, hash({', '.join(_q(k) for k in key)}) AS _kh FROM ({select})"
        return select, out_cols

    def value_checks(self, col: Column, tq: str, vq: str, label: str, kind: str | None) -> list[tuple[str, str]]:
        """The checks of one mapped column's text ``tq`` and typed value ``vq`` (message SQL, label)."""
        out: list[tuple[str, str]] = []
        col_is = _s(f"column {label}: ")  # the header reaches SQL only through quote_literal
        if kind is not None:
            hint = f" || {values.number_hint(tq)}" if col.type in ("DOUBLE", "BIGINT") else ""
            out.append((f"CASE WHEN {tq} IS NOT NULL AND {vq} IS NULL THEN "
                        f"{col_is} || '''' || replace(left({tq}, 60), chr(0), '␀') || ''' is not a valid "
                        f"{kind}'{hint} END", label))
        if col.type == "DOUBLE":
            out.append((f"CASE WHEN NOT isfinite({vq}) THEN {col_is} || '''' || left({tq}, 60) || "
                        f"''' is not a finite number (NaN and infinities are never loaded)' END", label))
        elif col.type == "VARCHAR" and col.name in self.mapping and (not self.bulk or self.nul):
            out.append((f"CASE WHEN contains({tq}, chr(0)) THEN {col_is} || 'the value holds a NUL byte "
                        f"(a corrupt export? re-export the file)' END", label))
        if self.raw.fmt == "xlsx" and col.name in self.mapping:
            out.append((f"CASE WHEN starts_with({tq}, {_s(FORMULA_MARK)}) THEN {col_is} || 'formula ''' || "
                        f"left(substr({tq}, 2), 60) || ''' has no cached value (the workbook was saved by a "
                        f"program that does not calculate: open it in Excel or LibreOffice and save it again)' END",
                        label))
        if col.name in NUMERIC_NON_NEGATIVE:
            out.append((f"CASE WHEN {vq} < 0 THEN {col_is} || 'negative value ' || {vq} || ' (must be >= 0)' END",
                        label))
        if col.type in ("DATE", "TIMESTAMP"):
            lo = 1900 if col.name == "birthday" else 1990
            out.append((f"CASE WHEN year({vq}) NOT BETWEEN {lo} AND 2100 THEN "
                        f"{col_is} || 'date ' || {vq} || ' is outside {lo}–2100' END", label))
        if col.name == "currency":
            iso = ", ".join(_s(c) for c in sorted(ISO_CURRENCIES))
            out.append((f"CASE WHEN upper({vq}) NOT IN ({iso}) THEN {col_is} || 'unknown "
                        f"currency ''' || {vq} || ''' (use an ISO 4217 code such as CNY)' END", label))
        return out

    def skip_expr(self) -> str:
        """SQL for ``_skip``: why a row is skipped (totals row, line item of an order), else NULL."""
        parts: list[str] = []
        if self.table.name != "touchpoints":
            cells = [f"_t_{c}" for c in ("date", "ts", "campaign", "conversion_id", "record_id", "start")
                     if isinstance(self.mapping.get(c), str)]
            if self.raw.header:
                cells.append("_r0")
            for cell in dict.fromkeys(cells):
                c = _q(cell)
                first = f"lower(left(trim({c}), 1))"
                parts.append(f"CASE WHEN {first} IN ('总', '合', '汇', '小', 't', 'g') AND "
                             f"regexp_full_match(lower(trim({c})), {_s(TOTALS_RE)}) THEN 'totals row (' || "
                             f"left(trim({c}), 40) || '): skipped, not a record' END")
        if self.preset.line_items and {"conversion_id", "ts"} <= set(self.mapping):
            value_empty = 'AND "_t_value" IS NULL ' if "value" in self.mapping else ""
            parts.append('CASE WHEN "_t_ts" IS NULL ' + value_empty + 'AND "_t_conversion_id" IS NOT NULL '
                         'AND count("_t_ts") OVER (PARTITION BY "_t_conversion_id") > 0 THEN '
                         "'line item of order ' || left(\"_t_conversion_id\", 40) || ' (belongs to its order row)' END")
        return f"coalesce({', '.join(parts)})" if parts else "CAST(NULL AS VARCHAR)"

    def phone_source(self) -> str:
        """SQL over the raw table (alias ``r``) giving each row's phone text (for the E.164 map)."""
        t = self.text("phone")
        if t is None:
            raise KeyError("phone")
        return t

    def needed(self) -> set[str]:
        """Columns the later steps read or write in the staged table even when the file lacks them."""
        out = set(self.table.key)
        if self.table.name == "touchpoints":
            if "channel" not in self.mapping:  # _derive classifies the channel from utm fields
                out |= {"channel", "stage", "utm_source", "utm_medium", "campaign"}
            if "event_id" not in self.mapping and self.preset.event_id_from:
                out |= {"event_id", *self.preset.event_id_from}
        return out

    def raw_struct(self) -> str:
        """The raw row kept for quarantine; PII columns are hashed like the warehouse's unless PII is kept."""
        pii_of: dict[str, str] = {}
        if not self.keep_pii:
            for canon in ("email", "phone", "name"):
                src = self.mapping.get(canon)
                for h in (src if isinstance(src, tuple) else (src,) if src else ()):
                    pii_of[h] = canon
        parts = []
        for i, h in enumerate(self.raw.header):
            kind = pii_of.get(h)
            if kind is None:
                expr = f"_r{i}"
            elif kind == "phone":
                expr = self.pii("phone", "_phone_e164")
            else:
                expr = self.pii(kind, f"nullif(trim(_r{i}), '')")
            parts.append(f"{_s(h)}: {expr}")
        return ", ".join(parts)

    def stage_from_channel(self, channel_expr: str) -> str:
        stage_of: dict[str, str] = {}
        for rule in self.ws.config.taxonomy.rules:
            stage_of.setdefault(rule.channel, rule.stage)
        cases = " ".join(f"WHEN {_s(ch)} THEN {_s(st)}" for ch, st in stage_of.items())
        return f"CASE {channel_expr} {cases} ELSE 'awareness' END"

    def default(self, col: Column) -> str:
        if col.name == "currency":
            return _s(self.ws.config.workspace.currency)
        if col.name == "source":
            return _s(self.preset.constants.get("source") or Path(self.file).stem)
        return "NULL"


def skip_notes(con: Any, staged: str, lines: Any, base: int, record: str = "rowid") -> list[str]:
    """One line per kind of skipped row (totals rows, line items) with its count and first lines.

    ``lines`` maps a record number to its physical line (``.line(record)``); ``record`` is the staged
    column holding the record number (:attr:`Compiler.record`), ``base`` its value for the first record."""
    rows = con.execute(
        f"SELECT CASE WHEN starts_with(_skip, 'line item') THEN 'line-item row(s) folded into their order' "
        f"ELSE 'totals row(s) skipped' END AS kind, count(*), list({record} - {base} ORDER BY {record})[1:5] "
        f"FROM {staged} WHERE _skip IS NOT NULL GROUP BY 1 ORDER BY 1").fetchall()
    out = []
    for kind, n, first in rows:
        lines_text = ", ".join(str(lines.line(int(r))) for r in first)
        out.append(f"{int(n)} {kind} (line {lines_text}{' …' if int(n) > len(first) else ''})")
    return out


def masked_note(con: Any, staged: str) -> list[str]:
    """A line counting the rows whose identifiers the source masked (kept in masked_ids, never matched)."""
    n = con.execute(f"SELECT count(*) FROM {staged} WHERE _masked IS NOT NULL AND _skip IS NULL").fetchone()[0]
    if not n:
        return []
    return [f"{int(n)} row(s) with masked identifiers (e.g. 138****8000): kept as written in masked_ids where "
            "the table has it, never used as identifiers"]
