"""Composable MMM components: priors, adstock and saturation transforms, and their registry.

Every transform is a small frozen dataclass with

* ``sample(n_channels)`` — draws its parameters inside a NumPyro model (one value per channel),
* a pure function of those parameters (``weights`` for adstock, ``apply`` for saturation) that works
  on ``jax.numpy`` and ``numpy`` arrays alike and broadcasts over leading (draw) axes.

The formulas themselves are written once, in :mod:`omnimix.transforms` (shared with the simulator,
the optimizer and the dashboard); the components add priors, parameter names and units. Media enters
in scaled units (each channel divided by its mean non-zero value), so the default priors are
scale-free. New components register with :func:`register_adstock` / :func:`register_saturation`
and are then available by name in :class:`omnimix.mmm.model.MMMConfig`.

Adstock (weights normalised to sum to 1, so a constant input x gives x in steady state)::

    geometric:  w_l ∝ α^l
    delayed:    w_l ∝ α^((l-θ)^2)                      (peak at lag θ; Jin et al. 2017)
    weibull:    w_l ∝ k/λ · ((l+½)/λ)^(k-1) · exp(-((l+½)/λ)^k)

Saturation of adstocked media a::

    hill:       a^s / (a^s + K^s)
    logistic:   (1 - e^{-λa}) / (1 + e^{-λa})
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from omnimix import transforms
from omnimix.errors import ConfigError

Array = Any  # jax.Array or numpy.ndarray


_DISTS = ("Beta", "Gamma", "HalfNormal", "LogNormal", "Normal", "TruncatedNormal", "Uniform", "Exponential")


@dataclass(frozen=True)
class Prior:
    """A prior distribution by name with its parameters (NumPyro parameterisation).

    Example: ``Prior("Beta", {"concentration1": 1.0, "concentration0": 3.0})``.
    """

    dist: str
    params: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.dist not in _DISTS:
            raise ConfigError(f"prior distribution {self.dist!r} is unknown", [f"use one of {list(_DISTS)}"])

    def build(self, shape: tuple[int, ...] = ()) -> Any:
        """The NumPyro distribution, expanded to ``shape``."""
        import numpyro.distributions as dist

        try:
            d = getattr(dist, self.dist)(**self.params)
        except TypeError as exc:
            raise ConfigError(
                f"prior {self.dist}({self.params}) has bad parameters ({exc})",
                ["see numpyro.distributions for the parameter names"],
            ) from exc
        return d.expand(shape) if shape else d

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"dist": self.dist, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Prior:
        """Inverse of :meth:`to_dict`."""
        return cls(str(d["dist"]), {k: float(v) for k, v in d.get("params", {}).items()})


def _sample_all(prefix: str, priors: dict[str, Prior], n: int) -> dict[str, Array]:
    import numpyro

    return {k: numpyro.sample(f"{prefix}_{k}", p.build((n,))) for k, p in priors.items()}


@dataclass(frozen=True)
class Adstock:
    """Base class for carry-over transforms; subclasses define ``_raw_weights``."""

    name: ClassVar[str] = "adstock"
    l_max: int = 8
    priors: dict[str, Prior] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 1 <= self.l_max <= 104:
            raise ConfigError(f"adstock l_max={self.l_max} is out of range", ["use 1 <= l_max <= 104"])
        merged = {**self.default_priors(), **self.priors}
        object.__setattr__(self, "priors", merged)

    @classmethod
    def default_priors(cls) -> dict[str, Prior]:
        """Default priors by parameter name."""
        return {}

    def sample(self, n_channels: int) -> dict[str, Array]:
        """Sample one value of each parameter per channel (site names ``adstock_<param>``)."""
        return _sample_all("adstock", self.priors, n_channels)

    def _raw_weights(self, lags: Array, p: dict[str, Array]) -> Array:
        raise NotImplementedError

    def weights(self, p: dict[str, Array]) -> Array:
        """Normalised lag weights.

        Args:
            p: parameters, each of shape (..., C).

        Returns:
            Weights of shape (..., L, C) summing to 1 over L.
        """
        xp = transforms.xp_of(*p.values())
        lags = transforms.lags(self.l_max, xp)
        q = {k: xp.expand_dims(v, -2) for k, v in p.items()}
        w = self._raw_weights(lags, q)
        return w / xp.sum(w, axis=-2, keepdims=True)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "type": self.name,
            "l_max": self.l_max,
            "priors": {k: v.to_dict() for k, v in self.priors.items()},
        }


@dataclass(frozen=True)
class GeometricAdstock(Adstock):
    """w_l ∝ α^l (α in (0, 1): the share of an effect carried to the next period)."""

    name: ClassVar[str] = "geometric"

    @classmethod
    def default_priors(cls) -> dict[str, Prior]:
        return {"alpha": Prior("Beta", {"concentration1": 1.5, "concentration0": 3.0})}

    def _raw_weights(self, lags: Array, p: dict[str, Array]) -> Array:
        return transforms.geometric_weights(lags, p["alpha"])


@dataclass(frozen=True)
class DelayedAdstock(Adstock):
    """w_l ∝ α^((l-θ)^2): carry-over with its peak delayed to lag θ."""

    name: ClassVar[str] = "delayed"

    @classmethod
    def default_priors(cls) -> dict[str, Prior]:
        return {
            "alpha": Prior("Beta", {"concentration1": 1.5, "concentration0": 3.0}),
            "theta": Prior("Uniform", {"low": 0.0, "high": 3.0}),
        }

    def _raw_weights(self, lags: Array, p: dict[str, Array]) -> Array:
        return transforms.delayed_weights(lags, p["alpha"], p["theta"])


@dataclass(frozen=True)
class WeibullAdstock(Adstock):
    """Weibull-PDF lag weights with shape k and scale λ (in periods)."""

    name: ClassVar[str] = "weibull"

    @classmethod
    def default_priors(cls) -> dict[str, Prior]:
        return {
            "shape": Prior("Gamma", {"concentration": 3.0, "rate": 2.0}),
            "scale": Prior("Gamma", {"concentration": 2.0, "rate": 1.0}),
        }

    def _raw_weights(self, lags: Array, p: dict[str, Array]) -> Array:
        return transforms.weibull_weights(lags, p["shape"], p["scale"])


@dataclass(frozen=True)
class Saturation:
    """Base class for diminishing-returns transforms; subclasses define ``apply``."""

    name: ClassVar[str] = "saturation"
    priors: dict[str, Prior] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "priors", {**self.default_priors(), **self.priors})

    @classmethod
    def default_priors(cls) -> dict[str, Prior]:
        """Default priors by parameter name."""
        return {}

    def sample(self, n_channels: int) -> dict[str, Array]:
        """Sample one value of each parameter per channel (site names ``sat_<param>``)."""
        return _sample_all("sat", self.priors, n_channels)

    def apply(self, a: Array, p: dict[str, Array]) -> Array:
        """Saturate adstocked media ``a`` (..., C) with parameters broadcastable to it; values in [0, 1)."""
        raise NotImplementedError

    def to_kpi_units(
        self, p: dict[str, Any], beta: Any, y_scale: float, x_scale: float
    ) -> dict[str, Any]:
        """Curve parameters in KPI and spend units, in the ``truth`` format of the simulator.

        ``p`` and ``beta`` may be floats (posterior means) or arrays (one value per draw)."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"type": self.name, "priors": {k: v.to_dict() for k, v in self.priors.items()}}


