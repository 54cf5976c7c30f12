"""The KPI vocabulary of plan goals: names in Chinese and English, mapped to the warehouse's metrics.

Each :class:`KPI` says how the metric is written (synonyms in zh and en), its unit, which direction is
better, whom it counts by default (its population) and whether the warehouse can measure it (``source``:
the tables its baseline is read from; empty for survey metrics such as brand awareness or NPS, which a
goal can name but the warehouse cannot measure). :data:`VAGUE` lists words that sound like a KPI but
are not one (品牌影响力, performance); a goal built on them is not specific.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Unit = Literal["count", "currency", "rate", "ratio"]


@dataclass(frozen=True)
class KPI:
    """One KPI a goal can name.

    Attributes:
        key: its id (``new_customers``).
        zh, en: display names.
        unit: ``count``, ``currency``, ``rate`` (a share, 0–1) or ``ratio`` (ROAS, ROI).
        better: ``up`` or ``down`` (CAC, churn: lower is better).
        population: whom it counts when the goal names no one.
        source: warehouse tables its baseline is read from (empty: not measured by the warehouse).
        zh_words, en_words: how it is written (literal words for zh, one regular expression for en).
    """

    key: str
    zh: str
    en: str
    unit: Unit
    better: Literal["up", "down"]
    population: str
    source: tuple[str, ...]
    zh_words: tuple[str, ...]
    en_words: tuple[str, ...]

    @property
    def measured(self) -> bool:
        """True when the warehouse can compute a baseline for it."""
        return bool(self.source)


def _k(key: str, zh: str, en: str, unit: Unit, better: Literal["up", "down"], population: str,
       source: tuple[str, ...], zh_words: str, en_words: str) -> KPI:
    return KPI(key, zh, en, unit, better, population, source, tuple(zh_words.split()),
               (f"(?:{en_words})",))


#: Every KPI a goal can name, by key.
KPIS: dict[str, KPI] = {k.key: k for k in (
    _k("new_customers", "新客数", "new customers", "count", "up", "new customers", ("customers",),
       "新注册用户数量 新注册用户数 新注册用户 注册用户数量 "
       "注册用户数 注册用户 新增注册用户 新增用户数 新增用户 新增客户数 "
       "新增客户 新增会员 新客户数量 新客户数 新客户 新用户数量 新用户数 新用户 新客数量 新客数 新客 新会员数 新会员 "
       "新顾客 拉新人数 拉新数 拉新 获客数量 获客数 获客量 首购客户 首购用户 注册量 注册数",
       r"new[- ](?:[A-Za-z\-]+[- ]){0,2}?(?:customers?|users?|accounts?|clients?|members?|buyers?|subscribers?"
       r"|sign[- ]?ups?)|new[- ]sign[- ]?ups?|sign[- ]?ups?|new[- ]registrations?|registrations?"
       r"|new[- ]members?|new[- ]buyers?|new[- ]accounts?|first[- ]time[- ](?:buyers|customers)|customers? acquired"
       r"|acquired customers|new[- ]subscribers?|customer acquisitions?"),
    _k("customers", "客户数", "customers", "count", "up", "active customers", ("customers",),
       "活跃用户数 活跃用户 活跃客户数 活跃客户 付费用户数 "
       "付费用户 会员数量 会员数 会员规模 用户规模 客户规模 客户数量 客户数 "
       "用户数量 用户数 顾客数",
       r"(?:active |paying |total )?customers|(?:active |paying )?users|(?:loyalty )?members|customer base"
       r"|user base|member base"),
    _k("cac", "获客成本", "CAC", "currency", "down", "new customers", ("spend", "customers"),
       "平均用户获取成本 用户获取成本 客户获取成本 平均获客成本 获客成本 获取成本 拉新成本 单客成本 新客成本 CAC",
       r"customer[- ]acquisition[- ]costs?|acquisition[- ]costs?|costs? per (?:acquisition|new customer|customer)"
       r"|\bCPA\b|\bCAC\b"),
    _k("cpl", "线索成本", "cost per lead", "currency", "down", "leads", ("spend", "contacts"),
       "单条线索成本 线索成本 获线成本 CPL",
       r"costs? per lead|\bCPL\b"),
    _k("revenue", "销售额", "revenue", "currency", "up", "all orders", ("conversions",),
       "销售收入 销售额 营业收入 营业额 营收 收入 成交额 成交金额 交易额 GMV 流水 销售业绩",
       r"revenues?|\bsales\b|\bGMV\b|turnover|bookings|gross merchandise value|income"),
    _k("orders", "订单数", "orders", "count", "up", "all orders", ("conversions",),
       "订单数量 订单量 订单数 订单 成交单量 成交量 销量 购买次数 成交笔数",
       r"orders?|purchases|transactions|units sold|number of purchases"),
    _k("aov", "客单价", "average order value", "currency", "up", "all orders", ("conversions",),
       "平均客单价 客单价 平均订单价值 平均订单金额 笔单价",
       r"average order values?|\bAOV\b|basket size|average basket|average ticket"),
    _k("conversions", "转化数", "conversions", "count", "up", "all conversions", ("conversions",),
       "转化数量 转化数 转化量 转化次数 转化人数",
       r"conversions"),
    _k("conversion_rate", "转化率", "conversion rate", "rate", "up", "visitors", ("touchpoints", "conversions"),
       "线索转化率 购买转化率 下单转化率 成交转化率 注册转化率 转化率 成交率",
       r"(?:lead |purchase |checkout |signup |sign-up )?conversion rates?|\bCVR\b"),
    _k("roas", "ROAS", "ROAS", "ratio", "up", "paid media", ("spend", "conversions"),
       "广告支出回报率 广告投入回报率 广告回报率 投放回报率 投入产出比 投产比 ROAS",
       r"\bROAS\b|return on ad(?:vertising)? spend"),
    _k("roi", "营销ROI", "marketing ROI", "ratio", "up", "marketing spend", ("spend", "conversions"),
       "营销投资回报率 营销回报率 投资回报率 营销ROI ROI",
       r"marketing ROI|\bROI\b|return on (?:marketing )?investment"),
    _k("mql", "MQL", "MQLs", "count", "up", "leads", ("contacts",),
       "营销合格线索 市场合格线索 市场认可线索 营销认可线索 营销合格商机 MQL",
       r"\bMQLs?\b|marketing[- ]qualified leads?"),
    _k("sql", "SQL", "SQLs", "count", "up", "leads", ("contacts",),
       "销售合格线索 销售认可线索 销售线索合格数 SQL",
       r"\bSQLs?\b|sales[- ]qualified leads?|sales[- ]accepted leads?"),
    _k("mql_rate", "MQL率", "lead-to-MQL rate", "rate", "up", "leads", ("contacts",),
       "线索转化为MQL的比例 线索到MQL的转化率 线索到MQL转化率 线索转MQL率 MQL转化率 MQL率",
       r"lead[- ]to[- ]MQL (?:conversion )?rates?|MQL (?:conversion )?rates?"),
    _k("sql_rate", "SQL率", "MQL-to-SQL rate", "rate", "up", "MQLs", ("contacts",),
       "MQL转化为SQL的比例 MQL到SQL的转化率 MQL到SQL转化率 MQL转SQL率 SQL转化率 SQL率",
       r"MQL[- ]to[- ]SQL (?:conversion )?rates?|SQL (?:conversion )?rates?"),
    _k("win_rate", "赢单率", "win rate", "rate", "up", "SQLs", ("contacts",),
       "商机赢单率 赢单率 签单率",
       r"win rates?|close rates?|(?:opportunity|deal) win rates?"),
    _k("spend_ratio", "营销费用率", "marketing spend to revenue", "rate", "down", "marketing", ("spend", "conversions"),
       "营销费用占销售额的比例 营销费用占比 营销费用率 营销费率 费用占比 费用率",
       r"(?:marketing |ad )?spend (?:as a )?(?:share|percentage|percent|ratio) of (?:revenue|sales)"
       r"|spend[- ]to[- ](?:revenue|sales) ratio|marketing expense ratio"),
    _k("opportunities", "商机数", "opportunities", "count", "up", "leads", ("contacts",),
       "商机数量 商机数 商机",
       r"(?:sales )?opportunit(?:y|ies)|pipeline deals"),
    _k("leads", "线索数", "leads", "count", "up", "prospects", ("contacts",),
       "销售线索数量 销售线索数 销售线索 线索数量 线索数 线索量 线索 "
       "留资量 留资数 留资 询盘量 询盘 潜在客户数 潜在客户",
       r"(?:sales |new |qualified )?leads?|inquiries|enquiries|prospects"),
    _k("retention_rate", "留存率", "retention rate", "rate", "up", "existing customers", ("customers",),
       "客户留存率 用户留存率 会员留存率 留存率 续费率 留存",
       r"(?:customer |user )?retention(?: rates?)?|renewal rates?"),
    _k("repeat_rate", "复购率", "repeat purchase rate", "rate", "up", "existing customers", ("customers",),
       "复购率 回购率 重复购买率 复购",
       r"repeat[- ]purchase rates?|repeat rates?|repurchase rates?|repeat purchases"),
    _k("churn_rate", "流失率", "churn rate", "rate", "down", "existing customers", ("customers",),
       "客户流失率 用户流失率 会员流失率 流失率 用户流失 客户流失 会员流失 流失",
       r"churn(?: rates?)?|attrition(?: rates?)?"),
    _k("clv", "客户终身价值", "customer lifetime value", "currency", "up", "customers", ("customers",),
       "客户终身价值 客户生命周期价值 用户生命周期价值 生命周期价值 终身价值 LTV CLV",
       r"(?:customer )?lifetime values?|\bLTV\b|\bCLV\b"),
    _k("spend", "营销费用", "marketing spend", "currency", "down", "marketing", ("spend",),
       "营销费用 营销支出 营销花费 广告费用 广告花费 广告支出 投放费用 投放花费 媒体费用 推广费用",
       r"(?:marketing|ad|advertising|media|paid media) (?:spend|costs?|expenses?)"),
    _k("traffic", "访问量", "traffic", "count", "up", "visitors", ("touchpoints",),
       "网站流量 访问量 访客数 访客量 访问人数 日均访客 访客 流量 会话数 UV PV",
       r"(?:website |site |web )?traffic|(?:site |website )?visits|sessions|(?:unique )?visitors"),
    _k("ctr", "点击率", "click-through rate", "rate", "up", "ad impressions", ("spend",),
       "广告点击率 点击率 CTR",
       r"click[- ]through rates?|\bCTR\b"),
    _k("brand_awareness", "品牌知名度", "brand awareness", "rate", "up", "target audience", (),
       "品牌知名度 品牌认知度 品牌认知 知名度 认知度 品牌提及率",
       r"(?:aided |unaided )?brand awareness|awareness"),
    _k("nps", "NPS", "NPS", "ratio", "up", "customers", (),
       "净推荐值 NPS",
       r"\bNPS\b|net promoter score"),
    _k("satisfaction", "客户满意度", "customer satisfaction", "rate", "up", "customers", (),
       "客户满意度 用户满意度 满意度 CSAT",
       r"(?:customer )?satisfaction(?: scores?)?|\bCSAT\b"),
    _k("share_of_voice", "声量份额", "share of voice", "rate", "up", "category conversation", (),
       "声量份额 社媒声量 声量",
       r"share of voice|\bSOV\b"),
    _k("market_share", "市场份额", "market share", "rate", "up", "category buyers", (),
       "市场份额 市场占有率 市占率",
       r"market share"),
    _k("followers", "粉丝数", "followers", "count", "up", "social audience", (),
       "粉丝数量 粉丝数 粉丝量 粉丝 关注人数 关注数",
       r"followers|subscribers on \w+"),
    _k("engagement_rate", "互动率", "engagement rate", "rate", "up", "social audience", (),
       "互动率 参与率",
       r"engagement rates?"),
)}

#: Words that sound like a goal's object but are not a KPI, with the KPIs to name instead.
VAGUE: dict[str, str] = {
    "品牌影响力": "品牌知名度 (survey) or 新客数", "影响力": "品牌知名度 or 新客数", "品牌形象": "品牌知名度 or NPS",
    "品牌力": "品牌知名度", "品牌价值": "品牌知名度 or 客户终身价值", "品牌建设": "品牌知名度",
    "业绩": "销售额 or 订单数", "营销效果": "ROAS, CAC or 转化率", "效果": "ROAS, CAC or 转化率",
    "表现": "a KPI such as 销售额 or ROAS", "竞争力": "市场份额", "用户体验": "NPS or 客户满意度",
    "口碑": "NPS", "曝光": "访问量 or 品牌知名度", "活跃度": "留存率", "用户粘性": "留存率 or 复购率",
    "营销能力": "a KPI such as 新客数 or ROAS", "市场地位": "市场份额", "成本": "CAC, 线索成本 or 营销费用",
    "增长": "销售额 or 新客数", "规模": "销售额 or 客户数", "数字化": "a KPI such as 线索数",
    "performance": "revenue, ROAS or CAC", "results": "revenue or conversions", "brand image": "brand awareness or NPS",
    "brand presence": "brand awareness", "presence": "brand awareness or traffic",
    "visibility": "traffic or brand awareness",
    "the business": "revenue or new customers", "marketing effectiveness": "ROAS or CAC",
    "effectiveness": "ROAS or CAC", "impact": "revenue or new customers", "reputation": "NPS",
    "brand equity": "brand awareness", "engagement": "engagement rate or retention rate",
    "growth": "revenue or new customers",
    "customer experience": "NPS or customer satisfaction", "costs": "CAC, cost per lead or marketing spend",
    "efficiency": "CAC or ROAS", "reach": "traffic or brand awareness", "our brand": "brand awareness",
    "exposure": "traffic or brand awareness", "buzz": "share of voice", "happier": "customer satisfaction or NPS",
    "happy": "customer satisfaction or NPS", "loyalty": "repeat purchase rate or retention rate",
    "忠诚度": "复购率 or 留存率", "满意": "客户满意度 or NPS", "知道": "品牌知名度 (survey)",
}

_ZH = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Mention:
    """A KPI (or a vague word) found in a text: its key and where it is."""

    key: str
    start: int
    end: int
    text: str
    vague: bool = False


def _patterns() -> list[tuple[str, re.Pattern[str], bool]]:
    out: list[tuple[str, re.Pattern[str], bool]] = []
    for k in KPIS.values():
        for w in k.zh_words:
            pat = re.escape(w) if _ZH.search(w) else rf"(?<![A-Za-z]){re.escape(w)}s?(?![A-Za-z])"
            out.append((k.key, re.compile(pat, re.IGNORECASE), False))
        for w in k.en_words:
            out.append((k.key, re.compile(rf"(?<![A-Za-z]){w}(?![A-Za-z])", re.IGNORECASE), False))
    for w in VAGUE:
        pat = re.escape(w) if _ZH.search(w) else rf"(?<![A-Za-z]){re.escape(w)}(?![A-Za-z])"
        out.append((w, re.compile(pat, re.IGNORECASE), True))
    return out


_PATTERNS = _patterns()


def find_kpis(text: str) -> list[Mention]:
    """KPI and vague-word mentions in ``text``, longest first, without overlaps, in text order.

    A KPI inside a longer vague phrase (``成本`` in ``获客成本``) loses to the longer match; the same
    KPI written twice in a row (``用户获取成本(CAC)``) is one mention.
    """
    found: list[Mention] = []
    for key, pat, vague in _PATTERNS:
        for hit in pat.finditer(text):
            found.append(Mention(key, hit.start(), hit.end(), hit.group(0), vague))
    found.sort(key=lambda m: (-(m.end - m.start), m.vague, m.start))
    taken: list[Mention] = []
    for m in found:
        if all(m.end <= t.start or m.start >= t.end for t in taken):
            taken.append(m)
    taken.sort(key=lambda m: m.start)
    merged: list[Mention] = []
    for m in taken:
        if merged and merged[-1].key == m.key and re.fullmatch(r"[\s()（）/、]*", text[merged[-1].end:m.start]):
            last = merged[-1]
            end = m.end + 1 if text[m.end:m.end + 1] in (")", "）") and text[m.end:m.end + 1] else m.end
            merged[-1] = Mention(last.key, last.start, end, text[last.start:end], last.vague)
        else:
            merged.append(m)
    return merged


def kpi(key: str) -> KPI:
    """The KPI with this key, or one named by a synonym (``获客成本``, ``CAC``).

    Raises:
        KeyError: no KPI is written that way.
    """
    if key in KPIS:
        return KPIS[key]
    found = [m for m in find_kpis(key) if not m.vague]
    if len(found) == 1 and found[0].end - found[0].start == len(key.strip()):
        return KPIS[found[0].key]
    raise KeyError(key)
