"""Owners and RACI: who is Responsible, Accountable, Consulted and Informed for each task.

:func:`raci_table` collects the RACI rows of every campaign (``[[campaigns.raci]]``) and adds one
owner row per campaign that has an ``owner`` but no RACI rows of its own (the owner accountable and
responsible for running it). :func:`check_raci` enforces the rule of the matrix: **exactly one
Accountable per row**, and at least one Responsible; every problem names the row
(``campaigns[0].raci[1]`` and its campaign and task) and the fix. :func:`validate_raci` raises them
together as one :class:`~omnimix.errors.InputDataError` naming the plan file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from omnimix.errors import InputDataError

ROLES = ("responsible", "accountable", "consulted", "informed")


@dataclass(frozen=True)
class RaciEntry:
    """One row of the plan's RACI matrix.

    Attributes:
        where: the key path of the row in the plan file (``campaigns[0].raci[1]``, or
            ``campaigns[2].owner`` for an owner row).
        campaign: the campaign id.
        task: the task.
        responsible, accountable, consulted, informed: people or teams.
    """

    where: str
    campaign: str
    task: str
    responsible: tuple[str, ...]
    accountable: tuple[str, ...]
    consulted: tuple[str, ...] = ()
    informed: tuple[str, ...] = ()

    def people(self) -> set[str]:
        return set(self.responsible) | set(self.accountable) | set(self.consulted) | set(self.informed)

    def to_dict(self) -> dict[str, Any]:
        return {"where": self.where, "campaign": self.campaign, "task": self.task,
                **{r: list(getattr(self, r)) for r in ROLES}}


def raci_table(plan: Any) -> list[RaciEntry]:
    """Every campaign's RACI rows, plus an owner row for a campaign with an owner and no RACI."""
    out = []
    for i, c in enumerate(plan.campaigns):
        for j, r in enumerate(c.raci):
            out.append(RaciEntry(f"campaigns[{i}].raci[{j}]", c.id, r.task, tuple(r.responsible),
                                 tuple(r.accountable), tuple(r.consulted), tuple(r.informed)))
        if not c.raci and c.owner:
            out.append(RaciEntry(f"campaigns[{i}].owner", c.id, "owner", (c.owner,), (c.owner,)))
    return out


_RACI_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "row": "{where} (campaign {campaign!r}, task {task!r})",
        "no_accountable": "{name}: no Accountable; name exactly one: accountable = \"...\"",
        "many_accountable": "{name}: {n} Accountable ({who}); exactly one person answers for a task: keep one in "
                            "accountable and move the others to responsible or consulted",
        "no_responsible": "{name}: no Responsible; add responsible = [\"...\"] (who does the work)",
        "both": "{name}: {who} both consulted and informed: keep consulted",
    },
    "zh-CN": {
        "row": "{where}（活动 {campaign!r}，任务 {task!r}）",
        "no_accountable": "{name}：没有批准人（A）；请且仅请指定一人：accountable = \"...\"",
        "many_accountable": "{name}：有 {n} 位批准人（{who}）；每项任务只能由一人负总责：accountable 保留一人，"
                            "其余改为 responsible 或 consulted",
        "no_responsible": "{name}：没有执行人（R）；请添加 responsible = [\"...\"]（实际做事的人）",
        "both": "{name}：{who} 同时是咨询人（C）和知会人（I）：保留为 consulted",
    },
}


def check_raci(rows: Sequence[RaciEntry], locale: str = "en") -> list[str]:
    """Problems of the RACI rows, each naming its row and the fix (empty when every row is sound),
    in English or (``locale="zh-CN"``) Chinese."""
    t = _RACI_TEXT["zh-CN" if locale == "zh-CN" else "en"]
    problems = []
    for r in rows:
        name = t["row"].format(where=r.where, campaign=r.campaign, task=r.task)
        acc = list(dict.fromkeys(a for a in r.accountable if a.strip()))
        if not acc:
            problems.append(t["no_accountable"].format(name=name))
        elif len(acc) > 1:
            problems.append(t["many_accountable"].format(name=name, n=len(acc), who=", ".join(acc)))
        if not any(x.strip() for x in r.responsible):
            problems.append(t["no_responsible"].format(name=name))
        both = set(r.consulted) & set(r.informed)
        if both:
            problems.append(t["both"].format(name=name, who=", ".join(sorted(both))))
    return problems


def validate_raci(plan: Any) -> list[RaciEntry]:
    """The plan's RACI rows, checked.

    Raises:
        InputDataError: naming the plan file and listing every bad row.
    """
    rows = raci_table(plan)
    problems = check_raci(rows)
    if problems:
        raise InputDataError(getattr(plan, "source", "plan.toml"), "has RACI rows that break the rule "
                             "of exactly one Accountable per row:", problems)
    return rows


def owners(plan: Any) -> dict[str, list[str]]:
    """Who owns what: ``{person: [goal/campaign/content ids]}`` from the ``owner`` fields."""
    out: dict[str, list[str]] = {}
    for kind in ("goals", "campaigns", "content"):
        for x in getattr(plan, kind, ()):
            if getattr(x, "owner", None):
                out.setdefault(x.owner, []).append(x.id)
    return out
