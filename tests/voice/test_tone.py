from __future__ import annotations

import numpy as np
import pytest

from omnimix.voice.brand import Brand, ChannelProfile
from omnimix.voice.tone import ToneResult, densities, tone_issues, tone_scores
from omnimix.voice.types import Asset

BRAND = Brand(
    name="b",
    core_message="c",
    pillars=("p",),
    tone=("亲切", "真诚"),
    tone_good=("温和配方，放心用",),
    tone_bad=("史上最强！！！",),
    channels={"wechat": ChannelProfile("wechat", max_exclamation_density=2, max_emoji_density=1, max_length=30)},
)


def test_densities_per_100_characters() -> None:
    excl, emo = densities("好喝！！真的好喝😀")  # 9 non-space characters
    assert excl == pytest.approx(200 / 9) and emo == pytest.approx(100 / 9)


def test_channel_limits() -> None:
    a = Asset("a", "wechat", "", "zh", "新品上市！！！快来试试😀😀" + "好" * 30)
    rules = sorted(i.rule for i in tone_issues(a, BRAND))
    assert rules == ["tone.emoji_density", "tone.exclamation_density", "tone.too_long"]
    excl = next(i for i in tone_issues(a, BRAND) if i.rule == "tone.exclamation_density")
    assert a.text[excl.start : excl.end] in ("！", "!")
    # another channel has no profile and no default: no limits
    assert tone_issues(Asset("b", "douyin", "", "zh", a.text), BRAND) == []


def test_exemplar_distance() -> None:
    res = tone_scores(np.array([[0.8], [0.1]]), np.array([[0.2], [0.7]]))
    assert res[0].score == pytest.approx(0.6) and res[1].score == pytest.approx(-0.6)
    a = Asset("a", "douyin", "", "zh", "冲！")
    assert [i.rule for i in tone_issues(a, BRAND, res[1])] == ["tone.off_tone"]
    assert tone_issues(a, BRAND, res[0]) == []
    assert tone_issues(a, BRAND, ToneResult(0.0, 0.3, 0.31)) == []  # within the margin


def test_off_tone_margin_is_the_embedders() -> None:
    a = Asset("a", "douyin", "", "zh", "冲！")
    near = ToneResult(0.05, 0.10, 0.18)  # 0.08 nearer the bad exemplars
    assert [i.rule for i in tone_issues(a, BRAND, near)] == ["tone.off_tone"]  # default margin 0.02
    assert tone_issues(a, BRAND, near, margin=0.1) == []  # USE's margin
