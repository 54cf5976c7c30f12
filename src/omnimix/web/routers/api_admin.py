"""Administration: users and roles, API tokens, audit log, settings (admin only)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from omnimix.errors import ConfigError
from omnimix.web.auth import ApiError
from omnimix.web.deps import Admin, Ctx, Paging, PathId, Viewer
from omnimix.web.i18n import LOCALES

router = APIRouter(prefix="/api/v1", tags=["admin"])

Role = Literal["viewer", "analyst", "admin"]


class NewUser(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    password: str = Field(min_length=8, max_length=1024)
    role: Role = "viewer"


class RoleChange(BaseModel):
    role: Role


class NewToken(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    username: str | None = Field(None, min_length=1, max_length=64, description="owner; default: you")


class Settings(BaseModel):
    default_locale: Literal["zh-CN", "en"] | None = None
    default_range_days: int | None = Field(None, ge=1, le=3660)


def _user(u: Any) -> dict[str, Any]:
    return {"username": u.username, "role": u.role, "created_at": u.created_at}


@router.get("/users", summary="List users")
def list_users(c: Ctx, p: Admin) -> dict[str, Any]:
    return {"items": [_user(u) for u in c.state.list_users()]}


@router.post("/users", status_code=201, summary="Add a user")
def add_user(c: Ctx, p: Admin, body: NewUser) -> dict[str, Any]:
    try:
        u = c.state.add_user(body.username, body.password, body.role)
    except ConfigError as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    c.state.audit(p.username, "user_add", body.username, f"role={body.role}")
    return _user(u)


@router.patch("/users/{username}", summary="Change a user's role")
def set_role(c: Ctx, p: Admin, username: str, body: RoleChange) -> dict[str, Any]:
    before = c.state.get_user(username)
    if before is None:
        raise ApiError(404, "not_found", f"no user {username!r}")
    try:
        u = c.state.set_role(username, body.role)
    except ConfigError as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    c.state.audit(p.username, "role_change", username, f"{before.role} -> {body.role}")
    return _user(u)


@router.delete("/users/{username}", summary="Remove a user and their tokens")
def remove_user(c: Ctx, p: Admin, username: str) -> dict[str, Any]:
    if c.state.get_user(username) is None:
        raise ApiError(404, "not_found", f"no user {username!r}")
    try:
        c.state.remove_user(username)
    except ConfigError as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    c.state.audit(p.username, "user_remove", username)
    return {"deleted": username}


@router.get("/tokens", summary="List API tokens (never the secret)")
def list_tokens(c: Ctx, p: Admin) -> dict[str, Any]:
    return {"items": c.state.list_tokens()}


@router.post("/tokens", status_code=201, summary="Create an API token; the secret is shown once")
def create_token(c: Ctx, p: Admin, body: NewToken) -> dict[str, Any]:
    owner = body.username or p.username
    if c.state.get_user(owner) is None:
        raise ApiError(404, "not_found", f"no user {owner!r}")
    tid, token = c.state.create_token(owner, body.name)
    c.state.audit(p.username, "token_create", f"token:{tid}", f"owner={owner} name={body.name}")
    return {"id": tid, "name": body.name, "username": owner, "token": token}


@router.delete("/tokens/{token_id}", summary="Revoke an API token")
def revoke_token(c: Ctx, p: Admin, token_id: PathId) -> dict[str, Any]:
    if not c.state.revoke_token(token_id):
        raise ApiError(404, "not_found", f"no token {token_id}")
    c.state.audit(p.username, "token_revoke", f"token:{token_id}")
    return {"deleted": token_id}


@router.get("/audit", summary="Audit log (newest first)")
def audit(
    c: Ctx, p: Admin, page: Paging, action: Annotated[str | None, Query(max_length=32)] = None
) -> dict[str, Any]:
    total, rows = c.state.audit_log(page.offset, page.limit, action)
    return {"total": total, "offset": page.offset, "limit": page.limit, "items": rows}


@router.get("/settings", summary="Dashboard settings")
def get_settings(c: Ctx, p: Viewer) -> dict[str, Any]:
    s = c.state.settings()
    return {
        "default_locale": s.get("default_locale", "zh-CN"),
        "default_range_days": int(s.get("default_range_days", "90")),
        "locales": list(LOCALES),
        "currency": c.currency,
    }


@router.put("/settings", summary="Change dashboard settings")
def put_settings(c: Ctx, p: Admin, body: Settings) -> dict[str, Any]:
    changed = body.model_dump(exclude_none=True)
    for k, v in changed.items():
        c.state.set_setting(k, str(v))
    if body.default_locale is not None:
        c.default_locale = body.default_locale
    if body.default_range_days is not None:
        c.range_days = body.default_range_days
    if changed:
        c.state.audit(p.username, "settings", "", ", ".join(f"{k}={v}" for k, v in changed.items()))
    return get_settings(c, p)
