"""Languages of the dashboard (zh-CN, en) and locale-aware formatting of numbers, money and dates.

The locale comes from ``?lang=`` (which also sets the ``omx_lang`` cookie), then the cookie, then the
``Accept-Language`` header, then the default (``zh-CN``). Numbers use the grouping both locales share
(``1,234,567.89``); compact figures use 万/亿 in Chinese and K/M/B in English.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from omnimix.formatting import compact_unit, currency_symbol, finite, format_date

LOCALES: tuple[str, ...] = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"
LANG_COOKIE = "omx_lang"

_NO_DECIMALS = frozenset({"JPY", "KRW", "VND", "IDR"})

CATALOG: dict[str, dict[str, str]] = {
    "en": {
        "app": "omnimix",
        "nav.overview": "Overview",
        "nav.channels": "Channels",
        "nav.mix": "Mix model",
        "nav.budget": "Budget",
        "nav.customers": "Customers",
        "nav.data": "Data",
        "nav.admin": "Admin",
        "logout": "Log out",
        "login": "Log in",
        "username": "Username",
        "password": "Password",
        "login.failed": "Wrong username or password.",
        "login.throttled": "Too many failed sign-ins. Try again in {seconds} seconds.",
        "login.busy": "The server is busy checking other sign-ins. Try again in a few seconds.",
        "busy.title": "Data is being loaded",
        "busy.message": "Another process is writing new data into the warehouse. This page reloads by itself in "
        "{seconds} seconds.",
        "login.title": "Sign in to omnimix",
        "signed_in_as": "Signed in as",
        "role": "Role",
        "language": "Language",
        "kpi.spend": "Spend",
        "kpi.revenue": "Revenue",
        "kpi.conversions": "Conversions",
        "kpi.new_customers": "New customers",
        "kpi.cac": "CAC",
        "kpi.ltv": "LTV",
        "kpi.ltv_cac": "LTV:CAC",
        "kpi.roas": "ROAS",
        "kpi.mer": "MER",
        "kpi.cross_channel": "Cross-channel conversion",
        "kpi.ltv.predicted": "predicted (CLV model)",
        "kpi.ltv.historical": "historical revenue per customer",
        "filter.start": "From",
        "filter.end": "To",
        "filter.channels": "Channels",
        "filter.apply": "Apply",
        "filter.all": "all channels",
        "trend": "Spend and revenue",
        "funnel": "Funnel",
        "stage": "Stage",
        "touchpoints": "Touchpoints",
        "people": "People",
        "by_channel": "By channel",
        "channel": "Channel",
        "impressions": "Impressions",
        "clicks": "Clicks",
        "value": "Value",
        "model": "Model",
        "not_computed": "Not computed yet",
        "run_hint": "Run",
        "no_data": "No data in this range.",
        "channels.title": "Attribution models side by side",
        "channels.conversions": "Attributed conversions",
        "channels.value": "Attributed value",
        "mix.contrib": "Contributions (90% interval)",
        "mix.roi": "ROI with intervals",
        "mix.curves": "Response curves",
        "mix.diag": "Fit diagnostics",
        "mix.fit": "Fit: actual vs predicted",
        "metric": "Metric",
        "contribution": "Contribution",
        "roi": "ROI",
        "low": "Low",
        "high": "High",
        "current_spend": "Current spend",
        "budget.builder": "Scenario builder",
        "budget.total": "Total budget",
        "budget.reserve": "Reserve",
        "budget.objective": "Objective",
        "budget.min": "Min",
        "budget.max": "Max",
        "budget.run": "Run optimizer",
        "budget.result": "Result",
        "budget.allocation": "Allocation",
        "budget.expected": "Expected KPI",
        "budget.marginal": "Marginal ROI",
        "budget.save": "Save scenario",
        "budget.name": "Scenario name",
        "budget.share": "Share with everyone",
        "budget.saved": "Saved scenarios",
        "budget.compare": "Compare",
        "budget.owner": "Owner",
        "budget.shared": "Shared",
        "budget.delete": "Delete",
        "budget.running": "Running…",
        "budget.failed": "Failed",
        "budget.done": "Done",
        "budget.analyst_only": "Analysts and admins can run scenarios.",
        "budget.current_kpi": "Current KPI (today's spend)",
        "budget.uplift": "Uplift",
        "budget.interval": "90% interval",
        "budget.no_interval": "no interval (the curves have no posterior draws)",
        "budget.action": "Scale / hold / cut",
        "budget.held": "Held at current spend",
        "budget.scale": "scale",
        "budget.hold": "hold",
        "budget.cut": "cut",
        "budget.guardrails": "Guardrails: each channel within ±30% of current spend; weak or conflicting channels held",
        "budget.release": "Release",
        "customers.segments": "Segments",
        "customers.lookup": "Customer lookup",
        "customers.search": "Search",
        "customers.top": "Top customers by CLV",
        "segment": "Segment",
        "customers": "Customers",
        "clv": "CLV",
        "p_alive": "P(alive)",
        "avg_clv": "Average CLV",
        "orders": "Orders",
        "share": "Share",
        "persona": "Persona",
        "customer_id": "Customer",
        "first_seen": "First seen",
        "last_seen": "Last seen",
        "identifiers": "Identifiers",
        "data.tables": "Tables",
        "data.sources": "Sources",
        "data.source": "Source",
        "data.pattern": "File pattern",
        "data.preset": "Preset",
        "data.no_sources": "No named sources in omnimix.toml; files were loaded one by one (see Loads).",
        "data.loads": "Loads",
        "data.quarantine": "Quarantine",
        "data.reasons": "Rejections by reason",
        "rows": "Rows",
        "table": "Table",
        "file": "File",
        "loaded_at": "Loaded at",
        "reason": "Reason",
        "line": "Line",
        "raw": "Raw row",
        "count": "Count",
        "rows_loaded": "Loaded",
        "rows_quarantined": "Quarantined",
        "rows_skipped": "Skipped",
        "prev": "Previous",
        "next": "Next",
        "page": "Page",
        "admin.users": "Users",
        "admin.add": "Add user",
        "admin.remove": "Remove",
        "admin.set_role": "Set role",
        "admin.audit": "Audit log",
        "admin.tokens": "API tokens",
        "created": "Created",
        "actor": "Actor",
        "action": "Action",
        "target": "Target",
        "time": "Time",
        "forbidden": "You do not have access to this page.",
        "warehouse.missing": "The workspace has no warehouse yet.",
        "export": "Export CSV",
        "currency": "Currency",
        "date_range": "Date range",
    },
    "zh-CN": {
        "app": "omnimix",
        "nav.overview": "总览",
        "nav.channels": "渠道",
        "nav.mix": "营销组合模型",
        "nav.budget": "预算",
        "nav.customers": "客户",
        "nav.data": "数据",
        "nav.admin": "管理",
        "logout": "退出",
        "login": "登录",
        "username": "用户名",
        "password": "密码",
        "login.failed": "用户名或密码错误。",
        "login.throttled": "登录失败次数过多，请在 {seconds} 秒后重试。",
        "login.busy": "服务器正忙于处理其他登录，请几秒后重试。",
        "busy.title": "正在载入数据",
        "busy.message": "另一个进程正在向数据仓库写入新数据，本页将在 {seconds} 秒后自动刷新。",
        "login.title": "登录 omnimix",
        "signed_in_as": "当前用户",
        "role": "角色",
        "language": "语言",
        "kpi.spend": "花费",
        "kpi.revenue": "收入",
        "kpi.conversions": "转化",
        "kpi.new_customers": "新客户",
        "kpi.cac": "获客成本",
        "kpi.ltv": "客户终身价值",
        "kpi.ltv_cac": "LTV:CAC",
        "kpi.roas": "广告支出回报率",
        "kpi.mer": "营销效率比",
        "kpi.cross_channel": "跨渠道转化占比",
        "kpi.ltv.predicted": "预测值（CLV 模型）",
        "kpi.ltv.historical": "历史人均收入",
        "filter.start": "开始",
        "filter.end": "结束",
        "filter.channels": "渠道",
        "filter.apply": "应用",
        "filter.all": "全部渠道",
        "trend": "花费与收入",
        "funnel": "漏斗",
        "stage": "阶段",
        "touchpoints": "触点",
        "people": "人数",
        "by_channel": "按渠道",
        "channel": "渠道",
        "impressions": "曝光",
        "clicks": "点击",
        "value": "价值",
        "model": "模型",
        "not_computed": "尚未计算",
        "run_hint": "运行",
        "no_data": "此区间没有数据。",
        "channels.title": "归因模型对比",
        "channels.conversions": "归因转化",
        "channels.value": "归因价值",
        "mix.contrib": "贡献（90% 区间）",
        "mix.roi": "投资回报率及区间",
        "mix.curves": "响应曲线",
        "mix.diag": "拟合诊断",
        "mix.fit": "拟合：实际与预测",
        "metric": "指标",
        "contribution": "贡献",
        "roi": "投资回报率",
        "low": "下限",
        "high": "上限",
        "current_spend": "当前花费",
        "budget.builder": "情景构建",
        "budget.total": "总预算",
        "budget.reserve": "预留",
        "budget.objective": "目标",
        "budget.min": "最小",
        "budget.max": "最大",
        "budget.run": "运行优化",
        "budget.result": "结果",
        "budget.allocation": "分配",
        "budget.expected": "预期 KPI",
        "budget.marginal": "边际回报率",
        "budget.save": "保存情景",
        "budget.name": "情景名称",
        "budget.share": "与所有人共享",
        "budget.saved": "已保存情景",
        "budget.compare": "对比",
        "budget.owner": "所有者",
        "budget.shared": "共享",
        "budget.delete": "删除",
        "budget.running": "运行中…",
        "budget.failed": "失败",
        "budget.done": "完成",
        "budget.analyst_only": "分析师和管理员可以运行情景。",
        "budget.current_kpi": "当前 KPI（按当前投放）",
        "budget.uplift": "提升",
        "budget.interval": "90% 区间",
        "budget.no_interval": "无区间（响应曲线没有后验抽样）",
        "budget.action": "加投 / 保持 / 削减",
        "budget.held": "保持当前投放",
        "budget.scale": "加投",
        "budget.hold": "保持",
        "budget.cut": "削减",
        "budget.guardrails": "护栏：每个渠道在当前投放的 ±30% 以内；识别弱或冲突的渠道保持不变",
        "budget.release": "放开",
        "customers.segments": "客户分群",
        "customers.lookup": "客户查询",
        "customers.search": "搜索",
        "customers.top": "CLV 最高的客户",
        "segment": "分群",
        "customers": "客户数",
        "clv": "CLV",
        "p_alive": "活跃概率",
        "avg_clv": "平均 CLV",
        "orders": "订单",
        "share": "占比",
        "persona": "画像",
        "customer_id": "客户",
        "first_seen": "首次出现",
        "last_seen": "最近出现",
        "identifiers": "标识符",
        "data.tables": "数据表",
        "data.sources": "数据源",
        "data.source": "数据源",
        "data.pattern": "文件模式",
        "data.preset": "预设",
        "data.no_sources": "omnimix.toml 中未配置命名数据源；文件为逐个导入（见导入记录）。",
        "data.loads": "导入记录",
        "data.quarantine": "隔离区",
        "data.reasons": "按原因统计的拒绝",
        "rows": "行数",
        "table": "表",
        "file": "文件",
        "loaded_at": "导入时间",
        "reason": "原因",
        "line": "行号",
        "raw": "原始行",
        "count": "数量",
        "rows_loaded": "已导入",
        "rows_quarantined": "已隔离",
        "rows_skipped": "已跳过",
        "prev": "上一页",
        "next": "下一页",
        "page": "页",
        "admin.users": "用户",
        "admin.add": "添加用户",
        "admin.remove": "删除",
        "admin.set_role": "设置角色",
        "admin.audit": "审计日志",
        "admin.tokens": "API 令牌",
        "created": "创建时间",
        "actor": "操作人",
        "action": "操作",
        "target": "对象",
        "time": "时间",
        "forbidden": "您无权访问此页面。",
        "warehouse.missing": "工作区尚无数据仓库。",
        "export": "导出 CSV",
        "currency": "货币",
        "date_range": "日期范围",
    },
}


#: Per-feature catalogues: ``locales/*.toml`` with one table per locale (``[en.review]``,
#: ``["zh-CN".review]``); nested tables flatten to dotted keys (``review.title``). A key defined twice
#: (in two files, or in a file and :data:`CATALOG` above) is an error at import.
LOCALE_DIR = Path(__file__).parent / "locales"


def _flatten(prefix: str, table: Mapping[str, Any], out: dict[str, str], source: str) -> None:
    for k, v in table.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, Mapping):
            _flatten(key, v, out, source)
        elif isinstance(v, str):
            out[key] = v
        else:
            raise ValueError(f"{source}: {key} must be a string, got {type(v).__name__}")


def load_locale_files(directory: Path = LOCALE_DIR, catalog: dict[str, dict[str, str]] | None = None
                      ) -> dict[str, dict[str, str]]:
    """Merge every ``*.toml`` under ``directory`` into ``catalog`` (default :data:`CATALOG`)."""
    catalog = CATALOG if catalog is None else catalog
    for path in sorted(directory.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for lang, table in data.items():
            if lang not in LOCALES:
                raise ValueError(f"{path.name}: unknown locale {lang!r}; use one of {', '.join(LOCALES)}")
            flat: dict[str, str] = {}
            _flatten("", table, flat, path.name)
            target = catalog.setdefault(lang, {})
            dup = sorted(set(flat) & set(target))
            if dup:
                raise ValueError(f"{path.name}: keys already defined elsewhere: {', '.join(dup[:5])}")
            target.update(flat)
    return catalog


load_locale_files()


def fold_key(key: str) -> str:
    """A data key folded for lookup: lower case, apostrophes dropped, other runs of non-alphanumerics as one
    ``_`` (``"Can't Lose Them"`` → ``cant_lose_them``, ``"Organic Search"`` → ``organic_search``)."""
    return re.sub(r"[^0-9a-z]+", "_", key.lower().replace("'", "").replace("’", "")).strip("_")


def display_name(kind: str, key: Any, locale: str, names: Mapping[str, str] | None = None) -> str:
    """The reader-facing name of a data key: a channel, model, funnel stage, diagnostic, segment, role…

    For channels in zh-CN the workspace's own names come first (``names``, from ``[taxonomy.channels]``
    in omnimix.toml); then ``name.<kind>.<key>`` in the catalogue (the key as written, then
    :func:`fold_key` of it), in the locale and then in English. Unknown keys are shown as they are (a
    workspace may define its own channels); in English with underscores as spaces.
    """
    if key is None:
        return "—"
    k = str(key)
    if kind == "channel" and locale == "zh-CN" and names and names.get(k):
        return names[k]
    folded = fold_key(k)
    for lang in (locale, "en"):
        table = CATALOG.get(lang, {})
        hit = table.get(f"name.{kind}.{k}") or table.get(f"name.{kind}.{folded}")
        if hit:
            return hit
    return k.replace("_", " ") if locale == "en" else k


def normalize_locale(value: str | None) -> str | None:
    """Map ``zh``, ``zh_cn``, ``zh-Hans``… to ``zh-CN`` and ``en-US``… to ``en``; None if unsupported."""
    if not value:
        return None
    v = value.strip().replace("_", "-").lower()
    if v.startswith("zh"):
        return "zh-CN"
    if v.startswith("en"):
        return "en"
    return None


def pick_locale(
    query: str | None, cookie: str | None, accept_language: str | None, default: str = DEFAULT_LOCALE
) -> str:
    """Choose the locale from the query parameter, the cookie, Accept-Language, then ``default``."""
    for candidate in (query, cookie):
        loc = normalize_locale(candidate)
        if loc:
            return loc
    if accept_language:
        for part in accept_language.split(","):
            loc = normalize_locale(part.split(";")[0])
            if loc:
                return loc
    return default


def translate(key: str, locale: str) -> str:
    """The text for ``key`` in ``locale`` (English, then the key itself, as fallbacks)."""
    return CATALOG.get(locale, {}).get(key) or CATALOG["en"].get(key) or key


def format_number(x: Any, locale: str, decimals: int = 0) -> str:
    """``1234567.891 -> '1,234,568'`` (both locales group by thousands); None/NaN -> '—'."""
    if not finite(x):
        return "—"
    return f"{x:,.{decimals}f}"


def format_compact(x: Any, locale: str, decimals: int = 1) -> str:
    """Short form for KPI cards: ``12345678 -> '1234.6万'`` (zh-CN) or ``'12.3M'`` (en)."""
    if not finite(x):
        return "—"
    v, suffix = compact_unit(float(x), locale)
    if suffix:
        return f"{v:,.{decimals}f}{suffix}"
    a = abs(float(x))
    return format_number(x, locale, 0 if a >= 100 else 2 if a < 10 else 1)


def format_currency(x: Any, currency: str, locale: str, compact: bool = False) -> str:
    """Money with the locale's symbol: ``format_currency(1234.5, 'CNY', 'zh-CN') == '¥1,234.50'``."""
    if not finite(x):
        return "—"
    sym = currency_symbol(currency, locale)
    sign = "-" if x < 0 else ""
    if compact:
        return f"{sign}{sym}{format_compact(abs(x), locale)}"
    decimals = 0 if currency in _NO_DECIMALS else 2
    return f"{sign}{sym}{format_number(abs(x), locale, decimals)}"


