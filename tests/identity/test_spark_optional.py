"""pyspark is an optional extra: without it nothing imports it, and ``engine = 'spark'`` says how to install it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from omnimix.engine import spark as spark_engine
from omnimix.engine.base import open_engine
from omnimix.errors import EngineError
from omnimix.journeys.workflow import resolve_workspace
from omnimix.workspace import Workspace


def _spark_workspace(root: Path) -> Workspace:
    ws = Workspace.init(root)
    toml = root / "omnimix.toml"
    toml.write_text(toml.read_text().replace("engine = 'duckdb'", "engine = 'spark'"))
    ws = Workspace.open(root)
    assert ws.config.workspace.engine == "spark"
    return ws


@pytest.fixture
def no_pyspark(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if pyspark were not installed (a ``None`` entry makes ``import pyspark`` raise ImportError)."""
    for name in ("pyspark", "pyspark.sql"):
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setattr(spark_engine, "_SESSION", None)  # no session left over from a Spark test


@pytest.mark.usefixtures("no_pyspark")
def test_spark_engine_without_pyspark_says_how_to_install(tmp_path: Path) -> None:
    ws = _spark_workspace(tmp_path / "ws")
    with pytest.raises(EngineError) as exc:
        open_engine(ws)
    msg = str(exc.value)
    assert "pip install 'omnimix[spark]'" in msg and "Java 17" in msg and "engine = 'duckdb'" in msg
    # the workflows fail the same way, before touching the warehouse
    with pytest.raises(EngineError, match=r"omnimix\[spark\]"):
        resolve_workspace(ws, probabilistic=False)


@pytest.mark.usefixtures("no_pyspark")
def test_cli_reports_the_missing_extra(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from omnimix.cli import main

    ws = _spark_workspace(tmp_path / "ws")
    with pytest.raises(SystemExit) as exc:
        main(["resolve", "--workspace", str(ws.root), "--no-probabilistic"])
    assert exc.value.code == EngineError.exit_code
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and "pip install 'omnimix[spark]'" in err and "Traceback" not in err


def test_nothing_imports_pyspark_at_import_time() -> None:
    """Every module of the data layer and the CLI imports with pyspark blocked."""
    code = """
import importlib, pkgutil, sys
sys.modules['pyspark'] = None
import omnimix
names = ['omnimix.cli', 'omnimix.engine.spark']
for pkg in ('ingest', 'identity', 'journeys', 'engine', 'cli'):
    mod = importlib.import_module('omnimix.' + pkg)
    names += [m.name for m in pkgutil.walk_packages(mod.__path__, 'omnimix.' + pkg + '.')]
for name in names:
    importlib.import_module(name)
print(len(names))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) > 20
