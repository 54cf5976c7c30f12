"""Server-rendered dashboard pages (Jinja2), one module per page; :data:`router` serves them all.

Every page except ``/login`` needs a session; without one the browser is redirected to
``/login?next=...``. Forms post a CSRF token bound to the session (or, for the login form, to a signed
pre-login cookie). ``?lang=zh-CN|en`` switches the language and remembers it in a cookie. Shared
pieces: :mod:`omnimix.web.rendering` (template context, error pages) and :mod:`omnimix.web.figures`
(plotly specs).
"""

from __future__ import annotations

from fastapi import APIRouter

from omnimix.web.pages import admin, budget, channels, customers, data, login, mix, overview

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
for _page in (login, overview, channels, mix, budget, customers, data, admin):
    router.include_router(_page.router)
