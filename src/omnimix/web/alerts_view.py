"""``/monitor``: the monitor's alerts (issue #19) — list, per-series chart with the expected band,
acknowledge / resolve — and the scheduler's run history.

The alerts come from the alert state the monitor keeps in the app-state database
(:class:`omnimix.monitor.state.AlertStore`, written by ``omnimix monitor`` and the scheduler's monitor
job); an anomaly's stored trace (the series, expected value and band around its day, as the detector
saw them) is drawn as a small chart. Analysts and admins acknowledge and resolve alerts here (a form
with the session's CSRF token) or through ``POST /api/v1/alerts/{id}/ack|resolve``
(:mod:`omnimix.web.routers.api_alerts`); both go through :func:`set_status`, which writes one
audit-log row. The run history is ``schedule_runs`` (:class:`omnimix.schedule.store.RunStore`).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from omnimix.errors import UsageError
from omnimix.monitor.alerts import KINDS
from omnimix.monitor.state import STATUSES, AlertStore
from omnimix.web.admin import Actor, audit
from omnimix.web.auth import Principal, same
from omnimix.web.deps import AppContext, Ctx, PageAnalyst, PageViewer, PathId
from omnimix.web.figures import LAYOUT
from omnimix.web.i18n import Formatter
from omnimix.web.rendering import CSRF_MESSAGE, forbidden, formatter, render

router = APIRouter(include_in_schema=False)

#: Alerts per page; anomalies among them get a chart each.
PAGE_SIZE = 50
#: Scheduler runs shown.
RUNS = 20
#: Colours of the chart: the observed series, the expected value and band, the alert's day.
VALUE_COLOR, BAND_COLOR, ALERT_COLOR = "#1f77b4", "rgba(127,127,127,0.25)", "#d62728"


def alert_store(c: AppContext) -> AlertStore:
    """The alert state in the app's own database (the tables are created on first use)."""
    return AlertStore(c.state.url)


def set_status(c: AppContext, p: Principal, request: Request, alert_id: int, action: str,
               note: str | None = None) -> dict[str, Any]:
    """Acknowledge (``action="ack"``) or resolve an alert as ``p``; audited as ``alert_ack`` /
    ``alert_resolve`` with the alert's key.

    Raises:
        UsageError: no alert with that id (the API answers 404).
    """
    store = alert_store(c)
    row = store.acknowledge(alert_id, p.username, note) if action == "ack" else store.resolve(
        alert_id, p.username, note)
    audit(c.state, Actor.of(p.username, request), f"alert_{action}", f"alert:{alert_id}",
          f"{row['kind']} {row['metric']} {row['channel'] or '*'} {row['date']}" + (f"; {note}" if note else ""))
    return row


def run_history(c: AppContext, limit: int = RUNS) -> list[dict[str, Any]]:
    """The scheduler's newest runs (``schedule_runs``), as :meth:`JobRun.to_json` gives them."""
    from omnimix.schedule.store import RunStore

    return [r.to_json() for r in RunStore(c.state.url).runs(limit=limit)]


def _value(fmt: Formatter, metric: str, x: Any) -> str:
    """A value in its metric's unit (money, share, ratio or count)."""
    from omnimix.metrics import METRICS

    if x is None:
        return "—"
    meta = METRICS.get(metric)
    unit = meta.unit if meta is not None else ("share" if metric == "quarantine_rate" else "count")
    if unit == "currency":
        return fmt.money(x)
    if unit == "share":
        return fmt.pct(x)
    if unit == "ratio":
        return fmt.ratio(x)
    v = float(x)
    return fmt.num(v, 0 if abs(v) >= 100 or v == round(v) else 1)


def _what(a: dict[str, Any], fmt: Formatter) -> str:
    return fmt.name("metric", a["metric"]) + (f" ({fmt.channel(a['channel'])})" if a.get("channel") else "")


