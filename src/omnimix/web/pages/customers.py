"""``/customers`` (persona cards per segment, search) and ``/customers/{id}`` (a masked profile and the
customer's timeline of identifiers, consent, lifecycle stages, touchpoints and orders)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from omnimix.web.deps import Ctx, PageViewer
from omnimix.web.figures import segment_fig
from omnimix.web.i18n import CATALOG, Formatter, translate
from omnimix.web.queries.customers import customer_profile, customer_timeline, customers
from omnimix.web.queries.results import persona_cards
from omnimix.web.registry import not_computed
from omnimix.web.rendering import error_page, formatter, locale_of, render

router = APIRouter(include_in_schema=False)


def _label(fmt: Formatter, prefix: str, key: Any, fallback_kind: str | None = None) -> str:
    """``pages.<prefix>.<key>`` in the page's language; else the display name of ``fallback_kind``;
    else the key itself."""
    if key is None:
        return "—"
    k = f"pages.{prefix}.{key}"
    if k in CATALOG.get(fmt.locale, {}) or k in CATALOG["en"]:
        return fmt.t(k)
    return fmt.name(fallback_kind, key) if fallback_kind else str(key)


def persona_view(cards: list[dict[str, Any]], fmt: Formatter) -> list[dict[str, Any]]:
    """The cards with their reader-facing texts: segment name, description, channel names."""
    out = []
    for c in cards:
        desc_key = f"pages.persona.desc.{c['segment']}"
        desc = fmt.t(desc_key) if desc_key in CATALOG.get(fmt.locale, {}) else c.get("description")
        out.append({
            **c,
            "name": fmt.name("segment", c["segment"]),
            "text": desc,
            "channels": [(fmt.channel(ch), share) for ch, share in c.get("top_channels") or []],
            "path": [fmt.channel(ch) for ch in c.get("typical_path") or []],
        })
    return out


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
    fmt = formatter(request, c)
    cards = persona_cards(wh) if wh.exists() else {**not_computed("clv"), "items": []}
    total, rows = customers(wh, q_ or None, segment, offset, limit, c.config.pii) if wh.exists() else (0, [])
    view = persona_view(cards["items"], fmt) if cards["computed"] else []
    seg_fig = segment_fig(view, fmt) if any(v.get("share") is not None for v in view) else None
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
        charts=seg_fig is not None,
        seg_state=None if cards["computed"] else cards,
        cards=view,
        seg_fig=seg_fig,
        q=q_,
        no_customers=not wh.exists() or wh.count("customers") == 0,
        segment=segment,
        total=total,
        rows=rows,
        offset=offset,
        limit=limit,
        base=base,
    )


def timeline_view(items: list[dict[str, Any]], fmt: Formatter) -> list[dict[str, Any]]:
    """Each timeline event as ``kind``, ``when``, ``what`` and ``details`` (a list of short texts),
    in the page's language; channel, stage and identifier-type keys shown by their display names."""

    def yes_no(v: Any) -> str:
        if v is None:
            return fmt.t("pages.timeline.unknown")
        return fmt.t("pages.timeline.yes" if v else "pages.timeline.no")

    out = []
    for r in items:
        kind = str(r["kind"])
        details: list[str] = []
        what = fmt.t(f"pages.timeline.kind.{kind}")
        if kind == "touchpoint":
            what = f"{what} · {fmt.channel(r['channel'])}"
            if r["label"]:
                details.append(fmt.name("stage", r["label"]))
            if r["detail"]:
                details.append(_label(fmt, "event", r["detail"]))
            if r["campaign"]:
                details.append(f"{fmt.t('pages.timeline.campaign')} {r['campaign']}")
            if r["amount"] is not None:
                details.append(f"{fmt.t('pages.timeline.cost')} {fmt.money(r['amount'])}")
        elif kind == "order":
            what = f"{what} · {fmt.money(r['amount'])}"
            if r["label"]:
                details.append(_label(fmt, "order_type", r["label"]))
            if r["flag_a"] is not None:
                details.append(fmt.t("pages.timeline.online" if r["flag_a"] else "pages.timeline.in_store"))
            if r["campaign"]:  # the order's items, where the source has them
                details.append(f"{fmt.t('pages.timeline.items')} {r['campaign']}")
            if r["detail"] and r["detail"] != fmt.currency:
                details.append(str(r["detail"]))
        elif kind == "identifier":
            what = f"{what} · {fmt.name('identifier', r['label'])}"
            details.append(str(r["detail"] or ""))
            if r.get("hashed"):
                details.append(fmt.t("pages.timeline.hashed"))
        elif kind == "consent":
            details.append(f"{fmt.t('pages.timeline.email')}: {yes_no(r['flag_a'])}")
            details.append(f"{fmt.t('pages.timeline.sms')}: {yes_no(r['flag_b'])}")
            if r["label"]:
                details.append(f"{fmt.t('pages.timeline.source')} {r['label']}")
        elif kind == "stage":
            what = f"{what} · {fmt.name('lifecycle', r['label'])}"
            if r["channel"]:
                details.append(fmt.channel(r["channel"]))
            if r["detail"]:
                details.append(f"{fmt.t('pages.timeline.owner')} {r['detail']}")
            if r["amount"] is not None:
                details.append(f"{fmt.t('pages.timeline.amount')} {fmt.money(r['amount'])}")
            details.append(f"{fmt.t('pages.timeline.record')} {r['ref']}")
        when = fmt.datetime(r["ts"]) if r["ts"] is not None else fmt.t("pages.timeline.no_time")
        out.append({"kind": kind, "ts": r["ts"], "when": when, "what": what, "details": [d for d in details if d],
                    "changed": bool(r["changed"])})
    return out


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(
    request: Request,
    c: Ctx,
    p: PageViewer,
    customer_id: str,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> HTMLResponse:
    wh = c.warehouse
    prof = customer_profile(wh, customer_id, reveal=False) if wh.exists() else None
    if prof is None:
        return error_page(request, c, p, "nav.customers", 404,
                          translate("error.no_customer", locale_of(request, c)).replace("{id}", customer_id))
    fmt = formatter(request, c)
    tl = customer_timeline(wh, customer_id, offset, limit)
    for i in prof["identifiers"]:
        i["type_name"] = fmt.name("identifier", i["id_type"])
    title = f"{translate('nav.customers', locale_of(request, c))} · {customer_id}"
    return render(
        request, c, p, "customer.html", "nav.customers", active="customers", cust=prof, title=title,
        timeline=timeline_view(tl["items"], fmt), tl=tl, zone=c.config.workspace.timezone,
        segment_name=fmt.name("segment", prof["clv"]["segment"]) if prof.get("clv") else None,
        tl_base=f"/customers/{quote(customer_id, safe='')}?",
    )
