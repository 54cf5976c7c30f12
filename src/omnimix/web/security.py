"""Security primitives below :mod:`omnimix.web.auth` and :mod:`omnimix.web.state`.

Roles and their order, argon2id password hashing, API-token generation and digests, signed session and
pre-login cookies, CSRF tokens and constant-time comparison. Nothing here touches a request or the
app-state database, so both ``auth`` (who is calling) and ``state`` (users and tokens stored) import
from this module and not from each other.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets

import argon2
from itsdangerous import BadSignature, URLSafeTimedSerializer

#: Roles from least to most privileged.
ROLES: tuple[str, ...] = ("viewer", "analyst", "admin")
#: Role → rank (a higher rank may do everything a lower one may).
RANK: dict[str, int] = {r: i for i, r in enumerate(ROLES)}

SESSION_COOKIE = "omx_session"
PRELOGIN_COOKIE = "omx_pre"
SESSION_MAX_AGE = 12 * 3600
PRELOGIN_MAX_AGE = 3600
CSRF_HEADER = "X-CSRF-Token"
TOKEN_PREFIX = "omx_"


class PasswordHasher:
    """argon2id hashing with the library's recommended defaults (RFC 9106 low-memory profile)."""

    def __init__(self) -> None:
        self._h = argon2.PasswordHasher()
        self._dummy = self._h.hash("omnimix-dummy-password")

    def hash(self, password: str) -> str:
        return self._h.hash(password)

    def verify(self, hashed: str, password: str) -> bool:
        try:
            return bool(self._h.verify(hashed, password))
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False

    def verify_dummy(self, password: str) -> None:
        """Spend the same time as a real check so unknown usernames cannot be told apart by timing."""
        self.verify(self._dummy, password + "x")

    def needs_rehash(self, hashed: str) -> bool:
        return bool(self._h.check_needs_rehash(hashed))


def new_token() -> str:
    """A fresh API token: ``omx_`` and 32 random bytes (URL-safe); shown to its owner once."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The SHA-256 hex digest stored for a token (32 random bytes need no slow hash)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_secret_key() -> str:
    """A random cookie-signing key."""
    return secrets.token_urlsafe(48)


def new_session_id() -> str:
    """A random login-session id (32 bytes); only its digest is stored server-side."""
    return secrets.token_urlsafe(32)


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def same(a: str, b: str) -> bool:
    """Constant-time equality of two non-empty strings (False when either is empty)."""
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


class SessionSigner:
    """Signs and reads session and pre-login cookies.

    The session cookie carries only a random session id (signed, so a forged one is refused without
    a database read); the user, role and CSRF token are looked up server-side on every request.
    """

    def __init__(self, secret: str) -> None:
        self._s = URLSafeTimedSerializer(secret, salt="omnimix-session-v2")
        self._pre = URLSafeTimedSerializer(secret, salt="omnimix-prelogin")

    def dump(self, session_id: str) -> str:
        return self._s.dumps({"sid": session_id})

    def load(self, value: str) -> str | None:
        """The session id in a cookie, or None (bad signature, too old, or an old-format cookie)."""
        try:
            data = self._s.loads(value, max_age=SESSION_MAX_AGE)
        except BadSignature:
            return None
        sid = data.get("sid") if isinstance(data, dict) else None
        return sid if isinstance(sid, str) and sid else None

    def dump_pre(self, csrf: str) -> str:
        return self._pre.dumps(csrf)

    def load_pre(self, value: str) -> str | None:
        try:
            data = self._pre.loads(value, max_age=PRELOGIN_MAX_AGE)
        except BadSignature:
            return None
        return data if isinstance(data, str) else None


#: Query parameters that may carry personal data (customer search by e-mail or phone).
SENSITIVE_PARAMS: tuple[str, ...] = ("q", "email", "phone", "search", "value")
_SENSITIVE = re.compile(r"([?&](?:" + "|".join(SENSITIVE_PARAMS) + r")=)[^&#\s]*", re.IGNORECASE)


def redact_query(text: str) -> str:
    """``/customers?q=ann%40x.com&segment=A`` → ``/customers?q=[redacted]&segment=A``."""
    return _SENSITIVE.sub(r"\1[redacted]", text)


class RedactSearchFilter(logging.Filter):
    """A logging filter that keeps search queries (e-mail addresses, phone numbers) out of access logs.

    uvicorn's access log passes ``(client, method, path with query, http version, status)`` as the
    record's arguments; the path's sensitive parameters are replaced by ``[redacted]``. Other records
    have their formatted message redacted the same way.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(redact_query(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact_query(record.msg)
        return True


def install_log_redaction(names: tuple[str, ...] = ("uvicorn.access", "uvicorn.error", "omnimix.web")) -> None:
    """Add :class:`RedactSearchFilter` to the server's loggers (once each)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSearchFilter) for f in logger.filters):
            logger.addFilter(RedactSearchFilter())
