"""Words and number formats of the MMM report, in English and Simplified Chinese (``en``, ``zh-CN``).

The report is written by the ``mmm`` stage, which sits below the dashboard and cannot import
:mod:`omnimix.web.i18n`; this module follows the same conventions (the same locale names, the same
``normalize``-then-fall-back-to-English lookup, thousands separators in both languages, 万/亿 for compact
figures in Chinese and K/M/B in English, the same currency symbols) for the report's own strings.

Numbers are rounded for reading: :meth:`ReportFormatter.sig` keeps three significant digits for ratios
(``2.83``, ``0.456``, ``12.3``), amounts keep their integer part with thousands separators, and compact
amounts keep three significant digits (``3.77M``, ``376.7万``). Nothing prints float noise such as
``0.30000000000000004``.
"""

from __future__ import annotations

import math
from typing import Any

from omnimix.errors import UsageError
from omnimix.formatting import compact_unit, currency_symbol, finite, format_date

LOCALES: tuple[str, ...] = ("en", "zh-CN")
DEFAULT_LOCALE = "en"


CATALOG: dict[str, dict[str, str]] = {
    "en": {
        "title": "Marketing mix model report",
        "generated": "Generated",
        "mode.nuts": "full posterior (NUTS)",
        "mode.map": "MAP + Laplace (approximate intervals)",
        "verdict.passed": "Review passed",
        "verdict.failed": "Review FAILED — do not act on these numbers",
        "health": "Health score",
        "health.absent": "not recorded: this fit was saved before health scores existed; refit to get one",
        "interval.note": "Brackets hold central 90% posterior intervals.",
        "sec.headline": "Headline",
        "sec.shares": "Spend share vs effect share",
        "sec.waterfall": "Contribution waterfall",
        "sec.roi": "ROI and marginal ROI",
        "sec.curves": "Response curves",
        "sec.adstock": "Adstock (carry-over)",
        "sec.fit": "Fit and residuals",
        "sec.health": "Health checks",
        "sec.budget": "Budget: what the optimizer suggests at the current budget",
        "sec.channels": "Channels",
        "h.period": "Period",
        "h.periods": "Periods",
        "h.weeks": "weeks",
        "h.days": "days",
        "h.currency": "Currency",
        "h.currency.unknown": "not recorded (the spend units of the data)",
        "h.kpi_total": "Total KPI",
        "h.kpi_type": "KPI",
        "kpi.revenue": "revenue in the currency of spend (ROI is ROAS)",
        "kpi.count": "a count (conversions, orders …): ROI is KPI per unit of spend",
        "kpi.unknown": "units not stated: ROI is KPI per unit of spend",
        "h.spend_total": "Total spend",
        "h.media_total": "Media contribution",
        "h.media_share": "Media share of KPI",
        "h.baseline": "Baseline",
        "h.media_roi": "Media ROI (all channels)",
        "h.channels": "Channels",
        "h.model": "Inference",
        "h.experiments": "Lift tests used",
        "h.geos": "Geos",
        "h.national": "national",
        "col.channel": "Channel",
        "col.spend": "Spend",
        "col.spend_share": "Spend share",
        "col.effect_share": "Effect share",
        "col.contribution": "Contribution",
        "col.kpi_share": "Share of KPI",
        "col.roi": "ROI",
        "col.mroi": "Marginal ROI",
        "col.identification": "Identified",
        "col.status": "Status",
        "col.check": "Check",
        "col.value": "Value",
        "col.threshold": "Threshold",
        "col.result": "Result",
        "col.message": "Detail",
        "col.current": "Current",
        "col.planned": "Planned",
        "col.change": "Change",
        "col.mroi_current": "Marginal ROI now",
        "col.mroi_planned": "Marginal ROI at plan",
        "col.action": "Action",
        "status.ok": "ok",
        "status.weak": "weakly identified",
        "status.conflict": "prior–data conflict",
        "status.none": "—",
        "pass": "pass",
        "fail": "fail",
        "flag": "review",
        "warnings": "Warnings",
        "reasons": "Why the fit failed",
        "try": "try",
        "checks.derived": (
            "This fit carries no health checks (saved before they existed): the rows below are the review "
            "gates it was judged by."
        ),
        "check.rhat": "R-hat (max)",
        "check.ess_bulk": "Bulk ESS (min)",
        "check.ess_tail": "Tail ESS (min)",
        "check.map_optimizer": "MAP optimizer and Hessian",
        "check.holdout": "Holdout coverage and MAPE",
        "check.divergences": "Divergent transitions",
        "check.ppc_coverage": "In-sample 90% coverage",
        "check.r2": "R²",
        "check.mape": "MAPE (in-sample)",
        "check.holdout_mape": "Holdout MAPE",
        "check.holdout_coverage": "Holdout 90% coverage",
        "check.negative_baseline": "Negative-baseline probability",
        "check.bayesian_ppp": "Bayesian posterior predictive p-value",
        "check.prior_posterior_shift": "Prior–posterior shift",
        "check.roi_in_prior_range": "ROI inside the prior's 1–99% range",
        "check.implausible_roi": "Implausible ROI",
        "check.roi_consistency": "ROI consistency",
        "check.prior_data_conflict": "Prior–data conflict",
        "check.media_share": "Media share of KPI",
        "check.identification": "Identification",
        "budget.not_run": (
            "No plan in this report. `omnimix mmm report FIT_DIR` adds the optimizer's plan at the current "
            "budget."
        ),
        "budget.failed": "No plan: the fit failed review, and a failed fit is kept away from the optimizer.",
        "budget.current_budget": "Current budget per week",
        "budget.current_kpi": "Current KPI per week",
        "budget.planned_kpi": "Planned KPI per week",
        "budget.uplift": "Uplift per week",
        "budget.guardrail": "Each channel is kept within {pct} of its current weekly spend.",
        "budget.bounds_note": "Bounds",
        "budget.current_def": "Current spend: the mean weekly spend of the last 13 weeks.",
        "budget.held": "held at current spend (weakly identified or in conflict with its prior)",
        "action.scale": "scale",
        "action.hold": "hold",
        "action.cut": "cut",
        "chart.shares": "Spend share vs effect share",
        "chart.spend": "spend",
        "chart.effect": "effect",
        "chart.share": "share",
        "chart.waterfall": "From baseline to total KPI (posterior means)",
        "chart.total": "total",
        "chart.baseline": "baseline",
        "chart.roi": "ROI and marginal ROI (90% intervals)",
        "chart.roi_axis": "KPI per unit of spend",
        "chart.curves": "Weekly response to a constant weekly spend (90% bands; ● current spend, ◆ plan)",
        "chart.weekly_spend": "weekly spend",
        "chart.weekly_kpi": "weekly KPI",
        "chart.current": "current",
        "chart.planned": "plan",
        "chart.adstock": "Share of the effect by lag",
        "chart.lag": "lag (periods)",
        "chart.fit": "Actual vs predicted (90% predictive band; dashed: holdout starts)",
        "chart.actual": "actual",
        "chart.predicted": "predicted",
        "chart.band": "90% band",
        "chart.residuals": "Residuals (actual − predicted)",
        "chart.residual": "residual",
        "chart.decomposition": "Baseline and media over time (posterior means)",
        "chart.budget": "Weekly spend: current vs plan",
        "chart.kpi": "KPI",
        "footer": "Made by omnimix. Charts work offline (plotly.js is embedded).",
    },
    "zh-CN": {
        "title": "营销组合模型报告",
        "generated": "生成时间",
        "mode.nuts": "完整后验（NUTS）",
        "mode.map": "MAP + 拉普拉斯近似（区间为近似值）",
        "verdict.passed": "审查通过",
        "verdict.failed": "审查未通过——请勿依据这些数字决策",
        "health": "健康分",
        "health.absent": "未记录：该模型保存于健康分功能之前，重新拟合即可获得",
        "interval.note": "方括号内为 90% 后验中心区间。",
        "sec.headline": "概览",
        "sec.shares": "花费占比与效果占比",
        "sec.waterfall": "贡献瀑布图",
        "sec.roi": "ROI 与边际 ROI",
        "sec.curves": "响应曲线",
        "sec.adstock": "广告延滞效应（Adstock）",
        "sec.fit": "拟合与残差",
        "sec.health": "健康检查",
        "sec.budget": "预算：按当前预算的优化建议",
        "sec.channels": "渠道",
        "h.period": "时间范围",
        "h.periods": "期数",
        "h.weeks": "周",
        "h.days": "天",
        "h.currency": "货币",
        "h.currency.unknown": "未记录（数据中的花费单位）",
        "h.kpi_total": "KPI 总量",
        "h.kpi_type": "KPI 类型",
        "kpi.revenue": "以花费货币计的收入（ROI 即 ROAS）",
        "kpi.count": "计数（转化、订单等）：ROI 为每单位花费带来的 KPI",
        "kpi.unknown": "未说明单位：ROI 为每单位花费带来的 KPI",
        "h.spend_total": "总花费",
        "h.media_total": "媒体贡献",
        "h.media_share": "媒体贡献占 KPI 比例",
        "h.baseline": "基线",
        "h.media_roi": "媒体整体 ROI",
        "h.channels": "渠道数",
        "h.model": "推断方式",
        "h.experiments": "使用的增量实验",
        "h.geos": "地区",
        "h.national": "全国",
        "col.channel": "渠道",
        "col.spend": "花费",
        "col.spend_share": "花费占比",
        "col.effect_share": "效果占比",
        "col.contribution": "贡献",
        "col.kpi_share": "占 KPI 比例",
        "col.roi": "ROI",
        "col.mroi": "边际 ROI",
        "col.identification": "可识别度",
        "col.status": "状态",
        "col.check": "检查项",
        "col.value": "数值",
        "col.threshold": "阈值",
        "col.result": "结果",
        "col.message": "说明",
        "col.current": "当前",
        "col.planned": "建议",
        "col.change": "变化",
        "col.mroi_current": "当前边际 ROI",
        "col.mroi_planned": "建议方案下的边际 ROI",
        "col.action": "操作",
        "status.ok": "正常",
        "status.weak": "识别较弱",
        "status.conflict": "先验与数据冲突",
        "status.none": "—",
        "pass": "通过",
        "fail": "未通过",
        "flag": "需复核",
        "warnings": "警告",
        "reasons": "未通过的原因",
        "try": "建议",
        "checks.derived": "该模型没有健康检查记录（保存于该功能之前）：下表列出它当时接受的审查门槛。",
        "check.rhat": "R-hat（最大值）",
        "check.ess_bulk": "有效样本量 bulk ESS（最小值）",
        "check.ess_tail": "有效样本量 tail ESS（最小值）",
        "check.map_optimizer": "MAP 优化器与 Hessian 矩阵",
        "check.holdout": "留出期覆盖率与 MAPE",
        "check.divergences": "发散转移次数",
        "check.ppc_coverage": "样本内 90% 区间覆盖率",
        "check.r2": "决定系数 R²",
        "check.mape": "样本内 MAPE",
        "check.holdout_mape": "留出期 MAPE",
        "check.holdout_coverage": "留出期 90% 区间覆盖率",
        "check.negative_baseline": "基线为负的概率",
        "check.bayesian_ppp": "贝叶斯后验预测 p 值",
        "check.prior_posterior_shift": "先验到后验的变化",
        "check.roi_in_prior_range": "ROI 位于先验 1–99% 区间内",
        "check.implausible_roi": "ROI 不合理",
        "check.roi_consistency": "ROI 一致性",
        "check.prior_data_conflict": "先验与数据冲突",
        "check.media_share": "媒体贡献占 KPI 比例",
        "check.identification": "可识别度",
        "budget.not_run": "本报告未包含预算方案。运行 `omnimix mmm report FIT_DIR` 可加入优化器在当前预算下的方案。",
        "budget.failed": "无预算方案：模型未通过审查，未通过审查的模型不会交给优化器。",
        "budget.current_budget": "当前每周预算",
        "budget.current_kpi": "当前每周 KPI",
        "budget.planned_kpi": "建议方案每周 KPI",
        "budget.uplift": "每周提升",
        "budget.guardrail": "每个渠道的每周花费保持在当前水平的 {pct} 以内。",
        "budget.bounds_note": "约束",
        "budget.current_def": "当前花费：最近 13 周的平均每周花费。",
        "budget.held": "保持当前花费（识别较弱或与先验冲突）",
        "action.scale": "加投",
        "action.hold": "维持",
        "action.cut": "削减",
        "chart.shares": "花费占比与效果占比",
        "chart.spend": "花费",
        "chart.effect": "效果",
        "chart.share": "占比",
        "chart.waterfall": "从基线到 KPI 总量（后验均值）",
        "chart.total": "合计",
        "chart.baseline": "基线",
        "chart.roi": "ROI 与边际 ROI（90% 区间）",
        "chart.roi_axis": "每单位花费带来的 KPI",
        "chart.curves": "恒定每周花费下的每周响应（90% 区间带；● 当前花费，◆ 建议方案）",
        "chart.weekly_spend": "每周花费",
        "chart.weekly_kpi": "每周 KPI",
        "chart.current": "当前",
        "chart.planned": "建议",
        "chart.adstock": "各滞后期的效果占比",
        "chart.lag": "滞后期数",
        "chart.fit": "实际值与预测值（90% 预测区间；虚线：留出期开始）",
        "chart.actual": "实际值",
        "chart.predicted": "预测值",
        "chart.band": "90% 区间",
        "chart.residuals": "残差（实际值 − 预测值）",
        "chart.residual": "残差",
        "chart.decomposition": "基线与媒体贡献随时间变化（后验均值）",
        "chart.budget": "每周花费：当前与建议方案",
        "chart.kpi": "KPI",
        "footer": "由 omnimix 生成。图表可离线查看（已内嵌 plotly.js）。",
    },
}

