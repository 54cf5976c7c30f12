"""Geo × date panels of a KPI (and optionally cost): the input of every geo-experiment method.

A :class:`GeoPanel` holds a *balanced* long frame with columns ``geo``, ``date``, ``kpi`` and, when
known, ``cost``: one row per geo and date, every geo on every date, numeric values. Build one from a
DataFrame (:meth:`GeoPanel.from_frame`), a CSV/Parquet file (:meth:`GeoPanel.from_file`) or the
workspace warehouse (:meth:`GeoPanel.from_workspace`: conversions by ``conversions.geo``, spend by
``spend.geo``); :meth:`GeoPanel.wide` gives the dates × geos matrix the estimators work on. Bad input raises
:class:`~omnimix.errors.InputDataError` naming the file, the row (1-based data row, as a spreadsheet
shows it after the header) or column, and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from omnimix.errors import InputDataError, UsageError

if TYPE_CHECKING:
    from omnimix.workspace import Workspace

_MAX_LISTED = 5

#: KPIs :meth:`GeoPanel.from_workspace` builds: the metrics layer's ``conversions`` (purchases and
#: orders when any conversion is typed so, else every conversion) and ``revenue`` (their value).
WAREHOUSE_KPIS = ("conversions", "revenue")


@dataclass(frozen=True)
class GeoPanel:
    """A balanced geo × date panel.

    Attributes:
        frame: long frame ``geo`` (str), ``date`` (datetime64, normalised to days), ``kpi`` (float) and
            ``cost`` (float, only when the panel has cost), sorted by geo then date.
        source: where the panel came from (a file path or ``"frame"``), used in error messages.
        notes: what building the panel left out (rows without a geo, spend in geos without a KPI).
    """

    frame: pd.DataFrame
    source: str = "frame"
    notes: tuple[str, ...] = ()

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
        return GeoPanel(f.reset_index(drop=True), self.source, self.notes)

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

    @classmethod
    def from_workspace(cls, workspace: Workspace | str | Path, kpi: str = "conversions", *,
                       cost: bool | None = None, channels: Sequence[str] | None = None,
                       start: Any = None, end: Any = None) -> GeoPanel:
        """The geo × day panel of a KPI (and spend) from the workspace warehouse.

        The KPI is read from ``conversions`` by its ``geo`` column, per day of ``ts`` (workspace time
        zone): ``conversions`` counts them, ``revenue`` sums their ``value`` — the metrics layer's
        definitions (purchases and orders only when any conversion is typed ``purchase``/``order``).
        Cost is ``spend.spend`` summed per ``geo`` and day (over ``channels`` when given). Every geo
        with a conversion in the range is a column; a day without conversions or spend is 0 (the
        warehouse records events, so a missing day is a zero), and the dates run from ``start`` to
        ``end`` (default: the first and last conversion day).

        Args:
            workspace: a workspace or its directory.
            kpi: ``"conversions"`` or ``"revenue"``.
            cost: ``True`` requires spend by geo, ``False`` leaves cost out, ``None`` adds it when the
                spend table has rows with a geo.
            channels: spend channels counted as the test's cost (default: all).
            start, end: the inclusive date range.

        Raises:
            UsageError: an unknown KPI or an unreadable date.
            InputDataError: no conversion has a geo; ``cost=True`` and no spend row has one (or none in
                the panel's geos); revenue in several currencies. Each says which column to load.
        """
        from omnimix.metrics.compute import _purchase_filter
        from omnimix.workspace import Workspace, table_columns

        if kpi not in WAREHOUSE_KPIS:
            raise UsageError(f"kpi {kpi!r}: the warehouse panel has {list(WAREHOUSE_KPIS)}")
        try:
            lo = None if start is None else pd.Timestamp(start).date()
            hi = None if end is None else pd.Timestamp(end).date()
        except (ValueError, TypeError) as exc:
            raise UsageError(f"unreadable date: {exc}; write dates as YYYY-MM-DD") from None
        ws = Workspace.loaded(workspace)
        source = f"{ws.warehouse_path}"
        fix = ("ingest conversions with a geo column (headers geo, region, city, dma, 城市, 地区, 省份 … are "
               "read as `geo`; map another with --map 'HEADER=geo'), see docs/experiments.md")
        con = ws.connect(read_only=True)
        try:
            if "geo" not in table_columns(con, "conversions"):
                raise InputDataError(f"{source} (table conversions)", "has no column `geo`", [fix])
            rng = ""
            params: list[Any] = []
            if lo is not None:
                rng += " AND CAST(c.ts AS DATE) >= ?"
                params.append(lo)
            if hi is not None:
                rng += " AND CAST(c.ts AS DATE) <= ?"
                params.append(hi)
            pf = _purchase_filter(con)
            if kpi == "revenue":
                cur = con.execute("SELECT DISTINCT currency FROM conversions c WHERE currency IS NOT NULL "
                                  f"AND nullif(trim(c.geo), '') IS NOT NULL{rng}{pf}", params).fetchall()
                if len(cur) > 1:
                    raise InputDataError(f"{source} (conversions.currency)", "revenue is in several "
                                         f"currencies {sorted(str(r[0]) for r in cur)}",
                                         ["read one currency's conversions, or convert them before loading"])
            value = "count(*)" if kpi == "conversions" else "coalesce(sum(c.value), 0)"
            kp = con.execute(f"SELECT trim(c.geo) AS geo, CAST(c.ts AS DATE) AS date, {value} AS kpi "
                             f"FROM conversions c WHERE nullif(trim(c.geo), '') IS NOT NULL{rng}{pf} "
                             "GROUP BY 1, 2", params).df()
            no_geo = int(con.execute("SELECT count(*) FROM conversions c WHERE nullif(trim(c.geo), '') IS NULL"
                                     f"{rng}{pf}", params).fetchall()[0][0])
            sp = pd.DataFrame()
            if cost is not False and "geo" in table_columns(con, "spend"):
                srng = rng.replace("CAST(c.ts AS DATE)", '"date"')
                sparams = list(params)
                if channels:
                    srng += " AND channel IN (" + ", ".join("?" for _ in channels) + ")"
                    sparams += [str(c) for c in channels]
                cur = con.execute("SELECT DISTINCT currency FROM spend WHERE currency IS NOT NULL AND "
                                  f"nullif(trim(geo), '') IS NOT NULL{srng}", sparams).fetchall()
                if len(cur) > 1:
                    raise InputDataError(f"{source} (spend.currency)", "spend by geo is in several currencies "
                                         f"{sorted(str(r[0]) for r in cur)}",
                                         ["pass the channels of one currency, or convert the spend before loading"])
                sp = con.execute('SELECT trim(geo) AS geo, "date" AS date, coalesce(sum(spend), 0) AS cost '
                                 f"FROM spend WHERE nullif(trim(geo), '') IS NOT NULL{srng} GROUP BY 1, 2",
                                 sparams).df()
        finally:
            con.close()
        if kp.empty:
            raise InputDataError(f"{source} (conversions.geo)", "no conversion "
                                 + ("in the date range " if lo or hi else "") + "has a geo", [fix])
        kp["date"] = pd.to_datetime(kp["date"])
        geos = sorted(kp["geo"].astype(str).unique().tolist())
        d0 = pd.Timestamp(lo) if lo is not None else kp["date"].min()
        d1 = pd.Timestamp(hi) if hi is not None else kp["date"].max()
        grid = pd.MultiIndex.from_product([geos, pd.date_range(d0, d1, freq="D")], names=["geo", "date"])
        frame = kp.set_index(["geo", "date"])[["kpi"]].reindex(grid, fill_value=0.0).reset_index()
        notes: list[str] = []
        if no_geo:
            notes.append(f"{no_geo:,} conversion(s) have no geo and are not in the panel")
        if not sp.empty:
            sp["date"] = pd.to_datetime(sp["date"])
            outside = sorted(set(sp["geo"].astype(str)) - set(geos))
            sp = sp[sp["geo"].isin(geos)]
            if outside:
                notes.append(f"spend in {len(outside)} geo(s) without conversions left out: "
                             f"{outside[:_MAX_LISTED]}{' …' if len(outside) > _MAX_LISTED else ''} "
                             "(check that spend and conversions spell geos alike)")
        if sp.empty and cost:
            raise InputDataError(f"{source} (spend.geo)", "no spend row " + (
                "in the panel's geos " if notes and "spend in" in notes[-1] else "") + "has a geo"
                + (f" for channels {list(channels)}" if channels else ""),
                ["ingest a geo-split spend report (region/city columns are read as `geo`), or read the "
                 "panel without cost"])
        if not sp.empty:
            cost_w = sp.set_index(["geo", "date"])["cost"].reindex(grid, fill_value=0.0)
            frame["cost"] = cost_w.to_numpy(dtype=float)
        panel = cls.from_frame(frame, cost_col="cost" if "cost" in frame.columns else None,
                               source=f"{source} (conversions.geo)")
        return cls(panel.frame, panel.source, tuple(notes))
