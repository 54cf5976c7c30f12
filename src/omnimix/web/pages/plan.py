"""``/plan``, ``/plan/calendar`` and ``/plan/handoff``: the workspace's annual plan, its calendar, the hand-off.

The plan file is ``plan.toml`` in the workspace directory (beside ``omnimix.toml``; see
docs/plan-calendar.md). ``/plan`` shows its goals, plan vs actual (each structured goal's target and each
campaign budget line against the warehouse through the metrics layer), the topic clusters with their
warnings, the content matrix and the RACI rows; ``/plan/calendar`` the Gantt chart of campaigns, content
and the plan year's retail peaks; ``/plan/handoff`` the marketing → sales hand-off from
:func:`omnimix.lifecycle.lifecycle_report` (stages, stage conversion, the MQL → SQL SLA with its
breaches, sales feedback, pipeline velocity). Without a plan file the plan pages say where to put one,
and the calendar shows the retail peaks of the current year.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from omnimix.errors import OmnimixError
from omnimix.metrics import METRICS
from omnimix.plan.actual import Target, plan_vs_actual
from omnimix.plan.calendar import KINDS, CalendarEntry, gantt_figure, peak_entry, plan_calendar
from omnimix.plan.content import content_matrix, topic_clusters
from omnimix.plan.raci import check_raci, raci_table
from omnimix.plan.retail import retail_peaks
from omnimix.plan.spec import Plan, load_plan
from omnimix.taxonomy import FUNNEL_STAGES
from omnimix.web.deps import Ctx, PageViewer
from omnimix.web.figures import date_axis
from omnimix.web.i18n import CATALOG, Formatter
from omnimix.web.messages import lifecycle_problem, matrix_gaps
from omnimix.web.rendering import formatter, locale_of, render

router = APIRouter(include_in_schema=False)

PLAN_FILE = "plan.toml"

#: The pages' strings, added to the dashboard's catalogue (both languages, same keys).
STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "nav.plan": "Plan",
        "nav.plan_calendar": "Plan calendar",
        "plan.none": "No plan file yet.",
        "plan.invalid": "The plan file has problems:",
        "plan.year": "Year",
        "plan.budget": "Budget",
        "plan.goals": "Goals",
        "plan.goal": "Goal",
        "plan.goal_id": "ID",
        "plan.kpi": "KPI",
        "plan.target": "Target",
        "plan.deadline": "Deadline",
        "plan.owner": "Owner",
        "plan.pva": "Plan vs actual",
        "plan.pva_none": "No structured goal targets or campaign budget lines to compare yet.",
        "plan.pva_nodata": "No warehouse yet: ingest data to compare the plan with actuals.",
        "plan.as_of": "as of",
        "plan.actual": "Actual",
        "plan.expected": "Expected to date",
        "plan.pace": "Pace",
        "plan.projected": "Projected",
        "plan.status": "Status",
        "plan.period": "Period",
        "plan.status.on_track": "on track",
        "plan.status.ahead": "ahead",
        "plan.status.behind": "behind",
        "plan.status.over": "over",
        "plan.status.under": "under",
        "plan.status.not_started": "not started",
        "plan.status.no_data": "no data",
        "plan.clusters": "Topic clusters",
        "plan.pillar": "Pillar",
        "plan.subtopics": "Subtopics",
        "plan.matrix": "Content matrix",
        "plan.persona": "Persona",
        "plan.items": "Items",
        "plan.raci": "Owners and RACI",
        "plan.task": "Task",
        "plan.campaign": "Campaign",
        "plan.R": "Responsible",
        "plan.A": "Accountable",
        "plan.C": "Consulted",
        "plan.I": "Informed",
        "plan.calendar": "Calendar",
        "plan.peaks_only": "Retail peaks of {year}",
        "plan.kind": "Kind",
        "plan.name": "Name",
        "plan.start": "Start",
        "plan.end": "End",
        "plan.kind.retail_peak": "retail peak",
        "plan.kind.campaign": "campaign",
        "plan.kind.content": "content",
        "plan.kind.flight": "flight",
        "plan.goal_ids": "Goals",
        "nav.plan_handoff": "Lead hand-off",
        "plan.stages": "Lifecycle stages",
        "plan.entered": "Entered",
        "plan.current": "Now in stage",
        "plan.conversion": "Stage conversion",
        "plan.transition": "Transition",
        "plan.rate": "Rate",
        "plan.converted": "Converted",
        "plan.median_days": "Median days in stage",
        "plan.sla": "MQL → SQL SLA",
        "plan.sla_hours": "Business hours allowed",
        "plan.handoffs": "Hand-offs",
        "plan.within": "Within SLA",
        "plan.breached": "Breached",
        "plan.pending": "Pending",
        "plan.breach_rate": "Breach rate",
        "plan.median_hours": "Median business hours to contact",
        "plan.breaches": "Breaches",
        "plan.record": "Record",
        "plan.mql_at": "Became MQL",
        "plan.contacted_at": "Contacted",
        "plan.hours": "Business hours",
        "plan.feedback": "Sales feedback by channel",
        "plan.accepted": "Accepted",
        "plan.rejected": "Rejected",
        "plan.recycled": "Recycled",
        "plan.velocity": "Pipeline velocity",
        "plan.opportunities": "Opportunities",
        "plan.win_rate": "Win rate",
        "plan.deal_value": "Deal value",
        "plan.cycle_days": "Cycle (days)",
        "plan.per_day": "Value per day",
    },
    "zh-CN": {
        "nav.plan": "年度计划",
        "nav.plan_calendar": "计划日历",
        "plan.none": "还没有计划文件。",
        "plan.invalid": "计划文件有问题：",
        "plan.year": "年度",
        "plan.budget": "预算",
        "plan.goals": "目标",
        "plan.goal": "目标",
        "plan.goal_id": "编号",
        "plan.kpi": "指标",
        "plan.target": "目标值",
        "plan.deadline": "截止日期",
        "plan.owner": "负责人",
        "plan.pva": "计划与实际",
        "plan.pva_none": "还没有可对比的结构化目标或活动预算明细。",
        "plan.pva_nodata": "还没有数据仓库：导入数据后即可对比计划与实际。",
        "plan.as_of": "截至",
        "plan.actual": "实际",
        "plan.expected": "应达进度",
        "plan.pace": "进度比",
        "plan.projected": "预计全期",
        "plan.status": "状态",
        "plan.period": "期间",
        "plan.status.on_track": "正常",
        "plan.status.ahead": "超前",
        "plan.status.behind": "落后",
        "plan.status.over": "超支",
        "plan.status.under": "欠投",
        "plan.status.not_started": "未开始",
        "plan.status.no_data": "无数据",
        "plan.clusters": "主题集群",
        "plan.pillar": "支柱主题",
        "plan.subtopics": "子主题",
        "plan.matrix": "内容矩阵",
        "plan.persona": "人群",
        "plan.items": "条数",
        "plan.raci": "负责人与 RACI",
        "plan.task": "任务",
        "plan.campaign": "活动",
        "plan.R": "执行 (R)",
        "plan.A": "负责 (A)",
        "plan.C": "咨询 (C)",
        "plan.I": "知会 (I)",
        "plan.calendar": "日历",
        "plan.peaks_only": "{year} 年零售节点",
        "plan.kind": "类型",
        "plan.name": "名称",
        "plan.start": "开始",
        "plan.end": "结束",
        "plan.kind.retail_peak": "零售节点",
        "plan.kind.campaign": "营销活动",
        "plan.kind.content": "内容",
        "plan.kind.flight": "投放排期",
        "plan.goal_ids": "目标",
        "nav.plan_handoff": "线索交接",
        "plan.stages": "生命周期阶段",
        "plan.entered": "进入人数",
        "plan.current": "当前人数",
        "plan.conversion": "阶段转化",
        "plan.transition": "转化环节",
        "plan.rate": "转化率",
        "plan.converted": "转化人数",
        "plan.median_days": "阶段停留中位天数",
        "plan.sla": "MQL → SQL 服务时限 (SLA)",
        "plan.sla_hours": "允许的工作小时",
        "plan.handoffs": "交接数",
        "plan.within": "按时跟进",
        "plan.breached": "超时",
        "plan.pending": "待跟进",
        "plan.breach_rate": "超时率",
        "plan.median_hours": "首次跟进中位工作小时",
        "plan.breaches": "超时明细",
        "plan.record": "记录",
        "plan.mql_at": "成为 MQL",
        "plan.contacted_at": "首次跟进",
        "plan.hours": "工作小时",
        "plan.feedback": "销售反馈（按渠道）",
        "plan.accepted": "接受",
        "plan.rejected": "拒绝",
        "plan.recycled": "退回培育",
        "plan.velocity": "管道速度",
        "plan.opportunities": "商机数",
        "plan.win_rate": "赢单率",
        "plan.deal_value": "平均成交额",
        "plan.cycle_days": "周期（天）",
        "plan.per_day": "每日管道价值",
    },
}
for _loc, _table in STRINGS.items():
    CATALOG[_loc].update(_table)


def plan_path(workspace: Path) -> Path:
    """Where the dashboard looks for the workspace's plan: ``DIR/plan.toml``."""
    return Path(workspace) / PLAN_FILE


