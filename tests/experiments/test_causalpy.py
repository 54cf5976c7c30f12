"""A published result: CausalPy's difference-in-differences example (scikit-learn ``LinearRegression``).

CausalPy's docs (``DifferenceInDifferences`` with ``formula="y ~ 1 + group*post_treatment"`` on
``causalpy.load_data("did")``) print ``Causal impact = 0.46``; the unrounded value is the interaction
coefficient of the saturated OLS. omnimix's two-way fixed-effects DiD on the same 20 units × 2
periods gives the same number (to floating-point precision), with the periods mapped to two days.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from omnimix.experiments import GeoPanel, LiftResult, analyze

DATA = Path(__file__).parent / "data" / "causalpy_did.csv"   # causalpy 0.9.0 load_data("did"), saved
CAUSAL_IMPACT = 0.4571390331688613                           # causalpy 0.9.0 ``result.causal_impact``


def _omnimix_did(df: pd.DataFrame) -> LiftResult:
    panel = GeoPanel.from_frame(
        df.assign(day=pd.Timestamp("2020-01-01") + pd.to_timedelta(df["t"], unit="D"), unit=df["unit"].astype(str)),
        geo_col="unit", date_col="day", kpi_col="y")
    treated = sorted(df.loc[df["group"] == 1, "unit"].astype(str).unique())
    return analyze(panel, "did", treated, "2020-01-02", "2020-01-02")


def test_did_example_golden() -> None:
    """Fast: the saved example data against the value CausalPy computed on it."""
    r = _omnimix_did(pd.read_csv(DATA))
    assert r.att.mean == pytest.approx(CAUSAL_IMPACT, abs=1e-12)
    assert f"{r.att.mean:.2f}" == "0.46"


@pytest.mark.slow
def test_did_example_reproduced_to_its_digits() -> None:
    """Live: CausalPy (imports PyMC, ~40 s) fitted on its own shipped data."""
    cp = pytest.importorskip("causalpy")
    sklearn_lm = pytest.importorskip("sklearn.linear_model")
    df = cp.load_data("did")
    pd.testing.assert_frame_equal(df.reset_index(drop=True), pd.read_csv(DATA), check_dtype=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = cp.DifferenceInDifferences(df, formula="y ~ 1 + group*post_treatment", time_variable_name="t",
                                         group_variable_name="group",
                                         model=sklearn_lm.LinearRegression(fit_intercept=False))
    expected = float(ref.causal_impact)
    assert f"{expected:.2f}" == "0.46"            # what the example prints
    assert expected == pytest.approx(CAUSAL_IMPACT, abs=1e-12)
    r = _omnimix_did(df)
    assert r.att.mean == pytest.approx(expected, abs=1e-12)
    assert f"{r.att.mean:.2f}" == "0.46"
    assert r.att.lo <= r.att.mean <= r.att.hi
