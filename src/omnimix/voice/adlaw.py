"""Advertising law: 《广告法》第九条(三) absolute terms, decided from context, and industry bans.

Every absolute word (最…, 第一, 唯一, 首个, 国家级, 顶级, 极品, 100% …) found on jieba word edges is
a violation unless its context puts it in one of the cases of SAMR's 《广告绝对化用语执法指南》 (2023):

- not a claim about the goods: an ordinary word (最近, 第一步, 首次, 唯品会, 顶部), a cap of the offer
  itself (最高可减200元), a discourse opener (最重要的是), the writer's own taste (我最喜欢);
- art. 6: service attitude, philosophy or goal (致力于提供最好的服务, 顾客第一);
- art. 7(1) a comparison within one's own brand (本品牌最新款); 7(2) usage tips (最佳使用期);
  7(3) grades under a cited standard; 7(4) product names and trademarks (「极品红」系列, 顶级®);
  7(5) titles awarded by a named body; 7(6) ranks qualified by time and place with a source
  (2023年华东地区销量第一，数据来源：…); and background facts about the world (世界最高峰).

Industry modes (``medical``, ``health``, ``food``, ``cosmetics``, ``finance``) add the bans of articles
16, 17, 18 and 25 and the statements those articles require (本品不能代替药物, 投资有风险). In the
strict modes (``medical``, ``health``, ``finance``) an absolute word whose clause is about efficacy,
cure or effective rates, or about investment returns and safety, is an error whatever exemption would
otherwise apply (the guideline does not count these as minor); only a product name or trademark clears it.
Rules and cue lists are data: ``adlaw_rules.toml`` beside this module.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from omnimix.errors import UsageError
from omnimix.voice._adlaw_en import english_candidates
from omnimix.voice._hanseg import at_word_edges, is_edge, is_han, tokens_around
from omnimix.voice.brand import Brand
from omnimix.voice.types import Issue, Severity

__all__ = ["INDUSTRY_MODES", "STRICT_MODES", "AdLawDecision", "check_ad_law", "explain_ad_law"]

INDUSTRY_MODES = ("general", "cosmetics", "food", "health", "medical", "finance")
_SENT_END = "。！？!?；;\n"
_CLAUSE_END = _SENT_END + "，,、：:（）()【】 \u3000…~～"
_OPEN_Q = '「『“"《【〈‘'
_CLOSE_Q = '」』”"》】〉’'
_TIME = re.compile(
    r"\d{4}\s*年|\d{4}\s*[-/~至到]\s*\d{2,4}|20\d\d|年度|上半年|下半年|第[一二三四1-4]季度|Q[1-4]|\d{1,2}\s*月|双十一|双11|618|同期"
)
_USAGE_WHEN = re.compile(
    r"(?:内|后|前|时|趁热|趁鲜|冰镇|冷藏|加热)[^，。！？,.!?]{0,6}(?:喝|吃|饮用|食用|使用|冲泡|享用|品尝|泡|涂|敷)[^，。！？,.!?的]{0,4}$"
)
_LATIN_WORDS = re.compile(r"[A-Za-z]{2,}[\s.#-]+[A-Za-z0-9]")
_OWN_BEFORE = re.compile(r"(?:品牌|我们|我们家|我家|自家|本店|本公司)(?:的)?$")
_NUM = re.compile(r"\s*[\d０-９一二两三四五六七八九十百千万]")
_STATE_TITLES = (
    "非物质文化遗产",
    "非遗",
    "高新技术企业",
    "专精特新",
    "龙头企业",
    "示范基地",
    "示范企业",
    "重点实验室",
    "技术中心",
    "地理标志",
    "老字号",
    "保护品种",
    "名录",
    "检测中心",
    "检验中心",
    "质检中心",
    "检验检测",
    "工程技术研究中心",
)


@dataclass(frozen=True)
class AdLawDecision:
    """What was decided about one absolute word: ``violation``, ``exempt`` or ``lawful`` and why."""

    start: int
    end: int
    text: str
    verdict: str
    reason: str


@lru_cache(maxsize=1)
def _rules() -> dict[str, Any]:
    raw = resources.files("omnimix.voice").joinpath("adlaw_rules.toml").read_text(encoding="utf-8")
    return tomllib.loads(raw)


@lru_cache(maxsize=1)
def _upper_terms() -> dict[str, str]:
    return {str(k).upper(): str(v) for k, v in _rules()["absolute_zh"].items()}


@lru_cache(maxsize=1)
def _term_regex() -> re.Pattern[str]:
    terms = sorted(_rules()["absolute_zh"], key=len, reverse=True)
    alts = [re.escape(t) if not t.isascii() else re.escape(t).replace("\\.", r"\.?\s?") for t in terms]
    return re.compile("|".join(alts) + "|最", re.IGNORECASE)


@lru_cache(maxsize=16)
def _industry_regexes(mode: str, lang: str, kind: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    table = _rules().get("industry", {}).get(mode, {}).get(f"{kind}{lang}" if kind else lang, {})
    return tuple((re.compile(k, re.IGNORECASE), str(v)) for k, v in table.items())


def _bounds(text: str, s: int, e: int, ends: str) -> tuple[int, int]:
    a = s
    while a > 0 and text[a - 1] not in ends:
        a -= 1
    b = e
    while b < len(text) and text[b] not in ends:
        b += 1
    return a, b


def _has(hay: str, cues: list[str] | tuple[str, ...]) -> bool:
    return any(c in hay for c in cues)


def _token_at(text: str, pos: int) -> tuple[str, int, int] | None:
    for w, a, b in tokens_around(text, pos):
        if a <= pos < b:
            return w, a, b
    return None


def _next_token(text: str, pos: int) -> tuple[str, int, int] | None:
    for w, a, b in tokens_around(text, pos):
        if a >= pos and w.strip():
            return w, a, b
    return None


def _inside_word(text: str, s: int, e: int, words: list[str], term: str) -> bool:
    """Is text[s:e] part of one of ``words`` at this place (``世界冠军`` around ``冠军``)?"""
    for w in words:
        i = w.find(term)
        while i >= 0:
            a = s - i
            if a >= 0 and text[a : a + len(w)] == w:
                return True
            i = w.find(term, i + 1)
    return False


def _span_of_zui(text: str, s: int) -> tuple[int, int] | None:
    """The word a 最 starts: its own token (最好, 最新款) or 最 with the next token (最 便宜)."""
    tok = _token_at(text, s)
    if tok is None or (tok[1] != s and not text[tok[1] : s].isspace()):
        return None
    if tok[0] != "最":
        return s, tok[2]
    nxt = _next_token(text, s + 1)
    if nxt is None or nxt[1] != s + 1 or not is_han(nxt[0][0]):
        return None
    return s, nxt[2]


_CLAIM_AFTER_ZUIHAO = ("的", "了", "不过", "之", "喝", "吃", "看", "用", "玩", "听", "穿", "闻", "卖", "最")


def _advice_zuihao(text: str, s: int) -> bool:
    """最好 as "had better" (最好咨询医生, 面膜最好敷15分钟), not "the best" (效果最好, 最好的, 是最好)."""
    nxt = text[s + 2 : s + 4]
    if not nxt or not is_han(nxt[0]) or nxt.startswith(_CLAIM_AFTER_ZUIHAO):
        return False
    return text[max(0, s - 1) : s] not in ("是", "为", "都", "更", "得")


def _lawful_zui(text: str, s: int, e: int, z: dict[str, Any]) -> str:
    if any(text.startswith(w, s) for w in z["lawful_words"]):
        return "ordinary word"
    if any(text.startswith("最" + d, s) for d in z["discourse_next"]):
        return "discourse opener"
    ca, _cb = _bounds(text, s, s, _CLAUSE_END)
    if re.match(r"最[^，。！？,.!?的]{1,5}的是", text[s:]) and re.fullmatch(
        r"\s*(?:但|而|其中|不过|尤其|特别)?\s*", text[ca:s]
    ):
        return "discourse opener (最X的是: the most X thing about it is)"
    two = text[s : s + 2]
    if two in z["range_words"]:
        rest = text[s + 2 : s + 8]
        if (
            _NUM.match(rest)
            or any(rest.startswith(w) for w in z["range_next"])
            or rest[:2] in ("当天", "次日", "隔日", "明天", "今天")
        ):
            return "cap or range of the offer itself"
    if two == "最好" and _advice_zuihao(text, s):
        return "advice (最好 + what to do: had better)"
    ca1, _ = _bounds(text, s, s, _CLAUSE_END)
    if two in ("最多", "最久", "最常", "最长") and text.startswith("的", s + 2) and _has(text[ca1:s], ["我", "自己"]):
        return "the writer's own habit (我回购次数最多的)"
    before = text[max(0, s - 4) : s]
    if any(before.endswith(p) for p in z["first_person"]) and any(
        text.startswith(v, s + 1) for v in z["first_person_verbs"]
    ):
        return "the writer's own taste"
    return ""


def _quoted(text: str, s: int, e: int, a: int, b: int) -> tuple[int, int] | None:
    """Bounds of the quotation/brackets (within the sentence a..b) that hold s..e, if any."""
    o = max((text.rfind(q, a, s) for q in _OPEN_Q), default=-1)
    if o < 0:
        return None
    c = min((i for i in (text.find(q, e, b) for q in _CLOSE_Q) if i >= 0), default=-1)
    if c < 0 or any(text.find(q, o + 1, s) >= 0 for q in _CLOSE_Q if q != '"'):
        return None
    return (o, c) if c - o <= 22 else None


def _exemption(text: str, s: int, e: int, term: str, brand: Brand | None) -> str:
    r, cues = _rules(), _rules()["cues"]
    a, b = _bounds(text, s, e, _SENT_END)
    ca, cb = _bounds(text, s, e, _CLAUSE_END)
    sent, clause, before = text[a:b], text[ca:cb], text[a:s]
    after = text[e:b]
    word = text[s:e]
    # art. 7(4): product names, models and trademarks
    tail = re.match(r"[^\s，。！？,.!?；;、]{0,8}", text[e:])
    if (tail and any(m in tail.group(0) for m in cues["name_marks"])) or text[e : e + 3].startswith(
        tuple(cues["name_marks"])
    ):
        return "7(4) trademark or product name (®/™)"
    names = (brand.name, *brand.accepted_names) if brand is not None else ()
    for n in names:
        if n and term in n and _inside_word(text, s, s + len(term), [n], term):
            return "7(4) brand or product name"
    q = _quoted(text, s, e, a, b)
    if q is not None:
        o, c = q
        post, pre = text[c + 1 : c + 5], text[max(a, o - 4) : o]
        if any(post.startswith(w) for w in cues["name_after"]) or any(pre.endswith(w) for w in cues["name_before"]):
            return "7(4) product name in quotation marks"
        if post[:1] in ("奖", "称") and _has(sent, cues["award_verbs"]):
            return "7(5) awarded title"
    # art. 7(5): awarded titles, with the act of awarding and the body
    if (term in cues["award_terms"] or term.startswith("最")) and _has(before + after, cues["award_verbs"]):
        if _has(sent, cues["award_bodies"]) or _has(after[:12], _STATE_TITLES):
            return "7(5) title awarded by a named body"
    if term == "国家级" and _has(after[:12], _STATE_TITLES):
        return "7(5) state-awarded title"
    # art. 7(3): grade under a cited standard
    if term in cues["grade_terms"] and _has(sent, cues["standard"]) and (_has(word + after[:4], cues["grade_words"])):
        return "7(3) grade defined by a cited standard"
    # art. 7(2): usage, time and storage tips
    if any(word.startswith(u) for u in cues["usage_terms"]) and not after.startswith("的"):
        if not (word.startswith("最好") and after[:1] in "喝吃看用玩听穿"):
            near = text[max(ca, s - 12) : min(cb, e + 12)]
            if _has(near, cues["usage"]):
                return "7(2) usage or storage tip"
    # …when to consume it for the best result (三天内喝最香, 冷藏后饮用风味最好): a tip, whatever the 最 word
    if word.startswith("最") and not after.startswith("的") and _USAGE_WHEN.search(text[ca:s]):
        return "7(2) usage tip (when or how to consume it)"
    # art. 7(6): ranks and firsts qualified by time and place, with a source
    if term in cues["rank_terms"] or term.startswith("最"):
        if _TIME.search(sent) and _has(sent, cues["regions"]) and _has(text, cues["sources"]):
            return "7(6) fact qualified by time and place, with its source"
        if term in ("第一", "首家", "首个") and _TIME.search(sent) and _has(sent, cues["history_verbs"]):
            return "7(6) time-and-place order of the firm's own history"
    # art. 6: philosophy, mottos, goals
    if term == "第一" and any(before.endswith(h) for h in cues["motto_heads"]):
        return "6(1) business motto (顾客第一)"
    if _has(before, cues["goal"]):
        return "6(1)/6(2) service attitude, philosophy or goal"
    # art. 7(1): comparison within one's own brand or firm
    own = list(cues["self"])
    if brand is not None:
        own += [brand.name + w for w in ("史上", "历代", "旗下", "家族", "系列", "全系", "自家", "店", "家")]
    compared = re.search("(?:比|胜过|超过|超越|领先)[^。！？!?]{0,6}(?:" + "|".join(cues["others"]) + ")", sent)
    if _has(sent, own) and not _has(clause, cues["others"]) and not compared:
        return "7(1) comparison within one's own brand"
    if (
        term in ("第一", "首家")
        and re.match(r"家(?:门店|店|分店|旗舰店|工厂|实体店)", after)
        and _has(before[-6:], ["我们的", "我们", "品牌的", "品牌"])
    ):
        return "7(1) the firm's own first shop"
    newest_at = s + 3 if text.startswith("最新的", s) else s + 2
    if word.startswith("最新") and any(text.startswith(w, newest_at) for w in r["zui"]["newest_next"]):
        if not _has(clause, cues["others"]) and not compared:
            return "7(6) time order of the firm's own items (最新一期)"
    # art. 6(3): a background fact about the world, not the goods
    bg = cues["background_nouns"]
    if any(word.endswith(n) for n in bg if len(word) > len(n) + 1):
        return "6(3) background fact about the world"
    for w, ta, _tb in tokens_around(text, e):
        if e <= ta <= e + 4 and w in bg:
            return "6(3) background fact about the world"
    return ""


def _zh_decisions(text: str, brand: Brand | None) -> list[tuple[AdLawDecision, str, Severity]]:
    r = _rules()
    absolute: dict[str, str] = r["absolute_zh"]
    upper = _upper_terms()
    look, z, cues = r["lookalike_zh"], r["zui"], r["cues"]
    warn = set(r["warning_terms"]["terms"])
    out: list[tuple[AdLawDecision, str, Severity]] = []
    last_end = -1
    for m in _term_regex().finditer(text):
        s, e, term = m.start(), m.end(), m.group(0)
        if s < last_end:
            continue
        key = term if term in absolute else re.sub(r"[\s.]", "", term).upper().replace("NO", "NO.")
        sugg = absolute.get(term) or upper.get(key, "删除绝对化用语，或改为可证实的具体事实")
        verdict, reason = "violation", ""
        if term == "最":
            span = _span_of_zui(text, s)
            if span is None:
                continue
            s, e = span
            sugg = "删除「最」，或改为可证实的具体事实（限定时间、地域并注明来源）"
            reason = _lawful_zui(text, s, e, z)
        elif term.isascii():
            if (
                not at_word_edges(text, s, e)
                and not (e < len(text) and is_han(text[e]))
                and not (s > 0 and is_han(text[s - 1]))
            ):
                continue
        else:
            if not is_edge(text, s):
                continue
            tok = _token_at(text, e - 1)
            if tok is not None and tok[2] > e and tok[1] <= s:
                e2 = tok[2]
                if text[s:e2] in look["words"]:
                    reason = "ordinary word"
                elif term == "第一" and text[e:e2] in look["ordinal_next"]:
                    reason = "ordinal (第一 + measure word)"
            if not reason and _inside_word(text, s, e, look["words"], term):
                reason = "ordinary word"
            if not reason and term == "第一":
                nxt = _next_token(text, e)
                rest = text[e:]
                if nxt is not None and nxt[1] == e and nxt[0] in look["ordinal_next"]:
                    reason = "ordinal (第一 + measure word)"
                elif _NUM.match(rest) and not rest.startswith(("名", "位")):
                    reason = "ordinal number"
                elif rest.startswith("名") and re.match(r"名的?(?:" + "|".join(look["first_person_nouns"]) + ")", rest):
                    reason = "ordinal (第一名的用户: the first customer)"
                elif any(c in text[e:] for c in look["enumeration"]):
                    reason = "enumeration (第一…第二…)"
            if not reason and term.startswith("首") and text[e : e + 1] in ("月", "日", "周", "年"):
                reason = "ordinal (首个月)"
            if not reason and term == "领先":
                ca0, _ = _bounds(text, s, s, _CLAUSE_END)
                if not _has(text[ca0:s], [*cues["others"], "市场", "同行", "销量", "技术"]):
                    reason = "领先 without a market to lead (领先于上一代)"
            if (
                not reason
                and term == "冠军"
                and (
                    re.match(r"(?:同款|选手|运动员|得主|们|都|也|教练|团队|队)", text[e:])
                    or re.search(r"(?:马拉松|比赛|赛|杯|奥运|世锦赛|联赛|大赛)$", text[max(0, s - 4) : s])
                )
            ):
                reason = "a champion (a person), not a rank of the goods"
            own_first = term in ("首款", "首个", "首家") or (term == "第一" and text[e : e + 1] in ("款", "个", "家"))
            if not reason and own_first and _OWN_BEFORE.search(text[max(0, s - 5) : s]):
                reason = "the firm's own first product (品牌首款)"
        last_end = e
        before = text[max(0, s - 2) : s]
        if (
            not reason
            and term in ("100%", "百分之百")
            and text[e : e + 3].lstrip().startswith(tuple(r["composition"]["words"]))
        ):
            reason = "composition fact (100%纯棉)"
        if not reason and (before.endswith(("不是", "并非", "不", "非")) and term != "无敌"):
            reason = "negated"
        if reason:
            verdict = "lawful"
        else:
            reason = _exemption(text, s, e, term if term != "最" else text[s:e], brand)
            verdict = "exempt" if reason else "violation"
        sev: Severity = "warning" if term in warn else "error"
        out.append((AdLawDecision(s, e, text[s:e], verdict, reason), sugg, sev))
    del cues
    return out


def _negated_zh(text: str, s: int, neg: list[str]) -> bool:
    """A negation word earlier in the same clause, at most 8 characters back (不能代替药物治疗疾病)."""
    a, _ = _bounds(text, s, s, _CLAUSE_END)
    window = text[max(a, s - 8) : s]
    return any(n in window for n in neg)


def _industry_issues(text: str, mode: str, lang: str) -> list[Issue]:
    out: list[Issue] = []
    neg = _rules()["cues"]["negation"]
    required = _industry_regexes(mode, lang, "required_")
    statements = [(m.start(), m.end()) for rx, _ in required for m in rx.finditer(text)]
    for rx, sugg in _industry_regexes(mode, lang, ""):
        for m in rx.finditer(text):
            s, e = m.start(), m.end()
            # a claim word may be glued to a particle by jieba (都治好): one edge on a word boundary suffices
            if lang == "zh" and not at_word_edges(text, s, e) and not is_edge(text, s) and not is_edge(text, e):
                continue
            if any(a <= s < b for a, b in statements):
                continue
            if lang == "zh" and not m.group(0).startswith(("无", "零", "没")) and _negated_zh(text, s, neg):
                continue
            msg = (
                f"「{m.group(0)}」：{_INDUSTRY_NAMES_ZH[mode]}广告禁用的宣称"
                if lang == "zh"
                else f"'{m.group(0)}': a claim {mode} advertising may not make"
            )
            out.append(Issue(f"ad_law.{mode}", "ad_law", "error", s, e, m.group(0), msg, sugg))
    if required and _needs_statement(text, mode, lang):
        for rx, sugg in required:
            if not rx.search(text):
                rule = "ad_law.health.disclaimer" if mode == "health" else f"ad_law.{mode}.risk_warning"
                msg = "缺少法定提示语" if lang == "zh" else "the statement the law requires is missing"
                out.append(Issue(rule, "ad_law", "warning", 0, 0, "", msg, sugg))
    return out


_INDUSTRY_NAMES_ZH = {
    "medical": "医疗、药品、医疗器械",
    "health": "保健食品",
    "food": "食品",
    "cosmetics": "化妆品",
    "finance": "金融投资",
}
_PROMO_FIN = re.compile(
    r"收益|回报|年化|理财|基金|投资|分红|赚|return|yield|invest|interest|APR|APY|money|profit|earn|gains?\b|wealth"
    r"|income|dividend|savings|\bfunds?\b",
    re.IGNORECASE,
)


def _needs_statement(text: str, mode: str, lang: str) -> bool:
    if mode == "finance":
        return bool(_PROMO_FIN.search(text))
    return mode == "health" and lang == "zh"


def _lang_of(text: str, language: str) -> str:
    tag = language.strip().lower().replace("_", "-").split("-")[0]
    if tag in ("zh", "en"):
        return tag
    if tag:
        raise UsageError(f"language {language!r}: expected zh or en (or a tag such as zh-CN, en-US)")
    han = sum(1 for ch in text if is_han(ch))
    return "zh" if han >= max(1, len(text.strip()) // 10) else "en"


def _mode(industry: str | None, brand: Brand | None) -> str:
    mode = (industry or (brand.industry if brand is not None else "general") or "general").strip().lower()
    if mode not in INDUSTRY_MODES:
        raise UsageError(f"industry {industry!r}: expected one of {', '.join(INDUSTRY_MODES)}")
    return mode


def explain_ad_law(text: str, *, language: str = "", brand: Brand | None = None) -> list[AdLawDecision]:
    """Every absolute word found and what was decided about it (violations, exemptions, look-alikes)."""
    lang = _lang_of(text, language)
    if lang == "zh":
        return [d for d, _, _ in _zh_decisions(text, brand)]
    names = (brand.name, *brand.accepted_names) if brand is not None else ()
    return [AdLawDecision(c.start, c.end, c.text, c.verdict, c.reason) for c in english_candidates(text, names)]


#: Modes where SAMR's guideline does not treat an absolute term about efficacy, cure or effective rates
#: (medical, health food) or about investment returns and safety (finance) as minor: such a term is an
#: error, and the self-comparison, goal, usage, rank and background exemptions do not clear it (a
#: product name or trademark still does).
STRICT_MODES = ("medical", "health", "finance")
_STRICT_CUES = {
    ("medical", "zh"): re.compile(
        r"疗效|功效|效果|有效|见效|治愈|治疗|治好|痊愈|康复|好转|缓解|止痛|止咳|降压|降糖|安全|副作用|药效|疗程|病"
    ),
    ("health", "zh"): re.compile(
        r"疗效|功效|效果|有效|见效|治愈|治疗|改善|调节|增强|提高|免疫|安全|副作用|保健功能|营养|吸收|病"
    ),
    ("finance", "zh"): re.compile(r"收益|回报|利率|利息|年化|分红|收益率|赚|盈利|本金|安全|风险|稳健|保值|增值"),
    ("medical", "en"): re.compile(
        r"effective|efficacy|cure|heal|relief|relieve|treat|recover|safe|side[-\s]effects?|results?|works", re.I
    ),
    ("health", "en"): re.compile(
        r"effective|efficacy|cure|heal|immun|absorb|safe|side[-\s]effects?|results?|works|boost", re.I
    ),
    ("finance", "en"): re.compile(
        r"returns?|yield|interest|gains?|profit|earn|income|safe|secure|risk|principal|APY|APR", re.I
    ),
}
_STRICT_MSG = {
    "medical": ("与疗效、治愈率、有效率相关的绝对化用语，医疗、药品、医疗器械广告不适用豁免", "efficacy or cure rates"),
    "health": ("与功效、安全性相关的绝对化用语，保健食品广告不适用豁免", "efficacy or safety"),
    "finance": ("与投资收益率、投资安全性相关的绝对化用语，金融投资广告不适用豁免", "investment returns or safety"),
}


#: English superlatives the general checker leaves alone (our most effective …, its safest …) that a
#: strict mode still reads when their clause is about efficacy or returns
_EN_SUPERLATIVE = re.compile(
    r"\b(?:our|its|their|this|the)\s+(?:very\s+)?(?:most\s+[a-z]+|best|(?!(?:latest|interest|guest|request|harvest|"
    r"honest|modest|forest|contest|digest|suggest|invest)\b)[a-z]{2,}est)\b",
    re.IGNORECASE,
)


def _strict_hit(text: str, s: int, e: int, mode: str, lang: str, verdict: str, reason: str) -> bool:
    """In a strict mode: is this absolute word about efficacy/returns (its clause names them)?"""
    if mode not in STRICT_MODES or verdict == "lawful":
        return False
    if verdict == "exempt" and ("7(4)" in reason or "trademark" in reason or "name" in reason):
        return False
    # Chinese: the clause; English: the sentence (a comma often parts the superlative from what it is
    # about: "Our strongest probiotic ever, for an immune boost")
    ends = _CLAUSE_END if lang == "zh" else ";.!?\n"
    a, b = _bounds(text, s, e, ends)
    return bool(_STRICT_CUES[(mode, lang)].search(text[a:b]))


def check_ad_law(text: str, *, language: str, industry: str | None = None, brand: Brand | None = None) -> list[Issue]:
    """Advertising-law issues of one asset, sorted by position.

    Args:
        text: the copy.
        language: ``zh`` or ``en`` (a tag such as ``zh-CN``; ``""`` = guess from the script).
        industry: ``general``, ``cosmetics``, ``food``, ``health``, ``medical`` or ``finance``;
            ``None`` = the brand's industry (``general`` without a brand).
        brand: its name and accepted names are product names, exempt from the absolute-term rule.
    """
    lang = _lang_of(text, language)
    mode = _mode(industry, brand)
    issues: list[Issue] = []
    names = (brand.name, *brand.accepted_names) if brand is not None else ()
    if lang == "zh":
        decided = _zh_decisions(text, brand)
        for d, sugg, sev in decided:
            if _strict_hit(text, d.start, d.end, mode, lang, d.verdict, d.reason):
                msg = f"「{d.text}」：{_STRICT_MSG[mode][0]}（广告法第九条第三项）"
                issues.append(Issue("ad_law.absolute", "ad_law", "error", d.start, d.end, d.text, msg, sugg))
            elif d.verdict == "violation":
                msg = f"「{d.text}」是绝对化用语（广告法第九条第三项），且不属于执法指南的豁免情形"
                issues.append(Issue("ad_law.absolute", "ad_law", sev, d.start, d.end, d.text, msg, sugg))
        # English claims inside Chinese copy (爆款 Best seller!), where no Chinese word was decided
        if _LATIN_WORDS.search(text):
            for c in english_candidates(text, names):
                if c.verdict == "violation" and not any(d.start < c.end and c.start < d.end for d, _, _ in decided):
                    msg = f"「{c.text}」是绝对化用语（广告法第九条第三项）"
                    sev3: Severity = "warning" if c.severity == "warning" else "error"
                    issues.append(Issue("ad_law.absolute", "ad_law", sev3, c.start, c.end, c.text, msg, c.suggestion))
    else:
        for c in english_candidates(text, names):
            if _strict_hit(text, c.start, c.end, mode, lang, c.verdict, c.reason):
                msg = (
                    f"'{c.text}': an absolute claim about {_STRICT_MSG[mode][1]}; in {mode} advertising no "
                    "exemption applies (PRC Advertising Law art. 9(3))"
                )
                issues.append(Issue("ad_law.absolute", "ad_law", "error", c.start, c.end, c.text, msg, c.suggestion))
            elif c.verdict == "violation":
                msg = f"'{c.text}' is an absolute claim that cannot be substantiated (PRC Advertising Law art. 9(3))"
                sev2: Severity = "warning" if c.severity == "warning" else "error"
                issues.append(Issue("ad_law.absolute", "ad_law", sev2, c.start, c.end, c.text, msg, c.suggestion))
        if mode in STRICT_MODES:
            for m in _EN_SUPERLATIVE.finditer(text):
                s, e = m.start(), m.end()
                if any(i.start < e and s < i.end for i in issues) or not _strict_hit(text, s, e, mode, lang, "", ""):
                    continue
                msg = (
                    f"'{m.group(0)}': an absolute claim about {_STRICT_MSG[mode][1]}; in {mode} advertising no "
                    "exemption applies (PRC Advertising Law art. 9(3))"
                )
                sugg = "state the tested result and its source instead"
                issues.append(Issue("ad_law.absolute", "ad_law", "error", s, e, m.group(0), msg, sugg))
    if mode != "general":
        for extra in _industry_issues(text, mode, lang):
            if not any(i.start < extra.end and extra.start < i.end for i in issues) or extra.start == extra.end:
                issues.append(extra)
    issues.sort(key=lambda i: (i.start, i.end))
    return issues