def _load(workspace: Path) -> tuple[Plan | None, str | None]:
    path = plan_path(workspace)
    if not path.is_file():
        return None, None
    try:
        return load_plan(path), None
    except OmnimixError as exc:
        return None, str(exc)


def plan_targets(plan: Plan) -> list[Target]:
    """Targets the plan file states itself: structured goals and campaign budget lines with a channel."""
    out = []
    for g in plan.goals:
        if g.kpi in METRICS and g.target is not None:
            end = g.deadline or plan.plan.end
            if end >= plan.plan.start:
                out.append(Target(g.kpi, plan.plan.start, end, float(g.target), None, g.id))
    for c in plan.campaigns:
        by_channel: dict[str, float] = {}
        for line in c.budget_lines:
            if line.channel:
                by_channel[line.channel] = by_channel.get(line.channel, 0.0) + line.amount
        for ch, amount in by_channel.items():
            out.append(Target("spend", c.start, c.end, amount, ch, c.id))
    return out


def _pva(c: Any, plan: Plan, zh: bool) -> tuple[list[dict[str, Any]], str | None, str | None]:
    targets = plan_targets(plan)
    if not targets:
        return [], None, "plan.pva_none"
    if not c.warehouse.exists():
        return [], None, "plan.pva_nodata"
    as_of = min(date.today(), max(t.end for t in targets))
    with c.warehouse.cursor() as con:
        res = plan_vs_actual(con, targets, as_of=as_of)
    rows = []
    for r in res.to_frame().to_dict("records"):
        row = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()}
        row["label"] = METRICS[r["metric"]].zh if zh else METRICS[r["metric"]].en
        rows.append(row)
    return rows, as_of.isoformat(), None


