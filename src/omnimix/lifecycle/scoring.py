"""Lead scoring calibrated against actual conversion, with the sales feedback fed back in.

The sample is every person's first MQL hand-off that has a lead score; the outcome is whether the
person went on to a later stage (sales accepted the lead). Two calibrations, both cross-fitted (each
person is scored by a model fitted on the other folds, so the figures are out of sample):

* ``logistic``: logistic regression on the standardised CRM score and the log-odds of the channel's
  sales acceptance rate (from the feedback of the training folds) — the feedback loop;
* ``isotonic``: a monotone step function of the score alone (pool-adjacent-violators).

The report gives the Brier score (mean squared error of the probabilities; lower is better) of the
raw score read as a probability (a 0–100 score divided by 100), of the base rate, and of the
calibrated model, with the reliability table by decile of the prediction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from omnimix.errors import UsageError
from omnimix.lifecycle.feedback import FEEDBACK, feedback_kind
from omnimix.lifecycle.stages import StageModel


def sigmoid(z: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-z))
    return out


def fit_logistic(X: np.ndarray, y: np.ndarray, l2: float = 1e-6, max_iter: int = 100) -> np.ndarray:
    """Maximum-likelihood logistic regression by Newton's method (``X`` holds the intercept column).

    A tiny ridge ``l2`` keeps a separable sample finite.
    """
    beta = np.zeros(X.shape[1])
    for _ in range(max_iter):
        p = sigmoid(X @ beta)
        g = X.T @ (y - p) - l2 * beta
        H = (X * (p * (1 - p))[:, None]).T @ X + l2 * np.eye(X.shape[1])
        step = np.linalg.solve(H, g)
        beta = beta + step
        if float(np.max(np.abs(step))) < 1e-10:
            break
    return beta


def fit_isotonic(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Non-decreasing least-squares fit of ``y`` on ``x`` (pool adjacent violators).

    Returns:
        (block start x, block value): predict with :func:`predict_isotonic`.
    """
    order = np.argsort(x, kind="mergesort")
    xs, ys = x[order], y[order].astype(float)
    starts: list[float] = []
    vals: list[float] = []
    weights: list[float] = []
    for xi, yi in zip(xs, ys, strict=True):
        if starts and xi == starts[-1]:
            vals[-1] = (vals[-1] * weights[-1] + yi) / (weights[-1] + 1)
            weights[-1] += 1
        else:
            starts.append(float(xi))
            vals.append(float(yi))
            weights.append(1.0)
        while len(vals) > 1 and vals[-2] >= vals[-1]:
            w = weights[-2] + weights[-1]
            v = (vals[-2] * weights[-2] + vals[-1] * weights[-1]) / w
            vals[-2:] = [v]
            weights[-2:] = [w]
            starts.pop()
    return np.asarray(starts), np.asarray(vals)


def predict_isotonic(model: tuple[np.ndarray, np.ndarray], x: np.ndarray) -> np.ndarray:
    starts, vals = model
    i = np.clip(np.searchsorted(starts, x, side="right") - 1, 0, len(vals) - 1)
    return np.asarray(vals[i], dtype=float)


def brier(p: np.ndarray, y: np.ndarray) -> float:
    """Mean squared difference of probabilities and 0/1 outcomes."""
    return float(np.mean((np.asarray(p, float) - np.asarray(y, float)) ** 2))


