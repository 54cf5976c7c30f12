"""Exports of a built plan: an Excel workbook, an iCalendar file and one self-contained HTML page.

:func:`write_plan_files` writes all three into a folder (``plan.xlsx``, ``plan.ics``, ``plan.html``) and
returns their paths. Each writer takes the plan (:class:`omnimix.plan.spec.Plan`) and the built plan's
JSON document — the ``omnimix plan build --json`` object with ``budget`` (``total``, ``reserve``,
``channels``), ``quarters``, ``goals`` and optionally ``months`` / ``cascade`` — or any object with a
``to_json()`` method that returns it.

* the workbook (openpyxl) has the sheets ``goals``, ``cascade``, ``budget``, ``calendar``, ``RACI`` and
  ``content`` (plus ``topic clusters``);
* the ``.ics`` (the ``icalendar`` package) has one all-day ``VEVENT`` per campaign and per retail peak
  of the plan year, with stable UIDs so a re-import updates instead of duplicating;
* the HTML page (Jinja2, ``templates/plan.html`` beside this module) embeds plotly.js and the Gantt
  chart, so it opens offline.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from omnimix.errors import UsageError
from omnimix.plan.calendar import CalendarEntry, gantt_figure, plan_calendar
from omnimix.plan.content import content_matrix, topic_clusters
from omnimix.plan.raci import check_raci, raci_table

_TEMPLATES = Path(__file__).parent / "templates"
FILES = ("plan.xlsx", "plan.ics", "plan.html")
SHEETS = ("goals", "cascade", "budget", "calendar", "RACI", "content", "topic clusters")


def build_document(build: Any) -> dict[str, Any]:
    """The built plan as a JSON mapping (``build.to_json()`` or the mapping itself)."""
    if hasattr(build, "to_json"):
        doc = build.to_json()
    elif isinstance(build, Mapping):
        doc = build
    else:
        raise UsageError(f"build: {type(build).__name__} has no to_json(); pass a PlanBuild or its JSON mapping.")
    if not isinstance(doc, Mapping):
        raise UsageError("build.to_json() did not return a mapping.")
    return dict(doc)


def _cell(v: Any) -> Any:
    """A value Excel can hold: numbers, text, dates and booleans as they are; the rest as JSON text."""
    if v is None or isinstance(v, bool | int | float | str | dt.date):
        return v
    if isinstance(v, list | tuple) and all(isinstance(x, str | int | float) for x in v):
        return ", ".join(str(x) for x in v)
    return json.dumps(v, ensure_ascii=False, default=str)


def flatten(tree: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Leaves of a nested mapping as ``(key path, value)`` pairs, in document order."""
    if isinstance(tree, Mapping):
        out: list[tuple[tuple[str, ...], Any]] = []
        for k, v in tree.items():
            out += flatten(v, (*prefix, str(k)))
        return out
    return [(prefix, tree)]


def _mapping(v: Any) -> dict[str, Any]:
    return dict(v) if isinstance(v, Mapping) else {}


