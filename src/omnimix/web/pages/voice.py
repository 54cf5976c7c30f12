"""``/voice``: one voice — campaigns with their score and consistency matrix, offer conflicts, the worst
assets with each issue highlighted in the text (``voice_results``/``voice_campaigns``, written by
``omnimix voice check --workspace DIR --brand BRAND.toml --save``)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from omnimix.web.deps import Ctx, PageViewer
from omnimix.web.messages import with_channel_names
from omnimix.web.registry import not_computed
from omnimix.web.rendering import formatter, render
from omnimix.web.warehouse import Warehouse

router = APIRouter(include_in_schema=False)

WORST = 20


def highlight(text: str, issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``text`` cut into segments; a segment covered by an issue's span carries that issue (first wins)."""
    spans = sorted(
        (int(i["span_start"]), int(i["span_end"]), i)
        for i in issues
        if i.get("span_end") and int(i["span_end"]) > int(i["span_start"])
    )
    out: list[dict[str, Any]] = []
    pos = 0
    for s, e, i in spans:
        s, e = max(s, pos), min(e, len(text))
        if s >= e:
            continue
        if s > pos:
            out.append({"text": text[pos:s], "issue": None})
        out.append({"text": text[s:e], "issue": i})
        pos = e
    if pos < len(text):
        out.append({"text": text[pos:], "issue": None})
    return out


def _campaigns(wh: Warehouse) -> list[dict[str, Any]]:
    rows = wh.rows(
        "SELECT campaign, score, band, assets, conflicts, matrix FROM voice_campaigns ORDER BY score, campaign"
    )
    for r in rows:
        r["conflicts"] = json.loads(r["conflicts"] or "[]")
        r["matrix"] = json.loads(r["matrix"] or "[]")
        r["pillars"] = list(r["matrix"][0]["pillars"]) if r["matrix"] else []
    return rows


def _worst(wh: Warehouse, campaign: str | None) -> list[dict[str, Any]]:
    where, params = ("WHERE campaign = ?", [campaign]) if campaign else ("", [])
    ids = wh.rows(
        f"SELECT asset_id, min(score) AS score FROM voice_results {where} GROUP BY asset_id "
        f"ORDER BY score, asset_id LIMIT {WORST}",
        params,
    )
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    has_content = wh.has("content", ["asset_id", "text"])
    text_sql = "c.text" if has_content else "NULL"
    join = "LEFT JOIN content c ON c.asset_id = r.asset_id" if has_content else ""
    rows = wh.rows(
        f"SELECT r.asset_id, r.campaign, r.channel, r.score, r.band, r.issue_no, r.rule, r.category, r.severity, "
        f"r.span_start, r.span_end, r.span_text, r.message, r.suggestion, {text_sql} AS text FROM voice_results r "
        f"{join} WHERE r.asset_id IN ({marks}) ORDER BY r.score, r.asset_id, r.issue_no",
        [i["asset_id"] for i in ids],
    )
    by: dict[str, dict[str, Any]] = {}
    for r in rows:
        a = by.setdefault(
            r["asset_id"],
            {k: r[k] for k in ("asset_id", "campaign", "channel", "score", "band")}
            | {"text": r["text"] or "", "issues": []},
        )
        if r["issue_no"]:
            a["issues"].append(r)
    for a in by.values():
        a["segments"] = highlight(a["text"], a["issues"])
    return list(by.values())


@router.get("/voice", response_class=HTMLResponse)
def voice_page(
    request: Request, c: Ctx, p: PageViewer, campaign: str | None = Query(None, max_length=200)
) -> HTMLResponse:
    wh = c.warehouse
    state = (
        (wh.result_state("voice_results") or wh.result_state("voice_campaigns"))
        if wh.exists()
        else not_computed("voice_results")
    )
    ctxd: dict[str, Any] = {
        "active": "voice",
        "voice_state": state,
        "campaigns": [],
        "worst": [],
        "campaign": campaign or "",
    }
    if state is None:
        camps = _campaigns(wh)
        ctxd["campaigns"] = camps
        ctxd["selected"] = next((x for x in camps if x["campaign"] == campaign), camps[0] if camps else None)
        ctxd["worst"] = _worst(wh, campaign)
    fmt = formatter(request, c)
    known = list(c.config.taxonomy.channels) + [str(a["channel"]) for a in ctxd["worst"] if a.get("channel")]
    for a in ctxd["worst"]:
        for i in a["issues"]:
            i["message"] = with_channel_names(i["message"], known, fmt)
            i["suggestion"] = with_channel_names(i["suggestion"], known, fmt) if i["suggestion"] else i["suggestion"]
    return render(request, c, p, "voice.html", "nav.voice", **ctxd)