def format_percent(x: Any, locale: str, decimals: int = 1) -> str:
    """A share in [0, 1] as a percentage: ``0.1234 -> '12.3%'``."""
    if not finite(x):
        return "—"
    return f"{x * 100:.{decimals}f}%"


def format_ratio(x: Any, locale: str, decimals: int = 2) -> str:
    """A ratio such as ROAS: ``3.456 -> '3.46'`` (en) / ``'3.46 倍'`` (zh-CN)."""
    if not finite(x):
        return "—"
    return f"{x:,.{decimals}f} 倍" if locale == "zh-CN" else f"{x:,.{decimals}f}×"


def format_datetime(d: Any, locale: str) -> str:
    """Date plus ``HH:MM``."""
    if isinstance(d, str):
        try:
            d = datetime.fromisoformat(d)
        except ValueError:
            return str(d)
    if not isinstance(d, datetime):
        return format_date(d, locale)
    return f"{format_date(d, locale)} {d:%H:%M}"


class Formatter:
    """Formatting bound to one locale, currency and time zone (handed to templates as ``fmt``).

    Warehouse timestamps (``loads.loaded_at``, touchpoints) are written in the workspace's time zone;
    the app state (audit log, users, tokens, scenarios) keeps UTC. :meth:`app_time` shows the latter in
    the workspace's zone, so every page reads one clock.
    """

    def __init__(self, locale: str, currency: str, timezone: str | None = None,
                 channel_names: Mapping[str, str] | None = None) -> None:
        self.locale = locale
        self.currency = currency
        self.timezone = timezone
        self.channel_names = dict(channel_names or {})

    def name(self, kind: str, key: Any) -> str:
        """Display name of a data key (see :func:`display_name`): ``fmt.name('stage', 'awareness')``."""
        return display_name(kind, key, self.locale, self.channel_names)

    def channel(self, key: Any) -> str:
        """Display name of a channel key (``douyin`` -> 抖音 in zh-CN)."""
        return self.name("channel", key)

    def app_time(self, d: Any) -> str:
        """An app-state timestamp (naive UTC) as date and ``HH:MM`` in the workspace's time zone."""
        if isinstance(d, str):
            try:
                d = datetime.fromisoformat(d)
            except ValueError:
                return str(d)
        if isinstance(d, datetime) and self.timezone:
            from zoneinfo import ZoneInfo

            aware = d if d.tzinfo is not None else d.replace(tzinfo=UTC)
            d = aware.astimezone(ZoneInfo(self.timezone)).replace(tzinfo=None)
        return format_datetime(d, self.locale)

    def t(self, key: str) -> str:
        return translate(key, self.locale)

    def num(self, x: Any, decimals: int = 0) -> str:
        return format_number(x, self.locale, decimals)

    def compact(self, x: Any) -> str:
        return format_compact(x, self.locale)

    def money(self, x: Any, compact: bool = False) -> str:
        return format_currency(x, self.currency, self.locale, compact)

    def pct(self, x: Any, decimals: int = 1) -> str:
        return format_percent(x, self.locale, decimals)

    def ratio(self, x: Any, decimals: int = 2) -> str:
        return format_ratio(x, self.locale, decimals)

    def date(self, d: Any) -> str:
        return format_date(d, self.locale)

    def datetime(self, d: Any) -> str:
        return format_datetime(d, self.locale)
