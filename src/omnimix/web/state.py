"""Application state of the web service: users, sessions, API tokens, login throttling, saved scenarios,
settings and the audit log.

Stored with SQLAlchemy so the same code runs on SQLite (default, ``DIR/app.db``) and PostgreSQL
(pass a URL such as ``postgresql+psycopg://user:pw@host/db``). Passwords are argon2 hashes; API tokens
are stored as SHA-256 digests (a token is 32 random bytes, so a fast digest is safe) and shown once.
A login session is a random server-side id (its digest stored, the id itself only in the signed cookie):
logout deletes it, and removing a user or changing a password deletes all of the user's sessions, so a
cookie never outlives them — and never names a user id that SQLite could hand to the next new user.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    bindparam,
    create_engine,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from omnimix.errors import OmnimixError, UsageError
from omnimix.web.security import (
    ROLES,
    SESSION_MAX_AGE,
    TOKEN_PREFIX,
    PasswordHasher,
    new_csrf,
    new_secret_key,
    new_session_id,
    new_token,
    token_digest,
)

__all__ = [
    "ROLES",
    "TOKEN_PREFIX",
    "ApiToken",
    "AppState",
    "AuditEntry",
    "LoginThrottleRow",
    "Scenario",
    "Setting",
    "User",
    "UserInfo",
    "WebSession",
    "check_role",
    "check_username",
    "default_state_url",
    "token_digest",
]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    # a removed user's id is never handed out again (SQLite reuses the largest id without AUTOINCREMENT)
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 - SQLAlchemy's own declaration
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    digest: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)
    last_used: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class WebSession(Base):
    """A login session: the SHA-256 digest of the random id in the (signed) cookie."""

    __tablename__ = "web_sessions"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    ip: Mapped[str] = mapped_column(String(64), default="")


class LoginThrottleRow(Base):
    """Failed logins of one account (``user:NAME``) or one client address (``ip:ADDR``)."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(DateTime, default=_now)
    last_failure: Mapped[datetime] = mapped_column(DateTime, default=_now)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    lockouts: Mapped[int] = mapped_column(Integer, default=0)


class Scenario(Base):
    __tablename__ = "scenarios"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(64), index=True)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)