def _detail_line(a: dict[str, Any], fmt: Formatter) -> str | None:
    """A data, model, pacing or rule alert's line from its stored ``detail`` (see
    :class:`omnimix.monitor.alerts.Alert`) and band; None when the alert has no detail (stored before
    the monitor kept one) or an unknown code."""
    d = a.get("detail") or {}
    code = d.get("code")
    e = a.get("expected") or {}
    m = a["metric"]
    v, mu, hi = a.get("value"), e.get("mean"), e.get("hi")
    what, day = _what(a, fmt), fmt.date(a["date"])
    if code == "source_stopped":
        return fmt.t("monitor.msg.source_stopped").format(
            source=d.get("source"), table=d.get("table"), last=fmt.date(d.get("last")),
            newest=fmt.date(d.get("newest")), lag=fmt.num(v), gap=fmt.num(mu))
    if code == "load_rows":
        return fmt.t("monitor.msg.load_rows").format(source=d.get("source"), table=d.get("table"), date=day,
                                                     value=fmt.num(v), usual=fmt.num(mu))
    if code == "quarantine_rate":
        return fmt.t("monitor.msg.quarantine_rate").format(source=d.get("source"), table=d.get("table"),
                                                           date=day, value=fmt.pct(v), usual=fmt.pct(mu))
    if code == "mmm_review":
        failed = [fmt.name("check", k) for k in d.get("failed") or []]
        key = "monitor.msg.mmm_review_checks" if failed else "monitor.msg.mmm_review"
        return fmt.t(key).format(checks=fmt.t("monitor.list_sep").join(failed))
    if code == "roi_drift":
        return fmt.t("monitor.msg.roi_drift").format(
            channel=fmt.channel(a.get("channel")), old=fmt.ratio(mu), old_lo=fmt.ratio(e.get("lo")),
            old_hi=fmt.ratio(hi), new=fmt.ratio(v), new_lo=fmt.ratio(d.get("lo1")), new_hi=fmt.ratio(d.get("hi1")))
    if code == "spend_day":
        f = float(d.get("factor") or 0.0)
        return fmt.t("monitor.msg.spend_day").format(channel=fmt.channel(a.get("channel")), value=fmt.money(v),
                                                     date=day, factor=fmt.num(f, 0 if f == round(f) else 1),
                                                     daily=fmt.money(d.get("daily")))
    if code in ("month_over_cap", "month_over_pace", "month_under_pace"):
        return fmt.t(f"monitor.msg.{code}").format(
            channel=fmt.channel(a.get("channel")), value=fmt.money(v), pace=fmt.money(d.get("pace")),
            cap=fmt.money(d.get("cap")), share=fmt.pct(d.get("share"), 0))
    if code in ("rule_above", "rule_below"):
        return fmt.t(f"monitor.msg.{code}").format(what=what, value=_value(fmt, m, v), date=day,
                                                   bound=_value(fmt, m, d.get("bound")))
    return None


def message(a: dict[str, Any], fmt: Formatter) -> str:
    """The alert's line in the page's language, rebuilt from its fields: anomalies from metric,
    channel, value, band and day; data, model, pacing and rule alerts from their stored ``detail``; an
    alert stored without detail gets a plain line of its metric, value and expected value (the
    monitor's English ``message`` is only shown on English pages)."""
    line = _detail_line(a, fmt)
    if line is not None:
        return line
    e = a.get("expected") or {}
    v, lo, hi, mu = a.get("value"), e.get("lo"), e.get("hi"), e.get("mean")
    m = a["metric"]
    if a.get("kind") != "anomaly" or v is None or mu is None:
        if fmt.locale == "en" and a.get("message"):
            return str(a["message"])
        return fmt.t("monitor.msg.generic").format(what=_what(a, fmt), value=_value(fmt, m, v),
                                                   date=fmt.date(a["date"]), mean=_value(fmt, m, mu))
    up = float(v) > float(mu)
    inside = lo is not None and hi is not None and float(lo) <= float(v) <= float(hi)
    # a change point is dated on the shift's first day, which may itself lie inside the band
    key = ("monitor.msg.shift_up" if up else "monitor.msg.shift_down") if inside else (
        "monitor.msg.above" if up else "monitor.msg.below")
    return fmt.t(key).format(what=_what(a, fmt), value=_value(fmt, m, v), date=fmt.date(a["date"]),
                             lo=_value(fmt, m, lo), hi=_value(fmt, m, hi), mean=_value(fmt, m, mu))


def alert_fig(a: dict[str, Any], fmt: Formatter) -> dict[str, Any] | None:
    """A small chart of an anomaly's stored trace: the band (filled), the expected value, the series
    and the alert's day; None when the alert has no trace."""
    tr = a.get("trace")
    if not tr or not tr.get("dates"):
        return None
    x = tr["dates"]
    day = a["date"]
    at = [v for d, v in zip(x, tr["value"], strict=True) if d == day]
    return {
        "data": [
            {"type": "scatter", "mode": "lines", "x": x, "y": tr["lo"], "line": {"width": 0},
             "hoverinfo": "skip", "showlegend": False},
            {"type": "scatter", "mode": "lines", "x": x, "y": tr["hi"], "fill": "tonexty",
             "fillcolor": BAND_COLOR, "line": {"width": 0}, "name": fmt.t("monitor.band")},
            {"type": "scatter", "mode": "lines", "x": x, "y": tr["mean"], "name": fmt.t("monitor.expected"),
             "line": {"dash": "dot", "color": "#7f7f7f"}},
            {"type": "scatter", "mode": "lines+markers", "x": x, "y": tr["value"],
             "name": fmt.t("monitor.actual"), "line": {"color": VALUE_COLOR}, "marker": {"size": 4}},
            {"type": "scatter", "mode": "markers", "x": [day] * len(at), "y": at, "name": fmt.t("monitor.alert_day"),
             "marker": {"color": ALERT_COLOR, "size": 10, "symbol": "circle-open", "line": {"width": 2}}},
        ],
        "layout": {**LAYOUT, "height": 200, "margin": {"t": 10, "r": 10, "b": 30, "l": 60},
                   "legend": {"orientation": "h", "y": -0.3}, "showlegend": False},
    }


