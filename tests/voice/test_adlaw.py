"""广告法 absolute terms, the SAMR 2023 exemptions decided from context, industry modes, English claims;
and the labelled corpus (acceptance: precision and recall >= 0.9)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from omnimix.errors import UsageError
from omnimix.voice.adlaw import check_ad_law, explain_ad_law
from omnimix.voice.brand import brand_from_dict

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "corpus"


def _found(text: str, **kw: Any) -> list[str]:
    issues = check_ad_law(text, language=kw.pop("language", "zh"), **kw)
    for i in issues:
        assert text[i.start : i.end] == i.text  # spans index the original text
        assert i.category == "ad_law" and i.message and i.rule.startswith("ad_law.")
    return [i.text for i in issues]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("全网最低价，手慢无！", ["最低价"]),
        ("最便宜的面膜就在这里", ["最便宜"]),
        ("国家级品质，世界级工艺", ["国家级", "世界级"]),
        ("市面上唯一一款添加双重玻色因的精华", ["唯一"]),
        ("行业首个冷萃面霜", ["首个"]),
        ("送礼首选", ["首选"]),
        ("顶级原料，极品口感", ["顶级", "极品"]),
        ("万能神器，一瓶搞定", ["万能"]),
        ("全国销量第一的身体乳", ["第一"]),
        ("NO.1的国货精华", ["NO.1"]),
        ("今年最火的防晒", ["最火"]),
        ("100%有效", ["100%"]),
    ],
)
def test_absolute_terms_are_violations(text: str, expected: list[str]) -> None:
    assert _found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "最近天气干燥，记得补水",
        "护肤第一步：先洁面",
        "唯品会首次上线",
        "瓶身顶部按压设计",
        "最后一天！满300减50",
        "我们会第一时间通知您",
        "第一件原价，第二件半价",
        "最高可减200元，优惠券最多叠加3张",
        "这是我最喜欢的一支唇釉",
        "最重要的是坚持",
        "北极圈里长大的蓝莓",
        "积极乐观的你",
        "您的第一笔订单已确认",
        "抢购第一名的用户送年卡",
        "这个问题最好咨询医生",
        "使用方法：第一，洁面；第二，轻拍",
        "100%纯棉面巾",
        "不是最贵的，但很耐用",
    ],
)
def test_look_alikes_are_lawful(text: str) -> None:
    assert _found(text) == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("本品牌最新款保湿霜，比上一代更轻薄", "7(1)"),
        ("最佳使用期：开封后6个月内", "7(2)"),
        ("冷藏后饮用口感最佳", "7(2)"),
        ("依据GB/T 18650，本品为最高等级", "7(3)"),
        ("「极品红」系列茶礼", "7(4)"),
        ("顶级厨房®不粘锅", "7(4)"),
        ("荣获中国食品工业协会颁发的“最佳创新产品奖”", "7(5)"),
        ("被文化和旅游部列入国家级非物质文化遗产代表性项目名录", "7(5)"),
        ("2023年华东地区线上销量第一*\n*数据来源：尼尔森零售审计", "7(6)"),
        ("2015年，我们在成都开出了第一家门店", "7(6)"),
        ("顾客第一，服务至上", "6(1)"),
        ("我们致力于为每一位顾客提供最好的服务", "6(1)"),
        ("世界最高峰的雪水滋养", "6(3)"),
    ],
)
def test_exemptions_decided_from_context(text: str, reason: str) -> None:
    assert _found(text) == []
    decisions = explain_ad_law(text, language="zh")
    assert decisions and all(d.verdict == "exempt" for d in decisions)
    assert decisions[0].reason.startswith(reason), decisions


def test_exemption_needs_its_context() -> None:
    # the same words without the context that exempts them are violations
    assert _found("2023年华东地区销量第一") == ["第一"]  # no source
    assert _found("全网最新款") == ["最新款"]  # no self-reference
    assert _found("本店比全网都便宜，最低价") == ["最低价"]  # others named in the clause
    assert _found("“最佳创新产品”") == ["最佳"]  # no award, no body


def test_brand_name_is_a_product_name() -> None:
    brand = brand_from_dict({"brand": {"name": "极品堂", "core_message": "x", "pillars": ["a"], "tone": ["b"]}})
    assert _found("极品堂新品上市", brand=brand) == []
    assert _found("极品堂新品上市") == ["极品"]


def test_severity_error_and_warning() -> None:
    sev = {i.text: i.severity for i in check_ad_law("顶级面霜，极致丝滑", language="zh")}
    assert sev == {"顶级": "error", "极致": "warning"}


@pytest.mark.parametrize(
    ("mode", "text", "expected"),
    [
        ("cosmetics", "药妆级修护，专治痘痘", ["药妆", "专治"]),
        ("cosmetics", "温和保湿，舒缓干燥", []),
        ("cosmetics", "有助于减少头屑，但不能治疗皮炎", []),
        ("food", "降血压、补肾，全家适合", ["降血压", "补肾"]),
        ("food", "开封后注意防潮，预防受潮", []),
        ("health", "鱼油能治疗高血脂", ["", "治疗"]),
        ("health", "有助于增强免疫力。本品不能代替药物", []),
        ("health", "保健食品不是药物，不能代替药物治疗疾病", []),
        ("medical", "治愈率高达98%，无效退款", ["治愈率", "无效退款"]),
        ("finance", "保本保息，年化收益8%", ["", "保本", "保息"]),
        ("finance", "承诺年化收益不低于6%", ["", "承诺年化收益不低于6%"]),
        ("finance", "近一年收益率12.3%。投资有风险，入市需谨慎", []),
        ("finance", "信用卡新户首刷礼：刷满3笔送行李箱", []),
    ],
)
def test_industry_modes(mode: str, text: str, expected: list[str]) -> None:
    assert _found(text, industry=mode) == expected


def test_industry_bans_only_in_their_mode() -> None:
    assert _found("降血压、补肾") == []
    assert _found("降血压、补肾", industry="food") == ["降血压", "补肾"]


def test_industry_from_brand_and_missing_statement_is_whole_asset() -> None:
    brand = brand_from_dict(
        {"brand": {"name": "x", "core_message": "x", "pillars": ["a"], "tone": ["b"], "industry": "health"}}
    )
    issues = check_ad_law("每天两粒，有助于维持血脂健康水平", language="zh", brand=brand)
    assert [(i.rule, i.start, i.end, i.severity) for i in issues] == [("ad_law.health.disclaimer", 0, 0, "warning")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The best moisturizer you'll ever use", ["The best"]),
        ("The No. 1 serum for glowing skin.", ["No. 1"]),
        ("100% safe for babies", ["100% safe"]),
        ("World's first self-cleaning bottle", ["World's first"]),
        ("Unbeatable comfort", ["Unbeatable"]),
        ("Best before: see lid. For best results apply twice daily.", []),
        ("Your first order ships free", []),
        ("Best regards, the team", []),
        ("Our best-selling serum is back", []),
        ("Named Best New Product by the Allure Beauty Awards 2023", []),
        ("No. 1 in UK grocery sales of oat milk in 2023 (Source: Kantar)", []),
        ("No. 1 in UK grocery sales of oat milk in 2023", ["No. 1"]),
        ("We strive to give you the best service", []),
    ],
)
def test_english_claims(text: str, expected: list[str]) -> None:
    assert _found(text, language="en") == expected


def test_english_industry() -> None:
    assert _found("Guaranteed returns of 8% a year, risk-free!", language="en", industry="finance") == [
        "",
        "Guaranteed returns",
        "risk-free",
    ]
    assert _found("Capital at risk. Invest from 100 a month.", language="en", industry="finance") == []


def test_language_guessed_and_bad_arguments() -> None:
    assert _found("全网最低价", language="") == ["最低价"]
    assert _found("the best deal", language="") == ["the best"]
    with pytest.raises(UsageError, match="industry"):
        check_ad_law("x", language="zh", industry="tobacco")
    with pytest.raises(UsageError, match="language"):
        check_ad_law("x", language="fr")


def _scorer() -> Any:
    spec = importlib.util.spec_from_file_location("voice_corpus", ROOT / "benchmarks" / "voice_corpus.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["voice_corpus"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_corpus_size() -> None:
    res = _scorer().score([CORPUS / "adlaw_terms.jsonl"])
    assert res["assets"]["zh"] >= 110 and res["assets"]["en"] >= 30


@pytest.mark.parametrize(
    "name",
    [
        "adlaw_terms.jsonl",
        "adlaw_terms_holdout.jsonl",
        "adlaw_terms_holdout2.jsonl",
        "adlaw_terms_holdout3.jsonl",
        "adlaw_terms_holdout4.jsonl",
        "adlaw_terms_holdout5.jsonl",
        "adlaw_terms_holdout6.jsonl",
        "adlaw_terms_holdout7.jsonl",
        "adlaw_terms_holdout8.jsonl",
        "medical.jsonl",
        "medical_holdout.jsonl",
    ],
)
def test_corpus_precision_and_recall(name: str) -> None:
    res = _scorer().score([CORPUS / name])
    for cat in ("ad_law", "terminology"):
        fig = res["figures"][cat]["all"]
        if fig["found"] == fig["expected"] == 0:
            continue
        assert (fig["precision"] or 0) >= 0.9 and (fig["recall"] or 0) >= 0.9, (cat, fig, res["misses"])


def test_english_claims_inside_chinese_copy() -> None:
    assert _found("爆款回归！The best choice for dry skin") == ["The best"]
    assert _found("全网No. 1的精华") == ["No. 1"]
    assert _found("2023年天猫面霜类目TOP1（数据来源：生意参谋）") == []  # decided by the Chinese rules


def test_usage_tip_when_to_consume() -> None:
    assert _found("烘焙日期印在袋子上，三天内喝最香") == []
    assert _found("这是最香的咖啡") == ["最香"]


def _strict(text: str, industry: str, language: str = "zh") -> list[tuple[str, str]]:
    return [(i.text, i.severity) for i in check_ad_law(text, language=language, industry=industry) if i.end > i.start]


def test_strict_modes_efficacy_and_returns_claims_get_no_exemption() -> None:
    # self-comparison and goal exemptions hold in general copy …
    assert _strict("本品牌最有效的降压药", "general") == []
    assert _strict("我们致力于为客户提供最安全的理财产品", "general") == []
    # … but not for efficacy (medical, health) or returns/safety (finance)
    assert _strict("本品牌最有效的降压药", "medical") == [("最有效", "error")]
    assert _strict("历代产品中效果最好的一款蛋白粉。本品不能代替药物", "health") == [("最好", "error")]
    assert _strict("我们致力于为客户提供最安全的理财产品。投资有风险", "finance") == [("最安全", "error")]
    # a softer word (100%) is an error there, and claims that are not about efficacy keep their exemption
    assert _strict("本药100%有效", "medical") == [("100%", "error")]
    assert _strict("本品牌最新款血压计，屏幕更大", "medical") == []
    assert _strict("我们致力于提供最好的服务。投资有风险", "finance") == []
    assert _strict("「极品」牌降压茶", "medical") == []  # a product name still clears it
    assert _strict("如有不适，最好咨询医生", "medical") == []  # advice, not a claim


def test_strict_modes_in_english() -> None:
    assert _strict("Our most effective formula ever", "general", "en") == []
    assert _strict("Our most effective formula ever", "medical", "en") == [("Our most effective", "error")]
    assert _strict("Our strongest probiotic ever, for an immune boost", "health", "en") == [("Our strongest", "error")]
    assert _strict("Our latest blood pressure monitor has a bigger screen", "medical", "en") == []
    assert _strict("Our safest fund. Capital at risk.", "finance", "en") == [("Our safest", "error")]


def test_sayings_about_the_world_are_not_claims() -> None:
    assert _found("最美的风景在路上，带上防晒出发吧") == []
    assert _found("最美的面霜在这里") == ["最美"]


def test_terms_of_trade_are_not_claims() -> None:
    assert _found("包间最低消费200元，可用券抵扣") == []
    assert _found("最小起订量10箱") == []
    assert _found("业内最低价") == ["最低价"]


def test_position_words_are_not_claims() -> None:
    assert _found("App首页最上方就是会员专区") == []
    assert _found("货架最底层是试用装") == []
