"""``/admin``: users, roles, API tokens and the audit log, with forms that post back (admin only).

The forms call the same actions as the admin API (:mod:`omnimix.web.admin`), so both write the same
audit rows, with the client IP.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse

from omnimix.errors import UsageError
from omnimix.web import admin as actions
from omnimix.web.admin import Actor
from omnimix.web.auth import Principal
from omnimix.web.deps import AppContext, Ctx, PageAdmin, PathId
from omnimix.web.i18n import translate
from omnimix.web.messages import admin_error
from omnimix.web.rendering import forbidden, formatter, locale_of, render
from omnimix.web.security import ROLES, same

router = APIRouter(include_in_schema=False)

CsrfField = Annotated[str, Form(max_length=200)]


def admin_view(
    request: Request,
    c: AppContext,
    p: Principal,
    message: str = "",
    new_token: str = "",
    offset: int = 0,
    limit: int = 50,
    status_code: int = 200,
) -> HTMLResponse:
    total, audit = c.state.audit_log(offset, limit)
    return render(
        request,
        c,
        p,
        "admin.html",
        "nav.admin",
        active="admin",
        status_code=status_code,
        users=c.state.list_users(),
        tokens=c.state.list_tokens(),
        audit=audit,
        audit_total=total,
        roles=ROLES,
        message=message,
        new_token=new_token,
        offset=offset,
        limit=limit,
    )


def _said(request: Request, c: AppContext, key: str, **fields: str) -> str:
    """The confirmation ``key`` in the page's language, roles by their display names."""
    fmt = formatter(request, c)
    text = fmt.t(key)
    for k, v in fields.items():
        text = text.replace("{" + k + "}", fmt.name("role", v) if k == "role" else v)
    return text


def _form_action(
    request: Request, c: AppContext, p: Principal, csrf_token: str, action: Callable[[Actor], HTMLResponse]
) -> HTMLResponse:
    """Check the form's CSRF token, run ``action`` as the caller, show its error on the admin page."""
    if not same(p.csrf, csrf_token):
        return forbidden(request, c, p, translate("error.csrf", locale_of(request, c)))
    try:
        return action(Actor.of(p.username, request))
    except UsageError as exc:
        return admin_view(request, c, p, message=admin_error(exc, formatter(request, c)), status_code=400)


@router.get("/admin", response_class=HTMLResponse)
def admin_page(
    request: Request,
    c: Ctx,
    p: PageAdmin,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> HTMLResponse:
    return admin_view(request, c, p, offset=offset, limit=limit)


@router.post("/admin/users", response_class=HTMLResponse)
def admin_add_user(
    request: Request,
    c: Ctx,
    p: PageAdmin,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    role: Annotated[str, Form(max_length=16)],
    csrf_token: CsrfField = "",
) -> HTMLResponse:
    def act(actor: Actor) -> HTMLResponse:
        actions.add_user(c.state, actor, username, password, role)
        return admin_view(request, c, p, message=_said(request, c, "admin.added", user=username, role=role))

    return _form_action(request, c, p, csrf_token, act)


@router.post("/admin/users/{username}/role", response_class=HTMLResponse)
def admin_set_role(
    request: Request,
    c: Ctx,
    p: PageAdmin,
    username: str,
    role: Annotated[str, Form(max_length=16)],
    csrf_token: CsrfField = "",
) -> HTMLResponse:
    def act(actor: Actor) -> HTMLResponse:
        actions.set_role(c.state, actor, username, role)
        return admin_view(request, c, p, message=_said(request, c, "admin.role_set", user=username, role=role))

    return _form_action(request, c, p, csrf_token, act)


@router.post("/admin/users/{username}/delete", response_class=HTMLResponse)
def admin_remove_user(
    request: Request, c: Ctx, p: PageAdmin, username: str, csrf_token: CsrfField = ""
) -> HTMLResponse:
    def act(actor: Actor) -> HTMLResponse:
        actions.remove_user(c.state, actor, username)
        return admin_view(request, c, p, message=_said(request, c, "admin.removed", user=username))

    return _form_action(request, c, p, csrf_token, act)


@router.post("/admin/tokens", response_class=HTMLResponse)
def admin_create_token(
    request: Request,
    c: Ctx,
    p: PageAdmin,
    name: Annotated[str, Form(max_length=128)],
    username: Annotated[str, Form(max_length=64)],
    csrf_token: CsrfField = "",
) -> HTMLResponse:
    def act(actor: Actor) -> HTMLResponse:
        _, token = actions.create_token(c.state, actor, username, name)
        return admin_view(request, c, p, new_token=token)

    return _form_action(request, c, p, csrf_token, act)


@router.post("/admin/tokens/{token_id}/delete", response_class=HTMLResponse)
def admin_revoke_token(
    request: Request, c: Ctx, p: PageAdmin, token_id: PathId, csrf_token: CsrfField = ""
) -> HTMLResponse:
    def act(actor: Actor) -> HTMLResponse:
        try:
            actions.revoke_token(c.state, actor, token_id)
        except actions.NotFound:
            return admin_view(request, c, p, message=_said(request, c, "admin.token_not_found", id=str(token_id)))
        return admin_view(request, c, p, message=_said(request, c, "admin.token_revoked", id=str(token_id)))

    return _form_action(request, c, p, csrf_token, act)
