"""``/login`` (form and post), ``/logout`` and the plotly bundle served from the installed package."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from omnimix.web.admin import Actor, audit
from omnimix.web.auth import client_ip
from omnimix.web.deps import Ctx, PageViewer
from omnimix.web.i18n import translate
from omnimix.web.rendering import forbidden, locale_of, render, safe_next
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


def _refused(request: Request, c: Ctx, nxt: str, retry_after: int, *, busy: bool = False) -> HTMLResponse:
    """The login form again, with why the attempt was not checked (429 or 503, ``Retry-After``)."""
    token = new_csrf()
    resp = render(request, c, None, "login.html", "login.title", pre_csrf=token, next=nxt, error=False,
                  throttled=0 if busy else retry_after, busy=busy)
    resp.status_code = 503 if busy else 429
    resp.headers["Retry-After"] = str(max(1, retry_after))
    resp.set_cookie(PRELOGIN_COOKIE, c.signer.dump_pre(token), max_age=PRELOGIN_MAX_AGE, httponly=True,
                    samesite="lax", secure=request.url.scheme == "https")
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
    throttle, ip = c.login_throttle(), client_ip(request)
    verdict = throttle.check(username, ip)  # before any argon2 work
    if not verdict.allowed:
        audit(c.state, who, "login_refused", username, f"{verdict.reason}; retry after {verdict.retry_after} s")
        return _refused(request, c, nxt, verdict.retry_after)
    if not throttle.acquire():
        return _refused(request, c, nxt, 2, busy=True)
    try:
        user = c.state.authenticate(username, password)
    finally:
        throttle.release()
    if user is None:
        after = throttle.failed(username, ip)
        audit(c.state, who, "login_failed", username, "wrong username or password"
              + (f"; {after.reason} for {after.retry_after} s" if not after.allowed else ""))
        return RedirectResponse("/login?" + urlencode({"next": nxt, "error": 1}), status_code=303)
    throttle.succeeded(username)
    audit(c.state, Actor.of(user.username, request), "login", user.username, f"role={user.role}")
    sid, _csrf = c.state.create_session(user.id, ip)
    resp = RedirectResponse(nxt, status_code=303)
    resp.set_cookie(
        SESSION_COOKIE,
        c.signer.dump(sid),
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
        return forbidden(request, c, p, translate("error.csrf", locale_of(request, c)))
    sid = c.signer.load(request.cookies.get(SESSION_COOKIE, ""))
    if sid is not None:
        c.state.revoke_session(sid)  # the cookie is dead server-side, whatever the browser keeps
    audit(c.state, Actor.of(p.username, request), "logout", p.username)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE)
    return resp
