"""Locale formatting shared by the dashboard (:mod:`omnimix.web.i18n`) and the MMM report
(:mod:`omnimix.mmm.report_i18n`): currency symbols, dates, and the "is this a finite number" test.

It lives here, below both, because the mmm layer may not import the web.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

__all__ = ["SYMBOLS", "currency_symbol", "finite", "format_date"]

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
