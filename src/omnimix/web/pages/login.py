"""``/login`` (form and post), ``/logout`` and the plotly bundle served from the installed package."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from omnimix.web.admin import Actor, audit
from omnimix.web.deps import Ctx, PageViewer
from omnimix.web.rendering import CSRF_MESSAGE, forbidden, render, safe_next
from omnimix.web.security import (
    PRELOGIN_COOKIE,
    PRELOGIN_MAX_AGE,
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    new_csrf,
    same,
)

router = APIRouter(include_in_schema=False)


@router.get("/static/plotly.min.js")
def plotly_js() -> FileResponse:
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    return FileResponse(
        path, media_type="application/javascript", headers={"Cache-Control": "public, max-age=86400"}
    )


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request,
    c: Ctx,
    next: Annotated[str | None, Query(max_length=2000)] = None,
    error: Annotated[int, Query()] = 0,
) -> HTMLResponse:
    token = new_csrf()
    resp = render(
        request,
        c,
        None,
        "login.html",
        "login.title",
        pre_csrf=token,
        next=safe_next(next),
        error=bool(error),
    )
    resp.set_cookie(
        PRELOGIN_COOKIE,
        c.signer.dump_pre(token),
        max_age=PRELOGIN_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return resp


@router.post("/login")
def login(
    request: Request,
    c: Ctx,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    pre = c.signer.load_pre(request.cookies.get(PRELOGIN_COOKIE, ""))
    nxt = safe_next(next)
    who = Actor.of(username, request)
    if pre is None or not same(pre, csrf_token):
        audit(c.state, who, "login_failed", username, "bad CSRF token")
        return RedirectResponse("/login?" + urlencode({"next": nxt, "error": 1}), status_code=303)
    user = c.state.authenticate(username, password)
    if user is None:
        audit(c.state, who, "login_failed", username, "wrong username or password")
        return RedirectResponse("/login?" + urlencode({"next": nxt, "error": 1}), status_code=303)
    audit(c.state, Actor.of(user.username, request), "login", user.username, f"role={user.role}")
    resp = RedirectResponse(nxt, status_code=303)
    resp.set_cookie(
        SESSION_COOKIE,
        c.signer.dump(user.id, new_csrf()),
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    resp.delete_cookie(PRELOGIN_COOKIE)
    return resp


@router.post("/logout")
def logout(
    request: Request, c: Ctx, p: PageViewer, csrf_token: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    if not same(p.csrf, csrf_token):
        return forbidden(request, c, p, CSRF_MESSAGE)
    audit(c.state, Actor.of(p.username, request), "logout", p.username)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE)
    return resp
