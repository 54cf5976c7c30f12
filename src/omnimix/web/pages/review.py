"""``/review`` and ``GET /api/v1/review``: the latest Measure–Learn–Optimize review and its history.

The page and the API read what ``omnimix review`` (or the scheduler's review job) recorded in the app
state (``review_runs``/``review_decisions``); they never rerun the review, which reloads the MMM.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from omnimix.review.period import parse_period
from omnimix.review.report import change_figure, mroi_figure
from omnimix.review.store import ReviewStore
from omnimix.web.deps import Ctx, PageViewer, Viewer
from omnimix.web.i18n import display_name
from omnimix.web.rendering import locale_of, render

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["review"])

PERIOD = r"^\d{4}-(\d{2}|Q[1-4])$"
COMMAND = "omnimix review --workspace DIR --out DIR"
_STORES: dict[str, ReviewStore] = {}


def _store(c: Ctx) -> ReviewStore:
    url = c.state.url
    if url not in _STORES:
        _STORES[url] = ReviewStore(url)
    return _STORES[url]


def review_document(c: Ctx, period: str | None = None) -> dict[str, Any]:
    """``{"computed", "run" (the latest run's document, of ``period`` when given), "runs"}``."""
    if period is not None:
        period = parse_period(period).label  # a UsageError (400) for a month such as 2025-13
    store = _store(c)
    run = store.latest(period)
    runs = store.runs()
    if run is None:
        what = f"no review of {period} recorded" if period else "no review recorded yet"
        return {"computed": False, "command": COMMAND, "message": f"{what} — run `{COMMAND}`", "run": None,
                "runs": runs}
    return {"computed": True, "run": run, "runs": runs}


@api_router.get("/review", summary="The latest review: decisions per channel, KPIs, change, tests, advice")
def review_api(c: Ctx, p: Viewer,
               period: Annotated[str | None, Query(pattern=PERIOD, max_length=7)] = None) -> dict[str, Any]:
    return review_document(c, period)


@router.get("/review", response_class=HTMLResponse)
def review_page(request: Request, c: Ctx, p: PageViewer,
                period: Annotated[str | None, Query(pattern=PERIOD, max_length=7)] = None) -> HTMLResponse:
    loc = locale_of(request, c)
    doc = review_document(c, period)
    run = doc["run"]
    figs: dict[str, Any] = {}
    if run is not None:
        figs["mroi"] = mroi_figure(run, loc)
        figs["change"] = change_figure(run, loc)

    def decision_name(key: str) -> str:
        return display_name("decision", key, loc)

    return render(request, c, p, "review.html", "nav.review", active="review", charts=run is not None,
                  state=doc, run=run, runs=doc["runs"], figs=figs, decision_name=decision_name,
                  zh=loc == "zh-CN")
