"""Administration: users and roles, API tokens, audit log, settings (admin only).

The actions themselves (and their audit rows, with the client IP) are :mod:`omnimix.web.admin`, shared
with the admin forms and ``omnimix users``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from omnimix.errors import UsageError
from omnimix.web import admin as actions
from omnimix.web.admin import Actor, NotFound
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


def _conflict(exc: UsageError) -> ApiError:
    if isinstance(exc, NotFound):
        return ApiError(404, "not_found", str(exc))
    return ApiError(409, "conflict", str(exc))


@router.post("/users", status_code=201, summary="Add a user")
def add_user(request: Request, c: Ctx, p: Admin, body: NewUser) -> dict[str, Any]:
    try:
        u = actions.add_user(c.state, Actor.of(p.username, request), body.username, body.password, body.role)
    except UsageError as exc:
        raise _conflict(exc) from None
    return _user(u)


@router.patch("/users/{username}", summary="Change a user's role")
def set_role(request: Request, c: Ctx, p: Admin, username: str, body: RoleChange) -> dict[str, Any]:
    try:
        u = actions.set_role(c.state, Actor.of(p.username, request), username, body.role)
    except UsageError as exc:
        raise _conflict(exc) from None
    return _user(u)


@router.delete("/users/{username}", summary="Remove a user and their tokens")
def remove_user(request: Request, c: Ctx, p: Admin, username: str) -> dict[str, Any]:
    try:
        actions.remove_user(c.state, Actor.of(p.username, request), username)
    except UsageError as exc:
        raise _conflict(exc) from None
    return {"deleted": username}


@router.get("/tokens", summary="List API tokens (never the secret)")
def list_tokens(c: Ctx, p: Admin) -> dict[str, Any]:
    return {"items": c.state.list_tokens()}


@router.post("/tokens", status_code=201, summary="Create an API token; the secret is shown once")
def create_token(request: Request, c: Ctx, p: Admin, body: NewToken) -> dict[str, Any]:
    owner = body.username or p.username
    try:
        tid, token = actions.create_token(c.state, Actor.of(p.username, request), owner, body.name)
    except UsageError as exc:
        raise _conflict(exc) from None
    return {"id": tid, "name": body.name, "username": owner, "token": token}


@router.delete("/tokens/{token_id}", summary="Revoke an API token")
def revoke_token(request: Request, c: Ctx, p: Admin, token_id: PathId) -> dict[str, Any]:
    try:
        actions.revoke_token(c.state, Actor.of(p.username, request), token_id)
    except UsageError as exc:
        raise _conflict(exc) from None
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
def put_settings(request: Request, c: Ctx, p: Admin, body: Settings) -> dict[str, Any]:
    changed = body.model_dump(exclude_none=True)
    actions.change_settings(c.state, Actor.of(p.username, request), changed)
    if body.default_locale is not None:
        c.default_locale = body.default_locale
    if body.default_range_days is not None:
        c.range_days = body.default_range_days
    return get_settings(c, p)
