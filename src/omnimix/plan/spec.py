"""The plan file (``plan.toml``): the model of an annual integrated plan, validated on load.

A plan file has one ``[plan]`` table and optional arrays of tables; everything the workspace can
supply is optional, so a file with only ``[plan]`` and ``[[goals]]`` statements builds a whole plan::

    [plan]
    name = "2026 年度整合营销计划"
    year = 2026
    currency = "CNY"
    budget = 12_000_000            # the year's total, reserve included
    strategy = ["拓展年轻客群"]      # strategy lines a goal can be relevant to

    [[goals]]
    id = "g1"
    statement = "本年度将新注册用户数量提升25%，并将平均用户获取成本(CAC)降低15%"

    [[goals]]                      # or structured fields (both may be given: fields win)
    id = "g2"
    kpi = "revenue"
    baseline = 50_000_000
    target = 60_000_000            # an absolute target, or change = 0.20 (+20% on the baseline)
    deadline = 2026-12-31
    owner = "市场部"
    parent = "g1"                  # or strategy = "拓展年轻客群"

    [[personas]]  id, name, description, segment, channels
    [[campaigns]] id, name, start, end, channels, goal_ids, owner, budget,
                  [[campaigns.budget_lines]] (item, channel, amount, actual),
                  [[campaigns.raci]] (task, responsible, accountable, consulted, informed)
    [[content]]   id, title, pillar, cluster, stage, persona, channel, status, start, end, goal_ids,
                  campaign, owner
    [constraints] reserve = 0.10, locked = ["stores"] or {stores = 800_000},
                  [constraints.channels.NAME] min, max (amounts for the year), min_change, max_change
    [calendar]    free-form settings read by the calendar (``omnimix.plan.calendar``)

Every problem of the file is reported at once by :func:`load_plan`, each with its key path
(``goals[2].deadline``) and the fix, in an :class:`~omnimix.errors.InputDataError` naming the file.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from omnimix.errors import InputDataError

#: The statuses of a content item, in workflow order.
CONTENT_STATUSES: tuple[str, ...] = ("idea", "draft", "review", "approved", "scheduled", "published")
DEFAULT_RESERVE = 0.10

_ISO_CURRENCY = frozenset(
    "CNY USD EUR GBP JPY HKD TWD KRW SGD AUD CAD CHF SEK NOK DKK INR IDR THB MYR PHP VND BRL MXN RUB "
    "AED SAR NZD ZAR TRY PLN CZK HUF ILS".split()
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _names(v: Any) -> Any:
    """A name or a list of names → a tuple of names (``"a"`` and ``["a"]`` are the same)."""
    if v is None:
        return ()
    if isinstance(v, str):
        return (v,)
    return v


def _date(v: Any) -> Any:
    """TOML dates, datetimes or ``"YYYY-MM-DD"`` strings → :class:`datetime.date`."""
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v.strip())
        except ValueError:
            raise ValueError(f"{v!r} is not a date: write it as 2026-03-31 (a TOML date or 'YYYY-MM-DD')") from None
    return v


class PlanSection(_Strict):
    """``[plan]``: the year and its total budget.

    Attributes:
        name: the plan's name.
        year: the plan year (calendar year unless ``start_month`` says otherwise).
        currency: ISO 4217 code.
        budget: the year's total marketing budget, test reserve included (``None``: the workspace's
            spend of the last 52 weeks).
        start_month: the month the plan year starts (a fiscal year starting in April: 4).
        strategy: strategy lines of the company a goal can name as its ``strategy``.
        owner: who owns the plan.
    """

    name: str = "plan"
    year: int = Field(ge=2000, le=2100)
    currency: str = "CNY"
    budget: float | None = Field(default=None, ge=0)
    start_month: int = Field(default=1, ge=1, le=12)
    strategy: tuple[str, ...] = ()
    owner: str | None = None

    _v_strategy = field_validator("strategy", mode="before")(_names)

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        if v.upper() not in _ISO_CURRENCY:
            raise ValueError(f"unknown currency {v!r}: use an ISO 4217 code such as CNY, USD or EUR")
        return v.upper()

    @property
    def start(self) -> dt.date:
        """The first day of the plan year."""
        return dt.date(self.year, self.start_month, 1)

    @property
    def end(self) -> dt.date:
        """The last day of the plan year."""
        if self.start_month == 1:
            return dt.date(self.year, 12, 31)
        return dt.date(self.year + 1, self.start_month, 1) - dt.timedelta(days=1)


class Goal(_Strict):
    """``[[goals]]``: one goal, as a sentence, as structured fields, or both.

    Attributes:
        id: unique id (``g1``); campaigns, content items and child goals refer to it.
        statement: the goal in a sentence (zh or en); parsed by :mod:`omnimix.plan.goals`.
        kpi: a KPI of :data:`omnimix.plan.goals.KPIS` (``new_customers``, ``cac``, ``revenue`` …).
        baseline: the KPI's value to improve on (``None``: read from the warehouse).
        target: the KPI's target value.
        change: the target as a relative change of the baseline (``0.25`` = +25%, ``-0.15`` = −15%).
        deadline: when the target is due.
        owner: who answers for the goal.
        parent: the id of the goal this one serves (the cascade's tree).
        strategy: the strategy line of ``[plan] strategy`` the goal serves.
        population: whom the KPI counts (``新注册用户``, ``customers in Shanghai``).
        channels: channels the goal is limited to (empty: all).
    """

    id: str = Field(min_length=1)
    statement: str | None = None
    kpi: str | None = None
    baseline: float | None = None
    target: float | None = None
    change: float | None = None
    deadline: dt.date | None = None
    owner: str | None = None
    parent: str | None = None
    strategy: str | None = None
    population: str | None = None
    channels: tuple[str, ...] = ()

    _v_deadline = field_validator("deadline", mode="before")(_date)
    _v_channels = field_validator("channels", mode="before")(_names)

    @model_validator(mode="after")
    def _something(self) -> Goal:
        if self.statement is None and self.kpi is None:
            raise ValueError("a goal needs a statement (a sentence) or a kpi: add statement = \"...\" "
                             "or kpi = \"revenue\" with target or change")
        if self.change is not None and self.change <= -1:
            raise ValueError(f"change = {self.change}: a relative change is above -1 (-0.15 is −15%)")
        return self


class Persona(_Strict):
    """``[[personas]]``: an audience the plan addresses.

    Attributes:
        id: unique id that content items name.
        name: display name.
        description: who they are, what they need.
        segment: the customer segment (``omnimix clv segments``) the persona stands for.
        channels: channels where they are reached.
    """

    id: str = Field(min_length=1)
    name: str | None = None
    description: str | None = None
    segment: str | None = None
    channels: tuple[str, ...] = ()

    _v_channels = field_validator("channels", mode="before")(_names)


class BudgetLine(_Strict):
    """``[[campaigns.budget_lines]]``: one planned cost of a campaign (and its actual cost when known)."""

    item: str = Field(min_length=1)
    amount: float = Field(ge=0)
    channel: str | None = None
    actual: float | None = Field(default=None, ge=0)


class RaciRow(_Strict):
    """``[[campaigns.raci]]``: who is Responsible, Accountable, Consulted and Informed for a task.

    ``accountable`` is kept as given (a name or a list) so the calendar can report a row without
    exactly one Accountable.
    """

    task: str = Field(min_length=1)
    responsible: tuple[str, ...] = ()
    accountable: tuple[str, ...] = ()
    consulted: tuple[str, ...] = ()
    informed: tuple[str, ...] = ()

    _v_people = field_validator("responsible", "accountable", "consulted", "informed", mode="before")(_names)


class Campaign(_Strict):
    """``[[campaigns]]``: a campaign with its dates, channels, goals, budget and owners.

    Attributes:
        id: unique id.
        name: display name (default: the id).
        start, end: first and last day (inclusive).
        channels: channels it runs on.
        goal_ids: goals it serves (none: reported as an orphan).
        owner: who runs it.
        budget: its total budget (default: the sum of its budget lines).
        budget_lines: planned (and actual) costs.
        raci: RACI rows.
        parent: the id of the campaign this one belongs to (a campaign hierarchy).
        preset: a retail peak it is built around (``618``, ``双11``…; read by the calendar).
    """

    id: str = Field(min_length=1)
    name: str | None = None
    start: dt.date
    end: dt.date
    channels: tuple[str, ...] = ()
    goal_ids: tuple[str, ...] = ()
    owner: str | None = None
    budget: float | None = Field(default=None, ge=0)
    budget_lines: tuple[BudgetLine, ...] = ()
    raci: tuple[RaciRow, ...] = ()
    parent: str | None = None
    preset: str | None = None

    _v_dates = field_validator("start", "end", mode="before")(_date)
    _v_names = field_validator("channels", "goal_ids", mode="before")(_names)

    @model_validator(mode="after")
    def _order(self) -> Campaign:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}: swap them")
        return self

    @property
    def title(self) -> str:
        """The name, or the id when the campaign has no name."""
        return self.name or self.id

    @property
    def planned_cost(self) -> float:
        """``budget``, or the sum of the budget lines when no budget is given."""
        return float(self.budget) if self.budget is not None else float(sum(b.amount for b in self.budget_lines))


class ContentItem(_Strict):
    """``[[content]]``: one piece of the content plan.

    Attributes:
        id: unique id.
        title: what it is.
        pillar: the pillar page / theme it belongs to.
        cluster: the topic cluster (a pillar's subtopic).
        stage: funnel stage (awareness, consideration, decision, retention, advocacy).
        persona: the persona id it is for.
        channel: where it is published.
        status: idea, draft, review, approved, scheduled or published.
        start, end: dates (a single publish date: ``start`` only).
        goal_ids: goals it serves (none and no campaign: an orphan).
        campaign: the campaign it belongs to (its goals count as the item's).
        owner: who produces it.
    """

    id: str = Field(min_length=1)
    title: str | None = None
    pillar: str | None = None
    cluster: str | None = None
    stage: str | None = None
    persona: str | None = None
    channel: str | None = None
    status: Literal["idea", "draft", "review", "approved", "scheduled", "published"] = "idea"
    start: dt.date | None = None
    end: dt.date | None = None
    goal_ids: tuple[str, ...] = ()
    campaign: str | None = None
    owner: str | None = None

    _v_dates = field_validator("start", "end", mode="before")(_date)
    _v_goals = field_validator("goal_ids", mode="before")(_names)

    @model_validator(mode="after")
    def _order(self) -> ContentItem:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}: swap them")
        return self


class ChannelLimit(_Strict):
    """``[constraints.channels.NAME]``: bounds of one channel's budget for the year.

    ``min``/``max`` are amounts for the whole year; ``min_change``/``max_change`` are fractions of the
    channel's current spend (``-0.3`` … ``0.5``), as the optimizer's bounds.
    """

    min: float | None = Field(default=None, ge=0)
    max: float | None = Field(default=None, ge=0)
    min_change: float | None = Field(default=None, ge=-1)
    max_change: float | None = Field(default=None, ge=-1)

    @model_validator(mode="after")
    def _order(self) -> ChannelLimit:
        if self.min is not None and self.max is not None and self.max < self.min:
            raise ValueError(f"max {self.max} is below min {self.min}: raise max or lower min")
        if self.min_change is not None and self.max_change is not None and self.max_change < self.min_change:
            raise ValueError(f"max_change {self.max_change} is below min_change {self.min_change}")
        return self


class Constraints(_Strict):
    """``[constraints]``: what the budget must respect.

    Attributes:
        reserve: the test-and-innovation reserve, a share of the total budget (default 0.10).
        channels: per-channel bounds for the year.
        locked: channels held fixed: a list (held at current spend) or a mapping to the year's amount.
        guardrails: keep every unbounded channel within −30% … +30% of current spend (the optimizer's
            default); ``false`` lets the optimizer move any channel freely.
    """

    reserve: float = Field(default=DEFAULT_RESERVE, ge=0, lt=1)
    channels: dict[str, ChannelLimit] = Field(default_factory=dict)
    locked: dict[str, float | None] = Field(default_factory=dict)
    guardrails: bool = True

    @field_validator("locked", mode="before")
    @classmethod
    def _locked(cls, v: Any) -> Any:
        if isinstance(v, str):
            return {v: None}
        if isinstance(v, list | tuple):
            return dict.fromkeys(v)
        return v


class Plan(_Strict):
    """The whole plan file.

    Attributes:
        plan: the ``[plan]`` section.
        goals, personas, campaigns, content: the arrays of tables.
        constraints: the budget's constraints.
        calendar: free-form settings of the calendar (presets, minimum subtopics per cluster …).
        source: the file the plan was read from (set by :func:`load_plan`).
    """

    plan: PlanSection
    goals: tuple[Goal, ...] = ()
    personas: tuple[Persona, ...] = ()
    campaigns: tuple[Campaign, ...] = ()
    content: tuple[ContentItem, ...] = ()
    constraints: Constraints = Field(default_factory=lambda: Constraints())
    calendar: dict[str, Any] = Field(default_factory=dict)
    source: str = "plan.toml"

    @model_validator(mode="after")
    def _references(self) -> Plan:
        problems = _reference_problems(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def goal(self, goal_id: str) -> Goal:
        """The goal with this id (KeyError when there is none)."""
        for g in self.goals:
            if g.id == goal_id:
                return g
        raise KeyError(goal_id)


def _duplicates(kind: str, ids: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for i, x in enumerate(ids):
        if x in seen:
            out.append(f"{kind}[{i}].id: {x!r} is used twice: give every entry its own id")
        seen.add(x)
    return out


def _reference_problems(p: Plan) -> list[str]:
    goal_ids = [g.id for g in p.goals]
    known = set(goal_ids)
    out = _duplicates("goals", goal_ids)
    out += _duplicates("campaigns", [c.id for c in p.campaigns])
    out += _duplicates("content", [c.id for c in p.content])
    out += _duplicates("personas", [c.id for c in p.personas])
    for i, g in enumerate(p.goals):
        if g.parent is not None and g.parent not in known:
            out.append(f"goals[{i}].parent: no goal has id {g.parent!r}: use one of {sorted(known)} or remove it")
        if g.parent == g.id:
            out.append(f"goals[{i}].parent: a goal cannot be its own parent")
        if g.strategy is not None and p.plan.strategy and g.strategy not in p.plan.strategy:
            out.append(f"goals[{i}].strategy: {g.strategy!r} is not a line of [plan] strategy "
                       f"{list(p.plan.strategy)}: add it there or fix the spelling")
    out += _cycle_problems(p)
    campaigns = {c.id for c in p.campaigns}
    for i, c in enumerate(p.campaigns):
        out += [f"campaigns[{i}].goal_ids: no goal has id {x!r}: use one of {sorted(known)}"
                for x in c.goal_ids if x not in known]
        if c.parent is not None and c.parent not in campaigns:
            out.append(f"campaigns[{i}].parent: no campaign has id {c.parent!r}")
    personas = {x.id for x in p.personas}
    for i, item in enumerate(p.content):
        out += [f"content[{i}].goal_ids: no goal has id {x!r}: use one of {sorted(known)}"
                for x in item.goal_ids if x not in known]
        if item.campaign is not None and item.campaign not in campaigns:
            out.append(f"content[{i}].campaign: no campaign has id {item.campaign!r}: "
                       f"use one of {sorted(campaigns)} or remove it")
        if item.persona is not None and personas and item.persona not in personas:
            out.append(f"content[{i}].persona: no persona has id {item.persona!r}: use one of {sorted(personas)}")
    return out


def _cycle_problems(p: Plan) -> list[str]:
    parent = {g.id: g.parent for g in p.goals if g.parent is not None}
    out = []
    for start in parent:
        seen = {start}
        node = parent.get(start)
        while node is not None:
            if node in seen:
                out.append(f"goals: the parent chain from {start!r} loops back to {node!r}: break the loop")
                break
            seen.add(node)
            node = parent.get(node)
        if out:
            break
    return out


def _format(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        loc = ""
        for part in err["loc"]:
            loc += f"[{part}]" if isinstance(part, int) else (f".{part}" if loc else str(part))
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key: remove it or check its spelling against docs/plan.md"
        elif err["type"] == "missing":
            msg = "missing: add it (see docs/plan.md)"
        for line in msg.split("\n"):
            out.append(f"{loc}: {line}" if loc else line)
    return out


def parse_plan(data: dict[str, Any], origin: str = "plan.toml") -> Plan:
    """Validate a plan mapping (the parsed TOML).

    Raises:
        InputDataError: naming ``origin`` and listing every problem with its key path and fix.
    """
    if "plan" not in data:
        raise InputDataError(origin, "has no [plan] table: add [plan] with name, year and budget "
                             "(see docs/plan.md)")
    try:
        return Plan.model_validate({**data, "source": origin})
    except ValidationError as exc:
        raise InputDataError(origin, f"is not a valid plan ({exc.error_count()} problem(s)):",
                             _format(exc)) from None


def load_plan(path: str | Path) -> Plan:
    """Read and validate a ``plan.toml``.

    Raises:
        InputDataError: the file is missing, is not TOML, or has invalid keys (all listed at once,
            each with its key path and the fix).
    """
    p = Path(path)
    if not p.is_file():
        raise InputDataError(str(p), "not found: give the path of a plan.toml (examples/plan.toml is one)")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputDataError(str(p), f"is not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise InputDataError(str(p), "is not UTF-8 text: save it as UTF-8") from None
    return parse_plan(data, str(p))