#: Keys whose Chinese text may equal the English one (abbreviations read the same in both).
SAME_IN_BOTH = frozenset({"col.roi", "chart.kpi", "status.none", "check.r2"})



def normalize_locale(value: str | None) -> str:
    """``zh``, ``zh_cn``, ``zh-Hans`` … → ``zh-CN``; ``en-US`` … → ``en``.

    Raises:
        UsageError: any other language (the report speaks English and Simplified Chinese).
    """
    v = (value or DEFAULT_LOCALE).strip().replace("_", "-").lower()
    if v.startswith("zh"):
        return "zh-CN"
    if v.startswith("en"):
        return "en"
    raise UsageError(f"language {value!r} is not supported: use --lang en or --lang zh-CN")


def sig(x: Any, digits: int = 3) -> str:
    """``x`` with ``digits`` significant digits and thousands separators; integers ≥ 10^digits keep
    every integer digit (``2.8346 → '2.83'``, ``0.045678 → '0.0457'``, ``1234567.8 → '1,234,568'``)."""
    if not finite(x):
        return "—"
    if x == 0:
        return "0"
    mag = math.floor(math.log10(abs(x)))
    decimals = max(digits - 1 - mag, 0)
    out = f"{round(float(x), decimals):,.{decimals}f}"
    return "0" if out in ("-0", "-0.0") else out


