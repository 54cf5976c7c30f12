"""SQL engines behind one small interface: DuckDB (embedded default) and Spark (pyspark).

Stages write their SQL once, in DuckDB's dialect; :class:`SparkEngine` transpiles it with sqlglot
(the approach Splink uses). Iterative algorithms materialise every iteration with
:meth:`Engine.materialize`.
"""

from __future__ import annotations

from omnimix.engine.base import DuckDBEngine, Engine, open_engine

__all__ = ["DuckDBEngine", "Engine", "open_engine"]
