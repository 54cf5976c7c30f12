import numpy as np
import pytest

from omnimix.errors import ConfigError, InfeasibleError
from omnimix.optimize import ChannelBound, Constraints, Group, ResponseCurves, optimize_budget
from omnimix.optimize.constraints import resolve


@pytest.fixture
def curves() -> ResponseCurves:
    return ResponseCurves.from_params(
        ["facebook", "tiktok", "search", "tv"],
        "hill",
        beta=[100.0, 80.0, 120.0, 150.0],
        half_saturation=[50.0, 40.0, 60.0, 90.0],
        current_spend=[60.0, 30.0, 50.0, 100.0],
    )


def test_reserve_and_bounds(curves: ResponseCurves) -> None:
    rc = resolve(
        curves,
        Constraints(
            budget=1000,
            bounds={
                "tv": ChannelBound(min_change=-0.3, max_change=0.5),
                "search": ChannelBound(min=20, max=400),
            },
            locked={"facebook": None},
        ),
    )
    assert rc.reserve == pytest.approx(100.0) and rc.allocatable == pytest.approx(900.0)
    np.testing.assert_allclose(rc.lower, [60.0, 0.0, 20.0, 70.0])
    np.testing.assert_allclose(rc.upper, [60.0, 900.0, 400.0, 150.0])
    assert rc.locked.tolist() == [True, False, False, False]


def test_sum_of_minimums_above_budget_names_them(curves: ResponseCurves) -> None:
    spec = Constraints(budget=200, bounds={"search": ChannelBound(min=100)}, locked={"tv": 120.0})
    with pytest.raises(InfeasibleError) as err:
        optimize_budget(curves, spec)
    msg = str(err.value)
    assert "search min 100" in msg and "tv locked at 120" in msg and "180" in msg and "10% reserve" in msg


def test_group_cap_below_locked_spend_names_group(curves: ResponseCurves) -> None:
    spec = Constraints(
        budget=1000,
        locked={"facebook": 300.0},
        bounds={"tiktok": ChannelBound(min=200)},
        groups=[Group("social", ("facebook", "tiktok"), max_share=0.4)],
    )
    with pytest.raises(InfeasibleError) as err:
        resolve(curves, spec)
    msg = str(err.value)
    assert "group social" in msg and "cap 40%" in msg and "360" in msg and "500" in msg
    assert "facebook locked at 300" in msg and "tiktok min 200" in msg


def test_min_above_max_and_group_floor(curves: ResponseCurves) -> None:
    spec = Constraints(
        budget=1000,
        bounds={"tv": ChannelBound(min=500, max_change=0.2)},
        groups=[Group("social", ("facebook", "tiktok"), min=400, max=300)],
    )
    with pytest.raises(InfeasibleError) as err:
        resolve(curves, spec)
    msg = str(err.value)
    assert "channel tv: min 500 is above max 120" in msg
    assert "group social: floor 400 is above its cap 300" in msg


def test_config_errors(curves: ResponseCurves) -> None:
    with pytest.raises(ConfigError, match="unknown channels"):
        resolve(curves, Constraints(budget=10, locked={"radio": None}))
    with pytest.raises(ConfigError, match="must not overlap"):
        resolve(curves, Constraints(budget=10, groups=[Group("a", ("tv",)), Group("b", ("tv", "search"))]))
    with pytest.raises(ConfigError, match="reserve"):
        Constraints(budget=10, reserve=1.5)
