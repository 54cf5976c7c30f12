"""A workspace shaped like ``omnimix demo``'s after its MMM fit: 8 channels, posterior draws, a passed fit.

The posterior means are those of the demo's NUTS fit (seed 7, 104 weeks); the spread of the draws is
of the same order. On these curves an unguarded plan at today's budget moves most channels to almost
nothing and pours the money into search, which is the finding of issue 15.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from omnimix.curves import ResponseCurves
from omnimix.workspace import Workspace

#: channel → (beta, half_saturation, slope, current weekly spend), the demo fit's posterior means.
DEMO_MEANS: dict[str, tuple[float, float, float, float]] = {
    "display": (796.6, 312.6, 1.35, 292.38),
    "douyin": (8197.0, 1728.2, 1.44, 2410.50),
    "events": (432.1, 200.2, 1.31, 124.45),
    "kol": (1128.8, 640.3, 1.36, 623.21),
    "search": (19499.1, 3314.2, 2.21, 1639.65),
    "social": (2157.2, 876.0, 1.39, 750.78),
    "wechat": (2718.3, 848.3, 1.43, 596.69),
    "xiaohongshu": (1948.7, 578.4, 1.36, 493.66),
}


def demo_like_curves(draws: int = 200, seed: int = 0) -> ResponseCurves:
    """Posterior draws around :data:`DEMO_MEANS`."""
    rng = np.random.default_rng(seed)
    names = list(DEMO_MEANS)
    b, k, s, cur = (np.array([DEMO_MEANS[n][i] for n in names]) for i in range(4))
    return ResponseCurves.from_params(
        names, "hill",
        beta=b * rng.lognormal(-0.08, 0.4, (draws, len(names))),
        half_saturation=k * rng.lognormal(-0.02, 0.2, (draws, len(names))),
        slope=np.clip(s + rng.normal(0.0, 0.25, (draws, len(names))), 0.6, None),
        lam=np.ones((draws, len(names))),
        current_spend=cur,
    )


def demo_like_workspace(root: Path, curves: ResponseCurves | None = None,
                        status: pd.DataFrame | None = None) -> Workspace:
    """A workspace holding a passed MMM fit's tables (and ``mmm_channel_status`` when given)."""
    ws = Workspace.init(root)
    c = curves or demo_like_curves()
    frames = c.to_frames()
    ws.write("mmm_diagnostics", pd.DataFrame({"metric": ["rhat_max", "passed"], "value": [1.004, 1.0]}))
    ws.write("response_curves", frames[0])
    ws.write("response_curve_draws", frames[1])
    if status is not None:
        ws.write("mmm_channel_status", status)
    return ws