@router.get("/plan", response_class=HTMLResponse)
def plan_page(request: Request, c: Ctx, p: PageViewer) -> HTMLResponse:
    plan, problem = _load(c.workspace)
    ctxd: dict[str, Any] = {"active": "plan", "plan": plan, "problem": problem,
                            "plan_file": str(plan_path(c.workspace))}
    if plan is not None:
        rows, as_of, note = _pva(c, plan, locale_of(request, c) == "zh-CN")
        raci = raci_table(plan)
        matrix = content_matrix(plan)
        fmt = formatter(request, c)
        ctxd.update(
            matrix_gaps=matrix_gaps(matrix, FUNNEL_STAGES, [pe.id for pe in plan.personas], fmt),
            metric_label=lambda k: (METRICS[k].zh if fmt.locale == "zh-CN" else METRICS[k].en) if k in METRICS else k,
            pva=rows, as_of=as_of, pva_note=note, clusters=topic_clusters(plan, locale=locale_of(request, c)),
            matrix=matrix, raci=raci, raci_problems=check_raci(raci, locale_of(request, c)),
        )
    return render(request, c, p, "plan.html", "nav.plan", **ctxd)


@router.get("/plan/calendar", response_class=HTMLResponse)
def plan_calendar_page(request: Request, c: Ctx, p: PageViewer) -> HTMLResponse:
    loc = locale_of(request, c)
    plan, problem = _load(c.workspace)
    year = plan.plan.year if plan is not None else date.today().year
    entries: list[CalendarEntry]
    if plan is not None:
        entries = plan_calendar(plan, lang=loc)
    else:
        entries = [peak_entry(pk, loc) for pk in retail_peaks(year)]
    return render(
        request, c, p, "calendar.html", "nav.plan_calendar", active="plan", charts=True, plan=plan,
        problem=problem, plan_file=str(plan_path(c.workspace)), year=year, entries=entries,
        gantt=_gantt(entries, formatter(request, c)),
    )


def _gantt(entries: list[CalendarEntry], fmt: Formatter) -> dict[str, Any]:
    """:func:`gantt_figure` with its hover texts in the page's language: dates, channel display names,
    goal ids and the amount in the workspace currency."""
    fig = gantt_figure(entries, fmt.locale)
    kinds = [k for k in KINDS if any(e.kind == k for e in entries)]
    sep = "、" if fmt.locale == "zh-CN" else ", "
    for trace, kind in zip(fig["data"], kinds, strict=True):
        texts = []
        for e in (x for x in entries if x.kind == kind):
            parts = [fmt.channel(e.name) if kind == "flight" else e.name, f"{fmt.date(e.start)} – {fmt.date(e.end)}"]
            if e.channels and kind != "flight":
                parts.append(sep.join(fmt.channel(ch) for ch in e.channels))
            if e.goal_ids:
                parts.append(f"{fmt.t('plan.goal_ids')}: {sep.join(e.goal_ids)}")
            if e.amount is not None:
                parts.append(fmt.money(e.amount))
            texts.append("<br>".join(parts))
        trace["text"] = texts
    fig["layout"]["xaxis"] = {**fig["layout"].get("xaxis", {}), **date_axis(fmt)}
    return fig


#: Breaches listed on the hand-off page (the count covers all of them).
MAX_BREACHES = 50


@router.get("/plan/handoff", response_class=HTMLResponse)
def plan_handoff_page(request: Request, c: Ctx, p: PageViewer) -> HTMLResponse:
    from omnimix.lifecycle import lifecycle_report

    report: dict[str, Any] | None = None
    problem = None
    if c.warehouse.exists():
        try:
            report = c.warehouse.cached(("plan_handoff",), lambda: lifecycle_report(c.ws).to_json())
        except OmnimixError as exc:
            problem = str(exc)
    fmt = formatter(request, c)
    if problem is not None:
        problem = lifecycle_problem(problem, fmt)
    return render(request, c, p, "handoff.html", "nav.plan_handoff", active="plan", report=report,
                  problem=problem, max_breaches=MAX_BREACHES, stage_name=lambda k: fmt.name("lifecycle", k))
