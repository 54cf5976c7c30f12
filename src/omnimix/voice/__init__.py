"""One voice: check every asset against the brand book, the advertising law and its own campaign (issue #18).

* :func:`load_brand` reads ``brand.toml`` into a :class:`Brand` (docs/voice.md);
* :func:`check_assets` runs every check — ``ad_law``, ``terminology``, ``message``, ``tone``, ``offer`` —
  finds offer conflicts between the assets of a campaign and scores assets and campaigns 0–100
  (:class:`VoiceReport`, whose ``to_json()`` is the ``omnimix voice check --json`` output);
* :func:`read_assets` / :func:`load_content` read assets from a file or the ``content`` table,
  :func:`save_results` writes ``voice_results`` and ``voice_campaigns``.

Names load on first use, so ``import omnimix.voice`` loads neither jieba nor NumPy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omnimix._lazy import lazy_exports

if TYPE_CHECKING:
    from omnimix.voice.adlaw import check_ad_law
    from omnimix.voice.brand import Brand, ChannelProfile, Offer, load_brand
    from omnimix.voice.check import AssetResult, CampaignResult, VoiceReport, check_assets
    from omnimix.voice.offers import Conflict, extract_offers
    from omnimix.voice.store import load_content, read_assets, save_results
    from omnimix.voice.terms import check_terminology
    from omnimix.voice.types import Asset, Issue

__all__ = [
    "Asset",
    "AssetResult",
    "Brand",
    "CampaignResult",
    "ChannelProfile",
    "Conflict",
    "Issue",
    "Offer",
    "VoiceReport",
    "check_ad_law",
    "check_assets",
    "check_terminology",
    "extract_offers",
    "load_brand",
    "load_content",
    "read_assets",
    "save_results",
]

__getattr__, __dir__ = lazy_exports(__name__, {
    "check_ad_law": "omnimix.voice.adlaw",
    "Brand": "omnimix.voice.brand",
    "ChannelProfile": "omnimix.voice.brand",
    "Offer": "omnimix.voice.brand",
    "load_brand": "omnimix.voice.brand",
    "AssetResult": "omnimix.voice.check",
    "CampaignResult": "omnimix.voice.check",
    "VoiceReport": "omnimix.voice.check",
    "check_assets": "omnimix.voice.check",
    "Conflict": "omnimix.voice.offers",
    "extract_offers": "omnimix.voice.offers",
    "load_content": "omnimix.voice.store",
    "read_assets": "omnimix.voice.store",
    "save_results": "omnimix.voice.store",
    "check_terminology": "omnimix.voice.terms",
    "Asset": "omnimix.voice.types",
    "Issue": "omnimix.voice.types",
})
