"""``/budget``: the scenario builder (runs the optimizer as a job), saved scenarios and comparison.

The builder says what it plans: a budget per week or per month (a month is 4.3482 weeks; the response
curves are weekly), the KPI's unit (the MMM's KPI: revenue in the workspace currency, or conversions),
today's KPI with its 90% interval, and after a run the expected KPI, its interval and the uplift. The
reserve is entered in percent.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from omnimix.errors import OmnimixError, WarehouseBusy
from omnimix.web.deps import MAX_ID, Ctx, ItemId, PageViewer
from omnimix.web.figures import grouped_bars
from omnimix.web.i18n import Formatter, translate
from omnimix.web.messages import advice_reason, held_texts
from omnimix.web.queries.kpis import mmm_kpi_unit
from omnimix.web.queries.results import channel_status, current_kpi, response_curves
from omnimix.web.registry import not_computed
from omnimix.web.rendering import formatter, locale_of, render
from omnimix.web.routers.api_budget import PERIOD_WEEKS

router = APIRouter(include_in_schema=False)

#: The stages a budget job reports (:mod:`omnimix.web.jobs`), named in the page's language.
JOB_STAGES = ("starting", "validating", "loading optimizer", "optimizing", "summarising", "done", "failed")

#: Keys of the plan notes and run errors the API codes (locales/budgetmsg.toml, ``budgetmsg.`` prefix).
BUDGET_MESSAGES = ("note.guardrails", "note.held", "note.released", "note.default_max_dropped",
                   "note.default_min_dropped", "note.unallocated", "note.unallocated_guardrail",
                   "error.infeasible_guardrails", "error.infeasible")
#: Error codes of ``POST /api/v1/optimizer/runs`` the page explains in its own words.
ERROR_CODES = ("invalid_request", "unknown_channel", "minimums_exceed_budget", "optimizer_unavailable",
               "not_computed", "optimizer_failed", "forbidden", "other")


def kpi_text(fmt: Formatter, value: object, unit: str) -> str:
    """A KPI value in its unit: money for revenue, a count (one decimal) for conversions."""
    return fmt.money(value) if unit == "currency" else fmt.num(value, 1)


def unit_label(fmt: Formatter, unit: str) -> str:
    return fmt.t(f"budget.unit.{unit}").replace("{currency}", fmt.currency)


def kpi_label(fmt: Formatter, unit: str, period: str) -> str:
    """``KPI (revenue, CNY, per week)``."""
    return (fmt.t("budget.kpi_of").replace("{unit}", unit_label(fmt, unit))
            .replace("{period}", fmt.t(f"budget.period.{period}")))


@router.get("/budget", response_class=HTMLResponse)
def budget_page(
    request: Request,
    c: Ctx,
    p: PageViewer,
    scenario: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    compare: Annotated[list[ItemId] | None, Query(max_length=10)] = None,
) -> HTMLResponse:
    wh = c.warehouse
    curves = response_curves(wh, 2) if wh.exists() else {**not_computed("response_curves"), "items": []}
    scenarios = c.state.list_scenarios(p.username, p.at_least("admin"))
    visible = {s["id"]: s for s in scenarios}
    compare_ids = [i for i in (compare or []) if i in visible]
    compared = [visible[i] for i in compare_ids]
    compare_fig = None
    if compared:
        chans = sorted({ch for s in compared for ch in s["result"].get("allocation", {})})
        compare_fig = grouped_bars(
            [formatter(request, c).channel(ch) for ch in chans],
            [(s["name"], [s["result"]["allocation"].get(ch, 0.0) for ch in chans]) for s in compared],
        )
    loc = locale_of(request, c)
    js_i18n = {k: translate(f"budget.{k}", loc) for k in ("running", "failed", "done", "allocation")}
    js_i18n["current"] = translate("current_spend", loc)
    for k in ("current_kpi", "uplift", "interval", "no_interval", "action", "held", "scale", "hold", "cut",
              "uplift_vs"):
        js_i18n[k] = translate(f"budget.{k}", loc)
    fmt = formatter(request, c)
    unit = mmm_kpi_unit(wh) if wh.exists() else "currency"
    for period in PERIOD_WEEKS:
        js_i18n[f"period.{period}"] = translate(f"budget.period.{period}", loc)
        js_i18n[f"kpi_of.{period}"] = kpi_label(fmt, unit, period)
        js_i18n[f"spend_of.{period}"] = translate("budget.current_spend_period", loc).replace(
            "{period}", translate(f"budget.period.{period}", loc))
    for code in ERROR_CODES:
        js_i18n[f"error.{code}"] = translate(f"budget.error.{code}", loc)
    total_current = sum(float(r["current_spend"] or 0.0) for r in curves["items"])
    now = current_kpi(wh) if curves["computed"] else {"current_kpi": None}
    try:
        status = channel_status(wh) if wh.exists() else {}
    except WarehouseBusy:
        raise
    except OmnimixError as exc:
        status, now = {}, {**now, "status_error": str(exc)}
    held = held_texts(status, fmt)
    # the plan's notes and a failed run's error, written by the API's message_code (api_budget.coded_notes)
    js_i18n["hold_why"] = held  # type: ignore[assignment]
    for key in BUDGET_MESSAGES:
        js_i18n[key] = translate(f"budgetmsg.{key}", loc)
    # channel display names and the job's stage words for the script-drawn result
    js_i18n["names"] = {str(r["channel"]): fmt.channel(r["channel"]) for r in curves["items"]}  # type: ignore[assignment]
    for stage in JOB_STAGES:
        js_i18n[f"stage.{stage}"] = translate(f"budget.stage.{stage}", loc)
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
        now=now,
        held=held,
        kpi_unit=unit,
        kpi_text=lambda v: kpi_text(fmt, v, unit),
        kpi_label=lambda period: kpi_label(fmt, unit, period),
        period_weeks=PERIOD_WEEKS,
        advice_text=lambda text, ch: advice_reason(text, fmt, held, ch),
    )