def _rows(alerts: list[dict[str, Any]], fmt: Formatter) -> list[dict[str, Any]]:
    out = []
    for a in alerts:
        e = a.get("expected") or {}
        lo, hi, mean = e.get("lo"), e.get("hi"), e.get("mean")
        band = "—"
        if lo is not None or hi is not None:
            band = f"{_value(fmt, a['metric'], lo)} – {_value(fmt, a['metric'], hi)}"
        out.append({**a, "text": message(a, fmt), "value_text": _value(fmt, a["metric"], a.get("value")),
                    "mean_text": _value(fmt, a["metric"], mean) if mean is not None else "—", "band_text": band,
                    "fig": alert_fig(a, fmt)})
    return out


def _choice(value: str | None, allowed: tuple[str, ...]) -> str | None:
    return value if value in allowed else None


@router.get("/monitor", response_class=HTMLResponse)
def monitor_page(
    request: Request,
    c: Ctx,
    p: PageViewer,
    status: Annotated[str | None, Query(max_length=16)] = "open",
    kind: Annotated[str | None, Query(max_length=16)] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    message: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    fmt = formatter(request, c)
    st, kd = _choice(status, STATUSES), _choice(kind, KINDS)
    store = alert_store(c)
    total = store.count(st, kd)
    alerts = _rows(store.list(st, PAGE_SIZE, kind=kd, offset=offset), fmt)
    counts = {s: store.count(s) for s in STATUSES}
    base = "/monitor?" + urlencode([(k, v) for k, v in (("status", st or "all"), ("kind", kd)) if v]) + "&"
    return render(
        request, c, p, "monitor.html", "nav.monitor",
        active="monitor", alerts=alerts, total=total, offset=offset, limit=PAGE_SIZE, status=st or "all",
        kind=kd or "", statuses=STATUSES, kinds=KINDS, counts=counts, base=base,
        can_edit=p.at_least("analyst"), runs=run_history(c), message=message,
        charts=any(a["fig"] for a in alerts),
    )


def _back(status: str, kind: str, offset: int, done: str) -> str:
    """Where a form returns to: the list it came from (its filters, posted with it), with a message."""
    params = [("status", status if status in (*STATUSES, "all") else "open")]
    if kind in KINDS:
        params.append(("kind", kind))
    if offset > 0:
        params.append(("offset", str(offset)))
    return "/monitor?" + urlencode([*params, ("message", done)])


def _form(request: Request, c: AppContext, p: Principal, alert_id: int, action: str, form: BackForm) -> Response:
    if not same(p.csrf, form.csrf_token):
        return forbidden(request, c, p, CSRF_MESSAGE)
    fmt = formatter(request, c)
    try:
        set_status(c, p, request, alert_id, action, form.note.strip() or None)
    except UsageError as exc:
        return render(request, c, p, "error.html", "nav.monitor", status_code=404, message=str(exc))
    done = fmt.t("monitor.done_ack" if action == "ack" else "monitor.done_resolve").format(id=alert_id)
    return RedirectResponse(_back(form.status, form.kind, form.offset, done), status_code=303)


class BackForm(BaseModel):
    """The ack/resolve form: the CSRF token, an optional note and the list's filters to return to."""

    csrf_token: str = Field("", max_length=200)
    note: str = Field("", max_length=2000)
    status: str = Field("open", max_length=16)
    kind: str = Field("", max_length=16)
    offset: int = Field(0, ge=0, le=10_000_000)


@router.post("/monitor/alerts/{alert_id}/ack")
def monitor_ack(request: Request, c: Ctx, p: PageAnalyst, alert_id: PathId,
                form: Annotated[BackForm, Form()]) -> Response:
    return _form(request, c, p, alert_id, "ack", form)


@router.post("/monitor/alerts/{alert_id}/resolve")
def monitor_resolve(request: Request, c: Ctx, p: PageAnalyst, alert_id: PathId,
                    form: Annotated[BackForm, Form()]) -> Response:
    return _form(request, c, p, alert_id, "resolve", form)
