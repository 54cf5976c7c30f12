"""Word boundaries for Han text (jieba).

Python's ``\\b`` (and Vale's) sees no boundary inside a run of Han characters, so ``\\b最佳\\b`` never
matches ``本品最佳`` and a Han term inside a longer word (``极品`` in ``北极品牌``) cannot be told apart.
:func:`is_edge` says whether a token starts or ends at an offset; :func:`at_word_edges` whether a span starts and
ends on them (on Latin letters and digits the ASCII rule applies).
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache

import jieba
import zhconv
import zhconv.zhconv as zhconv_tables

__all__ = ["at_word_edges", "boundaries", "is_edge", "is_han", "tokens", "tokens_around", "trad_chars"]

_LOCK = threading.Lock()
_TOKENIZER: jieba.Tokenizer | None = None
# words jieba's dictionary splits or lacks, so that their edges are the real ones
_EXTRA_WORDS = ("唯品会", "最佳使用期", "最佳食用期", "最佳饮用期", "最佳赏味期", "第一时间", "顶配版", "国家一级")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORDCH = re.compile(r"[A-Za-z0-9_]")


def is_han(ch: str) -> bool:
    """True for a CJK ideograph."""
    return bool(_HAN.match(ch))


def _tokenizer() -> jieba.Tokenizer:
    """jieba's default tokenizer (shared with the message check: one dictionary load per process),
    taught the few words whose edges the checks rely on."""
    global _TOKENIZER
    with _LOCK:
        if _TOKENIZER is None:
            jieba.setLogLevel(logging.WARNING)
            tk = jieba.dt
            tk.initialize()
            for w in _EXTRA_WORDS:
                tk.add_word(w)
            _TOKENIZER = tk
        return _TOKENIZER


@lru_cache(maxsize=2)
def trad_chars() -> frozenset[str]:
    """Characters zhconv turns into another one in Simplified script (Traditional-only characters)."""
    table = zhconv_tables.getdict("zh-hans")
    return frozenset(k for k, v in table.items() if len(k) == 1 and v != k)


def _simplified(text: str) -> str:
    """The text in Simplified script when that keeps every offset (jieba's dictionary is Simplified)."""
    tc = trad_chars()
    if not any(c in tc for c in text):
        return text
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
def boundaries(text: str) -> frozenset[int]:
    """Offsets where a token starts or ends (0 and ``len(text)`` included)."""
    out = {0, len(text)}
    for _, a, b in tokens(text):
        out.add(a)
        out.add(b)
    return frozenset(out)


# jieba cuts each run of these characters on its own (its re_han_default), so a run's tokens do not depend
# on the rest of the text: checks tokenize only the run around a match.
_RUN_CH = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]")


def _run(text: str, pos: int) -> tuple[int, int]:
    if pos < 0 or pos >= len(text) or not _RUN_CH.match(text[pos]):
        return pos, pos
    a, b = pos, pos + 1
    while a > 0 and _RUN_CH.match(text[a - 1]):
        a -= 1
    while b < len(text) and _RUN_CH.match(text[b]):
        b += 1
    return a, b


def tokens_around(text: str, pos: int) -> tuple[tuple[str, int, int], ...]:
    """The tokens of the run of word characters that holds ``text[pos]`` (offsets into ``text``)."""
    a, b = _run(text, pos)
    if a == b:
        return ()
    return tuple((w, x + a, y + a) for w, x, y in tokens(text[a:b]))


def is_edge(text: str, pos: int) -> bool:
    """True when a token starts or ends at ``pos``."""
    if pos <= 0 or pos >= len(text):
        return True
    toks = tokens_around(text, pos)
    return not toks or any(pos in (x, y) for _w, x, y in toks)


def _edge_ok(text: str, pos: int, inner: int) -> bool:
    """Is ``pos`` a word edge, looking at the character on the match's side (``inner``)?"""
    if pos <= 0 or pos >= len(text):
        return True
    ch_in = text[inner]
    ch_out = text[pos - 1] if inner >= pos else text[pos]
    if is_han(ch_in) and is_han(ch_out):
        return is_edge(text, pos)
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
    s_ok, e_ok = _edge_ok(text, start, start), _edge_ok(text, end, end - 1)
    if s_ok and e_ok:
        return True
    s_han, e_han = _han_edge(text, start, start), _han_edge(text, end, end - 1)
    if end - start < 2 or not (s_han or e_han):
        return False
    # one Han side may fail when the other side is a real edge (a Latin side must hold on its own)
    return (s_ok and e_han and not e_ok) or (e_ok and s_han and not s_ok)
