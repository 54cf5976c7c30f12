"""Refresh or rebuild the MMM? Meridian's and Robyn's guidance, applied to the workspace.

* **refresh** (refit the same model on the longer data, ``omnimix mmm fit`` with the saved settings —
  the scheduler's ``refit`` job): quarterly, or on the budget cycle — when ``refresh_weeks`` or more
  weeks of new data lie after the fit's last week, or the review period ends a quarter;
* **rebuild** (revisit the model: channels, priors, settings): when most of the data is new (more new
  weeks than the fit saw), when the variables changed (a channel now spending is not in the model, or a
  modelled channel stopped), or when the fit failed review;
* **fit**: there is no fit yet; **keep**: the fit is recent and covers the period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from omnimix.review.period import Period


@dataclass(frozen=True)
class Advice:
    """The advice: ``action`` (``fit``, ``keep``, ``refresh``, ``rebuild``) and its reasons as codes with
    parameters (rendered in either language by :meth:`text`)."""

    action: str
    reasons: tuple[tuple[str, dict[str, Any]], ...] = field(default=())
    new_weeks: int = 0
    fit_weeks: int = 0
    fit_end: str | None = None

    def text(self, lang: str = "en") -> list[str]:
        """One sentence per reason."""
        zh = lang == "zh-CN"
        return [_TEXT[code][1 if zh else 0].format(**params) for code, params in self.reasons]

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        return {"action": self.action, "reasons": self.text(lang), "new_weeks": self.new_weeks,
                "fit_weeks": self.fit_weeks, "fit_end": self.fit_end}


_TEXT: dict[str, tuple[str, str]] = {
    "no_fit": ("no MMM fit yet: fit one with `omnimix mmm fit --workspace DIR` (two years of weekly data are ideal)",
               "还没有 MMM：用 `omnimix mmm fit --workspace DIR` 拟合一个（最好有两年的周数据）"),
    "failed": ("the latest fit failed review ({reasons}): rebuild it (priors, channels, settings) before it "
               "guides budgets", "最新的拟合未通过审查（{reasons}）：先重建模型（先验、渠道、设置），再用于预算"),
    "new_channels": ("channels spend that the model does not have ({channels}): the variables changed, rebuild",
                     "有渠道在花费但不在模型中（{channels}）：变量已变，需要重建"),
    "gone_channels": ("modelled channels no longer spend ({channels}): the variables changed, rebuild",
                      "模型中的渠道已停止花费（{channels}）：变量已变，需要重建"),
    "mostly_new": ("{new} of {total} weeks of data are newer than the fit: most of the data is new, rebuild "
                   "rather than refresh", "{total} 周数据中有 {new} 周晚于拟合：大部分数据是新的，应重建而非刷新"),
    "quarter": ("{new} weeks of new data since the fit (≥ {weeks}): refresh it (quarterly cadence)",
                "拟合后新增 {new} 周数据（≥ {weeks}）：按季度节奏刷新模型"),
    "cycle": ("the period ends a quarter, the budget cycle: refresh before the next quarter's budget",
              "本期是季度末，即预算周期：在下季度预算前刷新模型"),
    "behind": ("the fit's data end on {end}, before the period ends ({period_end}): refresh to explain this "
               "period", "拟合数据止于 {end}，早于本期结束（{period_end}）：刷新后才能解释本期"),
    "keep": ("the fit covers the period and is {new} week(s) behind the data: keep it; refresh by {due}",
             "拟合覆盖本期，仅落后数据 {new} 周：保持；在 {due} 前刷新"),
}


def advise(*, has_fit: bool, passed: bool, reasons: list[str], fit_channels: tuple[str, ...],
           spending: list[str], fit_first: date | None, fit_last: date | None, data_last: date,
           period: Period, refresh_weeks: int) -> Advice:
    """The advice of the module docstring.

    Args:
        has_fit: whether a fit exists; passed, reasons: its review verdict.
        fit_channels: its channels; spending: channels that spent in the last 13 weeks of data.
        fit_first, fit_last: the first and last week of its data; data_last: the last day of data.
        period: the review period; refresh_weeks: weeks of new data that call for a refresh.
    """
    if not has_fit or fit_last is None or fit_first is None:
        return Advice("fit", (("no_fit", {}),))
    new = max(0, (data_last - (fit_last + timedelta(days=6))).days // 7)
    total = (data_last - fit_first).days // 7 + 1
    base: dict[str, Any] = {"new_weeks": new, "fit_weeks": total - new, "fit_end": fit_last.isoformat()}
    rebuild: list[tuple[str, dict[str, Any]]] = []
    if not passed:
        rebuild.append(("failed", {"reasons": "; ".join(reasons) or "-"}))
    added = sorted(set(spending) - set(fit_channels))
    gone = sorted(set(fit_channels) - set(spending))
    if added:
        rebuild.append(("new_channels", {"channels": ", ".join(added)}))
    if gone:
        rebuild.append(("gone_channels", {"channels": ", ".join(gone)}))
    if new > total - new:
        rebuild.append(("mostly_new", {"new": new, "total": total}))
    if rebuild:
        return Advice("rebuild", tuple(rebuild), **base)
    refresh: list[tuple[str, dict[str, Any]]] = []
    if fit_last + timedelta(days=6) < period.end:
        refresh.append(("behind", {"end": (fit_last + timedelta(days=6)).isoformat(),
                                   "period_end": period.end.isoformat()}))
    if new >= refresh_weeks:
        refresh.append(("quarter", {"new": new, "weeks": refresh_weeks}))
    if period.end.month in (3, 6, 9, 12) and new > 0:
        refresh.append(("cycle", {}))
    if refresh:
        return Advice("refresh", tuple(refresh), **base)
    due = (fit_last + timedelta(days=7 * refresh_weeks)).isoformat()
    return Advice("keep", (("keep", {"new": new, "due": due}),), **base)
