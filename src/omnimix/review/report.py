"""The review's files: one HTML page (plotly embedded, opens offline) and one Excel workbook per language.

The report logic is in :mod:`omnimix.review.workflow` (the document); this module only lays it out
(labels in zh-CN and en, two charts, the sheets).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

from omnimix.formatting import spreadsheet_safe

_TEMPLATES = Path(__file__).parent / "templates"
LANGS = ("zh-CN", "en")

_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Measure–Learn–Optimize review", "period": "Period", "previous": "compared with",
        "generated": "generated", "decisions": "Decisions by channel", "channel": "Channel",
        "decision": "Decision", "reason": "Reason", "mroi": "Marginal ROI", "interval": "interval",
        "threshold": "threshold", "spend": "Spend", "weekly": "per week", "pace": "Pace vs plan",
        "kpis": "KPIs against plan", "metric": "KPI", "current": "This period", "prev": "Previous period",
        "change": "Change", "target": "Target", "status": "Status", "what_changed": "What changed and why",
        "part": "Driver", "effect": "Effect on revenue", "media": "Media", "baseline": "Baseline (trend, level)",
        "seasonality": "Seasonality and events", "unexplained": "Unexplained (noise, unmodelled drivers)",
        "kpi_prev": "Revenue, previous period", "kpi_cur": "Revenue, this period",
        "no_change": "No decomposition: no MMM fit covers both periods (see the model advice).",
        "experiments": "Experiments to run next", "window": "Window", "expected_lift": "Expected lift",
        "lift_sd": "Test error (sd)", "cost": "Cost at stake", "sd_after": "Budget-ROI sd after",
        "no_experiments": "No experiment plan: the experiment planner needs an MMM fit.",
        "advice": "The model: refresh or rebuild?", "action": "Advice",
        "history": "Last period's decisions and what followed",
        "then": "Decided", "followed": "Followed", "outcome": "What followed", "no_history":
        "No decisions recorded for the previous period.", "plan": "plan", "none": "—",
        "yes": "yes", "no": "no", "mroi_chart": "Marginal ROI at this period's spend (interval) against the threshold",
        "change_chart": "Revenue change decomposed",
        "scale": "scale", "hold": "hold", "cut": "cut", "test": "test",
        "fit": "fit a model", "keep": "keep", "refresh": "refresh", "rebuild": "rebuild",
        "on_track": "on track", "ahead": "ahead", "behind": "behind", "over": "over", "under": "under",
        "not_started": "not started", "no_data": "no data",
        "spend_m": "Spend", "revenue_m": "Revenue", "conversions_m": "Conversions", "new_customers_m": "New customers",
        "mer_m": "MER (revenue / spend)", "cac_m": "CAC", "aov_m": "Average order value",
        "sheet_decisions": "decisions", "sheet_kpis": "kpis", "sheet_change": "change", "sheet_experiments":
        "experiments", "sheet_advice": "model advice", "sheet_history": "history",
    },
    "zh-CN": {
        "title": "衡量–学习–优化 复盘", "period": "周期", "previous": "对比",
        "generated": "生成于", "decisions": "各渠道决策", "channel": "渠道",
        "decision": "决策", "reason": "理由", "mroi": "边际ROI", "interval": "区间",
        "threshold": "阈值", "spend": "花费", "weekly": "每周", "pace": "相对计划进度",
        "kpis": "KPI 对比计划", "metric": "KPI", "current": "本期", "prev": "上期",
        "change": "变化", "target": "目标", "status": "状态", "what_changed": "变化了什么、为什么",
        "part": "驱动因素", "effect": "对收入的影响", "media": "媒体", "baseline": "基线（趋势、水平）",
        "seasonality": "季节性与大促", "unexplained": "未解释部分（噪声、未建模因素）",
        "kpi_prev": "上期收入", "kpi_cur": "本期收入",
        "no_change": "无法分解：没有覆盖两个周期的 MMM 拟合（见模型建议）。",
        "experiments": "下一步要做的实验", "window": "窗口", "expected_lift": "预期增量",
        "lift_sd": "实验误差（标准差）", "cost": "涉及花费", "sd_after": "实验后预算ROI标准差",
        "no_experiments": "没有实验计划：实验规划需要 MMM 拟合。",
        "advice": "模型：刷新还是重建？", "action": "建议", "history": "上期决策及其后续",
        "then": "当时决策", "followed": "是否执行", "outcome": "后续结果", "no_history": "上期没有记录的决策。",
        "plan": "计划", "none": "—", "yes": "是", "no": "否",
        "mroi_chart": "本期花费下的边际ROI（区间）与阈值", "change_chart": "收入变化分解",
        "scale": "加投", "hold": "维持", "cut": "削减", "test": "测试",
        "fit": "拟合模型", "keep": "保持", "refresh": "刷新", "rebuild": "重建",
        "on_track": "正常", "ahead": "领先", "behind": "落后", "over": "超出", "under": "不足",
        "not_started": "未开始", "no_data": "无数据",
        "spend_m": "花费", "revenue_m": "收入", "conversions_m": "转化数", "new_customers_m": "新客数",
        "mer_m": "营销效率比（收入/花费）", "cac_m": "获客成本", "aov_m": "客单价",
        "sheet_decisions": "决策", "sheet_kpis": "KPI", "sheet_change": "变化分解", "sheet_experiments": "实验",
        "sheet_advice": "模型建议", "sheet_history": "历史",
    },
}


def labels(lang: str) -> dict[str, str]:
    """The report's labels in ``lang`` (``zh-CN`` or ``en``)."""
    return _LABELS["zh-CN" if lang == "zh-CN" else "en"]


