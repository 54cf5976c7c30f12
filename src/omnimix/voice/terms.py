"""Terminology: banned and required terms, brand-name spelling, Traditional/Simplified consistency and
the brand's Vale rule files.

Han terms are matched on jieba word edges (``\\b`` has none inside Han text), Latin terms on ASCII word
edges and without regard to case. Script: the asset's language tag decides (``zh-TW``, ``zh-HK``,
``zh-Hant`` = Traditional; ``zh-CN``, ``zh-SG``, ``zh-Hans`` = Simplified), else the brand's
``script``; characters of the other script are reported with their conversion (zhconv).
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache
from pathlib import Path

import zhconv

from omnimix.voice._hanseg import at_word_edges, is_han, tokens, trad_chars
from omnimix.voice.brand import Brand, Term
from omnimix.voice.types import Issue
from omnimix.voice.vale import ValeRule, check_vale, load_vale_rules

__all__ = ["check_terminology", "expected_script", "find_term", "vale_rules"]

_TRAD_TAGS = ("zh-tw", "zh-hk", "zh-mo", "zh-hant")
_SIMP_TAGS = ("zh-cn", "zh-sg", "zh-my", "zh-hans")
# characters that are correct in Traditional text in most contexts although zhconv converts them
_AMBIGUOUS_IN_TRAD = frozenset("台着里才面干后只系准制范谷回折松冲卷向余克朴杰舍表须斗几出划千合胡")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9&]*")


def find_term(text: str, term: str) -> list[tuple[int, int]]:
    """Spans of ``term`` in ``text`` on word edges (jieba for Han, ASCII for Latin; Latin ignores case)."""
    if not term:
        return []
    hay, needle = (text.lower(), term.lower()) if term.isascii() else (text, term)
    out: list[tuple[int, int]] = []
    i = hay.find(needle)
    while i >= 0:
        j = i + len(needle)
        if at_word_edges(text, i, j) or _han_edges_loose(text, i, j, term):
            out.append((i, j))
            i = hay.find(needle, j)
        else:
            i = hay.find(needle, i + 1)
    return out


def _han_edges_loose(text: str, i: int, j: int, term: str) -> bool:
    """A Han term of 3+ characters is specific enough to count even inside a longer jieba word."""
    return len(term) >= 3 and all(is_han(c) for c in term)


def expected_script(language: str, brand: Brand | None) -> str:
    """``traditional`` or ``simplified``: the language tag's script, else the brand's (default simplified)."""
    tag = language.strip().lower().replace("_", "-")
    if tag.startswith(_TRAD_TAGS):
        return "traditional"
    if tag.startswith(_SIMP_TAGS):
        return "simplified"
    return brand.script if brand is not None else "simplified"


def _script_runs(text: str, want: str, accepted: tuple[str, ...]) -> list[tuple[int, int, str]]:
    """Spans written in the other script, as (start, end, conversion), widened to whole jieba words."""
    target = "zh-hans" if want == "simplified" else "zh-hant"
    if want == "simplified" and not any(c in trad_chars() for c in text):
        return []
    conv = zhconv.convert(text, target)
    if len(conv) != len(text):
        conv = "".join(zhconv.convert(c, target) for c in text)
    bad = [
        i
        for i, (a, b) in enumerate(zip(text, conv, strict=True))
        if a != b and is_han(a) and not (want == "traditional" and a in _AMBIGUOUS_IN_TRAD)
    ]
    if not bad:
        return []
    skip: set[int] = set()
    for n in accepted:
        for s, e in find_term(text, n):
            skip.update(range(s, e))
    bad = [i for i in bad if i not in skip]
    spans: list[tuple[int, int]] = []
    toks = tokens(text)
    for i in bad:
        s, e = i, i + 1
        for _w, a, b in toks:
            if a <= i < b:
                s, e = a, b
                break
        if spans and s <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(e, spans[-1][1]))
        else:
            spans.append((s, e))
    return [(s, e, conv[s:e]) for s, e in spans]


def _name_issues(text: str, brand: Brand, lang: str) -> list[Issue]:
    out: list[Issue] = []
    accepted = {n for n in (brand.name, *brand.accepted_names) if n}
    for wrong, right in brand.name_variants.items():
        for s, e in _find_any(text, wrong):
            if any(text[s:e] == a for a in accepted):
                continue
            msg = (
                f"品牌名写法不对：「{text[s:e]}」应为「{right}」"
                if lang == "zh"
                else f"brand name spelled '{text[s:e]}': write '{right}'"
            )
            out.append(Issue("terminology.brand_name", "terminology", "error", s, e, text[s:e], msg, right))
    latin = [n for n in accepted if n.isascii() and len(n) >= 4]
    words = [(m.start(), m.end()) for m in _LATIN_WORD.finditer(text)]
    cands = list(words) + [
        (a[0], b[1])
        for a, b in itertools.pairwise(words)
        if b[0] - a[1] == 1
        and text[a[1]] in " -"
        and min(a[1] - a[0], b[1] - b[0]) >= 2
        and text[a[0] : a[1]] not in accepted
        and text[b[0] : b[1]] not in accepted
    ]
    for name in latin:
        norm = _norm(name)
        for s, e in sorted(cands, key=lambda c: c[0] - c[1]):
            piece = text[s:e]
            if piece in accepted or any(i.start < e and s < i.end for i in out):
                continue
            pn = _norm(piece)
            if pn in (norm + "s", norm + "es"):
                continue
            if pn == norm or (len(norm) >= 6 and _edit1(pn, norm) and pn[:1] == norm[:1]):
                msg = (
                    f"品牌名写法不对：「{piece}」应为「{name}」"
                    if lang == "zh"
                    else f"brand name spelled '{piece}': write '{name}'"
                )
                out.append(Issue("terminology.brand_name", "terminology", "error", s, e, piece, msg, name))
    return out


def _norm(s: str) -> str:
    return re.sub(r"[\s\-'&]", "", s.lower())


def _edit1(a: str, b: str) -> bool:
    """True when a and b differ by exactly one edit (insert, delete, substitute or swap)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
        )
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


