"""Geo × date panels of a KPI (and optionally cost): the input of every geo-experiment method.

A :class:`GeoPanel` holds a *balanced* long frame with columns ``geo``, ``date``, ``kpi`` and, when
known, ``cost``: one row per geo and date, every geo on every date, numeric values. Build one from a
DataFrame (:meth:`GeoPanel.from_frame`) or a CSV/Parquet file (:meth:`GeoPanel.from_file`);
:meth:`GeoPanel.wide` gives the dates × geos matrix the estimators work on. Bad input raises
:class:`~omnimix.errors.InputDataError` naming the file, the row (1-based data row, as a spreadsheet
shows it after the header) or column, and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omnimix.errors import InputDataError, UsageError

_MAX_LISTED = 5


@dataclass(frozen=True)
class GeoPanel:
    """A balanced geo × date panel.

    Attributes:
        frame: long frame ``geo`` (str), ``date`` (datetime64, normalised to days), ``kpi`` (float) and
            ``cost`` (float, only when the panel has cost), sorted by geo then date.
        source: where the panel came from (a file path or ``"frame"``), used in error messages.
    """

    frame: pd.DataFrame
    source: str = "frame"

    @property
    def geos(self) -> list[str]:
        """Geo names, sorted."""
        return sorted(self.frame["geo"].unique().tolist())

    @property
    def dates(self) -> pd.DatetimeIndex:
        """The panel's dates, ascending."""
        return pd.DatetimeIndex(sorted(self.frame["date"].unique()))

    @property
    def has_cost(self) -> bool:
        """Whether the panel carries a cost column."""
        return "cost" in self.frame.columns

    def wide(self, value: str = "kpi") -> pd.DataFrame:
        """The ``dates × geos`` matrix of ``value`` (``"kpi"`` or ``"cost"``), columns sorted by geo."""
        if value not in ("kpi", "cost") or value not in self.frame.columns:
            raise UsageError(f"panel has no {value!r} column; available: "
                             f"{[c for c in ('kpi', 'cost') if c in self.frame.columns]}")
        w = self.frame.pivot(index="date", columns="geo", values=value)
        return w.sort_index().reindex(columns=self.geos)

    def subset(self, geos: Sequence[str] | None = None, start: Any = None, end: Any = None) -> GeoPanel:
        """The panel restricted to ``geos`` and the inclusive date range ``start`` .. ``end``."""
        f = self.frame
        if geos is not None:
            f = f[f["geo"].isin(list(geos))]
        if start is not None:
            f = f[f["date"] >= pd.Timestamp(start)]
        if end is not None:
            f = f[f["date"] <= pd.Timestamp(end)]
        return GeoPanel(f.reset_index(drop=True), self.source)

    @classmethod
    def from_frame(cls, df: pd.DataFrame, geo_col: str = "geo", date_col: str = "date", kpi_col: str = "kpi",
                   cost_col: str | None = None, *, source: str = "frame") -> GeoPanel:
        """Check and normalise a long frame into a panel.

        Args:
            df: one row per geo and date.
            geo_col, date_col, kpi_col, cost_col: the column names (cost optional).
            source: the name used in error messages (a file path).

        Raises:
            InputDataError: a missing column, an unparseable date, a non-numeric or missing value,
                a duplicated geo-date or a geo missing some dates; every problem names its row or column
                and the fix.
        """
        wanted = [c for c in (geo_col, date_col, kpi_col, cost_col) if c is not None]
        missing = [c for c in wanted if c not in df.columns]
        if missing:
            raise InputDataError(source, f"missing column(s) {missing}; the file has {list(df.columns)}",
                                 ["pass the right names with --geo-col/--date-col/--kpi-col/--cost-col"])
        problems: list[str] = []
        geo = df[geo_col]
        if geo.isna().any():
            rows = (np.flatnonzero(geo.isna().to_numpy()) + 1)[:_MAX_LISTED].tolist()
            problems.append(f"column {geo_col!r}: empty geo at row(s) {rows}; fill in the geo name or drop the rows")
        dates = pd.to_datetime(df[date_col], errors="coerce")
        bad = dates.isna() & df[date_col].notna() | df[date_col].isna()
        if bad.any():
            rows = (np.flatnonzero(bad.to_numpy()) + 1)[:_MAX_LISTED].tolist()
            vals = df[date_col][bad].head(_MAX_LISTED).tolist()
            problems.append(f"column {date_col!r}: unreadable date {vals} at row(s) {rows}; "
                            "write dates as YYYY-MM-DD")
        out = pd.DataFrame({"geo": geo.astype(str), "date": dates.dt.normalize()})
        for col, name in ((kpi_col, "kpi"), (cost_col, "cost")):
            if col is None:
                continue
            raw = df[col]
            num = pd.to_numeric(raw, errors="coerce")
            bad = num.isna() | ~np.isfinite(num.to_numpy(dtype=float, na_value=np.nan))
            if bad.any():
                rows = (np.flatnonzero(bad.to_numpy()) + 1)[:_MAX_LISTED].tolist()
                vals = raw[bad].head(_MAX_LISTED).tolist()
                problems.append(f"column {col!r}: non-numeric or missing value {vals} at row(s) {rows} "
                                f"({int(bad.sum())} in all); write a number (0 where nothing happened)")
            out[name] = num.astype(float)
        if problems:
            raise InputDataError(source, "the panel cannot be read", problems)
        dup = out.duplicated(["geo", "date"], keep=False)
        if dup.any():
            rows = (np.flatnonzero(dup.to_numpy()) + 1)[:_MAX_LISTED].tolist()
            first = out[dup].iloc[0]
            raise InputDataError(source, f"{int(dup.sum())} rows repeat a geo and date", [
                f"rows {rows}: e.g. geo {first['geo']!r} on {first['date'].date()} appears more than once; "
                "keep one row per geo and date (sum them first if they are parts of one day)"])
        all_dates = pd.DatetimeIndex(sorted(out["date"].unique()))
        counts = out.groupby("geo")["date"].nunique()
        short = counts[counts < len(all_dates)]
        if len(short):
            lines = []
            for g in short.index[:_MAX_LISTED]:
                have = pd.DatetimeIndex(out.loc[out["geo"] == g, "date"])
                gap = all_dates.difference(have)
                lines.append(f"geo {g!r} lacks {len(gap)} date(s), first {gap[0].date()}; add the rows "
                             f"(0 where the KPI was zero) or drop the geo")
            raise InputDataError(source, f"{len(short)} geo(s) do not cover all {len(all_dates)} dates "
                                 f"(column {date_col!r})", lines)
        if out["geo"].nunique() < 2:
            raise InputDataError(source, "the panel has fewer than 2 geos; a geo experiment needs controls")
        out = out.sort_values(["geo", "date"]).reset_index(drop=True)
        return cls(out, source)

    @classmethod
    def from_file(cls, path: str | Path, geo_col: str = "geo", date_col: str = "date", kpi_col: str = "kpi",
                  cost_col: str | None = None) -> GeoPanel:
        """Read a CSV or Parquet file (see :meth:`from_frame` for the checks)."""
        p = Path(path)
        if not p.exists():
            raise InputDataError(str(p), "file not found; check the path")
        try:
            if p.suffix.lower() in (".parquet", ".pq"):
                df = pd.read_parquet(p)
            else:
                df = pd.read_csv(p, dtype={geo_col: str}, encoding="utf-8-sig")
        except (ValueError, OSError, pd.errors.ParserError) as exc:
            kind = "Parquet" if p.suffix.lower() in (".parquet", ".pq") else "CSV"
            raise InputDataError(str(p), f"cannot be read as {kind}: "
                                 f"{str(exc).splitlines()[0] if str(exc) else exc!r}") from None
        return cls.from_frame(df, geo_col, date_col, kpi_col, cost_col, source=str(p))
