"""Terminology: banned/required terms, substitutions, brand-name spelling, Traditional/Simplified."""

from __future__ import annotations

from typing import Any

from omnimix.voice.brand import Brand, brand_from_dict
from omnimix.voice.terms import check_terminology, expected_script, find_term


def _brand(**extra: Any) -> Brand:
    raw: dict[str, Any] = {
        "brand": {"name": "绿野", "core_message": "温和护肤", "pillars": ["温和"], "tone": ["亲切"]},
        "terms": {"banned": {"便宜": "实惠", "剁手": "入手", "亲": "", "cheap": "affordable"}},
        "names": {"accepted": ["绿野", "Lvye", "OmniGreen"], "wrong": {"绿叶": "绿野"}},
    }
    for k, v in extra.items():
        raw.setdefault(k, {}).update(v)
    return brand_from_dict(raw)


def _issues(text: str, brand: Brand | None = None, language: str = "zh") -> list[tuple[str, str, str]]:
    out = check_terminology(text, brand or _brand(), language=language)
    for i in out:
        assert text[i.start : i.end] == i.text and i.category == "terminology" and i.message
    return [(i.rule, i.text, i.suggestion) for i in out]


def test_banned_term_with_replacement_is_a_substitution() -> None:
    assert _issues("太便宜了！") == [("terminology.substitution", "便宜", "实惠")]


def test_banned_term_without_replacement() -> None:
    assert _issues("亲，已发货") == [("terminology.banned", "亲", "删除")]


def test_han_terms_need_word_edges() -> None:
    assert _issues("亲爱的顾客，亲切的服务") == []  # 亲 inside 亲爱 / 亲切 is not the banned 亲
    assert find_term("北极品牌的极品茶", "极品") == [(5, 7)]


def test_latin_terms_ignore_case_and_need_word_edges() -> None:
    assert _issues("Cheap and cheerful, not cheaper", language="en") == [
        ("terminology.substitution", "Cheap", "affordable")
    ]


def test_banned_term_in_the_other_script() -> None:
    brand = brand_from_dict(
        {
            "brand": {"name": "山城", "core_message": "x", "pillars": ["a"], "tone": ["b"], "script": "traditional"},
            "terms": {"banned": {"便宜": "抵食"}},
        }
    )
    assert _issues("超便宜蛋撻", brand) == [("terminology.substitution", "便宜", "抵食")]
    assert _issues("超便宜蛋撻", brand)[0][0] == "terminology.substitution"
    assert _issues("平价又好食", brand) == [("terminology.script", "平价", "平價")]


def test_required_term_missing_is_a_whole_asset_issue() -> None:
    brand = _brand(terms={"required": ["会员日"]})
    out = check_terminology("新品上市", brand, language="zh")
    assert [(i.rule, i.start, i.end, i.suggestion) for i in out] == [("terminology.required", 0, 0, "会员日")]
    assert check_terminology("会员日新品上市", brand, language="zh") == []
    assert check_terminology("會員日新品上市", brand, language="zh-HK") == []  # the term in the asset's script


def test_brand_name_spellings() -> None:
    assert _issues("绿叶面霜上新") == [("terminology.brand_name", "绿叶", "绿野")]
    got = _issues("Try Omnigreen, Omni Green or Omni-Green - or OmniGren. OmniGreen's fine.", language="en")
    assert [g[1] for g in got] == ["Omnigreen", "Omni Green", "Omni-Green", "OmniGren"]
    assert all(g[2] == "OmniGreen" for g in got)
    assert _issues("OmniGreens and OmniGreen", language="en") == []  # plural, exact


def test_script_against_the_brand() -> None:
    got = _issues("绿野會員本月可領取優惠券")
    assert got and all(r == "terminology.script" for r, _, _ in got)
    assert "".join(t for _, t, _ in got).startswith("會員")
    assert {s for _, _, s in got} >= {"会员"}


def test_script_from_language_tag() -> None:
    assert expected_script("zh-TW", None) == "traditional"
    assert expected_script("zh-Hans-CN", None) == "simplified"
    assert expected_script("zh", _brand(brand={"script": "traditional"})) == "traditional"
    assert _issues("會員專享，每日新鮮", language="zh-HK") == []
    assert [t for _, t, _ in _issues("會員专享", language="zh-HK")] == ["专享"]


def test_accepted_names_are_not_script_errors() -> None:
    brand = _brand(names={"accepted": ["绿野", "綠野"]})
    assert _issues("綠野新品", brand) == []


def test_clean_copy_has_no_issue() -> None:
    assert _issues("实惠又好用，绿野我回购第三次了") == []


def test_latin_terms_match_their_spelling_variants() -> None:
    from omnimix.voice.terms import find_term

    text = "Tea bags, a tea-bag, teabags and one TEA BAG; not teabagging or steeped"
    assert [text[s:e] for s, e in find_term(text, "tea bag")] == ["Tea bags", "tea-bag", "teabags", "TEA BAG"]
    assert find_term("the cheapest", "cheap") == []