def compact(x: Any, locale: str, digits: int = 3) -> str:
    """Short amount: ``3766600 → '3.77M'`` (en) / ``'376.7万'`` (zh-CN); below 1,000 (en) or 10,000
    (zh-CN) the number itself with ``digits`` significant digits."""
    if not finite(x):
        return "—"
    v, suffix = compact_unit(float(x), locale)
    if not suffix:
        return sig(x, digits)
    return f"{sig(v, digits + (1 if locale == 'zh-CN' else 0))}{suffix}"


class ReportFormatter:
    """Translation and number formats bound to one language and currency (``fmt`` in the template)."""

    def __init__(self, locale: str = DEFAULT_LOCALE, currency: str | None = None) -> None:
        self.locale = normalize_locale(locale)
        self.currency = currency

    def t(self, key: str, **values: Any) -> str:
        """The text for ``key`` (English, then the key itself, as fallbacks); ``{name}`` filled from
        ``values``."""
        text = CATALOG[self.locale].get(key) or CATALOG["en"].get(key) or key
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in CATALOG[self.locale]

    def num(self, x: Any) -> str:
        """An amount with thousands separators and no decimals above 100; 3 significant digits below."""
        if not finite(x):
            return "—"
        return f"{round(float(x)):,}" if abs(x) >= 100 else sig(x, 3)

    def compact(self, x: Any) -> str:
        return compact(x, self.locale)

    def symbol(self) -> str:
        if not self.currency:
            return ""
        return currency_symbol(self.currency, self.locale)

    def money(self, x: Any, short: bool = True) -> str:
        """Spend with the currency's symbol (none when the currency is unknown), compact by default."""
        if not finite(x):
            return "—"
        sign = "-" if x < 0 else ""
        body = self.compact(abs(x)) if short else self.num(abs(x))
        return f"{sign}{self.symbol()}{body}"

    def ratio(self, x: Any) -> str:
        """ROI-like ratios with 3 significant digits."""
        return sig(x, 3)

    def pct(self, x: Any, digits: int = 1) -> str:
        """A share in [0, 1] as a percentage: ``0.1234 → '12.3%'``; small shares keep 2 significant
        digits (``0.000174 → '0.017%'``)."""
        if not finite(x):
            return "—"
        p = float(x) * 100
        if p != 0 and abs(p) < 1:
            return f"{sig(p, 2)}%"
        return f"{p:,.{digits}f}%"

    def signed_pct(self, x: Any) -> str:
        if not finite(x):
            return "—"
        return ("+" if x > 0 else "") + self.pct(x)

    def interval(self, iv: Any, kind: str = "ratio") -> str:
        """``mean [lo, hi]`` formatted as ``kind`` (``ratio``, ``money``, ``num``, ``compact``, ``pct``)."""
        if not iv:
            return "—"
        f = getattr(self, kind)
        return f"{f(iv.get('mean'))} [{f(iv.get('lo'))}, {f(iv.get('hi'))}]"

    def date(self, d: Any) -> str:
        """``2026-11-23 → '2026年11月23日'`` (zh-CN) / ``'Nov 23, 2026'`` (en)."""
        return format_date(d, self.locale)
