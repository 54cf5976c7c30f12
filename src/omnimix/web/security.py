"""Security primitives below :mod:`omnimix.web.auth` and :mod:`omnimix.web.state`.

Roles and their order, argon2id password hashing, API-token generation and digests, signed session and
pre-login cookies, CSRF tokens and constant-time comparison. Nothing here touches a request or the
app-state database, so both ``auth`` (who is calling) and ``state`` (users and tokens stored) import
from this module and not from each other.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

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


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def same(a: str, b: str) -> bool:
    """Constant-time equality of two non-empty strings (False when either is empty)."""
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


class SessionSigner:
    """Signs and reads session and pre-login cookies."""

    def __init__(self, secret: str) -> None:
        self._s = URLSafeTimedSerializer(secret, salt="omnimix-session")
        self._pre = URLSafeTimedSerializer(secret, salt="omnimix-prelogin")

    def dump(self, user_id: int, csrf: str) -> str:
        return self._s.dumps({"uid": user_id, "csrf": csrf})

    def load(self, value: str) -> dict[str, Any] | None:
        try:
            data = self._s.loads(value, max_age=SESSION_MAX_AGE)
        except BadSignature:
            return None
        return data if isinstance(data, dict) and "uid" in data and "csrf" in data else None

    def dump_pre(self, csrf: str) -> str:
        return self._pre.dumps(csrf)

    def load_pre(self, value: str) -> str | None:
        try:
            data = self._pre.loads(value, max_age=PRELOGIN_MAX_AGE)
        except BadSignature:
            return None
        return data if isinstance(data, str) else None
