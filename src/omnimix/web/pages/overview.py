"""``/``: the Overview — KPI cards, trend, funnel and the per-channel table for a date range."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from omnimix.errors import OmnimixError, WarehouseBusy
from omnimix.web.auth import ApiError
from omnimix.web.deps import Ctx, PageViewer, parse_filters
from omnimix.web.figures import funnel_fig, trend_fig
from omnimix.web.i18n import Formatter
from omnimix.web.queries.kpis import by_channel, channels, kpis
from omnimix.web.queries.trends import funnel, trend
from omnimix.web.rendering import error_page, formatter, render

router = APIRouter(include_in_schema=False)


def kpi_cards(k: dict[str, Any], fmt: Formatter) -> list[tuple[str, str, str]]:
    """(metric key, formatted value, subtitle) for each KPI card."""
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
        ("roas", fmt.ratio(k["roas"]), fmt.name("model", k["attribution_model"]) if k["attribution_model"] else ""),
        ("mer", fmt.ratio(k["mer"]), ""),
        (
            "cross_channel",
            fmt.pct(k["cross_channel_rate"]),
            f"{fmt.num(k['multi_channel_customers'])} / {fmt.num(k['converting_customers'])}",
        ),
    ]


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, c: Ctx, p: PageViewer) -> HTMLResponse:
    wh = c.warehouse
    if not wh.exists():
        return render(request, c, p, "overview.html", "nav.overview", active="overview", has_warehouse=False)
    qp = request.query_params
    try:
        start = date.fromisoformat(qp["start"]) if qp.get("start") else None
        end = date.fromisoformat(qp["end"]) if qp.get("end") else None
        f = parse_filters(c, start, end, qp.getlist("channel"))
    except WarehouseBusy:
        raise  # the app's "busy, retry" page (503), not a bad-parameters page
    except (ValueError, OmnimixError) as exc:
        return error_page(request, c, p, "nav.overview", 422, str(exc))
    except ApiError as exc:
        return error_page(request, c, p, "nav.overview", 422, exc.message)
    fmt = formatter(request, c)
    k = kpis(wh, f, c.config.journeys.lookback_days)
    tr = trend(wh, f)
    fn = funnel(wh, f, c.config.funnel.stages)
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
        cards=kpi_cards(k, fmt),
        trend=tr,
        trend_fig=trend_fig(tr, fmt),
        funnel=fn,
        funnel_fig=funnel_fig([{**r, "stage": fmt.name("stage", r["stage"])} for r in fn]),
        by_channel=by_channel(wh, f),
        all_channels=channels(wh),
    )
