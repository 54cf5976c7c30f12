"""Goal sentences in plain Chinese or English → structured goals.

:func:`parse_statement` reads one sentence and returns one :class:`ParsedGoal` per KPI it sets a goal
on: 「本年度通过整合营销活动，将新注册用户数量提升25%，并将平均用户获取成本(CAC)降低15%」 is two goals,
new customers +25% and CAC −15%, both due on the plan year's last day. The steps:

1. :func:`~omnimix.plan.timewords.normalize` (full-width → ASCII, Chinese numerals → digits) and the
   sentence's deadlines (:func:`~omnimix.plan.timewords.find_deadlines`), which are then blanked out so
   a year or a date is never read as a target;
2. clauses: split at punctuation and at clause joiners (并, 同时, while, "and" before a verb);
3. in each clause the KPI mentions (:func:`~omnimix.plan.kpis.find_kpis`), the quantities (a change
   ``+25%``, percentage points, a multiple ``翻一番``/``double``, an amount ``1.2亿元``/``¥50M``, a range
   ``from 3% to 5%``) and the direction words (提升/降低, increase/reduce, improve = the KPI's better
   direction); each KPI takes the quantities that follow it up to the next KPI, a run of KPIs with
   no quantity shares the next one (``leads and MQLs by 20%``) or takes them in order (``分别``);
4. the population: the words between the verb and the KPI (``将上海地区新客数量`` → 上海地区; jieba
   drops adverbs and numbers), ``among/for/in …`` phrases in English, else the KPI's own population;
5. the relevance cue: a phrase tying the goal to a strategy (支撑公司…战略, in support of our … strategy)
   or a line of the plan's ``strategy``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from omnimix.plan.kpis import KPIS, Mention, find_kpis
from omnimix.plan.timewords import Deadline, find_deadlines, normalize

Direction = Literal["up", "down"]

_UP_ZH = ("提升|提高|增加|增长|上升|扩大|拉升|增至|增到|翻|突破|超过|新增|增|涨|攀升|拓展|扩充|"
          "做上去|拉上去|提上去|拉高|做大|多")
_DOWN_ZH = "降低|减少|下降|压缩|缩减|削减|降至|降到|控制在|控制到|不超过|不高于|低于|节省|节约|缩短|降|减|少"
_BETTER_ZH = "优化|改善|改进|提效"
_UP_EN = (r"increas\w*|grow\w*|rais\w*|boost\w*|lift\w*|expand\w*|doubl\w*|tripl\w*|up|ris\w*|climb\w*|"
          r"add\w*|more|higher|drive up|scale up|accelerat\w*|generat\w*|acquir\w*|win|sign up")
_DOWN_EN = (r"reduc\w*|lower\w*|cut\w*|decreas\w*|declin\w*|drop\w*|shrink\w*|bring down|down|halv\w*|fewer|less|"
            r"sav\w*|trim\w*|slash\w*|below|under|minimi[sz]\w*")
_BETTER_EN = r"improv\w*|optimi[sz]\w*|better|maximi[sz]\w*"
_DIR = re.compile(rf"(?P<up>{_UP_ZH})|(?P<down>{_DOWN_ZH})|(?P<better>{_BETTER_ZH})|"
                  rf"(?<![A-Za-z])(?:(?P<upe>{_UP_EN})|(?P<downe>{_DOWN_EN})|(?P<bettere>{_BETTER_EN}))(?![A-Za-z])",
                  re.IGNORECASE)

_TO = re.compile(r"(?:到|至|为|达到|达|突破|超过|超|不低于|不少于|至少|保持在|维持在|"
                 r"(?<![A-Za-z])(?:to|reach\w*|hit\w*|"
                 r"of|at least|exceed\w*|above|over|achiev\w*|attain\w*|deliver\w*|generat\w*|acquir\w*|win|get|"
                 r"total|maintain\w*(?: at)?|keep\w*(?: it)? at|stay\w* at|beyond|more than))\s*$", re.IGNORECASE)
_AT_MOST = re.compile(r"(?:控制在|控制到|不超过|不高于|低于|降到|降至|降低到|降低至|减少到|减至|减少至|"
                      r"(?<![A-Za-z])(?:below|under|"
                      r"at most|no more than|cap\w*(?: at)?|down to|less than|lower to|reduc\w* to|cut to|"
                      r"bring (?:it )?down to|brought down to))\s*$", re.IGNORECASE)
_BY = re.compile(r"(?:了|幅度|(?<![A-Za-z])by)\s*$", re.IGNORECASE)
_ACQUIRE = re.compile(r"(?:新增|获取|获得|获客|拉新|吸引|招募|(?<![A-Za-z])(?:add\w*|acquir\w*|generat\w*|win|sign\w*|"
                      r"get|attract\w*|captur\w*|recruit\w*|bring in|deliver\w*))\s*$", re.IGNORECASE)
_FLOW = frozenset({"new_customers", "leads", "mql", "sql", "opportunities", "conversions", "orders"})

_NUM = r"[+-]?\d+(?:\.\d+)?"
_SCALE = {"万": 1e4, "w": 1e4, "亿": 1e8, "千": 1e3, "百万": 1e6, "千万": 1e7, "k": 1e3, "m": 1e6, "mn": 1e6,
          "million": 1e6, "thousand": 1e3, "billion": 1e9, "bn": 1e9}
_QTY = re.compile(
    rf"(?P<pts>{_NUM})\s*(?:个百分点|百分点|percentage points?|pp\b|pts?\b|points?\b)"
    rf"|(?P<pct>{_NUM})\s*%|(?P<flat>持平|保持不变|维持不变|不下降|不变|不下滑|(?<![A-Za-z])(?:flat|unchanged|stable)(?![A-Za-z]))"
    rf"|翻(?P<fan>\d+)番|(?P<double>翻倍|翻番|(?<![A-Za-z])doubl\w*|(?<![A-Za-z])tripl\w*|(?<![A-Za-z])quadrupl\w*|"
    rf"减半|(?<![A-Za-z])halv\w*|cut in half)"
    rf"|(?P<times>{_NUM})\s*(?:倍|(?<=\d)x(?![A-Za-z])|times)"
    rf"|(?:(?P<cur>[¥￥$€£]|RMB|CNY|USD|EUR)\s*)?(?<![A-Za-z\d.])(?P<abs>{_NUM})\s*(?P<scale>百万|千万|万|亿|千|"
    rf"(?<=\d)w(?![A-Za-z])|(?<=\d)[kKmM](?![A-Za-z])|\s?mn\b|\s?million\b|\s?thousand\b|\s?billion\b|\s?bn\b)?"
    rf"(?![A-Za-z\d]|\.\d)",
    re.IGNORECASE,
)

_SPLIT = re.compile(
    r"[,;!?:。；、\n]|\.(?!\d)|(?:并且|而且|同时|以及|此外|另外|并(?=将|把|使|让|提|降|增|减|实|达|控|推|确|在|力争|争取)|"
    r"(?<![A-Za-z])(?:while|whilst|as well as|and also|plus)(?![A-Za-z])|"
    rf"(?<![A-Za-z])and(?=\s+(?:to\s+|also\s+)?(?:{_UP_EN}|{_DOWN_EN}|{_BETTER_EN}|reach\w*|achiev\w*|hit|keep|"
    r"maintain\w*|bring|get|deliver\w*|make)(?![A-Za-z])))",
    re.IGNORECASE)

_RELEVANT = re.compile(
    r"(?:支持|支撑|服务于|服务|助力|配合|对齐|围绕|落实|响应|契合|符合|贯彻|推进|推动|实现|达成|承接|分解自|作为)[^,;。]{0,24}?"
    r"(?:战略|规划|年度目标|总目标|公司目标|经营目标|业务目标|集团目标|OKR|北极星)|战略(?:目标|方向|重点|举措)"
    r"|为[^,;。]{0,24}?(?:战略|规划|OKR)[^,;。]{0,6}?(?:提供支撑|提供支持|保驾护航|服务|助力|赋能)"
    r"|(?:支持|支撑|服务于|助力|配合|对齐|承接|分解自)[^,;。]{0,20}?目标"
    r"|(?<![A-Za-z])(?:support\w*|in support of|align\w*|in line with|contribut\w*|serv\w*|as part of|advanc\w*|"
    r"deliver\w* on|toward\w*|driv\w*|underpin\w*|ladder\w* up)(?![A-Za-z])[^,;.]{0,60}?(?<![A-Za-z])"
    r"(?:strateg\w*|objectives?|priorit\w*|OKRs?|company goals?|business goals?|corporate goals?|mission|"
    r"north[- ]star|annual plan|growth plan)(?![A-Za-z])",
    re.IGNORECASE)

_POP_EN = re.compile(
    r"(?<![A-Za-z])(?:among|for|from|in|across|of|with)\s+(?P<p>(?:(?:our|the|all)\s+)?(?:[A-Za-z0-9'&\-]+\s+){0,3}?"
    r"(?:customers|users|members|shoppers|buyers|students|women|men|mothers|parents|millennials|gen[- ]z|accounts|"
    r"clients|segment|market|region|stores?|cities|city|channel|app|website|online store|e-?commerce|tier[- ]\d cities|"
    r"smbs?|enterprises?|audience))(?![A-Za-z])"
    r"|(?<![A-Za-z])in\s+(?P<place>(?!(?:the|a|an|our|this|next|Q\d|H\d|20\d\d)\b)[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)",
)
_POP_STOP = re.compile(r"^(?:将|把|使|让|令|推动|促进|进一步|努力|力争|争取|实现|全面|大幅|显著|"
                       r"持续|稳步|整体|总体|总|平均|"
                       r"公司|我们的?|我司|品牌的?|全渠道|通过[^将把]*|the|our|total|overall|average|company|its|their|"
                       r"annual|monthly|weekly|quarterly|年度|月度|季度|期间|当月|当期|活动|的|和|与|及|\s)+"
                       r"|(?:的|之|期间|和|与|及|\s)+$", re.IGNORECASE)
_EN_SKIP = frozenset({"our", "the", "reach", "achieve", "hit", "get", "grow", "increase", "reduce", "improve",
                      "by", "to", "in", "and", "acquire", "deliver", "generate", "win", "keep", "maintain", "lift",
                      "boost", "cut", "lower", "raise", "drive", "double", "triple", "halve", "make", "bring",
                      "total", "overall", "average", "annual", "monthly", "we", "will", "a", "an", "all", "more",
                      "new", "support", "ensure", "aim", "target", "goal"})
_POP_BEFORE = re.compile(r"(?:(?<![A-Za-z])(?:for|among|of|from|with)\s+(?:the\s+|our\s+|all\s+)?"
                         r"(?:[A-Za-z\-]+\s+){0,2}"
                         r"|对|面向|针对|来自)$", re.IGNORECASE)
_HOLD = re.compile(r"(?<![A-Za-z])(?:without (?:losing|hurting|reducing|sacrificing|cutting|a drop in|any drop in)|"
                   r"(?:maintain|keep|hold|sustain|protect)\w*)\s+(?:our\s+|the\s+|current\s+)*$", re.IGNORECASE)
_FILLER = re.compile(r"^(?:[\s,.]|将|把|让|使|的|我们|our|the|and|和|与|及)*$", re.IGNORECASE)

log = logging.getLogger("omnimix")


@dataclass(frozen=True)
class ParsedGoal:
    """One goal read from a sentence (every field may be None when the sentence does not say it).

    Attributes:
        kpi: the KPI's key (:data:`omnimix.plan.kpis.KPIS`); None when the sentence names none.
        kpi_text: the words that named it.
        vague: words that sound like a KPI but are not one (品牌影响力, performance).
        direction: ``up`` or ``down``.
        change: relative change of the baseline (0.25 = +25%, −0.15 = −15%).
        change_points: change of a rate in percentage points (2.0 = +2 points).
        change_abs: change as an amount (+5000 customers, +¥10M).
        baseline: the value to improve on, when the sentence says it (``from 3% to 5%``).
        target: the target level, when the sentence says it (``to 12,000``, ``控制在200元以内``).
        bound: ``at_least`` or ``at_most`` for a target level.
        deadline: the date the goal is due; deadline_text: the words that said it.
        population: whom the KPI counts; population_explicit: the sentence said it (else the KPI's own).
        relevance: the words tying the goal to a strategy or a parent goal.
        clause: the part of the sentence the goal was read from.
    """

    kpi: str | None = None
    kpi_text: str | None = None
    vague: tuple[str, ...] = ()
    direction: Direction | None = None
    change: float | None = None
    change_points: float | None = None
    change_abs: float | None = None
    baseline: float | None = None
    target: float | None = None
    bound: Literal["at_least", "at_most"] | None = None
    deadline: dt.date | None = None
    deadline_text: str | None = None
    population: str | None = None
    population_explicit: bool = False
    relevance: str | None = None
    clause: str = ""

    @property
    def quantified(self) -> bool:
        """True when the goal says how much (a change, points, an amount or a target level)."""
        return any(v is not None for v in (self.change, self.change_points, self.change_abs, self.target))

    def resolve_target(self, baseline: float | None) -> float | None:
        """The target level given a baseline (the sentence's own target or baseline win)."""
        if self.target is not None:
            return self.target
        base = self.baseline if self.baseline is not None else baseline
        if base is None:
            return None
        if self.change is not None:
            return base * (1.0 + self.change)
        if self.change_points is not None:
            return base + self.change_points / 100.0
        if self.change_abs is not None:
            return base + self.change_abs
        return None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (the deadline as ``YYYY-MM-DD``)."""
        return {"kpi": self.kpi, "kpi_text": self.kpi_text, "vague": list(self.vague), "direction": self.direction,
                "change": self.change, "change_points": self.change_points, "change_abs": self.change_abs,
                "baseline": self.baseline, "target": self.target, "bound": self.bound,
                "deadline": None if self.deadline is None else self.deadline.isoformat(),
                "deadline_text": self.deadline_text, "population": self.population,
                "population_explicit": self.population_explicit, "relevance": self.relevance, "clause": self.clause}


@dataclass(frozen=True)
class _Qty:
    kind: Literal["pct", "pts", "mult", "abs"]
    value: float
    start: int
    end: int
    signed: bool = False
    cur: bool = False


@dataclass
class _Slot:
    mention: Mention
    qtys: list[_Qty] = field(default_factory=list)


def _blank(text: str, spans: Sequence[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        for i in range(a, b):
            chars[i] = " "
    return "".join(chars)


def _quantities(text: str) -> list[_Qty]:
    out: list[_Qty] = []
    for m in _QTY.finditer(text):
        if m["pts"] is not None:
            out.append(_Qty("pts", float(m["pts"]), m.start(), m.end(), m["pts"][0] in "+-"))
        elif m["pct"] is not None:
            out.append(_Qty("pct", float(m["pct"]) / 100.0, m.start(), m.end(), m["pct"][0] in "+-"))
        elif m["flat"] is not None:
            out.append(_Qty("pct", 0.0, m.start(), m.end()))
        elif m["fan"] is not None:
            out.append(_Qty("mult", 2.0 ** int(m["fan"]), m.start(), m.end()))
        elif m["double"] is not None:
            w = m["double"].lower()
            mult = 0.5 if w.startswith(("减半", "halv", "cut")) else 3.0 if w.startswith("tripl") else (
                4.0 if w.startswith("quadrupl") else 2.0)
            out.append(_Qty("mult", mult, m.start(), m.end()))
        elif m["times"] is not None:
            out.append(_Qty("mult", float(m["times"]), m.start(), m.end()))
        elif m["abs"] is not None:
            scale = (m["scale"] or "").strip().lower()
            value = float(m["abs"]) * _SCALE.get(scale, 1.0)
            out.append(_Qty("abs", value, m.start(), m.end(), m["abs"][0] in "+-", bool(m["cur"])))
    return out


def _direction_near(text: str, start: int, end: int, lo: int) -> Direction | Literal["better"] | None:
    """The direction word nearest before ``start`` (back to ``lo``), else right after ``end``."""
    best: tuple[int, str] | None = None
    for m in _DIR.finditer(text, lo, start):
        kind = next(k for k, v in m.groupdict().items() if v is not None)
        best = (m.start(), kind)
    if best is None:
        m2 = _DIR.match(text, end) or _DIR.search(text[end:end + 12])
        if m2 is not None:
            best = (0, next(k for k, v in m2.groupdict().items() if v is not None))
    if best is None:
        return None
    kind = best[1].removesuffix("e")
    return "up" if kind == "up" else "down" if kind == "down" else "better"


def _interpret(kpi_key: str | None, qtys: list[_Qty], text: str, lo: int) -> dict[str, Any]:
    """The goal fields a KPI's quantities say."""
    unit = KPIS[kpi_key].unit if kpi_key else None
    better = KPIS[kpi_key].better if kpi_key else "up"
    out: dict[str, Any] = {}
    qs = list(qtys)
    if len(qs) >= 2:
        pre = text[max(lo, qs[0].start - 6):qs[0].start]
        mid = text[qs[0].end:qs[1].start]
        if re.search(r"(?:从|由|(?<![A-Za-z])from)\s*$", pre, re.IGNORECASE) and re.search(
                r"到|至|(?<![A-Za-z])to(?![A-Za-z])", mid, re.IGNORECASE):
            base, tgt = qs[0], qs[1]
            scale = 1.0
            out["baseline"] = base.value * scale
            out["target"] = tgt.value
            out["direction"] = "up" if tgt.value >= base.value else "down"
            return out
    q = qs[0]
    prefix = text[lo:q.start]
    suffix = text[q.end:q.end + 4]
    d = _direction_near(text, q.start, q.end, lo)
    if q.signed and q.value < 0:
        d = "down"
    elif q.signed:
        d = "up"
    direction: Direction = better if d in (None, "better") else d  # type: ignore[assignment]
    out["direction"] = direction
    sign = 1.0 if direction == "up" else -1.0
    at_most = bool(_AT_MOST.search(prefix)) or suffix.startswith(("以内", "以下", "之内"))
    to_form = bool(_TO.search(prefix)) or suffix.startswith(("以上", "之上"))
    by_form = bool(_BY.search(prefix))
    if q.kind == "pts":
        out["change_points"] = sign * abs(q.value)
    elif q.kind == "mult":
        out["change"] = q.value - 1.0
        out["direction"] = "up" if q.value >= 1 else "down"
    elif q.kind == "pct":
        if (at_most or to_form) and not by_form and unit in ("rate", "ratio"):
            out["target"] = q.value
            out["bound"] = "at_most" if at_most else "at_least"
        else:
            out["change"] = sign * abs(q.value)
    else:
        acquire = kpi_key in _FLOW and (bool(_ACQUIRE.search(prefix[-12:])) or not by_form)
        if at_most or to_form or acquire or not (by_form or d in ("up", "down")):
            out["target"] = abs(q.value)
            out["bound"] = "at_most" if at_most or (not to_form and better == "down" and not acquire) else "at_least"
        else:
            out["change_abs"] = sign * abs(q.value)
    return out


_POP_WORDS = re.compile(
    r"(?<![A-Za-z])(?:online|offline|in-store|e-?commerce|mobile|app|web|enterprise|b2b|b2c|smb|sme|domestic|"
    r"international|overseas|female|male|women|men|student|gen[- ]z|millennial|premium|vip|loyalty|first-party|"
    r"tier[- ]?\d|wholesale|retail|regional|repeat|returning|existing|new market|[A-Z][a-z]+(?:'s)?)(?![A-Za-z])")


def _population(clause: str, mention: Mention, lo: int) -> str | None:
    """Explicit population words before the KPI (zh) or an among/for/in phrase (en)."""
    m = _POP_EN.search(clause)
    phrase = (m["p"] or m["place"]).strip() if m is not None else None
    if not re.search(r"[\u4e00-\u9fff]", clause[lo:mention.start]):
        mods = [w.group(0) for w in _POP_WORDS.finditer(clause[lo:mention.start])
                if not _DIR.fullmatch(w.group(0)) and w.group(0).lower() not in _EN_SKIP]
        parts = [p for p in (" ".join(mods), phrase) if p]
        return " ".join(parts) if parts else None
    seg = clause[lo:mention.start]
    cut = max((m.end() for m in _DIR.finditer(seg)), default=0)
    seg = seg[cut:]
    seg = re.split(r"将|把|使|让|(?<![A-Za-z])(?:the|our)\s", seg)[-1] if re.search(r"将|把|使|让", seg) else seg
    seg = _POP_STOP.sub("", seg.strip())
    seg = re.sub(r"[\d.%]+", "", seg).strip(" 的")
    if seg and re.search(r"[\u4e00-\u9fff]", seg):
        import jieba.posseg as pseg

        words = [w.word for w in pseg.cut(seg)
                 if w.flag[:1] in ("n", "s", "a", "b", "f") or w.flag in ("ns", "nz", "m")]
        seg = "".join(words).strip("的 ")
        if len(seg) >= 2 and not _FILLER.match(seg):
            return seg
    return phrase


def _clauses(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for m in _SPLIT.finditer(text):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def _clause_goals(text: str, a: int, b: int) -> tuple[list[tuple[Mention, list[_Qty]]], list[_Qty], list[Mention]]:
    """(KPI slots with their quantities, quantities no KPI took, vague mentions) of one clause."""
    clause = text[a:b]
    mentions = find_kpis(clause)
    kpis = [m for m in mentions if not m.vague]
    vague = [m for m in mentions if m.vague]
    qtys = _quantities(_blank(clause, [(m.start, m.end) for m in mentions]))
    if not kpis:
        return [], qtys, vague
    slots: list[_Slot] = []
    has_direction = _DIR.search(clause) is not None
    kpis = [Mention("new_customers", m.start, m.end, m.text) if m.key == "customers"
             and re.search(r"(?:新增|拉新|新)$", clause[:m.start]) else m for m in kpis]
    for m in kpis:
        if slots and slots[-1].mention.key == m.key:
            continue
        quantified = any(m.end <= q.start for q in qtys)
        if _POP_BEFORE.search(clause[:m.start]) and slots:
            continue  # "retention rate for new app users": the second mention says whom the first counts
        if slots and re.match(r"的\s*[+-]?\d", clause[m.end:]) and re.search(r"(?:在|占|为|是|达)\s*$",
                                                                             clause[:m.start]):
            continue  # "费用占比控制在销售额的8%以内": the percentage is of this KPI, which is not a goal
        if not has_direction and not quantified and not qtys:
            continue  # "make customers happier": a KPI word in a clause that sets no goal
        slots.append(_Slot(m))
    if not slots:
        return [], qtys, vague
    bounds = [s.mention.start for s in slots] + [len(clause)]
    leftover: list[_Qty] = []
    for q in qtys:
        idx = max((i for i, s in enumerate(slots) if s.mention.start <= q.start), default=None)
        if idx is None:
            leftover.append(q)
        else:
            slots[idx].qtys.append(q)
    del bounds
    # a run of KPIs without quantities shares the next slot's (or takes them in order with 分别/respectively)
    i = 0
    while i < len(slots):
        j = i
        while j < len(slots) and not slots[j].qtys:
            j += 1
        if j > i and j < len(slots):
            run = slots[i:j + 1]
            qs = slots[j].qtys
            if len(qs) == len(run) and (len(run) > 1):
                for s, q in zip(run, qs, strict=True):
                    s.qtys = [q]
            else:
                for s in run[:-1]:
                    s.qtys = list(qs)
        i = j + 1
    for s in slots:  # "without losing sales", "while maintaining revenue": the KPI is held flat
        if not s.qtys and _HOLD.search(clause[:s.mention.start]):
            s.qtys = [_Qty("pct", 0.0, s.mention.end, s.mention.end)]
    if leftover and not slots[0].qtys:
        slots[0].qtys = leftover
        leftover = []
    empties = [s for s in slots if not s.qtys]
    if empties and leftover and len(empties) == 1:
        empties[0].qtys = leftover
        leftover = []
    return [(s.mention, s.qtys) for s in slots], leftover, vague


def parse_statement(statement: str, year: int, *, start: dt.date | None = None, end: dt.date | None = None,
                    strategy: Sequence[str] = ()) -> tuple[ParsedGoal, ...]:
    """The goals of one sentence (at least one: a sentence naming no KPI is one goal with ``kpi=None``).

    Args:
        statement: the sentence, in Chinese or English.
        year: the plan year (dates without a year fall in it).
        start, end: the plan year's first and last day (default: the calendar year).
        strategy: the plan's strategy lines; a sentence naming one is relevant to it.
    """
    text = normalize(statement)
    deadlines = find_deadlines(text, year, start, end)
    rel = _RELEVANT.search(text)
    relevance = rel.group(0) if rel else next((s for s in strategy if s and s in statement), None)
    body = _blank(text, [(d.start, d.end) for d in deadlines] + ([rel.span()] if rel else []))
    goals: list[tuple[ParsedGoal, int, int]] = []
    pending: list[tuple[Mention, int, int]] = []
    vague_all: list[str] = []
    free_qtys: list[_Qty] = []
    for a, b in _clauses(body):
        slots, leftover, vague = _clause_goals(body, a, b)
        vague_all += [v.text for v in vague]
        clause = body[a:b]
        if not slots:
            if leftover and pending:
                for m, pa, _ in pending:
                    goals.append((_goal(m, leftover, body[pa:b], 0), pa, b))
                pending = []
            elif leftover:
                free_qtys += leftover
            continue
        pending = []
        prev_end = 0
        for m, qs in slots:
            goals.append((_goal(m, qs, clause, prev_end), a, b))
            if not qs:
                pending.append((m, a, b))
            prev_end = m.end
    goals = _dedupe(goals)
    if not goals:
        fields = _interpret(None, free_qtys, body, 0) if free_qtys else {}
        goals = [(ParsedGoal(vague=tuple(dict.fromkeys(vague_all)), clause=text.strip(), **fields), 0, len(text))]
    out = []
    for g, a, b in goals:
        d = _deadline_for(deadlines, a, b, [(x[1], x[2]) for x in goals])
        out.append(replace(g, deadline=d.date if d else None, deadline_text=d.text if d else None,
                           relevance=relevance))
    return tuple(out)


def _goal(m: Mention, qs: list[_Qty], clause: str, pop_lo: int) -> ParsedGoal:
    k = KPIS[m.key]
    fields = _interpret(m.key, qs, clause, 0) if qs else {}
    pop = _population(clause, m, pop_lo)
    return ParsedGoal(kpi=m.key, kpi_text=m.text, population=pop or k.population, population_explicit=pop is not None,
                      clause=clause.strip(), **fields)


def _dedupe(goals: list[tuple[ParsedGoal, int, int]]) -> list[tuple[ParsedGoal, int, int]]:
    """One goal per KPI: a quantified mention wins over a bare one of the same KPI."""
    best: dict[str, tuple[ParsedGoal, int, int]] = {}
    order: list[str] = []
    for g, a, b in goals:
        key = g.kpi or ""
        if key not in best:
            best[key] = (g, a, b)
            order.append(key)
        elif g.quantified and not best[key][0].quantified:
            best[key] = (g, a, b)
    return [best[k] for k in order]


def _deadline_for(deadlines: list[Deadline], a: int, b: int, spans: list[tuple[int, int]]) -> Deadline | None:
    """The clause's own deadline, else the first one outside every goal's clause, else the first."""
    own = [d for d in deadlines if a <= d.start < b]
    if own:
        return own[0]
    free = [d for d in deadlines if not any(x <= d.start < y for x, y in spans)]
    if free:
        return free[0]
    return deadlines[0] if deadlines else None
