"""Alert rules from ``[[monitor.rules]]`` in omnimix.toml.

A rule names a series (``metric``, optional ``channel``; no channel = the all-channel series) and:

* ``band = true`` (default): the detector's alerts on that series take the rule's ``severity`` and
  go to ``who``; ``band = false`` mutes them (threshold only);
* ``above`` / ``below``: a fixed threshold; every monitored day beyond it is an alert (consecutive
  days are one alert, dated on the first);
* ``who``: webhook names from ``[[monitor.webhooks]]`` or e-mail addresses.

Series without a rule are still monitored; their alerts keep the detector's severity and go to
nobody (they are listed by ``omnimix monitor`` and ``omnimix alerts list``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd

from omnimix.config import MonitorRule
from omnimix.errors import ConfigError
from omnimix.metrics import METRICS
from omnimix.monitor.alerts import Alert


def check_rules(rules: Sequence[MonitorRule], webhooks: Sequence[str]) -> None:
    """Raise :class:`ConfigError` naming each rule with an unknown metric or recipient."""
    problems = []
    for i, r in enumerate(rules, 1):
        if r.metric not in METRICS:
            problems.append(f"[[monitor.rules]] #{i}: unknown metric {r.metric!r}; known: {', '.join(METRICS)}")
        for w in r.who:
            if "@" not in w and w not in webhooks:
                problems.append(f"[[monitor.rules]] #{i}: who {w!r} is neither an e-mail address nor a "
                                f"[[monitor.webhooks]] name ({', '.join(webhooks) or 'none defined'})")
    if problems:
        raise ConfigError("omnimix.toml [monitor] is invalid:", problems)


def _match(rule: MonitorRule, a: Alert) -> bool:
    return a.metric == rule.metric and (rule.channel or None) == a.channel


def apply_rules(alerts: list[Alert], rules: Sequence[MonitorRule]) -> list[Alert]:
    """Severity and recipients from the first matching rule; alerts of muted series are dropped."""
    out = []
    for a in alerts:
        rule = next((r for r in rules if _match(r, a)), None)
        if rule is None:
            out.append(a)
        elif a.kind != "anomaly" or rule.band or a.message.startswith("rule:"):
            out.append(replace(a, severity=rule.severity, who=tuple(rule.who)))
    return out


def threshold_alerts(rules: Sequence[MonitorRule], total: pd.DataFrame, per_channel: pd.DataFrame | None,
                     since: date) -> list[Alert]:
    """Alerts for the days since ``since`` on which a rule's series is above/below its threshold."""
    out: list[Alert] = []
    for r in rules:
        if r.above is None and r.below is None:
            continue
        if r.channel:
            if per_channel is None or r.metric not in per_channel:
                continue
            f = per_channel[per_channel["channel"] == r.channel]
        else:
            f = total
        if r.metric not in f:
            continue
        f = f[pd.to_datetime(f["period"]).dt.date >= since]
        v = f[r.metric].to_numpy(dtype=float)
        days = pd.to_datetime(f["period"]).dt.date.to_numpy()
        for bound, cmp, word in ((r.above, np.greater, "above"), (r.below, np.less, "below")):
            if bound is None:
                continue
            with np.errstate(invalid="ignore"):
                hit = cmp(v, bound) & np.isfinite(v)
            prev = False
            for k, h in enumerate(hit):
                if h and not prev:
                    where = f" ({r.channel})" if r.channel else ""
                    out.append(Alert("anomaly", r.metric, r.channel, days[k].isoformat(), float(v[k]), None,
                                     r.below, r.above, r.severity,
                                     f"rule: {METRICS[r.metric].en}{where} {v[k]:,.4g} on {days[k].isoformat()} "
                                     f"is {word} the threshold {bound:,.4g}", who=tuple(r.who),
                                     detail={"code": "rule_" + word, "bound": float(bound)}))
                prev = bool(h)
    return out
