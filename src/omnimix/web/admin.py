"""User administration, one implementation for the admin forms, the admin API and ``omnimix users``.

Every action checks its input, changes the app state and writes one audit-log row naming the actor
and, for web callers, the client IP. Errors the caller can fix raise :class:`UsageError`;
:class:`NotFound` (a subclass) when the user or token does not exist, so the API can answer 404 and
409 apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from omnimix.errors import UsageError
from omnimix.web.auth import client_ip
from omnimix.web.state import AppState, UserInfo

if TYPE_CHECKING:
    from fastapi import Request


class NotFound(UsageError):
    """The user or token named does not exist."""


@dataclass(frozen=True)
class Actor:
    """Who performs an action, as the audit log records it.

    Attributes:
        name: username (``cli:LOGIN`` for the command line).
        ip: client address of a web request ("" outside the web).
    """

    name: str
    ip: str = ""

    @classmethod
    def of(cls, username: str, request: Request) -> Actor:
        """The actor of a web request: the caller's username and client address."""
        return cls(username, client_ip(request))


def audit(state: AppState, actor: Actor, action: str, target: str = "", detail: str = "") -> None:
    """One audit-log row for ``actor`` (with its IP)."""
    state.audit(actor.name, action, target, detail, actor.ip)


def add_user(state: AppState, actor: Actor, username: str, password: str, role: str) -> UserInfo:
    """Add a user with ``role``; audited as ``user_add``."""
    user = state.add_user(username, password, role)
    audit(state, actor, "user_add", username, f"role={role}")
    return user


def _existing(state: AppState, username: str) -> UserInfo:
    user = state.get_user(username)
    if user is None:
        raise NotFound(f"no user {username!r}: see `omnimix users list`")
    return user


def set_role(state: AppState, actor: Actor, username: str, role: str) -> UserInfo:
    """Change a user's role (never the last admin's); audited as ``role_change`` with before → after."""
    before = _existing(state, username)
    user = state.set_role(username, role)
    audit(state, actor, "role_change", username, f"{before.role} -> {role}")
    return user


def remove_user(state: AppState, actor: Actor, username: str) -> None:
    """Remove a user and their tokens (never the last admin); audited as ``user_remove``."""
    _existing(state, username)
    state.remove_user(username)
    audit(state, actor, "user_remove", username)


def create_token(state: AppState, actor: Actor, username: str, name: str) -> tuple[int, str]:
    """Create an API token owned by ``username``; returns (id, secret shown once); audited."""
    _existing(state, username)
    tid, token = state.create_token(username, name)
    audit(state, actor, "token_create", f"token:{tid}", f"owner={username} name={name}")
    return tid, token


def revoke_token(state: AppState, actor: Actor, token_id: int) -> None:
    """Revoke an API token; audited as ``token_revoke``."""
    if not state.revoke_token(token_id):
        raise NotFound(f"no token {token_id}")
    audit(state, actor, "token_revoke", f"token:{token_id}")


def change_settings(state: AppState, actor: Actor, changes: dict[str, Any]) -> None:
    """Store dashboard settings; audited as ``settings`` when anything changed."""
    for k, v in changes.items():
        state.set_setting(k, str(v))
    if changes:
        audit(state, actor, "settings", "", ", ".join(f"{k}={v}" for k, v in changes.items()))
