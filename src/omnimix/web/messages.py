"""Module messages shown on pages, in the page's language.

The stages write their messages in English (they are also CLI output and log text). Where a message has
a fixed form — its *code* — the dashboard rebuilds it from its parts in the reader's language:

* quarantine reasons (:mod:`omnimix.ingest.compiler`, :mod:`omnimix.ingest.loader`,
  :mod:`omnimix.ingest.readers`): ``column X: missing value (required)``, ``column X: 'v' is not a valid
  number``, duplicate keys, structural rejects …; several reasons of one row are joined by ``"; "``;
* the content matrix's gaps (:func:`omnimix.plan.content.content_matrix`), rebuilt from the matrix
  itself rather than from its English sentences;
* the "not computed yet" state of a result table (:func:`omnimix.web.registry.not_computed`), told in
  plain words (what will appear and who produces it).

A message without a known form is shown as the module wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from omnimix.web.i18n import CATALOG, Formatter

_COL = r"column (?P<column>.+?): "
_HINTS = {
    "a decimal comma? only read in a column whose values are all European-formatted": "decimal_comma",
    "commas must group digits by three": "commas",
    "NaN and infinities are not values": "nan",
    "it holds a NUL byte": "nul",
}
_KINDS = {"number": "number", "whole number": "whole", "date": "date", "date/time": "timestamp",
          "yes/no value": "boolean"}

#: (pattern, catalogue key) of each quarantine reason's form; named groups fill the key's fields.
_REASONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(_COL + r"missing value \(required\)$"), "missing"),
    (re.compile(_COL + r"'(?P<value>.*)' is not a valid (?P<kind>number|whole number|date/time|date|yes/no value)"
                r"(?: \((?P<hint>[^)]*)\))?$"), "invalid"),
    (re.compile(_COL + r"'(?P<value>.*)' is not a finite number \(NaN and infinities are never loaded\)$"),
     "not_finite"),
    (re.compile(_COL + r"negative value (?P<value>\S+) \(must be >= 0\)$"), "negative"),
    (re.compile(_COL + r"unknown currency '(?P<value>.*)' \(use an ISO 4217 code such as CNY\)$"), "currency"),
    (re.compile(_COL + r"date (?P<value>\S+(?: \S+)?) is outside (?P<range>\d{4}–2100)$"), "date_range"),
    (re.compile(_COL + r"the value holds a NUL byte .*$"), "nul"),
    (re.compile(_COL + r"formula '(?P<value>.*)' has no cached value .*$"), "formula"),
    (re.compile(r"^duplicate key \((?P<key>[^)]*)\) of an earlier row in this file(?: \(line (?P<line>\d+)\))?$"),
     "duplicate"),
    (re.compile(r"^MISSING COLUMNS\b.*$"), "missing_columns"),
    (re.compile(r"^TOO MANY COLUMNS\b.*$"), "too_many_columns"),
    (re.compile(r"^end is before start$"), "end_before_start"),
    (re.compile(r"^(?:column )?(?P<column>lift_sd): must be > 0$"), "lift_sd"),
]


def _fill(template: str, fields: dict[str, str]) -> str:
    for k, v in fields.items():
        template = template.replace("{" + k + "}", v)
    return template


def quarantine_part(text: str, fmt: Formatter) -> str:
    """One quarantine reason in ``fmt``'s language (as written when its form is unknown)."""
    for pattern, key in _REASONS:
        m = pattern.match(text.strip())
        if m is None:
            continue
        fields = {k: v for k, v in m.groupdict().items() if v is not None}
        if key == "invalid":
            fields["kind"] = fmt.t(f"reason.kind.{_KINDS[fields['kind']]}")
            hint = fields.pop("hint", None)
            out = _fill(fmt.t("reason.invalid"), fields)
            if hint:
                code = _HINTS.get(hint)
                out += f" ({fmt.t('reason.hint.' + code) if code else hint})"
            return out
        if key == "duplicate" and fields.get("line"):
            return _fill(fmt.t("reason.duplicate"), fields) + (
                f"，第 {fields['line']} 行" if fmt.locale == "zh-CN" else f", line {fields['line']}")
        return _fill(fmt.t(f"reason.{key}"), fields)
    return text


def quarantine_reason(text: Any, fmt: Formatter) -> str:
    """A row's quarantine reason (parts joined by ``"; "``) in ``fmt``'s language."""
    if text is None:
        return "—"
    sep = "；" if fmt.locale == "zh-CN" else "; "
    return sep.join(quarantine_part(p, fmt) for p in str(text).split("; "))