class Setting(Base):
    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ts: Mapped[datetime] = mapped_column(DateTime, default=_now, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32), index=True)
    target: Mapped[str] = mapped_column(String(256), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    ip: Mapped[str] = mapped_column(String(64), default="")


@dataclass(frozen=True)
class UserInfo:
    """A user as the rest of the app sees it (no hash)."""

    id: int
    username: str
    role: str
    created_at: datetime


def _info(u: User) -> UserInfo:
    return UserInfo(u.id, u.username, u.role, u.created_at)


def check_role(role: str) -> str:
    """Return ``role`` if it is one of :data:`ROLES`, else raise :class:`UsageError`."""
    if role not in ROLES:
        raise UsageError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    return role


def check_username(username: str) -> str:
    """Usernames are 1–64 characters of letters, digits, ``._-@``."""
    if not re.fullmatch(r"[A-Za-z0-9._@-]{1,64}", username):
        raise UsageError(f"invalid username {username!r}: use 1-64 letters, digits or . _ - @")
    return username


def default_state_url(workspace: str | Path) -> str:
    """SQLite file ``DIR/app.db`` inside the workspace."""
    return f"sqlite:///{Path(workspace).resolve() / 'app.db'}"


#: The owner of a token digest, built once (statement construction costs as much as the query itself).
_TOKEN_OWNER = (select(ApiToken.id, User.id, User.username, User.role, User.created_at)
                .join(User, User.id == ApiToken.user_id).where(ApiToken.digest == bindparam("digest")))


class AppState:
    """All reads and writes of the application state.

    Args:
        url: SQLAlchemy database URL (``sqlite:///path/app.db`` or ``postgresql+psycopg://...``).
    """

    def __init__(self, url: str) -> None:
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        try:
            self.engine: Engine = create_engine(url, **kwargs)
            Base.metadata.create_all(self.engine)
        except Exception as exc:  # SQLAlchemy raises many types; report the URL the user gave
            raise UsageError(
                f"cannot open the app-state database {url!r}: {exc}. "
                "Pass a valid SQLAlchemy URL (sqlite:///path or postgresql+psycopg://...)"
            ) from exc
        self.url = url
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        self.hasher = PasswordHasher()
        self._token_cache: dict[str, float] = {}  # token digest -> when last_used was last written
        self._cache_lock = threading.Lock()

    def session(self) -> Session:
        return self._session()

    # ---- users -------------------------------------------------------------------------------
    def add_user(self, username: str, password: str, role: str = "viewer") -> UserInfo:
        check_username(username)
        check_role(role)
        if len(password) < 8:
            raise UsageError("password too short: use at least 8 characters")
        with self.session() as s:
            if s.scalar(select(User).where(User.username == username)) is not None:
                raise UsageError(f"user {username!r} already exists: remove it first or pick another name")
            u = User(username=username, password_hash=self.hasher.hash(password), role=role)
            s.add(u)
            s.commit()
            return _info(u)

    def get_user(self, username: str) -> UserInfo | None:
        with self.session() as s:
            u = s.scalar(select(User).where(User.username == username))
            return _info(u) if u else None

    def get_user_by_id(self, user_id: int) -> UserInfo | None:
        with self.session() as s:
            u = s.get(User, user_id)
            return _info(u) if u else None

    def list_users(self) -> list[UserInfo]:
        with self.session() as s:
            return [_info(u) for u in s.scalars(select(User).order_by(User.username))]

    def set_role(self, username: str, role: str) -> UserInfo:
        check_role(role)
        with self.session() as s:
            u = s.scalar(select(User).where(User.username == username))
            if u is None:
                raise UsageError(f"no user {username!r}: see `omnimix users list`")
            if u.role == "admin" and role != "admin" and self._admin_count(s) <= 1:
                raise UsageError(f"{username!r} is the last admin: make another admin first")
            u.role = role
            s.commit()
        self.clear_token_cache()
        return self.get_user(username)  # type: ignore[return-value]

    def set_password(self, username: str, password: str) -> None:
        if len(password) < 8:
            raise UsageError("password too short: use at least 8 characters")
        with self.session() as s:
            u = s.scalar(select(User).where(User.username == username))
            if u is None:
                raise UsageError(f"no user {username!r}: see `omnimix users list`")
            u.password_hash = self.hasher.hash(password)
            s.execute(delete(WebSession).where(WebSession.user_id == u.id))
            s.commit()

    def _admin_count(self, s: Session) -> int:
        return int(s.scalar(select(func.count()).select_from(User).where(User.role == "admin")) or 0)

    def remove_user(self, username: str) -> None:
        with self.session() as s:
            u = s.scalar(select(User).where(User.username == username))
            if u is None:
                raise UsageError(f"no user {username!r}: see `omnimix users list`")
            if u.role == "admin" and self._admin_count(s) <= 1:
                raise UsageError(f"{username!r} is the last admin: make another admin first")
            for t in s.scalars(select(ApiToken).where(ApiToken.user_id == u.id)):
                s.delete(t)
            s.execute(delete(WebSession).where(WebSession.user_id == u.id))
            s.delete(u)
            s.commit()
        self.clear_token_cache()

    def authenticate(self, username: str, password: str) -> UserInfo | None:
        """Return the user when the password matches, else None (constant work for unknown users)."""
        with self.session() as s:
            u = s.scalar(select(User).where(User.username == username))
            if u is None:
                self.hasher.verify_dummy(password)
                return None
            if not self.hasher.verify(u.password_hash, password):
                return None
            if self.hasher.needs_rehash(u.password_hash):
                u.password_hash = self.hasher.hash(password)
                s.commit()
            return _info(u)

    # ---- sessions ----------------------------------------------------------------------------
    def create_session(self, user_id: int, ip: str = "", max_age: int = SESSION_MAX_AGE) -> tuple[str, str]:
        """A new login session for ``user_id``; returns (session id for the cookie, CSRF token)."""
        sid, csrf = new_session_id(), new_csrf()
        now = _now()
        with self.session() as s:
            s.execute(delete(WebSession).where(WebSession.expires_at < now))  # sweep expired ones
            s.add(WebSession(digest=token_digest(sid), user_id=user_id, csrf=csrf, created_at=now,
                             expires_at=now + timedelta(seconds=max_age), ip=ip[:64]))
            s.commit()
        return sid, csrf

    def resolve_session(self, sid: str) -> tuple[UserInfo, str] | None:
        """(user, CSRF token) of a live session, read fresh (role changes apply to the next request)."""
        with self.session() as s:
            row = s.execute(
                select(WebSession, User).join(User, User.id == WebSession.user_id)
                .where(WebSession.digest == token_digest(sid), WebSession.expires_at > _now())
            ).first()
            return None if row is None else (_info(row[1]), row[0].csrf)

    def revoke_session(self, sid: str) -> bool:
        """End one session (logout); True when it existed."""
        with self.session() as s:
            n = s.execute(delete(WebSession).where(WebSession.digest == token_digest(sid))).rowcount  # type: ignore[attr-defined]
            s.commit()
        return bool(n)

    def session_count(self, username: str | None = None) -> int:
        """Live sessions (of one user)."""
        with self.session() as s:
            q = select(func.count()).select_from(WebSession).where(WebSession.expires_at > _now())
            if username is not None:
                q = q.join(User, User.id == WebSession.user_id).where(User.username == username)
            return int(s.scalar(q) or 0)

    # ---- tokens ------------------------------------------------------------------------------
    def create_token(self, username: str, name: str) -> tuple[int, str]:
        """Create an API token for ``username``; returns (id, plaintext token shown once)."""
        with self.session() as s:
            u = s.scalar(select(User).where(User.username == username))
            if u is None:
                raise UsageError(f"no user {username!r}: see `omnimix users list`")
            token = new_token()
            t = ApiToken(name=name[:128], digest=token_digest(token), user_id=u.id)
            s.add(t)
            s.commit()
            return t.id, token

    def list_tokens(self) -> list[dict[str, Any]]:
        with self.session() as s:
            rows = s.execute(
                select(ApiToken, User.username).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id)
            ).all()
            return [
                {
                    "id": t.id,
                    "name": t.name,
                    "username": name,
                    "created_at": t.created_at,
                    "last_used": t.last_used,
                }
                for t, name in rows
            ]

    def revoke_token(self, token_id: int) -> bool:
        with self.session() as s:
            t = s.get(ApiToken, token_id)
            if t is None:
                return False
            s.delete(t)
            s.commit()
        self.clear_token_cache()
        return True

    def clear_token_cache(self) -> None:
        """Forget when each token's ``last_used`` was last written (tests; after restores)."""
        with self._cache_lock:
            self._token_cache.clear()

    def resolve_token(self, token: str, touch_every: float = 60.0) -> UserInfo | None:
        """User owning ``token`` or None, read fresh on every call, so a revoked token or a changed role
        takes effect on the next request even when another process (``omnimix users``) changed it.
        ``last_used`` is written at most every ``touch_every`` seconds per token (no write per request)."""
        digest = token_digest(token)
        now = time.monotonic()
        # a Core select of five columns, not ORM objects: the read is on every API request's path
        # (a tenth of the ORM query's time; benchmarks/web.py)
        with self.engine.connect() as conn:
            row = conn.execute(_TOKEN_OWNER, {"digest": digest}).first()
            if row is None:
                return None
            user = UserInfo(row[1], row[2], row[3], row[4])
            with self._cache_lock:
                last = self._token_cache.get(digest)
                due = last is None or now - last >= touch_every
                if due:
                    if len(self._token_cache) > 10_000:
                        self._token_cache.clear()
                    self._token_cache[digest] = now
            if due:
                conn.execute(update(ApiToken).where(ApiToken.id == row[0]).values(last_used=_now()))
                conn.commit()
        return user

    # ---- scenarios ---------------------------------------------------------------------------
    def save_scenario(
        self, name: str, owner: str, spec: dict[str, Any], result: dict[str, Any], shared: bool
    ) -> dict[str, Any]:
        with self.session() as s:
            sc = Scenario(name=name, owner=owner, spec=spec, result=result, shared=shared)
            s.add(sc)
            s.commit()
            return _scenario(sc)

    def list_scenarios(self, viewer: str, is_admin: bool) -> list[dict[str, Any]]:
        with self.session() as s:
            q = select(Scenario).order_by(Scenario.id.desc())
            if not is_admin:
                q = q.where((Scenario.owner == viewer) | Scenario.shared.is_(True))
            return [_scenario(sc) for sc in s.scalars(q)]

    def get_scenario(self, scenario_id: int) -> dict[str, Any] | None:
        with self.session() as s:
            sc = s.get(Scenario, scenario_id)
            return _scenario(sc) if sc else None

    def update_scenario(self, scenario_id: int, name: str | None = None, shared: bool | None = None) -> bool:
        """Rename or (un)share a scenario; False when it does not exist."""
        with self.session() as s:
            sc = s.get(Scenario, scenario_id)
            if sc is None:
                return False
            if name is not None:
                sc.name = name
            if shared is not None:
                sc.shared = shared
            s.commit()
            return True

    def delete_scenario(self, scenario_id: int) -> bool:
        with self.session() as s:
            sc = s.get(Scenario, scenario_id)
            if sc is None:
                return False
            s.delete(sc)
            s.commit()
            return True

    # ---- settings ----------------------------------------------------------------------------
    def get_setting(self, key: str, default: str | None = None) -> str | None:
        with self.session() as s:
            row = s.get(Setting, key)
            return row.value if row else default

    def set_setting(self, key: str, value: str) -> None:
        with self.session() as s:
            row = s.get(Setting, key)
            if row is None:
                s.add(Setting(key=key, value=value))
            else:
                row.value = value
            s.commit()

    def settings(self) -> dict[str, str]:
        with self.session() as s:
            return {r.key: r.value for r in s.scalars(select(Setting)) if r.key != "secret_key"}

    def secret_key(self) -> str:
        """The cookie-signing key, generated once and kept in the settings table."""
        key = self.get_setting("secret_key")
        if key is None:
            key = new_secret_key()
            try:
                self.set_setting("secret_key", key)
            except Exception:  # another process created it at the same time
                stored = self.get_setting("secret_key")
                if stored is None:
                    raise OmnimixError("cannot store the session secret key in the app state") from None
                key = stored
        return key

    # ---- audit -------------------------------------------------------------------------------
    def audit(self, actor: str, action: str, target: str = "", detail: str = "", ip: str = "") -> None:
        with self.session() as s:
            s.add(
                AuditEntry(
                    actor=actor[:64], action=action[:32], target=target[:256], detail=detail, ip=ip[:64]
                )
            )
            s.commit()

    def audit_log(
        self, offset: int = 0, limit: int = 50, action: str | None = None
    ) -> tuple[int, list[dict[str, Any]]]:
        with self.session() as s:
            q = select(AuditEntry)
            cq = select(func.count()).select_from(AuditEntry)
            if action:
                q = q.where(AuditEntry.action == action)
                cq = cq.where(AuditEntry.action == action)
            total = int(s.scalar(cq) or 0)
            rows = s.scalars(q.order_by(AuditEntry.id.desc()).offset(offset).limit(limit))
            return total, [
                {
                    "id": r.id,
                    "ts": r.ts,
                    "actor": r.actor,
                    "action": r.action,
                    "target": r.target,
                    "detail": r.detail,
                    "ip": r.ip,
                }
                for r in rows
            ]


def _scenario(sc: Scenario) -> dict[str, Any]:
    return {
        "id": sc.id,
        "name": sc.name,
        "owner": sc.owner,
        "shared": sc.shared,
        "spec": sc.spec,
        "result": sc.result,
        "created_at": sc.created_at,
    }
