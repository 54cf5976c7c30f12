"""``/mix``: the MMM — contributions and ROI with intervals, response curves, the diagnostics panel
(health score and band, each review check against its threshold, the fit figures, identification
warnings) and the fit."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from omnimix.web.deps import Ctx, PageViewer
from omnimix.web.figures import channel_colors, curves_fig, fit_fig, interval_fig
from omnimix.web.i18n import Formatter
from omnimix.web.queries.results import mmm_channels, mmm_diagnostics, mmm_panel, response_curves, workspace_channels
from omnimix.web.registry import not_computed
from omnimix.web.rendering import formatter, render

router = APIRouter(include_in_schema=False)

#: The review's own warning sentences that are read from structure (omnimix.mmm.checks.assess).
_CHECK_WARNING = re.compile(r"^(\w+): .* = (.+) \(expected (.+)\)$")
_OUTSIDE_WARNING = re.compile(
    r"^posterior (ROI|share) outside the prior's 1–99% range for (.+): check the prior or the data$")
_BOUND = re.compile(r"^\s*(<=|>=|<|>)\s*(-?[\d.]+)\s*$")
_RANGE = re.compile(r"^\s*(-?[\d.]+)\s*\.\.\s*(-?[\d.]+)\s*$")


def diag_value(fmt: Formatter, value: float | None, kind: str) -> str:
    """A diagnostic figure by its type: ✓/✗ (是/否) for booleans, integers for counts and ESS, three
    decimals for R-hat and other ratios, percentages for shares and coverages."""
    if value is None:
        return "—"
    if kind == "bool":
        return fmt.t("pages.diag.yes" if value >= 0.5 else "pages.diag.no")
    if kind == "int":
        return fmt.num(round(value))
    if kind == "pct":
        return fmt.pct(value)
    return fmt.num(value, 3)


def diag_threshold(fmt: Formatter, name: str, threshold: Any, kind: str) -> str:
    """A check's threshold (``"<= 1.05"``, ``"0.05..0.95"``, ``"0 channels"`` …) in the page's
    language: the operator as a symbol, the numbers as the review wrote them (shares as percentages)."""
    if threshold is None or "None" in str(threshold):
        return "—"
    text = str(threshold)

    def number(x: str) -> str:  # as the review wrote it; shares as percentages
        return f"{float(x) * 100:g}%" if kind == "pct" else x

    m = _BOUND.match(text)
    if m:
        op = {"<=": "≤", ">=": "≥", "<": "<", ">": ">"}[m.group(1)]
        return f"{op} {number(m.group(2))}"
    m = _RANGE.match(text)
    if m:
        return f"{number(m.group(1))} – {number(m.group(2))}"
    if text.strip() in ("0", "0 channels"):
        return fmt.t("pages.threshold.channels0") if "channels" in text else "0"
    key = f"pages.threshold.{name}"
    hit = fmt.t(key)
    return hit if hit != key else text


def _warning(fmt: Formatter, text: str, checks: dict[str, dict[str, Any]], channels: list[str]) -> str:
    """One of the review's other warnings in the page's language: a failed review check
    (``r2: … = 0.42 (expected >= 0.5)``) and the prior-range warning are rebuilt from their parts;
    any other sentence is shown as the review wrote it, with channel display names."""
    m = _CHECK_WARNING.match(text)
    if m and m.group(1) in checks:
        c = checks[m.group(1)]
        return (fmt.t("pages.diag.check_warning").replace("{name}", c["label"]).replace("{value}", c["shown"])
                .replace("{bound}", c["bound"]))
    m = _OUTSIDE_WARNING.match(text)
    if m:
        names = [fmt.channel(x.strip()) for x in m.group(2).split(",") if x.strip()]
        quantity = fmt.t("pages.diag.quantity." + ("roi" if m.group(1) == "ROI" else "share"))
        return (fmt.t("pages.diag.warn_outside").replace("{quantity}", quantity)
                .replace("{channels}", ("、" if fmt.locale == "zh-CN" else ", ").join(names)))
    for ch in sorted(channels, key=len, reverse=True):
        text = re.sub(rf"(?<![\w]){re.escape(ch)}(?![\w])", fmt.channel(ch), text)
    return text


def diag_view(panel: dict[str, Any], fmt: Formatter, channels: list[str]) -> dict[str, Any]:
    """The panel's reader-facing texts: names, formatted values and thresholds, warnings."""
    checks = [
        {**c, "label": fmt.name("check", c["name"]),
         "shown": diag_value(fmt, c["value"], c["type"]) if c["applies"] else fmt.t("pages.diag.not_applicable"),
         "bound": diag_threshold(fmt, c["name"], c["threshold"], c["type"]),
         "kind": fmt.t(f"pages.diag.level.{c['level']}") if c["level"] in ("gate", "review") else "—"}
        for c in panel["checks"]
    ]
    metrics = [{**m, "label": fmt.name("diagnostic", m["metric"]), "shown": diag_value(fmt, m["value"], m["type"])}
               for m in panel["metrics"]]
    weak = []
    for ch, k in panel["weak"]:
        name = fmt.channel(ch)
        if k is None:
            weak.append(fmt.t("pages.diag.weak_item_plain").replace("{channel}", name))
        else:
            text = fmt.t("pages.diag.weak_item").replace("{channel}", name)
            weak.append(text.replace("{pct}", fmt.pct(max(k, 0.0), 0)))
    n = len(weak)
    count = fmt.t("pages.diag.weak_count_one") if n == 1 else fmt.t("pages.diag.weak_count").replace("{n}", str(n))
    others = [_warning(fmt, w, {c["name"]: c for c in checks}, channels) for w in panel["warnings"]]
    return {"checks": checks, "metrics": metrics, "weak": weak, "weak_count": count, "weak_n": n,
            "others": others, "band": fmt.t(f"pages.diag.band.{panel['band']}") if panel.get("band") else None}


