"""Weekly series for the MMM: retail calendar, plain-file loading and workspace aggregation.

The model works on one row per period (week by default). :func:`load_file` reads a plain file (CSV,
Parquet or Excel, through :func:`omnimix.io.read_frame`; :func:`load_csv` is the same function under
its older name), :func:`load_workspace` aggregates the warehouse tables ``spend`` (date, channel,
spend), ``conversions`` (ts, value) and ``experiments`` (channel, start, end, lift, lift_sd, spend),
read through :class:`omnimix.workspace.Workspace`, into the same :class:`MMMData` shape. Simulated
worlds become :class:`MMMData` with :func:`omnimix.simulate.truth.from_world`.

The Chinese retail calendar (:func:`retail_events`) marks the weeks of 春节 (Lunar New Year and the
week after it), 618, 双11 and 双12; both the simulator and the model use it so that the simulated
events and the model's event regressors line up exactly.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from omnimix.errors import InputDataError

if TYPE_CHECKING:
    import pandas as pd

    from omnimix.workspace import Workspace

log = logging.getLogger("omnimix")

#: Lunar New Year (春节, first day of the first lunar month), Gregorian dates 2010–2045.
LUNAR_NEW_YEAR: dict[int, dt.date] = {
    2010: dt.date(2010, 2, 14),
    2011: dt.date(2011, 2, 3),
    2012: dt.date(2012, 1, 23),
    2013: dt.date(2013, 2, 10),
    2014: dt.date(2014, 1, 31),
    2015: dt.date(2015, 2, 19),
    2016: dt.date(2016, 2, 8),
    2017: dt.date(2017, 1, 28),
    2018: dt.date(2018, 2, 16),
    2019: dt.date(2019, 2, 5),
    2020: dt.date(2020, 1, 25),
    2021: dt.date(2021, 2, 12),
    2022: dt.date(2022, 2, 1),
    2023: dt.date(2023, 1, 22),
    2024: dt.date(2024, 2, 10),
    2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6),
    2028: dt.date(2028, 1, 26),
    2029: dt.date(2029, 2, 13),
    2030: dt.date(2030, 2, 3),
    2031: dt.date(2031, 1, 23),
    2032: dt.date(2032, 2, 11),
    2033: dt.date(2033, 1, 31),
    2034: dt.date(2034, 2, 19),
    2035: dt.date(2035, 2, 8),
    2036: dt.date(2036, 1, 28),
    2037: dt.date(2037, 2, 15),
    2038: dt.date(2038, 2, 4),
    2039: dt.date(2039, 1, 24),
    2040: dt.date(2040, 2, 12),
    2041: dt.date(2041, 2, 1),
    2042: dt.date(2042, 1, 22),
    2043: dt.date(2043, 2, 10),
    2044: dt.date(2044, 1, 30),
    2045: dt.date(2045, 2, 17),
}

#: Event regressor names, in column order.
EVENT_NAMES: tuple[str, ...] = (
    "event_cny",
    "event_cny_after",
    "event_618",
    "event_double11",
    "event_double12",
)


def _fixed_dates(year: int) -> dict[str, dt.date]:
    out = {
        "event_618": dt.date(year, 6, 18),
        "event_double11": dt.date(year, 11, 11),
        "event_double12": dt.date(year, 12, 12),
    }
    if year in LUNAR_NEW_YEAR:
        cny = LUNAR_NEW_YEAR[year]
        out["event_cny"] = cny
        out["event_cny_after"] = cny + dt.timedelta(days=7)
    return out


def retail_events(period_starts: Sequence[dt.date], period_days: int = 7) -> dict[str, np.ndarray]:
    """Flags for the Chinese retail events per period.

    Args:
        period_starts: first day of each period, length T (Mondays for weekly data).
        period_days: length of one period in days (7 weekly, 1 daily).

    Returns:
        ``{name: flags}`` for every name in :data:`EVENT_NAMES`; flags are float arrays of shape (T,)
        holding 1.0 for the period that contains the event day (for ``event_cny_after``: the day one
        week after 春节) and 0.0 elsewhere.
    """
    starts = np.array([np.datetime64(d, "D") for d in period_starts], dtype="datetime64[D]")
    out = {name: np.zeros(len(starts)) for name in EVENT_NAMES}
    if len(starts) == 0:
        return out
    years = range(int(str(starts.min())[:4]) - 1, int(str(starts.max())[:4]) + 2)
    for year in years:
        for name, day in _fixed_dates(year).items():
            d64 = np.datetime64(day, "D")
            hit = (starts <= d64) & (d64 < starts + np.timedelta64(period_days, "D"))
            out[name][hit] = 1.0
    return out


@dataclass(frozen=True)
class Experiment:
    """One lift test: the measured incremental KPI of ``channel`` over ``[start, end]``.

    Attributes:
        channel: the tested channel's name.
        start: first day of the test window.
        end: last day of the test window (inclusive).
        lift: measured incremental KPI over the window (KPI units, e.g. CNY).
        lift_sd: standard error of ``lift``.
        spend: spend on the channel during the window (informational).
    """

    channel: str
    start: dt.date
    end: dt.date
    lift: float
    lift_sd: float
    spend: float = float("nan")


@dataclass(frozen=True)
class MMMData:
    """A weekly (or daily) modelling table, national or by geo.

    Attributes:
        dates: period start dates, length T.
        kpi: KPI per period, shape (T,) — or (T, G) with geos.
        media: media inputs (spend or impressions), shape (T, C) — or (T, G, C).
        spend: spend, same shape as ``media``; used for ROI. Equals ``media`` when media is spend.
        channels: channel names, length C.
        controls: control regressors, shape (T, K) — or (T, G, K).
        control_names: names of the controls, length K.
        experiments: lift tests to calibrate with (national: summed over geos).
        period_days: 7 for weekly data, 1 for daily.
        geos: geo names, length G (empty for national data).
    """

    dates: tuple[dt.date, ...]
    kpi: np.ndarray
    media: np.ndarray
    spend: np.ndarray
    channels: tuple[str, ...]
    controls: np.ndarray
    control_names: tuple[str, ...]
    experiments: tuple[Experiment, ...] = field(default_factory=tuple)
    period_days: int = 7
    geos: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        t = len(self.dates)
        g = (len(self.geos),) if self.geos else ()
        problems = []
        want = {
            "kpi": (t, *g),
            "media": (t, *g, len(self.channels)),
            "spend": (t, *g, len(self.channels)),
            "controls": (t, *g, len(self.control_names)),
        }
        for name, shape in want.items():
            got = getattr(self, name).shape
            if got != shape:
                problems.append(f"{name} has shape {got}, expected {shape}")
        if problems:
            raise InputDataError("<MMMData>", "inconsistent shapes", problems)

    @property
    def n_periods(self) -> int:
        """Number of periods T."""
        return len(self.dates)

    def split(self, holdout: int) -> tuple[MMMData, MMMData]:
        """Split into (train, holdout) with the last ``holdout`` periods held out."""
        if holdout <= 0 or holdout >= self.n_periods:
            raise InputDataError(
                "<MMMData>", f"holdout={holdout} is invalid", [f"expected 0 < holdout < {self.n_periods}"]
            )
        cut = self.n_periods - holdout

        def part(sl: slice) -> MMMData:
            dates = self.dates[sl]
            exps = tuple(
                e
                for e in self.experiments
                if dates[0] <= e.start and e.end <= dates[-1] + dt.timedelta(days=self.period_days - 1)
            )
            return MMMData(
                dates,
                self.kpi[sl],
                self.media[sl],
                self.spend[sl],
                self.channels,
                self.controls[sl],
                self.control_names,
                exps,
                self.period_days,
                self.geos,
            )

        return part(slice(0, cut)), part(slice(cut, None))


def experiments_from_frame(df: pd.DataFrame, source: str) -> tuple[Experiment, ...]:
    """Lift tests from a frame with columns channel, start, end, lift, lift_sd[, spend]."""
    import pandas as pd

    need = ["channel", "start", "end", "lift", "lift_sd"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise InputDataError(
            source, f"experiments lack columns {missing}", [f"expected columns {need} (+ spend)"]
        )
    out = []
    for row in df.itertuples(index=False):
        r: dict[str, Any] = row._asdict()
        sd = float(r["lift_sd"])
        if not np.isfinite(sd) or sd <= 0:
            raise InputDataError(
                source, f"experiment on {r['channel']} has lift_sd={sd}", ["lift_sd must be > 0"]
            )
        out.append(
            Experiment(
                channel=str(r["channel"]),
                start=pd.Timestamp(r["start"]).date(),
                end=pd.Timestamp(r["end"]).date(),
                lift=float(r["lift"]),
                lift_sd=sd,
                spend=float(r.get("spend", float("nan"))),
            )
        )
    return tuple(out)


def load_experiments(path: str | Path) -> tuple[Experiment, ...]:
    """Read lift tests from a file (CSV, Parquet or Excel) with columns channel, start, end, lift,
    lift_sd[, spend]."""
    from omnimix.io import read_frame

    p = Path(path)
    return experiments_from_frame(read_frame(p), str(p))


def from_frame(
    df: pd.DataFrame,
    *,
    date_col: str,
    kpi_col: str,
    channels: Sequence[str],
    controls: Sequence[str] = (),
    spend_cols: Sequence[str] | None = None,
    experiments: Sequence[Experiment] = (),
    source: str = "<frame>",
) -> MMMData:
    """Build :class:`MMMData` from a data frame with one row per period.

    Args:
        df: the table.
        date_col: column holding the period start date.
        kpi_col: KPI column.
        channels: media columns (spend or impressions), one per channel.
        controls: control columns.
        spend_cols: spend columns matching ``channels`` when the media columns are not spend (for ROI).
        experiments: lift tests.
        source: name used in error messages.
    """
    import pandas as pd

    cols = [date_col, kpi_col, *channels, *controls, *(spend_cols or [])]
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputDataError(source, f"missing columns {missing}", [f"available columns: {list(df.columns)}"])
    if not channels:
        raise InputDataError(source, "no channels given", ["pass --channels a,b with the media columns"])
    problems = []
    for c in [kpi_col, *channels, *controls, *(spend_cols or [])]:
        vals = pd.to_numeric(df[c], errors="coerce")
        bad = int(vals.isna().sum())
        if bad:
            problems.append(f"column {c!r}: {bad} non-numeric or empty values (fill or drop those rows)")
    for c in [*channels, *(spend_cols or [])]:
        neg = int((pd.to_numeric(df[c], errors="coerce") < 0).sum())
        if neg:
            problems.append(f"column {c!r}: {neg} negative values (media must be >= 0)")
    try:
        dates = pd.to_datetime(df[date_col])
    except (ValueError, TypeError) as exc:
        problems.append(f"column {date_col!r} is not a date column ({exc})")
        dates = None
    if problems:
        raise InputDataError(source, "the data cannot be modelled", problems)
    assert dates is not None
    order = np.argsort(dates.to_numpy(), kind="stable")
    d = df.iloc[order].reset_index(drop=True)
    dates = dates.iloc[order].reset_index(drop=True)
    if dates.duplicated().any():
        raise InputDataError(
            source, f"duplicate dates in {date_col!r}", ["aggregate to one row per period first"]
        )
    if len(d) < 20:
        raise InputDataError(
            source, f"only {len(d)} periods", ["an MMM needs at least 20 periods (ideally 2 years)"]
        )
    gaps = np.diff(dates.to_numpy().astype("datetime64[D]").astype(np.int64))
    period_days = int(np.median(gaps)) if len(gaps) else 7
    media = d[list(channels)].to_numpy(float)
    spend = d[list(spend_cols)].to_numpy(float) if spend_cols else media.copy()
    return MMMData(
        dates=tuple(x.date() for x in dates),
        kpi=d[kpi_col].to_numpy(float),
        media=media,
        spend=spend,
        channels=tuple(channels),
        controls=d[list(controls)].to_numpy(float).reshape(len(d), len(controls)),
        control_names=tuple(controls),
        experiments=tuple(experiments),
        period_days=period_days,
    )


def load_file(
    path: str | Path,
    *,
    date_col: str,
    kpi_col: str,
    channels: Sequence[str],
    controls: Sequence[str] = (),
    experiments: str | Path | Sequence[Experiment] | None = None,
    sheet: str | int | None = None,
) -> MMMData:
    """Read a weekly table (one row per period) from a CSV, Parquet or Excel file into :class:`MMMData`.

    Args:
        path: the file (format from its name; see :func:`omnimix.io.read_frame`).
        date_col: column holding the period start date.
        kpi_col: KPI column.
        channels: media columns, one per channel.
        controls: control columns.
        experiments: lift tests: a file for :func:`load_experiments` or :class:`Experiment` objects.
        sheet: Excel sheet (default: the first).

    Raises:
        InputDataError: the file is missing, cannot be parsed or cannot be modelled.
    """
    from omnimix.io import read_frame

    p = Path(path)
    df = read_frame(p, sheet=sheet)
    if experiments is None:
        exps: tuple[Experiment, ...] = ()
    elif isinstance(experiments, str | Path):
        exps = load_experiments(experiments)
    else:
        exps = tuple(experiments)
    return from_frame(
        df,
        date_col=date_col,
        kpi_col=kpi_col,
        channels=channels,
        controls=controls,
        experiments=exps,
        source=str(p),
    )


def load_csv(
    path: str | Path,
    *,
    date_col: str,
    kpi_col: str,
    channels: Sequence[str],
    controls: Sequence[str] = (),
    experiments_csv: str | Path | None = None,
) -> MMMData:
    """Read a weekly file into :class:`MMMData`: :func:`load_file` under its older name (any format
    :func:`omnimix.io.read_frame` reads, not only CSV)."""
    return load_file(
        path, date_col=date_col, kpi_col=kpi_col, channels=channels, controls=controls,
        experiments=experiments_csv,
    )


def load_workspace(
    workspace: Workspace | str | Path,
    *,
    channels: Sequence[str] | None = None,
    controls: Sequence[str] = (),
) -> MMMData:
    """Aggregate the workspace warehouse into weekly series.

    Reads through :class:`omnimix.workspace.Workspace` (one read-only connection to the warehouse file
    that omnimix.toml names). Weekly spend per channel comes from ``spend`` (date, channel, spend), the
    KPI is the weekly sum of ``conversions.value`` (revenue), and lift tests come from ``experiments``
    when that table exists. Weeks start on Monday; weeks with no spend on a channel get 0.

    Args:
        workspace: a :class:`~omnimix.workspace.Workspace` or its directory.
        channels: channels to model (default: every channel in ``spend``).
        controls: not available from the warehouse yet; must be empty.

    Raises:
        InputDataError: no warehouse, missing or empty tables, unknown channels, or controls given.
    """
    import pandas as pd

    from omnimix.errors import ConfigError
    from omnimix.workspace import Workspace

    try:
        ws = Workspace.of(workspace)
    except ConfigError as exc:
        raise InputDataError(
            str(workspace), "workspace warehouse not found", [str(exc), "run `omnimix ingest` first or pass a file"]
        ) from None
    db = ws.warehouse_path
    if not db.exists():
        raise InputDataError(
            str(db), "workspace warehouse not found", ["run `omnimix ingest` first or pass a file"]
        )
    if controls:
        raise InputDataError(
            str(db),
            f"controls {list(controls)} are not in the warehouse",
            ["use file mode (a CSV, Parquet or Excel file) to pass controls"],
        )
    con = ws.connect(read_only=True)
    try:
        tables = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main'").fetchall()}
        for t in ("spend", "conversions"):
            if t not in tables:
                raise InputDataError(str(db), f"table {t!r} missing", ["ingest spend and conversions first"])
        sp = con.execute(
            "select cast(date_trunc('week', cast(date as date)) as date) as week,"
            " cast(channel as varchar) as channel,"
            " sum(spend) as spend from spend group by 1, 2"
        ).df()
        kp = con.execute(
            "select cast(date_trunc('week', cast(ts as timestamp)) as date) as week, sum(value) as kpi"
            " from conversions group by 1"
        ).df()
        ex = con.execute("select * from experiments").df() if "experiments" in tables else None
    finally:
        con.close()
    if sp.empty or kp.empty:
        raise InputDataError(str(db), "spend or conversions is empty", ["ingest data before fitting"])
    wide = sp.pivot_table(index="week", columns="channel", values="spend", aggfunc="sum", fill_value=0.0)
    chans = list(channels) if channels else sorted(str(c) for c in wide.columns)
    missing = [c for c in chans if c not in wide.columns]
    if missing:
        raise InputDataError(
            str(db), f"channels {missing} have no spend", [f"known channels: {list(wide.columns)}"]
        )
    lo = max(pd.Timestamp(wide.index.min()), pd.Timestamp(kp["week"].min()))
    hi = min(pd.Timestamp(wide.index.max()), pd.Timestamp(kp["week"].max()))
    weeks = pd.date_range(lo, hi, freq="7D")
    wide.index = pd.to_datetime(wide.index)
    kp = kp.assign(week=pd.to_datetime(kp["week"])).set_index("week")["kpi"]
    frame = pd.DataFrame({"week": weeks})
    frame["kpi"] = kp.reindex(weeks).fillna(0.0).to_numpy()
    for c in chans:
        frame[c] = wide[c].reindex(weeks).fillna(0.0).to_numpy()
    exps = experiments_from_frame(ex, f"{db}:experiments") if ex is not None and not ex.empty else ()
    exps = tuple(e for e in exps if e.channel in chans)
    return from_frame(frame, date_col="week", kpi_col="kpi", channels=chans, experiments=exps, source=str(db))
