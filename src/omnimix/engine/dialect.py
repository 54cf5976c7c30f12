"""The few SQL snippets that cannot be written once in DuckDB's dialect and transpiled.

Stage SQL is DuckDB's dialect and :class:`~omnimix.engine.spark.SparkEngine` transpiles it with sqlglot;
a construct sqlglot cannot carry over with the same meaning is written per engine here, and nowhere
else, so a stage never tests ``engine.name`` itself.
"""

from __future__ import annotations

from omnimix.engine.base import Engine


def ordered_string_agg(engine: Engine, column: str, order: str, sep: str = " > ") -> str:
    """An aggregate joining ``column`` with ``sep`` in ``order`` (ties broken by the value), per engine.

    Args:
        engine: the engine the SQL runs on.
        column: the column to join (a plain or qualified name).
        order: the column to order by.
        sep: the separator (a plain string; single quotes are doubled).
    """
    lit = "'" + sep.replace("'", "''") + "'"
    if engine.name == "spark":
        field = column.split(".")[-1]
        return f"concat_ws({lit}, transform(array_sort(collect_list(struct({order}, {column}))), x -> x['{field}']))"
    return f"string_agg({column}, {lit} ORDER BY {order}, {column})"
