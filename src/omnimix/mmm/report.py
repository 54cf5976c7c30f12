"""The fitted MMM's one-page report, in English or Simplified Chinese (``report.html``).

:func:`write_report` renders one self-contained page (plotly.js embedded, works offline) with the
headline (currency, period, totals), spend share vs effect share, the contribution waterfall, ROI and
marginal ROI with 90% intervals, response curves with current spend marked, adstock, fit and
residuals, the health checks and the budget panel. Each channel keeps one colour in every chart.
``omnimix mmm report FIT_DIR [--lang zh-CN|en]`` and :meth:`FittedMMM.save
<omnimix.mmm.analysis.FittedMMM.save>` call it. The numbers are gathered by
:mod:`omnimix.mmm.report_data`, drawn by :mod:`omnimix.mmm.report_charts`, worded by
:mod:`omnimix.mmm.report_i18n` and laid out by ``templates/report.html``.

The budget panel shows a plan only when one is passed in: the ``mmm`` stage sits below the optimizer
and cannot call it, so the caller (``omnimix mmm report``) plans on :meth:`FittedMMM.curves` with
:mod:`omnimix.optimize` and hands the plan document over (see :func:`omnimix.mmm.workflow.report_fit`).
The functions take a :class:`~omnimix.mmm.analysis.FittedMMM` (typed ``Any`` here so that this
module does not import the results module that imports it).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from omnimix.mmm.report_charts import all_charts, channel_colours
from omnimix.mmm.report_data import collect
from omnimix.mmm.report_i18n import ReportFormatter, sig

__all__ = ["channel_labels", "figures", "find_currency", "render_report", "write_report"]

log = logging.getLogger("omnimix")

_TEMPLATES = Path(__file__).with_name("templates")


def channel_labels(channels: Sequence[str], locale: str,
                   names: Mapping[str, str] | None = None) -> dict[str, str]:
    """Display names: the channel key in English; in Chinese the taxonomy's name for the key (or for
    the key without a ``spend_`` / ``impressions_`` prefix) when there is one and it is unique."""
    if locale != "zh-CN":
        return {c: c for c in channels}
    from omnimix.taxonomy import CHANNELS

    table = {**CHANNELS, **(names or {})}
    out: dict[str, str] = {}
    for c in channels:
        key = c
        for prefix in ("spend_", "impressions_", "media_"):
            if key not in table and key.startswith(prefix):
                key = key[len(prefix):]
        out[c] = table.get(key, c)
    seen: dict[str, int] = {}
    for v in out.values():
        seen[v] = seen.get(v, 0) + 1
    return {c: (v if seen[v] == 1 else c) for c, v in out.items()}


def find_currency(path: str | Path, levels: int = 4) -> tuple[str | None, dict[str, str]]:
    """The currency and channel display names of the workspace holding ``path`` (its ``omnimix.toml``
    in ``path`` or up to ``levels`` folders above it); ``(None, {})`` outside a workspace."""
    from omnimix.config import CONFIG_FILE, load_config
    from omnimix.errors import ConfigError

    p = Path(path).resolve()
    for folder in [p, *p.parents][: levels + 1]:
        if (folder / CONFIG_FILE).is_file():
            try:
                cfg = load_config(folder)
            except ConfigError as exc:
                log.warning("report: %s is not readable (%s); currency not shown", folder / CONFIG_FILE, exc)
                return None, {}
            return cfg.workspace.currency, dict(cfg.taxonomy.channels)
    return None, {}


def figures(fit: Any, lang: str = "en", plan: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """The report's charts as plotly specs (``{"data", "layout"}``) by name: shares, waterfall, roi,
    curves, adstock, fit, residuals, decomposition (and budget with a plan)."""
    fmt = ReportFormatter(lang)
    m = collect(fit, plan=plan)
    return all_charts(m, fmt, channel_labels(m["channels"], fmt.locale), channel_colours(m["channels"]))


def _check_label(fmt: ReportFormatter) -> Any:
    def label(name: str) -> str:
        key = f"check.{name}"
        return fmt.t(key) if fmt.has(key) else name.replace("_", " ")
    return label


def _check_value(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return sig(v, 3)
    if v is None:
        return "—"
    return str(v).replace("<=", "≤").replace(">=", "≥")


def render_report(
    fit: Any,
    *,
    lang: str = "en",
    currency: str | None = None,
    plan: Mapping[str, Any] | None = None,
    held: Sequence[str] = (),
    channel_names: Mapping[str, str] | None = None,
    generated: dt.datetime | None = None,
) -> str:
    """The report page as an HTML string.

    Args:
        fit: a fitted (or reloaded) MMM.
        lang: ``"en"`` or ``"zh-CN"`` (``zh``, ``zh_CN`` … accepted).
        currency: ISO 4217 code of the spend (None: shown as not recorded).
        plan: the optimizer's plan document at the current budget (``Allocation.to_dict()``, optionally
            with ``guardrail`` — the ±fraction each channel was kept within — and ``bounds_note``);
            None: the budget panel says how to get one.
        held: channels the plan held at current spend.
        channel_names: channel display names for Chinese (the workspace taxonomy's).
        generated: the time stamp printed (default: now, UTC).
    """
    import jinja2
    from plotly.offline import get_plotlyjs

    fmt = ReportFormatter(lang, currency)
    m = collect(fit, plan=plan, currency=currency, held=held)
    labels = channel_labels(m["channels"], fmt.locale, channel_names)
    colours = channel_colours(m["channels"])
    charts = all_charts(m, fmt, labels, colours)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    when = generated or dt.datetime.now(dt.UTC)
    charts_json = json.dumps(charts, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return env.get_template("report.html").render(
        fmt=fmt,
        m=m,
        labels=labels,
        colours=colours,
        check_label=_check_label(fmt),
        check_value=_check_value,
        generated=f"{fmt.date(when.date())} {when:%H:%M} UTC",
        plotly_js=get_plotlyjs(),
        charts_json=charts_json.replace("</", "<\\/"),
    )


def write_report(
    fit: Any,
    path: str | Path,
    *,
    lang: str = "en",
    currency: str | None = None,
    plan: Mapping[str, Any] | None = None,
    held: Sequence[str] = (),
    channel_names: Mapping[str, str] | None = None,
) -> Path:
    """Write the one-page report to ``path`` (see :func:`render_report`); returns the path.

    Without ``currency`` / ``channel_names``, those of the workspace holding ``path`` (its
    ``omnimix.toml``) are used when there is one.
    """
    p = Path(path)
    if currency is None or channel_names is None:
        found, names = find_currency(p.parent)
        currency = currency or found
        channel_names = names if channel_names is None else channel_names
    p.write_text(render_report(fit, lang=lang, currency=currency, plan=plan, held=held,
                               channel_names=channel_names), encoding="utf-8")
    return p
