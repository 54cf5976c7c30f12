"""The credit one attribution model gives: :class:`Attribution` (channels, conversions, value, extras).

Every model module (:mod:`~omnimix.attribution.rules`, :mod:`~omnimix.attribution.shapley`,
:mod:`~omnimix.attribution.markov`) returns this record; :mod:`~omnimix.attribution.models` runs them
by name and :mod:`~omnimix.attribution.results` compares, charts and stores them. It sits below all of
them so that no model module imports back the modules that dispatch to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omnimix.attribution.paths import FloatArray


@dataclass(frozen=True, eq=False)
class Attribution:
    """Credit of one model.

    Attributes:
        model: model name (one of :data:`omnimix.attribution.models.MODELS`).
        channels: credited units (channels, or ``"channel / campaign"``), shape ``(m,)``.
        conversions: conversions credited, shape ``(m,)``; sums to total conversions.
        value: conversion value credited, shape ``(m,)``; sums to total value.
        extras: other per-channel arrays, e.g. ``removal_effect`` (shape ``(m,)`` each).
        params: the model's settings.
        warnings: messages for the user (e.g. negative credit).
        position_conversions: ordered Shapley credit by position, shape ``(m, P)``.
        position_value: ordered Shapley value by position, shape ``(m, P)``.
    """

    model: str
    channels: tuple[str, ...]
    conversions: FloatArray
    value: FloatArray
    extras: dict[str, FloatArray] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    position_conversions: FloatArray | None = None
    position_value: FloatArray | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready ``{"model", "channels": {name: {"conversions", "value", ...}}, ...}``."""
        channels: dict[str, dict[str, Any]] = {}
        for i, name in enumerate(self.channels):
            row: dict[str, Any] = {"conversions": float(self.conversions[i]), "value": float(self.value[i])}
            for key, arr in self.extras.items():
                row[key] = float(arr[i])
            if self.position_conversions is not None:
                row["by_position"] = [float(x) for x in self.position_conversions[i]]
            channels[name] = row
        out: dict[str, Any] = {
            "model": self.model,
            "channels": channels,
            "total_conversions": float(self.conversions.sum()),
            "total_value": float(self.value.sum()),
        }
        if self.params:
            out["params"] = self.params
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out
