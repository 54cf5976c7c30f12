"""Header names as exports write them: one normalisation, unit suffixes, and where the header row is.

Platforms spell the same column many ways: ``消耗(元)``, ``消耗（元）``, ``花费 (元)``, ``Amount spent (USD)``,
``Impr.``, ``user_pseudo_id``. :func:`normalize` is the one function every comparison of header names
goes through: Unicode NFKC (full-width brackets, colons, letters and digits become their ASCII forms),
lower case, no whitespace, no underscores. :func:`split_unit` separates a trailing bracketed unit
(``(元)``, ``【元】``, ``[USD]``, ``(%)``) from the name, so ``花费（元）`` matches the alias ``花费`` and
``Amount spent (USD)`` also says its currency (:func:`unit_currency`).

Exports from Chinese back-ends put a report title and a date-range line above the header; GA4's CSV
downloads start with ``#`` comment lines. :func:`find_header_row` picks the header among the first
rows: the row with the most cells that are known header names (any preset's alias or canonical
column), else the first row as wide as the data below it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

HEADER_SCAN_ROWS = 30  # rows looked at for the header (title rows, comment lines, blank lines above it)

_SPACE = re.compile(r"[\s_\u3000]+")
_UNIT = re.compile(r"^(.*?)\s*[(\[【〔]\s*([^()\[\]【】〔〕]*?)\s*[)\]】〕]\s*$")

#: Units in a header's brackets that name a currency.
UNIT_CURRENCIES: dict[str, str] = {
    "元": "CNY", "人民币": "CNY", "rmb": "CNY", "cny": "CNY", "¥": "CNY", "usd": "USD", "$": "USD",
    "us$": "USD", "eur": "EUR", "€": "EUR", "gbp": "GBP", "£": "GBP", "hkd": "HKD", "jpy": "JPY",
    "sgd": "SGD", "aud": "AUD", "cad": "CAD", "krw": "KRW", "twd": "TWD",
}


def normalize(name: str) -> str:
    """The comparable form of a header name: NFKC, lower case, no whitespace or underscores.

    >>> normalize("消耗（元）") == normalize("消耗(元)") == normalize(" 消耗 (元) ")
    True
    >>> normalize("Amount Spent (USD)")
    'amountspent(usd)'
    """
    v = unicodedata.normalize("NFKC", str(name)).replace("\ufeff", "").strip().strip('"').lower()
    return _SPACE.sub("", v)


def split_unit(name: str) -> tuple[str, str | None]:
    """``(normalised name without a trailing bracketed unit, normalised unit or None)``.

    >>> split_unit("花费（元）")
    ('花费', '元')
    >>> split_unit("Clicks")
    ('clicks', None)
    """
    v = unicodedata.normalize("NFKC", str(name)).replace("\ufeff", "").strip()
    m = _UNIT.match(v)
    if m is None or not m.group(1).strip():
        return normalize(v), None
    return normalize(m.group(1)), normalize(m.group(2))


def unit_currency(name: str) -> str | None:
    """The ISO 4217 code a header's bracketed unit names (``Amount spent (USD)`` → ``USD``), if any."""
    _, unit = split_unit(name)
    return UNIT_CURRENCIES.get(unit) if unit else None


class HeaderIndex:
    """Looks header names up by their normalised form, with or without their unit."""

    def __init__(self, header: Sequence[str]) -> None:
        self.header = list(header)
        self.exact: dict[str, str] = {}
        self.base: dict[str, str] = {}
        for h in header:
            if not str(h).strip():
                continue
            self.exact.setdefault(normalize(h), h)
            b, _ = split_unit(h)
            self.base.setdefault(b, h)

    def find(self, alias: str, taken: Iterable[str] = ()) -> str | None:
        """The header matching ``alias`` (exactly, else by its name without the unit), not in ``taken``."""
        used = set(taken)
        n = normalize(alias)
        hit = self.exact.get(n)
        if hit is not None and hit not in used:
            return hit
        b, unit = split_unit(alias)
        if unit is None:
            hit = self.base.get(b)
            if hit is not None and hit not in used:
                return hit
        return None


def _cells(row: Sequence[object]) -> list[str]:
    return [str(v).strip() if v is not None else "" for v in row]


def is_comment(row: Sequence[object]) -> bool:
    """A ``#`` comment line (GA4 CSV downloads) or a blank row."""
    cells = _cells(row)
    first = next((c for c in cells if c), "")
    return not first or first.startswith("#")


def find_header_row(rows: Sequence[Sequence[object]], known: frozenset[str]) -> int:
    """Index of the header among ``rows`` (the first :data:`HEADER_SCAN_ROWS` rows of a file or sheet).

    Blank rows and ``#`` comment lines are never the header. The row with the most cells that are known
    header names wins (at least two; the earliest on a tie); a file with no known names takes the first
    row as wide as most of the rows that follow (title and date-range rows are narrower).

    Args:
        rows: the first rows, each a list of cell texts.
        known: normalised header names of every preset (with and without units).

    Returns:
        the index into ``rows``; 0 when every row is blank.
    """
    scan = list(rows[:HEADER_SCAN_ROWS])
    cand = [i for i, r in enumerate(scan) if not is_comment(r)]
    if not cand:
        return 0
    best, best_hits = -1, 1
    for i in cand:
        cells = [c for c in _cells(scan[i]) if c]
        hits = sum(1 for c in cells if normalize(c) in known or split_unit(c)[0] in known)
        if hits > best_hits:
            best, best_hits = i, hits
    if best >= 0:
        return best
    widths = [sum(1 for c in _cells(scan[i]) if c) for i in cand]
    mode = Counter(widths).most_common(1)[0][0] if len(widths) > 1 else widths[0]
    for i, w in zip(cand, widths, strict=True):
        if w >= max(2, mode) or w == mode:
            return i
    return cand[0]
