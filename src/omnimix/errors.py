"""Errors raised by omnimix.

Every error a user can act on derives from :class:`OmnimixError`. The CLI catches it and prints
``Error: <message>`` with a non-zero exit code, never a traceback::

    OmnimixError
    ├── UsageError          a command-line flag or argument is invalid (exit 2)
    ├── ConfigError         omnimix.toml is invalid (all problems listed with their key path)
    ├── InputDataError      a source file cannot be read as asked (file, line/column, fix)
    ├── NotFittedError      a model's results were asked for before it was fitted
    ├── EngineError         the SQL engine failed (carries the SQL that failed)
    ├── ConvergenceError    an estimator did not converge or failed a review gate
    ├── InfeasibleError     constraints that cannot all hold (names the conflicting ones)
    └── WarehouseBusy       another process holds the warehouse's write lock (retry shortly)

A message states the bad value, what was expected and the fix.
"""

from __future__ import annotations


class OmnimixError(Exception):
    """Base class for every error omnimix raises on purpose."""

    exit_code: int = 1


class UsageError(OmnimixError):
    """A command-line flag, argument or API parameter is invalid (not the workspace's omnimix.toml).

    Attributes:
        problems: one message per bad flag or value.
    """

    exit_code = 2

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = problems or []
        if self.problems:
            message = message + "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(message)


class ConfigError(OmnimixError):
    """The workspace configuration (``omnimix.toml``) is invalid.

    Attributes:
        problems: one ``"key.path: message"`` string per problem found.
    """

    exit_code = 2

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = problems or []
        if self.problems:
            message = message + "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(message)


class InputDataError(OmnimixError):
    """A source file cannot be read or mapped.

    Attributes:
        file: the file's path.
        problems: every problem found in the file, each naming the line or column and the fix.
    """

    exit_code = 3

    def __init__(self, file: str, message: str, problems: list[str] | None = None) -> None:
        self.file = file
        self.problems = problems or []
        text = f"{file}: {message}"
        if self.problems:
            text += "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(text)


class NotFittedError(OmnimixError):
    """A result was requested from a model that has not been fitted."""


class EngineError(OmnimixError):
    """The SQL engine failed.

    Attributes:
        sql: the statement that failed.
    """

    exit_code = 4

    def __init__(self, message: str, sql: str = "") -> None:
        self.sql = sql
        super().__init__(f"{message}\nSQL: {sql}" if sql else message)


class ConvergenceError(OmnimixError):
    """An estimator failed to converge or failed a review gate."""

    exit_code = 5


class InfeasibleError(OmnimixError):
    """Constraints cannot all be satisfied; the message names the conflicting constraints."""

    exit_code = 6


class WarehouseBusy(OmnimixError):
    """Another process holds the warehouse's write lock; retry shortly."""

    exit_code = 4