def reliability(p: np.ndarray, y: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    """Deciles of the prediction (equal counts): n, mean predicted, observed rate."""
    n = len(p)
    if n == 0:
        return []
    ranks = pd.Series(p).rank(method="first").to_numpy()
    b = np.minimum((ranks - 1) * bins // n, bins - 1).astype(int)
    out = []
    for k in range(bins):
        sel = b == k
        if sel.any():
            out.append({"decile": k + 1, "n": int(sel.sum()), "predicted": round(float(p[sel].mean()), 4),
                        "observed": round(float(y[sel].mean()), 4)})
    return out


@dataclass(frozen=True)
class ScoringResult:
    """Calibration of the lead score (out of sample) and the model fitted on every hand-off."""

    method: str
    n: int
    base_rate: float
    brier_model: float
    brier_raw: float | None
    brier_base: float
    deciles: list[dict[str, Any]]
    raw_deciles: list[dict[str, Any]]
    model: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        skill = 1 - self.brier_model / self.brier_base if self.brier_base > 0 else None
        return {"method": self.method, "n": self.n, "base_rate": round(self.base_rate, 4),
                "brier": round(self.brier_model, 5),
                "brier_raw": None if self.brier_raw is None else round(self.brier_raw, 5),
                "brier_base_rate": round(self.brier_base, 5),
                "skill": None if skill is None else round(skill, 4), "deciles": self.deciles,
                "raw_deciles": self.raw_deciles, "model": self.model}


def scoring_sample(events: pd.DataFrame, first: pd.DataFrame, channels: pd.Series,
                   model: StageModel) -> pd.DataFrame:
    """record_id, score, channel, feedback kind and outcome of each person's first scored MQL hand-off."""
    mql = events[(events["stage"] == model.mql) & events["lead_score"].notna()]
    mql = mql.sort_values("entered_at").drop_duplicates("record_id")
    k = model.index(model.mql)
    later = first.iloc[:, k + 1:].reindex(mql["record_id"])
    t = mql["entered_at"].to_numpy()
    y = later.ge(pd.Series(t, index=later.index), axis=0).any(axis=1).to_numpy()
    return pd.DataFrame({"record_id": mql["record_id"].to_numpy(), "score": mql["lead_score"].to_numpy(float),
                         "channel": mql["record_id"].map(channels).fillna("(none)").astype(str).to_numpy(),
                         "feedback": mql["feedback"].map(feedback_kind).to_numpy(), "y": y.astype(float)})


def _channel_feature(train: pd.DataFrame, strength: float = 10.0) -> tuple[dict[str, float], float]:
    judged = train[train["feedback"].isin(FEEDBACK)]
    base = float((judged["feedback"] == "accepted").mean()) if len(judged) else 0.5
    g = judged.groupby("channel")["feedback"]
    rates = ((g.apply(lambda s: (s == "accepted").sum()) + strength * base) / (g.size() + strength)).to_dict()
    base = min(max(base, 1e-6), 1 - 1e-6)
    lo = {str(c): float(np.log(min(max(r, 1e-6), 1 - 1e-6) / (1 - min(max(r, 1e-6), 1 - 1e-6))))
          for c, r in rates.items()}
    return lo, float(np.log(base / (1 - base)))


def _design(df: pd.DataFrame, mu: float, sd: float, lo: dict[str, float], base_lo: float) -> np.ndarray:
    z = (df["score"].to_numpy() - mu) / sd
    c = df["channel"].map(lambda ch: lo.get(ch, base_lo)).to_numpy(float)
    return np.column_stack([np.ones(len(df)), z, c])


def _fit_predict(train: pd.DataFrame, test: pd.DataFrame, method: str) -> tuple[np.ndarray, dict[str, Any]]:
    if method == "isotonic":
        iso = fit_isotonic(train["score"].to_numpy(), train["y"].to_numpy())
        return predict_isotonic(iso, test["score"].to_numpy()), {
            "thresholds": [round(float(v), 4) for v in iso[0]], "values": [round(float(v), 4) for v in iso[1]]}
    mu = float(train["score"].mean())
    sd = float(train["score"].std()) or 1.0
    lo, base_lo = _channel_feature(train)
    beta = fit_logistic(_design(train, mu, sd, lo, base_lo), train["y"].to_numpy())
    p = sigmoid(_design(test, mu, sd, lo, base_lo) @ beta)
    return p, {"intercept": round(float(beta[0]), 5), "score_coef_per_sd": round(float(beta[1]), 5),
               "channel_coef": round(float(beta[2]), 5), "score_mean": round(mu, 4), "score_sd": round(sd, 4),
               "channel_log_odds": {k: round(v, 4) for k, v in sorted(lo.items())}}


def calibrate(sample: pd.DataFrame, method: str = "logistic", folds: int = 5, seed: int = 0) -> ScoringResult | None:
    """Cross-fitted calibration of the lead score; None when fewer than 20 scored hand-offs or one outcome."""
    if method not in ("logistic", "isotonic"):
        raise UsageError(f"scoring method {method!r}: use 'logistic' or 'isotonic'")
    if folds < 2:
        raise UsageError(f"folds must be 2 or more, not {folds}")
    y = sample["y"].to_numpy()
    if len(sample) < 20 or y.min() == y.max():
        return None
    fold = np.random.default_rng(seed).permutation(len(sample)) % folds
    p = np.empty(len(sample))
    for f in range(folds):
        tr, te = sample[fold != f], sample[fold == f]
        p[fold == f], _ = _fit_predict(tr, te, method)
    _, final = _fit_predict(sample, sample.iloc[:0], method)
    s = sample["score"].to_numpy()
    raw: np.ndarray | None = None
    if s.min() >= 0 and s.max() <= 1:
        raw = s
    elif s.min() >= 0 and s.max() <= 100:
        raw = s / 100.0
    base = float(y.mean())
    return ScoringResult(method=method, n=len(sample), base_rate=base, brier_model=brier(p, y),
                         brier_raw=None if raw is None else brier(raw, y), brier_base=brier(np.full(len(y), base), y),
                         deciles=reliability(p, y), raw_deciles=[] if raw is None else reliability(raw, y), model=final)
