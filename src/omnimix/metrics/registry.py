"""The KPI registry: one definition per metric (name in zh-CN and en, unit, formula, SQL).

Two kinds of metric:

* **base** metrics are sums or distinct counts read from the warehouse for one period bucket (a day,
  an ISO week starting Monday, a calendar month) and, where the metric has a channel, one channel;
* **ratio** metrics are formulas over base metrics of the same bucket (CAC = spend / new customers);
  a ratio whose denominator is zero is NaN, never infinity.

``channel_level`` says whether the metric has a per-channel value; an all-channel metric (MER,
cross-channel conversion share) is NaN in a per-channel frame.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from omnimix.taxonomy import FUNNEL_STAGES


@dataclass(frozen=True)
class Metric:
    """One KPI definition.

    Attributes:
        key: the metric's name in frames, rules and alerts (``spend``, ``cac`` …).
        en: English label.
        zh: Chinese (zh-CN) label.
        unit: ``currency``, ``count``, ``ratio`` (a multiple, e.g. ROAS 3.2) or ``share`` (0–1).
        doc: the definition in words, with the table and columns it reads.
        kind: ``base`` (read from the warehouse) or ``ratio`` (formula over base metrics).
        numerator: for a ratio, the base metric on top.
        denominator: for a ratio, the base metric below.
        channel_level: whether a per-channel value exists.
        higher_is_better: the good direction (for alert wording; None when neither).
    """

    key: str
    en: str
    zh: str
    unit: str
    doc: str
    kind: str = "base"
    numerator: str = ""
    denominator: str = ""
    channel_level: bool = True
    higher_is_better: bool | None = True


_ATTR = (" Per channel: the day's total multiplied by the channel's share of credit in "
         "`attribution_results` (default model: markov, else shapley, else data_driven, else the first "
         "stored), the dashboard's split; NaN per channel when no attribution has been stored.")

_BASE: tuple[Metric, ...] = (
    Metric("spend", "Spend", "花费", "currency",
           "sum(spend.spend) over spend.date in the bucket; per channel by spend.channel.",
           higher_is_better=None),
    Metric("impressions", "Impressions", "展示量", "count",
           "sum(spend.impressions); per channel by spend.channel."),
    Metric("clicks", "Clicks", "点击量", "count", "sum(spend.clicks); per channel by spend.channel."),
    Metric("touchpoints", "Touchpoints", "触点数", "count",
           "count(*) of touchpoints with ts in the bucket; per channel by touchpoints.channel."),
    Metric("conversions", "Conversions", "转化数", "count",
           "count(*) of conversions with ts in the bucket (purchase/order rows when any exist, else all "
           "types)." + _ATTR),
    Metric("revenue", "Revenue", "收入", "currency",
           "sum(conversions.value) with ts in the bucket (same rows as conversions)." + _ATTR),
    Metric("new_customers", "New customers", "新客数", "count",
           "people whose FIRST purchase (earliest conversion over all history, same rows as "
           "conversions) falls in the bucket; the person is conversions.customer_id, else the identity "
           "map row_customers (`omnimix resolve`), else the row's first identifier. Per channel by "
           "customers.acquisition_channel (first channel that touched the person); NULL counts under no "
           "channel."),
    Metric("attributed_new_customers", "New customers (attributed)", "新客数（按归因）", "count",
           "new_customers of the bucket (all channels); per channel the bucket's total multiplied by the "
           "channel's share of attributed conversions in `attribution_results` (as conversions), so the "
           "channels add up to the total; NaN per channel when no attribution has been stored."),
    Metric("converting_customers", "Converting customers", "转化人数", "count",
           "distinct people (as for new_customers) with a conversion in the bucket; all channels only.",
           channel_level=False),
    Metric("multi_channel_customers", "Multi-channel converters", "跨渠道转化人数", "count",
           "converting people of the bucket touched by >= 2 distinct channels between 30 days before the "
           "bucket start and the bucket end; all channels only.", channel_level=False),
)

def _stage(s: str) -> Metric:
    return Metric(f"stage_{s}", f"Funnel: {s}", f"漏斗：{s}", "count",
                  f"count(*) of touchpoints with stage = '{s}' in the bucket; per channel by touchpoints.channel.")


_STAGES: tuple[Metric, ...] = tuple(_stage(s) for s in FUNNEL_STAGES)

_RATIOS: tuple[Metric, ...] = (
    Metric("cac", "CAC", "获客成本", "currency",
           "spend / new_customers of the bucket (per channel: the channel's spend over the new customers "
           "it acquired).", kind="ratio", numerator="spend", denominator="new_customers",
           higher_is_better=False),
    Metric("attributed_cac", "CAC (attributed)", "获客成本（按归因）", "currency",
           "spend / attributed_new_customers of the bucket (per channel: the channel's spend over its share "
           "of the new customers by attributed conversions; the dashboard's CAC under a channel filter).",
           kind="ratio", numerator="spend", denominator="attributed_new_customers", higher_is_better=False),
    Metric("roas", "ROAS", "广告支出回报率", "ratio",
           "revenue / spend (per channel: attributed revenue over the channel's spend).",
           kind="ratio", numerator="revenue", denominator="spend"),
    Metric("mer", "MER", "营销效率比", "ratio",
           "all revenue / all spend of the bucket (marketing efficiency ratio); all channels only.",
           kind="ratio", numerator="revenue", denominator="spend", channel_level=False),
    Metric("cross_channel_share", "Cross-channel conversion share", "跨渠道转化占比", "share",
           "multi_channel_customers / converting_customers; all channels only.", kind="ratio",
           numerator="multi_channel_customers", denominator="converting_customers", channel_level=False),
    Metric("ctr", "CTR", "点击率", "share", "clicks / impressions.", kind="ratio",
           numerator="clicks", denominator="impressions"),
    Metric("cpc", "CPC", "单次点击成本", "currency", "spend / clicks.", kind="ratio",
           numerator="spend", denominator="clicks", higher_is_better=False),
    Metric("aov", "Average order value", "客单价", "currency", "revenue / conversions.", kind="ratio",
           numerator="revenue", denominator="conversions"),
)

METRICS: dict[str, Metric] = {m.key: m for m in (*_BASE, *_STAGES, *_RATIOS)}
"""Every metric by key, in documentation order."""

GRAINS: tuple[str, ...] = ("day", "week", "month", "range")
"""Period buckets: a day, an ISO week (Monday), a calendar month, or the whole range as one bucket."""

_STAGE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")


def stage_metric(stage: str) -> Metric:
    """The touch count of a funnel stage (``stage_<name>``), also for stages a workspace configures in
    ``[funnel] stages`` beyond the default ones.

    Raises:
        KeyError: the name is not a plain identifier (letters, digits, underscores).
    """
    key = f"stage_{stage}"
    if key in METRICS:
        return METRICS[key]
    if not _STAGE_NAME.fullmatch(stage):
        raise KeyError(f"funnel stage {stage!r} is not a plain name (letters, digits, underscores)")
    return _stage(stage)


def metric(key: str) -> Metric:
    """The definition of ``key`` (``stage_<name>`` for any configured funnel stage).

    Raises:
        KeyError: unknown metric (the message lists the known ones).
    """
    try:
        return METRICS[key]
    except KeyError:
        if key.startswith("stage_") and _STAGE_NAME.fullmatch(key.removeprefix("stage_")):
            return _stage(key.removeprefix("stage_"))
        raise KeyError(f"unknown metric {key!r}; known: {', '.join(METRICS)}") from None


def base_metrics(keys: list[str] | tuple[str, ...]) -> list[str]:
    """The base metrics ``keys`` need (themselves, or a ratio's numerator and denominator), in order."""
    out: list[str] = []
    for k in keys:
        m = metric(k)
        for b in ((m.numerator, m.denominator) if m.kind == "ratio" else (m.key,)):
            if b not in out:
                out.append(b)
    return out
