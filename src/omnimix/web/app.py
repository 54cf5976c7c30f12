"""The FastAPI application: ``create_app(workspace)`` wires state, warehouse, jobs, routers and security.

Security model (secure by default): a middleware resolves the caller (Bearer token or session cookie)
for every request. Only ``/health``, ``/openapi.json``, ``/login`` and the static assets are reachable
without it; API paths answer 401 JSON, pages redirect to ``/login``. Role checks (403) live on each
route. Cookie-authenticated API calls that change state must send the session's CSRF token in
``X-CSRF-Token``. Every error is ``{"error": {"status", "code", "message", "details"?}}``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from omnimix import __version__
from omnimix.errors import EngineError, OmnimixError, WarehouseBusy
from omnimix.web import alerts_view
from omnimix.web.auth import (
    CSRF_HEADER,
    ApiError,
    LoginRequired,
    PageForbidden,
    SessionSigner,
    principal_from_request,
    same,
)
from omnimix.web.deps import AppContext
from omnimix.web.i18n import CATALOG, LOCALES, translate
from omnimix.web.jobs import JobManager
from omnimix.web.messages import invalid_fields
from omnimix.web.pages import admin as admin_page
from omnimix.web.pages import budget, channels, customers, data, experiments, login, mix, overview, voice
from omnimix.web.pages import plan as plan_page
from omnimix.web.pages import review as review_page
from omnimix.web.rendering import busy_page, formatter, locale_of, render
from omnimix.web.routers import (
    api_admin,
    api_alerts,
    api_budget,
    api_core,
    api_experiments,
    api_export,
    api_kpis,
    api_results,
)
from omnimix.web.security import install_log_redaction
from omnimix.web.state import AppState, default_state_url
from omnimix.web.warehouse import Warehouse
from omnimix.workspace import Workspace

log = logging.getLogger("omnimix")
HERE = Path(__file__).parent
PUBLIC_PATHS = frozenset({"/health", "/openapi.json", "/login", "/favicon.ico"})
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
}


class ErrorDetail(BaseModel):
    status: int
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    """Every error the API answers has this shape."""

    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "no valid session or token"},
    403: {"model": ErrorBody, "description": "role too low (or CSRF token missing on a cookie session)"},
    404: {"model": ErrorBody, "description": "not found"},
    409: {"model": ErrorBody, "description": "conflict or not computed yet"},
    422: {"model": ErrorBody, "description": "invalid parameters"},
    503: {"model": ErrorBody, "description": "warehouse busy (another process is writing)"},
}


def error_json(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"status": status, "code": code, "message": message}
    if details is not None:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def _is_page(request: Request) -> bool:
    """Whether ``request`` asked for a page (HTML error pages) rather than the API or a static file."""
    path = request.url.path
    return not (path.startswith("/api/") or path.startswith("/static/") or path == "/openapi.json")


def _is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith("/static/")


_HEADER_BYTES = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in SECURITY_HEADERS.items()]
#: Sent on HTTPS responses only (RFC 6797: a browser ignores it over plain HTTP).
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class SecurityMiddleware:
    """Pure ASGI middleware: resolve the caller, refuse anonymous access, check CSRF, add headers.

    Written without ``BaseHTTPMiddleware`` to keep the per-request cost low (it is on every request).
    """

    def __init__(self, app: ASGIApp, state: AppState, signer: SessionSigner) -> None:
        self.app = app
        self.state = state
        self.signer = signer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        path = scope["path"]
        p = principal_from_request(request, self.state, self.signer)
        scope.setdefault("state", {})["principal"] = p

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in _HEADER_BYTES if k not in present]
                if scope.get("scheme") == "https" and HSTS[0] not in present:
                    headers.append(HSTS)
                message = {**message, "headers": headers}
            await send(message)

        resp: Response | None = None
        if p is None and not _is_public(path):
            if path.startswith("/api/"):
                resp = error_json(
                    401,
                    "unauthorized",
                    "authentication required: log in or send 'Authorization: Bearer <token>'",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            else:
                nxt = path + (("?" + request.url.query) if request.url.query else "")
                resp = RedirectResponse("/login?" + urlencode({"next": nxt}), status_code=303)
        elif (
            p is not None
            and p.via == "session"
            and scope["method"] in UNSAFE
            and path.startswith("/api/")
            and not same(p.csrf, request.headers.get(CSRF_HEADER, ""))
        ):
            resp = error_json(
                403,
                "csrf",
                f"missing or wrong {CSRF_HEADER} header: send the token from the "
                "page's csrf-token meta tag, or use a Bearer token",
            )
        if resp is not None:
            await resp(scope, receive, send_with_headers)
        else:
            await self.app(scope, receive, send_with_headers)


def create_app(
    workspace: Workspace | str | Path, state_url: str | None = None, *, idle_close_s: float = 3.0, job_workers: int = 2,
    schedule: bool = False,
) -> FastAPI:
    """Build the web application for a workspace directory.

    Args:
        workspace: a :class:`~omnimix.workspace.Workspace` or its directory (``omnimix.toml``; the
            warehouse file is the one it names).
        state_url: SQLAlchemy URL of the app state (default ``sqlite:///DIR/app.db``); also read from
            the ``OMNIMIX_STATE_URL`` environment variable.
        idle_close_s: seconds without requests after which the warehouse file is released.
        job_workers: threads for background jobs.
        schedule: host the workspace's ``[[schedule.jobs]]`` (:class:`omnimix.schedule.Scheduler`, each run
            in its own process) from startup to shutdown (``omnimix serve --schedule``); the scheduler is
            ``app.state.scheduler`` (None without it).
    """
    opened = Workspace.of(workspace)
    ws = opened.root.resolve()
    opened = Workspace(ws, opened.config)
    config = opened.config
    state = AppState(state_url or os.environ.get("OMNIMIX_STATE_URL") or default_state_url(ws))
    signer = SessionSigner(os.environ.get("OMNIMIX_SECRET_KEY") or state.secret_key())
    warehouse = Warehouse(opened, idle_close_s=idle_close_s)
    jobs = JobManager(workers=job_workers)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    default_locale = state.get_setting("default_locale", "zh-CN") or "zh-CN"
    context = AppContext(
        ws,
        config,
        state,
        signer,
        warehouse,
        jobs,
        templates,
        default_locale=default_locale if default_locale in LOCALES else "zh-CN",
        range_days=int(state.get_setting("default_range_days", "90") or 90),
    )

    scheduler = None
    if schedule:
        from omnimix.schedule import Scheduler

        scheduler = Scheduler(opened, state_url=state.url, executor="process")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if scheduler is not None:
            scheduler.start()
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=True)
            jobs.shutdown()
            warehouse.close()

    app = FastAPI(
        title="omnimix",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        description="omnimix web API: KPIs, data quality, attribution, MMM, budget scenarios, CLV. "
        "Authenticate with `Authorization: Bearer <token>` (see `omnimix users token`).",
    )
    app.state.ctx = context
    app.state.scheduler = scheduler
    install_log_redaction()  # customer searches by e-mail or phone never reach the access log
    app.add_middleware(api_kpis.KpiFastPath, ctx=context)  # inside the security middleware: callers are resolved
    app.add_middleware(SecurityMiddleware, state=state, signer=signer)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return error_json(exc.status, exc.code, exc.message, exc.details, headers)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse("/login?" + urlencode({"next": exc.next_url}), status_code=303)

    @app.exception_handler(PageForbidden)
    async def page_forbidden(request: Request, exc: PageForbidden) -> HTMLResponse:
        p = request.scope.get("state", {}).get("principal")
        fmt = formatter(request, context)
        return render(request, context, p, "error.html", "error.title.403", status_code=403,
                      message=f"{fmt.t('forbidden')} "
                      + fmt.t("error.forbidden_role").replace("{role}", fmt.name("role", exc.needed)))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_page(request):  # a page address: an HTML error page in the page's language
            title = f"error.title.{exc.status_code}"
            message = translate("error.not_found", locale_of(request, context)) if exc.status_code == 404 else ""
            return render(request, context, request.scope.get("state", {}).get("principal"), "error.html",
                          title if title in CATALOG["en"] else "error.title.400", status_code=exc.status_code,
                          message=message, headers=dict(exc.headers) if exc.headers else None)
        codes = {404: "not_found", 405: "method_not_allowed", 400: "bad_request", 413: "too_large"}
        return error_json(
            exc.status_code,
            codes.get(exc.status_code, "http_error"),
            str(exc.detail),
            headers=dict(exc.headers) if exc.headers else None,
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errs = exc.errors()
        if _is_page(request):
            fmt = formatter(request, context)
            p = request.scope.get("state", {}).get("principal")
            return render(request, context, p, "error.html", "error.title.422", status_code=422,
                          message=fmt.t("error.invalid").replace("{fields}", invalid_fields(errs, fmt)))
        first = errs[0] if errs else {}
        where = ".".join(str(x) for x in first.get("loc", ()))
        msg = f"invalid request: {where}: {first.get('msg', '')}" if first else "invalid request"
        details = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in errs
        ]
        return error_json(422, "invalid_request", msg, jsonable_encoder(details))

    @app.exception_handler(WarehouseBusy)
    async def busy(request: Request, exc: WarehouseBusy) -> Response:
        if request.url.path.startswith("/api/"):
            return error_json(503, "warehouse_busy", str(exc), headers={"Retry-After": "2"})
        return busy_page(request, context, request.scope.get("state", {}).get("principal"))

    @app.exception_handler(EngineError)
    async def engine_error(request: Request, exc: EngineError) -> JSONResponse:
        log.error("warehouse query failed: %s", exc)
        return error_json(500, "warehouse_error", str(exc).split("\nSQL:")[0])

    @app.exception_handler(OmnimixError)
    async def omnimix_error(request: Request, exc: OmnimixError) -> JSONResponse:
        return error_json(400, "omnimix_error", str(exc))

    app.include_router(api_core.router, responses=ERROR_RESPONSES)
    for r in (api_kpis, api_results, api_budget, api_export, api_admin, api_experiments, api_alerts):
        app.include_router(r.router, responses=ERROR_RESPONSES)
    app.include_router(review_page.api_router, responses=ERROR_RESPONSES)
    pages = (login, overview, channels, mix, budget, plan_page, review_page, customers, data, voice, experiments)
    for page in (*pages, alerts_view, admin_page):
        app.include_router(page.router)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:
        return RedirectResponse("/static/favicon.svg", status_code=308)

    def custom_openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "API token from `omnimix users token`",
            },
            "session": {"type": "apiKey", "in": "cookie", "name": "omx_session"},
        }
        for path, ops in schema.get("paths", {}).items():
            for op in ops.values():
                if path == "/health":
                    op["security"] = []
                    op.get("responses", {}).pop("401", None)
                    op.get("responses", {}).pop("403", None)
                else:
                    op["security"] = [{"bearer": []}, {"session": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = custom_openapi  # type: ignore[method-assign]
    return app
