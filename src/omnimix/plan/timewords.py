"""Numbers and deadlines in goal sentences (zh and en).

:func:`normalize` rewrites a sentence so the parser sees one form: full-width characters as ASCII,
Chinese numerals before a unit as digits (``百分之二十`` → ``20%``, ``两成`` → ``20%``, ``第三季度`` →
``第3季度``), thousands separators dropped. :func:`find_deadlines` finds the time expressions of a
sentence and the date each means for a plan year (``本年度`` → the plan's last day, ``6月底前`` →
June 30, ``Q3`` → September 30, ``within 6 months`` → six months after the plan starts, ``双11`` →
November 11).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

_FULL = str.maketrans("０１２３４５６７８９％（）：，；。！？＋－．", "0123456789%():,;.!?+-.")
_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNIT = {"十": 10, "百": 100, "千": 1000}
_CN = "零〇一二两三四五六七八九十百千"
_AFTER = r"(?=成|%|个百分点|百分点|倍|万|亿|月|季度|个月|天|周|年|番|名|人|位|个|单|笔|条|次|元|块|家|日|号)"


def cn_number(text: str) -> int:
    """A Chinese numeral below ten thousand as an int (``二十五`` → 25, ``十二`` → 12, ``三千`` → 3000)."""
    total, digit = 0, None
    for ch in text:
        if ch in _DIGIT:
            digit = _DIGIT[ch]
        elif ch in _UNIT:
            total += (1 if digit is None else digit) * _UNIT[ch]
            digit = None
        else:
            raise ValueError(f"not a Chinese numeral: {text!r}")
    return total + (digit or 0)


def normalize(text: str) -> str:
    """One form for the parser: ASCII punctuation and digits, Arabic numerals, no thousands separators."""
    s = text.translate(_FULL).replace("\u3000", " ")
    s = re.sub(r"百分之([\d.]+)", r"\1%", s)
    s = re.sub(rf"百分之([{_CN}]+)", lambda m: f"{cn_number(m.group(1))}%", s)
    s = re.sub(rf"(?<![{_CN}])([{_CN}]+){_AFTER}", lambda m: str(cn_number(m.group(1))), s)
    s = re.sub(r"(\d+(?:\.\d+)?)成(?![本功为交长])", lambda m: f"{float(m.group(1)) * 10:g}%", s)
    s = re.sub(r"(?<=\d),(?=\d{3}(?:\D|$))", "", s)
    return s


@dataclass(frozen=True)
class Deadline:
    """A time expression and the date it means."""

    date: dt.date
    start: int
    end: int
    text: str


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _add_months(start: dt.date, months: int) -> dt.date:
    y, m = divmod(start.month - 1 + months, 12)
    return dt.date(start.year + y, m + 1, 1) - dt.timedelta(days=1)


_MONTHS = {name: i for i, names in enumerate(
    ["", "january jan", "february feb", "march mar", "april apr", "may", "june jun", "july jul",
     "august aug", "september sept sep", "october oct", "november nov", "december dec"]) for name in names.split()}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ORD = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
_EN_NUM = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
           "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "eighteen": 18, "twenty-four": 24}
_CNY = {2024: (2, 10), 2025: (1, 29), 2026: (2, 17), 2027: (2, 6), 2028: (1, 26), 2029: (2, 13), 2030: (2, 3)}
_MID_AUTUMN = {2024: (9, 17), 2025: (10, 6), 2026: (9, 25), 2027: (9, 15), 2028: (10, 3), 2029: (9, 22),
               2030: (9, 12)}
_QIXI = {2024: (8, 10), 2025: (8, 29), 2026: (8, 19), 2027: (8, 8), 2028: (8, 26), 2029: (8, 16), 2030: (8, 5)}


def _black_friday(year: int) -> dt.date:
    d = dt.date(year, 11, 1)
    first_friday = d + dt.timedelta(days=(4 - d.weekday()) % 7)
    return first_friday + dt.timedelta(weeks=3)


def _lunar(table: dict[int, tuple[int, int]], year: int, fallback: tuple[int, int]) -> dt.date:
    m, d = table.get(year, fallback)
    return dt.date(year, m, d)


@dataclass(frozen=True)
class _Ctx:
    year: int
    start: dt.date
    end: dt.date

    def y(self, text: str | None) -> int:
        if not text:
            return self.year
        v = int(text)
        return v + 2000 if v < 100 else v

    def year_end(self, text: str | None) -> dt.date:
        y = self.y(text)
        return self.end if y == self.year else dt.date(y, 12, 31)


Rule = tuple[re.Pattern[str], Callable[[re.Match[str], _Ctx], dt.date]]


def _q(m: re.Match[str], c: _Ctx, qg: str, yg: str) -> dt.date:
    q = int(m.group(qg)) if m.group(qg).isdigit() else _ORD[m.group(qg).lower()]
    return _month_end(c.y(m.group(yg)), 3 * q)


def _within(m: re.Match[str], c: _Ctx) -> dt.date:
    raw = m.group("n").lower()
    n = int(raw) if raw.isdigit() else _EN_NUM.get(raw, 1)
    unit = m.group("u").lower()
    if unit.startswith(("月", "个月", "month")):
        return _add_months(c.start, n)
    if unit.startswith(("季", "quarter")):
        return _add_months(c.start, 3 * n)
    if unit.startswith(("年", "year")):
        return _add_months(c.start, 12 * n)
    days = 7 * n if unit.startswith(("周", "week")) else n
    return c.start + dt.timedelta(days=days - 1)


_I = re.IGNORECASE
_YR = r"(?P<y>20\d\d)"
_RULES: list[Rule] = [
    (re.compile(r"(?P<y>20\d\d)[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"),
     lambda m, c: dt.date(int(m["y"]), int(m["m"]), int(m["d"]))),
    (re.compile(r"(?:(?P<y>20\d\d)年)?(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]"),
     lambda m, c: dt.date(c.y(m["y"]), int(m["m"]), int(m["d"]))),
    (re.compile(r"(?:(?P<y>20\d\d)年)?(?:第)?(?P<q>[1-4])季度|(?:(?P<y2>20\d\d)年?)?\s*Q(?P<q2>[1-4])(?:\s*(?P<y3>20\d\d))?",
                _I),
     lambda m, c: _month_end(c.y(m["y"] or m["y2"] or m["y3"]), 3 * int(m["q"] or m["q2"]))),
    (re.compile(r"(?:(?P<y>20\d\d)年)?(?P<h>上|下)半年"),
     lambda m, c: _month_end(c.y(m["y"]), 6 if m["h"] == "上" else 12)),
    (re.compile(r"(?:(?P<y>20\d\d)年)?(?<![\d个])(?P<m>1[0-2]|0?[1-9])月(?:份)?(?:底|末|前|之前|以前|内|中旬|上旬|下旬)?"),
     lambda m, c: _month_end(c.y(m["y"]), int(m["m"]))),
    (re.compile(r"(?P<n>\d+)\s*(?P<u>个月|个季度|季度|周|天|日|年)(?:内|之内|以内)|(?:未来|接下来)(?P<n2>\d+)(?P<u2>个月|个季度|周|天|年)"),
     lambda m, c: _within_zh(m, c)),
    (re.compile(r"(?P<y>20\d\d)\s*(?:年|财年)(?:底|末|内|全年|度)?|FY\s?(?P<y2>\d{2,4})", _I),
     lambda m, c: c.year_end(m["y"] or m["y2"])),
    (re.compile(r"本年度|本年|今年|年内|全年|年底|年末|年终|本财年|财年内|年度内|当年|年度"),
     lambda m, c: c.end),
    (re.compile(r"本季度|本季|当季|this\s+quarter", _I), lambda m, c: _add_months(c.start, 3)),
    (re.compile(r"本月|当月|this\s+month", _I), lambda m, c: _add_months(c.start, 1)),
    (re.compile(r"618|6\.18|年中大促"), lambda m, c: dt.date(c.year, 6, 18)),
    (re.compile(r"双\s?11|双十一|11\.11|singles'? day", _I), lambda m, c: dt.date(c.year, 11, 11)),
    (re.compile(r"双\s?12|双十二|12\.12"), lambda m, c: dt.date(c.year, 12, 12)),
    (re.compile(r"春节|年货节|chinese new year|lunar new year", _I), lambda m, c: _lunar(_CNY, c.year, (2, 1))),
    (re.compile(r"中秋|mid-autumn", _I), lambda m, c: _lunar(_MID_AUTUMN, c.year, (9, 20))),
    (re.compile(r"七夕|qixi", _I), lambda m, c: _lunar(_QIXI, c.year, (8, 15))),
    (re.compile(r"国庆|golden week", _I), lambda m, c: dt.date(c.year, 10, 7)),
    (re.compile(r"五一|劳动节|may day", _I), lambda m, c: dt.date(c.year, 5, 1)),
    (re.compile(r"元旦|new year'?s day", _I), lambda m, c: dt.date(c.year, 1, 1)),
    (re.compile(r"38女神节|三八|妇女节|女神节"), lambda m, c: dt.date(c.year, 3, 8)),
    (re.compile(r"black friday", _I), lambda m, c: _black_friday(c.year)),
    (re.compile(r"cyber monday", _I), lambda m, c: _black_friday(c.year) + dt.timedelta(days=3)),
    (re.compile(r"christmas|圣诞", _I), lambda m, c: dt.date(c.year, 12, 25)),
    (re.compile(rf"(?P<mo>{_MONTH_RE})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y>20\d\d))?(?![\d%])", _I),
     lambda m, c: dt.date(c.y(m["y"]), _MONTHS[m["mo"].lower()], int(m["d"]))),
    (re.compile(rf"(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<mo>{_MONTH_RE})(?:,?\s+(?P<y>20\d\d))?", _I),
     lambda m, c: dt.date(c.y(m["y"]), _MONTHS[m["mo"].lower()], int(m["d"]))),
    (re.compile(r"(?:the\s+)?(?P<q>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter(?:\s+of\s+(?P<y>20\d\d))?",
                _I), lambda m, c: _q(m, c, "q", "y")),
    (re.compile(r"\bH(?P<h>[12])\b(?:\s*(?P<y>20\d\d))?|(?P<h2>first|second)\s+half(?:\s+of\s+(?:the\s+year|(?P<y2>20\d\d)))?",
                _I),
     lambda m, c: _month_end(c.y(m["y"] or m["y2"]),
                             6 if (m["h"] == "1" or (m["h2"] or "").lower() == "first") else 12)),
    (re.compile(r"(?:within|in|over|during)\s+(?:the\s+)?(?:next|coming|first\s+)?\s*(?P<n>\d+|an?|one|two|three|four|five|six|"
                r"seven|eight|nine|ten|eleven|twelve|eighteen|twenty-four)\s+(?P<u>months?|quarters?|weeks?|days?|years?)",
                _I), _within),
    (re.compile(rf"(?:by|before|until|through|in|during|end of|by the end of)\s+(?:the\s+end\s+of\s+)?"
                rf"(?P<mo>{_MONTH_RE})\b"
                rf"(?:\s+(?P<y>20\d\d))?", _I),
     lambda m, c: _month_end(c.y(m["y"]), _MONTHS[m["mo"].lower()])),
    (re.compile(r"this\s+(?:fiscal\s+|calendar\s+|financial\s+)?year|(?:the\s+)?year[- ]end|end\s+of\s+(?:the\s+)?year"
                r"|within\s+the\s+year|over\s+the\s+year|throughout\s+the\s+year|all\s+year(?:\s+long)?|during\s+the\s+year"
                r"|for\s+the\s+whole\s+year|for\s+the\s+(?:full\s+)?year|full[- ]year|in\s+the\s+plan\s+year"
                r"|(?:by|before)\s+(?:the\s+)?end\s+of\s+(?:the\s+)?(?:fiscal\s+)?year", _I), lambda m, c: c.end),
    (re.compile(r"(?:by|in|during|for|before|through|of|end of)\s+(?:the\s+end\s+of\s+)?(?:FY\s?)?(?P<y>20\d\d)\b", _I),
     lambda m, c: c.year_end(m["y"])),
]


def _within_zh(m: re.Match[str], c: _Ctx) -> dt.date:
    n = int(m["n"] or m["n2"])
    unit = m["u"] or m["u2"]
    if unit == "个月":
        return _add_months(c.start, n)
    if unit in ("个季度", "季度"):
        return _add_months(c.start, 3 * n)
    if unit == "年":
        return _add_months(c.start, 12 * n)
    return c.start + dt.timedelta(days=(7 * n if unit == "周" else n) - 1)


def find_deadlines(text: str, year: int, start: dt.date | None = None, end: dt.date | None = None) -> list[Deadline]:
    """The time expressions of a (normalized) sentence, in text order, without overlaps.

    Args:
        text: the sentence, after :func:`normalize`.
        year: the plan year (a month or quarter without a year is in it).
        start, end: the plan year's first and last day (default: the calendar year).
    """
    ctx = _Ctx(year, start or dt.date(year, 1, 1), end or dt.date(year, 12, 31))
    found: list[Deadline] = []
    for pat, fn in _RULES:
        for m in pat.finditer(text):
            if any(m.start() < f.end and f.start < m.end() for f in found):
                continue
            try:
                d = fn(m, ctx)
            except (ValueError, KeyError):
                continue
            found.append(Deadline(d, m.start(), m.end(), m.group(0)))
    return sorted(found, key=lambda f: f.start)