def _cascade_tree(doc: Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(doc.get("cascade"), Mapping):
        return dict(doc["cascade"])
    return {k: doc[k] for k in ("quarters", "months") if k in doc}


def _goal_rows(doc: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    goals = [g for g in doc.get("goals", []) if isinstance(g, Mapping)]
    head = ["id", "statement", "kpi", "baseline", "target", "deadline", "owner", "parent"]
    extra = [k for g in goals for k in g if k not in head and k not in ("smart", "problems")]
    head += list(dict.fromkeys(extra))
    crit = ("specific", "measurable", "achievable", "relevant", "time_bound")
    rows = []
    for g in goals:
        smart = _mapping(g.get("smart"))
        rows.append([_cell(g.get(k)) for k in head] + [_cell(smart.get(c)) for c in crit]
                    + ["; ".join(str(p) for p in g.get("problems", []) or [])])
    return head + [f"smart.{c}" for c in crit] + ["problems"], rows


def write_workbook(path: str | Path, plan: Any, build: Any, calendar: Sequence[CalendarEntry] | None = None) -> Path:
    """Write ``plan.xlsx`` with the sheets of :data:`SHEETS`; returns the path."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    doc = build_document(build)
    entries = list(calendar) if calendar is not None else plan_calendar(plan)
    wb = Workbook()
    sheets: dict[str, tuple[list[str], list[list[Any]]]] = {}
    sheets["goals"] = _goal_rows(doc)
    leaves = flatten(_cascade_tree(doc))
    depth = max((len(p) for p, _ in leaves), default=1)
    sheets["cascade"] = ([f"level{i + 1}" for i in range(depth)] + ["value"],
                         [[*p, *[None] * (depth - len(p)), _cell(v)] for p, v in leaves])
    budget = _mapping(doc.get("budget"))
    chans = _mapping(budget.get("channels"))
    brows: list[list[Any]] = [[ch, _cell(v)] for ch, v in chans.items()]
    brows += [["reserve", _cell(budget.get("reserve"))], ["total", _cell(budget.get("total"))]]
    sheets["budget"] = (["channel", "amount"], brows)
    sheets["calendar"] = (["kind", "key", "name", "start", "end", "channels", "goal_ids", "owner", "amount", "status"],
                          [[e.kind, e.key, e.name, e.start, e.end, ", ".join(e.channels), ", ".join(e.goal_ids),
                            e.owner, e.amount, e.status] for e in entries])
    raci = raci_table(plan)
    problems = check_raci(raci)
    sheets["RACI"] = (["campaign", "task", "responsible", "accountable", "consulted", "informed", "row"],
                      [[r.campaign, r.task, ", ".join(r.responsible), ", ".join(r.accountable),
                        ", ".join(r.consulted), ", ".join(r.informed), r.where] for r in raci]
                      + [["problem", p, None, None, None, None, None] for p in problems])
    sheets["content"] = (["id", "title", "pillar", "cluster", "stage", "persona", "channel", "status", "start", "end",
                          "goal_ids", "campaign", "owner"],
                         [[i.id, i.title, i.pillar, i.cluster, i.stage, i.persona, i.channel, i.status, i.start,
                           i.end, ", ".join(i.goal_ids), i.campaign, i.owner] for i in plan.content])
    clusters = topic_clusters(plan)
    sheets["topic clusters"] = (["pillar", "pillar_pages", "subtopics", "n_subtopics", "items"],
                                [[c.pillar, ", ".join(c.pillar_pages), ", ".join(c.subtopics), len(c.subtopics),
                                  ", ".join(c.items)] for c in clusters.clusters]
                                + [["warning", w, None, None, None] for w in clusters.warnings])
    first = True
    for name in SHEETS:
        ws = wb.active if first else wb.create_sheet()
        assert ws is not None
        first = False
        ws.title = name
        head, rows = sheets[name]
        ws.append(head)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append(row)
        ws.freeze_panes = "A2"
    p = Path(path)
    wb.save(p)
    return p


def calendar_ics(entries: Sequence[CalendarEntry], name: str = "plan", stamp: dt.datetime | None = None,
                 kinds: Sequence[str] = ("campaign", "retail_peak")) -> bytes:
    """An iCalendar document with one all-day event per entry of ``kinds`` (``DTEND`` exclusive)."""
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", "-//omnimix//plan//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    when = stamp or dt.datetime.now(dt.UTC)
    for e in entries:
        if e.kind not in kinds:
            continue
        ev = icalendar.Event()
        ev.add("uid", f"{e.kind}-{e.key or e.name}-{e.start.isoformat()}@omnimix")
        ev.add("dtstamp", when)
        ev.add("summary", e.name)
        ev.add("dtstart", e.start)
        ev.add("dtend", e.end + dt.timedelta(days=1))
        ev.add("categories", [e.kind])
        desc = []
        if e.channels:
            desc.append("channels: " + ", ".join(e.channels))
        if e.goal_ids:
            desc.append("goals: " + ", ".join(e.goal_ids))
        if e.owner:
            desc.append("owner: " + e.owner)
        if e.amount is not None:
            desc.append(f"budget: {e.amount:,.2f}")
        if desc:
            ev.add("description", "\n".join(desc))
        ev.add("transp", "TRANSPARENT")
        cal.add_component(ev)
    out: bytes = cal.to_ical()
    return out


def write_ics(path: str | Path, plan: Any, calendar: Sequence[CalendarEntry] | None = None,
              stamp: dt.datetime | None = None) -> Path:
    """Write ``plan.ics`` (campaigns and retail peaks of the plan year); returns the path."""
    entries = list(calendar) if calendar is not None else plan_calendar(plan)
    p = Path(path)
    p.write_bytes(calendar_ics(entries, name=str(plan.plan.name), stamp=stamp))
    return p


_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "budget": "Budget", "channel": "Channel", "amount": "Amount", "reserve": "Test reserve", "total": "Total",
        "goals": "Goals", "kpi": "KPI", "target": "Target", "deadline": "Deadline", "problems": "Problems",
        "cascade": "Cascade", "calendar": "Calendar", "name": "Name", "start": "Start", "end": "End",
        "channels": "Channels", "goal_ids": "Goals", "kind": "Kind", "raci": "Owners and RACI", "task": "Task",
        "campaign": "Campaign", "R": "Responsible", "A": "Accountable", "C": "Consulted", "I": "Informed",
        "content": "Content", "clusters": "Topic clusters", "pillar": "Pillar", "subtopics": "Subtopics",
        "warnings": "Warnings", "matrix": "Content matrix", "stage": "Stage", "persona": "Persona",
        "count": "Items", "gaps": "Gaps", "year": "Year", "generated": "Generated",
        "retail_peak": "retail peak", "content_kind": "content", "campaign_kind": "campaign", "flight": "flight",
        "footer": "Made by omnimix. Works offline (plotly.js is embedded).",
    },
    "zh": {
        "budget": "预算", "channel": "渠道", "amount": "金额", "reserve": "测试储备", "total": "合计",
        "goals": "目标", "kpi": "指标", "target": "目标值", "deadline": "截止", "problems": "问题",
        "cascade": "目标分解", "calendar": "日历", "name": "名称", "start": "开始", "end": "结束",
        "channels": "渠道", "goal_ids": "目标", "kind": "类型", "raci": "负责人与 RACI", "task": "任务",
        "campaign": "活动", "R": "执行 (R)", "A": "负责 (A)", "C": "咨询 (C)", "I": "知会 (I)",
        "content": "内容", "clusters": "主题集群", "pillar": "支柱", "subtopics": "子主题",
        "warnings": "提醒", "matrix": "内容矩阵", "stage": "阶段", "persona": "人群",
        "count": "条数", "gaps": "空缺", "year": "年度", "generated": "生成于",
        "retail_peak": "零售节点", "content_kind": "内容", "campaign_kind": "活动", "flight": "投放",
        "footer": "由 omnimix 生成。可离线查看（已内嵌 plotly.js）。",
    },
}


def html_labels(lang: str) -> dict[str, str]:
    return _LABELS["zh" if lang.lower().startswith("zh") else "en"]


def render_html(plan: Any, build: Any, calendar: Sequence[CalendarEntry] | None = None, lang: str = "zh-CN",
                generated: dt.datetime | None = None) -> str:
    """The plan as one HTML page (plotly.js embedded: opens offline)."""
    import jinja2
    from plotly.offline import get_plotlyjs

    doc = build_document(build)
    entries = list(calendar) if calendar is not None else plan_calendar(plan, lang=lang)
    budget = _mapping(doc.get("budget"))
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    gantt = json.dumps(gantt_figure(entries, lang), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    when = generated or dt.datetime.now(dt.UTC)
    locale = "zh-CN" if lang.lower().startswith("zh") else "en"
    raci = raci_table(plan)
    return env.get_template("plan.html").render(
        L=html_labels(lang),
        lang=locale,
        plan=plan,
        budget=budget,
        channels=_mapping(budget.get("channels")),
        goals=[g for g in doc.get("goals", []) if isinstance(g, Mapping)],
        cascade=[(" / ".join(p), v) for p, v in flatten(_cascade_tree(doc))],
        entries=entries,
        raci=raci,
        raci_problems=check_raci(raci, locale),
        clusters=topic_clusters(plan, locale=locale),
        matrix=content_matrix(plan),
        money=_money,
        generated=f"{when:%Y-%m-%d %H:%M} UTC",
        plotly_js=get_plotlyjs(),
        gantt_json=gantt.replace("</", "<\\/"),
    )


def _money(v: Any) -> str:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return f"{v:,.0f}"
    return "—" if v is None else str(v)


def write_html(path: str | Path, plan: Any, build: Any, calendar: Sequence[CalendarEntry] | None = None,
               lang: str = "zh-CN") -> Path:
    p = Path(path)
    p.write_text(render_html(plan, build, calendar, lang), encoding="utf-8")
    return p


def write_plan_files(build: Any, plan: Any, out_dir: str | Path, *, lang: str | None = None,
                     calendar: Sequence[CalendarEntry] | None = None) -> list[Path]:
    """Write ``plan.xlsx``, ``plan.ics`` and ``plan.html`` into ``out_dir`` (created); returns the paths.

    Args:
        build: the built plan (``PlanBuild`` or its ``to_json()`` mapping).
        plan: the plan file's model.
        out_dir: the folder.
        lang: the HTML page's language (default ``[calendar] lang``, else ``zh-CN``).
        calendar: the calendar entries (default :func:`omnimix.plan.calendar.plan_calendar`).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    settings = plan.calendar if isinstance(getattr(plan, "calendar", None), dict) else {}
    language = lang or str(settings.get("lang", "zh-CN"))
    entries = list(calendar) if calendar is not None else plan_calendar(plan, lang=language)
    return [
        write_workbook(out / FILES[0], plan, build, entries),
        write_ics(out / FILES[1], plan, entries),
        write_html(out / FILES[2], plan, build, entries, language),
    ]
