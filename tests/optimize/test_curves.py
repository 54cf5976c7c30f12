import json

import numpy as np
import pytest

from omnimix.curves import (
    ResponseCurves,
    curves_from_dict,
    curves_from_posterior,
    curves_from_truth,
    load_curves,
)
from omnimix.errors import ConfigError, InputDataError


def test_hill_golden_values() -> None:
    c = ResponseCurves.from_params(["a"], "hill", beta=10.0, half_saturation=4.0, slope=2.0)
    # at K the response is beta/2; at 2K it is beta * 4/5
    assert c.response(np.array([4.0]))[0] == pytest.approx(5.0)
    assert c.response(np.array([8.0]))[0] == pytest.approx(8.0)
    # derivative beta*s*x^(s-1)K^s/(x^s+K^s)^2 at x=K: 10*2*4*16/(32^2) = 1.25
    assert c.response(np.array([4.0]), order=1)[0] == pytest.approx(1.25)
    # S-shape: zero slope at zero, positive curvature below the inflection K((s-1)/(s+1))^(1/s)
    assert c.response(np.array([0.0]), order=1)[0] == 0.0
    infl = 4.0 * (1 / 3) ** 0.5
    assert c.response(np.array([infl * 0.9]), order=2)[0] > 0
    assert c.response(np.array([infl * 1.1]), order=2)[0] < 0


def test_logistic_golden_values() -> None:
    c = ResponseCurves.from_params(["a"], "logistic", beta=3.0, lam=0.5)
    x = 2.0
    e = np.exp(-1.0)
    assert c.response(np.array([x]))[0] == pytest.approx(3 * (1 - e) / (1 + e))
    assert c.response(np.array([0.0]), order=1)[0] == pytest.approx(3 * 0.5 / 2)


@pytest.mark.parametrize("order", [1, 2])
def test_derivatives_match_finite_differences(order: int) -> None:
    rng = np.random.default_rng(1)
    c = ResponseCurves.from_params(
        ["h1", "h2", "l"],
        ["hill", "hill", "logistic"],
        beta=rng.uniform(1, 5, (7, 3)),
        half_saturation=rng.uniform(1, 3, (7, 3)),
        slope=rng.uniform(0.6, 3.0, (7, 3)),
        lam=rng.uniform(0.2, 1.0, (7, 3)),
    )
    x = np.array([1.3, 2.1, 0.7])
    h = 1e-5
    num = (c.draws(x + h, order=order - 1) - c.draws(x - h, order=order - 1)) / (2 * h)
    np.testing.assert_allclose(c.draws(x, order=order), num, rtol=1e-5, atol=1e-8)


def test_draws_shape_and_mean() -> None:
    c = ResponseCurves.from_params(
        ["a", "b"], "hill", beta=np.array([[1.0, 2.0], [3.0, 4.0]]), half_saturation=1.0
    )
    d = c.draws(np.array([1.0, 1.0]))
    assert d.shape == (2, 2)
    np.testing.assert_allclose(d, [[0.5, 1.0], [1.5, 2.0]])
    np.testing.assert_allclose(c.response(np.array([1.0, 1.0])), [1.0, 1.5])
    assert c.draws(np.linspace(0, 1, 5), channel=1).shape == (2, 5)


def test_curves_file_roundtrip_and_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    doc = {
        "channels": {
            "tv": {
                "type": "hill",
                "beta": 100,
                "half_saturation": 50,
                "slope": 2,
                "current_spend": 40,
                "max": 90,
            },
            "search": {"type": "logistic", "beta": 80, "lam": 0.02, "current_spend": 30, "min": 5},
        }
    }
    p = tmp_path / "c.json"
    p.write_text(json.dumps(doc))
    c = load_curves(p)
    assert c.channels == ("tv", "search")
    assert c.bounds == ((None, 90.0), (5.0, None))
    assert c.current_spend.tolist() == [40.0, 30.0]
    assert curves_from_dict(c.to_dict()).to_dict() == c.to_dict()
    bad = {"channels": {"tv": {"type": "hill", "beta": 1}, "x": {"type": "weibull"}}}
    with pytest.raises(InputDataError) as err:
        curves_from_dict(bad)
    msg = str(err.value)
    assert "channels.tv.half_saturation: missing" in msg and "channels.x.type" in msg
    with pytest.raises(InputDataError, match="not valid JSON"):
        (tmp_path / "bad.json").write_text("{")
        load_curves(tmp_path / "bad.json")
    with pytest.raises(InputDataError, match="half_saturation"):
        curves_from_dict({"channels": {"tv": {"type": "hill", "beta": 1, "half_saturation": -1}}})


def test_curves_from_truth_and_posterior(tmp_path) -> None:  # type: ignore[no-untyped-def]
    truth = {
        "weeks": 104,
        "channels": {
            "tv": {
                "saturation": {"type": "hill", "beta": 500.0, "half_saturation": 2000.0, "slope": 2.0},
                "adstock": {"type": "geometric", "alpha": 0.5, "l_max": 8},
                "current_weekly_spend": 1800.0,
            },
            "search": {
                "saturation": {"type": "logistic", "beta": 300.0, "lam": 0.001},
                "adstock": {"type": "geometric", "alpha": 0.1, "l_max": 2},
                "current_weekly_spend": 900.0,
            },
        },
    }
    (tmp_path / "media.json").write_text(json.dumps(truth))
    c = curves_from_truth(tmp_path)
    assert c.kinds == ("hill", "logistic")
    assert c.current_spend.tolist() == [1800.0, 900.0]
    assert c.response(np.array([2000.0, 0.0]))[0] == pytest.approx(250.0)
    post = curves_from_posterior(
        ["a", "b"],
        "hill",
        {"beta": np.ones((2, 50, 2)), "half_saturation": np.full((2, 50, 2), 3.0)},
        max_draws=30,
    )
    assert post.n_draws == 30 and post.beta.shape == (30, 2)
    with pytest.raises(ConfigError):
        curves_from_posterior(["a"], "hill", {"slope": np.ones((3, 1))})