@router.get("/mix", response_class=HTMLResponse)
def mix_page(request: Request, c: Ctx, p: PageViewer) -> HTMLResponse:
    wh = c.warehouse
    ex = wh.exists()
    fmt = formatter(request, c)
    colors = channel_colors(workspace_channels(wh)) if ex else {}
    mmm = mmm_channels(wh) if ex else {**not_computed("mmm"), "items": []}
    curves = response_curves(wh) if ex else {**not_computed("response_curves"), "items": []}
    diag = mmm_diagnostics(wh) if ex else {**not_computed("mmm_diagnostics"), "items": [], "fit": None}
    panel = mmm_panel(wh) if ex else {**not_computed("mmm_diagnostics"), "checks": [], "metrics": [], "weak": [],
                                      "warnings": []}
    ctxd: dict[str, Any] = {
        "active": "mix",
        "charts": True,
        "mmm_state": None if mmm["computed"] else mmm,
        "curves_state": None if curves["computed"] else curves,
        "diag_state": None if panel["computed"] else panel,
        "fit_state": not_computed("mmm_fit"),
        "fit_fig": None,
        "mmm": mmm["items"],
        "panel": panel,
        "dv": diag_view(panel, fmt, workspace_channels(wh) if ex else []) if panel["computed"] else None,
    }
    if mmm["computed"]:
        ctxd["contrib_fig"] = interval_fig(mmm["items"], "contribution_mean", "contribution_lo", "contribution_hi",
                                           fmt, colors)
        ctxd["roi_fig"] = interval_fig(mmm["items"], "roi_mean", "roi_lo", "roi_hi", fmt, colors)
    if curves["computed"]:
        ctxd["curves_fig"] = curves_fig(curves["items"], fmt, colors)
    if diag.get("fit"):
        ctxd["fit_fig"] = fit_fig(diag["fit"], fmt)
    return render(request, c, p, "mix.html", "nav.mix", **ctxd)
