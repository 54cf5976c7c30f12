"""The simulator's ground truth meets the MMM: model data from a world, and a fit scored against truth.

* :func:`from_world` turns a :class:`~omnimix.simulate.media.MediaWorld` into the MMM's
  :class:`~omnimix.mmm.data.MMMData` (channels named as in the world, the world's controls, and its
  lift tests for calibration);
* :func:`compare_to_truth` scores a :class:`~omnimix.mmm.analysis.FittedMMM` against the world's
  ``truth`` (ROI coverage and errors, total media error).

They live here rather than in :mod:`omnimix.mmm` because they know the simulator's formats; the
simulator sits above the MMM in the layers (see docs/architecture.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from omnimix.mmm.data import Experiment, MMMData, experiments_from_frame, from_frame
from omnimix.mmm.stats import interval

if TYPE_CHECKING:
    from omnimix.mmm.analysis import FittedMMM
    from omnimix.simulate.media import MediaWorld

__all__ = ["compare_to_truth", "from_world"]


def from_world(world: MediaWorld, *, media: str = "spend", calibrate: bool = True) -> MMMData:
    """Model data from a :class:`omnimix.simulate.media.MediaWorld` (channels named as in the world).

    Args:
        world: the simulated world.
        media: ``"spend"`` or ``"impressions"`` as the media input (ROI always uses spend).
        calibrate: include the world's lift tests.
    """
    import pandas as pd

    chans = list(world.truth["channels"])
    df: pd.DataFrame = world.weekly
    frame = pd.DataFrame(
        {"week": df["week"], "kpi": df["kpi"], "price_index": df["price_index"], "promo": df["promo"]}
    )
    for c in chans:
        frame[c] = df[f"{media}_{c}"]
        frame[f"__spend_{c}"] = df[f"spend_{c}"]
    exps: tuple[Experiment, ...] = ()
    if calibrate and world.truth.get("experiments"):
        exps = experiments_from_frame(pd.DataFrame(world.truth["experiments"]), "<world experiments>")
    return from_frame(
        frame,
        date_col="week",
        kpi_col="kpi",
        channels=chans,
        controls=["price_index", "promo"],
        spend_cols=[f"__spend_{c}" for c in chans],
        experiments=exps,
        source="<world>",
    )


def compare_to_truth(fit: FittedMMM, truth: dict[str, Any]) -> dict[str, Any]:
    """Score a fit against a simulated world's ``truth`` (see :mod:`omnimix.simulate.media`).

    Returns:
        ``{"channels": {name: {"true_roi", "roi", "lo", "hi", "covered", "rel_error"}},
        "coverage": share of channels whose true ROI lies in the 90% interval,
        "media_total_error": relative error of the posterior-mean total media contribution}``.
    """
    roi = fit.roi_draws()
    out: dict[str, Any] = {}
    hits = 0
    for i, c in enumerate(fit.channels):
        t = float(truth["channels"][c]["roi"])
        iv = interval(roi[:, i])
        ok = bool(iv["lo"] <= t <= iv["hi"])
        hits += ok
        out[c] = {"true_roi": t, "roi": iv["mean"], "lo": iv["lo"], "hi": iv["hi"], "covered": ok,
                  "rel_error": abs(iv["mean"] - t) / t}  # fmt: skip
    media = float(fit.contributions.sum(axis=(1, 2)).mean())
    return {
        "channels": out,
        "coverage": hits / len(fit.channels),
        "media_total_error": media / float(truth["media_total"]) - 1.0,
    }
