"""Response curves: Hill and logistic saturation, one set of parameters per posterior draw.

:class:`ResponseCurves` is the one type that carries curves from the MMM (``FittedMMM.curves()``) to the
optimizer, the warehouse tables ``response_curves`` (posterior mean per channel) and
``response_curve_draws`` (one row per draw and channel), and the dashboard. The formulas live in
:mod:`omnimix.transforms`.

A channel's response to a per-period spend ``x`` is

* Hill: ``beta * x**s / (x**s + K**s)`` (S-shaped when the slope ``s > 1``, concave when ``s <= 1``);
* logistic: ``beta * (1 - exp(-lam * x)) / (1 + exp(-lam * x))`` (concave).

Parameters are stored as arrays of shape ``(draws, channels)``; a point estimate is one draw. Every
evaluation returns per-draw values, and the optimizer works on their mean (or a risk functional).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from omnimix import transforms
from omnimix.errors import ConfigError, ConvergenceError, InputDataError, UsageError

FloatArray = NDArray[np.float64]

HILL = transforms.HILL
LOGISTIC = transforms.LOGISTIC
_KINDS = transforms.SATURATIONS


def _as_2d(value: Any, n_channels: int, name: str) -> FloatArray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full((1, n_channels), float(arr))
    elif arr.ndim == 1:
        if arr.shape[0] != n_channels:
            raise ConfigError(f"{name} has {arr.shape[0]} values; expected one per channel ({n_channels}).")
        arr = arr[None, :]
    elif arr.ndim != 2 or arr.shape[1] != n_channels:
        raise ConfigError(f"{name} has shape {arr.shape}; expected (draws, {n_channels}).")
    return arr


@dataclass(frozen=True)
class ResponseCurves:
    """Per-channel response curves with posterior draws.

    Attributes:
        channels: channel names, length C.
        kinds: ``"hill"`` or ``"logistic"`` per channel, length C.
        beta: maximum response per period, shape (D, C).
        half_saturation: Hill ``K`` (spend giving half of ``beta``), shape (D, C); unused for logistic.
        slope: Hill slope ``s``, shape (D, C); unused for logistic.
        lam: logistic rate ``lam``, shape (D, C); unused for Hill.
        current_spend: the current (or last period's) spend per period, shape (C,).
        bounds: optional per-channel ``(min, max)`` read from a curves file (``None`` where absent).
    """

    channels: tuple[str, ...]
    kinds: tuple[str, ...]
    beta: FloatArray
    half_saturation: FloatArray
    slope: FloatArray
    lam: FloatArray
    current_spend: FloatArray
    bounds: tuple[tuple[float | None, float | None], ...] = field(default=())

    def __post_init__(self) -> None:
        c = len(self.channels)
        problems: list[str] = []
        if c == 0:
            problems.append("channels: at least one channel is needed")
        if len(set(self.channels)) != c:
            problems.append("channels: names must be unique")
        if len(self.kinds) != c:
            problems.append(f"kinds: {len(self.kinds)} given for {c} channels")
        for name, kind in zip(self.channels, self.kinds, strict=False):
            if kind not in _KINDS:
                problems.append(f"channels.{name}.type: {kind!r} is not one of {_KINDS}")
        shapes = {a.shape for a in (self.beta, self.half_saturation, self.slope, self.lam)}
        if len(shapes) != 1 or self.beta.ndim != 2 or self.beta.shape[1] != c:
            problems.append(f"parameter arrays must all have shape (draws, {c}); got {sorted(shapes)}")
        if self.current_spend.shape != (c,):
            problems.append(f"current_spend has shape {self.current_spend.shape}; expected ({c},)")
        if not problems:
            hill = np.array([k == HILL for k in self.kinds])
            for j, name in enumerate(self.channels):
                b = self.beta[:, j]
                if not np.all(np.isfinite(b)) or np.any(b < 0):
                    problems.append(f"channels.{name}.beta: must be finite and >= 0 (got min {b.min()})")
                if hill[j]:
                    k, s = self.half_saturation[:, j], self.slope[:, j]
                    if not np.all(np.isfinite(k)) or np.any(k <= 0):
                        problems.append(f"channels.{name}.half_saturation: must be > 0")
                    if not np.all(np.isfinite(s)) or np.any(s <= 0):
                        problems.append(f"channels.{name}.slope: must be > 0")
                else:
                    lam = self.lam[:, j]
                    if not np.all(np.isfinite(lam)) or np.any(lam <= 0):
                        problems.append(f"channels.{name}.lam: must be > 0")
            if np.any(~np.isfinite(self.current_spend)) or np.any(self.current_spend < 0):
                problems.append("current_spend: must be finite and >= 0")
        if self.bounds and len(self.bounds) != c:
            problems.append(f"bounds: {len(self.bounds)} given for {c} channels")
        if problems:
            raise ConfigError("Invalid response curves.", problems)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_params(
        cls,
        channels: Sequence[str],
        kinds: Sequence[str] | str,
        *,
        beta: Any,
        half_saturation: Any = None,
        slope: Any = None,
        lam: Any = None,
        current_spend: Any = None,
        bounds: Sequence[tuple[float | None, float | None]] | None = None,
    ) -> ResponseCurves:
        """Build curves from scalars, per-channel vectors (C,) or posterior draws (D, C).

        Args:
            channels: channel names, length C.
            kinds: one kind for all channels, or one per channel.
            beta: maximum response, shape (), (C,) or (D, C).
            half_saturation: Hill K, same shapes (ignored for logistic channels).
            slope: Hill slope, same shapes (default 1).
            lam: logistic rate, same shapes (ignored for Hill channels).
            current_spend: current spend per period, shape (C,) (default zeros).
            bounds: optional (min, max) per channel.
        """
        names = tuple(str(c) for c in channels)
        c = len(names)
        kind_t = (kinds,) * c if isinstance(kinds, str) else tuple(kinds)
        b = _as_2d(beta, c, "beta")
        k = _as_2d(1.0 if half_saturation is None else half_saturation, c, "half_saturation")
        s = _as_2d(1.0 if slope is None else slope, c, "slope")
        la = _as_2d(1.0 if lam is None else lam, c, "lam")
        d = max(a.shape[0] for a in (b, k, s, la))
        arrays = []
        for a, name in ((b, "beta"), (k, "half_saturation"), (s, "slope"), (la, "lam")):
            if a.shape[0] not in (1, d):
                raise ConfigError(f"{name} has {a.shape[0]} draws; expected 1 or {d}.")
            arrays.append(np.array(np.broadcast_to(a, (d, c)), dtype=np.float64))
        hill = np.array([kk == HILL for kk in kind_t]) if len(kind_t) == c else np.zeros(c, bool)
        arrays[1][:, ~hill] = 1.0
        arrays[2][:, ~hill] = 1.0
        arrays[3][:, hill] = 1.0
        cur = np.zeros(c) if current_spend is None else np.asarray(current_spend, dtype=np.float64)
        return cls(
            channels=names,
            kinds=kind_t,
            beta=arrays[0],
            half_saturation=arrays[1],
            slope=arrays[2],
            lam=arrays[3],
            current_spend=cur,
            bounds=tuple(bounds) if bounds is not None else (),
        )

    # ------------------------------------------------------------------ properties
    @property
    def n_channels(self) -> int:
        """Number of channels C."""
        return len(self.channels)

    @property
    def n_draws(self) -> int:
        """Number of posterior draws D (1 for point estimates)."""
        return int(self.beta.shape[0])

    def subset(self, idx: Sequence[int] | NDArray[np.intp]) -> ResponseCurves:
        """The curves of the channels at positions ``idx``."""
        ii = np.asarray(idx, dtype=np.intp)
        return ResponseCurves(
            channels=tuple(self.channels[i] for i in ii),
            kinds=tuple(self.kinds[i] for i in ii),
            beta=self.beta[:, ii],
            half_saturation=self.half_saturation[:, ii],
            slope=self.slope[:, ii],
            lam=self.lam[:, ii],
            current_spend=self.current_spend[ii],
            bounds=tuple(self.bounds[i] for i in ii) if self.bounds else (),
        )

    def thin(self, max_draws: int, seed: int = 0) -> ResponseCurves:
        """At most ``max_draws`` posterior draws: a random subset (in draw order) when there are more.

        Args:
            max_draws: the number of draws to keep (at least 1).
            seed: seed of the subset.
        """
        if max_draws < 1:
            raise UsageError(f"max_draws: {max_draws}; expected at least 1")
        if self.n_draws <= max_draws:
            return self
        idx = np.sort(np.random.default_rng(seed).choice(self.n_draws, max_draws, replace=False))
        return ResponseCurves(
            channels=self.channels,
            kinds=self.kinds,
            beta=self.beta[idx],
            half_saturation=self.half_saturation[idx],
            slope=self.slope[idx],
            lam=self.lam[idx],
            current_spend=self.current_spend,
            bounds=self.bounds,
        )

    def mean_curves(self) -> ResponseCurves:
        """Point curves with posterior-mean parameters (not the mean curve; for display only)."""
        return ResponseCurves(
            channels=self.channels,
            kinds=self.kinds,
            beta=self.beta.mean(0, keepdims=True),
            half_saturation=self.half_saturation.mean(0, keepdims=True),
            slope=self.slope.mean(0, keepdims=True),
            lam=self.lam.mean(0, keepdims=True),
            current_spend=self.current_spend,
            bounds=self.bounds,
        )

    # ------------------------------------------------------------------ evaluation
    def _params(self, channel: int | None) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, Any]:
        if channel is None:
            hill: Any = np.array([k == HILL for k in self.kinds])
            return self.beta, self.half_saturation, self.slope, self.lam, hill
        j = channel
        return (
            self.beta[:, j : j + 1],
            self.half_saturation[:, j : j + 1],
            self.slope[:, j : j + 1],
            self.lam[:, j : j + 1],
            self.kinds[j] == HILL,
        )

    def draws(self, x: Any, channel: int | None = None, order: int = 0) -> FloatArray:
        """Per-draw response (or its derivative) at spend ``x``.

        Args:
            x: spend per period. With ``channel=None`` shape (C,) or (N, C); with a channel index,
                shape (N,) (a grid for that one channel).
            channel: evaluate one channel on a grid instead of all channels.
            order: 0 for the response, 1 for the first derivative, 2 for the second.

        Returns:
            Shape (D, C) or (D, N, C) with ``channel=None``; (D, N) for one channel.
        """
        xa = np.asarray(x, dtype=np.float64)
        beta, k, s, lam, hill = self._params(channel)
        if channel is not None:
            xa = xa.reshape(-1, 1)  # (N, 1)
        squeeze = xa.ndim == 1
        if squeeze:
            xa = xa[None, :]
        xx = np.maximum(xa, 0.0)[None, :, :]  # (1, N, C)
        b3, k3, s3, l3 = beta[:, None, :], k[:, None, :], s[:, None, :], lam[:, None, :]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = np.zeros(np.broadcast_shapes(b3.shape, xx.shape))
            if np.any(hill):
                out = np.where(hill, transforms.hill(xx, k3, s3, b3, order), out)
            if not np.all(hill):
                out = np.where(hill, out, transforms.logistic(xx, l3, b3, order))
        if channel is not None:
            return np.asarray(out[:, :, 0])
        return np.asarray(out[:, 0, :] if squeeze else out)

    def response(self, x: Any, channel: int | None = None, order: int = 0) -> FloatArray:
        """Posterior-mean response (or derivative) at ``x``; shapes as :meth:`draws` without D."""
        return np.asarray(self.draws(x, channel, order).mean(axis=0))

    def spend_at_share(self, share: float) -> FloatArray:
        """Spend at which each draw's curve reaches ``share`` of its maximum ``beta``, shape (D, C).

        The inverse of the saturation: Hill ``K · (p / (1 − p))^(1/s)``, logistic
        ``ln((1 + p) / (1 − p)) / lam`` (``tanh(lam·x/2) = p``). The flighting solver uses it to place
        its breakpoint grids.

        Args:
            share: ``p`` in (0, 1).
        """
        if not 0.0 < share < 1.0:
            raise ValueError(f"share {share}: expected a value in (0, 1)")
        hill = np.array([k == HILL for k in self.kinds])
        odds = share / (1.0 - share)
        at_hill = self.half_saturation * odds ** (1.0 / self.slope)
        at_logistic = np.log((1.0 + share) / (1.0 - share)) / self.lam
        return np.asarray(np.where(hill, at_hill, at_logistic), dtype=np.float64)

    def total_draws(self, x: Any) -> FloatArray:
        """Total response over channels per draw for an allocation ``x`` of shape (C,) → (D,)."""
        return np.asarray(self.draws(x).sum(axis=-1))

    # ------------------------------------------------------------------ serialisation
    def to_frames(self) -> tuple[Any, Any]:
        """The warehouse form: ``(response_curves, response_curve_draws)`` DataFrames.

        ``response_curves`` has one row per channel (posterior-mean parameters, ``current_spend``,
        ``min_spend``/``max_spend`` bounds where set); ``response_curve_draws`` one row per draw and
        channel. :meth:`from_frames` reads them back.
        """
        import pandas as pd

        mean = self.mean_curves()
        rows = []
        for j, name in enumerate(self.channels):
            lo, hi = self.bounds[j] if self.bounds else (None, None)
            hill_j = self.kinds[j] == HILL
            rows.append({
                "channel": name, "type": self.kinds[j], "beta": float(mean.beta[0, j]),
                "half_saturation": float(mean.half_saturation[0, j]) if hill_j else None,
                "slope": float(mean.slope[0, j]) if hill_j else None,
                "lam": None if hill_j else float(mean.lam[0, j]),
                "current_spend": float(self.current_spend[j]), "min_spend": lo, "max_spend": hi,
            })
        d, c = self.beta.shape
        draws = pd.DataFrame({
            "draw": np.repeat(np.arange(d), c), "channel": np.tile(np.array(self.channels, dtype=object), d),
            "beta": self.beta.ravel(), "half_saturation": self.half_saturation.ravel(),
            "slope": self.slope.ravel(), "lam": self.lam.ravel(),
        })
        return pd.DataFrame(rows), draws

    @classmethod
    def from_frames(cls, curves: Any, draws: Any = None) -> ResponseCurves:
        """Curves from the ``response_curves`` table (and ``response_curve_draws`` when given and not empty).

        Args:
            curves: one row per channel with ``channel, type, beta, half_saturation, slope, lam,
                current_spend`` (``min_spend``/``max_spend`` optional).
            draws: optional rows ``draw, channel, beta, half_saturation, slope, lam``.
        """
        names = [str(c) for c in curves["channel"]]
        kinds = [str(k).lower() for k in curves["type"]]

        def col(frame: Any, key: str, default: float) -> FloatArray:
            if key not in frame:
                return np.full(len(frame), default)
            return np.asarray(frame[key].astype(float).fillna(default), dtype=np.float64)

        current = col(curves, "current_spend", 0.0)
        bounds: list[tuple[float | None, float | None]] = []
        has_bounds = False
        for i in range(len(names)):
            lo = curves["min_spend"].iloc[i] if "min_spend" in curves else None
            hi = curves["max_spend"].iloc[i] if "max_spend" in curves else None
            lo = None if lo is None or lo != lo else float(lo)
            hi = None if hi is None or hi != hi else float(hi)
            has_bounds = has_bounds or lo is not None or hi is not None
            bounds.append((lo, hi))
        if draws is not None and len(draws):
            wide = {key: draws.pivot(index="draw", columns="channel", values=key).reindex(columns=names)
                    for key in ("beta", "half_saturation", "slope", "lam")}
            arrays = {key: np.asarray(v.astype(float).fillna(1.0).to_numpy(), dtype=np.float64)
                      for key, v in wide.items()}
        else:
            arrays = {"beta": col(curves, "beta", 0.0), "half_saturation": col(curves, "half_saturation", 1.0),
                      "slope": col(curves, "slope", 1.0), "lam": col(curves, "lam", 1.0)}
        return cls.from_params(names, kinds, current_spend=current, bounds=bounds if has_bounds else None,
                               **arrays)

    def to_dict(self) -> dict[str, Any]:
        """CURVES.json form with posterior-mean parameters per channel."""
        out: dict[str, Any] = {}
        for j, name in enumerate(self.channels):
            entry: dict[str, Any] = {"type": self.kinds[j], "beta": float(self.beta[:, j].mean())}
            if self.kinds[j] == HILL:
                entry["half_saturation"] = float(self.half_saturation[:, j].mean())
                entry["slope"] = float(self.slope[:, j].mean())
            else:
                entry["lam"] = float(self.lam[:, j].mean())
            entry["current_spend"] = float(self.current_spend[j])
            if self.bounds:
                lo, hi = self.bounds[j]
                if lo is not None:
                    entry["min"] = lo
                if hi is not None:
                    entry["max"] = hi
            out[name] = entry
        return {"channels": out}


def _num(entry: Mapping[str, Any], key: str, where: str, problems: list[str], default: Any = None) -> Any:
    if key not in entry or entry[key] is None:
        if default is None:
            problems.append(f"{where}.{key}: missing")
        return default
    value = entry[key]
    if isinstance(value, list):
        try:
            return [float(v) for v in value]
        except (TypeError, ValueError):
            problems.append(f"{where}.{key}: expected a number or a list of numbers (draws), got {value!r}")
            return default
    try:
        return float(value)
    except (TypeError, ValueError):
        problems.append(f"{where}.{key}: expected a number, got {value!r}")
        return default


def _flatten_entry(entry: Mapping[str, Any]) -> Mapping[str, Any]:
    """Accept the MMM's ``response_curves.json`` / truth ``media.json`` entry as well as the flat form.

    Those nest the parameters under ``saturation`` (posterior means) with ``current_weekly_spend``; the
    MMM also writes ``saturation_draws`` (one list per parameter), which become the curves' draws.
    """
    sat = entry.get("saturation")
    if "type" in entry or not isinstance(sat, Mapping):
        return entry
    flat: dict[str, Any] = dict(sat)
    draws = entry.get("saturation_draws")
    if isinstance(draws, Mapping):
        flat.update({k: v for k, v in draws.items() if k in ("beta", "half_saturation", "slope", "lam")})
    for key in ("min", "max"):
        if key in entry:
            flat[key] = entry[key]
    flat["current_spend"] = entry.get("current_spend", entry.get("current_weekly_spend", 0.0))
    return flat


def curves_from_dict(data: Mapping[str, Any], source: str = "CURVES.json") -> ResponseCurves:
    """Parse the CURVES.json structure.

    ``{"channels": {NAME: {"type": "hill", "beta": b, "half_saturation": K, "slope": s,
    "current_spend": c, "min": lo, "max": hi}}}`` or ``"type": "logistic"`` with ``"beta", "lam"``.
    A parameter may also be a list (posterior draws; all lists of one file have the same length).
    The MMM's own ``response_curves.json`` (parameters nested under ``saturation``, draws under
    ``saturation_draws``, ``current_weekly_spend``) is accepted as it is.
    All problems of the file are collected into one :class:`~omnimix.errors.InputDataError`.
    """
    problems: list[str] = []
    chans = data.get("channels") if isinstance(data, Mapping) else None
    if not isinstance(chans, Mapping) or not chans:
        raise InputDataError(source, 'expected {"channels": {NAME: {"type": "hill"|"logistic", ...}}}')
    names: list[str] = []
    kinds: list[str] = []
    cols: dict[str, list[Any]] = {"beta": [], "half_saturation": [], "slope": [], "lam": []}
    current: list[float] = []
    bounds: list[tuple[float | None, float | None]] = []
    for name, entry in chans.items():
        where = f"channels.{name}"
        if not isinstance(entry, Mapping):
            problems.append(f"{where}: expected an object")
            continue
        entry = _flatten_entry(entry)
        kind = str(entry.get("type", "")).lower()
        if kind not in _KINDS:
            problems.append(f"{where}.type: {entry.get('type')!r}; expected 'hill' or 'logistic'")
            continue
        names.append(str(name))
        kinds.append(kind)
        cols["beta"].append(_num(entry, "beta", where, problems, None))
        if kind == HILL:
            cols["half_saturation"].append(_num(entry, "half_saturation", where, problems, None))
            cols["slope"].append(_num(entry, "slope", where, problems, 1.0))
            cols["lam"].append(1.0)
        else:
            cols["lam"].append(_num(entry, "lam", where, problems, None))
            cols["half_saturation"].append(1.0)
            cols["slope"].append(1.0)
        cur = _num(entry, "current_spend", where, problems, 0.0)
        current.append(float(cur) if not isinstance(cur, list) else float("nan"))
        lo = entry.get("min")
        hi = entry.get("max")
        try:
            bounds.append((None if lo is None else float(lo), None if hi is None else float(hi)))
        except (TypeError, ValueError):
            problems.append(f"{where}.min/max: expected numbers, got {lo!r}/{hi!r}")
    if problems:
        raise InputDataError(source, "invalid response curves", problems)
    draw_counts = {len(v) for vals in cols.values() for v in vals if isinstance(v, list)}
    if len(draw_counts) > 1:
        raise InputDataError(source, f"parameter lists have different lengths {sorted(draw_counts)}")
    d = draw_counts.pop() if draw_counts else 1
    arrays = {
        key: np.array([[v[i] if isinstance(v, list) else v for v in vals] for i in range(d)], dtype=float)
        for key, vals in cols.items()
    }
    try:
        return ResponseCurves.from_params(
            names, kinds, current_spend=np.array(current), bounds=bounds, **arrays
        )
    except ConfigError as exc:
        raise InputDataError(source, "invalid response curves", exc.problems) from exc


def load_curves(path: str | Path) -> ResponseCurves:
    """Read a CURVES.json file or the MMM's ``response_curves.json`` (see :func:`curves_from_dict`).

    ``path`` may also be an MMM fit directory holding ``response_curves.json``. A file the MMM marked
    ``"passed": false`` (its fit failed review) is refused.

    Raises:
        InputDataError: the file is missing, not JSON or holds invalid curves.
        ConvergenceError: the file is a failed MMM fit's.
    """
    p = Path(path)
    if p.is_dir():
        p = p / "response_curves.json"
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputDataError(str(p), "file not found; pass the path of a CURVES.json file or of an MMM fit's "
                             "response_curves.json (DIR/mmm/latest/response_curves.json)") from exc
    except json.JSONDecodeError as exc:
        raise InputDataError(
            str(p), f"not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
        ) from exc
    if isinstance(data, Mapping) and data.get("passed") is False:
        reasons = "; ".join(str(r) for r in data.get("reasons", [])) or "no reasons recorded"
        raise ConvergenceError(
            f"the MMM fit behind {p} failed review ({reasons}), so its curves are not used; fix the model "
            "or the data and refit (see `omnimix mmm report`)."
        )
    return curves_from_dict(data, source=str(p))


def curves_from_truth(truth: str | Path | Mapping[str, Any]) -> ResponseCurves:
    """Response curves from the simulator's ground truth ``truth/media.json``.

    The file has ``{"weeks": W, "channels": {NAME: {"saturation": {"type": "hill", "beta": b,
    "half_saturation": K, "slope": s} | {"type": "logistic", "beta": b, "lam": l}, "adstock": {...},
    "current_weekly_spend": c}}}``. With adstock weights normalised to sum 1, the steady-state weekly
    response to a constant weekly spend ``x`` is exactly the saturation formula, so the curves are
    weekly curves and ``current_weekly_spend`` is the current plan.

    Args:
        truth: a path to ``media.json`` (or to the folder holding it) or the parsed dictionary.
    """
    source = "truth/media.json"
    if isinstance(truth, str | Path):
        p = Path(truth)
        if p.is_dir():
            p = p / "media.json"
        source = str(p)
        try:
            data: Mapping[str, Any] = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise InputDataError(source, "file not found; run `omnimix simulate` first") from exc
    else:
        data = truth
    chans = data.get("channels")
    if not isinstance(chans, Mapping) or not chans:
        raise InputDataError(source, 'expected {"channels": {NAME: {"saturation": {...}, ...}}}')
    converted: dict[str, Any] = {}
    problems: list[str] = []
    for name, entry in chans.items():
        sat = entry.get("saturation") if isinstance(entry, Mapping) else None
        if not isinstance(sat, Mapping):
            problems.append(f"channels.{name}.saturation: missing")
            continue
        row = dict(sat)
        row["current_spend"] = entry.get("current_weekly_spend", entry.get("current_spend", 0.0))
        converted[str(name)] = row
    if problems:
        raise InputDataError(source, "invalid ground truth", problems)
    return curves_from_dict({"channels": converted}, source=source)


def curves_from_posterior(
    channels: Sequence[str],
    kinds: Sequence[str] | str,
    draws: Mapping[str, Any],
    current_spend: Any = None,
    *,
    max_draws: int | None = None,
    seed: int = 0,
) -> ResponseCurves:
    """Curves from posterior draws of a fitted MMM.

    Args:
        channels: channel names, length C.
        kinds: saturation kind (one for all or one per channel).
        draws: arrays keyed ``beta``, ``half_saturation``, ``slope`` (Hill) or ``lam`` (logistic),
            each of shape (D, C) or (chains, draws, C) (chains are flattened), in KPI units per period
            of spend in currency units.
        current_spend: current spend per period, shape (C,).
        max_draws: keep a random subset of this many draws (speed).
        seed: seed of that subset.
    """
    flat: dict[str, Any] = {}
    for key in ("beta", "half_saturation", "slope", "lam"):
        if key in draws:
            arr = np.asarray(draws[key], dtype=float)
            if arr.ndim == 3:
                arr = arr.reshape(-1, arr.shape[-1])
            flat[key] = arr
    if "beta" not in flat:
        raise ConfigError("posterior draws need a 'beta' array of shape (draws, channels).")
    curves = ResponseCurves.from_params(channels, kinds, current_spend=current_spend, **flat)
    return curves if max_draws is None else curves.thin(max_draws, seed=seed)
