from __future__ import annotations

import pytest

from omnimix.taxonomy import Taxonomy


@pytest.mark.parametrize(
    ("source", "medium", "campaign", "expected"),
    [
        ("douyin", "cpc", "", ("douyin", "awareness")),
        ("巨量引擎", "", "", ("douyin", "awareness")),
        ("xiaohongshu", "social", "", ("xiaohongshu", "consideration")),
        ("weixin", "social", "", ("wechat", "consideration")),
        ("weibo", "", "", ("weibo", "awareness")),
        ("bilibili", "video", "", ("bilibili", "awareness")),
        ("baidu", "cpc", "", ("baidu", "consideration")),
        ("baidu", "organic", "", ("organic_search", "consideration")),
        ("google", "cpc", "", ("search", "consideration")),
        ("facebook", "paid_social", "", ("social", "awareness")),
        ("newsletter", "email", "", ("email", "retention")),
        ("partner", "affiliate", "", ("affiliate", "decision")),
        ("kol_partner", "kol", "", ("kol", "consideration")),
        ("dsp", "display", "", ("display", "awareness")),
        ("youku", "video", "", ("video", "awareness")),
        ("expo", "event", "", ("events", "consideration")),
        ("pos", "store", "", ("stores", "decision")),
        ("(direct)", "(none)", "", ("direct", "decision")),
        ("mystery", "zzz", "", ("other", "awareness")),
    ],
)
def test_default_taxonomy(source: str, medium: str, campaign: str, expected: tuple[str, str]) -> None:
    assert Taxonomy().classify(source, medium, campaign) == expected


def test_first_match_wins_and_custom_rules() -> None:
    tax = Taxonomy([{"campaign": "^618", "channel": "promo", "stage": "decision"},
                    {"source": "douyin", "channel": "douyin", "stage": "awareness"}])
    assert tax.classify("douyin", "cpc", "618大促") == ("promo", "decision")
    assert tax.classify("douyin", "cpc", "brand") == ("douyin", "awareness")
