"""Daily worlds with planted anomalies of known dates, for scoring the monitor (issue #19).

:func:`plant_world` writes a workspace whose warehouse holds daily spend per channel, conversions
(one row per order, persons by phone), touchpoints per channel and funnel stage, and the daily ``loads``
of each source, drawn from a known daily model:

* spend of channel ``c`` on day ``t``: ``base_c · weekday_c(t) · (1 + trend·t/365) · LogNormal(0, 0.08)``;
* expected revenue: ``baseline · weekday(t) + Σ_c beta_c · hill(spend_c(t); K_c, s_c)`` — the true
  daily response curves, also returned so a test can stand in for a fitted MMM;
* orders ~ Poisson(revenue / AOV), values ~ AOV · LogNormal(0, 0.3); a share of buyers are new;
* touchpoints of a channel ~ Poisson(rate_c · spend_c), half at the channel's own funnel stage;
* ``attribution_results`` (model markov) crediting each channel its true media contribution.

Then one anomaly (``kind``) starts on a known day inside the last ``window`` days:

* ``spend_spike``: one channel spends 3–4× for 1–2 days;
* ``tracking_break``: one channel's touchpoints fall to a tenth for a week (pixel broken);
* ``kpi_drop``: orders fall by 40–55% for a week while spend runs as planned (not explained by spend);
* ``source_stops``: one channel's spend source stops loading (no rows, no loads from that day on);
* ``spend_cut``: every channel's spend is cut to 40% from that day and revenue follows the true
  response — the drop the MMM explains, which must raise no KPI alert;
* ``clean``: nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omnimix.taxonomy import FUNNEL_STAGES
from omnimix.transforms import hill
from omnimix.workspace import Workspace

KINDS: tuple[str, ...] = ("spend_spike", "tracking_break", "kpi_drop", "source_stops", "spend_cut", "clean")
_CHANNELS = ("search", "social", "video", "display", "kol", "email", "affiliate", "wechat")
_STAGES = {"search": "consideration", "social": "awareness", "video": "awareness", "display": "awareness",
           "kol": "consideration", "email": "retention", "affiliate": "decision", "wechat": "consideration"}


@dataclass
class Plant:
    """A planted anomaly: kind, first day, last day, channel (None for all) and metric touched."""

    kind: str
    start: str
    end: str
    channel: str | None
    metric: str


@dataclass
class PlantedWorld:
    """What :func:`plant_world` wrote: the workspace, its days, the plants and the true curves."""

    root: str
    first_day: str
    last_day: str
    window_start: str
    channels: list[str]
    plants: list[Plant] = field(default_factory=list)
    curves: dict[str, dict[str, float]] = field(default_factory=dict)
    baseline: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _daily(rng: np.random.Generator, days: int, chans: list[str]) -> dict[str, Any]:
    base = rng.uniform(800, 6000, len(chans))
    wk = 1.0 + rng.uniform(0.05, 0.3, (len(chans), 1)) * np.cos(
        2 * np.pi * (np.arange(days)[None, :] + rng.integers(0, 7, (len(chans), 1))) / 7)
    trend = 1.0 + rng.uniform(-0.15, 0.3) * np.arange(days) / 365
    spend = base[:, None] * wk * trend[None, :] * rng.lognormal(0, 0.08, (len(chans), days))
    return {"spend": spend, "base": base}


def plant_world(out: str | Path, kind: str = "clean", *, seed: int = 0, days: int = 150, channels: int = 4,
                window: int = 28, start: date = date(2025, 1, 6)) -> PlantedWorld:
    """Write a workspace at ``out`` with one planted anomaly of ``kind`` (see the module docstring).

    Raises:
        ValueError: unknown ``kind``, or ``window`` not shorter than ``days`` minus 60.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown anomaly kind {kind!r}; use one of {', '.join(KINDS)}")
    if window > days - 60:
        raise ValueError(f"window {window} needs at least 60 days of history before it; days = {days}")
    rng = np.random.default_rng(seed)
    chans = list(_CHANNELS[:channels])
    c_n = len(chans)
    d = _daily(rng, days, chans)
    spend = d["spend"]
    w0 = days - window
    a = int(rng.integers(w0 + 2, days - 8))
    target = int(rng.integers(0, c_n))
    plants: list[Plant] = []
    day0 = start + timedelta(days=a)

    def add(metric: str, length: int, ch: str | None) -> None:
        plants.append(Plant(kind, day0.isoformat(), (day0 + timedelta(days=length - 1)).isoformat(), ch, metric))

    if kind == "spend_spike":
        n = int(rng.integers(1, 3))
        spend[target, a:a + n] *= rng.uniform(3.0, 4.0)
        add("spend", n, chans[target])
    elif kind == "spend_cut":
        spend[:, a:] *= 0.4
        add("spend", days - a, None)
    k_half = d["base"] * rng.uniform(0.6, 1.5, c_n)
    slope = rng.uniform(1.0, 2.0, c_n)
    roi = rng.uniform(1.5, 4.0, c_n)
    beta = roi * d["base"] / np.asarray(hill(d["base"], k_half, slope, 1.0))  # ROI at typical spend
    beta = beta * rng.uniform(0.25, 0.45)  # media explain a minority of revenue
    media = np.asarray(hill(spend, k_half[:, None], slope[:, None], beta[:, None])).sum(axis=0)
    baseline = float(rng.uniform(1.0, 2.0) * media[:w0].mean())
    dow = 1.0 + 0.15 * np.cos(2 * np.pi * (np.arange(days) + int(rng.integers(0, 7))) / 7)
    revenue = baseline * dow + media
    aov = float(rng.uniform(150, 400))
    lam = revenue / aov
    if kind == "kpi_drop":
        lam[a:a + 7] *= 1.0 - rng.uniform(0.4, 0.55)
        add("revenue", 7, None)
    orders = rng.poisson(lam)
    rate = rng.uniform(0.02, 0.06, c_n)
    touches = rng.poisson(rate[:, None] * spend)
    if kind == "tracking_break":
        touches[target, a:a + 7] = rng.poisson(0.1 * rate[target] * spend[target, a:a + 7])
        add("touchpoints", 7, chans[target])
    stop_from = a if kind == "source_stops" else days
    if kind == "source_stops":
        add("spend", days - a, chans[target])
    root = Path(out)
    ws = Workspace.init(root)
    _write(ws, rng, start, chans, spend, orders, aov, touches, target, stop_from)
    contrib = np.asarray(hill(spend[:, :w0], k_half[:, None], slope[:, None], beta[:, None])).sum(axis=1)
    ws.write("attribution_results", pd.DataFrame({"model": "markov", "channel": chans,
                                                  "conversions": contrib / aov, "value": contrib}))
    curves = {c: {"beta": float(beta[i]), "half_saturation": float(k_half[i]), "slope": float(slope[i])}
              for i, c in enumerate(chans)}
    world = PlantedWorld(str(root), start.isoformat(), (start + timedelta(days=days - 1)).isoformat(),
                         (start + timedelta(days=w0)).isoformat(), chans, plants, curves, baseline)
    (root / "truth.json").write_text(json.dumps(world.to_json(), indent=1), encoding="utf-8")
    return world


