"""Channel roles by funnel position (open, assist, close) and the trace of campaigns and content to goals.

Roles come from the journeys of the workspace (``journey_touches`` of converted journeys, written by
``omnimix resolve``): each touch is the journey's first (it *opens*), last (it *closes*) or in between
(it *assists*); a journey of one touch counts as both first and last. A channel's index for a position is
its share of that position's touches over its share of all touches; its role is the position with the
highest index. Without journeys, the first-touch and last-touch credit of ``attribution_results`` gives
the open and close indexes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from omnimix.plan.spec import Plan
from omnimix.workspace import Workspace

ROLES = ("open", "assist", "close")


@dataclass(frozen=True)
class ChannelRole:
    """One channel's position in converting journeys.

    Attributes:
        channel: the channel.
        role: ``open``, ``assist`` or ``close``.
        first, middle, last: touches of the channel at that position.
        index: position → over-representation index (1.0 = as often as the channel's share of touches).
        stage: the funnel stage its touches carry most often (``touchpoints.stage``), when known.
    """

    channel: str
    role: str
    first: float
    middle: float
    last: float
    index: dict[str, float]
    stage: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"channel": self.channel, "role": self.role, "first": self.first, "middle": self.middle,
                "last": self.last, "index": dict(self.index), "stage": self.stage}


def _roles(rows: Sequence[tuple[str, float, float, float]], stages: dict[str, str]) -> list[ChannelRole]:
    tf = sum(r[1] for r in rows)
    tm = sum(r[2] for r in rows)
    tl = sum(r[3] for r in rows)
    tall = tf + tm + tl
    out = []
    for ch, f, m, last in rows:
        share = (f + m + last) / tall if tall else 0.0
        idx = {}
        for role, n, tot in (("open", f, tf), ("assist", m, tm), ("close", last, tl)):
            idx[role] = (n / tot) / share if tot and share else 0.0
        role = max(ROLES, key=lambda r: (idx[r], -ROLES.index(r)))
        out.append(ChannelRole(ch, role, f, m, last, idx, stages.get(ch)))
    return sorted(out, key=lambda r: r.channel)


def channel_roles(workspace: Workspace) -> list[ChannelRole]:
    """Each channel's role from the workspace's journeys (or first/last-touch attribution); [] without either."""
    present = set(workspace.tables())
    con = workspace.connect(read_only=True)
    try:
        stages: dict[str, str] = {}
        if "touchpoints" in present:
            for ch, st in con.execute(
                    "select channel, arg_max(stage, n) from (select channel, stage, count(*) as n from touchpoints "
                    "where stage is not null group by 1, 2) group by 1").fetchall():
                stages[str(ch)] = str(st)
        if "journey_touches" in present:
            rows = con.execute(
                "with t as (select channel, row_number() over (partition by journey_id order by ts) as i, "
                "count(*) over (partition by journey_id) as n from journey_touches where converted) "
                "select channel, sum(case when i = 1 then 1 else 0 end), "
                "sum(case when i > 1 and i < n then 1 else 0 end), sum(case when i = n then 1 else 0 end) "
                "from t group by 1").fetchall()
            if rows:
                return _roles([(str(c), float(f), float(m), float(la)) for c, f, m, la in rows], stages)
        if "attribution_results" in present:
            rows = con.execute(
                "select channel, sum(case when model = 'first' then conversions else 0 end), "
                "0, sum(case when model = 'last' then conversions else 0 end) from attribution_results "
                "group by 1").fetchall()
            if rows:
                return _roles([(str(c), float(f), 0.0, float(la)) for c, f, _, la in rows], stages)
        return []
    finally:
        con.close()


@dataclass(frozen=True)
class Trace:
    """Which goals each campaign and content item serves; what serves no goal; goals nothing serves.

    Attributes:
        campaigns: campaign id → goal ids.
        content: content item id → goal ids (its own, else its campaign's).
        orphans: ``campaign ID`` / ``content ID`` entries that serve no goal, each with the fix.
        unserved: goal ids no campaign or content item serves.
    """

    campaigns: dict[str, tuple[str, ...]]
    content: dict[str, tuple[str, ...]]
    orphans: tuple[str, ...]
    unserved: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"campaigns": {k: list(v) for k, v in self.campaigns.items()},
                "content": {k: list(v) for k, v in self.content.items()},
                "orphans": list(self.orphans), "unserved_goals": list(self.unserved)}


def trace(plan: Plan) -> Trace:
    """Trace every campaign and content item to a goal (an item without goals inherits its campaign's)."""
    camp = {c.id: tuple(c.goal_ids) for c in plan.campaigns}
    content: dict[str, tuple[str, ...]] = {}
    orphans = [f"campaign {c.id}: serves no goal — add goal_ids = [\"…\"]" for c in plan.campaigns if not c.goal_ids]
    for item in plan.content:
        ids = tuple(item.goal_ids) or (camp.get(item.campaign, ()) if item.campaign else ())
        content[item.id] = ids
        if not ids:
            orphans.append(f"content {item.id}: serves no goal — add goal_ids = [\"…\"] or campaign = \"…\"")
    served = {g for ids in (*camp.values(), *content.values()) for g in ids}
    parents = {g.parent for g in plan.goals if g.parent}
    unserved = tuple(g.id for g in plan.goals if g.id not in served and g.id not in parents
                     and (plan.campaigns or plan.content))
    return Trace(camp, content, tuple(orphans), unserved)
