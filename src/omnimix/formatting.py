"""Locale formatting shared by the dashboard (:mod:`omnimix.web.i18n`) and the MMM report
(:mod:`omnimix.mmm.report_i18n`): currency symbols, dates, the compact units (万/亿, K/M/B) and the
"is this a finite number" test.

It lives here, below both, because the mmm layer may not import the web.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

__all__ = ["COMPACT_UNITS", "SYMBOLS", "compact_unit", "currency_symbol", "finite", "format_date"]

#: Compact units per locale, largest first: Chinese counts in 万 (10^4) and 亿 (10^8).
COMPACT_UNITS: dict[str, tuple[tuple[float, str], ...]] = {
    "zh-CN": ((1e8, "亿"), (1e4, "万")),
    "en": ((1e9, "B"), (1e6, "M"), (1e3, "K")),
}


def compact_unit(x: float, locale: str) -> tuple[float, str]:
    """``x`` scaled to its largest compact unit and the unit's suffix (``(x, "")`` below the smallest):
    ``compact_unit(3_766_600, "zh-CN") == (376.66, "万")``, ``compact_unit(3_766_600, "en") == (3.7666, "M")``."""
    for size, suffix in COMPACT_UNITS["zh-CN" if locale == "zh-CN" else "en"]:
        if abs(x) >= size:
            return x / size, suffix
    return x, ""

#: ISO 4217 code → (English symbol, zh-CN symbol); unknown codes are written as the code and a space.
SYMBOLS: dict[str, tuple[str, str]] = {
    "CNY": ("CN¥", "¥"),
    "USD": ("$", "US$"),
    "EUR": ("€", "€"),
    "GBP": ("£", "£"),
    "JPY": ("¥", "JP¥"),
    "HKD": ("HK$", "HK$"),
    "TWD": ("NT$", "NT$"),
    "KRW": ("₩", "₩"),
    "SGD": ("SGD ", "SGD "),
    "AUD": ("A$", "AU$"),
    "CAD": ("CA$", "CA$"),
    "INR": ("₹", "₹"),
}


def currency_symbol(currency: str, locale: str) -> str:
    """The symbol of ``currency`` in ``locale`` (``"zh-CN"`` or English), e.g. ``¥`` / ``CN¥``."""
    en, zh = SYMBOLS.get(currency, (currency + " ", currency + " "))
    return zh if locale == "zh-CN" else en


def finite(x: Any) -> bool:
    """Whether ``x`` is a real, finite int or float (not a bool, NaN, infinity, None or text)."""
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_date(d: Any, locale: str) -> str:
    """``2026-11-23 -> '2026年11月23日'`` (zh-CN) / ``'Nov 23, 2026'`` (en); ``None`` is ``—``."""
    if d is None:
        return "—"
    if isinstance(d, str):
        try:
            d = datetime.fromisoformat(d)
        except ValueError:
            return str(d)
    if not isinstance(d, date):
        return str(d)
    if locale == "zh-CN":
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{_MONTHS[d.month - 1]} {d.day}, {d.year}"
