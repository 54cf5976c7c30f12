"""Authentication and authorisation: who is calling (session cookie or API token) and with which role.

* People log in with a password (argon2id hash in the app state, checked only after the login throttle
  of :mod:`omnimix.web.throttle` lets the attempt through) and get a signed, http-only cookie holding a
  random server-side session id (12 h). The session row holds a random CSRF token; every HTML form posts
  it back and every cookie-authenticated API call that changes state sends it in the ``X-CSRF-Token``
  header. Logout, removing the user and changing the password end the session.
* Machines send ``Authorization: Bearer omx_...``; tokens act with their owner's role and need no CSRF.
* Roles are ordered: ``viewer`` (read) < ``analyst`` (run models and scenarios, export) < ``admin``
  (users, tokens, audit log, raw PII where the workspace keeps it).

The primitives (hashing, signing, CSRF, roles) live in :mod:`omnimix.web.security`, below this module
and :mod:`omnimix.web.state`; they are re-exported here for the routers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from omnimix.web.security import (
    CSRF_HEADER,
    PRELOGIN_COOKIE,
    RANK,
    ROLES,
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    PasswordHasher,
    SessionSigner,
    new_csrf,
    same,
)

if TYPE_CHECKING:
    from fastapi import Request

    from omnimix.web.state import AppState

__all__ = [
    "CSRF_HEADER",
    "PRELOGIN_COOKIE",
    "RANK",
    "ROLES",
    "SESSION_COOKIE",
    "SESSION_MAX_AGE",
    "ApiError",
    "LoginRequired",
    "PageForbidden",
    "PasswordHasher",
    "Principal",
    "SessionSigner",
    "client_ip",
    "new_csrf",
    "principal_from_request",
    "same",
]

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
    sid = signer.load(cookie)
    if sid is None:
        return None
    found = state.resolve_session(sid)
    if found is None:  # logged out, expired, or the user was removed or changed password
        return None
    user, csrf = found
    return Principal(user.id, user.username, user.role, "session", csrf)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""