def _num(v: Any, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    return f"{float(v):,.{digits}f}"


def _pct(v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    return f"{float(v):+.1%}"


def mroi_figure(doc: dict[str, Any], lang: str) -> dict[str, Any]:
    """Plotly figure (dict): each channel's marginal-ROI interval, coloured by decision, and the threshold."""
    L = labels(lang)
    colours = {"scale": "#2ca02c", "hold": "#1f77b4", "cut": "#d62728", "test": "#ff7f0e"}
    rows = [d for d in doc["decisions"] if d.get("mroi")]
    data = []
    for dec in ("scale", "hold", "cut", "test"):
        part = [d for d in rows if d["decision"] == dec]
        if not part:
            continue
        data.append({"type": "scatter", "mode": "markers", "name": L[dec],
                     "marker": {"color": colours[dec], "size": 10},
                     "x": [d["mroi"]["mean"] for d in part], "y": [d["channel"] for d in part],
                     "error_x": {"type": "data", "symmetric": False,
                                 "array": [d["mroi"]["hi"] - d["mroi"]["mean"] for d in part],
                                 "arrayminus": [d["mroi"]["mean"] - d["mroi"]["lo"] for d in part]}})
    t = float(doc["threshold"])
    return {"data": data, "layout": {
        "title": {"text": L["mroi_chart"]}, "height": 120 + 40 * max(len(rows), 1),
        "xaxis": {"title": {"text": L["mroi"]}, "rangemode": "tozero"},
        "shapes": [{"type": "line", "x0": t, "x1": t, "yref": "paper", "y0": 0, "y1": 1,
                    "line": {"dash": "dash", "color": "#555"}}],
        "margin": {"l": 110, "r": 20, "t": 50, "b": 50}}}


def change_figure(doc: dict[str, Any], lang: str) -> dict[str, Any] | None:
    """Plotly waterfall (dict): previous revenue → media, baseline, seasonality, unexplained → this period."""
    ch = doc.get("change")
    if not ch:
        return None
    L = labels(lang)
    parts = ch["parts"]
    return {"data": [{
        "type": "waterfall", "orientation": "v",
        "measure": ["absolute", "relative", "relative", "relative", "relative", "total"],
        "x": [L["kpi_prev"], L["media"], L["baseline"], L["seasonality"], L["unexplained"], L["kpi_cur"]],
        "y": [ch["kpi_previous"], parts["media"]["mean"], parts["baseline"]["mean"], parts["seasonality"]["mean"],
              ch["unexplained"], ch["kpi_current"]]}],
        "layout": {"title": {"text": L["change_chart"]}, "height": 380, "showlegend": False,
                   "margin": {"l": 60, "r": 20, "t": 50, "b": 80}}}


def _json(fig: Any) -> str:
    return json.dumps(fig, ensure_ascii=False, allow_nan=False, separators=(",", ":")).replace("</", "<\\/")


def render_html(doc: dict[str, Any], lang: str) -> str:
    """The review as one HTML page in ``lang``."""
    import jinja2
    from plotly.offline import get_plotlyjs

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    cf = change_figure(doc, lang)
    return env.get_template("review.html").render(
        L=labels(lang), lang=lang, doc=doc, zh=lang == "zh-CN", num=_num, pct=_pct,
        generated=f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC", plotly_js=get_plotlyjs(),
        mroi_json=_json(mroi_figure(doc, lang)), change_json=_json(cf) if cf else None)


def _sheets(doc: dict[str, Any], lang: str) -> dict[str, tuple[list[str], list[list[Any]]]]:
    L = labels(lang)
    rk = "reason_zh" if lang == "zh-CN" else "reason_en"
    out: dict[str, tuple[list[str], list[list[Any]]]] = {}
    out[L["sheet_decisions"]] = (
        [L["channel"], L["decision"], f"{L['mroi']} mean", f"{L['mroi']} lo", f"{L['mroi']} hi", L["threshold"],
         f"{L['spend']} {L['weekly']}", L["pace"], L["reason"]],
        [[d["channel"], L[d["decision"]], *((d["mroi"] or {}).get(k) for k in ("mean", "lo", "hi")), d["threshold"],
          d["weekly_spend"], (d.get("pacing") or {}).get("pace"), d[rk]] for d in doc["decisions"]])
    out[L["sheet_kpis"]] = (
        [L["metric"], L["current"], L["prev"], L["change"], L["target"], L["pace"], L["status"]],
        [[L.get(f"{r['metric']}_m", r["metric"]), r["current"], r["previous"], r["change_pct"], r["target"], r["pace"],
          L.get(r["status"] or "", r["status"])] for r in doc["kpis"]])
    ch = doc.get("change")
    rows: list[list[Any]] = []
    if ch:
        rows.append([L["kpi_prev"], ch["kpi_previous"], None, None])
        for k in ("media", "baseline", "seasonality"):
            p = ch["parts"][k]
            rows.append([L[k], p["mean"], p["lo"], p["hi"]])
        for c, p in ch["channels"].items():
            rows.append([f"  {L['media']}: {c}", p["mean"], p["lo"], p["hi"]])
        rows.append([L["unexplained"], ch["unexplained"], None, None])
        rows.append([L["kpi_cur"], ch["kpi_current"], None, None])
    else:
        rows.append([L["no_change"], None, None, None])
    out[L["sheet_change"]] = ([L["part"], L["effect"], "lo", "hi"], rows)
    out[L["sheet_experiments"]] = (
        [L["channel"], "start", "end", L["expected_lift"], L["lift_sd"], L["cost"], L["sd_after"]],
        [[e["channel"], e["start"], e["end"], e["expected_lift"], e["lift_sd"], e["cost"], e["sd_after"]]
         for e in doc["experiments"]])
    adv = doc["advice"]
    out[L["sheet_advice"]] = ([L["action"], L["reason"]],
                              [[L[adv["action"]], r] for r in adv["reasons_zh" if lang == "zh-CN" else "reasons_en"]])
    ok = "outcome_zh" if lang == "zh-CN" else "outcome_en"
    out[L["sheet_history"]] = (
        [L["channel"], L["then"], L["followed"], L["outcome"]],
        [[h["channel"], L[h["decision"]], L["yes"] if h["followed"] else L["no"], h[ok]] for h in doc["history"]])
    return out


def write_workbook(path: Path, doc: dict[str, Any], lang: str) -> Path:
    """The review as an Excel workbook in ``lang`` (one sheet per section)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    first = True
    for name, (head, rows) in _sheets(doc, lang).items():
        sh = wb.active if first else wb.create_sheet()
        assert sh is not None
        first = False
        sh.title = name[:31]
        sh.append(head)
        for cell in sh[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sh.append([spreadsheet_safe(v) for v in row])
        sh.freeze_panes = "A2"
    wb.save(path)
    return path


def write_report(doc: dict[str, Any], out: Path, langs: tuple[str, ...]) -> list[Path]:
    """Write ``review-PERIOD.LANG.html`` and ``review-PERIOD.LANG.xlsx`` per language under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for lang in langs:
        html = out / f"review-{doc['period']}.{lang}.html"
        html.write_text(render_html(doc, lang), encoding="utf-8")
        files.append(html)
        files.append(write_workbook(out / f"review-{doc['period']}.{lang}.xlsx", doc, lang))
    return files
