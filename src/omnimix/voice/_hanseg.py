"""Word boundaries for Han text: a jieba tokenizer of its own (the global one is left alone).

Python's ``\\b`` (and Vale's) sees no boundary inside a run of Han characters, so ``\\b最佳\\b`` never
matches ``本品最佳`` and a Han term inside a longer word (``极品`` in ``北极品牌``) cannot be told apart.
:func:`boundaries` gives the token edges of a text; :func:`at_word_edges` says whether a span starts and
ends on them (on Latin letters and digits the ASCII rule applies).
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache

import jieba
import jieba.posseg
import zhconv

__all__ = ["at_word_edges", "boundaries", "is_han", "pos_tags", "tokens"]

_LOCK = threading.Lock()
_TOKENIZER: jieba.Tokenizer | None = None
_POS: jieba.posseg.POSTokenizer | None = None
# words jieba's dictionary splits or lacks, so that their edges are the real ones
_EXTRA_WORDS = ("唯品会", "最佳使用期", "最佳食用期", "最佳饮用期", "最佳赏味期", "第一时间", "顶配版", "国家一级")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORDCH = re.compile(r"[A-Za-z0-9_]")


def is_han(ch: str) -> bool:
    """True for a CJK ideograph."""
    return bool(_HAN.match(ch))


def _tokenizer() -> jieba.Tokenizer:
    with _LOCK:
        return _tokenizer_unlocked()


def _tokenizer_unlocked() -> jieba.Tokenizer:
    global _TOKENIZER
    if True:
        if _TOKENIZER is None:
            jieba.setLogLevel(logging.WARNING)
            tk = jieba.Tokenizer()
            tk.initialize()
            for w in _EXTRA_WORDS:
                tk.add_word(w)
            _TOKENIZER = tk
        return _TOKENIZER


def _simplified(text: str) -> str:
    """The text in Simplified script when that keeps every offset (jieba's dictionary is Simplified)."""
    conv = zhconv.convert(text, "zh-hans")
    return conv if len(conv) == len(text) else text


@lru_cache(maxsize=4096)
def tokens(text: str) -> tuple[tuple[str, int, int], ...]:
    """``(word, start, end)`` of every jieba token of ``text`` (offsets into ``text``).

    Traditional text is segmented in its Simplified form (same offsets), so its words are found too.
    """
    simp = _simplified(text)
    return tuple((text[int(a) : int(b)], int(a), int(b)) for _w, a, b in _tokenizer().tokenize(simp))


@lru_cache(maxsize=4096)
def pos_tags(text: str) -> tuple[tuple[str, str, int, int], ...]:
    """``(word, jieba part-of-speech flag, start, end)`` of every token of ``text``."""
    global _POS
    with _LOCK:
        if _POS is None:
            _POS = jieba.posseg.POSTokenizer(_tokenizer_unlocked())
        pos = _POS
    simp = _simplified(text)
    out: list[tuple[str, str, int, int]] = []
    at = 0
    for pair in pos.cut(simp):
        w, flag = pair.word, pair.flag
        out.append((text[at : at + len(w)], flag, at, at + len(w)))
        at += len(w)
    return tuple(out)


@lru_cache(maxsize=4096)
def boundaries(text: str) -> frozenset[int]:
    """Offsets where a token starts or ends (0 and ``len(text)`` included)."""
    out = {0, len(text)}
    for _, a, b in tokens(text):
        out.add(a)
        out.add(b)
    return frozenset(out)


def _edge_ok(text: str, pos: int, inner: int, edges: frozenset[int]) -> bool:
    """Is ``pos`` a word edge, looking at the character on the match's side (``inner``)?"""
    if pos <= 0 or pos >= len(text):
        return True
    ch_in = text[inner]
    ch_out = text[pos - 1] if inner >= pos else text[pos]
    if is_han(ch_in) and is_han(ch_out):
        return pos in edges
    return not (_WORDCH.match(ch_in) and _WORDCH.match(ch_out))


def _han_edge(text: str, pos: int, inner: int) -> bool:
    if pos <= 0 or pos >= len(text):
        return False
    ch_out = text[pos - 1] if inner >= pos else text[pos]
    return is_han(text[inner]) and is_han(ch_out)


def at_word_edges(text: str, start: int, end: int) -> bool:
    """True when ``text[start:end]`` lies on word edges (jieba for Han, ASCII otherwise).

    An edge between a Latin letter or digit and another is never crossed. Between two Han characters,
    a single character must have a token edge on both sides; a longer match on at least one side, since
    jieba may glue a word to its neighbour (``极品茶`` is cut 极 / 品茶). A match inside one token
    (``极品`` in 北极 / 品牌) has no edge on either side and is refused.
    """
    if start >= end:
        return False
    edges = boundaries(text) if _HAN.search(text[max(0, start - 1) : end + 1]) else frozenset()
    s_ok, e_ok = _edge_ok(text, start, start, edges), _edge_ok(text, end, end - 1, edges)
    if s_ok and e_ok:
        return True
    s_han, e_han = _han_edge(text, start, start), _han_edge(text, end, end - 1)
    if end - start < 2 or not (s_han or e_han):
        return False
    # one Han side may fail when the other side is a real edge (a Latin side must hold on its own)
    return (s_ok and e_han and not e_ok) or (e_ok and s_han and not s_ok)