def matrix_gaps(matrix: Any, stages: Sequence[str], personas: Sequence[str], fmt: Formatter) -> list[str]:
    """The content matrix's gaps (:func:`omnimix.plan.content.content_matrix`) in ``fmt``'s language:
    funnel stages without any item, and the stages a plan persona has no item for."""
    used = {k[0] for k in matrix.cells}
    out = [fmt.t("matrix.gap_stage").replace("{stage}", fmt.name("stage", s)) for s in stages if s not in used]
    sep = "、" if fmt.locale == "zh-CN" else ", "
    for p in personas:
        missing = [s for s in stages if s in used and not any(k[0] == s and k[1] == p for k in matrix.cells)]
        if missing:
            out.append(fmt.t("matrix.gap_persona").replace("{persona}", str(p))
                       .replace("{stages}", sep.join(fmt.name("stage", s) for s in missing)))
    return out


_EMPTY_TABLE = re.compile(r"\(table (?P<table>\w+) is empty\)$")
_MISSING_COLS = re.compile(r"\(table (?P<table>\w+) lacks columns (?P<columns>.+)\)$")


def empty_state(state: dict[str, Any], fmt: Formatter) -> dict[str, str]:
    """A "not computed yet" state (:func:`omnimix.web.registry.not_computed`) for readers: ``text`` (what
    will appear and who produces it), ``reason`` (why it is not there, for analysts) and ``command``."""
    table = str(state.get("table") or "")
    key = {"attribution_results": "attribution", "mmm_channels": "mmm", "clv_customers": "clv"}.get(table, table)
    text_key = f"empty.{key}"
    text = fmt.t(text_key) if text_key in CATALOG["en"] else fmt.t("empty.generic")
    msg = str(state.get("message") or "")
    m = _EMPTY_TABLE.search(msg)
    if m:
        reason = fmt.t("empty.reason.empty").replace("{table}", m.group("table"))
    elif (m := _MISSING_COLS.search(msg)) is not None:
        reason = (fmt.t("empty.reason.columns").replace("{table}", m.group("table"))
                  .replace("{columns}", m.group("columns")))
    else:
        reason = fmt.t("empty.reason.missing")
    return {"text": text, "reason": reason, "command": str(state.get("command") or "")}


#: Pydantic error types → the error page's short problem words.
_PROBLEMS: dict[str, str] = {
    "missing": "missing", "int_parsing": "int", "int_type": "int", "int_from_float": "int",
    "greater_than_equal": "range", "less_than_equal": "range", "greater_than": "range", "less_than": "range",
    "date_parsing": "date", "date_from_datetime_parsing": "date", "date_type": "date",
    "string_too_long": "too_long", "too_long": "too_long",
}


def invalid_fields(errors: Sequence[dict[str, Any]], fmt: Formatter) -> str:
    """The fields of a request validation error (FastAPI's ``exc.errors()``) in ``fmt``'s language."""
    parts = []
    for e in errors:
        loc = [str(x) for x in e.get("loc", ()) if x not in ("query", "path", "body", "form")]
        field = ".".join(loc) or "?"
        problem = fmt.t("error.problem." + _PROBLEMS.get(str(e.get("type", "")), "other"))
        parts.append(fmt.t("error.invalid_field").replace("{field}", field).replace("{problem}", problem))
    return ("、" if fmt.locale == "zh-CN" else ", ").join(parts)


def translator(fmt: Formatter) -> Callable[[Any], str]:
    """``quarantine_reason`` bound to ``fmt`` (for templates)."""
    return lambda text: quarantine_reason(text, fmt)


def with_channel_names(text: Any, channels: Sequence[str], fmt: Formatter) -> str:
    """``text`` (a module's sentence) with each channel key that stands as a word replaced by its display
    name (``超过渠道「wechat」上限`` → ``超过渠道「微信」上限``)."""
    out = str(text or "")
    for ch in sorted(channels, key=len, reverse=True):
        out = re.sub(rf"(?<![\w]){re.escape(ch)}(?![\w])", fmt.channel(ch), out)
    return out


_WEAK = re.compile(r"^weakly identified: the data removed only (?P<pct>\d+%) of the prior's variance; "
                   r"a lift test would pin it$")
_CONFLICT = re.compile(r"^prior–data conflict: the data put its (?P<what>.+?) at (?P<flat>.+), "
                       r"the posterior at (?P<post>.+)$")


