from __future__ import annotations

from datetime import date

import pytest

from omnimix.voice.brand import Brand, Offer
from omnimix.voice.offers import Mention, campaign_conflicts, check_offers, extract_offers
from omnimix.voice.types import Asset


def _f(text: str) -> dict[str, list[object]]:
    out: dict[str, list[object]] = {}
    for m in extract_offers(text).mentions:
        out.setdefault(m.field, []).append(m.value)
    return out


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("满300减50", {"threshold": [300.0], "amount": [50.0]}),
        ("每满 300 元减 50 元，上不封顶", {"threshold": [300.0], "amount": [50.0]}),
        ("满399元立减80元", {"threshold": [399.0], "amount": [80.0]}),
        ("满三百减五十", {"threshold": [300.0], "amount": [50.0]}),
        ("满300享8折", {"threshold": [300.0], "percent": [20.0]}),
        ("下单立享7.5折", {"percent": [25.0]}),
        ("全场八五折", {"percent": [15.0]}),
        ("85折", {"percent": [15.0]}),
        ("限时九折", {"percent": [10.0]}),
        ("低至5折", {}),  # "as low as": not the terms of the offer
        ("30% OFF sitewide", {"percent": [30.0]}),
        ("save 25% today", {"percent": [25.0]}),
        ("领20元无门槛券", {"amount": [20.0]}),
        ("直降100元", {"amount": [100.0]}),
        ("$5 off your first order", {"amount": [5.0]}),
        ("Save $20 when you spend $100", {"threshold": [100.0], "amount": [20.0]}),
        ("$10 off orders over $50", {"threshold": [50.0], "amount": [10.0]}),
        ("spend $60 and save $15", {"threshold": [60.0], "amount": [15.0]}),
        ("Use promo code: FALL30", {"code": ["FALL30"]}),
        ("结算输入优惠码「LUYE50」", {"code": ["LUYE50"]}),
        ("券后价：¥129", {"price": [129.0]}),
        ("到手价99元（原价¥199）", {"price": [99.0]}),
        ("now only $19.99, was $29.99", {"price": [19.99]}),
    ],
)
def test_extraction_grammar(text: str, want: dict[str, list[object]]) -> None:
    assert _f(text) == want


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("即日起至11月11日", None, (None, 11, 11)),
        ("活动时间：11月1日-11月11日", (None, 11, 1), (None, 11, 11)),
        ("12月1日—12月12日", (None, 12, 1), (None, 12, 12)),
        ("11.1-11.11 全场满减", (None, 11, 1), (None, 11, 11)),
        ("截至2026年12月31日", None, (2026, 12, 31)),
        ("2026年11月1日至11月11日", (2026, 11, 1), (2026, 11, 11)),
        ("3月15日起全国有售", (None, 3, 15), None),
        ("until Nov 11", None, (None, 11, 11)),
        ("from Jan 15 to Jan 31", (None, 1, 15), (None, 1, 31)),
        ("offer ends January 31, 2027", None, (2027, 1, 31)),
        ("valid through 1/31", None, (None, 1, 31)),
        ("ends 31 Dec", None, (None, 12, 31)),
    ],
)
def test_dates_with_their_role(text: str, start: object, end: object) -> None:
    f = _f(text)
    assert f.get("start", [None])[0] == start
    assert f.get("end", [None])[0] == end


@pytest.mark.parametrize(
    "text",
    [
        "最近第一步折叠屏，98%的用户满意",
        "海拔1800米的云南保山，烘焙后7天内发货",
        "第1步：研磨15克豆子；92度热水闷蒸30秒",
        "9.9元一杯的日常咖啡",  # a price without a price word is not 9月9日
        "Brew 15 g at 93 C for 3 minutes; 4.8 stars from 2,000 reviews",
        "第二杯半价",
    ],
)
def test_no_offer_in_ordinary_numbers(text: str) -> None:
    got = _f(text)
    assert "start" not in got and "end" not in got and "threshold" not in got and "percent" not in got
    assert "amount" not in got and "code" not in got


def _brand(*offers: Offer) -> Brand:
    return Brand(name="b", core_message="c", pillars=("p",), tone=("t",), offers=offers)


def test_check_against_approved_offers() -> None:
    b = _brand(Offer(campaign="双11", threshold=300, amount=50, code="GREEN50", end=date(2026, 11, 11)))
    good = Asset("a", "wechat", "双11", "zh", "满300减50，券码GREEN50，即日起至11月11日")
    assert check_offers(good, b) == []
    bad = Asset("b", "wechat", "双11", "zh", "满300减60，券码GREEN60，截止11月12日")
    rules = sorted(i.rule for i in check_offers(bad, b))
    assert rules == ["offer.amount_mismatch", "offer.code_mismatch", "offer.end_mismatch"]
    issue = next(i for i in check_offers(bad, b) if i.rule == "offer.code_mismatch")
    assert bad.text[issue.start : issue.end] == "GREEN60" and issue.suggestion == "GREEN50"
    # a campaign without approved offers is not compared with the brand book
    assert check_offers(Asset("c", "wechat", "618", "zh", "全场8折"), b) == []


