"""Rendering of the server-side pages: locale choice, the shared template context, error pages.

Every page handler in :mod:`omnimix.web.pages` ends in :func:`render`; it picks the language
(``?lang=`` > cookie > ``Accept-Language`` > the workspace default), fills the context every template
uses (formatter, translations, user, CSRF token, navigation, channel display names) and remembers an
explicit ``?lang=`` in a cookie.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse

from omnimix.web.auth import Principal
from omnimix.web.deps import AppContext
from omnimix.web.i18n import LANG_COOKIE, Formatter, normalize_locale, pick_locale, translate
from omnimix.web.messages import audit_detail, empty_state, plan_problem, run_message

#: Navigation entries (translation key, path) in menu order.
NAV: list[tuple[str, str]] = [
    ("overview", "/"),
    ("monitor", "/monitor"),
    ("channels", "/channels"),
    ("mix", "/mix"),
    ("budget", "/budget"),
    ("plan", "/plan"),
    ("experiments", "/experiments"),
    ("review", "/review"),
    ("voice", "/voice"),
    ("customers", "/customers"),
    ("data", "/data"),
]

CSRF_MESSAGE = "CSRF token missing or wrong: reload the page and retry"


def locale_of(request: Request, c: AppContext) -> str:
    return pick_locale(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
        c.default_locale,
    )


def formatter(request: Request, c: AppContext) -> Formatter:
    """Number, money and date formatting in the request's locale and the workspace currency."""
    return Formatter(locale_of(request, c), c.currency, c.config.workspace.timezone, c.config.taxonomy.channels)


def render(
    request: Request,
    c: AppContext,
    p: Principal | None,
    template: str,
    title_key: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` with the shared context plus ``context`` (no caching: pages are per user)."""
    loc = locale_of(request, c)
    fmt = Formatter(loc, c.currency, c.config.workspace.timezone, c.config.taxonomy.channels)

    def lang_url(lang: str) -> str:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"] + [("lang", lang)]
        return request.url.path + "?" + urlencode(params)

    resp = c.templates.TemplateResponse(
        request,
        template,
        {
            "fmt": fmt,
            "t": fmt.t,
            "lang": loc,
            "lang_url": lang_url,
            "user": p,
            "csrf": p.csrf if p else "",
            "nav": NAV,
            "title": translate(title_key, loc),
            "channel_name": fmt.channel,  # display names of data keys, in the page's language
            "name": fmt.name,
            "empty": lambda state: empty_state(state, fmt),
            "run_msg": lambda text: run_message(text, fmt),
            "plan_msg": lambda text: plan_problem(text, fmt),
            "audit_msg": lambda action, text: audit_detail(action, text, fmt),
            "analyst": p is not None and p.at_least("analyst"),
            "workspace_name": c.config.workspace.name,
            "charts": False,
            **context,
        },
        status_code=status_code,
    )
    if normalize_locale(request.query_params.get("lang")):
        resp.set_cookie(LANG_COOKIE, loc, max_age=365 * 86400, samesite="lax")
    resp.headers["Cache-Control"] = "no-store"
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp  # type: ignore[no-any-return]


def forbidden(request: Request, c: AppContext, p: Principal | None, message: str) -> HTMLResponse:
    """The 403 error page with ``message``."""
    return render(request, c, p, "error.html", "forbidden", status_code=403, message=message)


def error_page(
    request: Request, c: AppContext, p: Principal | None, title_key: str, status_code: int, message: str
) -> HTMLResponse:
    """An error page (``error.html``) under the title of the page that failed."""
    return render(request, c, p, "error.html", title_key, status_code=status_code, message=message)


def busy_page(request: Request, c: AppContext, p: Principal | None, retry_after: int = 2) -> HTMLResponse:
    """The friendly "busy, retry" page while another process writes the warehouse (503, Retry-After;
    it reloads itself after ``retry_after`` seconds)."""
    resp = render(request, c, p, "busy.html", "busy.title", status_code=503, retry_after=retry_after)
    resp.headers["Retry-After"] = str(retry_after)
    return resp


def safe_next(nxt: str | None) -> str:
    """``nxt`` when it is a local path (no scheme, host or backslash), else ``/``."""
    if not nxt or not nxt.startswith("/") or nxt.startswith("//") or "\\" in nxt:
        return "/"
    return nxt
