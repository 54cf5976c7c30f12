"""One clock: a real load's time on /data and the audit log's time of the same moment read alike.

The warehouse writes ``loads.loaded_at`` in the workspace's zone (``[workspace] timezone``); the app
state keeps UTC and the pages convert it. A zone far from the machine's (UTC here) shows that both follow
the workspace's setting, not the server's.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from omnimix.config import Config, WorkspaceSection
from omnimix.ingest.workflow import ingest_files
from omnimix.workspace import Workspace

from .conftest import login, make_env


def _times(page: str, table: str) -> list[datetime]:
    body = page[page.index(f'id="{table}"'):]
    body = body[:body.index("</table>")]
    return [datetime.strptime(m, "%b %d, %Y %H:%M") for m in re.findall(r"[A-Z][a-z]{2} \d{1,2}, \d{4} \d{2}:\d{2}", body)]


def test_load_times_and_audit_log_show_the_workspace_zone(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws", config=Config(workspace=WorkspaceSection(timezone="America/Los_Angeles")))
    csv = tmp_path / "spend.csv"
    csv.write_text("date,channel,campaign,spend\n2026-03-01,douyin,always_on,100\n", encoding="utf-8")
    ingest_files(ws, [csv])
    for env in make_env(ws.root):
        c = env.client
        login(c, "admin")  # audited now, a moment after the load
        loads = _times(c.get("/data?lang=en").text, "loads-table")
        audit = _times(c.get("/admin?lang=en").text, "audit-table")
        assert loads and audit
        assert abs(max(audit) - max(loads)) <= timedelta(minutes=2), (loads, audit)
        utc_now = datetime.now(UTC).replace(tzinfo=None)  # the machine's UTC: the pages do not show it
        assert abs(max(audit) - utc_now) > timedelta(hours=6)  # Los Angeles is 7-8 hours behind UTC
