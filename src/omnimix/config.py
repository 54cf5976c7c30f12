"""Workspace configuration: ``omnimix.toml``, validated on load.

Every problem in the file is reported at once, each with its key path and the fix. The file written by
``omnimix init`` documents every key.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from omnimix.errors import ConfigError
from omnimix.taxonomy import CHANNELS, DEFAULT_RULES, FUNNEL_STAGES
from omnimix.taxonomy import IDENTIFIER_TYPES as IDENTIFIER_TYPES  # re-exported: its old home

CONFIG_FILE = "omnimix.toml"
ISO_CURRENCIES = frozenset(
    "CNY USD EUR GBP JPY HKD TWD KRW SGD AUD CAD CHF SEK NOK DKK INR IDR THB MYR PHP VND BRL MXN RUB "
    "AED SAR NZD ZAR TRY PLN CZK HUF ILS".split()
)
TABLES: tuple[str, ...] = ("spend", "touchpoints", "conversions", "contacts", "content", "experiments",
                          "stage_history")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorkspaceSection(_Strict):
    name: str = "omnimix"
    currency: str = "CNY"
    timezone: str = "Asia/Shanghai"
    engine: Literal["duckdb", "spark"] = "duckdb"
    warehouse: str = "warehouse.duckdb"

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        if v.upper() not in ISO_CURRENCIES:
            raise ValueError(f"unknown currency {v!r}: use an ISO 4217 code such as CNY, USD or EUR")
        return v.upper()


class FiscalSection(_Strict):
    year_start_month: int = Field(1, ge=1, le=12)
    week_start: Literal["monday", "sunday"] = "monday"


class PIISection(_Strict):
    keep_pii: bool = False
    default_region: str = "CN"
    salt: str = ""

    @field_validator("default_region")
    @classmethod
    def _region(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Z]{2}", v):
            raise ValueError(f"default_region {v!r} is not a two-letter region code such as CN or US")
        return v


class FunnelSection(_Strict):
    stages: list[str] = Field(default_factory=lambda: list(FUNNEL_STAGES))

    @field_validator("stages")
    @classmethod
    def _stages(cls, v: list[str]) -> list[str]:
        if len(v) < 2 or len(set(v)) != len(v):
            raise ValueError("stages must list at least two distinct stage names in funnel order")
        return v


class TaxonomyRule(_Strict):
    channel: str
    stage: str
    source: str | None = None
    medium: str | None = None
    campaign: str | None = None

    @model_validator(mode="after")
    def _patterns(self) -> TaxonomyRule:
        for name in ("source", "medium", "campaign"):
            pattern = getattr(self, name)
            if pattern is not None:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"{name} pattern {pattern!r} is not a valid regex ({exc})") from exc
        if self.source is None and self.medium is None and self.campaign is None:
            raise ValueError("a rule needs at least one of source, medium, campaign")
        return self


class TaxonomySection(_Strict):
    rules: list[TaxonomyRule] = Field(default_factory=lambda: [TaxonomyRule(**r) for r in DEFAULT_RULES])
    channels: dict[str, str] = Field(default_factory=lambda: dict(CHANNELS))


class SourceSection(_Strict):
    """A named source: which files it matches, their preset or canonical table, and their mapping.

    A file matches when its name or path matches ``pattern`` (a glob) and the header holds every name
    in ``header`` (compared like the presets' aliases: case, spaces and full-width brackets aside);
    give one or both. ``columns`` maps a header of the file to any canonical column (required ones
    included), ``constants`` gives a canonical column one value for every row, ``values`` maps values of a
    canonical column (``{ channel = { "巨量" = "douyin" } }``). ``sheet`` and ``header_row`` choose the
    XLSX sheet and the header's line (1-based) when detection is not wanted.
    """

    name: str
    pattern: str | None = None
    header: list[str] = Field(default_factory=list)
    preset: str | None = None
    table: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    constants: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    sheet: str | None = None
    header_row: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _one_target(self) -> SourceSection:
        if self.pattern is None and not self.header:
            raise ValueError("give a file-name pattern, a header list, or both, to say which files this is")
        if self.preset is not None and self.table is not None:
            raise ValueError("give at most one of preset or table")
        if self.table is not None and self.table not in TABLES:
            raise ValueError(f"table {self.table!r} is not one of {', '.join(TABLES)}")
        return self


class IdentitySection(_Strict):
    max_per_person: dict[str, int] = Field(
        default_factory=lambda: {"user_id": 1, "anonymous_id": 5, "email": 5, "crm_id": 3, "loyalty_id": 2}
    )
    priority: list[str] = Field(default_factory=lambda: list(IDENTIFIER_TYPES))
    blocked_values: list[str] = Field(
        default_factory=lambda: ["", "0", "-1", "null", "none", "nan", "anonymous", "unknown", "undefined"]
    )
    match_threshold: float = Field(0.95, gt=0, lt=1)

    @field_validator("max_per_person")
    @classmethod
    def _limits(cls, v: dict[str, int]) -> dict[str, int]:
        bad = [k for k in v if k not in IDENTIFIER_TYPES]
        if bad:
            raise ValueError(f"unknown identifier types {bad}: use {', '.join(IDENTIFIER_TYPES)}")
        if any(n < 1 for n in v.values()):
            raise ValueError("limits must be at least 1")
        return v


class JourneySection(_Strict):
    lookback_days: int = Field(30, ge=1, le=3650)
    lookback_by_event_type: dict[str, int] = Field(default_factory=dict)


class LifecycleSection(_Strict):
    """``[lifecycle]``: the stages in order, their aliases, and the MQL → SQL hand-off SLA."""

    stages: list[str] = Field(default_factory=lambda: [
        "subscriber", "lead", "mql", "sql", "opportunity", "customer", "advocate"])
    aliases: dict[str, str] = Field(default_factory=lambda: {
        "marketing_qualified_lead": "mql", "sales_qualified_lead": "sql", "evangelist": "advocate"})
    mql_stage: str = "mql"
    sql_stage: str = "sql"
    opportunity_stage: str = "opportunity"
    customer_stage: str = "customer"
    sla_hours: float = Field(4.0, gt=0)
    work_hours: list[str] = Field(default_factory=lambda: ["09:00-12:00", "13:00-18:00"])
    workdays: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5])
    holidays: Literal["cn", "none"] = "cn"
    extra_holidays: list[str] = Field(default_factory=list)
    extra_workdays: list[str] = Field(default_factory=list)
    maturity_quantile: float = Field(0.99, gt=0, le=1)

    @field_validator("workdays")
    @classmethod
    def _days(cls, v: list[int]) -> list[int]:
        if not v or any(d < 1 or d > 7 for d in v):
            raise ValueError("workdays are ISO weekdays 1 (Monday) … 7 (Sunday), at least one")
        return v

    @model_validator(mode="after")
    def _known(self) -> LifecycleSection:
        if len(set(self.stages)) != len(self.stages) or len(self.stages) < 2:
            raise ValueError(f"stages {self.stages}: at least two, each once")
        for key in ("mql_stage", "sql_stage", "opportunity_stage", "customer_stage"):
            if getattr(self, key) not in self.stages:
                raise ValueError(f"{key} {getattr(self, key)!r} is not in stages {self.stages}")
        bad = {a: s for a, s in self.aliases.items() if s not in self.stages}
        if bad:
            raise ValueError(f"aliases {bad} point to stages not in {self.stages}")
        return self
class MonitorRule(_Strict):
    """One ``[[monitor.rules]]`` entry: which series, what breaks it, how bad, whom to tell."""

    metric: str
    channel: str | None = None
    band: bool = True
    above: float | None = None
    below: float | None = None
    severity: Literal["info", "warning", "critical"] = "warning"
    who: list[str] = Field(default_factory=list)


class MonitorBudget(_Strict):
    """A channel's budget for pacing: daily and/or monthly, in the workspace currency."""

    daily: float | None = Field(None, gt=0)
    monthly: float | None = Field(None, gt=0)


class MonitorWebhook(_Strict):
    name: str
    url: str
    format: Literal["json", "slack", "wecom", "dingtalk", "feishu"] = "json"


class MonitorEmail(_Strict):
    host: str = "localhost"
    port: int = Field(25, ge=1, le=65535)
    sender: str = "omnimix@localhost"
    user: str | None = None
    password_env: str | None = None
    starttls: bool = False


class MonitorSection(_Strict):
    """``[monitor]``: detection settings, alert rules, budgets for pacing and where alerts go."""

    fdr: float = Field(0.01, gt=0, lt=1)
    train_days: int = Field(90, ge=28, le=730)
    rules: list[MonitorRule] = Field(default_factory=list)
    budgets: dict[str, MonitorBudget] = Field(default_factory=dict)
    webhooks: list[MonitorWebhook] = Field(default_factory=list)
    email: MonitorEmail | None = None


_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_CRON_HELP = {"minute": "0-59", "hour": "0-23", "day": "1-31", "month": "1-12 or jan-dec",
              "day_of_week": "0-7 (0 and 7 are Sunday) or sun-sat"}


def _check_zone(name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as Asia/Shanghai or UTC") from None


def _weekday(token: str) -> int:
    t = token.strip().lower()
    if t[:3] in _WEEKDAYS and len(t) >= 3:
        return _WEEKDAYS.index(t[:3])
    if not t.isdigit() or not 0 <= int(t) <= 7:
        raise ValueError(f"{token!r} is not a weekday")
    return int(t) % 7


def _crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field (0 or 7 = Sunday, as cron) as APScheduler weekday names.

    APScheduler 3 reads numbers as 0 = Monday (its documented historical mismatch with cron), so every
    number, range and step is expanded here with cron's meaning and passed on as names.
    """
    days: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        if step_text and not (step_text.isdigit() and int(step_text) > 0):
            raise ValueError(f"step {step_text!r} is not a positive number")
        step = int(step_text) if step_text else 1
        if base == "*":
            lo, hi = 0, 6
        elif "-" in base:
            a, b = base.split("-", 1)
            lo, hi = _weekday(a), _weekday(b)
            if b.strip() == "7":
                hi = 7
            if hi < lo:
                raise ValueError(f"range {base!r} runs backwards")
        else:
            lo = _weekday(base)
            hi = 6 if step_text else lo
        days.update(d % 7 for d in range(lo, hi + 1, step))
    if len(days) == 7:
        return "*"
    return ",".join(_WEEKDAYS[d] for d in sorted(days))


def cron_fields(expr: str) -> dict[str, str]:
    """Check a 5-field crontab line; return APScheduler ``CronTrigger`` keyword arguments.

    Fields: minute, hour, day of month, month, day of week (cron's numbering: 0 or 7 is Sunday).
    Day of month and day of week may not both be restricted (cron fires when either matches, a
    ``CronTrigger`` only when both do).

    Raises:
        ValueError: the line's problem, naming the field and its allowed values.
    """
    from apscheduler.triggers.cron import CronTrigger

    parts = expr.split()
    if len(parts) != 5:
        raise ValueError(f"a crontab line has 5 fields (minute hour day month day_of_week), this has {len(parts)}")
    out = dict(zip(CRON_FIELDS, parts, strict=True))
    for name in CRON_FIELDS:
        value = out[name]
        try:
            if name == "day_of_week":
                value = out[name] = _crontab_weekdays(value)
            CronTrigger(**{name: value}, timezone="UTC")
        except ValueError as exc:
            raise ValueError(f"field {name} = {parts[CRON_FIELDS.index(name)]!r} is invalid ({exc}); "
                             f"allowed: {_CRON_HELP[name]}, '*', lists a,b, ranges a-b and steps */n") from None
    if out["day"] != "*" and out["day_of_week"] != "*":
        raise ValueError("restrict day (of month) or day_of_week, not both: cron would fire when either "
                         "matches, this scheduler only when both do; use two jobs instead")
    return out


SCHEDULE_KINDS: tuple[str, ...] = ("ingest", "monitor", "refit", "review")
CRON_FIELDS: tuple[str, ...] = ("minute", "hour", "day", "month", "day_of_week")


class ScheduleJob(_Strict):
    """One ``[[schedule.jobs]]`` entry: what to run (``kind``) and when (a 5-field crontab line).

    ``cron`` is checked by :func:`omnimix.schedule.cron.parse_cron` (crontab semantics: day of week 0 or
    7 is Sunday); ``timezone`` defaults to ``[workspace] timezone``; ``lang`` is the review's language.
    """

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: Literal["ingest", "monitor", "refit", "review"]
    cron: str
    timezone: str | None = None
    enabled: bool = True
    lang: Literal["zh-CN", "en"] = "zh-CN"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        if v is not None:
            _check_zone(v)
        return v

    @model_validator(mode="after")
    def _cron(self) -> ScheduleJob:
        try:
            cron_fields(self.cron)
        except ValueError as exc:
            raise ValueError(f"job {self.name!r}: cron {self.cron!r}: {exc}") from None
        return self


#: the proposed jobs (docs/schedule.md), written commented out by ``omnimix init``: none runs unless written
PROPOSED_JOBS = """
[[schedule.jobs]]
name = 'ingest'
kind = 'ingest'
cron = '*/15 * * * *'
[[schedule.jobs]]
name = 'monitor'
kind = 'monitor'
cron = '0 7 * * *'
[[schedule.jobs]]
name = 'review'
kind = 'review'
cron = '0 8 1 * *'
[[schedule.jobs]]
name = 'refit'
kind = 'refit'
cron = '0 3 1 1,4,7,10 *'
"""


class ScheduleSection(_Strict):
    """``[schedule]``: cron jobs run by ``omnimix schedule`` or ``omnimix serve --schedule``."""

    watch: list[str] = Field(default_factory=lambda: ["inbox"])
    lock_wait_s: float = Field(30.0, ge=0, le=3600)
    misfire_grace_s: int = Field(3600, ge=1, le=7 * 86_400)
    jobs: list[ScheduleJob] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> ScheduleSection:
        names = [j.name for j in self.jobs]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"job names must be unique; repeated: {', '.join(dup)}")
        return self


class ReviewSection(_Strict):
    """``[review]``: the Measure–Learn–Optimize review's decision rule (docs/review.md).

    ``threshold`` is the marginal ROI a channel must clear: currency returned per extra unit of currency
    spent for a revenue KPI (1.0 = break-even), KPI units per currency unit for a count KPI without a value.
    """

    threshold: float = Field(1.0, gt=0)
    level: float = Field(0.9, ge=0.5, lt=1)
    min_identification: float = Field(0.5, ge=0, le=1)
    pacing_tolerance: float = Field(0.10, gt=0, lt=1)
    refresh_weeks: int = Field(13, ge=1, le=104)
    experiments: int = Field(3, ge=0, le=20)
    fit: str = "mmm/latest"


class Config(_Strict):
    """The whole ``omnimix.toml``."""

    workspace: WorkspaceSection = Field(default_factory=lambda: WorkspaceSection())
    fiscal: FiscalSection = Field(default_factory=lambda: FiscalSection())
    pii: PIISection = Field(default_factory=lambda: PIISection())
    funnel: FunnelSection = Field(default_factory=lambda: FunnelSection())
    taxonomy: TaxonomySection = Field(default_factory=lambda: TaxonomySection())
    sources: list[SourceSection] = Field(default_factory=list)
    identity: IdentitySection = Field(default_factory=lambda: IdentitySection())
    journeys: JourneySection = Field(default_factory=lambda: JourneySection())
    lifecycle: LifecycleSection = Field(default_factory=lambda: LifecycleSection())
    monitor: MonitorSection = Field(default_factory=lambda: MonitorSection())
    schedule: ScheduleSection = Field(default_factory=lambda: ScheduleSection())
    review: ReviewSection = Field(default_factory=lambda: ReviewSection())

    @model_validator(mode="after")
    def _stages_known(self) -> Config:
        for rule in self.taxonomy.rules:
            if rule.stage not in self.funnel.stages:
                raise ValueError(f"taxonomy rule for {rule.channel!r} uses stage {rule.stage!r}, "
                                 f"which is not in funnel.stages {self.funnel.stages}")
        return self


def _format_errors(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key: remove it or check its spelling against docs/configuration.md"
        out.append(f"{path}: {msg}")
    return out


def parse_config(data: dict[str, Any], origin: str = CONFIG_FILE) -> Config:
    """Validate a config mapping; raise :class:`ConfigError` listing every problem."""
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{origin} is invalid ({exc.error_count()} problem(s)):",
                          _format_errors(exc)) from None


def load_config(workspace: str | Path) -> Config:
    """Read and validate ``DIR/omnimix.toml``."""
    path = Path(workspace) / CONFIG_FILE
    if not path.is_file():
        raise ConfigError(f"{path} not found: create a workspace with `omnimix init {workspace}`")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    return parse_config(data, str(path))


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        if "'" not in v and "\n" not in v:
            return "'" + v + "'"  # TOML literal string: regexes keep their backslashes
        return json.dumps(v, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(type(v))


def _key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else '"' + k + '"'


def render_config(cfg: Config) -> str:
    """Render a config as commented TOML (the file ``omnimix init`` writes)."""
    d = cfg.model_dump(exclude_none=True)
    lines = [
        "# omnimix workspace configuration. Every key is documented in docs/configuration.md.",
        "",
        "[workspace]",
        "# currency: ISO 4217; engine: duckdb (embedded default) or spark (pyspark) for big data",
    ]
    lines += [f"{k} = {_toml_value(v)}" for k, v in d["workspace"].items()]
    lines += ["", "[fiscal]", "# first month of the fiscal year; first day of the reporting week"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in d["fiscal"].items()]
    lines += ["", "[pii]",
              "# keep_pii = false: emails and phones are normalised (phones to E.164 in default_region)",
              "# and SHA-256 hashed at ingestion; true keeps them raw (you then owe PIPL/GDPR care)"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in d["pii"].items()]
    lines += ["", "[funnel]"] + [f"{k} = {_toml_value(v)}" for k, v in d["funnel"].items()]
    lines += ["", "[identity]", "# merge protection: per-type limits, priority, values that never link"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in d["identity"].items()]
    lines += ["", "[journeys]"] + [f"{k} = {_toml_value(v)}" for k, v in d["journeys"].items()]
    lines += ["", "[taxonomy.channels]", "# channel key = display name"]
    lines += [f"{_key(k)} = {_toml_value(v)}" for k, v in d["taxonomy"]["channels"].items()]
    lines += ["", "# channel rules, first match wins; patterns are case-insensitive regular expressions"]
    for rule in d["taxonomy"]["rules"]:
        lines += ["[[taxonomy.rules]]"] + [f"{k} = {_toml_value(v)}" for k, v in rule.items()]
    lines += ["", "# sources: which files (pattern and/or header), their preset (or canonical table) and mapping",
              "# [[sources]]", "# name = 'crm'", "# pattern = 'exports/hubspot_*.csv'",
              "# preset = 'hubspot_contacts'", "# columns = { 'Mobile' = 'phone' }   # header = canonical column",
              "# constants = { source = 'hubspot_eu' }", "# values = { lifecycle_stage = { 'Kunde' = 'customer' } }"]
    for src in d["sources"]:
        lines += ["[[sources]]"] + [f"{k} = {_toml_value(v)}" for k, v in src.items()]
    lines += ["", "[schedule]",
              "# `omnimix schedule` / `omnimix serve --schedule`: watch = inbox folders the ingest job loads",
              "# (relative to the workspace); a job waits lock_wait_s for a busy warehouse, then is skipped"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in d["schedule"].items() if k != "jobs"]
    lines += ["# jobs run only when written here (cron: minute hour day month day_of_week, 0/7 = Sunday):",
              *(f"# {line}" for line in PROPOSED_JOBS.strip().splitlines())]
    for job in d["schedule"]["jobs"]:
        lines += ["[[schedule.jobs]]"] + [f"{k} = {_toml_value(v)}" for k, v in job.items()]
    lines += ["", "[review]",
              "# `omnimix review`: scale when the marginal-ROI interval (level) lies above threshold, cut when below;",
              "# test when it straddles and the channel's identification is under min_identification (docs/review.md)"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in d["review"].items()]
    return "\n".join(lines) + "\n"
