"""Offer details in copy: extraction from the grammar of offers, comparison with approved offers, and
conflicts between the assets of one campaign.

Grammar covered (zh and en):

- thresholds with a reduction: 满300减50, 每满 300 元减 50, 满300元立减50, 满300享8折, spend $50 get $10 off,
  $10 off orders over $50, save $10 on orders of $50+;
- reductions alone: 立减50, 直降50元, 领50元券, 优惠50元, 省50元, $10 off, save $10;
- percentages off: 8折 (= 20% off), 8.5折 / 85折 / 八五折 (= 15%), 五折, 半价, 打7折, 20% off, save 20%;
- codes: 优惠码 GREEN50, 券码：GREEN50, 口令「GREEN50」, use code GREEN50, promo code: GREEN50;
- dates: 11月11日, 2026年11月11日, 11/11, 2026-11-11, Nov 11, November 11th, 11 Nov 2026, with their role:
  即日起至11月11日, 11月1日-11月11日, 截止11月11日, 11月1日起, until Nov 11, from Nov 1 to Nov 11, ends 11/11;
- prices: ¥99, ￥99, 99元, RMB 99, $19.99 in a price context (到手价, 仅需, 秒杀价, only, now, just ...),
  never an original price (原价, 划线价, was, regular).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from omnimix.voice.brand import Brand, Offer
from omnimix.voice.types import Asset, Issue

__all__ = ["Conflict", "Mention", "OfferFacts", "campaign_conflicts", "check_offers", "extract_offers"]

# ---------------------------------------------------------------------------------------------- numbers
_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_CN = "零〇一二两三四五六七八九十百千万"
NUM = rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?|[{_CN}]+"


def _num(s: str) -> float | None:
    s = s.strip().replace(",", "")
    if not s:
        return None
    if s[0].isdigit():
        try:
            return float(s)
        except ValueError:
            return None
    total, section, cur = 0, 0, 0
    for ch in s:
        if ch in _CN_DIGIT:
            cur = _CN_DIGIT[ch]
        elif ch in _CN_UNIT:
            unit = _CN_UNIT[ch]
            if unit == 10000:
                total += (section + cur) * unit
                section, cur = 0, 0
            else:
                section += (cur or 1) * unit
                cur = 0
        else:
            return None
    return float(total + section + cur)


def _discount_percent(s: str) -> float | None:
    """The percentage off of an ``N折`` figure: 8 → 20, 8.5 / 85 / 八五 → 15, 五 → 50."""
    s = s.strip()
    if s and all(ch in _CN_DIGIT for ch in s) and len(s) == 2:  # 八五折
        v = _CN_DIGIT[s[0]] + _CN_DIGIT[s[1]] / 10
    else:
        n = _num(s)
        if n is None:
            return None
        v = n / 10 if n >= 10 else n
    if not 0 < v < 10:
        return None
    return round(100 - v * 10, 2)


# ---------------------------------------------------------------------------------------------- types
@dataclass(frozen=True)
class Mention:
    """One offer detail found in a text.

    ``field`` is threshold | amount | percent | code | start | end | price; ``value`` a float (money, percent),
    a str (code) or a ``(year | None, month, day)`` tuple (dates). ``group`` ties a threshold to the
    reduction of the same deal (满300减50 → both share a group; ``-1`` = none).
    """

    field: str
    value: float | str | tuple[int | None, int, int]
    start: int
    end: int
    text: str
    group: int = -1


@dataclass(frozen=True)
class OfferFacts:
    """Every offer detail of one text."""

    mentions: tuple[Mention, ...]

    def values(self, field: str) -> list[float | str | tuple[int | None, int, int]]:
        return [m.value for m in self.mentions if m.field == field]

    def deals(self) -> list[tuple[float, str, float]]:
        """(threshold, 'amount'|'percent', value) for every threshold tied to a reduction."""
        out = []
        by_group: dict[int, list[Mention]] = {}
        for m in self.mentions:
            if m.group >= 0:
                by_group.setdefault(m.group, []).append(m)
        for ms in by_group.values():
            th = [m for m in ms if m.field == "threshold"]
            red = [m for m in ms if m.field in ("amount", "percent")]
            if th and red:
                out.append((float(th[0].value), red[0].field, float(red[0].value)))  # type: ignore[arg-type]
        return out

    def __bool__(self) -> bool:
        return bool(self.mentions)


@dataclass(frozen=True)
class Conflict:
    """Assets of one campaign that disagree on ``field``; ``values[i]`` is what ``assets[i]`` says."""

    campaign: str
    field: str
    assets: tuple[str, ...]
    values: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "campaign": self.campaign,
            "field": self.field,
            "assets": list(self.assets),
            "values": list(self.values),
        }


# ---------------------------------------------------------------------------------------------- patterns
_CUR_PRE = r"(?:[¥￥$€£]|RMB\s?|CNY\s?|US\$|USD\s?)"
_CUR_POST = r"(?:\s?(?:元|块钱|块|RMB|CNY|USD|dollars?))"
MONEY = rf"{_CUR_PRE}?\s?(?P<{{n}}>{NUM}){_CUR_POST}?"


def _money(name: str) -> str:
    return MONEY.replace("{n}", name)


_DEAL_ZH = re.compile(
    rf"(?:每)?满\s*{_money('th')}\s*[,，、]?\s*(?:即可|就|可|再)?\s*(?:(?P<verb>立减|直减|减|省|返|送|抵|享受?|打|用)\s*"
    rf"(?:{_money('am')}(?![\d.]*\s*(?:折|%|％))(?:\s*元?(?:优惠)?券)?|(?P<pc>{NUM})\s*折|(?P<pp>\d+(?:\.\d+)?)\s*[%％]\s*(?:折扣|优惠)?))"
)
_DEAL_ZH_SHORT = re.compile(rf"(?:每)?满\s*{_money('th')}\s*[-－]\s*{_money('am')}(?![\d.月日号%％折])")
_DEAL_EN = [
    re.compile(
        rf"(?i)(?:spend(?:\s+(?:over|more\s+than|at\s+least|above))?|buy|orders?\s+(?:of|over|above)"
        rf"|purchases?\s+(?:of|over|above))\s+{_money('th')}\+?"
        rf"(?:\s+or\s+more)?[,\s]+(?:and\s+)?(?:get|save|take|enjoy)\s+(?:(?:{_money('am')}(?![\d.]*\s*%))|(?P<pp>\d+(?:\.\d+)?)\s*%)"
        r"(?:\s+off)?"
    ),
    re.compile(
        rf"(?i)(?:{_money('am')}(?![\d.]*\s*%)|(?P<pp>\d+(?:\.\d+)?)\s*%)\s+off\s+(?:(?:your\s+|any\s+|all\s+)?"
        rf"(?:orders?|purchases?|baskets?|spend)\s+)?(?:of\s+|over\s+|above\s+|of\s+over\s+)?{_money('th')}\+?"
    ),
    re.compile(
        rf"(?i)(?:save|get|take)\s+(?:{_money('am')}(?![\d.]*\s*%)|(?P<pp>\d+(?:\.\d+)?)\s*%)(?:\s+off)?\s+"
        rf"(?:on|when\s+you\s+spend|with|if\s+you\s+spend)\s+"
        rf"(?:(?:orders?|purchases?)\s+(?:of|over|above)\s+)?{_money('th')}\+?"
    ),
]
_AMOUNT_ZH = re.compile(
    rf"(?:立减|直降|直减|立省|优惠|减免|省|领|送|抵扣?)\s*{_money('am')}(?=\s*(?:元|块|券|优惠券|红包|现金|$|[，,。！!\s]))"
    rf"|{_money('am2')}\s*(?:元)?(?:无门槛)?(?:优惠券|代金券|红包|券)"
)
_AMOUNT_EN = re.compile(
    rf"(?i)(?:{_CUR_PRE}\s?(?P<am>{NUM}))\s+off\b|(?:save|get)\s+{_CUR_PRE}\s?(?P<am2>{NUM})\b"
    rf"|{_CUR_PRE}\s?(?P<am3>{NUM})\s+(?:coupon|voucher|discount)\b"
)
_PERCENT_ZH = re.compile(
    rf"(?:打|享|低至|全场|限时)?\s*(?P<pc>[\d.]+|[{_CN}]{{1,2}})\s*折(?!叠|腾|射|磨|服|纸|返|线|扣率)|(?P<half>半价)"
)
_PERCENT_EN = re.compile(
    r"(?i)(?P<pp>\d+(?:\.\d+)?)\s*(?:%|\s+percent)\s*(?:off|discount)\b|(?:save|take|get)\s+(?:up\s+to\s+)?(?P<pp2>\d+(?:\.\d+)?)\s*%"
    r"|(?P<pp3>\d+(?:\.\d+)?)\s*[%％]\s*(?:折扣|优惠)"
)
_CODE = re.compile(
    r"(?i:优惠码|折扣码|券码|兑换码|口令|暗号|promo\s*code|coupon\s*code|discount\s*code|voucher\s*code|\bcode)"
    r"\s*(?:[:：是为]|is)?\s*[「“\"'《(（]?\s*(?P<code>[A-Z0-9][A-Z0-9_-]{2,19})(?![A-Za-z0-9])"
)
_MONTHS = {
    m: i + 1
    for i, ms in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])
    for m in (ms,)
}
_MON = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?"
    r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE = re.compile(
    rf"(?:(?P<zy>\d{{4}})\s*年\s*)?(?P<zm>\d{{1,2}}|[{_CN}]{{1,3}})\s*月\s*(?P<zd>\d{{1,2}}|[{_CN}]{{1,3}})\s*[日号]"
    rf"|(?P<iy>\d{{4}})[-/.](?P<im>\d{{1,2}})[-/.](?P<id>\d{{1,2}})"
    rf"|(?i:(?P<em>{_MON})\s+(?P<ed>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s*(?P<ey>\d{{4}}))?)"
    rf"|(?i:(?P<ed2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<em2>{_MON})(?:,?\s*(?P<ey2>\d{{4}}))?)"
    rf"|(?<![\d.$¥￥])(?P<sm>1[0-2]|0?[1-9])/(?P<sd>3[01]|[12]\d|0?[1-9])(?![\d/%])"
    rf"|(?<![\d.$¥￥])(?P<xd>3[01]|2\d|1[3-9])/(?P<xm>1[0-2]|0?[1-9])(?![\d/%])"
    rf"|(?<![\d.$¥￥])(?P<dm>1[0-2]|0?[1-9])\.(?P<dd>3[01]|[12]\d|0?[1-9])(?![\d.%％折元块])"
)
_END_BEFORE = re.compile(
    r"(?i)(?:至|到|截止(?:到|至)?|截至|止|until|till|til|through|thru|\bto|ends?(?:\s+on)?|by|before|expires?(?:\s+on)?|expiring|last\s+day|[-–—~～])\s*$"
)
_START_BEFORE = re.compile(r"(?i)(?:从|自|于|starting(?:\s+on)?|starts?(?:\s+on)?|from|begins?(?:\s+on)?)\s*$")
_START_AFTER = re.compile(r"^\s*(?:[0-9:：点时]*\s*)?(?:起|开始|开抢|开启|正式开)")
_END_AFTER = re.compile(r"^\s*(?:[0-9:：点时]*\s*)?(?:止|截止|结束|前|为止|到期|失效)")
_RANGE_AFTER = re.compile(r"^\s*(?:[0-9:：点时]*\s*)?(?:[-–—~～至到]|to\b|until\b|through\b|thru\b)", re.I)
_DAY_TAIL = re.compile(
    r"^\s*(?:[0-9:：点时]*\s*)?[-–—~～至到]\s*(?P<day>3[01]|[12]\d|0?[1-9])\s*(?:[日号]|(?![\d/.:：月%]))"
)
_PRICE = re.compile(
    rf"(?P<ctx>到手价|一口价|活动价|券后价?|秒杀价|抢购价|特惠价|促销价|团购价|直播价|会员价|拼团价|特价|限时价|现价|仅售|售价|仅需|只需|只要|低至|仅|价格|price(?:d)?(?:\s+at)?|only|just|now|for)"
    rf"\s*[:：]?\s*(?P<cur>{_CUR_PRE})?\s?(?P<pr>\d+(?:\.\d+)?)\s*(?P<post>元|块|RMB)?",
    re.I,
)
_PRESALE = re.compile(r"(?i)预售|定金|预定|预约|付定|presale|pre-sale|pre-order|preorder|early\s+access")
_ITEM_DEAL = re.compile(r"买\s*[\d一二两三四五六七八九十]+\s*[件袋盒杯份个瓶支]?\s*$")
# between an end word and its date: a weekday, a time, "midnight on" (ends Sunday, Nov 30; until 11:59 pm on Nov 11)
_END_FILLER = re.compile(
    r"(?i)(?:[,\s]*(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?|midnight|noon"
    r"|\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|on|at|the))+[,\s]*$"
)
_SECOND_ITEM = re.compile(
    r"(?i)(?:第二件|第2件|第二份|第二杯|第2杯|second\s+(?:item|one|cup)s?\s*(?:at)?"
    r"|[0-9一二两三四五六七八九十]+\s*[件袋盒杯份]\s*(?:及以上|以上)?\s*(?:享|打|即享|可享|立享)?)\s*$"
)
_UP_TO = re.compile(r"(?i)(?:低至|最低|最高|up\s+to)\s*\S{0,2}$|^低至|^最低")
_BARE_PRICE = re.compile(r"(?P<cur>[¥￥])\s?(?P<pr>\d+(?:\.\d+)?)")
_ORIGINAL = re.compile(
    r"(?i)(?:原价|划线价|吊牌价|市场价|日常价|was|regular(?:ly)?|rrp|list\s+price|compare\s+at)\s*[:：]?\s*$"
)


def _date_value(m: re.Match[str]) -> tuple[int | None, int, int] | None:
    g = m.groupdict()
    year: int | None = None
    if g.get("zm"):
        mo, dy = _num(g["zm"]), _num(g["zd"])
        year = int(g["zy"]) if g.get("zy") else None
    elif g.get("im"):
        year, mo, dy = int(g["iy"]), float(g["im"]), float(g["id"])
    elif g.get("em"):
        mo, dy = float(_MONTHS[g["em"][:3].lower()]), float(g["ed"])
        year = int(g["ey"]) if g.get("ey") else None
    elif g.get("em2"):
        mo, dy = float(_MONTHS[g["em2"][:3].lower()]), float(g["ed2"])
        year = int(g["ey2"]) if g.get("ey2") else None
    elif g.get("sm"):
        mo, dy = float(g["sm"]), float(g["sd"])
    elif g.get("xm"):  # day/month, when the day cannot be a month (30/11)
        mo, dy = float(g["xm"]), float(g["xd"])
    else:
        mo, dy = float(g["dm"]), float(g["dd"])
    if mo is None or dy is None or not (1 <= mo <= 12 and 1 <= dy <= 31):
        return None
    return (year, int(mo), int(dy))


class _Spans:
    def __init__(self) -> None:
        self.used: list[tuple[int, int]] = []

    def free(self, a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in self.used)

    def take(self, a: int, b: int) -> None:
        self.used.append((a, b))


def _grp(m: re.Match[str], *names: str) -> tuple[str, int, int] | None:
    for n in names:
        if n in m.groupdict() and m.group(n) is not None:
            return m.group(n), m.start(n), m.end(n)
    return None


def extract_offers(text: str) -> OfferFacts:
    """Every offer detail of ``text`` (see the module docstring for the grammar)."""
    out: list[Mention] = []
    spans = _Spans()
    group = 0
    # deals: a threshold tied to a reduction
    for rx in (_DEAL_ZH, _DEAL_ZH_SHORT, *_DEAL_EN):
        for m in rx.finditer(text):
            if not spans.free(m.start(), m.end()):
                continue
            th = _num(m.group("th"))
            if th is None:
                continue
            if re.match(r"(?i)buy\s+\d", m.group(0)):
                continue  # buy 2 get 1 free: an item-count deal, not a spend threshold
            red: Mention | None = None
            am = _grp(m, "am")
            if am and (v := _num(am[0])) is not None:
                red = Mention("amount", v, m.start(), m.end(), m.group(0), group)
            elif (pc := _grp(m, "pc")) and (pd := _discount_percent(pc[0])) is not None:
                red = Mention("percent", pd, m.start(), m.end(), m.group(0), group)
            elif (pp := _grp(m, "pp")) and 0 < float(pp[0]) < 100:
                red = Mention("percent", float(pp[0]), m.start(), m.end(), m.group(0), group)
            if red is None:
                continue
            out += [Mention("threshold", th, m.start(), m.end(), m.group(0), group), red]
            spans.take(m.start(), m.end())
            group += 1
    for rx in (_AMOUNT_ZH, _AMOUNT_EN):
        for m in rx.finditer(text):
            g = _grp(m, "am", "am2", "am3")
            if g is None or not spans.free(m.start(), m.end()):
                continue
            v = _num(g[0])
            items = _ITEM_DEAL.search(text[max(0, m.start() - 4) : m.start()])
            if items and not re.search(r"元|块|券|[¥￥$]", m.group(0)):
                continue  # 买一送一, 买2送1: items, not money
            if v is not None and v > 0:
                out.append(Mention("amount", v, m.start(), m.end(), m.group(0)))
                spans.take(m.start(), m.end())
    for rx in (_PERCENT_ZH, _PERCENT_EN):
        for m in rx.finditer(text):
            before = text[max(0, m.start() - 8) : m.start()]
            if (
                not spans.free(m.start(), m.end())
                or _SECOND_ITEM.search(before)
                or _UP_TO.search(text[max(0, m.start() - 6) : m.start() + 2])
            ):
                continue
            if m.groupdict().get("half"):
                p: float | None = 50.0
            elif (g := _grp(m, "pc")) is not None:
                p = _discount_percent(g[0])
            elif (g := _grp(m, "pp", "pp2", "pp3")) is not None:
                p = float(g[0]) if 0 < float(g[0]) < 100 else None
            else:
                p = None
            if p is not None:
                out.append(Mention("percent", p, m.start(), m.end(), m.group(0).strip()))
                spans.take(m.start(), m.end())
    for m in _CODE.finditer(text):
        c = m.group("code")
        if any(ch.isalpha() for ch in c) and spans.free(m.start("code"), m.end("code")):
            out.append(Mention("code", c.upper(), m.start("code"), m.end("code"), c))
            spans.take(m.start("code"), m.end("code"))
    out += _dates(text, spans)
    for m in _PRICE.finditer(text):
        if (
            m.group("cur") is None
            and m.group("post") is None
            and not re.match(
                r"(?i)到手价|一口价|活动价|券后|秒杀价|抢购价|特惠价|促销价|团购价|直播价|会员价|拼团价|特价|限时价|现价|售价|price",
                m.group("ctx"),
            )
        ):
            continue
        a, b = m.start("pr"), m.end()
        if spans.free(a, b):
            out.append(Mention("price", float(m.group("pr")), m.start(), m.end(), m.group(0)))
            spans.take(a, b)
    for m in _BARE_PRICE.finditer(text):
        if spans.free(m.start(), m.end()) and not _ORIGINAL.search(text[max(0, m.start() - 8) : m.start()]):
            out.append(Mention("price", float(m.group("pr")), m.start(), m.end(), m.group(0)))
            spans.take(m.start(), m.end())
    out.sort(key=lambda x: (x.start, x.field))
    return OfferFacts(tuple(out))


def _dates(text: str, spans: _Spans) -> list[Mention]:
    found: list[tuple[re.Match[str], tuple[int | None, int, int]]] = []
    for m in _DATE.finditer(text):
        if not spans.free(m.start(), m.end()):
            continue
        v = _date_value(m)
        if v is None:
            continue
        if (m.group("sm") is not None or m.group("dm") is not None or m.group("xm") is not None) and not _dateish(
            text, m
        ):
            continue
        found.append((m, v))
    out: list[Mention] = []
    for i, (m, v) in enumerate(found):
        before, after = text[max(0, m.start() - 12) : m.start()], text[m.end() : m.end() + 8]
        tail = _DAY_TAIL.match(text[m.end() : m.end() + 16])
        nxt = found[i + 1][0].start() if i + 1 < len(found) else len(text)
        if tail and m.end() + tail.end() <= nxt and int(tail.group("day")) > v[2]:  # 11月1日-11日, Nov 27-30
            a, b = m.end() + tail.start("day"), m.end() + tail.end("day")
            out.append(Mention("start", v, m.start(), m.end(), m.group(0)))
            out.append(Mention("end", (v[0], v[1], int(tail.group("day"))), a, b, text[a:b]))
            spans.take(m.start(), b)
            continue
        role = ""
        wide = text[max(0, m.start() - 32) : m.start()]
        trimmed = _END_FILLER.sub("", wide) if re.search(r"[A-Za-z]", wide[-12:] or " ") else before
        if _START_AFTER.match(after) or _START_BEFORE.search(before) or _START_BEFORE.search(trimmed):
            role = "start"
        elif _END_AFTER.match(after) or _END_BEFORE.search(before) or _END_BEFORE.search(trimmed):
            role = "end"
        elif _RANGE_AFTER.match(after) and i + 1 < len(found) and found[i + 1][0].start() - m.end() <= 10:
            role = "start"
        prev_end = found[i - 1][0].end() if i > 0 else 0
        if role and _PRESALE.search(text[max(prev_end, m.start() - 16) : m.start()]):
            continue  # the presale's own dates (预售 10月31日20点开抢), not the offer's
        if role:
            if role == "end" and v[0] is None and i > 0 and found[i - 1][1][0] is not None:
                v = (found[i - 1][1][0], v[1], v[2])  # 2026年11月1日至11月11日
            out.append(Mention(role, v, m.start(), m.end(), m.group(0)))
            spans.take(m.start(), m.end())
    return out


def _dateish(text: str, m: re.Match[str]) -> bool:
    """A bare ``11/11`` is a date only next to a date word (until, ends, 至, 截止 ...)."""
    before, after = text[max(0, m.start() - 12) : m.start()], text[m.end() : m.end() + 8]
    return bool(
        _END_BEFORE.search(before)
        or _START_BEFORE.search(before)
        or _START_AFTER.match(after)
        or _END_AFTER.match(after)
        or _RANGE_AFTER.match(after)
    )


# ---------------------------------------------------------------------------------------------- format
def fmt_value(field: str, v: float | str | tuple[int | None, int, int]) -> str:
    if isinstance(v, tuple):
        y, mo, d = v
        return f"{y:04d}-{mo:02d}-{d:02d}" if y else f"{mo:02d}-{d:02d}"
    if isinstance(v, float):
        s = f"{v:g}"
        return f"{s}% off" if field == "percent" else s
    return v


def _fmt_deal(d: tuple[float, str, float]) -> str:
    th, kind, v = d
    return f"{th:g}-{v:g}" if kind == "amount" else f"{th:g}-{v:g}%"


def _same_date(a: tuple[int | None, int, int], b: date) -> bool:
    return (a[1], a[2]) == (b.month, b.day) and (a[0] is None or a[0] == b.year)


# ---------------------------------------------------------------------------------------------- checks
def check_offers(asset: Asset, brand: Brand, facts: OfferFacts | None = None) -> list[Issue]:
    """Offer details of ``asset`` that disagree with the brand's approved offers for its campaign.

    A campaign without approved offers (``[[offers]]`` with its ``campaign`` or none) is not compared;
    its assets are still compared with each other (:func:`campaign_conflicts`).
    """
    facts = facts if facts is not None else extract_offers(asset.text)
    if not facts or not brand.offers:
        return []
    zh = asset.lang == "zh"
    approved = brand.offers_for(asset.campaign)
    if not approved:  # nothing approved for this campaign: only its own consistency is checked (conflicts)
        return []
    issues: list[Issue] = []
    grouped = {m.group for m in facts.mentions if m.group >= 0}
    for g in sorted(grouped):
        ms = [m for m in facts.mentions if m.group == g]
        th = next(m for m in ms if m.field == "threshold")
        red = next(m for m in ms if m.field != "threshold")
        ok = [o for o in approved if o.threshold is not None]
        if not ok:
            continue
        if not any(o.threshold == th.value and getattr(o, red.field) == red.value for o in ok):
            want = "; ".join(_offer_text(o) for o in ok)
            msg = (
                f"优惠条件与批准的不一致：{th.text}" if zh else f"offer terms differ from the approved ones: {th.text}"
            )
            issues.append(Issue(f"offer.{red.field}_mismatch", "offer", "error", th.start, th.end, th.text, msg, want))
    for m in facts.mentions:
        if m.group >= 0 or m.field == "threshold":
            continue
        issue = _check_field(m, approved, zh)
        if issue is not None:
            issues.append(issue)
    return issues


def _offer_text(o: Offer) -> str:
    if o.text:
        return o.text
    parts = []
    if o.threshold is not None:
        parts.append(f"threshold {o.threshold:g}")
    if o.amount is not None:
        parts.append(f"amount {o.amount:g}")
    if o.percent is not None:
        parts.append(f"{o.percent:g}% off")
    return ", ".join(parts)


def _check_field(m: Mention, approved: Sequence[Offer], zh: bool) -> Issue | None:
    f = m.field
    if f in ("start", "end"):
        dates = [getattr(o, f) for o in approved if getattr(o, f) is not None]
        if not dates or any(_same_date(m.value, d) for d in dates):  # type: ignore[arg-type]
            return None
        want = " / ".join(d.isoformat() for d in dates)
        label = ("开始日期" if f == "start" else "截止日期") if zh else ("start date" if f == "start" else "end date")
    else:
        vals = [getattr(o, f) for o in approved if getattr(o, f) not in (None, "")]
        if f == "amount":  # a reduction named alone may be the reduction of a threshold deal
            vals = [o.amount for o in approved if o.amount is not None]
        if not vals:
            if f in ("code", "price", "percent", "amount"):
                msg = f"未批准的{m.text}" if zh else f"{f} {m.text!r} is not in the approved offers"
                return Issue(
                    f"offer.unapproved_{f}",
                    "offer",
                    "warning",
                    m.start,
                    m.end,
                    m.text,
                    msg,
                    "remove it or add it to brand.toml [[offers]]",
                )
            return None
        if m.value in vals:
            return None
        want = " / ".join(fmt_value(f, v) for v in vals)
        label = {"amount": "优惠金额", "percent": "折扣", "code": "优惠码", "price": "价格"}[f] if zh else f
    msg = (
        f"{label}与批准的优惠不一致：{m.text}（应为 {want}）"
        if zh
        else f"{label} {m.text!r} differs from the approved offer ({want})"
    )
    return Issue(f"offer.{f}_mismatch", "offer", "error", m.start, m.end, m.text, msg, want)


def campaign_conflicts(assets: Iterable[tuple[Asset, OfferFacts]]) -> list[Conflict]:
    """Conflicts between assets of the same campaign: for each field, two assets whose values are disjoint.

    Threshold deals are compared by threshold (满300减50 vs 满300减60: amount) and by reduction
    (满300减50 vs 满400减50: threshold); different tiers (满300减50 and 满500减100) do not conflict.
    """
    by_campaign: dict[str, list[tuple[Asset, OfferFacts]]] = {}
    for a, f in assets:
        if a.campaign and f:
            by_campaign.setdefault(a.campaign, []).append((a, f))
    out: list[Conflict] = []
    for camp in sorted(by_campaign):
        items = by_campaign[camp]
        out += _deal_conflicts(camp, items)
        for field in ("amount", "percent", "code", "end", "price"):  # start dates differ by phase (预售)
            per: list[tuple[str, frozenset[str]]] = []
            for a, f in items:
                vals: set[str] = set()
                for m in f.mentions:
                    if m.field == field and m.group < 0:
                        v = m.value
                        if isinstance(v, tuple):
                            v = (None, v[1], v[2])  # compare dates by month and day
                        vals.add(fmt_value(field, v))
                if vals:
                    per.append((a.asset_id, frozenset(vals)))
            out += _disjoint(camp, field, per)
    return out


def _disjoint(camp: str, field: str, per: list[tuple[str, frozenset[str]]]) -> list[Conflict]:
    if len(per) < 2:
        return []
    if not any(not (x[1] & y[1]) for i, x in enumerate(per) for y in per[i + 1 :]):
        return []
    per = sorted(per, key=lambda p: (sorted(p[1]), p[0]))
    return [Conflict(camp, field, tuple(p[0] for p in per), tuple(",".join(sorted(p[1])) for p in per))]


def _deal_conflicts(camp: str, items: list[tuple[Asset, OfferFacts]]) -> list[Conflict]:
    out: list[Conflict] = []
    deals = [(a.asset_id, f.deals()) for a, f in items]
    deals = [(i, d) for i, d in deals if d]
    for field, key_i in (("amount", 0), ("threshold", 2)):  # same threshold: amounts agree; same amount: thresholds
        keys = sorted({(d[key_i], d[1]) for _, ds in deals for d in ds})
        for k in keys:
            per = []
            for aid, ds in deals:
                vals = frozenset(_fmt_deal(d) for d in ds if (d[key_i], d[1]) == k)
                if vals:
                    per.append((aid, vals))
            out += _disjoint(camp, field, per)
    # one conflict per (field, asset set)
    seen: set[tuple[str, tuple[str, ...]]] = set()
    uniq = []
    for c in out:
        if (c.field, c.assets) not in seen:
            seen.add((c.field, c.assets))
            uniq.append(c)
    return uniq
