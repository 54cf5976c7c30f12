"""The per-channel decision: scale, hold, cut or test, and its reason in zh-CN and en.

The rule (``threshold`` τ and the interval level from ``[review]``):

* the MMM has no fit, its fit failed review, or the channel is not in it → **test** (nothing measures it);
* the whole marginal-ROI interval lies above τ → **scale** (the next unit of spend returns more than τ);
* the whole interval lies below τ → **cut**, however weakly the channel's ROI is identified — the data
  already rule the threshold out;
* the interval straddles τ: **test** when the channel is weakly identified (posterior contraction of its
  log ROI below ``min_identification``, or the MMM flagged it weak or in conflict with a lift test) —
  an experiment can settle it; otherwise **hold** (it is measured, and it is near break-even).

Pacing against the plan never changes the decision; it is part of the reason (a channel to scale that
under-delivers its budget should first spend what is planned).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

DECISIONS = ("scale", "hold", "cut", "test")


@dataclass(frozen=True)
class Decision:
    """One channel's decision and what it rests on.

    Attributes:
        channel: the channel.
        decision: ``scale``, ``hold``, ``cut`` or ``test``.
        basis: why, as a code: ``above``, ``below``, ``near_identified``, ``near_weak``, ``no_model``,
            ``failed_fit``, ``not_in_model``.
        mroi: marginal ROI ``{"mean", "lo", "hi"}`` at the period's spend (None without a model).
        threshold: τ; level: the interval's level.
        identification: posterior contraction of the channel's log ROI (None when unknown).
        status: the MMM's channel status (``ok``, ``weak``, ``conflict``) or None.
        weekly_spend: the period's spend per week.
        pacing: ``{"plan", "actual", "pace", "status"}`` against the plan or budget (None without one).
        note: extra detail (the fit's failure reasons).
    """

    channel: str
    decision: str
    basis: str
    mroi: dict[str, float] | None
    threshold: float
    level: float
    identification: float | None
    status: str | None
    weekly_spend: float
    pacing: dict[str, Any] | None = None
    note: str = ""

    def reason(self, lang: str = "en") -> str:
        """The reason in ``en`` or ``zh-CN``."""
        zh = lang == "zh-CN"
        parts = [_basis(self, zh)]
        ident = _ident(self, zh)
        if ident:
            parts.append(ident)
        pace = _pacing(self, zh)
        if pace:
            parts.append(pace)
        return ("；" if zh else "; ").join(parts) + ("。" if zh else ".")

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        """The CLI contract's entry: ``{"decision", "reason", "mroi"}``."""
        return {"decision": self.decision, "reason": self.reason(lang), "mroi": self.mroi}

    def record(self) -> dict[str, Any]:
        """Everything, with the reason in both languages (report, dashboard, history)."""
        return {"channel": self.channel, "decision": self.decision, "basis": self.basis, "mroi": self.mroi,
                "threshold": self.threshold, "level": self.level, "identification": self.identification,
                "status": self.status, "weekly_spend": self.weekly_spend, "pacing": self.pacing,
                "reason_en": self.reason("en"), "reason_zh": self.reason("zh-CN")}


def _f(x: float) -> str:
    return f"{x:,.2f}"


def _basis(d: Decision, zh: bool) -> str:
    m, t, lv = d.mroi, d.threshold, f"{d.level:.0%}"
    if d.basis == "no_model":
        return ("尚无通过审查的营销组合模型（MMM）衡量该渠道，先做增量实验或拟合模型" if zh else
                "no marketing mix model measures this channel yet: run a lift test or fit the MMM")
    if d.basis == "failed_fit":
        return (f"最新的 MMM 未通过审查（{d.note}），其边际ROI不可用于决策，先做增量实验并重新拟合" if zh else
                f"the latest MMM failed review ({d.note}), so its marginal ROI cannot carry a decision: "
                "run a lift test and refit")
    if d.basis == "not_in_model":
        return ("该渠道有花费但不在 MMM 中，没有边际ROI，先做增量实验并在重建模型时纳入" if zh else
                "the channel spends but is not in the MMM, so it has no marginal ROI: run a lift test and "
                "include it when the model is rebuilt")
    assert m is not None
    iv = f"{_f(m['mean'])}（{lv}区间 {_f(m['lo'])}–{_f(m['hi'])}）" if zh else \
        f"{_f(m['mean'])} ({lv} interval {_f(m['lo'])}–{_f(m['hi'])})"
    if d.basis == "above":
        return (f"边际ROI {iv}整体高于阈值 {_f(t)}：追加投入的回报仍高于门槛，应加投" if zh else
                f"marginal ROI {iv} lies wholly above the threshold {_f(t)}: the next unit of spend still "
                "returns more than the threshold, so scale")
    if d.basis == "below":
        return (f"边际ROI {iv}整体低于阈值 {_f(t)}：最后一部分投入的回报低于门槛，应削减" if zh else
                f"marginal ROI {iv} lies wholly below the threshold {_f(t)}: the last unit of spend returns "
                "less than the threshold, so cut")
    if d.basis == "near_weak":
        return (f"边际ROI {iv}跨越阈值 {_f(t)}，且该渠道识别较弱：做增量实验来判定" if zh else
                f"marginal ROI {iv} straddles the threshold {_f(t)} and the channel is weakly identified: "
                "a lift test can settle it")
    return (f"边际ROI {iv}跨越阈值 {_f(t)}，但识别良好：接近盈亏平衡，维持" if zh else
            f"marginal ROI {iv} straddles the threshold {_f(t)} while the channel is well identified: it is "
            "near break-even, so hold")


def _ident(d: Decision, zh: bool) -> str:
    if d.basis in ("no_model", "failed_fit", "not_in_model"):
        return ""
    k = d.identification
    bits = []
    if k is not None and math.isfinite(k):
        share = f"{max(k, 0.0):.0%}"
        bits.append(f"数据消除了先验对数ROI方差的 {share}" if zh else
                    f"the data removed {share} of the prior's log-ROI variance")
    if d.status in ("weak", "conflict"):
        bits.append({"weak": "MMM 将其标为弱识别", "conflict": "MMM 发现其与增量实验冲突"}[d.status] if zh else
                    {"weak": "the MMM flags it weakly identified",
                     "conflict": "the MMM finds it in conflict with a lift test"}[d.status])
    return ("，".join(bits) if zh else ", ".join(bits))


def _pacing(d: Decision, zh: bool) -> str:
    p = d.pacing
    if not p or p.get("pace") is None or not math.isfinite(float(p["pace"])):
        return ""
    pace = f"{float(p['pace']):.0%}"
    src = p.get("source", "plan")
    what = ("计划" if src == "plan" else "预算") if zh else ("plan" if src == "plan" else "budget")
    text = (f"花费为{what}的 {pace}" if zh else f"spend ran at {pace} of the {what}")
    if d.decision == "scale" and p.get("status") == "under":
        text += ("，先把计划的预算花足" if zh else ", so first deliver the planned budget")
    elif d.decision == "cut" and p.get("status") == "over":
        text += ("，且已超支" if zh else ", already above it")
    return text


def decide(channel: str, *, mroi: dict[str, float] | None, threshold: float, level: float,
           identification: float | None, status: str | None, min_identification: float,
           weekly_spend: float, pacing: dict[str, Any] | None = None, basis: str | None = None,
           note: str = "") -> Decision:
    """Apply the rule of the module docstring.

    Args:
        channel: the channel.
        mroi: its marginal ROI interval at the period's spend (None: no usable model).
        threshold: τ; level: the interval's level (for the reason).
        identification: contraction of its log ROI (None: unknown, counted as weak).
        status: the MMM's channel status.
        min_identification: contraction below this is weak.
        weekly_spend: the period's spend per week.
        pacing: its pacing against the plan or budget.
        basis: force a basis without a model (``no_model``, ``failed_fit``, ``not_in_model``).
        note: detail for the reason (the fit's failure reasons).
    """
    if basis is not None or mroi is None:
        return Decision(channel, "test", basis or "no_model", None, threshold, level, identification, status,
                        weekly_spend, pacing, note)
    if mroi["lo"] > threshold:
        dec, why = "scale", "above"
    elif mroi["hi"] < threshold:
        dec, why = "cut", "below"
    else:
        weak = (identification is None or not math.isfinite(identification)
                or identification < min_identification or status in ("weak", "conflict"))
        dec, why = ("test", "near_weak") if weak else ("hold", "near_identified")
    return Decision(channel, dec, why, dict(mroi), threshold, level, identification, status, weekly_spend,
                    pacing, note)
