"""Channel taxonomy: map source / medium / campaign / platform to a channel and a funnel stage.

Rules are tried in order; the first whose every given pattern matches (case-insensitive regular
expression search) wins. Fields a rule does not name match anything. When no rule matches, the channel
is ``"other"`` and the stage ``"awareness"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

FUNNEL_STAGES: tuple[str, ...] = ("awareness", "consideration", "decision", "retention", "advocacy")

#: Identifier types a row may carry, in the default priority of identity resolution.
IDENTIFIER_TYPES: tuple[str, ...] = (
    "user_id", "crm_id", "loyalty_id", "email", "phone", "unionid", "openid", "device_id", "anonymous_id",
)

#: Default channel list, with the display names used in zh-CN.
CHANNELS: dict[str, str] = {
    "search": "搜索广告",
    "baidu": "百度",
    "organic_search": "自然搜索",
    "social": "社交媒体",
    "douyin": "抖音",
    "wechat": "微信",
    "xiaohongshu": "小红书",
    "weibo": "微博",
    "bilibili": "B站",
    "display": "展示广告",
    "video": "视频广告",
    "email": "邮件",
    "sms": "短信",
    "affiliate": "联盟营销",
    "kol": "KOL",
    "events": "线下活动",
    "stores": "门店",
    "referral": "推荐",
    "direct": "直接访问",
    "other": "其他",
}

#: Default rules as plain dicts (the form written to omnimix.toml).
DEFAULT_RULES: list[dict[str, str]] = [
    {"source": r"douyin|抖音|toutiao|ocean ?engine|巨量|pangle", "channel": "douyin", "stage": "awareness"},
    {"source": r"xiaohongshu|小红书|\bxhs\b|redbook", "channel": "xiaohongshu", "stage": "consideration"},
    {"source": r"weibo|微博", "channel": "weibo", "stage": "awareness"},
    {"source": r"bilibili|b站|哔哩", "channel": "bilibili", "stage": "awareness"},
    {"source": r"wechat|weixin|微信|gdt|tencent|腾讯|qq", "channel": "wechat", "stage": "consideration"},
    {"medium": r"kol|influencer|达人|种草", "channel": "kol", "stage": "consideration"},
    {"source": r"baidu|百度", "medium": r"cpc|ppc|paid|sem", "channel": "baidu", "stage": "consideration"},
    {"source": r"google|bing|sogou|360|shenma|神马", "medium": r"cpc|ppc|paid|sem",
     "channel": "search", "stage": "consideration"},
    {"medium": r"^organic$|seo", "channel": "organic_search", "stage": "consideration"},
    {"source": r"baidu|百度|google|bing|sogou", "channel": "organic_search", "stage": "consideration"},
    {"source": r"facebook|instagram|meta|\bfb\b|\big\b|linkedin|twitter|tiktok",
     "channel": "social", "stage": "awareness"},
    {"medium": r"social|paid_social", "channel": "social", "stage": "awareness"},
    {"medium": r"e-?mail|edm|newsletter", "channel": "email", "stage": "retention"},
    {"medium": r"sms|短信", "channel": "sms", "stage": "retention"},
    {"medium": r"affiliate|cps|联盟", "channel": "affiliate", "stage": "decision"},
    {"medium": r"video|ott|ctv|preroll", "channel": "video", "stage": "awareness"},
    {"medium": r"display|banner|cpm|programmatic|dsp", "channel": "display", "stage": "awareness"},
    {"medium": r"event|offline|展会|活动|expo", "channel": "events", "stage": "consideration"},
    {"medium": r"store|pos|门店|retail", "channel": "stores", "stage": "decision"},
    {"medium": r"referral|share|分享", "channel": "referral", "stage": "advocacy"},
    {"source": r"^\(direct\)$|^direct$", "channel": "direct", "stage": "decision"},
]


@dataclass(frozen=True)
class Rule:
    """One taxonomy rule: regex patterns per field, and the channel and stage it maps to."""

    channel: str
    stage: str
    source: str | None = None
    medium: str | None = None
    campaign: str | None = None

    def matches(self, source: str, medium: str, campaign: str) -> bool:
        for pattern, value in ((self.source, source), (self.medium, medium), (self.campaign, campaign)):
            if pattern is not None and not re.search(pattern, value or "", flags=re.IGNORECASE):
                return False
        return True


class Taxonomy:
    """Ordered channel rules.

    Args:
        rules: rule dicts with ``channel``, ``stage`` and any of ``source``, ``medium``, ``campaign``.
    """

    def __init__(self, rules: Iterable[dict[str, str]] | None = None) -> None:
        self.rules = [Rule(**r) for r in (DEFAULT_RULES if rules is None else rules)]
        self._cache: dict[tuple[str, str, str], tuple[str, str]] = {}

    def classify(self, source: str | None, medium: str | None = None,
                 campaign: str | None = None) -> tuple[str, str]:
        """Return ``(channel, stage)`` for one source/medium/campaign triple."""
        key = (source or "", medium or "", campaign or "")
        hit = self._cache.get(key)
        if hit is None:
            hit = ("other", "awareness")
            for rule in self.rules:
                if rule.matches(*key):
                    hit = (rule.channel, rule.stage)
                    break
            self._cache[key] = hit
        return hit
