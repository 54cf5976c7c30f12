from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from omnimix.errors import InputDataError
from omnimix.voice.store import read_assets


def test_xlsx_assets(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Asset_ID", "channel", "campaign", "language", "text", "published_at"])
    ws.append([101, "douyin", "双11", "zh-CN", "满300减50", datetime(2026, 10, 30, 9, 0)])
    ws.append(["a2", None, None, None, "Spend $50, get $10 off", None])
    p = tmp_path / "assets.xlsx"
    wb.save(p)
    a1, a2 = read_assets(p)
    assert (a1.asset_id, a1.campaign, a1.published_at) == ("101", "双11", datetime(2026, 10, 30, 9, 0))
    assert (a2.channel, a2.language, a2.lang) == ("", "", "en")


def test_csv_errors_name_row_and_column(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text("asset_id,text,published_at\na1,x,2026-13-40\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="row 2, column published_at"):
        read_assets(p)
    p.write_text("asset_id,text\na1,x\na1,y\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="row 3, column asset_id: 'a1' repeats row 2"):
        read_assets(p)
    p.write_text("id,copy\na1,x\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="missing column"):
        read_assets(p)
