"""Tone: distance from the brand's tone exemplars and the channel's voice limits.

- ``tone.off_tone`` (warning): the asset is nearer the bad exemplars (``[tone_examples] bad``) than the good
  ones, by the same embedder as message coverage;
- ``tone.exclamation_density`` / ``tone.emoji_density`` (warning): more ``!``/``！`` or emoji per 100
  characters than the channel profile allows (``[channels.NAME]``, else ``[channels.default]``);
- ``tone.too_long`` (suggestion): longer than the channel's ``max_length``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from omnimix.voice.brand import Brand, ChannelProfile
from omnimix.voice.types import Asset, Issue

__all__ = ["EMOJI", "ToneResult", "densities", "exemplar_sims", "tone_issues", "tone_scores"]

EMOJI = re.compile(
    "[\U0001f300-\U0001faff\U00002600-\U000027bf\U0001f000-\U0001f2ff\U0001f900-\U0001f9ff\u2b50\u2b55\u203c\u2049]"
)
_EXCL = re.compile(r"[!！]")
_MARGIN = 0.02


@dataclass(frozen=True)
class ToneResult:
    """``score`` in [-1, 1]: similarity to the nearest good exemplar minus to the nearest bad one (0 = none)."""

    score: float
    good: float
    bad: float


def _length(text: str) -> int:
    return sum(1 for ch in text if not ch.isspace())


def densities(text: str) -> tuple[float, float]:
    """(exclamation marks, emoji) per 100 non-space characters."""
    n = max(1, _length(text))
    return 100 * len(_EXCL.findall(text)) / n, 100 * len(EMOJI.findall(text)) / n


def tone_scores(sims_good: np.ndarray, sims_bad: np.ndarray) -> list[ToneResult]:
    """ToneResult per asset from its cosine to each good (n × g) and bad (n × b) exemplar."""
    out = []
    for r in range(sims_good.shape[0]):
        g = float(sims_good[r].max()) if sims_good.shape[1] else 0.0
        b = float(sims_bad[r].max()) if sims_bad.shape[1] else 0.0
        out.append(ToneResult(score=g - b if sims_good.shape[1] and sims_bad.shape[1] else 0.0, good=g, bad=b))
    return out


def tone_issues(asset: Asset, brand: Brand, tone: ToneResult | None = None, margin: float = _MARGIN) -> list[Issue]:
    """Tone issues of one asset (see the module docstring); ``margin`` is the embedder's
    :attr:`~omnimix.voice.message.Embedder.tone_margin`."""
    zh = asset.lang == "zh"
    prof: ChannelProfile = brand.channel(asset.channel)
    out: list[Issue] = []
    excl, emo = densities(asset.text)
    for kind, dens, limit, rx in (
        ("exclamation", excl, prof.max_exclamation_density, _EXCL),
        ("emoji", emo, prof.max_emoji_density, EMOJI),
    ):
        if limit is None or dens <= limit:
            continue
        marks = list(rx.finditer(asset.text))
        allowed = int(limit * max(1, _length(asset.text)) / 100)
        first = marks[min(allowed, len(marks) - 1)]
        label = (
            ("感叹号" if kind == "exclamation" else "表情")
            if zh
            else ("exclamation marks" if kind == "exclamation" else "emoji")
        )
        msg = (
            f"{label}密度 {dens:.1f}/百字，超过渠道「{prof.name}」上限 {limit:g}"
            if zh
            else f"{label}: {dens:.1f} per 100 characters, over the {prof.name} limit of {limit:g}"
        )
        sug = f"最多保留 {allowed} 个" if zh else f"keep at most {allowed}"
        out.append(
            Issue(f"tone.{kind}_density", "tone", "warning", first.start(), first.end(), first.group(0), msg, sug)
        )
    if prof.max_length is not None and _length(asset.text) > prof.max_length:
        n = _length(asset.text)
        msg = (
            f"长度 {n} 超过渠道「{prof.name}」上限 {prof.max_length}"
            if zh
            else f"{n} characters, over the {prof.name} limit of {prof.max_length}"
        )
        out.append(Issue("tone.too_long", "tone", "suggestion", 0, 0, "", msg, "shorten" if not zh else "精简文案"))
    if tone is not None and brand.tone_bad and tone.bad > tone.good + margin:
        words = "、".join(brand.tone) if zh else ", ".join(brand.tone)
        msg = (
            f"语气更接近反例而非品牌语气（{words}）"
            if zh
            else f"the tone is nearer the bad examples than the brand's ({words})"
        )
        sug = brand.tone_good[0] if brand.tone_good else ""
        out.append(Issue("tone.off_tone", "tone", "warning", 0, 0, "", msg, sug))
    return out


def exemplar_sims(asset_vecs: Any, exemplar_vecs: Any, n_assets: int, n_ex: int) -> np.ndarray:
    """Dense (n_assets × n_ex) cosine matrix of (sparse or dense) normalised vectors."""
    if n_ex == 0 or n_assets == 0:
        return np.zeros((n_assets, n_ex))
    prod = asset_vecs @ exemplar_vecs.T
    return np.asarray(prod.todense() if hasattr(prod, "todense") else prod)