@dataclass(frozen=True)
class HillSaturation(Saturation):
    """a^s / (a^s + K^s): half saturation K (scaled media units) and slope s."""

    name: ClassVar[str] = "hill"

    @classmethod
    def default_priors(cls) -> dict[str, Prior]:
        return {
            "half_saturation": Prior("LogNormal", {"loc": 0.0, "scale": 0.5}),
            "slope": Prior("LogNormal", {"loc": 0.3, "scale": 0.3}),
        }

    def apply(self, a: Array, p: dict[str, Array]) -> Array:
        xp = transforms.xp_of(a, *p.values())
        # the 1e-12 floor keeps log(a) finite in float32 (and NUTS gradients free of NaN) at a = 0
        v = transforms.hill(xp.maximum(a, 1e-12), p["half_saturation"], p["slope"])
        return xp.where(a > 0, v, 0.0)

    def to_kpi_units(
        self, p: dict[str, Any], beta: Any, y_scale: float, x_scale: float
    ) -> dict[str, Any]:
        return {
            "type": "hill",
            "beta": beta * y_scale,
            "half_saturation": p["half_saturation"] * x_scale,
            "slope": p["slope"],
        }


@dataclass(frozen=True)
class LogisticSaturation(Saturation):
    """(1 - e^{-λa}) / (1 + e^{-λa}) with rate λ per scaled media unit."""

    name: ClassVar[str] = "logistic"

    @classmethod
    def default_priors(cls) -> dict[str, Prior]:
        return {"lam": Prior("Gamma", {"concentration": 3.0, "rate": 2.0})}

    def apply(self, a: Array, p: dict[str, Array]) -> Array:
        return transforms.logistic(a, p["lam"])

    def to_kpi_units(
        self, p: dict[str, Any], beta: Any, y_scale: float, x_scale: float
    ) -> dict[str, Any]:
        return {"type": "logistic", "beta": beta * y_scale, "lam": p["lam"] / x_scale}


_ADSTOCKS: dict[str, type[Adstock]] = {}
_SATURATIONS: dict[str, type[Saturation]] = {}


def register_adstock(cls: type[Adstock]) -> type[Adstock]:
    """Make an adstock class available by its ``name``."""
    _ADSTOCKS[cls.name] = cls
    return cls


def register_saturation(cls: type[Saturation]) -> type[Saturation]:
    """Make a saturation class available by its ``name``."""
    _SATURATIONS[cls.name] = cls
    return cls


for _a in (GeometricAdstock, DelayedAdstock, WeibullAdstock):
    register_adstock(_a)
for _s in (HillSaturation, LogisticSaturation):
    register_saturation(_s)


def _priors_from(d: dict[str, Any] | None) -> dict[str, Prior]:
    return {k: v if isinstance(v, Prior) else Prior.from_dict(v) for k, v in (d or {}).items()}


def make_adstock(name: str, l_max: int = 8, priors: dict[str, Any] | None = None) -> Adstock:
    """Build a registered adstock by name (``geometric``, ``delayed``, ``weibull``)."""
    if name not in _ADSTOCKS:
        raise ConfigError(f"adstock {name!r} is unknown", [f"use one of {sorted(_ADSTOCKS)}"])
    return _ADSTOCKS[name](l_max=l_max, priors=_priors_from(priors))


def make_saturation(name: str, priors: dict[str, Any] | None = None) -> Saturation:
    """Build a registered saturation by name (``hill``, ``logistic``)."""
    if name not in _SATURATIONS:
        raise ConfigError(f"saturation {name!r} is unknown", [f"use one of {sorted(_SATURATIONS)}"])
    return _SATURATIONS[name](priors=_priors_from(priors))


def adstock_names() -> list[str]:
    """Registered adstock names."""
    return sorted(_ADSTOCKS)


def saturation_names() -> list[str]:
    """Registered saturation names."""
    return sorted(_SATURATIONS)


SampleFn = Callable[[int], dict[str, Array]]
