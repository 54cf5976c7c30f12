"""Voice I/O: assets from a CSV/XLSX/Parquet file or the warehouse's ``content`` table; results into
``voice_results`` (one row per issue, or one row with an empty ``rule`` for an asset without issues) and
``voice_campaigns`` (score, conflicts and consistency matrix per campaign), both result tables of
:mod:`omnimix.schema`, written through :meth:`omnimix.workspace.Workspace.write`.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omnimix.errors import InputDataError
from omnimix.voice.types import Asset
from omnimix.workspace import Workspace

if TYPE_CHECKING:
    from omnimix.voice.check import VoiceReport

__all__ = ["ASSET_COLUMNS", "assets_from_rows", "load_content", "read_assets", "save_results"]

ASSET_COLUMNS = ("asset_id", "channel", "campaign", "language", "text", "published_at")
_REQUIRED = ("asset_id", "text")


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _when(v: Any, where: str, source: str) -> date | datetime | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip()):
        return None
    if isinstance(v, datetime | date):
        return v
    if hasattr(v, "to_pydatetime"):
        return v.to_pydatetime()  # type: ignore[no-any-return]
    s = str(v).strip()
    try:
        return datetime.fromisoformat(s)
    except ValueError:
        raise InputDataError(
            source,
            f"{where}, column published_at: {s!r} is not a date",
            ["write it as 2026-11-01 or 2026-11-01T10:00:00, or leave it empty"],
        ) from None


def assets_from_rows(rows: list[dict[str, Any]], source: str, *, first_row: int = 2) -> list[Asset]:
    """Assets from row dicts with the content columns; errors name the source, row and column."""
    problems: list[str] = []
    out: list[Asset] = []
    seen: dict[str, int] = {}
    for n, r in enumerate(rows, start=first_row):
        aid, text = _cell(r.get("asset_id")), "" if r.get("text") is None else str(r.get("text"))
        if (isinstance(r.get("text"), float) and math.isnan(r["text"])) or not text.strip():
            problems.append(f"row {n}, column text: empty; give the asset's copy or drop the row")
            continue
        if not aid:
            problems.append(f"row {n}, column asset_id: empty; give every asset a unique id")
            continue
        if aid in seen:
            problems.append(f"row {n}, column asset_id: {aid!r} repeats row {seen[aid]}; ids must be unique")
            continue
        seen[aid] = n
        out.append(
            Asset(
                aid,
                _cell(r.get("channel")),
                _cell(r.get("campaign")),
                _cell(r.get("language")),
                text,
                _when(r.get("published_at"), f"row {n}", source),
            )
        )
    if problems:
        raise InputDataError(
            source, "invalid assets", problems[:20] + ([f"... {len(problems) - 20} more"] if len(problems) > 20 else [])
        )
    return out


def read_assets(path: str | Path) -> list[Asset]:
    """Assets of a CSV/XLSX/Parquet file with the content columns (asset_id and text required)."""
    from omnimix.io import file_format, read_frame

    # CSV: every column as text (ids keep leading zeros); Excel and Parquet keep their cell types
    text_cols = {c: str for c in ASSET_COLUMNS if c != "published_at"}
    frame = read_frame(path, dtype=text_cols if file_format(path) == "csv" else None)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise InputDataError(
            str(path),
            f"missing column(s) {missing}",
            [
                f"the header needs {list(ASSET_COLUMNS)} (channel, campaign, language and published_at "
                f"may be empty); it has {list(frame.columns)}"
            ],
        )
    cols = [c for c in ASSET_COLUMNS if c in frame.columns]
    rows = [dict(zip(cols, vals, strict=True)) for vals in frame[cols].itertuples(index=False, name=None)]
    return assets_from_rows(rows, str(path))


def load_content(workspace: Workspace | str | Path) -> list[Asset]:
    """Assets of the workspace's ``content`` table (in asset_id order)."""
    ws = Workspace.loaded(workspace)
    con = ws.connect(read_only=True)
    try:
        rows = con.execute(
            "SELECT asset_id, channel, campaign, language, text, published_at FROM content ORDER BY asset_id"
        ).fetchall()
    finally:
        con.close()
    if not rows:
        raise InputDataError(
            str(ws.root),
            "the content table is empty",
            ["load assets first: omnimix ingest FILE --table content --workspace DIR"],
        )
    return assets_from_rows([dict(zip(ASSET_COLUMNS, r, strict=True)) for r in rows], "content table", first_row=1)


def save_results(workspace: Workspace | str | Path, report: VoiceReport) -> int:
    """Replace ``voice_results`` and ``voice_campaigns`` with ``report``; returns the rows of voice_results."""
    import pandas as pd

    now = datetime.now().replace(microsecond=0)
    rows: list[dict[str, Any]] = []
    for a in report.assets:
        base = {
            "asset_id": a.asset.asset_id,
            "campaign": a.asset.campaign,
            "channel": a.asset.channel,
            "language": a.asset.lang,
            "score": a.score,
            "band": a.band,
            "checked_at": now,
        }
        if not a.issues:
            rows.append({**base, "issue_no": 0})
        for k, i in enumerate(a.issues, start=1):
            rows.append(
                {
                    **base,
                    "issue_no": k,
                    "rule": i.rule,
                    "category": i.category,
                    "severity": i.severity,
                    "span_start": i.start,
                    "span_end": i.end,
                    "span_text": i.text,
                    "message": i.message,
                    "suggestion": i.suggestion,
                }
            )
    camps = []
    for name, c in report.campaigns.items():
        cs = [x.to_dict() for x in report.conflicts if x.campaign == name]
        camps.append(
            {
                "campaign": name,
                "score": c.score,
                "band": c.band,
                "assets": len(c.matrix),
                "conflicts": json.dumps(cs, ensure_ascii=False),
                "matrix": json.dumps(list(c.matrix), ensure_ascii=False),
                "checked_at": now,
            }
        )
    ws = Workspace.loaded(workspace)
    with ws.writer() as w:
        n = w.write("voice_results", pd.DataFrame(rows))
        w.write(
            "voice_campaigns",
            pd.DataFrame(camps, columns=["campaign", "score", "band", "assets", "conflicts", "matrix", "checked_at"]),
        )
    return n