def hold_text(status: str, reason: str, fmt: Formatter) -> str:
    """Why the budget holds a channel (a row of ``mmm_channel_status``) in ``fmt``'s language: the status by
    its display name, then the MMM's reason rebuilt from its form (as written when the form is unknown)."""
    word = fmt.name("channel_status", status)
    reason = (reason or "").strip()
    if not reason or reason in ("weakly identified", "weak"):
        return word
    m = _WEAK.match(reason)
    if m:
        return f"{word}: " + fmt.t("advice.weak_reason").replace("{pct}", m.group("pct"))
    m = _CONFLICT.match(reason)
    if m:
        what = {"ROI": fmt.t("advice.roi"), "share": fmt.t("advice.share")}.get(m.group("what"), m.group("what"))
        return f"{word}: " + (fmt.t("advice.conflict_reason").replace("{what}", what)
                              .replace("{flat}", m.group("flat")).replace("{post}", m.group("post")))
    return f"{word}: {reason}"


def held_texts(status: dict[str, Any], fmt: Formatter) -> dict[str, str]:
    """:func:`hold_text` of every held channel of ``status`` (channel → ``ChannelStatus``)."""
    return {ch: hold_text(st.status, st.reason, fmt) for ch, st in status.items() if st.held}


_ADVICE = re.compile(
    r"^marginal ROI (?P<m>\S+) \[(?P<lo>\S+), (?P<hi>\S+)\] (?:at current spend|at (?P<at>\S+) \(no spend today\)) "
    r"(?P<verb>lies above|lies below|straddles|is below) the threshold (?P<tau>\S+?)(?P<nothing>; nothing to cut)?$")
_HELD = re.compile(r"^held at current spend: (?P<why>.*)$")


def advice_reason(text: Any, fmt: Formatter, held: dict[str, str] | None = None, channel: str | None = None) -> str:
    """The optimizer's scale / hold / cut reason (:func:`omnimix.optimize.advice.advise`) in ``fmt``'s
    language; a held channel's reason is ``held[channel]`` (see :func:`hold_text`) when given."""
    t = str(text or "")
    m = _HELD.match(t)
    if m:
        why = (held or {}).get(channel or "", m.group("why"))
        return fmt.t("advice.held").replace("{why}", why)
    m = _ADVICE.match(t)
    if m is None:
        return t
    verbs = {"lies above": "above", "lies below": "below", "straddles": "straddles", "is below": "below"}
    verb = verbs[m.group("verb")]
    where = (fmt.t("advice.at_current") if m.group("at") is None
             else fmt.t("advice.at_spend").replace("{at}", m.group("at")))
    out = (fmt.t(f"advice.{verb}").replace("{m}", m.group("m")).replace("{lo}", m.group("lo"))
           .replace("{hi}", m.group("hi")).replace("{where}", where).replace("{tau}", m.group("tau")))
    return out + (fmt.t("advice.nothing_to_cut") if m.group("nothing") else "")


#: (form, catalogue key) of the user and token errors of omnimix.web.state / omnimix.web.admin.
_ADMIN_ERRORS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^unknown role '(?P<v>[^']*)': use one of .*$"), "unknown_role"),
    (re.compile(r"^invalid username '(?P<v>[^']*)': use 1-64 letters, digits or \. _ - @$"), "bad_username"),
    (re.compile(r"^password too short: use at least (?P<v>\d+) characters$"), "short_password"),
    (re.compile(r"^user '(?P<v>[^']*)' already exists: remove it first or pick another name$"), "user_exists"),
    (re.compile(r"^no user '(?P<v>[^']*)': see `omnimix users list`$"), "no_user"),
    (re.compile(r"^'(?P<v>[^']*)' is the last admin: make another admin first$"), "last_admin"),
]


def admin_error(text: Any, fmt: Formatter) -> str:
    """A user or token error of the admin actions in ``fmt``'s language (as written for other forms)."""
    t = str(text)
    for pattern, key in _ADMIN_ERRORS:
        m = pattern.match(t)
        if m:
            roles = ("、" if fmt.locale == "zh-CN" else ", ").join(
                fmt.name("role", r) for r in ("viewer", "analyst", "admin"))
            return fmt.t(f"admin.error.{key}").replace("{v}", m.group("v")).replace("{roles}", roles)
    return t


