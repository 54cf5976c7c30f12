from __future__ import annotations

import pytest

from omnimix.errors import UsageError
from omnimix.plan.content import content_matrix, topic_clusters
from omnimix.plan.spec import parse_plan

from .conftest import PLAN


def test_topic_clusters_and_warnings(plan) -> None:
    rep = topic_clusters(plan)
    assert [c.pillar for c in rep.clusters] == ["护肤", "母婴"]
    skin, baby = rep.clusters
    assert skin.pillar_pages == ("p1",) and skin.subtopics == ("敏感肌", "防晒", "抗老")
    assert skin.items == ("p1", "p1a", "p1b", "p1c")
    assert baby.subtopics == ("奶粉",) and baby.pillar_pages == ()
    # 护肤 has 3 subtopics (enough at the default 3); 母婴 has 1 and no pillar page
    assert len(rep.warnings) == 2
    assert "'母婴' has 1 subtopic(s) (奶粉); a topic cluster needs at least 3" in rep.warnings[0]
    assert "'母婴' has no pillar page" in rep.warnings[1]
    zh = topic_clusters(plan, locale="zh-CN").warnings
    assert len(zh) == 2 and "支柱 '母婴' 只有 1 个子主题 (奶粉)" in zh[0] and "没有支柱页" in zh[1]
    strict = topic_clusters(plan, min_subtopics=4)
    assert any("'护肤' has 3 subtopic(s)" in w for w in strict.warnings)
    assert topic_clusters(plan, min_subtopics=1).warnings == ("pillar '母婴' has no pillar page: add a [[content]] "
                                                               "item with pillar = '母婴' and no cluster",)


def test_min_subtopics_from_the_plan_and_loose_items() -> None:
    data = {**PLAN, "calendar": {"min_subtopics": 2},
            "content": [*PLAN["content"], {"id": "x1", "title": "散件", "cluster": "杂项"}]}
    rep = topic_clusters(parse_plan(data))
    assert rep.min_subtopics == 2 and rep.unclustered == ("x1",)
    assert any("belong to no pillar (x1)" in w for w in rep.warnings)
    with pytest.raises(UsageError, match="min_subtopics"):
        topic_clusters(parse_plan({**PLAN, "calendar": {"min_subtopics": "three"}}))


def test_content_matrix(plan) -> None:
    m = content_matrix(plan)
    assert m.stages == ("awareness", "consideration", "decision", "retention", "advocacy")
    assert m.personas == ("young", "mom") and m.channels == ("wechat", "douyin")
    assert m.cells[("consideration", "young", "wechat")] == ("p1a",)
    assert m.cells[("decision", "mom", "douyin")] == ("p1c", "m1")
    assert m.count("decision") == 2 and m.count("consideration", channel="douyin") == 1
    assert sum(r["count"] for r in m.rows()) == len(plan.content)
    assert "no content for the retention stage" in m.gaps and "no content for the advocacy stage" in m.gaps
    assert "persona 'young' has no content for: decision" in m.gaps
    assert "persona 'mom' has no content for: awareness" in m.gaps
