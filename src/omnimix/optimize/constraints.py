"""Budget constraints: per-channel bounds, locks, group caps, total budget and the test reserve.

A :class:`Constraints` spec is resolved against a set of curves into numeric arrays
(:class:`ResolvedConstraints`). Resolution checks feasibility and raises
:class:`~omnimix.errors.InfeasibleError` naming every conflicting constraint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from omnimix.curves import ResponseCurves
from omnimix.errors import ConfigError, InfeasibleError

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ChannelBound:
    """Limits on one channel's spend per period.

    Absolute limits (``min``, ``max``) and limits relative to current spend (``min_change``,
    ``max_change``, fractions such as -0.3 and +0.5 meaning 70%–150% of current) may be combined;
    the tighter of each side holds.
    """

    min: float | None = None
    max: float | None = None
    min_change: float | None = None
    max_change: float | None = None

    def __post_init__(self) -> None:
        if self.min_change is not None and self.min_change < -1:
            raise ConfigError(f"min_change {self.min_change} is below -1 (-100%); use a value in [-1, 0].")
        for name in ("min", "max"):
            v = getattr(self, name)
            if v is not None and v < 0:
                raise ConfigError(f"{name} {v} is negative; spend limits must be >= 0.")


@dataclass(frozen=True)
class Group:
    """A cap (and optional floor) on the summed spend of a set of channels.

    ``max_share``/``min_share`` are fractions of the allocatable budget (budget minus reserve);
    ``max``/``min`` are absolute amounts. The tighter of each side holds.
    """

    name: str
    channels: tuple[str, ...]
    max_share: float | None = None
    max: float | None = None
    min_share: float | None = None
    min: float | None = None


@dataclass(frozen=True)
class Constraints:
    """Everything that limits an allocation.

    Attributes:
        budget: total budget per period including the reserve.
        reserve: test-and-innovation reserve as a fraction of ``budget`` (default 0.10), set aside
            before allocation and reported separately.
        bounds: per-channel limits by channel name.
        locked: channels held fixed: name → amount, or name → ``None`` for "at current spend".
        groups: group caps; groups must not share channels.
        use_file_bounds: also apply the ``min``/``max`` given in the curves file.
    """

    budget: float
    reserve: float = 0.10
    bounds: Mapping[str, ChannelBound] = field(default_factory=dict)
    locked: Mapping[str, float | None] = field(default_factory=dict)
    groups: Sequence[Group] = ()
    use_file_bounds: bool = True

    def __post_init__(self) -> None:
        problems = []
        if not np.isfinite(self.budget) or self.budget < 0:
            problems.append(f"budget: {self.budget} must be a finite amount >= 0")
        if not 0 <= self.reserve < 1:
            problems.append(f"reserve: {self.reserve} must be a fraction in [0, 1) (0.1 = 10%)")
        if problems:
            raise ConfigError("Invalid constraints.", problems)

    @property
    def reserve_amount(self) -> float:
        """The reserve in currency units."""
        return float(self.budget * self.reserve)

    @property
    def allocatable(self) -> float:
        """Budget left for the channels after the reserve."""
        return float(self.budget - self.reserve_amount)


@dataclass(frozen=True)
class ResolvedGroup:
    """A group resolved to channel positions and absolute limits."""

    name: str
    index: NDArray[np.intp]
    lower: float
    upper: float
    upper_label: str
    lower_label: str


@dataclass(frozen=True)
class ResolvedConstraints:
    """Numeric form of :class:`Constraints` for a set of curves.

    Attributes:
        lower: per-channel minimum, shape (C,).
        upper: per-channel maximum, shape (C,).
        locked: boolean mask of locked channels, shape (C,).
        groups: resolved groups.
        allocatable: budget to allocate (after the reserve).
        reserve: reserve amount.
        budget: total budget including reserve.
        lower_labels / upper_labels: which constraint set each bound (for messages).
    """

    lower: FloatArray
    upper: FloatArray
    locked: NDArray[np.bool_]
    groups: tuple[ResolvedGroup, ...]
    allocatable: float
    reserve: float
    budget: float
    lower_labels: tuple[str, ...]
    upper_labels: tuple[str, ...]

    def with_upper(self, upper: FloatArray) -> ResolvedConstraints:
        """A copy with other upper bounds."""
        return ResolvedConstraints(
            lower=self.lower,
            upper=upper,
            locked=self.locked,
            groups=self.groups,
            allocatable=self.allocatable,
            reserve=self.reserve,
            budget=self.budget,
            lower_labels=self.lower_labels,
            upper_labels=self.upper_labels,
        )

    def with_allocatable(self, amount: float) -> ResolvedConstraints:
        """A copy with another allocatable budget (group shares are not re-scaled)."""
        return ResolvedConstraints(
            lower=self.lower,
            upper=self.upper,
            locked=self.locked,
            groups=self.groups,
            allocatable=float(amount),
            reserve=self.reserve,
            budget=self.budget,
            lower_labels=self.lower_labels,
            upper_labels=self.upper_labels,
        )

    def violations(self, x: FloatArray, tol: float = 1e-6) -> list[str]:
        """Every constraint that ``x`` (shape (C,)) breaks by more than ``tol``."""
        out = []
        for j in np.flatnonzero(x < self.lower - tol):
            out.append(f"channel {j}: {x[j]} < min {self.lower[j]}")
        for j in np.flatnonzero(x > self.upper + tol):
            out.append(f"channel {j}: {x[j]} > max {self.upper[j]}")
        if x.sum() > self.allocatable + tol:
            out.append(f"total {x.sum()} > budget {self.allocatable}")
        for g in self.groups:
            s = x[g.index].sum()
            if s > g.upper + tol:
                out.append(f"group {g.name}: {s} > cap {g.upper}")
            if s < g.lower - tol:
                out.append(f"group {g.name}: {s} < floor {g.lower}")
        return out


def _fmt(v: float) -> str:
    return f"{v:,.6g}"


def resolve(curves: ResponseCurves, spec: Constraints) -> ResolvedConstraints:
    """Resolve ``spec`` against ``curves`` and check that the constraints can all hold.

    Raises:
        ConfigError: a constraint names an unknown channel, or groups overlap.
        InfeasibleError: constraints conflict; the message names each conflict.
    """
    names = list(curves.channels)
    pos = {n: i for i, n in enumerate(names)}
    c = len(names)
    cur = curves.current_spend
    alloc = spec.allocatable
    unknown = [n for n in [*spec.bounds, *spec.locked] if n not in pos]
    for g in spec.groups:
        unknown += [n for n in g.channels if n not in pos]
    if unknown:
        raise ConfigError(
            f"Constraints name unknown channels {sorted(set(unknown))}; known channels are {names}."
        )
    lower = np.zeros(c)
    upper = np.full(c, np.inf)
    lo_lab = ["0"] * c
    hi_lab = ["none"] * c

    def tighten_lo(j: int, v: float, label: str) -> None:
        if v > lower[j]:
            lower[j] = v
            lo_lab[j] = label

    def tighten_hi(j: int, v: float, label: str) -> None:
        if v < upper[j]:
            upper[j] = v
            hi_lab[j] = label

    if spec.use_file_bounds and curves.bounds:
        for j, (lo, hi) in enumerate(curves.bounds):
            if lo is not None:
                tighten_lo(j, lo, f"min {_fmt(lo)} (curves file)")
            if hi is not None:
                tighten_hi(j, hi, f"max {_fmt(hi)} (curves file)")
    for name, b in spec.bounds.items():
        j = pos[name]
        if b.min is not None:
            tighten_lo(j, b.min, f"min {_fmt(b.min)}")
        if b.max is not None:
            tighten_hi(j, b.max, f"max {_fmt(b.max)}")
        if b.min_change is not None:
            v = cur[j] * (1 + b.min_change)
            tighten_lo(j, v, f"min {_fmt(v)} ({b.min_change:+.0%} of current {_fmt(cur[j])})")
        if b.max_change is not None:
            v = cur[j] * (1 + b.max_change)
            tighten_hi(j, v, f"max {_fmt(v)} ({b.max_change:+.0%} of current {_fmt(cur[j])})")
    locked = np.zeros(c, dtype=bool)
    problems: list[str] = []
    for name, amount in spec.locked.items():
        j = pos[name]
        v = float(cur[j] if amount is None else amount)
        if v < 0:
            problems.append(f"locked {name}: amount {v} is negative")
            continue
        locked[j] = True
        lower[j] = upper[j] = v
        lo_lab[j] = hi_lab[j] = f"locked at {_fmt(v)}"
    for j in range(c):
        if not locked[j] and upper[j] > alloc:
            upper[j] = alloc
            hi_lab[j] = f"max {_fmt(alloc)} (the budget after reserve)"
    for j in range(c):
        if lower[j] > upper[j] + 1e-12:
            problems.append(f"channel {names[j]}: {lo_lab[j]} is above {hi_lab[j]}")
    seen: dict[str, str] = {}
    groups: list[ResolvedGroup] = []
    for g in spec.groups:
        for n in g.channels:
            if n in seen:
                raise ConfigError(
                    f"Channel {n} is in groups {seen[n]!r} and {g.name!r}; groups must not overlap."
                )
            seen[n] = g.name
        idx = np.array([pos[n] for n in g.channels], dtype=np.intp)
        hi, hi_l = np.inf, "none"
        if g.max_share is not None:
            hi, hi_l = (
                g.max_share * alloc,
                f"cap {g.max_share:.0%} of budget {_fmt(alloc)} = {_fmt(g.max_share * alloc)}",
            )
        if g.max is not None and g.max < hi:
            hi, hi_l = g.max, f"cap {_fmt(g.max)}"
        lo, lo_l = 0.0, "0"
        if g.min_share is not None:
            lo, lo_l = g.min_share * alloc, f"floor {g.min_share:.0%} of budget = {_fmt(g.min_share * alloc)}"
        if g.min is not None and g.min > lo:
            lo, lo_l = g.min, f"floor {_fmt(g.min)}"
        groups.append(ResolvedGroup(g.name, idx, float(lo), float(hi), hi_l, lo_l))
        need = lower[idx].sum()
        if need > hi + 1e-9:
            parts = ", ".join(f"{names[j]} {lo_lab[j]}" for j in idx if lower[j] > 0)
            problems.append(
                f"group {g.name}: {hi_l} is below the locked/minimum spend in the group "
                f"{_fmt(need)} ({parts}); raise the cap or lower those minimums"
            )
        room = upper[idx].sum()
        if lo > room + 1e-9:
            parts = ", ".join(f"{names[j]} {hi_lab[j]}" for j in idx)
            problems.append(
                f"group {g.name}: {lo_l} is above the most the group can take {_fmt(room)} ({parts})"
            )
        if lo > hi + 1e-9:
            problems.append(f"group {g.name}: {lo_l} is above its {hi_l}")
    need_total = lower.sum()
    grouped = np.zeros(c, dtype=bool)
    for rg in groups:
        grouped[rg.index] = True
        need_total += max(0.0, rg.lower - lower[rg.index].sum())
    if need_total > alloc + 1e-9 * max(1.0, alloc):
        parts = ", ".join(f"{names[j]} {lo_lab[j]}" for j in range(c) if lower[j] > 0)
        gparts = ", ".join(f"group {rg.name} {rg.lower_label}" for rg in groups if rg.lower > 0)
        problems.append(
            f"the minimums need {_fmt(need_total)} but the budget after the {spec.reserve:.0%} reserve is "
            f"{_fmt(alloc)} (budget {_fmt(spec.budget)}): {', '.join(p for p in (parts, gparts) if p)}; "
            "raise the budget, lower the reserve or relax those minimums"
        )
    if problems:
        raise InfeasibleError("The constraints cannot all hold:\n" + "\n".join(f"  - {p}" for p in problems))
    return ResolvedConstraints(
        lower=lower,
        upper=upper,
        locked=locked,
        groups=tuple(groups),
        allocatable=float(alloc),
        reserve=spec.reserve_amount,
        budget=float(spec.budget),
        lower_labels=tuple(lo_lab),
        upper_labels=tuple(hi_lab),
    )
