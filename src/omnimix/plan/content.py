"""The content plan: topic clusters (a pillar and its subtopics) and the content matrix.

A **topic cluster** (HubSpot's pillar-page model) is one pillar — a broad theme with its pillar page —
and the subtopics that link to it. In ``[[content]]`` an item with a ``pillar`` and no ``cluster`` is the
pillar page; an item with both is a piece of the subtopic ``cluster``. :func:`topic_clusters` groups the
items and warns when a pillar has fewer distinct subtopics than the minimum (``[calendar]
min_subtopics``, default 3) or no pillar page.

The **content matrix** counts items by funnel stage × persona × channel (:func:`content_matrix`) and
names the gaps: funnel stages with no item at all, and stages a persona gets no item for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from omnimix.errors import UsageError
from omnimix.taxonomy import FUNNEL_STAGES

DEFAULT_MIN_SUBTOPICS = 3
NONE = "—"  # the persona / channel / stage of an item that names none


@dataclass(frozen=True)
class TopicCluster:
    """One pillar and its subtopics.

    Attributes:
        pillar: the pillar's name.
        pillar_pages: ids of the items that are the pillar page (pillar set, no cluster).
        subtopics: distinct subtopic (cluster) names, in first-seen order.
        items: ids of every item of the pillar.
    """

    pillar: str
    pillar_pages: tuple[str, ...]
    subtopics: tuple[str, ...]
    items: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"pillar": self.pillar, "pillar_pages": list(self.pillar_pages), "subtopics": list(self.subtopics),
                "items": list(self.items)}


@dataclass(frozen=True)
class ClusterReport:
    """Topic clusters of a plan, the items outside any cluster and the warnings."""

    clusters: tuple[TopicCluster, ...]
    unclustered: tuple[str, ...]
    warnings: tuple[str, ...]
    min_subtopics: int

    def to_dict(self) -> dict[str, Any]:
        return {"clusters": [c.to_dict() for c in self.clusters], "unclustered": list(self.unclustered),
                "warnings": list(self.warnings), "min_subtopics": self.min_subtopics}


def _min_subtopics(plan: Any, given: int | None) -> int:
    if given is not None:
        n = given
    else:
        cal = getattr(plan, "calendar", None)
        raw = cal.get("min_subtopics", DEFAULT_MIN_SUBTOPICS) if isinstance(cal, dict) else DEFAULT_MIN_SUBTOPICS
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise UsageError(f"{getattr(plan, 'source', 'plan.toml')}: [calendar] min_subtopics = {raw!r}; "
                             "expected a whole number such as 3.")
        n = raw
    if n < 1:
        raise UsageError(f"min_subtopics = {n}; expected at least 1.")
    return n


_CLUSTER_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "thin": "pillar {pillar!r} has {n} subtopic(s){have}; a topic cluster needs at least {min}: add [[content]] "
                "items with pillar = {pillar!r} and a new cluster = \"...\"",
        "no_page": "pillar {pillar!r} has no pillar page: add a [[content]] item with pillar = {pillar!r} and no "
                   "cluster",
        "loose": "{n} content item(s) belong to no pillar ({ids}): give each a pillar so it joins a topic cluster",
    },
    "zh-CN": {
        "thin": "支柱 {pillar!r} 只有 {n} 个子主题{have}；一个主题集群至少需要 {min} 个：请添加 pillar = {pillar!r} "
                "且 cluster 为新子主题的 [[content]] 条目",
        "no_page": "支柱 {pillar!r} 没有支柱页：请添加一条 pillar = {pillar!r}、不填 cluster 的 [[content]] 条目",
        "loose": "{n} 条内容不属于任何支柱（{ids}）：请为每条内容指定 pillar，使其加入主题集群",
    },
}


def topic_clusters(plan: Any, min_subtopics: int | None = None, locale: str = "en") -> ClusterReport:
    """Group ``plan.content`` into topic clusters and warn about thin ones.

    Args:
        plan: a :class:`omnimix.plan.spec.Plan` (its ``content`` items are read).
        min_subtopics: the fewest subtopics a pillar should have (default ``[calendar] min_subtopics``
            or 3).
        locale: language of the warnings, ``"en"`` or ``"zh-CN"``.
    """
    t = _CLUSTER_TEXT["zh-CN" if locale == "zh-CN" else "en"]
    n_min = _min_subtopics(plan, min_subtopics)
    order: list[str] = []
    pages: dict[str, list[str]] = {}
    subs: dict[str, list[str]] = {}
    members: dict[str, list[str]] = {}
    loose: list[str] = []
    for item in plan.content:
        if not item.pillar:
            loose.append(item.id)
            continue
        p = item.pillar
        if p not in members:
            order.append(p)
            pages[p], subs[p], members[p] = [], [], []
        members[p].append(item.id)
        if item.cluster:
            if item.cluster not in subs[p]:
                subs[p].append(item.cluster)
        else:
            pages[p].append(item.id)
    clusters = tuple(TopicCluster(p, tuple(pages[p]), tuple(subs[p]), tuple(members[p])) for p in order)
    warnings: list[str] = []
    for c in clusters:
        if len(c.subtopics) < n_min:
            have = f" ({', '.join(c.subtopics)})" if c.subtopics else ""
            warnings.append(t["thin"].format(pillar=c.pillar, n=len(c.subtopics), have=have, min=n_min))
        if not c.pillar_pages:
            warnings.append(t["no_page"].format(pillar=c.pillar))
    if loose:
        warnings.append(t["loose"].format(n=len(loose), ids=", ".join(loose)))
    return ClusterReport(clusters, tuple(loose), tuple(warnings), n_min)


@dataclass(frozen=True)
class ContentMatrix:
    """Content items by funnel stage × persona × channel.

    Attributes:
        stages: row order (the taxonomy's funnel stages, then any other stage used).
        personas: personas (the plan's, then any other named by items; ``—`` for none).
        channels: channels used by items.
        cells: ``{(stage, persona, channel): (item ids)}`` for the non-empty cells.
        gaps: stages without any item, and (persona, stage) pairs without an item, in words.
    """

    stages: tuple[str, ...]
    personas: tuple[str, ...]
    channels: tuple[str, ...]
    cells: dict[tuple[str, str, str], tuple[str, ...]]
    gaps: tuple[str, ...]

    def count(self, stage: str, persona: str | None = None, channel: str | None = None) -> int:
        """Items in a stage, optionally of one persona and/or channel."""
        return sum(len(ids) for (s, p, c), ids in self.cells.items()
                   if s == stage and persona in (None, p) and channel in (None, c))

    def rows(self) -> list[dict[str, Any]]:
        """One row per non-empty cell: stage, persona, channel, count, items."""
        return [{"stage": s, "persona": p, "channel": c, "count": len(ids), "items": ", ".join(ids)}
                for (s, p, c), ids in self.cells.items()]

    def to_dict(self) -> dict[str, Any]:
        return {"stages": list(self.stages), "personas": list(self.personas), "channels": list(self.channels),
                "cells": self.rows(), "gaps": list(self.gaps)}


def _ordered(known: Sequence[str], used: Sequence[str]) -> tuple[str, ...]:
    return tuple(list(known) + [u for u in dict.fromkeys(used) if u not in known])


def content_matrix(plan: Any, stages: Sequence[str] = FUNNEL_STAGES) -> ContentMatrix:
    """Count ``plan.content`` by funnel stage × persona × channel and list the gaps."""
    items = list(plan.content)
    stage_of = [i.stage or NONE for i in items]
    persona_of = [i.persona or NONE for i in items]
    channel_of = [i.channel or NONE for i in items]
    st = _ordered(stages, [s for s in stage_of if s != NONE] + ([NONE] if NONE in stage_of else []))
    plan_personas = [p.id for p in getattr(plan, "personas", ())]
    pe = _ordered(plan_personas, persona_of)
    ch = tuple(dict.fromkeys(channel_of))
    cells: dict[tuple[str, str, str], list[str]] = {}
    for item, s, p, c in zip(items, stage_of, persona_of, channel_of, strict=True):
        cells.setdefault((s, p, c), []).append(item.id)
    keys = sorted(cells, key=lambda k: (st.index(k[0]), pe.index(k[1]), ch.index(k[2])))
    ordered = {k: tuple(cells[k]) for k in keys}
    gaps: list[str] = []
    used_stages = {k[0] for k in ordered}
    gaps += [f"no content for the {s} stage" for s in stages if s not in used_stages]
    for p in plan_personas:
        missing = [s for s in stages if s in used_stages and not any(k[0] == s and k[1] == p for k in ordered)]
        if missing:
            gaps.append(f"persona {p!r} has no content for: {', '.join(missing)}")
    return ContentMatrix(st, pe, ch, ordered, tuple(gaps))
