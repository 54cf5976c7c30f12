"""``/``: the Overview — KPI cards, trend, funnel and the per-channel table for a date range.

Every figure comes from :mod:`omnimix.web.queries.kpis` and :mod:`omnimix.web.queries.trends`, i.e.
from the metrics layer. Under a channel filter each card says how it follows the filter: by the
channels' own rows (spend), by their attributed credit (revenue, conversions, new customers, CAC,
ROAS), or not at all (LTV, MER, cross-channel share: all channels, marked on the card).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from omnimix.errors import OmnimixError, WarehouseBusy
from omnimix.web.auth import ApiError
from omnimix.web.deps import Ctx, PageViewer, parse_filters
from omnimix.web.figures import LAYOUT, trend_fig
from omnimix.web.i18n import Formatter
from omnimix.web.queries.kpis import by_channel, channels, kpis
from omnimix.web.queries.trends import funnel, trend
from omnimix.web.rendering import error_page, formatter, render

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Card:
    """One KPI card: metric key, formatted value, subtitle, and how it follows the channel filter
    (``scope``: selection, attributed or all_channels; ``scope_text`` says so in the page's language)."""

    key: str
    value: str
    sub: str
    scope: str
    scope_text: str


def _tf(fmt: Formatter, key: str, **kw: Any) -> str:
    text = fmt.t(key)
    for k, v in kw.items():
        text = text.replace("{" + k + "}", str(v))
    return text


def kpi_cards(k: dict[str, Any], fmt: Formatter) -> list[Card]:
    """The Overview's cards, in order."""
    filtered = bool(k["channels"])
    model = fmt.name("model", k["attribution_model"]) if k["attribution_model"] else ""
    split = k["attribution_model"] is not None

    def scope_of(key: str) -> tuple[str, str]:
        s = k["scope"][key]
        if not filtered:
            return s, ""
        if s == "attributed" and not split and key not in ("ltv_cac",):
            return "all_channels", fmt.t("kpis.scope.no_split")
        if key == "ltv_cac":
            return s, fmt.t("kpis.scope.ltv_cac")
        return s, _tf(fmt, f"kpis.scope.{s}", model=model)

    ltv_sub = fmt.t("kpi.ltv.predicted") if k["ltv_source"] == "clv_customers" else fmt.t("kpi.ltv.historical")
    cac_sub = _tf(fmt, "kpis.sub.cac_attributed", model=model) if filtered and split else fmt.t("kpis.sub.cac")
    rows: list[tuple[str, str, str]] = [
        ("spend", fmt.money(k["spend"], compact=True), ""),
        ("revenue", fmt.money(k["revenue"], compact=True), ""),
        ("conversions", fmt.num(k["conversions"]),
         "" if filtered else _tf(fmt, "kpis.sub.conversions_people", people=fmt.num(k["converting_customers"]))),
        ("new_customers", fmt.num(k["new_customers"]), fmt.t("kpis.sub.new_customers")),
        ("cac", fmt.money(k["cac"]), cac_sub),
        ("ltv", fmt.money(k["ltv"]), ltv_sub),
        ("ltv_cac", fmt.ratio(k["ltv_cac"]), ""),
        ("roas", fmt.ratio(k["roas"]), model),
        ("mer", fmt.ratio(k["mer"]), ""),
        ("cross_channel", fmt.pct(k["cross_channel_rate"]),
         _tf(fmt, "kpis.sub.people", multi=fmt.num(k["multi_channel_customers"]),
             people=fmt.num(k["converting_customers"]))),
    ]
    return [Card(key, value, sub, *scope_of(key)) for key, value, sub in rows]


def funnel_figure(items: list[dict[str, Any]], fmt: Formatter) -> dict[str, Any]:
    """The cumulative steps (stages up to the purchase, then conversions) as a plotly funnel."""
    steps = [r for r in items if not r["after_purchase"] and r["cumulative"] is not None]
    return {
        "data": [{
            "type": "funnel",
            "y": [fmt.t("kpis.funnel.conversions") if r["stage"] == "conversion" else fmt.name("stage", r["stage"])
                  for r in steps],
            "x": [r["cumulative"] for r in steps],
            "text": [f"{fmt.num(r['cumulative'])} · {fmt.pct(r['share'])}" for r in steps],
            "textinfo": "text",
            "hoverinfo": "y+text",
        }],
        "layout": {**LAYOUT, "margin": {"t": 20, "r": 10, "b": 20, "l": 110}},
    }


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
    model = fmt.name("model", k["attribution_model"]) if k["attribution_model"] else ""
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
        notes=[fmt.t(f"kpis.note.{n['code']}") for n in k["notes"]],
        trend=tr,
        trend_fig=trend_fig(tr, fmt),
        trend_scope=_tf(fmt, "kpis.trend.scope", model=model) if f.channels and k["attribution_model"] else "",
        funnel=fn,
        funnel_steps=[r for r in fn if not r["after_purchase"]],
        funnel_after=[r for r in fn if r["after_purchase"]],
        funnel_fig=funnel_figure(fn, fmt),
        by_channel=by_channel(wh, f),
        all_channels=channels(wh),
    )
