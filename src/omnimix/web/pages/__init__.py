"""Server-rendered dashboard pages (Jinja2), one module per page, each with its own ``router``.

:func:`omnimix.web.app.create_app` includes the routers of login, overview, channels, mix, budget,
customers, data and admin. This package imports none of its modules (no import cycle through it).

Every page except ``/login`` needs a session; without one the browser is redirected to
``/login?next=...``. Forms post a CSRF token bound to the session (or, for the login form, to a signed
pre-login cookie). ``?lang=zh-CN|en`` switches the language and remembers it in a cookie. Shared
pieces: :mod:`omnimix.web.rendering` (template context, error pages) and :mod:`omnimix.web.figures`
(plotly specs).
"""

