"""A small simulated workspace whose omnimix.toml names its warehouse ``marketing.duckdb``.

Built the way a user would: ``omnimix simulate`` → a workspace with ``warehouse = 'marketing.duckdb'``
→ ``omnimix ingest`` → ``omnimix resolve`` (in-process, through the CLI app). Shared by the attribution
and CLV workflow tests.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from omnimix.config import Config
from omnimix.workspace import Workspace

WAREHOUSE = "marketing.duckdb"


def run_cli(*args: str) -> str:
    """Run ``omnimix ARGS…`` in-process; assert it succeeded; return its stdout."""
    from omnimix.cli import app

    res = CliRunner().invoke(app, list(args))
    assert res.exit_code == 0, (args, res.output, res.exception)
    return res.stdout


def build_marketing_workspace(root: Path, customers: int = 300, weeks: int = 30, seed: int = 3) -> Workspace:
    """Simulate, init (warehouse ``marketing.duckdb``), ingest and resolve under ``root``."""
    data = root / "data"
    run_cli("simulate", "--out", str(data), "--customers", str(customers), "--weeks", str(weeks), "--seed", str(seed))
    cfg = Config()
    cfg = cfg.model_copy(update={"workspace": cfg.workspace.model_copy(update={"warehouse": WAREHOUSE})})
    ws = Workspace.init(root / "ws", config=cfg)
    assert ws.warehouse_path.name == WAREHOUSE
    files = sorted(str(p) for p in data.iterdir() if p.is_file())
    run_cli("ingest", *files, "--workspace", str(ws.root))
    run_cli("resolve", "--workspace", str(ws.root))
    return Workspace.open(ws.root)
