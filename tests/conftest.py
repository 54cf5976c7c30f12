from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from omnimix.workspace import Workspace

#: ``run_cli(args) -> (exit code, stdout, stderr)``, the fixture below.
RunCli = Callable[[list[str]], tuple[int, str, str]]


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """A fresh workspace (PII hashed)."""
    return Workspace.init(tmp_path / "ws")


@pytest.fixture
def ws_raw(tmp_path: Path) -> Workspace:
    """A fresh workspace that keeps raw PII."""
    return Workspace.init(tmp_path / "ws_raw", keep_pii=True)


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> RunCli:
    """Run ``omnimix ARGS`` in-process: ``run_cli(args) -> (exit code, stdout, stderr)``."""
    from omnimix.cli import main

    def run(args: list[str]) -> tuple[int, str, str]:
        code = 0
        try:
            main(args)
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
