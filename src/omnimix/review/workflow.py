"""``run_review``: the monthly or quarterly Measure–Learn–Optimize review of a workspace.

For the period (``YYYY-MM`` or ``YYYY-Qn``; default the last full month of data) the review

1. reads the KPIs of the period and the one before from the metrics layer, with the plan's targets
   (``plan.toml``) or ``[monitor.budgets]`` for pacing (:mod:`omnimix.review.kpis`);
2. reloads the MMM fit (``[review] fit``) and takes each channel's marginal ROI at the period's spend
   from the posterior, with the channel's identification (:mod:`omnimix.review.posterior`);
3. decides **scale / hold / cut / test** per spending channel (:mod:`omnimix.review.decision`);
4. splits the revenue change into media, baseline and seasonality, asks the experiment planner for the
   next lift tests, and advises whether to refresh or rebuild the MMM (:mod:`omnimix.review.advice`);
5. says what followed each decision of the previous period's review, records this run and its
   decisions in the app state (:mod:`omnimix.review.store`), and writes the report (HTML and Excel,
   zh-CN and en) when ``out`` is given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from omnimix.errors import UsageError
from omnimix.review.advice import advise
from omnimix.review.decision import Decision, decide
from omnimix.review.kpis import data_end, kpi_view
from omnimix.review.period import Period, last_full_month, parse_period
from omnimix.review.posterior import ModelView, load_model
from omnimix.workspace import Workspace

LANG_CHOICES = ("all", "zh-CN", "en")


@dataclass(frozen=True, eq=False)
class ReviewRun:
    """One review.

    Attributes:
        period: the period reviewed.
        decisions: one per spending channel.
        doc: the whole report document (what the files and the dashboard show).
        files: the files written.
        lang: the languages asked for (``all``, ``zh-CN`` or ``en``).
        run_id: its id in the app state (None when not recorded).
    """

    period: Period
    decisions: list[Decision]
    doc: dict[str, Any]
    files: list[Path] = field(default_factory=list)
    lang: str = "all"
    run_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The CLI contract: ``{"period", "channels": {CH: {"decision", "reason", "mroi"}}, "experiments",
        "files"}`` (reasons in Chinese when ``lang`` is ``zh-CN``, else English)."""
        lang = "zh-CN" if self.lang == "zh-CN" else "en"
        return {"period": self.period.label,
                "channels": {d.channel: d.to_json(lang) for d in self.decisions},
                "experiments": list(self.doc["experiments"]),
                "files": [str(f) for f in self.files]}


def _followed(decision: str, before: float, after: float, tested: bool) -> bool:
    if decision == "test":
        return tested
    if before <= 0:
        return decision == "scale" and after > 0
    r = after / before - 1.0
    return {"scale": r > 0.05, "cut": r < -0.05, "hold": abs(r) <= 0.10}.get(decision, False)


def _history(prev: list[dict[str, Any]], before_p: Period, after_p: Period, spend_before: dict[str, float],
             spend_after: dict[str, float], decisions: dict[str, Decision], tested: set[str]) -> list[dict[str, Any]]:
    """What followed each decision of the previous review: spend per day before and after, followed or
    not, and the marginal ROI then and now."""
    out = []
    for d in prev:
        ch = d["channel"]
        b = spend_before.get(ch, 0.0) / before_p.days
        a = spend_after.get(ch, 0.0) / after_p.days
        ok = _followed(d["decision"], b, a, ch in tested)
        chg = (a / b - 1.0) if b > 0 else math.nan
        now = decisions.get(ch)
        m0, m1 = d.get("mroi"), now.mroi if now else None
        en = [f"spend per day {b:,.0f} → {a:,.0f}" + (f" ({chg:+.0%})" if math.isfinite(chg) else "")]
        zh = [f"日均花费 {b:,.0f} → {a:,.0f}" + (f"（{chg:+.0%}）" if math.isfinite(chg) else "")]
        if d["decision"] == "test":
            en.append("a lift test ran" if ch in tested else "no lift test was recorded")
            zh.append("已做增量实验" if ch in tested else "没有记录增量实验")
        if m0 and m1:
            en.append(f"marginal ROI {m0['mean']:.2f} → {m1['mean']:.2f}")
            zh.append(f"边际ROI {m0['mean']:.2f} → {m1['mean']:.2f}")
        if now:
            en.append(f"now: {now.decision}")
            zh.append(f"本期：{ {'scale': '加投', 'hold': '维持', 'cut': '削减', 'test': '测试'}[now.decision] }")
        out.append({"channel": ch, "decision": d["decision"], "period": d["period"], "followed": ok,
                    "spend_per_day_before": b, "spend_per_day_after": a,
                    "spend_change": chg if math.isfinite(chg) else None, "mroi_then": m0, "mroi_now": m1,
                    "outcome_en": "; ".join(en), "outcome_zh": "；".join(zh)})
    return out


def _tested(ws: Workspace, p: Period) -> set[str]:
    """Channels with a lift test (``experiments``) overlapping the period."""
    if not ws.has("experiments"):
        return set()
    ex = ws.read("experiments", columns=["channel", "start", "end"])
    out = set()
    for r in ex.to_dict("records"):
        try:
            s, e = r["start"], r["end"]
            if s is not None and e is not None and str(s)[:10] <= p.end.isoformat() \
                    and str(e)[:10] >= p.start.isoformat():
                out.add(str(r["channel"]))
        except (TypeError, ValueError):
            continue
    return out


