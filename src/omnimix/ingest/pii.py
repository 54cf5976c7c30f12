"""PII normalisation and hashing.

Emails are trimmed and lower-cased; phones are parsed with ``phonenumbers`` in the workspace's default
region and written in E.164; names are trimmed, lower-cased and stripped of inner spaces. Unless the
workspace keeps PII, the normalised value is SHA-256 hashed (hex, optionally salted) so the same person
still matches across sources while the raw value never enters the warehouse.
"""

from __future__ import annotations

import hashlib
import re

import phonenumbers

_SPACES = re.compile(r"\s+")


def normalize_email(value: str | None) -> str | None:
    if value is None:
        return None
    v = value.strip().lower()
    return v or None


def normalize_phone(value: str | None, region: str = "CN") -> str | None:
    """Return the E.164 form of a phone number, or ``invalid:<digits>`` when it cannot be parsed.

    Unparseable numbers keep their digits (so exact duplicates still match) behind a prefix that
    identity resolution treats as low-trust.
    """
    if value is None:
        return None
    v = value.strip()
    if not v:
        return None
    if v.endswith(".0") and v[:-2].isdigit():  # numbers that went through a spreadsheet
        v = v[:-2]
    try:
        num = phonenumbers.parse(v, region)
        if phonenumbers.is_valid_number(num):
            return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        pass
    digits = re.sub(r"\D", "", v)
    return f"invalid:{digits}" if digits else None


def normalize_name(value: str | None) -> str | None:
    if value is None:
        return None
    v = _SPACES.sub("", value.strip().lower())
    return v or None


def hash_value(value: str | None, salt: str = "") -> str | None:
    """SHA-256 hex of ``salt + value``; ``None`` stays ``None``."""
    if value is None:
        return None
    return hashlib.sha256((salt + value).encode("utf-8")).hexdigest()


def email_key(value: str | None, keep_pii: bool, salt: str = "") -> str | None:
    """The form of an email stored in the warehouse (and used to look a person up)."""
    v = normalize_email(value)
    return v if keep_pii else hash_value(v, salt)


def phone_key(value: str | None, keep_pii: bool, region: str = "CN", salt: str = "") -> str | None:
    """The form of a phone stored in the warehouse (and used to look a person up)."""
    v = normalize_phone(value, region)
    if keep_pii or v is None:
        return v
    hashed = hash_value(v, salt)
    # an unparseable phone keeps its marker in the warehouse (see omnimix.ingest.compiler.Compiler.pii)
    return f"invalid:{hashed}" if v.startswith("invalid:") and hashed else hashed
