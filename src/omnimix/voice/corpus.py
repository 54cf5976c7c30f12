"""Labelled voice corpora: load JSONL files of assets with their expected findings and score the checks.

One JSON object per line::

    {"asset_id": "z11-10", "channel": "douyin", "campaign": "双11", "language": "zh-CN", "text": "...",
     "published_at": "2026-11-04", "brand": "coffee", "industry": null,
     "labels": ["offer"],                 # categories that must be found (none: a clean asset)
     "message": "on" | "off" | null,      # on- or off-message copy (message-coverage pairs)
     "conflicts": [{"field": "amount", "with": "z11-04"}]}   # planted conflicts with another asset

``brand`` names ``brands/NAME.toml`` beside the corpus file (or is a ``.toml`` path relative to it); rows
without one are skipped. The span-level format of ``benchmarks/voice_corpus.py`` (``"expected": [{"category":
..., "start": ..., "end": ...}]``) is read too: its categories become the asset's labels. The assets of one file,
brand and industry are checked together, so campaign conflicts are found as in production.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from omnimix.errors import InputDataError
from omnimix.voice.brand import Brand, load_brand
from omnimix.voice.check import VoiceReport, check_assets
from omnimix.voice.types import CATEGORIES, Asset

__all__ = ["CorpusItem", "CorpusScore", "load_corpus", "score_corpus"]


@dataclass(frozen=True)
class CorpusItem:
    asset: Asset
    brand: Path
    industry: str | None
    labels: frozenset[str]
    message: str | None
    conflicts: tuple[tuple[str, str], ...]
    file: str


def load_corpus(path: str | Path) -> list[CorpusItem]:
    """Read one corpus file; errors name the file, line and key."""
    p = Path(path)
    out: list[CorpusItem] = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d: dict[str, Any] = json.loads(line)
            pub = d.get("published_at")
            asset = Asset(
                str(d["asset_id"]),
                str(d.get("channel") or ""),
                str(d.get("campaign") or ""),
                str(d.get("language") or ""),
                str(d["text"]),
                datetime.fromisoformat(pub) if pub else None,
            )
            labels = frozenset(d.get("labels") or ()) | {str(e["category"]) for e in d.get("expected") or ()}
            bad = labels - set(CATEGORIES)
            if bad:
                raise ValueError(f"labels {sorted(bad)}: expected some of {CATEGORIES}")
            conf = tuple((str(c["field"]), str(c["with"])) for c in d.get("conflicts") or ())
            bname = str(d.get("brand") or "")
            if not bname:
                continue
            bpath = p.parent / bname if bname.endswith(".toml") else p.parent / "brands" / f"{bname}.toml"
            out.append(CorpusItem(asset, bpath, d.get("industry"), labels, d.get("message"), conf, p.name))
        except (ValueError, KeyError, TypeError) as exc:
            raise InputDataError(
                str(p), f"line {n}: {exc}", ["fix the JSON object (see omnimix.voice.corpus)"]
            ) from exc
    return out


@dataclass
class CorpusScore:
    """Per-category confusion counts, planted conflicts found, message pairs and the reports."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    planted: int = 0
    planted_found: int = 0
    missed: list[str] = field(default_factory=list)
    consistent_campaigns: int = 0
    consistent_with_conflicts: list[str] = field(default_factory=list)
    unexpected_conflicts: list[str] = field(default_factory=list)
    message_pairs: int = 0
    message_pairs_ordered: int = 0
    errors: list[str] = field(default_factory=list)
    reports: list[VoiceReport] = field(default_factory=list)
    n_zh: int = 0
    n_en: int = 0

    def precision(self, cat: str) -> float:
        c = self.counts.get(cat, {})
        tp, fp = c.get("tp", 0), c.get("fp", 0)
        return tp / (tp + fp) if tp + fp else 1.0

    def recall(self, cat: str) -> float:
        c = self.counts.get(cat, {})
        tp, fn = c.get("tp", 0), c.get("fn", 0)
        return tp / (tp + fn) if tp + fn else 1.0

    @property
    def pair_rate(self) -> float:
        return self.message_pairs_ordered / self.message_pairs if self.message_pairs else 1.0


_SAME = {"amount": {"amount"}, "threshold": {"threshold"}}


def score_corpus(
    items: Sequence[CorpusItem],
    *,
    embeddings: str = "auto",
    categories: Sequence[str] = ("ad_law", "terminology", "offer"),
) -> CorpusScore:
    """Check the corpus and compare with its labels (per category, conflicts, message pairs)."""
    out = CorpusScore(counts={c: {"tp": 0, "fp": 0, "fn": 0, "tn": 0} for c in categories})
    groups: dict[tuple[str, Path, str | None], list[CorpusItem]] = {}
    for it in items:
        groups.setdefault((it.file, it.brand, it.industry), []).append(it)
    brands: dict[Path, Brand] = {}
    for (file, bpath, industry), its in groups.items():
        brand = brands.setdefault(bpath, load_brand(bpath))
        report = check_assets([i.asset for i in its], brand, industry=industry, embeddings=embeddings)
        out.reports.append(report)
        by_id = {r.asset.asset_id: r for r in report.assets}
        for it in its:
            r = by_id[it.asset.asset_id]
            found = {i.category for i in r.issues}
            if it.asset.lang == "zh":
                out.n_zh += 1
            else:
                out.n_en += 1
            for c in categories:
                key = ("tp" if c in found else "fn") if c in it.labels else ("fp" if c in found else "tn")
                out.counts[c][key] += 1
                if key in ("fp", "fn"):
                    out.errors.append(f"{c} {key}: {it.asset.asset_id} {[i.rule for i in r.issues]} {it.asset.text}")
        # planted conflicts
        planted: dict[str, list[tuple[str, str, str]]] = {}
        for it in its:
            for fld, other in it.conflicts:
                planted.setdefault(it.asset.campaign, []).append((fld, it.asset.asset_id, other))
        campaigns = {it.asset.campaign for it in its if it.asset.campaign}
        for camp in sorted(campaigns):
            reported = [c for c in report.conflicts if c.campaign == camp]
            plan = planted.get(camp, [])
            if not plan:
                out.consistent_campaigns += 1
                if reported:
                    out.consistent_with_conflicts.append(f"{file}:{camp}: {[c.to_dict() for c in reported]}")
                continue
            for fld, a, b in plan:
                out.planted += 1
                if any(c.field == fld and a in c.assets and b in c.assets for c in reported):
                    out.planted_found += 1
                else:
                    out.missed.append(f"{file}:{camp}: {fld} {a} vs {b}")
            fields = {p[0] for p in plan}
            out.unexpected_conflicts += [f"{file}:{camp}: {c.to_dict()}" for c in reported if c.field not in fields]
        # message pairs (within one brand group)
        on = [by_id[i.asset.asset_id].coverage.score for i in its if i.message == "on"]
        off = [by_id[i.asset.asset_id].coverage.score for i in its if i.message == "off"]
        out.message_pairs += len(on) * len(off)
        out.message_pairs_ordered += sum(1 for x in on for y in off if x > y)
    return out