def _stages(rng: np.random.Generator, ch: np.ndarray) -> np.ndarray:
    """Each touch's funnel stage: the channel's own stage half the time, else any of the five."""
    own = np.asarray([_STAGES[c] for c in ch], dtype=object)
    other = np.asarray(FUNNEL_STAGES, dtype=object)[rng.integers(0, len(FUNNEL_STAGES), len(ch))]
    return np.where(rng.random(len(ch)) < 0.5, own, other)


def _write(ws: Workspace, rng: np.random.Generator, start: date, chans: list[str], spend: np.ndarray,
           orders: np.ndarray, aov: float, touches: np.ndarray, target: int, stop_from: int) -> None:
    days = spend.shape[1]
    dates = [start + timedelta(days=t) for t in range(days)]
    rows = [(dates[t], c, float(spend[i, t]), int(spend[i, t] * 20), int(spend[i, t] * 0.6), c)
            for i, c in enumerate(chans) for t in range(days) if not (i == target and t >= stop_from)]
    sp = pd.DataFrame(rows, columns=["date", "channel", "spend", "impressions", "clicks", "source"])
    day_idx = np.repeat(np.arange(days), orders)
    n = len(day_idx)
    pool = max(50, n // 3)
    new = rng.random(n) < 0.35
    ids = np.where(new, np.arange(n) + 10_000_000, rng.integers(0, pool, n))
    secs = rng.integers(0, 86_400, n)
    t0 = datetime.combine(start, datetime.min.time())
    conv = pd.DataFrame({
        "conversion_id": [f"o{i}" for i in range(n)],
        "ts": pd.to_datetime(t0) + pd.to_timedelta(day_idx, unit="D") + pd.to_timedelta(secs, unit="s"),
        "type": "purchase",
        "value": aov * rng.lognormal(-0.045, 0.3, n),
        "phone": [f"p{x}" for x in ids],
        "source": "shop",
    })
    ti, tt = np.nonzero(touches)
    reps = touches[ti, tt]
    ch = np.repeat(np.asarray(chans, dtype=object)[ti], reps)
    tday = np.repeat(tt, reps)
    m = len(tday)
    tp = pd.DataFrame({
        "event_id": [f"t{i}" for i in range(m)],
        "ts": pd.to_datetime(t0) + pd.to_timedelta(tday, unit="D") + pd.to_timedelta(
            rng.integers(0, 86_400, m), unit="s"),
        "channel": ch,
        "stage": _stages(rng, ch),
        "phone": [f"p{x}" for x in rng.integers(0, pool, m)],
        "source": "web",
    })
    loads = []
    for src, frame, col in (("shop", conv, "ts"), ("web", tp, "ts"), *((c, sp[sp["source"] == c], "date")
                                                                        for c in chans)):
        dd = pd.to_datetime(frame[col]).dt.date
        for wk in range(days):
            lo, hi = dates[wk], dates[wk]
            part = frame[(dd >= lo) & (dd <= hi)]
            if part.empty:
                continue
            nq = int(rng.binomial(len(part), 0.01))
            table = "conversions" if src == "shop" else "touchpoints" if src == "web" else "spend"
            loads.append({"load_id": f"{src}-{wk}", "file": f"{src}_{lo}.csv", "sha256": f"{src}{wk}",
                          "target_table": table, "rows_in": len(part) + nq, "rows_loaded": len(part),
                          "rows_quarantined": nq, "rows_skipped": 0,
                          "loaded_at": datetime.combine(hi + timedelta(days=1), datetime.min.time()),
                          "source": src, "date_min": lo, "date_max": hi, "status": "loaded"})
    with ws.writer() as w:
        w.write("spend", sp)
        w.write("conversions", conv)
        w.write("touchpoints", tp)
        w.write("loads", pd.DataFrame(loads))


# ------------------------------------------------------------------ anomalies in `omnimix simulate`'s exports
#: a spend spike's factor: the simulated world splits each week's spend over its days at random
#: (a day's share varies by ~35%), so a spike must stand out of that to be one
SPIKE_FACTOR = (8.0, 10.0)
#: the share of a KPI drop's orders removed (a small world has few orders a day)
KPI_DROP = (0.55, 0.7)
#: the kinds :func:`plant_exports` plants, in the order a shuffled cycle draws them from
EXPORT_KINDS: tuple[str, ...] = ("spend_spike", "tracking_break", "kpi_drop", "source_stops")
#: (file, encoding, date column, date format, value column, channel column or the file's one channel)
_SPIKE_FILES = (("meta_ads.csv", "utf-8-sig", "Reporting starts", "%Y-%m-%d", "Amount spent (CNY)", "social"),
                ("other_media_spend.csv", "utf-8", "date", "%Y-%m-%d", "spend", None))
_STOP_FILES = (("ocean_engine_report.csv", "gbk", "日期", "%Y/%m/%d", "douyin"),
               ("google_ads_campaigns.csv", "utf-8", "Day", "%Y-%m-%d", "search"))
_ORDER_FILES = (("shopify_orders.csv", "utf-8", "Name", "Created at"),
                ("pos_transactions.csv", "utf-8", "小票号", "交易时间"))


_EVENT_DATE = re.compile(r'"event_date"\s*:\s*"(\d{8})"')


def _read(path: Path, encoding: str) -> pd.DataFrame:
    return pd.read_csv(path, encoding=encoding, dtype=str, keep_default_na=False)


def _days(values: pd.Series, fmt: str | None = None) -> pd.Series:
    head = values.str.slice(0, 10)
    return pd.to_datetime(head, format=fmt, errors="coerce").dt.date


def plant_exports(out: str | Path, n: int, *, seed: int = 0, window: int = 28) -> list[Plant]:
    """Plant ``n`` anomalies of known dates into the exports :func:`omnimix.simulate.world.simulate_world`
    wrote to ``out`` (``omnimix simulate --anomalies N``), inside the last ``window`` days.

    Kinds cycle through a shuffled :data:`EXPORT_KINDS` (``n ≥ 4`` plants every kind), each on another
    channel or file, each starting on a random day between 24 and 8 days before the last day:

    * ``spend_spike``: one channel's spend (``meta_ads.csv`` or a channel of ``other_media_spend.csv``)
      3–4× on 1–2 days;
    * ``tracking_break``: ``wechat_touchpoints.csv`` keeps a tenth of its events for 7 days;
    * ``kpi_drop``: 40–55% of the orders of 7 days are missing from ``shopify_orders.csv`` and
      ``pos_transactions.csv`` while spend runs as planned (not explained by spend);
    * ``source_stops``: ``ocean_engine_report.csv`` (douyin) or ``google_ads_campaigns.csv`` (search)
      has no rows from that day on.

    The truth goes to ``out/truth/anomalies.json`` (``{"seed", "window_start", "last_day", "plants":
    [{"kind", "metric", "channel", "start", "end"}]}``) and ``out/truth/anomalies.csv``.

    Raises:
        ValueError: ``n`` outside 0–12, or ``out`` holds no simulated world.
    """
    if not 0 <= n <= 12:
        raise ValueError(f"--anomalies {n}: plant between 0 and 12 anomalies")
    root = Path(out)
    weekly = root / "truth" / "weekly.csv"
    if not weekly.is_file():
        raise ValueError(f"{root} holds no simulated world (no truth/weekly.csv): run simulate_world first")
    weeks = pd.read_csv(weekly, usecols=["week"])["week"]
    last = date.fromisoformat(str(weeks.iloc[-1])) + timedelta(days=6)
    if len(weeks) * 7 < window + 60:
        raise ValueError(f"{len(weeks)} weeks are too few to plant anomalies: use --weeks 13 or more")
    rng = np.random.default_rng(seed)
    order = [EXPORT_KINDS[i] for i in rng.permutation(len(EXPORT_KINDS))]
    plants: list[Plant] = []
    used: set[str] = set()
    for i in range(n):
        kind = order[i % len(order)]
        day0 = last - timedelta(days=int(rng.integers(8, 25)))
        plant = _plant_one(root, kind, day0, last, rng, used)
        if plant is not None:
            plants.append(plant)
    doc = {"seed": seed, "window_start": (last - timedelta(days=window - 1)).isoformat(),
           "last_day": last.isoformat(), "plants": [asdict(p) for p in plants]}
    (root / "truth" / "anomalies.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    pd.DataFrame([asdict(p) for p in plants], columns=["kind", "metric", "channel", "start", "end"]).to_csv(
        root / "truth" / "anomalies.csv", index=False)
    return plants


def _plant_one(root: Path, kind: str, day0: date, last: date, rng: np.random.Generator,
               used: set[str]) -> Plant | None:
    """Plant one anomaly of ``kind`` from ``day0``; None when every target of the kind was used."""
    if kind == "spend_spike":
        for fname, enc, dcol, fmt, vcol, chan in _SPIKE_FILES:
            path = root / fname
            if not path.is_file():
                continue
            df = _read(path, enc)
            chans = [chan] if chan is not None else sorted(set(df["channel"]))
            free = [c for c in chans if f"spike:{c}" not in used]
            if not free:
                continue
            ch = free[int(rng.integers(0, len(free)))]
            used.add(f"spike:{ch}")
            length = int(rng.integers(2, 4))
            days = _days(df[dcol], fmt)
            hit = (days >= day0) & (days <= day0 + timedelta(days=length - 1))
            if chan is None:
                hit &= df["channel"] == ch
            factor = float(rng.uniform(SPIKE_FACTOR[0], SPIKE_FACTOR[1]))
            df.loc[hit, vcol] = (pd.to_numeric(df.loc[hit, vcol]) * factor).round(2).astype(str)
            df.to_csv(path, index=False, encoding=enc)
            return Plant(kind, day0.isoformat(), (day0 + timedelta(days=length - 1)).isoformat(), ch, "spend")
        return None
    if kind == "tracking_break":
        path = root / "ga4_events.jsonl"
        if "break:ga4" in used or not path.is_file():
            return None
        used.add("break:ga4")
        lo, hi = day0.strftime("%Y%m%d"), (day0 + timedelta(days=6)).strftime("%Y%m%d")
        keep = []
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                m = _EVENT_DATE.search(line)
                if m is None or not lo <= m.group(1) <= hi or rng.random() < 0.1:
                    keep.append(line)
        path.write_text("".join(keep), encoding="utf-8")
        return Plant(kind, day0.isoformat(), (day0 + timedelta(days=6)).isoformat(), None, "touchpoints")
    if kind == "kpi_drop":
        if "kpi" in used:
            return None
        used.add("kpi")
        share = float(rng.uniform(KPI_DROP[0], KPI_DROP[1]))
        for fname, enc, idcol, tcol in _ORDER_FILES:
            path = root / fname
            if not path.is_file():
                continue
            df = _read(path, enc)
            days = _days(df[tcol], "%Y/%m/%d" if "/" in str(df[tcol].iloc[0])[:10] else "%Y-%m-%d")
            ids = df.loc[((days >= day0) & (days <= day0 + timedelta(days=6))).to_numpy(), idcol].unique()
            gone = set(ids[rng.random(len(ids)) < share])
            df[~df[idcol].isin(gone)].to_csv(path, index=False, encoding=enc)
        return Plant(kind, day0.isoformat(), (day0 + timedelta(days=6)).isoformat(), None, "revenue")
    for fname, enc, dcol, fmt, chan in _STOP_FILES:  # source_stops
        path = root / fname
        if f"stop:{chan}" in used or not path.is_file() or f"spike:{chan}" in used:
            continue
        used.add(f"stop:{chan}")
        df = _read(path, enc)
        days = _days(df[dcol], fmt)
        df[~(days >= day0).to_numpy()].to_csv(path, index=False, encoding=enc)
        return Plant(kind, day0.isoformat(), last.isoformat(), chan, "spend")
    return None