def _recent_channels(ws: Workspace, end: Any) -> list[str]:
    from omnimix.metrics import metric_frame

    f = metric_frame(ws, ["spend"], end - timedelta(days=90), end, grain="month", by_channel=True)
    g = f.groupby("channel")["spend"].sum()
    return sorted(str(c) for c, v in g.items() if v > 0)


def run_review(
    workspace: Workspace | str | Path,
    period: str | Period | None = None,
    out: str | Path | None = None,
    lang: str = "all",
    *,
    state_url: str | None = None,
    record: bool = True,
    model: ModelView | None = None,
) -> ReviewRun:
    """Review a period of a workspace (see the module docstring).

    Args:
        workspace: a workspace or its directory (with a warehouse).
        period: ``YYYY-MM`` or ``YYYY-Qn`` (default: the last full month of data).
        out: write the report here (HTML and Excel per language); None writes no files.
        lang: ``all`` (zh-CN and en, the default), ``zh-CN`` or ``en``.
        state_url: app-state database (default ``sqlite:///DIR/app.db``).
        record: store the run and its decisions in the app state (the next review's history).
        model: an already loaded fit (default: reload ``[review] fit``).

    Raises:
        UsageError: bad period or language, or no data.
        InputDataError: no warehouse.
    """
    if lang not in LANG_CHOICES:
        raise UsageError(f"--lang {lang!r} is unknown", ["use all, zh-CN or en"])
    ws = Workspace.loaded(workspace)
    cfg = ws.config.review
    end = data_end(ws)
    if end is None:
        raise UsageError(f"{ws.root}: no spend, touchpoints or conversions to review yet",
                         ["load data with `omnimix ingest` first"])
    p = period if isinstance(period, Period) else parse_period(period) if period else last_full_month(end)
    if p.start > end:
        raise UsageError(f"period {p.label} starts after the last day with data ({end})",
                         ["pick an earlier --period, or load newer data"])
    prev = p.previous()
    kv = kpi_view(ws, p, prev, cfg.pacing_tolerance)
    view = model if model is not None else load_model(ws.root / cfg.fit)
    spending = sorted(c for c, v in kv.spend.items() if v > 0)
    weekly = {c: kv.spend[c] / (p.days / 7.0) for c in spending}
    mroi = view.mroi(weekly, cfg.level) if view is not None and view.passed else {}
    decisions: list[Decision] = []
    for c in spending:
        common: dict[str, Any] = {"threshold": cfg.threshold, "level": cfg.level,
                                  "min_identification": cfg.min_identification, "weekly_spend": weekly[c],
                                  "pacing": kv.pacing.get(c)}
        if view is None:
            decisions.append(decide(c, mroi=None, identification=None, status=None, basis="no_model", **common))
        elif not view.passed:
            decisions.append(decide(c, mroi=None, identification=None, status=None, basis="failed_fit",
                                    note="; ".join(view.reasons), **common))
        elif c not in view.channels:
            decisions.append(decide(c, mroi=None, identification=None, status=None, basis="not_in_model", **common))
        else:
            decisions.append(decide(c, mroi=mroi[c], identification=view.identification.get(c),
                                    status=view.status.get(c), **common))
    change = view.decompose(p, prev, kv.revenue, cfg.level) if view is not None else None
    experiments = view.experiments(cfg.experiments) if view is not None and cfg.experiments > 0 else []
    adv = advise(has_fit=view is not None, passed=bool(view and view.passed), reasons=view.reasons if view else [],
                 fit_channels=view.channels if view else (), spending=_recent_channels(ws, end),
                 fit_first=view.first_week if view else None, fit_last=view.last_week if view else None,
                 data_last=end, period=p, refresh_weeks=cfg.refresh_weeks)
    store = None
    if record:
        from omnimix.monitor.state import default_url
        from omnimix.review.store import ReviewStore

        store = ReviewStore(state_url or default_url(ws.root))
    by_channel = {d.channel: d for d in decisions}
    history = _history(store.decisions(prev.label) if store else [], prev, p, kv.spend_previous, kv.spend,
                       by_channel, _tested(ws, p))
    doc: dict[str, Any] = {
        "period": p.label, "kind": p.kind, "start": p.start.isoformat(), "end": p.end.isoformat(),
        "previous": prev.label, "data_end": end.isoformat(), "threshold": cfg.threshold, "level": cfg.level,
        "currency": ws.config.workspace.currency,
        "decisions": [d.record() for d in decisions],
        "kpis": kv.rows, "pacing": kv.pacing, "plan_file": kv.plan_file, "plan_problem": kv.plan_problem,
        "change": change, "experiments": experiments,
        "advice": {**adv.to_json("en"), "reasons_en": adv.text("en"), "reasons_zh": adv.text("zh-CN")},
        "history": history,
        "model": None if view is None else {
            "fit_dir": str(view.fit_dir), "mode": view.fit.mode, "passed": view.passed, "reasons": view.reasons,
            "first_week": view.first_week.isoformat(), "last_week": view.last_week.isoformat(),
            "channels": list(view.channels)},
    }
    run_id = store.record(p.label, doc, [], doc["decisions"], kv.spend) if store else None
    files: list[Path] = []
    if out is not None:
        from omnimix.review.report import LANGS, write_report

        files = write_report(doc, Path(out), LANGS if lang == "all" else (lang,))
        if store is not None and run_id is not None:
            store.update_files(run_id, [str(f) for f in files], doc)
    return ReviewRun(p, decisions, doc, files, lang, run_id)