#: (pattern, catalogue key) of each scheduled run's message form (:mod:`omnimix.schedule.jobs`,
#: :mod:`omnimix.schedule.scheduler`); named groups fill the key's fields.
_RUNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^no files in the watch folders \((?P<folders>.*)\)$"), "no_files"),
    (re.compile(r"^(?P<files>\d+) file\(s\): (?P<loaded>\d+) rows loaded, (?P<quarantined>\d+) quarantined, "
                r"(?P<already>\d+) already loaded(?:; (?P<failed>\d+) failed \(moved to failed/\): (?P<detail>.*))?$"),
     "ingest"),
    (re.compile(r"^(?P<series>\d+) series (?P<since>\S+) – (?P<end>\S+): (?P<alerts>\d+) alert\(s\), (?P<new>\d+) new, "
                r"(?P<ok>\d+) of (?P<deliveries>\d+) deliveries ok$"), "monitor"),
    (re.compile(r"^refit \((?P<mode>\w+)\) of (?P<n>\S+) channel\(s\): passed review$"), "refit_passed"),
    (re.compile(r"^refit \((?P<mode>\w+)\) of (?P<n>\S+) channel\(s\): FAILED review: (?P<reasons>.*)$"),
     "refit_failed"),
    (re.compile(r"^review (?:(?P<period>\S+) )?\((?P<lang>[\w-]+)\) written to (?P<out>.+): (?P<files>\d+) file\(s\)$"),
     "review"),
    (re.compile(r"^warehouse locked: (?P<detail>.*)$"), "locked"),
]


def run_message(text: Any, fmt: Formatter) -> str:
    """A scheduled run's message (``schedule_runs.message``) in ``fmt``'s language, rebuilt from its form;
    parts that are data (file names, folders, the MMM's reasons, an error's own text) stay as written."""
    t = str(text or "").strip()
    for pattern, key in _RUNS:
        m = pattern.match(t)
        if m is None:
            continue
        fields = {k: v for k, v in m.groupdict().items() if v is not None}
        if key in ("refit_passed", "refit_failed"):
            mode_key = f"runmsg.mode.{fields['mode']}"
            fields["mode"] = fmt.t(mode_key) if mode_key in CATALOG["en"] else fields["mode"]
            if fields["n"] == "all":
                fields["n"] = fmt.t("runmsg.all")
        if key == "review":
            fields.setdefault("period", "")
        out = _fill(fmt.t(f"runmsg.{key}"), fields)
        if key == "ingest" and "failed" in fields:
            out += _fill(fmt.t("runmsg.ingest_failed"), fields)
        return out
    return t


_AUDIT_ROLE = re.compile(r"^role=(?P<role>\w+)$")
_AUDIT_CHANGE = re.compile(r"^(?P<before>\w+) -> (?P<after>\w+)$")
_AUDIT_TOKEN = re.compile(r"^owner=(?P<owner>\S*) name=(?P<name>.*)$")
_AUDIT_SHARED = re.compile(r"^shared=(?P<shared>True|False)$")
_AUDIT_REFUSED = re.compile(r"^(?P<reason>locked|blocked|backoff|busy); retry after (?P<s>\d+) s$")
_AUDIT_WRONG = re.compile(r"^wrong username or password"
                          r"(?:; (?P<reason>locked|blocked|backoff|busy) for (?P<s>\d+) s)?$")
_AUDIT_ALERT = re.compile(r"^(?P<kind>\S+) (?P<metric>\S+) (?P<channel>\S+) (?P<date>\d{4}-\d{2}-\d{2})"
                          r"(?:; (?P<note>.*))?$")


def audit_detail(action: str, text: Any, fmt: Formatter) -> str:
    """An audit log row's detail (:func:`omnimix.web.admin.audit`) in ``fmt``'s language: roles, alert kinds,
    metrics and channels by their display names, the login limiter's reasons in words; data (user names,
    notes, settings values) as written."""
    t = str(text or "").strip()
    if not t:
        return ""
    if (m := _AUDIT_ROLE.match(t)) is not None:
        return fmt.t("auditmsg.role").replace("{role}", fmt.name("role", m.group("role")))
    if action == "role_change" and (m := _AUDIT_CHANGE.match(t)) is not None:
        return f"{fmt.name('role', m.group('before'))} → {fmt.name('role', m.group('after'))}"
    if (m := _AUDIT_TOKEN.match(t)) is not None:
        return _fill(fmt.t("auditmsg.token"), m.groupdict())
    if (m := _AUDIT_SHARED.match(t)) is not None:
        return fmt.t("auditmsg.shared_" + ("yes" if m.group("shared") == "True" else "no"))
    if t == "bad CSRF token":
        return fmt.t("auditmsg.csrf")
    if t == "demo login (admin)":
        return fmt.t("auditmsg.demo")
    if (m := _AUDIT_REFUSED.match(t)) is not None:
        return _fill(fmt.t("auditmsg.refused"), {"reason": fmt.t("auditmsg.limit." + m.group("reason")),
                                                 "s": m.group("s")})
    if (m := _AUDIT_WRONG.match(t)) is not None:
        out = fmt.t("auditmsg.wrong")
        if m.group("reason"):
            out += _fill(fmt.t("auditmsg.then"), {"reason": fmt.t("auditmsg.limit." + m.group("reason")),
                                                  "s": m.group("s")})
        return out
    if action.startswith("alert_") and (m := _AUDIT_ALERT.match(t)) is not None:
        ch = m.group("channel")
        parts = [fmt.name("alert_kind", m.group("kind")), fmt.name("metric", m.group("metric")),
                 fmt.t("auditmsg.all_channels") if ch == "*" else fmt.channel(ch), m.group("date")]
        out = " ".join(parts)
        return out + (("；" if fmt.locale == "zh-CN" else "; ") + m.group("note") if m.group("note") else "")
    return t


