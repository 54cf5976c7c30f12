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

from omnimix.config import ISO_CURRENCIES
from omnimix.ingest.presets import Preset
from omnimix.ingest.readers import RawTable
from omnimix.schema import TABLES, Column
from omnimix.workspace import Workspace
from omnimix.workspace import quote_ident as _q
from omnimix.workspace import quote_literal as _s

RECORD = "__omnimix_record"  # the record-number column added before a reordering join
NUMERIC_NON_NEGATIVE = {"spend", "impressions", "clicks", "value", "cost", "lift_sd"}
TRUE_WORDS = ("true", "t", "1", "yes", "y", "是", "opted in", "subscribed", "optin")
FALSE_WORDS = ("false", "f", "0", "no", "n", "否", "opted out", "unsubscribed", "optout", "non-marketing")

def _trimmed(v: str) -> str:
    """``nullif(trim(v), '')``, skipping the (copying) trim for the usual value that needs none.

    DuckDB's trim strips the Unicode space separators; an ASCII-only value (byte length = character
    length) can only carry the plain space, which two cheap prefix/suffix tests rule out.
    """
    return (f"CASE WHEN {v} LIKE ' %' OR {v} LIKE '% ' OR strlen({v}) <> length({v}) "
            f"THEN nullif(trim({v}), '') WHEN {v} <> '' THEN {v} END")


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
        self.salt = ws.config.pii.salt
        #: the staged column holding the 0-based record number: ``rowid`` unless a join reorders rows
        self.record = "rowid"

    def text(self, canon: str) -> str | None:
        src = self.mapping.get(canon)
        if src is None:
            if canon in self.preset.constants:
                return _s(self.preset.constants[canon])
            return None
        if isinstance(src, tuple):
            parts = ", ".join(_trimmed(f"r.{_q(h)}") for h in src)
            return f"nullif(concat_ws(' ', {parts}), '')"
        return _trimmed(f"r.{_q(src)}")

    def label(self, canon: str) -> str:
        src = self.mapping.get(canon)
        if isinstance(src, tuple):
            return "+".join(src)
        return src or canon

    def typed(self, col: Column, t: str) -> tuple[str, str | None]:
        """Return (typed expression over text ``t``, kind name for error messages)."""
        if col.type == "DOUBLE":
            return (f"coalesce(try_cast({t} AS DOUBLE), "
                    f"try_cast(regexp_replace({t}, '[,¥￥$€£ ]', '', 'g') AS DOUBLE))", "number")
        if col.type == "BIGINT":
            d = (f"coalesce(try_cast({t} AS DOUBLE), "
                 f"try_cast(regexp_replace({t}, '[, ]', '', 'g') AS DOUBLE))")
            # try_cast: a whole number beyond BIGINT (1e22) is a bad value of its row, not a failed file
            return f"CASE WHEN {d} = floor({d}) THEN try_cast({d} AS BIGINT) END", "whole number"
        if col.type == "DATE":
            fmts = "[" + ", ".join(_s(f) for f in self.preset.date_formats) + "]"
            return f"coalesce(try_cast({t} AS DATE), CAST(try_strptime({t}, {fmts}) AS DATE))", "date"
        if col.type == "TIMESTAMP":
            unit = self.preset.epoch_units.get(col.name)
            if unit:
                div = {"s": 1, "ms": 1_000, "us": 1_000_000}[unit]
                secs = f"(try_cast({t} AS DOUBLE) / {div})"  # out of range (1e300) → a bad value, not an abort
                return (f"CASE WHEN abs({secs}) < 1e11 THEN CAST(to_timestamp({secs}) AS TIMESTAMP) END",
                        f"epoch timestamp in {unit}")
            tz = [f for f in self.preset.ts_formats if "%z" in f]
            naive = [f for f in self.preset.ts_formats if "%z" not in f]
            tz_expr = "[" + ", ".join(_s(f) for f in tz) + "]"
            naive_expr = "[" + ", ".join(_s(f) for f in naive) + "]"
            # an offset or Z after the date needs the (slower) time-zone-aware parse into local time;
            # a plain TIMESTAMP cast would silently drop the offset
            after_date = f"substr({t}, 11)"
            has_offset = (f"(contains({after_date}, '+') OR contains({after_date}, '-') "
                          f"OR contains({after_date}, 'Z') OR contains({after_date}, 'z'))")
            iso = (f"CASE WHEN {has_offset} THEN CAST(try_cast({t} AS TIMESTAMPTZ) AS TIMESTAMP) "
                   f"ELSE try_cast({t} AS TIMESTAMP) END")
            return (f"coalesce({iso}, CAST(try_strptime({t}, {tz_expr}) AS TIMESTAMP), "
                    f"try_strptime({t}, {naive_expr}))", "date/time")
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
        return f"sha256({_s(self.salt)} || {v})"

    def build(self) -> tuple[str, list[str]]:
        """Return the SELECT producing typed columns + _row + _reason + _column, and output columns."""
        # raw columns pass through by reference; the JSON of the raw row is built only for bad rows
        inner: list[str] = [f"r.{_q(h)} AS _r{i}" for i, h in enumerate(self.raw.header)]
        out_cols: list[str] = []
        checks: list[tuple[str, str]] = []  # (condition SQL producing message or NULL, column label)
        computed: dict[str, str] = {}
        for col in self.table.columns:
            if col.name == "load_id":
                continue
            t = self.text(col.name)
            if t is None:
                computed[col.name] = "NULL"
                continue
            typed, kind = self.typed(col, t)
            tname, vname = f"_t_{col.name}", f"_v_{col.name}"
            inner.append(f"{t} AS {_q(tname)}")
            inner.append(f"{typed} AS {_q(vname)}")
            computed[col.name] = _q(vname)
            label = self.label(col.name)  # a header from the file: it reaches SQL only through _s()
            col_is = _s(f"column {label}: ")
            if kind is not None:
                checks.append((f"CASE WHEN {_q(tname)} IS NOT NULL AND {_q(vname)} IS NULL THEN "
                               f"{col_is} || '''' || left({_q(tname)}, 60) || ''' is not a valid {kind}' END",
                               label))
            if col.name in NUMERIC_NON_NEGATIVE:
                checks.append((f"CASE WHEN {_q(vname)} < 0 THEN {col_is} || 'negative value ' || "
                               f"{_q(vname)} || ' (must be >= 0)' END", label))
            if col.type in ("DATE", "TIMESTAMP"):
                lo = 1900 if col.name == "birthday" else 1990
                checks.append((f"CASE WHEN year({_q(vname)}) NOT BETWEEN {lo} AND 2100 THEN "
                               f"{col_is} || 'date ' || {_q(vname)} || ' is outside {lo}–2100' END", label))
            if col.name == "currency":
                iso = ", ".join(_s(c) for c in sorted(ISO_CURRENCIES))
                checks.append((f"CASE WHEN upper({_q(vname)}) NOT IN ({iso}) THEN {col_is} || 'unknown "
                               f"currency ''' || {_q(vname)} || ''' (use an ISO 4217 code such as CNY)' END",
                               label))
        for col in self.table.columns:
            if col.required and col.name != "load_id":
                expr = computed.get(col.name, "NULL")
                if col.name == "event_id" and self.preset.event_id_from and expr == "NULL":
                    continue
                if col.name == "channel" and self.table.name == "touchpoints" and expr == "NULL":
                    continue
                label = self.label(col.name)
                checks.append((f"CASE WHEN {expr} IS NULL AND {_q('_t_' + col.name) if expr != 'NULL' else 'NULL'} "
                               f"IS NULL THEN {_s(f'column {label}: missing value (required)')} END", label))
        if self.table.name == "experiments":
            checks.append(("CASE WHEN \"_v_end\" < \"_v_start\" THEN 'end is before start' END", "end"))
            checks.append(("CASE WHEN \"_v_lift_sd\" = 0 THEN 'column lift_sd: must be > 0' END", "lift_sd"))
        joins, source = "", self.raw.table
        if "phone" in self.mapping:
            # the join reorders rows: the record number travels with each row (the loader reads it for
            # line numbers and for which of two duplicate keys came first)
            source = f"(SELECT row_number() OVER () - 1 AS {_q(RECORD)}, * FROM {self.raw.table})"
            joins = f" LEFT JOIN _phones ON _phones.raw = {self.text('phone')}"
            inner.append("_phones.e164 AS _phone_e164")
            inner.append(f"r.{_q(RECORD)} AS _rec")
            self.record = "_rec"
        inner_sql = f"SELECT {', '.join(inner)} FROM {source} r{joins}"
        # middle: every check once, as its own column (message or NULL)
        middle_sql = ("SELECT *, " + ", ".join(f"{c} AS _c{i}" for i, (c, _) in enumerate(checks))
                      + f" FROM ({inner_sql})") if checks else inner_sql
        cs = [f"_c{i}" for i in range(len(checks))]
        reason = f"nullif(concat_ws('; ', {', '.join(cs)}), '')" if checks else "NULL"
        whens = [f"CASE WHEN {c} IS NOT NULL THEN {_s(lbl)} END" for c, (_, lbl) in zip(cs, checks, strict=True)]
        first_col = f"coalesce({', '.join(whens)})" if checks else "NULL"
        any_bad = " OR ".join(f"{c} IS NOT NULL" for c in cs) if checks else "false"
        # outer: final canonical values
        # good rows (almost all) skip the string work: only rows with a problem build messages and JSON
        outer: list[str] = [f"CASE WHEN {any_bad} THEN {reason} END AS _reason",
                            f"CASE WHEN {any_bad} THEN {first_col} END AS _column",
                            f"CASE WHEN {any_bad} THEN to_json({{{self.raw_struct()}}}) END AS _raw"]
        if self.record == "_rec":
            outer.append("_rec")
        needed = self.needed()
        for col in self.table.columns:
            if col.name == "load_id":
                continue
            expr = computed.get(col.name, "NULL")
            if col.name in ("email", "name", "phone") and expr != "NULL":
                if col.name == "phone":
                    expr = self.pii("phone", "_phone_e164")
                else:
                    expr = self.pii(col.name, expr)
            elif col.name == "currency" and expr != "NULL":
                expr = f"upper({expr})"
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
