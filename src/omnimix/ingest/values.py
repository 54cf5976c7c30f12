"""Cell values as exports write them, typed in SQL: the fast cast first, the careful parse only when it fails.

Every expression here takes the SQL of a trimmed text value and returns the SQL of its typed value
(NULL when it cannot be read, which the compiler turns into a quarantine reason). The plain forms
(``1234.5``, ``2024-06-01``, ISO timestamps) go through DuckDB's ``try_cast``; the slower regular
expressions run only on the values that cast rejected:

* numbers: thousands separators (``1,234,567.89``), currency signs and codes before or after
  (``¥`` ``￥`` ``$`` ``€`` ``£`` ``RMB`` ``CNY`` ``USD`` ``EUR`` ``元``), percentages (``12.5%`` → 0.125). A
  decimal comma (``1.200,50``) is read only in a column whose sampled values are all European-formatted
  (:func:`european_column`); elsewhere it, and any grouping that is not by threes (``1,2,3``), is not a
  number. ``NaN``, ``Infinity`` and overflowing values (``1e309``) are never loaded (the compiler
  checks ``isfinite``); a whole number outside BIGINT is not a whole number.
* dates: Excel serial numbers (``45444`` → 2024-06-01, the 1900 date system), the preset's formats;
  timestamps also with 12-hour clocks (``2024-06-01 2:10 PM`` → 14:10; DuckDB's plain cast would drop
  the PM) and Excel serial fractions.
* null tokens: ``--`` (Google Ads' "no data"), ``-``, ``—``, ``N/A``, ``n/a``, ``#N/A``, ``null``, ``NULL``
  are NULL in every column (:data:`NULL_TOKENS`).
* masked identifiers: ``138****8000``, ``j***@x.com``, ``138xxxx8000`` (:func:`masked`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from omnimix.workspace import quote_literal as _s

#: Whole cell texts that mean "no value" in every column (exact spellings; compared without lower()).
NULL_TOKENS: tuple[str, ...] = ("--", "-", "—", "N/A", "n/a", "#N/A", "null", "NULL", "Null")

_CUR_PREFIX = r"^([+-]?)\s*(?:RMB|CNY|USD|EUR|GBP|HKD|JPY|US\$|[¥￥$€£])\s*"
_CUR_SUFFIX = r"\s*(?:元|RMB|CNY|USD|EUR|GBP|HKD|JPY)$"
_US_NUMBER = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+"
_EU_NUMBER = r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?"
_PERCENT = r"[+-]?\d+(?:\.\d+)?\s*%"
_EU_PERCENT = r"[+-]?\d+(?:,\d+)?\s*%"

_EU_EVIDENCE = re.compile(r"^[+-]?(?:\d{1,3}(?:\.\d{3})+,\d+|\d+,\d{1,2})%?$")
_US_EVIDENCE = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+\.\d+|\d+\.\d{1,2}|\d+\.\d{4,})%?$")
_CUR_STRIP = re.compile(r"^[+-]?\s*(?:RMB|CNY|USD|EUR|GBP|HKD|JPY|US\$|[¥￥$€£])\s*|\s*(?:元|RMB|CNY|USD|EUR)$")

#: Excel's 1900 date system: serial 1 is 1900-01-01 and, for its leap-year bug, day 0 is 1899-12-30.
EXCEL_EPOCH = "1899-12-30"
_SERIAL = r"\d{5}(?:\.\d+)?"  # 10000–99999: 1927-05-18 … 2173-10-14


def trimmed(v: str, tokens: Iterable[str] | None = ()) -> str:
    """``v`` trimmed, NULL when empty or a null token; skips the (copying) trim for most values.

    DuckDB's trim strips the Unicode space separators; an ASCII-only value (byte length = character
    length) can only carry the plain space, which two cheap prefix/suffix tests rule out. Null tokens are
    short, so values longer than the longest token skip the comparison. ``tokens=None``: empty only.
    """
    if tokens is None:
        return (f"CASE WHEN {v} LIKE ' %' OR {v} LIKE '% ' OR strlen({v}) <> length({v}) "
                f"THEN nullif(trim({v}), '') WHEN {v} <> '' THEN {v} END")
    toks = (*NULL_TOKENS, *tokens)
    longest = max(len(t.encode()) for t in toks)
    inlist = ", ".join(_s(t) for t in toks)
    t = f"nullif(trim({v}), '')"
    return (f"CASE WHEN {v} LIKE ' %' OR {v} LIKE '% ' OR strlen({v}) <> length({v}) "
            f"THEN CASE WHEN {t} IN ({inlist}) THEN NULL ELSE {t} END "
            f"WHEN strlen({v}) > {longest} THEN {v} "
            f"WHEN {v} = '' OR {v} IN ({inlist}) THEN NULL ELSE {v} END")


def first_of(*exprs: str) -> str:
    """The first non-NULL of ``exprs``, evaluating a later one only where the earlier ones are NULL.

    DuckDB's ``coalesce`` evaluates every argument for every row; a nested CASE keeps the slow parses
    (regular expressions, strptime lists) off the rows the fast cast already read (7x on numbers).
    """
    out = exprs[-1]
    for e in reversed(exprs[:-1]):
        out = f"CASE WHEN {e} IS NOT NULL THEN {e} ELSE {out} END"
    return out


def _clean_currency(t: str) -> str:
    return (f"regexp_replace(regexp_replace({t}, {_s(_CUR_PREFIX)}, '\\1', 'i'), "
            f"{_s(_CUR_SUFFIX)}, '', 'i')")


def number(t: str, european: bool = False) -> str:
    """A DOUBLE from text ``t`` (see the module docstring); NULL when it is not a number."""
    c = _clean_currency(t)
    if european:
        plain = f"replace(replace({c}, '.', ''), ',', '.')"
        return (f"CASE WHEN regexp_full_match({c}, {_s(_EU_NUMBER)}) THEN try_cast({plain} AS DOUBLE) "
                f"WHEN regexp_full_match({c}, {_s(_EU_PERCENT)}) "
                f"THEN try_cast(replace(rtrim(rtrim({c}, '%')), ',', '.') AS DOUBLE) / 100 END")
    slow = (f"CASE WHEN regexp_full_match({c}, {_s(_US_NUMBER)}) THEN try_cast(replace({c}, ',', '') AS DOUBLE) "
            f"WHEN regexp_full_match({c}, {_s(_PERCENT)}) THEN try_cast(rtrim(rtrim({c}, '%')) AS DOUBLE) / 100 END")
    return first_of(f"try_cast({t} AS DOUBLE)", slow)


def number_hint(t: str) -> str:
    """SQL text explaining why ``t`` was not read as a number (appended to the quarantine reason)."""
    return (f"CASE WHEN regexp_full_match({t}, '[+-]?[0-9]{{1,3}}([.][0-9]{{3}})*,[0-9]+') "
            f"THEN ' (a decimal comma? only read in a column whose values are all European-formatted)' "
            f"WHEN contains({t}, ',') THEN ' (commas must group digits by three)' "
            f"WHEN lower({t}) IN ('nan', 'inf', '-inf', 'infinity', '-infinity', '+infinity') "
            f"THEN ' (NaN and infinities are not values)' "
            f"WHEN contains({t}, chr(0)) THEN ' (it holds a NUL byte)' ELSE '' END")


def whole(t: str, european: bool = False) -> str:
    """A BIGINT from text ``t``: a number that is whole and inside the BIGINT range."""
    d = number(t, european)
    return (f"CASE WHEN {d} = floor({d}) AND abs({d}) < 9.2e18 THEN CAST({d} AS BIGINT) END")


def date(t: str, formats: Iterable[str]) -> str:
    """A DATE from text ``t``: ISO cast, then the preset's formats, then an Excel serial number."""
    fmts = "[" + ", ".join(_s(f) for f in formats) + "]"
    serial = (f"CASE WHEN regexp_full_match({t}, {_s(_SERIAL)}) THEN "
              f"DATE {_s(EXCEL_EPOCH)} + CAST(floor(CAST({t} AS DOUBLE)) AS INTEGER) END")
    return first_of(f"try_cast({t} AS DATE)", f"CAST(try_strptime({t}, {fmts}) AS DATE)", serial)


