"""The alert record every detector returns and the CLI prints (``omnimix monitor --json``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

KINDS: tuple[str, ...] = ("anomaly", "pacing", "data", "model")
SEVERITIES: tuple[str, ...] = ("info", "warning", "critical")


def _num(x: float | None) -> float | None:
    if x is None:
        return None
    v = float(x)
    return v if math.isfinite(v) else None


@dataclass(frozen=True)
class Alert:
    """One alert.

    Attributes:
        kind: ``anomaly``, ``pacing``, ``data`` or ``model``.
        metric: the metric key (or a data/model check's name).
        channel: the channel, None for an all-channel series.
        date: ISO day the alert refers to (first day of the episode).
        value: the observed value (None where there is none).
        mean: expected value; lo/hi: the band's ends (None where there is no band).
        severity: ``info``, ``warning`` or ``critical``.
        message: one line for people.
        who: recipients named by the matching rule (webhook names or e-mail addresses).
        p: the p-value behind the alert where there is one.
        trace: for an anomaly, the series around the alert as the detector saw it —
            ``{"dates", "value", "mean", "lo", "hi"}`` (lists; None where a day has no value or band) —
            kept with the alert state for the dashboard's chart; not part of the CLI contract.
        detail: the structured facts behind ``message`` — ``{"code": ..., ...}`` (the source and table of a
            data alert, the failed checks of a model review, the pace and cap of a pacing alert, a rule's
            threshold) — kept with the alert state so the dashboard can write the line in its own
            language; not part of the CLI contract.
    """

    kind: str
    metric: str
    channel: str | None
    date: str
    value: float | None
    mean: float | None
    lo: float | None
    hi: float | None
    severity: str
    message: str
    who: tuple[str, ...] = field(default=(), compare=False)
    p: float | None = field(default=None, compare=False)
    trace: dict[str, list[Any]] | None = field(default=None, compare=False, repr=False)
    detail: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def key(self) -> str:
        """The deduplication key: the same kind, metric, channel and day is the same alert."""
        return f"{self.kind}|{self.metric}|{self.channel or '*'}|{self.date}"

    def to_json(self) -> dict[str, Any]:
        """The CLI contract's alert object."""
        return {
            "kind": self.kind,
            "metric": self.metric,
            "channel": self.channel,
            "date": self.date,
            "value": _num(self.value),
            "expected": {"mean": _num(self.mean), "lo": _num(self.lo), "hi": _num(self.hi)},
            "severity": self.severity,
            "message": self.message,
        }