@lru_cache(maxsize=4096)
def _forms(term: str) -> tuple[str, ...]:
    """The term as written and in the other script (a banned 便宜 is banned as 便宜 in 繁體 too)."""
    if term.isascii():
        return (term,)
    return tuple(dict.fromkeys([term, zhconv.convert(term, "zh-hans"), zhconv.convert(term, "zh-hant")]))


def _find_any(text: str, term: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for f in _forms(term):
        spans += [sp for sp in find_term(text, f) if not any(sp[0] < b and a < sp[1] for a, b in spans)]
    return sorted(spans)


def _term_issues(text: str, banned: tuple[Term, ...], required: tuple[Term, ...], lang: str) -> list[Issue]:
    out: list[Issue] = []
    for t in banned:
        for s, e in _find_any(text, t.term):
            if t.replacement:
                msg = t.message or (
                    f"用「{t.replacement}」代替「{text[s:e]}」"
                    if lang == "zh"
                    else f"use '{t.replacement}' instead of '{text[s:e]}'"
                )
                out.append(
                    Issue("terminology.substitution", "terminology", "warning", s, e, text[s:e], msg, t.replacement)
                )
            else:
                msg = t.message or (f"品牌禁用词「{text[s:e]}」" if lang == "zh" else f"banned term '{text[s:e]}'")
                out.append(
                    Issue(
                        "terminology.banned",
                        "terminology",
                        "error",
                        s,
                        e,
                        text[s:e],
                        msg,
                        "删除" if lang == "zh" else "remove it",
                    )
                )
    for t in required:
        if not _find_any(text, t.term):
            msg = t.message or (f"缺少必用词「{t.term}」" if lang == "zh" else f"required term '{t.term}' is missing")
            out.append(Issue("terminology.required", "terminology", "warning", 0, 0, "", msg, t.term))
    return out


@lru_cache(maxsize=32)
def vale_rules(paths: tuple[Path, ...]) -> tuple[ValeRule, ...]:
    """The Vale rules of a brand book's ``[vale] paths``, loaded once per process (unsupported rules warn
    at that first load: :class:`omnimix.voice.vale.ValeRuleWarning`)."""
    out: list[ValeRule] = []
    for p in paths:
        out.extend(load_vale_rules(p))
    return tuple(out)


def check_terminology(text: str, brand: Brand, *, language: str) -> list[Issue]:
    """Terminology issues of one asset against the brand book, sorted by position.

    Banned terms (``terminology.banned``; with a replacement ``terminology.substitution``), required
    terms missing (``terminology.required``, a whole-asset issue), brand-name spellings
    (``terminology.brand_name``: the book's ``[names] wrong`` table, and for Latin names a different
    case, spacing or one-letter slip), script (``terminology.script``) and the brand's Vale rules
    (``vale.STYLE.RULE``).
    """
    lang = (
        "zh"
        if language.strip().lower().startswith("zh") or (not language.strip() and any(is_han(c) for c in text))
        else "en"
    )
    issues = _term_issues(text, brand.banned_terms, brand.required_terms, lang)
    issues += [
        i for i in _name_issues(text, brand, lang) if not any(j.start < i.end and i.start < j.end for j in issues)
    ]
    if any(is_han(c) for c in text):
        want = expected_script(language, brand)
        for s, e, conv in _script_runs(text, want, tuple(n for n in (brand.name, *brand.accepted_names) if n)):
            word = text[s:e]
            if want == "simplified":
                msg = f"「{word}」是繁体字，本资产应统一用简体（「{conv}」）"
            else:
                msg = f"「{word}」是簡體字，本資產應統一用繁體（「{conv}」）"
            issues.append(Issue("terminology.script", "terminology", "warning", s, e, word, msg, conv))
    if brand.vale_paths:
        issues += check_vale(text, vale_rules(tuple(brand.vale_paths)), language=lang)
    issues.sort(key=lambda i: (i.start, i.end, i.rule))
    return issues