def timestamp(t: str, formats: Iterable[str]) -> str:
    """A TIMESTAMP from text ``t``: ISO (with or without offset), the preset's formats, Excel serials.

    A value ending in AM/PM skips the ISO cast (which ignores the suffix) for the ``%I … %p`` formats.
    """
    fl = list(formats)
    tz = "[" + ", ".join(_s(f) for f in fl if "%z" in f) + "]"
    naive = "[" + ", ".join(_s(f) for f in fl if "%z" not in f) + "]"
    after_date = f"substr({t}, 11)"
    has_offset = (f"(contains({after_date}, '+') OR contains({after_date}, '-') "
                  f"OR contains({after_date}, 'Z') OR contains({after_date}, 'z'))")
    ampm = f"(contains({after_date}, 'M') OR contains({after_date}, 'm'))"
    iso = (f"CASE WHEN {has_offset} THEN CAST(try_cast({t} AS TIMESTAMPTZ) AS TIMESTAMP) WHEN {ampm} THEN NULL "
           f"ELSE try_cast({t} AS TIMESTAMP) END")
    serial = (f"CASE WHEN regexp_full_match({t}, {_s(_SERIAL)}) THEN TIMESTAMP {_s(EXCEL_EPOCH)} + "
              f"to_microseconds(CAST(round(CAST({t} AS DOUBLE) * 86400e6) AS BIGINT)) END")
    return first_of(iso, f"CAST(try_strptime({t}, {tz}) AS TIMESTAMP)", f"try_strptime({t}, {naive})", serial)


def masked(t: str, kind: str) -> str:
    """SQL boolean: the identifier text ``t`` is masked by its source (never an identifier).

    Any ``*`` masks (``138****8000``, ``j***@x.com``); for phones and emails also runs of ``x``/``X``/``•``
    next to digits or before the ``@`` (``138xxxx8000``, ``jxxx@x.com``). Other identifier types are only
    checked for ``*`` (an ``xxx`` can be part of a real cookie or user id).
    """
    star = f"contains({t}, '*')"
    if kind in ("phone", "email"):
        return f"({star} OR regexp_matches({t}, '[0-9][xX•]{{2,}}|[xX•]{{3,}}[0-9@]|•'))"
    return star


def european_column(values: Iterable[str | None]) -> bool:
    """Whether sampled values of a numeric column are clearly European (decimal comma, dot groups).

    True when some value can only be European (``1.200,50``, ``12,5``) and none can only be read with a
    decimal point (``1,200.50``, ``12.50``). A column with neither (``1200``) is not European.
    """
    eu = us = False
    for v in values:
        if v is None:
            continue
        c = _CUR_STRIP.sub("", v.strip())
        if _EU_EVIDENCE.match(c):
            eu = True
        elif _US_EVIDENCE.match(c):
            us = True
            break
    return eu and not us


def value_map(t: str, mapping: dict[str, str]) -> str:
    """``t`` through a value map (keys compared case-insensitively after trimming); others unchanged."""
    if not mapping:
        return t
    whens = " ".join(f"WHEN {_s(k.strip().lower())} THEN {_s(v)}" for k, v in mapping.items())
    return f"CASE lower({t}) {whens} ELSE {t} END"
