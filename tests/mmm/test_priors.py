"""Unit-free priors, the prior predictive media share, the prior–data conflict gate and the health score."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import beta as beta_dist

from omnimix.mmm.checks import Check, health_score, prior_data_conflict
from omnimix.mmm.data import from_frame
from omnimix.mmm.model import MMM, MMMConfig

from .example_world import example_world

VARIANTS = ("as drawn", "spend x 1e-3", "spend x 1e3", "spend min-max", "kpi x 1e-3")


def _variant(df: pd.DataFrame, name: str) -> pd.DataFrame:
    d = df.copy()
    if name == "spend x 1e-3":
        d[["x1", "x2"]] *= 1e-3
    elif name == "spend x 1e3":
        d[["x1", "x2"]] *= 1e3
    elif name == "spend min-max":
        for c in ("x1", "x2"):
            d[c] = (d[c] - d[c].min()) / (d[c].max() - d[c].min())
    elif name == "kpi x 1e-3":
        d["y"] *= 1e-3
    return d


def _data(df: pd.DataFrame):
    return from_frame(df, date_col="date", kpi_col="y", channels=["x1", "x2"], controls=["event_1", "event_2"])


def _shares(fit) -> dict[str, float]:
    ch = fit.summary(marginal=False)["channels"]
    out = {c: v["share"]["mean"] for c, v in ch.items()}
    out["media"] = sum(out.values())
    return out


@pytest.fixture(scope="module")
def world():
    return example_world(seed=0)


def test_unit_invariance_of_the_default_prior(world) -> None:
    """Spend x 1e-3, x 1e3, min-max to [0, 1] and KPI x 1e-3: shares move by at most 3 points."""
    df, truth = world
    shares = {v: _shares(MMM().fit(_data(_variant(df, v)), mode="map", seed=0)) for v in VARIANTS}
    ref = shares["as drawn"]
    for v, s in shares.items():
        for k in ("x1", "x2", "media"):
            assert abs(s[k] - ref[k]) <= 0.03, (v, k, s[k], ref[k])
    # pure unit changes leave the model exactly the same (up to float32 rounding)
    for v in ("spend x 1e-3", "spend x 1e3", "kpi x 1e-3"):
        assert shares[v]["media"] == pytest.approx(ref["media"], abs=2e-3), v
    # and the default recovers the truth's order of magnitude (issue: 0.02% where the truth is ~30%)
    assert 0.5 * truth["media"] < ref["media"] < 1.5 * truth["media"]


def test_roi_prior_in_the_wrong_units_fails_with_a_conflict(world) -> None:
    """The issue's finding: revenue KPI, spend in [0, 1], ROI prior → ROI ~ 2,000 per spend unit.

    The fit must not pass with media at ~0% of the KPI: the conflict gate fails it and names the fix.
    """
    df, truth = world
    data = _data(_variant(df, "spend min-max"))
    fit = MMM(MMMConfig(prior="roi", kpi_type="revenue")).fit(data, mode="map", seed=0)
    d = fit.diagnostics
    media = _shares(fit)["media"]
    assert media < 0.1 * truth["media"]  # the ROI prior holds media near zero ...
    assert not d.passed  # ... and review says so
    assert any(r.startswith("prior–data conflict") for r in d.reasons), d.reasons
    assert any("units of spend and KPI" in t for t in d.suggestions)
    status = d.details["channel_status"]
    assert {c: status[c]["status"] for c in ("x1", "x2")} == {"x1": "conflict", "x2": "conflict"}
    check = {c["name"]: c for c in d.checks}
    assert check["prior_data_conflict"]["passed"] is False and check["prior_data_conflict"]["value"] >= 2
    assert d.health is not None and d.health <= 49
    total = next(x for x in d.details["conflict"] if x["name"] == "media total")
    assert abs(total["flat"] - truth["media"]) < 0.1  # the likelihood alone knows where media are


@pytest.mark.parametrize("media_scale", [0.06, 14.0])
def test_truth_in_the_default_priors_tail_recovers_or_fails(media_scale: float) -> None:
    """Truth at ~2% or ~85% media share (beyond the default Beta(2, 3) prior's 2% / 97% quantiles)."""
    df, truth = example_world(seed=1, media_scale=media_scale)
    tail = beta_dist(2, 3).cdf(truth["media"])
    assert tail < 0.02 or tail > 0.97
    fit = MMM().fit(_data(df), mode="map", seed=0)
    media = _shares(fit)["media"]
    d = fit.diagnostics
    if d.passed:
        assert abs(media - truth["media"]) <= 0.05, (media, truth["media"])
    else:
        assert d.reasons and d.suggestions
    ratio = media / truth["media"]
    assert not (d.passed and (ratio > 10 or ratio < 0.1))


def test_prior_predictive_media_share_is_meridians_default(world) -> None:
    df, _ = world
    fit = MMM().fit(_data(df), mode="map", seed=0)
    pp = fit.summary(marginal=False)["prior_predictive"]
    assert pp["prior"] == "share"
    ms = pp["media_share"]
    assert ms["mean"] == pytest.approx(0.4, abs=0.03)
    assert ms["lo"] == pytest.approx(beta_dist(2, 3).ppf(0.05), abs=0.03)
    assert ms["hi"] == pytest.approx(beta_dist(2, 3).ppf(0.95), abs=0.03)
    # the channels' prior shares add up to the total's and follow ½ spend share + ½ equal
    ch = pp["channels"]
    assert ch["x1"]["mean"] + ch["x2"]["mean"] == pytest.approx(ms["mean"], rel=1e-6)
    spend = df[["x1", "x2"]].sum()
    want = 0.4 * (0.5 * spend["x1"] / spend.sum() + 0.25)
    assert ch["x1"]["mean"] == pytest.approx(want, abs=0.03)


def test_conflict_rule_on_golden_draws() -> None:
    rng = np.random.default_rng(0)
    prior = np.exp(rng.normal(0.2, 0.9, (4000, 3)))  # the ROI prior
    post = np.column_stack([
        np.exp(rng.normal(0.3, 0.2, 4000)),  # data and prior agree
        np.exp(rng.normal(0.2, 0.9, 4000)),  # posterior = prior; likelihood elsewhere (wrong units)
        np.exp(rng.normal(2.2, 0.1, 4000)),  # pressed into the prior's right tail
    ])
    flat = np.array([1.4, 2000.0, 30.0])
    out, sig = prior_data_conflict(["a", "b", "c"], prior, post, flat, gain=50.0, n_params=3)
    assert sig and [x.conflict for x in out] == [False, True, True]
    assert out[2].prior_rank > 0.95
    # a likelihood that does not prefer the profile is no conflict (weakly identified, not conflicting)
    out, sig = prior_data_conflict(["a", "b", "c"], prior, post, flat, gain=2.0, n_params=3)
    assert not sig and not any(x.conflict for x in out)
    # the profile inside the posterior interval is no conflict either
    out, _ = prior_data_conflict(["b"], prior[:, 1:2], post[:, 1:2], np.array([1.5]), 50.0, 1)
    assert not out[0].conflict


def test_health_score_formula() -> None:
    gate_ok = Check("g", 1.0, "", True, "", "gate")
    gate_bad = Check("g2", 0.0, "", False, "", "gate")
    rev_ok = Check("r", 1.0, "", True, "", "review")
    rev_bad = Check("r2", 0.0, "", False, "", "review")
    na = Check("n", None, "", False, "", "gate")  # does not apply: left out
    assert health_score([gate_ok, rev_ok, na]) == 100
    assert health_score([gate_ok, rev_ok, rev_bad]) == 80  # 100 * 4 / 5
    assert health_score([gate_ok, gate_ok, rev_bad]) == round(100 * 6 / 7)
    assert health_score([gate_ok, gate_bad, rev_ok]) == 49  # 100 * 4 / 7 = 57, capped: a gate failed
    assert health_score([]) == 100


@pytest.mark.slow
def test_unit_invariance_and_conflict_gate_under_nuts(world) -> None:
    """The same acceptance with the full posterior (short NUTS): shares within 3 points, conflict fails."""
    df, _ = world
    cfg = MMMConfig(chains=2, warmup=400, samples=400)
    shares = {v: _shares(MMM(cfg).fit(_data(_variant(df, v)), mode="nuts", seed=0))
              for v in ("as drawn", "spend min-max", "kpi x 1e-3")}
    ref = shares["as drawn"]
    for v, s in shares.items():
        for k in ("x1", "x2", "media"):
            assert abs(s[k] - ref[k]) <= 0.03, (v, k, s[k], ref[k])
    roi = MMMConfig(prior="roi", kpi_type="revenue", chains=2, warmup=400, samples=400)
    fit = MMM(roi).fit(_data(_variant(df, "spend min-max")), mode="nuts", seed=0)
    assert not fit.diagnostics.passed
    assert any(r.startswith("prior–data conflict") for r in fit.diagnostics.reasons)
