"""Masking of personal data for display: e-mail addresses, phone numbers and identifiers.

Below the admin role the dashboard shows identifiers and quarantined raw rows masked; hashed values
(SHA-256 from ingestion) are shortened for reading.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*(@[A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_PHONE = re.compile(r"(\+?\d{2,4})[\d -]{4,}(\d{4})")


def mask_text(text: str | None) -> str | None:
    """Mask e-mail addresses and phone numbers inside free text (e.g. a quarantined raw row)."""
    if text is None:
        return None
    return _PHONE.sub(r"\1****\2", _EMAIL.sub(r"\1***\2", text))


def mask_identifier(id_type: str, value: str | None) -> str | None:
    """Mask an identifier for display: e-mail ``a***@x.com``, phone ``+86****1234``, hashes cut short."""
    if value is None:
        return None
    if re.fullmatch(r"[0-9a-f]{64}", value):
        return value[:10] + "…"  # SHA-256 from ingestion: not PII any more, shortened for reading
    if id_type == "email" or "@" in value:
        return mask_text(value)
    if id_type == "phone":
        digits = re.sub(r"\D", "", value)
        return (value[:3] if value.startswith("+") else "") + "****" + digits[-4:]
    if id_type in ("openid", "unionid", "device_id", "anonymous_id") and len(value) > 8:
        return value[:4] + "…" + value[-2:]
    return value