_PLAN_LINES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(?P<file>.+): is not a valid plan \((?P<n>\d+) problem\(s\)\):$"), "invalid"),
    (re.compile(r"^(?P<file>.+): has no \[plan\] table: add \[plan\] with name, year and budget \(see docs/plan.md\)$"),
     "no_plan"),
    (re.compile(r"^(?P<file>.+): not found: give the path of a plan.toml \(examples/plan.toml is one\)$"), "not_found"),
    (re.compile(r"^(?P<file>.+): is not valid TOML: (?P<detail>.*)$"), "toml"),
    (re.compile(r"^(?P<file>.+): is not UTF-8 text: save it as UTF-8$"), "utf8"),
    (re.compile(r"^(?P<indent>\s*- )(?:(?P<key>[^:\s]+): )?unknown key: remove it or check its spelling against "
                r"docs/plan.md$"), "unknown_key"),
    (re.compile(r"^(?P<indent>\s*- )(?:(?P<key>[^:\s]+): )?missing: add it \(see docs/plan.md\)$"), "missing"),
    (re.compile(r"^(?P<indent>\s*- )(?P<key>[^:\s]+): (?P<detail>.*)$"), "other"),
]


def plan_problem(text: Any, fmt: Formatter) -> str:
    """A plan file's load error (:func:`omnimix.plan.spec.load_plan`, one problem a line) in ``fmt``'s
    language: the lead, unknown and missing keys rebuilt by their form; a key's own fix (the plan model's
    validators) follows its key path as written."""
    out = []
    for line in str(text or "").split("\n"):
        for pattern, key in _PLAN_LINES:
            m = pattern.match(line)
            if m is None:
                continue
            fields = {k: v for k, v in m.groupdict().items() if v is not None}
            fields.setdefault("key", "")
            line = fields.pop("indent", "") + _fill(fmt.t(f"planmsg.{key}"), fields)
            break
        out.append(line)
    return "\n".join(out)


#: (form, catalogue key) of the lifecycle report's configuration and data errors
#: (:mod:`omnimix.lifecycle.sla`, :mod:`omnimix.lifecycle.stages`, :func:`omnimix.lifecycle.lifecycle_report`).
_LIFECYCLE: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^\[lifecycle\] work_hours item (?P<item>.+): expected 'HH:MM-HH:MM', e\.g\. '09:00-12:00'$"),
     "hours_form"),
    (re.compile(r"^\[lifecycle\] work_hours item (?P<item>.+): the start must be before the end, within one day$"),
     "hours_order"),
    (re.compile(r"^\[lifecycle\] work_hours (?P<item>.+) overlap: give disjoint intervals$"), "hours_overlap"),
    (re.compile(r"^\[lifecycle\] work_hours is empty: give at least one 'HH:MM-HH:MM' interval$"), "hours_empty"),
    (re.compile(r"^\[lifecycle\] (?P<key>\w+) item (?P<item>.+) is not an ISO date \(YYYY-MM-DD\)$"), "date"),
    (re.compile(r"^the mainland-China holiday calendar \(chinesecalendar (?P<version>[^)]+)\) does not cover "
                r"(?P<year>\d+): .*$"), "calendar"),
    (re.compile(r"^\[lifecycle\] stage (?P<stage>.+) is not in stages (?P<stages>\[.*\]): add it to stages or "
                r"name another stage$"), "stage"),
    (re.compile(r"^(?P<file>.+): no lifecycle stage events: load a stage-history export .*$"), "no_events"),
]


def lifecycle_problem(text: Any, fmt: Formatter) -> str:
    """Why the lifecycle report (the plan's hand-off page) cannot be built, in ``fmt``'s language; an
    error of another form is shown as written."""
    t = str(text or "")
    for pattern, key in _LIFECYCLE:
        m = pattern.match(t)
        if m:
            return _fill(fmt.t(f"lifemsg.{key}"), {k: v for k, v in m.groupdict().items() if v is not None})
    return t
