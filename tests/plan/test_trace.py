"""Every campaign and content item traced to a goal; orphans and unserved goals reported; channel roles."""

from __future__ import annotations

from omnimix.plan.roles import _roles, trace
from omnimix.plan.spec import parse_plan


def test_trace_orphans_and_unserved_goals() -> None:
    p = parse_plan({
        "plan": {"year": 2026},
        "goals": [{"id": "g1", "kpi": "revenue"}, {"id": "g2", "kpi": "cac"}, {"id": "g3", "kpi": "leads", "parent": "g1"}],
        "campaigns": [{"id": "c1", "start": "2026-06-01", "end": "2026-06-18", "goal_ids": ["g1"]},
                      {"id": "c2", "start": "2026-11-01", "end": "2026-11-11"}],
        "content": [{"id": "a", "campaign": "c1"}, {"id": "b", "goal_ids": ["g3"]}, {"id": "c", "campaign": "c2"},
                    {"id": "d"}],
    })
    t = trace(p)
    assert t.campaigns == {"c1": ("g1",), "c2": ()}
    assert t.content == {"a": ("g1",), "b": ("g3",), "c": (), "d": ()}
    assert [o.split(":")[0] for o in t.orphans] == ["campaign c2", "content c", "content d"]
    assert all("goal_ids" in o for o in t.orphans)
    assert t.unserved == ("g2",)
    assert t.to_dict()["unserved_goals"] == ["g2"]


def test_roles_from_positions() -> None:
    # search mostly opens, email mostly closes, display sits in the middle
    rows = [("search", 80.0, 10.0, 10.0), ("email", 5.0, 10.0, 85.0), ("display", 15.0, 80.0, 5.0)]
    roles = {r.channel: r for r in _roles(rows, {"search": "consideration"})}
    assert roles["search"].role == "open" and roles["email"].role == "close" and roles["display"].role == "assist"
    assert roles["search"].stage == "consideration"
    share = 100 / 300
    assert roles["search"].index["open"] == (80 / 100) / share
