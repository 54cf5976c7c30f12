"""English absolute claims ("the best", "No. 1", "100% safe", "guaranteed returns") and their
lawful look-alikes and exemptions, decided from the sentence around each match."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["EnCandidate", "english_candidates"]

_F = re.IGNORECASE
_PATTERNS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("best", re.compile(r"\bthe\s+(?:very\s+)?best\b", _F), "say what is good about it, with evidence"),
    (
        "bestseller",
        re.compile(r"\bbest[-\s]?(?:selling|sellers?)\b", _F),
        'qualify it: "our best-selling ... in 2024 (source)"',
    ),
    (
        "number_one",
        re.compile(r"(?:\bno\.?\s?|\bnumber\s+|#\s?)(?:1|one)\b(?!\.\d|\d)", _F),
        "remove the rank or qualify it by time, place and source",
    ),
    (
        "worlds",
        re.compile(
            r"\b(?:world|america|britain|uk|china|europe|asia|industry|market|nation|country|planet)'?s\s+"
            r"(?:first|best|leading|largest|biggest|only|safest|cheapest|strongest|fastest|finest|no\.?\s?1|number\s+one|#1|"
            r"favou?rite|most[-\s]loved|top[-\s]selling|best[-\s]selling|most\s+[a-z]+|[a-z]+est)\b",
            _F,
        ),
        "remove the comparison with the whole market",
    ),
    (
        "the_superlative",
        re.compile(
            r"\bthe\s+(?:only|first|fastest|strongest|safest|cheapest|lowest|highest[-\s]rated|top[-\s]rated|finest|greatest|"
            r"most\s+(?:effective|advanced|powerful|popular|trusted|loved|reliable|comfortable|affordable|innovative|complete))\b",
            _F,
        ),
        "remove the superlative or qualify it",
    ),
    (
        "ultimate",
        re.compile(r"\bthe\s+ultimate\b", _F),
        "say what it does better, with evidence",
    ),
    (
        "leading",
        re.compile(
            r"\bthe\s+leading\s+(?:brand|name|maker|manufacturer|provider|supplier|producer|company|choice)\b"
            r"|\b(?:a\s+)?leading\s+brand\b",
            _F,
        ),
        "remove the claim to lead the market, or qualify it by time, place and source",
    ),
    (
        "like_no_other",
        re.compile(
            r"\blike\s+no\s+other\b(?!\s+[a-z])|\bbest\s+prices?\s+guaranteed\b|\bguaranteed\s+lowest\s+prices?\b", _F
        ),
        "describe a verifiable feature instead",
    ),
    (
        "peerless",
        re.compile(
            r"\b(?:unbeatable|unrivall?ed|unmatched|unparalleled|unsurpassed|second\s+to\s+none|best[-\s]in[-\s]class|"
            r"world[-\s]class|top[-\s]of[-\s]the[-\s]line|industry[-\s]leading|market[-\s]leading|world[-\s]leading)\b",
            _F,
        ),
        "describe a verifiable feature instead",
    ),
    (
        "hundred_percent",
        re.compile(
            r"\b100\s?%\s+(?:safe|effective|guaranteed|risk[-\s]free|success(?:ful)?|cure[sd]?|results?|harmless|proven)\b"
            r"|\b100\s?%\s+of\s+(?:users|customers|people)\b",
            _F,
        ),
        'remove "100%" or cite the test data',
    ),
    (
        "guaranteed",
        re.compile(
            r"\bguaranteed\s+(?:returns?|profits?|income|results?|success|cure|weight\s+loss|to\s+work|gains?)\b", _F
        ),
        "remove the guarantee",
    ),
    ("lowest_price", re.compile(r"\b(?:lowest|cheapest)\s+prices?\b", _F), "remove the price comparison"),
    ("ever", re.compile(r"\b(?:best|greatest|finest|cheapest|fastest|strongest)\s+ever\b", _F), 'remove "ever"'),
    (
        "superlative",
        re.compile(
            r"\bthe\s+(?!(?:latest|rest|test|west|nest|interest|forest|honest|modest|guest|request|"
            r"contest|chest|quest|harvest|manifest|protest|digest|pest|vest|zest|crest|earnest|"
            r"priest|arrest|behest|conquest|midwest|east|northeast|southeast|northwest|southwest|"
            r"best|lowest|fastest|strongest|safest|cheapest|finest|greatest|nearest|closest)\b)"
            r"[a-z]{2,}(?:iest|est)\b",
            _F,
        ),
        "remove the superlative or qualify it",
    ),
)
_WARN = {"superlative", "ultimate"}

_SELF = re.compile(
    r"\bour\s+(?:very\s+|own\s+|all[-\s]time\s+)?$|\bwe(?:'ve| have)?\s+ever\b"
    r"|\bin\s+(?:our|the)\s+(?:range|line[-\s]?up|line|collection|history|store|shop|family)\b"
    r"|\bof\s+all\s+our\b|\bthan\s+(?:our|its|the)\s+(?:previous|last|earlier|older)\b"
    r"|\bwe(?:'ve| have)\s+(?:made|built|launched|released)\b"
    r"|^\s*(?:[\w-]+\s+){0,2}yet\b|\bsince\s+(?:we|launch)\b",
    _F,
)
_OTHERS = re.compile(
    r"\b(?:anywhere|in\s+the\s+(?:world|market|industry|country)|on\s+the\s+market|of\s+any\s+brand|than\s+any|all\s+brands|competitors?)\b",
    _F,
)
_USAGE = re.compile(
    r"\bbest\s+(?:before|by|served|enjoyed|used|kept|stored|consumed|results|drunk|eaten)\b|\bfor\s+(?:the\s+)?best\s+(?:results|flavou?r|taste|cup|aroma|brew)\b"
    r"|\bthe\s+best\s+(?:way|time|temperature|place)\s+to\s+(?:store|use|keep|enjoy|serve|drink|apply|wear|wash|cook|brew"
    r"|eat|plant|pick|harvest|steep|order|visit)\b"
    r"|\bthe\s+(?:best|fastest|quickest|easiest|simplest)\s+way\s+to\s+(?:reach|contact|get\s+in\s+touch|find|order|book"
    r"|return|track|pay)\b",
    _F,
)
_LOOKALIKE = re.compile(
    r"\b(?:all\s+the\s+best|best\s+(?:regards|wishes)|at\s+best|the\s+best\s+of\s+luck|personal\s+best|best\s+friends?"
    r"|do\s+(?:our|your|my)\s+best|the\s+best\s+of\s+both\s+worlds"
    r"|be\s+the\s+first\s+to\s+(?:know|hear|see|try|get|shop|order|find\s+out|taste))\b"
    r"|(?:\bno\.?\s?|#\s?)1\s+(?:[A-Z][a-z]+\s+)?(?:street|st\.?|road|rd\.?|avenue|ave\.?|lane|square|plaza|building|floor)\b"
    r"|\b(?:order|invoice|ticket|case|batch|lot|table|seat|row|hall|booth|stand|window|counter)\s+(?:no\.?\s?|number\s+|#\s?)1\b"
    r"|\bthe\s+(?:first|only)\s+(?:time|step|day|week|month|year|order|purchase|\d+|few|two|three|five|ten|hundred|thing|things|"
    r"batch|drop|sip|bite|taste|chapter|issue|episode|one|ones|way|page|half)\b"
    r"|\b(?:tip|step|day|part|rule|chapter|item|volume|issue|reason|room|gate|platform|track|episode|lesson|week|level|size|"
    r"pick|look|suite|unit|apartment|line|stage|phase|round|question|answer|option|point)\s+(?:no\.?\s?|number\s+|#\s?)(?:1|one)\b",
    _F,
)
_AWARD = re.compile(
    r"\b(?:named|awarded|won|winner\s+of|voted|rated|received|recipient\s+of|honou?red|crowned|earned)\b", _F
)
_AWARD_BODY = re.compile(
    r"\b(?:awards?|prize|magazine|association|institute|council|society|federation|academy|guide|by\s+[A-Z])",
    re.UNICODE,
)
_TIME = re.compile(
    r"\b(?:19|20)\d\d\b|\bq[1-4]\b|\b(?:first|second)\s+half\b|\bin\s+(?:january|february|march|april|may|june|july|august|september|october|november|december)\b",
    _F,
)
_PLACE = re.compile(
    r"\bin\s+(?:the\s+)?(?:uk|us|usa|u\.s\.|eu|europe|asia|china|japan|germany|france|canada|australia|india|california|texas|"
    r"london|new\s+york)\b|\bon\s+(?:amazon|tmall|jd|ebay|etsy|shopify)\b|\bnationwide\b|\bregion(?:al)?\b|\bcategory\b",
    _F,
)
_PLACE_CAP = re.compile(r"\b(?:in|across)\s+(?:the\s+)?[A-Z][A-Za-z]+\b")
_SOURCE = re.compile(
    r"\bsource\s*:|\baccording\s+to\b|\bdata\s+(?:from|by)\b|\bnielsen\b|\bkantar\b|\beuromonitor\b|\biri\b|\bcircana\b|\bnpd\b|\bper\s+[A-Z]",
    re.IGNORECASE,
)
_GOAL = re.compile(
    r"\b(?:strive|striving|aim|aims|aiming|mission|committed|commitment|try|trying|goal|dedicated|determined|promise\s+to\s+do)\b",
    _F,
)
_NEG = re.compile(r"\b(?:not|isn'?t|aren'?t|no|never|nor)\s+(?:(?:necessarily|always|really|just)\s+)?$", _F)
_MARK = re.compile(r"^[\w\s'-]{0,12}[®™]")
_FIRST = re.compile(r"the\s+first\b", _F)
_SENT = re.compile(r"(?<!\bNo)(?<!\bno)(?<!\bNO)(?<!\bMr)(?<!\bDr)(?<!\bSt)(?<!\bvs)[.!?]+(?=\s+[A-Z(\"']|\s*$)|[!?\n]")


@dataclass(frozen=True)
class EnCandidate:
    """One English match and what was decided (``verdict`` violation | exempt | lawful)."""

    kind: str
    start: int
    end: int
    text: str
    verdict: str
    reason: str
    suggestion: str
    severity: str


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    a = 0
    for m in _SENT.finditer(text):
        if m.end() <= start:
            a = m.end()
        elif m.start() >= end:
            return a, m.start()
    return a, len(text)


def _decide(text: str, kind: str, s: int, e: int, names: tuple[str, ...]) -> tuple[str, str]:
    a, b = _sentence(text, s, e)
    sent, before, after = text[a:b], text[max(a, s - 40) : s], text[e : min(b, e + 40)]
    around = text[max(a, s - 20) : min(b, e + 30)]
    if _LOOKALIKE.search(around) and any(
        m.start() <= s - max(a, s - 20) < m.end() or m.start() < e - max(a, s - 20) <= m.end()
        for m in _LOOKALIKE.finditer(around)
    ):
        return "lawful", "ordinary phrase (ordinal, greeting, idiom)"
    if _USAGE.search(text[max(a, s - 10) : min(b, e + 30)]):
        return "exempt", "usage tip"
    if _NEG.search(before):
        return "lawful", "negated"
    if _MARK.match(text[e : e + 16]):
        return "exempt", "product name or trademark"
    for n in names:
        if n and n.lower() in text.lower():
            i = text.lower().find(n.lower())
            while i >= 0:
                if i <= s and e <= i + len(n):
                    return "exempt", "brand or product name"
                i = text.lower().find(n.lower(), i + 1)
    if (
        kind == "the_superlative"
        and _FIRST.match(text, s)
        and any(n and n.lower() in after[:24].lower() for n in names)
    ):
        return "exempt", "the brand's own first (the first-ever Lvye pop-up)"
    if _AWARD.search(sent) and _AWARD_BODY.search(sent):
        return "exempt", "awarded title with the awarding body"
    if _TIME.search(sent) and (_PLACE.search(sent) or _PLACE_CAP.search(sent)) and _SOURCE.search(text):
        return "exempt", "fact qualified by time and place, with a source"
    if _GOAL.search(before):
        return "exempt", "goal or service attitude"
    if (_SELF.search(before) or _SELF.search(after)) and not _OTHERS.search(sent):
        return "exempt", "comparison within the brand's own range"
    return "violation", ""


def english_candidates(text: str, names: tuple[str, ...] = ()) -> list[EnCandidate]:
    """Every English absolute-claim match with its verdict; overlapping matches keep the first found."""
    taken: list[tuple[int, int]] = []
    out: list[EnCandidate] = []
    for kind, rx, sugg in _PATTERNS:
        for m in rx.finditer(text):
            s, e = m.start(), m.end()
            if any(s < b and a < e for a, b in taken):
                continue
            taken.append((s, e))
            verdict, reason = _decide(text, kind, s, e, names)
            sev = "warning" if kind in _WARN else "error"
            out.append(EnCandidate(kind, s, e, m.group(0), verdict, reason, sugg, sev))
    out.sort(key=lambda c: c.start)
    return out
