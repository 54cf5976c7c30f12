"""The attribution model registry: every model by name, and :func:`attribute` that runs one.

:data:`REGISTRY` maps a model name to a :class:`Model`: the function that computes its credit and
what it reads (aggregated ``paths``, or touch rows for ``time_decay``). :data:`MODELS` is the
registry's names in order. Adding a model is one entry here; nothing else dispatches on names. The
model modules (:mod:`~omnimix.attribution.rules`, :mod:`~omnimix.attribution.shapley`,
:mod:`~omnimix.attribution.markov`) know nothing of this registry, so nothing imports back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from omnimix.attribution import rules
from omnimix.attribution.credit import Attribution
from omnimix.attribution.markov import States, markov
from omnimix.attribution.paths import PathData, touches_to_paths
from omnimix.attribution.shapley import shapley, shapley_ordered, shapley_simplified
from omnimix.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


@dataclass(frozen=True)
class ModelOptions:
    """The settings of every model (each model reads the ones it uses).

    Attributes:
        order: Markov order (1..4).
        use_null: Markov: use non-converting journeys.
        collapse_repeats: Markov: merge consecutive repeats of a channel.
        position_weights: ``(first, last)`` shares of the position model.
        half_life_days: time-decay half-life.
        lookback_days: time-decay (and touch → path) lookback window.
        direct: channel names treated as direct by ``last_non_direct`` (None: the defaults).
        shapley_worth: ``auto``, ``conversions`` or ``rate``.
        ordered_repeats: ordered Shapley convention, ``first`` or ``split``.
        level: ``channel`` or ``campaign`` (touch rows only).
        markov_states: Markov state construction, ``channelattribution`` (default) or ``omnimix``.
    """

    order: int = 1
    use_null: bool = True
    collapse_repeats: bool = True
    position_weights: tuple[float, float] = (0.4, 0.4)
    half_life_days: float = 7.0
    lookback_days: float | None = None
    direct: tuple[str, ...] | None = None
    shapley_worth: str = "auto"
    ordered_repeats: str = "first"
    level: str = "channel"
    markov_states: States = "channelattribution"


@dataclass(frozen=True)
class Model:
    """One registered model.

    Attributes:
        name: the model's name.
        reads: ``"paths"`` (aggregated journeys) or ``"touches"`` (timestamped touch rows).
        run: ``run(data, options) -> Attribution``; ``data`` is :class:`PathData` or a touches DataFrame.
    """

    name: str
    reads: str
    run: Callable[[Any, ModelOptions], Attribution]


def _markov(paths: PathData, o: ModelOptions) -> Attribution:
    res = markov(paths, o.order, use_null=o.use_null, collapse_repeats=o.collapse_repeats, states=o.markov_states)
    return res.to_attribution(use_null=o.use_null, collapse_repeats=o.collapse_repeats)


def _last_non_direct(paths: PathData, o: ModelOptions) -> Attribution:
    return rules.last_non_direct(paths, o.direct if o.direct is not None else rules.DEFAULT_DIRECT)


def _time_decay(touches: pd.DataFrame, o: ModelOptions) -> Attribution:
    return rules.time_decay(touches, o.half_life_days, o.lookback_days, o.level)


_ENTRIES = (
    Model("first", "paths", lambda p, o: rules.first_touch(p)),
    Model("last", "paths", lambda p, o: rules.last_touch(p)),
    Model("last_non_direct", "paths", _last_non_direct),
    Model("linear", "paths", lambda p, o: rules.linear(p)),
    Model("linear_touch", "paths", lambda p, o: rules.linear_touch(p)),
    Model("position", "paths", lambda p, o: rules.position_based(p, *o.position_weights)),
    Model("time_decay", "touches", _time_decay),
    Model("markov", "paths", _markov),
    Model("shapley", "paths", lambda p, o: shapley(p, o.shapley_worth)),  # type: ignore[arg-type]
    Model("shapley_simplified", "paths", lambda p, o: shapley_simplified(p)),
    Model("shapley_ordered", "paths", lambda p, o: shapley_ordered(p, o.ordered_repeats)[0]),  # type: ignore[arg-type]
)

#: Every attribution model by name.
REGISTRY: dict[str, Model] = {m.name: m for m in _ENTRIES}

#: The model names, in the order of the side-by-side table.
MODELS: tuple[str, ...] = tuple(REGISTRY)


def get_model(name: str) -> Model:
    """The registered model ``name``.

    Raises:
        ConfigError: no model has that name (the message lists the known ones).
    """
    found = REGISTRY.get(name)
    if found is None:
        raise ConfigError(f"attribution model {name!r} is unknown; expected one of {', '.join(MODELS)}.")
    return found


def model_paths(
    paths: PathData | None,
    touches: pd.DataFrame | None,
    lookback_days: float | None = None,
    level: str = "channel",
    model_name: str = "markov",
) -> PathData:
    """The paths a path model reads: ``paths`` itself, or touch rows aggregated at ``level``.

    Raises:
        ConfigError: neither is given, or campaign level without touch rows.
    """
    if paths is not None and level != "campaign":
        return paths
    if touches is None:
        if level == "campaign":
            raise ConfigError(
                "--level campaign needs touch rows with a `campaign` column (a touches file "
                "or the workspace `journey_touches` table); paths carry channels only."
            )
        raise ConfigError(f"model {model_name!r} needs paths (a paths file or the workspace `paths` table).")
    return touches_to_paths(touches, lookback_days, level)


def attribute(
    model: str,
    paths: PathData | None = None,
    touches: pd.DataFrame | None = None,
    *,
    order: int = 1,
    use_null: bool = True,
    collapse_repeats: bool = True,
    position_weights: tuple[float, float] = (0.4, 0.4),
    half_life_days: float = 7.0,
    lookback_days: float | None = None,
    direct: tuple[str, ...] | None = None,
    shapley_worth: str = "auto",
    ordered_repeats: str = "first",
    level: str = "channel",
    markov_states: States = "channelattribution",
) -> Attribution:
    """Run one attribution model by name.

    Args:
        model: one of :data:`MODELS`.
        paths: aggregated paths (all models but ``time_decay``).
        touches: touch rows (``time_decay``; other models use them when ``paths`` is missing).
        order, use_null, collapse_repeats, position_weights, half_life_days, lookback_days, direct,
            shapley_worth, ordered_repeats, level, markov_states: see :class:`ModelOptions`.

    Returns:
        The model's :class:`~omnimix.attribution.credit.Attribution`.

    Raises:
        ConfigError: unknown model, or the input the model needs is missing.
    """
    options = ModelOptions(order, use_null, collapse_repeats, position_weights, half_life_days, lookback_days,
                           direct, shapley_worth, ordered_repeats, level, markov_states)
    return run_model(model, paths, touches, options)


def run_model(
    model_name: str, paths: PathData | None, touches: pd.DataFrame | None, options: ModelOptions
) -> Attribution:
    """:func:`attribute` with the settings as one :class:`ModelOptions`."""
    spec = get_model(model_name)
    if spec.reads == "touches":
        if touches is None:
            raise ConfigError(
                f"{spec.name} needs touch-level rows with timestamps (journey_id, ts, channel, "
                "converted); pass a touches file or a workspace with `journey_touches`."
            )
        return spec.run(touches, options)
    return spec.run(model_paths(paths, touches, options.lookback_days, options.level, spec.name), options)
