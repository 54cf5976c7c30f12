"""One test body over both engines (the way Splink marks tests per SQL dialect).

A test module imports the ``engine`` fixture (module scope, parametrised over ``duckdb`` and ``spark``)
and builds its world with :func:`on_engine`; every test using it runs once per engine with the same
assertions, so both engines must give the same customers, ids, journeys, paths and funnel. The
``spark`` parameter carries the ``spark`` marker and is skipped when pyspark or Java 17+ is missing;
one local SparkSession serves the whole test process (stopped at exit).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from typing import Any

import pytest

from omnimix.workspace import Workspace


def spark_missing() -> str | None:
    """Why Spark cannot run here (None when it can)."""
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install 'omnimix[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Spark needs Java 17+ (no java on PATH, no JAVA_HOME)"
    return None


_WHY = spark_missing()

#: the engine parameters: DuckDB always, Spark when it can run
ENGINES = ("duckdb", pytest.param("spark", marks=(pytest.mark.spark, pytest.mark.skipif(
    _WHY is not None, reason=_WHY or ""))))


@pytest.fixture(scope="module", params=ENGINES)
def engine(request: Any) -> str:
    """``"duckdb"`` or ``"spark"`` (the Spark session is started once and reused)."""
    name = str(request.param)
    if name == "spark":
        from omnimix.engine.spark import spark_session

        spark_session()
    return name


def on_engine(ws: Workspace, engine: str) -> Workspace:
    """The workspace with ``[workspace] engine`` set to ``engine`` in its omnimix.toml, reopened."""
    toml = ws.root / "omnimix.toml"
    text = toml.read_text(encoding="utf-8")
    current = ws.config.workspace.engine
    toml.write_text(text.replace(f"engine = '{current}'", f"engine = '{engine}'"), encoding="utf-8")
    out = Workspace.open(ws.root)
    assert out.config.workspace.engine == engine
    return out
