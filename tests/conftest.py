from __future__ import annotations

from pathlib import Path

import pytest

from omnimix.workspace import Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """A fresh workspace (PII hashed)."""
    return Workspace.init(tmp_path / "ws")


@pytest.fixture
def ws_raw(tmp_path: Path) -> Workspace:
    """A fresh workspace that keeps raw PII."""
    return Workspace.init(tmp_path / "ws_raw", keep_pii=True)
