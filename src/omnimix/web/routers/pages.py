"""Server-rendered dashboard pages (Jinja2), login/logout and the admin forms.

Every page except ``/login`` needs a session; without one the browser is redirected to
``/login?next=...``. Forms post a CSRF token bound to the session (or, for the login form, to a signed
pre-login cookie). ``?lang=zh-CN|en`` switches the language and remembers it in a cookie.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from omnimix.errors import ConfigError, OmnimixError
from omnimix.web import queries as q
from omnimix.web.auth import (
    PRELOGIN_COOKIE,
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    ApiError,
    Principal,
    client_ip,
    new_csrf,
    same,
)
from omnimix.web.deps import (
    MAX_ID,
    AppContext,
    Ctx,
    ItemId,
    PageAdmin,
    PageViewer,
    PathId,
    ctx,
    parse_filters,
)
from omnimix.web.i18n import LANG_COOKIE, Formatter, normalize_locale, pick_locale, translate
from omnimix.web.state import ROLES

router = APIRouter(include_in_schema=False)

NAV: list[tuple[str, str]] = [
    ("overview", "/"),
    ("channels", "/channels"),
    ("mix", "/mix"),
    ("budget", "/budget"),
    ("customers", "/customers"),
    ("data", "/data"),
]
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
_LAYOUT = {
    "margin": {"t": 20, "r": 10, "b": 40, "l": 60},
    "height": 340,
    "legend": {"orientation": "h", "y": -0.2},
}


def locale_of(request: Request, c: AppContext) -> str:
    return pick_locale(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
        c.default_locale,
    )


def render(
    request: Request,
    c: AppContext,
    p: Principal | None,
    template: str,
    title_key: str,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    loc = locale_of(request, c)
    fmt = Formatter(loc, c.currency)
    channel_names = c.config.taxonomy.channels

    def lang_url(lang: str) -> str:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"] + [("lang", lang)]
        return request.url.path + "?" + urlencode(params)

    def channel_name(ch: str) -> str:
        return channel_names.get(ch, ch) if loc == "zh-CN" else ch

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
            "channel_name": channel_name,
            "workspace_name": c.config.workspace.name,
            "charts": False,
            **context,
        },
        status_code=status_code,
    )
    if normalize_locale(request.query_params.get("lang")):
        resp.set_cookie(LANG_COOKIE, loc, max_age=365 * 86400, samesite="lax")
    resp.headers["Cache-Control"] = "no-store"
    return resp  # type: ignore[no-any-return]


def _safe_next(nxt: str | None) -> str:
    if not nxt or not nxt.startswith("/") or nxt.startswith("//") or "\\" in nxt:
        return "/"
    return nxt


# ---- static: plotly from the installed package -------------------------------------------------------


@router.get("/static/plotly.min.js")
def plotly_js() -> FileResponse:
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    return FileResponse(
        path, media_type="application/javascript", headers={"Cache-Control": "public, max-age=86400"}
    )


# ---- login / logout ------------------------------------------------------------------------------------


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
        next=_safe_next(next),
        error=bool(error),
    )
    resp.set_cookie(
        PRELOGIN_COOKIE,
        c.signer.dump_pre(token),
        max_age=3600,
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
    nxt = _safe_next(next)
    if pre is None or not same(pre, csrf_token):
        c.state.audit(username, "login_failed", username, "bad CSRF token", client_ip(request))
        return RedirectResponse("/login?" + urlencode({"next": nxt, "error": 1}), status_code=303)
    user = c.state.authenticate(username, password)
    if user is None:
        c.state.audit(username, "login_failed", username, "wrong username or password", client_ip(request))
        return RedirectResponse("/login?" + urlencode({"next": nxt, "error": 1}), status_code=303)
    c.state.audit(user.username, "login", user.username, f"role={user.role}", client_ip(request))
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
        return _forbidden(request, c, p, "CSRF token missing or wrong: reload the page and retry")
    c.state.audit(p.username, "logout", p.username, "", client_ip(request))
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE)
    return resp


def _forbidden(request: Request, c: AppContext, p: Principal | None, message: str) -> HTMLResponse:
    return render(request, c, p, "error.html", "forbidden", status_code=403, message=message)


# ---- figures --------------------------------------------------------------------------------------------


def _trend_fig(tr: dict[str, Any], fmt: Formatter) -> dict[str, Any]:
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "name": fmt.t("kpi.spend"),
                "x": tr["dates"],
                "y": tr["spend"],
            },
            {
                "type": "scatter",
                "mode": "lines",
                "name": fmt.t("kpi.revenue"),
                "x": tr["dates"],
                "y": tr["revenue"],
            },
            {
                "type": "bar",
                "name": fmt.t("kpi.conversions"),
                "x": tr["dates"],
                "y": tr["conversions"],
                "yaxis": "y2",
                "opacity": 0.3,
            },
        ],
        "layout": {
            **_LAYOUT,
            "yaxis": {"title": {"text": fmt.currency}},
            "yaxis2": {
                "overlaying": "y",
                "side": "right",
                "showgrid": False,
                "title": {"text": fmt.t("kpi.conversions")},
            },
            "margin": {"t": 20, "r": 50, "b": 40, "l": 60},
        },
    }


def _funnel_fig(fn: list[dict[str, Any]], fmt: Formatter) -> dict[str, Any]:
    return {
        "data": [
            {
                "type": "funnel",
                "y": [r["stage"] for r in fn],
                "x": [r["people"] for r in fn],
                "textinfo": "value",
            }
        ],
        "layout": {**_LAYOUT, "margin": {"t": 20, "r": 10, "b": 20, "l": 110}},
    }


def _kpi_cards(k: dict[str, Any], fmt: Formatter) -> list[tuple[str, str, str]]:
    ltv_sub = (
        fmt.t("kpi.ltv.predicted") if k["ltv_source"] == "clv_customers" else fmt.t("kpi.ltv.historical")
    )
    return [
        ("spend", fmt.money(k["spend"], compact=True), ""),
        ("revenue", fmt.money(k["revenue"], compact=True), ""),
        ("conversions", fmt.num(k["conversions"]), ""),
        ("new_customers", fmt.num(k["new_customers"]), ""),
        ("cac", fmt.money(k["cac"]), ""),
        ("ltv", fmt.money(k["ltv"]), ltv_sub),
        ("ltv_cac", fmt.ratio(k["ltv_cac"]), ""),
        ("roas", fmt.ratio(k["roas"]), k["attribution_model"] or ""),
        ("mer", fmt.ratio(k["mer"]), ""),
        (
            "cross_channel",
            fmt.pct(k["cross_channel_rate"]),
            f"{fmt.num(k['multi_channel_customers'])} / {fmt.num(k['converting_customers'])}",
        ),
    ]


# ---- pages ----------------------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, c: Ctx, p: PageViewer) -> HTMLResponse:
    wh = c.warehouse
    if not wh.exists():
        return render(request, c, p, "overview.html", "nav.overview", active="overview", has_warehouse=False)
    qp = request.query_params
    try:
        from datetime import date

        start = date.fromisoformat(qp["start"]) if qp.get("start") else None
        end = date.fromisoformat(qp["end"]) if qp.get("end") else None
        f = parse_filters(c, start, end, qp.getlist("channel"))
    except (ValueError, OmnimixError) as exc:
        return render(request, c, p, "error.html", "nav.overview", status_code=422, message=str(exc))
    except ApiError as exc:
        return render(request, c, p, "error.html", "nav.overview", status_code=422, message=exc.message)
    fmt = Formatter(locale_of(request, c), c.currency)
    k = q.kpis(wh, f, c.config.journeys.lookback_days)
    tr = q.trend(wh, f)
    fn = q.funnel(wh, f, c.config.funnel.stages)
    return render(
        request,
        c,
        p,
        "overview.html",
        "nav.overview",
        active="overview",
        has_warehouse=True,
        charts=True,
        f=f,
        k=k,
        cards=_kpi_cards(k, fmt),
        trend=tr,
        trend_fig=_trend_fig(tr, fmt),
        funnel=fn,
        funnel_fig=_funnel_fig(fn, fmt),
        by_channel=q.by_channel(wh, f),
        all_channels=q.channels(wh),
    )


@router.get("/channels", response_class=HTMLResponse)
def channels_page(request: Request, c: Ctx, p: PageViewer) -> HTMLResponse:
    wh = c.warehouse
    state = q.not_computed("attribution") if not wh.exists() else wh.result_state("attribution")
    if state is not None:
        return render(request, c, p, "channels.html", "nav.channels", active="channels", state=state)
    res = q.attribution(wh)
    models = res["models"]
    chans = sorted({r["channel"] for r in res["items"]})
    cell = {(r["model"], r["channel"]): r for r in res["items"]}
    empty = {"conversions": None, "value": None}
    pivot = [(ch, [cell.get((m, ch), empty) for m in models]) for ch in chans]

    def fig(field: str) -> dict[str, Any]:
        return {
            "data": [
                {"type": "bar", "name": m, "x": chans, "y": [cell.get((m, ch), empty)[field] for ch in chans]}
                for m in models
            ],
            "layout": {**_LAYOUT, "barmode": "group"},
        }

    return render(
        request,
        c,
        p,
        "channels.html",
        "nav.channels",
        active="channels",
        state=None,
        charts=True,
        models=models,
        pivot=pivot,
        value_fig=fig("value"),
        conv_fig=fig("conversions"),
    )


def _interval_fig(rows: list[dict[str, Any]], mean: str, lo: str, hi: str) -> dict[str, Any]:
    return {
        "data": [
            {
                "type": "bar",
                "x": [r["channel"] for r in rows],
                "y": [r[mean] for r in rows],
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": [(r[hi] or 0) - (r[mean] or 0) for r in rows],
                    "arrayminus": [(r[mean] or 0) - (r[lo] or 0) for r in rows],
                },
            }
        ],
        "layout": _LAYOUT,
    }


@router.get("/mix", response_class=HTMLResponse)
def mix_page(request: Request, c: Ctx, p: PageViewer) -> HTMLResponse:
    wh = c.warehouse
    ex = wh.exists()
    mmm = q.mmm_channels(wh) if ex else {**q.not_computed("mmm"), "items": []}
    curves = q.response_curves(wh) if ex else {**q.not_computed("response_curves"), "items": []}
    diag = q.mmm_diagnostics(wh) if ex else {**q.not_computed("mmm_diagnostics"), "items": [], "fit": None}
    fmt = Formatter(locale_of(request, c), c.currency)
    ctxd: dict[str, Any] = {
        "active": "mix",
        "charts": True,
        "mmm_state": None if mmm["computed"] else mmm,
        "curves_state": None if curves["computed"] else curves,
        "diag_state": None if diag["computed"] else diag,
        "fit_state": q.not_computed("mmm_fit"),
        "fit_fig": None,
        "mmm": mmm["items"],
        "diag": diag["items"],
    }
    if mmm["computed"]:
        ctxd["contrib_fig"] = _interval_fig(
            mmm["items"], "contribution_mean", "contribution_lo", "contribution_hi"
        )
        ctxd["roi_fig"] = _interval_fig(mmm["items"], "roi_mean", "roi_lo", "roi_hi")
    if curves["computed"]:
        data: list[dict[str, Any]] = []
        for i, r in enumerate(curves["items"]):
            if r["error"]:
                continue
            color = PALETTE[i % len(PALETTE)]
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": r["channel"],
                    "x": r["x"],
                    "y": r["y"],
                    "line": {"color": color},
                }
            )
            cur = r["current_spend"]
            if cur is not None:
                y = q.curve_value(r["type"], cur, r["beta"], r["half_saturation"], r["slope"], r["lam"])
                data.append(
                    {
                        "type": "scatter",
                        "mode": "markers",
                        "name": f"{r['channel']} · {fmt.t('current_spend')}",
                        "x": [cur],
                        "y": [y],
                        "showlegend": False,
                        "marker": {"size": 9, "color": color},
                    }
                )
        ctxd["curves_fig"] = {
            "data": data,
            "layout": {**_LAYOUT, "height": 380, "xaxis": {"title": {"text": fmt.t("kpi.spend")}}},
        }
    if diag.get("fit"):
        fit = diag["fit"]
        xs = [str(r["date"]) for r in fit]
        ctxd["fit_fig"] = {
            "data": [
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": "actual",
                    "x": xs,
                    "y": [r["actual"] for r in fit],
                },
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": "predicted",
                    "x": xs,
                    "y": [r["predicted"] for r in fit],
                },
            ],
            "layout": _LAYOUT,
        }
    return render(request, c, p, "mix.html", "nav.mix", **ctxd)


@router.get("/budget", response_class=HTMLResponse)
def budget_page(
    request: Request,
    c: Ctx,
    p: PageViewer,
    scenario: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    compare: Annotated[list[ItemId] | None, Query(max_length=10)] = None,
) -> HTMLResponse:
    wh = c.warehouse
    curves = q.response_curves(wh, 2) if wh.exists() else {**q.not_computed("response_curves"), "items": []}
    scenarios = c.state.list_scenarios(p.username, p.at_least("admin"))
    visible = {s["id"]: s for s in scenarios}
    compare_ids = [i for i in (compare or []) if i in visible]
    compared = [visible[i] for i in compare_ids]
    compare_fig = None
    if compared:
        chans = sorted({ch for s in compared for ch in s["result"].get("allocation", {})})
        compare_fig = {
            "data": [
                {
                    "type": "bar",
                    "name": s["name"],
                    "x": chans,
                    "y": [s["result"]["allocation"].get(ch, 0.0) for ch in chans],
                }
                for s in compared
            ],
            "layout": {**_LAYOUT, "barmode": "group"},
        }
    loc = locale_of(request, c)
    js_i18n = {k: translate(f"budget.{k}", loc) for k in ("running", "failed", "done", "allocation")}
    js_i18n["current"] = translate("current_spend", loc)
    total_current = sum(float(r["current_spend"] or 0.0) for r in curves["items"])
    return render(
        request,
        c,
        p,
        "budget.html",
        "nav.budget",
        active="budget",
        charts=True,
        curves_state=None if curves["computed"] else curves,
        curves=curves["items"],
        total_current=total_current or 100000.0,
        can_run=p.at_least("analyst"),
        scenarios=scenarios,
        compare_ids=compare_ids,
        compared=compared,
        compare_fig=compare_fig,
        detail=visible.get(scenario) if scenario is not None else None,
        js_i18n=js_i18n,
    )


@router.get("/customers", response_class=HTMLResponse)
def customers_page(
    request: Request,
    c: Ctx,
    p: PageViewer,
    q_: Annotated[str | None, Query(alias="q", max_length=256)] = None,
    segment: Annotated[str | None, Query(max_length=128)] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 25,
) -> HTMLResponse:
    wh = c.warehouse
    seg = q.segments(wh) if wh.exists() else {**q.not_computed("clv"), "items": []}
    total, rows = q.customers(wh, q_ or None, segment, offset, limit) if wh.exists() else (0, [])
    seg_fig = None
    if seg["computed"]:
        seg_fig = {
            "data": [
                {
                    "type": "pie",
                    "labels": [s["segment"] for s in seg["items"]],
                    "values": [s["total_clv"] for s in seg["items"]],
                    "hole": 0.4,
                }
            ],
            "layout": {**_LAYOUT, "height": 300},
        }
    base = (
        "/customers?"
        + urlencode([(k, v) for k, v in (("q", q_), ("segment", segment)) if v])
        + ("&" if (q_ or segment) else "")
    )
    return render(
        request,
        c,
        p,
        "customers.html",
        "nav.customers",
        active="customers",
        charts=True,
        seg_state=None if seg["computed"] else seg,
        segments=seg["items"],
        seg_fig=seg_fig,
        q=q_,
        no_customers=not wh.exists() or wh.count("customers") == 0,
        identity_hint=q.IDENTITY_HINT,
        segment=segment,
        total=total,
        rows=rows,
        offset=offset,
        limit=limit,
        base=base,
    )


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(request: Request, c: Ctx, p: PageViewer, customer_id: str) -> HTMLResponse:
    prof = q.customer_profile(c.warehouse, customer_id, reveal=False) if c.warehouse.exists() else None
    if prof is None:
        return render(
            request,
            c,
            p,
            "error.html",
            "nav.customers",
            status_code=404,
            message=f"no customer {customer_id!r}",
        )
    title = f"{translate('nav.customers', locale_of(request, c))} · {customer_id}"
    resp = render(request, c, p, "customer.html", "nav.customers", active="customers", cust=prof, title=title)
    return resp


@router.get("/data", response_class=HTMLResponse)
def data_page(
    request: Request,
    c: Ctx,
    p: PageViewer,
    reason: Annotated[str | None, Query(max_length=500)] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 25,
) -> HTMLResponse:
    wh = c.warehouse
    if not wh.exists():
        return render(request, c, p, "data.html", "nav.data", active="data", has_warehouse=False)
    qtotal, qrows = q.quarantine_rows(wh, offset, limit, reason=reason)
    if not p.at_least("admin"):
        qrows = [{**r, "raw": q.mask_text(r["raw"])} for r in qrows]
    base = "/data?" + (urlencode({"reason": reason}) + "&" if reason else "")
    return render(
        request,
        c,
        p,
        "data.html",
        "nav.data",
        active="data",
        has_warehouse=True,
        tables=q.table_counts(wh),
        sources=c.config.sources,
        reasons=q.quarantine_summary(wh),
        loads=q.loads(wh, 0, 100)[1],
        qtotal=qtotal,
        qrows=qrows,
        reason=reason,
        offset=offset,
        limit=limit,
        base=base,
    )


# ---- admin ---------------------------------------------------------------------------------------------


def _admin(
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


@router.get("/admin", response_class=HTMLResponse)
def admin_page(
    request: Request,
    c: Ctx,
    p: PageAdmin,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> HTMLResponse:
    return _admin(request, c, p, offset=offset, limit=limit)


def _check_form_csrf(request: Request, p: Principal, token: str) -> bool:
    return same(p.csrf, token)


@router.post("/admin/users", response_class=HTMLResponse)
def admin_add_user(
    request: Request,
    c: Ctx,
    p: PageAdmin,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    role: Annotated[str, Form(max_length=16)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    if not _check_form_csrf(request, p, csrf_token):
        return _forbidden(request, c, p, "CSRF token missing or wrong: reload the page and retry")
    try:
        c.state.add_user(username, password, role)
    except ConfigError as exc:
        return _admin(request, c, p, message=str(exc), status_code=400)
    c.state.audit(p.username, "user_add", username, f"role={role}", client_ip(request))
    return _admin(request, c, p, message=f"{username} ({role}) ✓")


@router.post("/admin/users/{username}/role", response_class=HTMLResponse)
def admin_set_role(
    request: Request,
    c: Ctx,
    p: PageAdmin,
    username: str,
    role: Annotated[str, Form(max_length=16)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    if not _check_form_csrf(request, p, csrf_token):
        return _forbidden(request, c, p, "CSRF token missing or wrong: reload the page and retry")
    before = c.state.get_user(username)
    try:
        c.state.set_role(username, role)
    except ConfigError as exc:
        return _admin(request, c, p, message=str(exc), status_code=400)
    c.state.audit(
        p.username, "role_change", username, f"{before.role if before else '?'} -> {role}", client_ip(request)
    )
    return _admin(request, c, p, message=f"{username}: {role} ✓")


@router.post("/admin/users/{username}/delete", response_class=HTMLResponse)
def admin_remove_user(
    request: Request,
    c: Ctx,
    p: PageAdmin,
    username: str,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    if not _check_form_csrf(request, p, csrf_token):
        return _forbidden(request, c, p, "CSRF token missing or wrong: reload the page and retry")
    try:
        c.state.remove_user(username)
    except ConfigError as exc:
        return _admin(request, c, p, message=str(exc), status_code=400)
    c.state.audit(p.username, "user_remove", username, "", client_ip(request))
    return _admin(request, c, p, message=f"{username} ✗")


@router.post("/admin/tokens", response_class=HTMLResponse)
def admin_create_token(
    request: Request,
    c: Ctx,
    p: PageAdmin,
    name: Annotated[str, Form(max_length=128)],
    username: Annotated[str, Form(max_length=64)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    if not _check_form_csrf(request, p, csrf_token):
        return _forbidden(request, c, p, "CSRF token missing or wrong: reload the page and retry")
    try:
        tid, token = c.state.create_token(username, name)
    except ConfigError as exc:
        return _admin(request, c, p, message=str(exc), status_code=400)
    c.state.audit(
        p.username, "token_create", f"token:{tid}", f"owner={username} name={name}", client_ip(request)
    )
    return _admin(request, c, p, new_token=token)


@router.post("/admin/tokens/{token_id}/delete", response_class=HTMLResponse)
def admin_revoke_token(
    request: Request,
    c: Ctx,
    p: PageAdmin,
    token_id: PathId,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    if not _check_form_csrf(request, p, csrf_token):
        return _forbidden(request, c, p, "CSRF token missing or wrong: reload the page and retry")
    ok = c.state.revoke_token(token_id)
    if ok:
        c.state.audit(p.username, "token_revoke", f"token:{token_id}", "", client_ip(request))
    return _admin(request, c, p, message=f"token {token_id} {'✗' if ok else 'not found'}")


__all__ = ["NAV", "ctx", "render", "router"]