def test_conflicts_name_both_assets_and_values() -> None:
    a1 = Asset("a1", "douyin", "年货节", "zh", "年货节满199减40，截止1月20日")
    a2 = Asset("a2", "wechat", "年货节", "zh", "年货节满199减30，截止1月20日")
    a3 = Asset("a3", "store", "年货节", "zh", "满500减100，1月20日止")  # another tier: no conflict
    a4 = Asset("a4", "store", "其他", "zh", "满199减10")  # another campaign
    cs = campaign_conflicts((a, extract_offers(a.text)) for a in (a1, a2, a3, a4))
    assert [(c.field, c.assets, c.values) for c in cs] == [("amount", ("a2", "a1"), ("199-30", "199-40"))]
    assert cs[0].to_dict()["campaign"] == "年货节"


def test_consistent_campaign_has_no_conflict() -> None:
    texts = ["会员日全场85折，券码VIP8", "会员日八五折，满100减10", "85折+满200减25，第二杯半价，口令 VIP8"]
    assets = [Asset(f"x{i}", "wechat", "会员日", "zh", t) for i, t in enumerate(texts)]
    assert campaign_conflicts((a, extract_offers(a.text)) for a in assets) == []


def test_mention_spans_index_the_text() -> None:
    t = "双11：满300减50，优惠码 GREEN50，即日起至11月11日"
    for m in extract_offers(t).mentions:
        assert isinstance(m, Mention) and t[m.start : m.end] == m.text


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("满199-20，每满300-40", {"threshold": [199.0, 300.0], "amount": [20.0, 40.0]}),
        ("Get $10 off when you spend $40 or more", {"threshold": [40.0], "amount": [10.0]}),
        ("20 percent off sitewide", {"percent": [20.0]}),
        ("全场8折，部分商品低至5折", {"percent": [20.0]}),  # "as low as" is not the offer's terms
        ("up to 50% off selected bags", {}),
        ("仅售39.9元", {"price": [39.9]}),
        ("€5 off your order", {"amount": [5.0]}),
    ],
)
def test_more_offer_forms(text: str, want: dict[str, list[object]]) -> None:
    assert _f(text) == want


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("11月1日-11日满200减30", (None, 11, 1), (None, 11, 11)),
        ("Black Friday, Nov 27-30", (None, 11, 27), (None, 11, 30)),
        ("11月1日0点-11月11日24点", (None, 11, 1), (None, 11, 11)),
        ("coupon expires Dec 31", None, (None, 12, 31)),
        ("优惠券11月30日到期", None, (None, 11, 30)),
    ],
)
def test_more_date_forms(text: str, start: object, end: object) -> None:
    f = _f(text)
    assert f.get("start", [None])[0] == start
    assert f.get("end", [None])[0] == end


@pytest.mark.parametrize("text", ["任选2件8折", "满2件享9折", "两件及以上打85折", "第2件半价"])
def test_item_count_deals_are_not_storewide_percentages(text: str) -> None:
    assert "percent" not in _f(text)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("满300享15%优惠", {("threshold", 300.0), ("percent", 15.0)}),  # not 满300享1 (an amount of 1)
        ("满300打85折", {("threshold", 300.0), ("percent", 15.0)}),
        ("满300享8.5折", {("threshold", 300.0), ("percent", 15.0)}),
        ("spend more than $80, save 10%", {("threshold", 80.0), ("percent", 10.0)}),
        ("Spend over $50 and get $10 off", {("threshold", 50.0), ("amount", 10.0)}),
        ("Buy 2 get 1 free", set()),  # an item-count deal, not a spend threshold
    ],
)
def test_multi_digit_discounts_and_spend_phrases(text: str, want: set[tuple[str, float]]) -> None:
    got = {(m.field, m.value) for m in extract_offers(text).mentions}
    assert got == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("一口价88元", {("price", 88.0)}),
        ("拼团价59", {("price", 59.0)}),
        ("买一送一", set()),
        ("Ends Sunday, Nov 30", {("end", (None, 11, 30))}),
        ("Offer ends at 11:59 pm on Nov 30.", {("end", (None, 11, 30))}),
        ("Sale starts Monday, Nov 27", {("start", (None, 11, 27))}),
        ("Offer ends 30/11", {("end", (None, 11, 30))}),  # day/month when the day cannot be a month
        ("24/7 support", set()),
        # a presale's own dates are not the offer's
        ("双11预售开启，10月31日20点开抢，11月1日起付尾款", {("start", (None, 11, 1))}),
        ("Pre-order from Oct 20; the sale runs Nov 1 to Nov 11", {("start", (None, 11, 1)), ("end", (None, 11, 11))}),
    ],
)
def test_prices_weekday_dates_and_presales(text: str, want: set[tuple[str, object]]) -> None:
    assert {(m.field, m.value) for m in extract_offers(text).mentions} == want
