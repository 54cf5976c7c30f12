"""Currency symbols by locale, and the "is this a finite number" test every formatter shares.

The dashboard (:mod:`omnimix.web.i18n`) and the MMM report (:mod:`omnimix.mmm.report_i18n`) format
money the same way; the table lives here, below both.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["SYMBOLS", "currency_symbol", "finite"]

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
