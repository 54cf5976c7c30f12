"""Authentication and authorisation: argon2 passwords, signed session cookies, CSRF, API tokens, roles.

* People log in with a password (argon2id hash in the app state) and get a signed, http-only session
  cookie (itsdangerous, 12 h). The session carries a random CSRF token; every HTML form posts it back and
  every cookie-authenticated API call that changes state sends it in the ``X-CSRF-Token`` header.
* Machines send ``Authorization: Bearer omx_...``; tokens act with their owner's role and need no CSRF.
* Roles are ordered: ``viewer`` (read) < ``analyst`` (run models and scenarios, export) < ``admin``
  (users, tokens, audit log, raw PII where the workspace keeps it).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import argon2
from itsdangerous import BadSignature, URLSafeTimedSerializer

from omnimix.web.state import ROLES

if TYPE_CHECKING:
    from fastapi import Request

    from omnimix.web.state import AppState

SESSION_COOKIE = "omx_session"
PRELOGIN_COOKIE = "omx_pre"
SESSION_MAX_AGE = 12 * 3600
CSRF_HEADER = "X-CSRF-Token"
RANK = {r: i for i, r in enumerate(ROLES)}


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


@dataclass(frozen=True)
class Principal:
    """Who is calling: a logged-in person (``via='session'``) or a machine token (``via='token'``)."""

    user_id: int
    username: str
    role: str
    via: str
    csrf: str = ""

    def at_least(self, role: str) -> bool:
        return RANK[self.role] >= RANK[role]


class ApiError(Exception):
    """An error answered as JSON ``{"error": {"status", "code", "message"}}``."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


class LoginRequired(Exception):
    """Raised by page dependencies; answered with a redirect to ``/login?next=...``."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class PageForbidden(Exception):
    """Raised by page dependencies when the role is too low; answered with a 403 HTML page."""

    def __init__(self, needed: str) -> None:
        super().__init__(needed)
        self.needed = needed


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
            data = self._pre.loads(value, max_age=3600)
        except BadSignature:
            return None
        return data if isinstance(data, str) else None


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def same(a: str, b: str) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


def principal_from_request(request: Request, state: AppState, signer: SessionSigner) -> Principal | None:
    """Resolve the caller from a Bearer token or the session cookie; None when neither is valid."""
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        user = state.resolve_token(header[7:].strip())
        if user is None:
            return None
        return Principal(user.id, user.username, user.role, "token")
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    data = signer.load(cookie)
    if data is None:
        return None
    user = state.get_user_by_id(int(data["uid"]))
    if user is None:
        return None
    return Principal(user.id, user.username, user.role, "session", str(data["csrf"]))


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""
