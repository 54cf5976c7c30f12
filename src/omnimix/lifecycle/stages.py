"""Lifecycle stages: their order, the CRM names that mean each, and the stages the hand-off uses.

The default stages are HubSpot's: subscriber → lead → MQL → SQL → opportunity → customer → advocate
(订阅者 → 线索 → 市场认可线索 → 销售认可线索 → 商机 → 客户 → 推荐者). ``[lifecycle]`` in omnimix.toml changes
them (see docs/lifecycle.md); a CRM's own spelling (``Marketing Qualified Lead``,
``marketingqualifiedlead``, ``evangelist``) is folded onto the stage keys by :meth:`StageModel.key`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from omnimix.config import LifecycleSection
from omnimix.errors import ConfigError

#: Chinese and English names of the default stages (reports and docs).
STAGE_NAMES: dict[str, tuple[str, str]] = {
    "subscriber": ("订阅者", "Subscriber"),
    "lead": ("线索", "Lead"),
    "mql": ("市场认可线索 (MQL)", "Marketing qualified lead (MQL)"),
    "sql": ("销售认可线索 (SQL)", "Sales qualified lead (SQL)"),
    "opportunity": ("商机", "Opportunity"),
    "customer": ("客户", "Customer"),
    "advocate": ("推荐者", "Advocate"),
}


def _fold(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


@dataclass(frozen=True)
class StageModel:
    """The ordered stages and the names that map onto them.

    Attributes:
        stages: stage keys in lifecycle order.
        aliases: folded CRM name → stage key (the keys themselves are accepted too).
        mql / sql / opportunity / customer: the stages the SLA, the win rate and the velocity use.
    """

    stages: tuple[str, ...]
    aliases: dict[str, str] = field(default_factory=dict)
    mql: str = "mql"
    sql: str = "sql"
    opportunity: str = "opportunity"
    customer: str = "customer"

    def __post_init__(self) -> None:
        for role in (self.mql, self.sql, self.opportunity, self.customer):
            if role not in self.stages:
                raise ConfigError(f"[lifecycle] stage {role!r} is not in stages {list(self.stages)}: "
                                  "add it to stages or name another stage")

    @classmethod
    def from_config(cls, section: LifecycleSection) -> StageModel:
        """The model of a ``[lifecycle]`` section."""
        folded = {_fold(k): v for k, v in section.aliases.items()}
        # the squashed forms HubSpot uses internally (marketingqualifiedlead)
        folded.update({k.replace("_", ""): v for k, v in list(folded.items())})
        return cls(stages=tuple(section.stages), aliases=folded, mql=section.mql_stage, sql=section.sql_stage,
                   opportunity=section.opportunity_stage, customer=section.customer_stage)

    def key(self, name: object) -> str | None:
        """The stage key of a CRM stage name, or None when it is not a lifecycle stage."""
        if not isinstance(name, str) or not name.strip():
            return None
        f = _fold(name)
        if f in self.stages:
            return f
        return self.aliases.get(f) or self.aliases.get(f.replace("_", ""))

    def index(self, stage: str) -> int:
        """Position of a stage key in the lifecycle (0 = first)."""
        return self.stages.index(stage)

    def transitions(self) -> list[tuple[str, str]]:
        """Consecutive stage pairs (from, to)."""
        return list(zip(self.stages[:-1], self.stages[1:], strict=True))

    def names(self, stage: str) -> dict[str, str]:
        """``{"zh": …, "en": …}`` display names of a stage (the key itself for custom stages)."""
        zh, en = STAGE_NAMES.get(stage, (stage, stage))
        return {"zh": zh, "en": en}
