"""A workspace: one directory with ``omnimix.toml`` and the DuckDB warehouse file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omnimix.config import CONFIG_FILE, Config, load_config, render_config
from omnimix.errors import ConfigError, EngineError
from omnimix.schema import create_all


@dataclass
class Workspace:
    """An opened workspace.

    Attributes:
        root: the workspace directory.
        config: the validated configuration.
    """

    root: Path
    config: Config

    @classmethod
    def open(cls, root: str | Path) -> Workspace:
        """Open an existing workspace (validates its config)."""
        path = Path(root)
        return cls(path, load_config(path))

    @classmethod
    def init(cls, root: str | Path, keep_pii: bool = False, config: Config | None = None) -> Workspace:
        """Create ``root/omnimix.toml`` and an empty warehouse with every canonical table.

        Raises:
            ConfigError: the directory already holds a workspace.
        """
        path = Path(root)
        if (path / CONFIG_FILE).exists():
            raise ConfigError(f"{path / CONFIG_FILE} already exists: this directory is a workspace. "
                              "Use another directory, or delete the file to start over.")
        path.mkdir(parents=True, exist_ok=True)
        cfg = config or Config()
        if keep_pii:
            cfg = cfg.model_copy(update={"pii": cfg.pii.model_copy(update={"keep_pii": True})})
        (path / CONFIG_FILE).write_text(render_config(cfg), encoding="utf-8")
        ws = cls(path, load_config(path))
        con = ws.connect()
        con.close()
        return ws

    @property
    def warehouse_path(self) -> Path:
        return self.root / self.config.workspace.warehouse

    def connect(self, read_only: bool = False) -> Any:
        """Open the DuckDB warehouse (creating missing canonical tables when writable)."""
        import duckdb

        try:
            con = duckdb.connect(str(self.warehouse_path), read_only=read_only)
        except duckdb.Error as exc:
            raise EngineError(f"cannot open the warehouse {self.warehouse_path}: {exc}. If another "
                              "omnimix process is writing to it, wait for it to finish.") from None
        con.execute("SET enable_progress_bar = false")
        try:
            con.execute(f"SET TimeZone = '{self.config.workspace.timezone}'")
        except duckdb.Error:
            pass  # ICU not available: timestamps stay as written
        if not read_only:
            create_all(con)
        return con


def connect_warehouse(directory: str | Path, read_only: bool = False) -> Any:
    """Open a workspace's warehouse; a bare directory with only ``warehouse.duckdb`` works too.

    Analyses that read or write result tables accept either, so a warehouse built elsewhere can be used.
    """
    import duckdb

    root = Path(directory)
    if (root / CONFIG_FILE).exists():
        return Workspace.open(root).connect(read_only=read_only)
    path = root / "warehouse.duckdb"
    if not path.exists():
        raise ConfigError(f"{root} is not a workspace: no {CONFIG_FILE} and no warehouse.duckdb. "
                          f"Create one with `omnimix init {root}`.")
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise EngineError(f"cannot open the warehouse {path}: {exc}") from None
