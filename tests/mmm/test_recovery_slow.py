"""Acceptance: recovery and calibration with full NUTS on simulated ground truth (slow)."""

from __future__ import annotations

import pytest

from omnimix.mmm.model import MMM
from omnimix.simulate.media import simulate_media
from omnimix.simulate.truth import compare_to_truth, from_world

pytestmark = pytest.mark.slow


@pytest.mark.xfail(
    strict=True,
    reason="acceptance not met: 21/24 true ROIs covered (87.5%), media total error +17%/-10%/-8%; "
    "the known-curve oracle (told every true curve) reaches only 20/24 and +15%/-5%/+6% on the same "
    "worlds, so the data do not identify the target (docs/mmm.md 'Recovery')",
)
def test_recovery_three_seeds_104x8() -> None:
    hits, pairs, errors = 0, 0, []
    for seed in (0, 1, 2):
        w = simulate_media(weeks=104, seed=seed)
        fit = MMM().fit(from_world(w), mode="nuts", seed=seed)
        assert fit.diagnostics.rhat_max is not None and fit.diagnostics.rhat_max < 1.05
        score = compare_to_truth(fit, w.truth)
        hits += sum(v["covered"] for v in score["channels"].values())
        pairs += len(score["channels"])
        errors.append(score["media_total_error"])
    assert hits / pairs >= 0.9, (hits, pairs)
    assert max(abs(e) for e in errors) <= 0.10, errors


def test_calibration_shrinks_confounded_roi_error_nuts() -> None:
    w = simulate_media(weeks=104, seed=0)
    true = w.truth["channels"]["search"]["roi"]
    before = compare_to_truth(MMM().fit(from_world(w, calibrate=False), mode="nuts"), w.truth)
    after = compare_to_truth(MMM().fit(from_world(w, calibrate=True), mode="nuts"), w.truth)
    err_before = before["channels"]["search"]["rel_error"]
    err_after = after["channels"]["search"]["rel_error"]
    assert before["channels"]["search"]["roi"] > true
    assert err_after < err_before, (err_before, err_after)
