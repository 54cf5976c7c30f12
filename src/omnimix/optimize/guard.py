"""Guardrails for a plan made from a fitted model, and channel names in any language.

A careful planner does not let one fit move a channel from today's spend to zero or to three times
today's spend. When a plan comes from a fitted model (``omnimix optimize --workspace``, the
dashboard's budget page) :func:`guard_constraints` therefore adds, unless turned off:

* a **default bound** on every channel: −30% … +30% of its current spend (Meridian's default),
  widened for all channels with ``all=-30%:+50%`` (or ``*=…``) and per channel with ``NAME=lo:hi``;
  each side of a bound replaces the same side of what came before it (default → ``all`` → channel),
  so ``search=:900`` sets search's maximum and keeps the −30% floor (``search=0:900`` drops it);
* a **hold**: a channel whose MMM status (table ``mmm_channel_status``) is ``weak`` (weakly
  identified) or ``conflict`` (failed the prior–data conflict gate) is locked at its current spend.
  ``--release NAME`` (or ``all``), or a ``--bound`` / ``--lock`` naming the channel, lifts the hold.

``--no-guardrails`` drops both (the plan's notes still name the weak and conflicting channels).

:class:`ChannelNames` resolves a channel given by key or by display name (``抖音`` for ``douyin``),
case- and width-insensitively (Unicode NFKC, then casefold).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from omnimix.errors import InputDataError, UsageError
from omnimix.optimize.constraints import ChannelBound, Group

#: The default guardrail: each channel within −30% … +30% of its current spend.
DEFAULT_CHANGE: tuple[float, float] = (-0.3, 0.3)
#: Names that mean "every channel" in bounds and releases.
ALL_CHANNELS: tuple[str, ...] = ("*", "all")
#: MMM channel statuses that hold a channel at current spend.
HOLD_STATUSES: tuple[str, ...] = ("weak", "conflict")
#: Every status the ``mmm_channel_status`` table may hold.
CHANNEL_STATUSES: tuple[str, ...] = ("ok", *HOLD_STATUSES)

_HOLD_WORDS = {"weak": "weakly identified", "conflict": "failed the prior–data conflict gate"}

BoundInput = ChannelBound | Mapping[str, float]
BoundsInput = Mapping[str, BoundInput] | Iterable[tuple[str, BoundInput]] | None


def normalize_name(name: str) -> str:
    """The form names are compared in: NFKC (full-width → half-width), casefolded, trimmed."""
    return " ".join(unicodedata.normalize("NFKC", str(name)).casefold().split())


@dataclass(frozen=True)
class ChannelNames:
    """Channel keys with their display names; :meth:`key` finds a channel by either.

    Attributes:
        channels: the channel keys of the curves.
        display: key → display name (e.g. the workspace's ``[taxonomy.channels]``); keys without one
            are matched by key only.
    """

    channels: tuple[str, ...]
    display: Mapping[str, str] = field(default_factory=dict)

    def _index(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for key in self.channels:  # display names first, so a key always wins over a display name
            shown = self.display.get(key)
            if shown:
                out.setdefault(normalize_name(shown), key)
        for key in self.channels:
            out[normalize_name(key)] = key
        return out

    def is_all(self, name: str) -> bool:
        """Whether ``name`` means every channel (``*`` or ``all``, unless a channel is called that)."""
        n = normalize_name(name)
        return n in ALL_CHANNELS and n not in {normalize_name(c) for c in self.channels}

    def key(self, name: str, where: str = "channel") -> str:
        """The channel key for a key or display name.

        Raises:
            UsageError: no channel has that key or display name; the message lists the channels.
        """
        found = self._index().get(normalize_name(name))
        if found is None:
            known = ", ".join(f"{c} ({self.display[c]})" if self.display.get(c) else c for c in self.channels)
            raise UsageError(f"{where}: no channel {name!r}; channels (key or display name): {known}.")
        return found


@dataclass(frozen=True)
class ChannelStatus:
    """One channel's MMM verdict (a row of ``mmm_channel_status``)."""

    channel: str
    status: str
    reason: str = ""

    @property
    def held(self) -> bool:
        """Whether a guarded plan holds this channel at current spend."""
        return self.status in HOLD_STATUSES

    def describe(self) -> str:
        """``"weakly identified: <reason>"``."""
        word = _HOLD_WORDS.get(self.status, self.status)
        return f"{word}: {self.reason}" if self.reason else word


@dataclass(frozen=True)
class GuardedConstraints:
    """Bounds, locks and groups by channel key after names, guardrails and holds are applied.

    Attributes:
        bounds: channel key → its bound.
        locked: channel key → amount (``None``: current spend), holds included.
        groups: the groups with their channels resolved to keys.
        held: channel key → why it is held at current spend.
        guardrails: whether the default bound and the holds were applied.
        notes: lines for the plan's ``notes``.
        default_change: the (min_change, max_change) band given to every channel without a bound of
            its own, when guardrails were applied.
    """

    bounds: dict[str, ChannelBound]
    locked: dict[str, float | None]
    groups: tuple[Group, ...]
    held: dict[str, str]
    guardrails: bool
    notes: tuple[str, ...]
    default_change: tuple[float, float] | None = None


_LOWER = ("min", "min_change")
_UPPER = ("max", "max_change")


def _bound_fields(spec: BoundInput, where: str) -> dict[str, float | None]:
    if isinstance(spec, ChannelBound):
        return {k: getattr(spec, k) for k in (*_LOWER, *_UPPER)}
    unknown = sorted(set(spec) - {*_LOWER, *_UPPER})
    if unknown:
        raise UsageError(f"{where}: unknown bound keys {unknown}; use min, max, min_change, max_change.")
    return {k: (None if spec.get(k) is None else float(spec[k])) for k in (*_LOWER, *_UPPER)}


def _merge(into: dict[str, float | None], new: Mapping[str, float | None]) -> None:
    """Each side the new bound sets replaces that side of ``into``."""
    for side in (_LOWER, _UPPER):
        if any(new.get(k) is not None for k in side):
            for k in side:
                into[k] = new.get(k)


def _drop_crossed_defaults(fields: dict[str, dict[str, float | None]], own: Mapping[str, set[str]],
                           current: Mapping[str, float]) -> list[str]:
    """Where a channel's own bound sets one side beyond the other side it inherited (from the guardrail
    or ``all``), drop the inherited side: the user's explicit limit wins. Returns the notes."""
    notes = []
    for key, sides in own.items():
        cur = current.get(key)
        if cur is None or len(sides) != 1:
            continue
        f = fields[key]
        los = [f["min"], None if f["min_change"] is None else cur * (1 + f["min_change"])]
        his = [f["max"], None if f["max_change"] is None else cur * (1 + f["max_change"])]
        lo = max([0.0, *(v for v in los if v is not None)])
        hi = min([float("inf"), *(v for v in his if v is not None)])
        if lo <= hi + 1e-12:
            continue
        mine, other, drop = ("minimum", "maximum", _UPPER) if "lower" in sides else ("maximum", "minimum", _LOWER)
        for k in drop:
            f[k] = None
        notes.append(f"{key}: the {mine} you set is beyond the default {other}, so that default is dropped")
    return notes


def guard_constraints(
    names: ChannelNames,
    *,
    bounds: BoundsInput = None,
    locked: Mapping[str, float | None] | None = None,
    groups: Sequence[Group] = (),
    guardrails: bool = False,
    default_change: tuple[float, float] = DEFAULT_CHANGE,
    status: Mapping[str, ChannelStatus] | None = None,
    release: Sequence[str] = (),
    current: Mapping[str, float] | None = None,
) -> GuardedConstraints:
    """Resolve names, add the default bound and the holds, merge the bounds side by side.

    Args:
        names: the channels and their display names.
        bounds: channel (key, display name, ``all`` or ``*``) → bound, in order.
        locked: channel → amount (``None``: current spend).
        groups: groups; their channels may be display names.
        guardrails: add ``default_change`` to every channel and hold weak / conflicting channels.
        default_change: the default (min_change, max_change).
        status: channel key → its MMM status (missing channels are ``ok``).
        release: channels (or ``all``) not to hold.
        current: channel key → current spend; where a channel's own bound sets one side beyond the
            other side inherited from the guardrail or ``all`` (``douyin=:1000`` with a −30% floor at
            2,100), the inherited side is dropped and a note says so.

    Raises:
        UsageError: a name matches no channel, or a bound has unknown keys.
    """
    pairs = list(bounds.items() if isinstance(bounds, Mapping) else (bounds or ()))
    fields: dict[str, dict[str, float | None]] = {}
    if guardrails:
        lo, hi = default_change
        fields = {c: {"min": None, "min_change": lo, "max": None, "max_change": hi} for c in names.channels}
    explicit: set[str] = set()
    for name, spec in pairs:  # "all" first in the order given, then channels: a channel beats "all"
        if names.is_all(name):
            f = _bound_fields(spec, f"--bound {name}")
            for c in names.channels:
                _merge(fields.setdefault(c, dict.fromkeys((*_LOWER, *_UPPER))), f)
    own: dict[str, set[str]] = {}  # channel → the sides its own bounds set
    for name, spec in pairs:
        if names.is_all(name):
            continue
        key = names.key(name, f"--bound {name}")
        explicit.add(key)
        f = _bound_fields(spec, f"--bound {name}")
        own.setdefault(key, set()).update(
            side for side, ks in (("lower", _LOWER), ("upper", _UPPER)) if any(f.get(k) is not None for k in ks))
        _merge(fields.setdefault(key, dict.fromkeys((*_LOWER, *_UPPER))), f)
    notes = _drop_crossed_defaults(fields, own, current or {})
    out_bounds = {c: ChannelBound(**f) for c, f in fields.items()}
    locks: dict[str, float | None] = {}
    for name, amount in (locked or {}).items():
        key = names.key(name, f"--lock {name}")
        locks[key] = amount
        explicit.add(key)
    released: set[str] = set()
    for name in release:
        released |= set(names.channels) if names.is_all(name) else {names.key(name, f"--release {name}")}
    held: dict[str, str] = {}
    for key in names.channels:
        st = (status or {}).get(key)
        if st is None or not st.held:
            continue
        if guardrails and key not in released and key not in explicit:
            held[key] = st.describe()
            locks[key] = None
            out_bounds.pop(key, None)
            notes.append(f"{key} held at current spend ({st.describe()}); plan it with --release {key}")
        else:
            notes.append(f"{key} is {st.describe()}; planned anyway (released)")
    out_groups = tuple(
        Group(name=g.name, channels=tuple(names.key(c, f"--group {g.name}") for c in g.channels),
              max_share=g.max_share, max=g.max, min_share=g.min_share, min=g.min)
        for g in groups
    )
    if guardrails:
        lo, hi = default_change
        notes.insert(0, f"guardrails: every channel within {lo:+.0%} … {hi:+.0%} of current spend unless "
                        "bounded otherwise (--bound 'all=-30%:+50%' widens, --no-guardrails drops them)")
    band = (float(default_change[0]), float(default_change[1])) if guardrails else None
    return GuardedConstraints(bounds=out_bounds, locked=locks, groups=out_groups, held=held,
                              guardrails=guardrails, notes=tuple(notes), default_change=band)


def parse_status(rows: Iterable[Mapping[str, object]], where: str) -> dict[str, ChannelStatus]:
    """``mmm_channel_status`` rows → channel → :class:`ChannelStatus`.

    Raises:
        InputDataError: a row's status is not one of ok, weak, conflict (names the row and the fix).
    """
    out: dict[str, ChannelStatus] = {}
    problems = []
    for i, row in enumerate(rows, start=1):
        ch, st = str(row.get("channel") or ""), str(row.get("status") or "").strip().lower()
        if st not in CHANNEL_STATUSES:
            problems.append(f"row {i} (channel {ch!r}), column status: {row.get('status')!r} is not one of "
                            f"{', '.join(CHANNEL_STATUSES)}; refit with `omnimix mmm fit --workspace`")
            continue
        reason = row.get("reason")
        out[ch] = ChannelStatus(ch, st, "" if reason is None or reason != reason else str(reason))
    if problems:
        raise InputDataError(where, "invalid channel statuses", problems)
    return out
