"""RFM scores (1–5), named segments and persona cards.

Scores are quintiles of the customer base: ``R`` from days since the last purchase (recent → 5),
``F`` from the number of purchase days, ``M`` from total spend. Segments are rules on ``R`` and
``FM = round_half_up((F + M) / 2)``; the first matching rule wins and the rules must cover the whole
5 × 5 grid. The default ten segments (the common RFM grid)::

    R \\ FM     1                2           3               4          5
    5          New              Potential   Potential       Champions  Champions
    4          Promising        Potential   Potential       Loyal      Loyal
    3          About to Sleep   About to S. Need Attention  Loyal      Loyal
    1–2        Lost             Lost        At Risk         At Risk    Can't Lose Them
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from omnimix.clv.store import open_workspace, save_segments
from omnimix.errors import ConfigError, InputDataError
from omnimix.workspace import table_columns

if TYPE_CHECKING:
    import pandas as pd

    from omnimix.workspace import Workspace

__all__ = [
    "DEFAULT_SEGMENTS", "PersonaCard", "SegmentRule", "load_rules", "persona_cards", "read_workspace_attributes",
    "rfm_table", "save_segments", "score", "validate_rules",
]


@dataclass(frozen=True)
class SegmentRule:
    """One named segment: inclusive ranges of the R and FM scores.

    Attributes:
        name: segment name.
        r: (low, high) R score range, within 1..5.
        fm: (low, high) FM score range, within 1..5.
        description: one line for the persona card.
    """

    name: str
    r: tuple[int, int]
    fm: tuple[int, int]
    description: str = ""

    def __post_init__(self) -> None:
        for label, rng in (("r", self.r), ("fm", self.fm)):
            if len(rng) != 2 or not (1 <= rng[0] <= rng[1] <= 5):
                raise ConfigError(
                    f"segment {self.name!r}: {label}={list(rng)}; expected [low, high] with "
                    "1 <= low <= high <= 5"
                )

    def matches(self, r: int, fm: int) -> bool:
        """Whether scores (r, fm) fall in this segment."""
        return self.r[0] <= r <= self.r[1] and self.fm[0] <= fm <= self.fm[1]


DEFAULT_SEGMENTS: tuple[SegmentRule, ...] = (
    SegmentRule("Champions", (5, 5), (4, 5), "Bought recently, buy often and spend the most."),
    SegmentRule("Loyal", (3, 4), (4, 5), "Buy regularly and spend well; responsive to loyalty offers."),
    SegmentRule("Potential Loyalist", (4, 5), (2, 3), "Recent customers with average frequency and spend."),
    SegmentRule("New", (5, 5), (1, 1), "Bought very recently, for the first time or rarely."),
    SegmentRule("Promising", (4, 4), (1, 1), "Recent shoppers who have not spent much yet."),
    SegmentRule("Need Attention", (3, 3), (3, 3), "Average recency, frequency and spend; slipping."),
    SegmentRule(
        "About to Sleep", (3, 3), (1, 2), "Below-average recency and value; will be lost without a nudge."
    ),
    SegmentRule("At Risk", (1, 2), (3, 4), "Bought often and spent well, but long ago."),
    SegmentRule("Can't Lose Them", (1, 2), (5, 5), "Were among the best customers; have not come back."),
    SegmentRule("Lost", (1, 2), (1, 2), "Lowest recency, frequency and spend."),
)


def validate_rules(rules: tuple[SegmentRule, ...] | list[SegmentRule]) -> tuple[SegmentRule, ...]:
    """Check that the rules cover every (R, FM) cell; raises ConfigError listing the gaps."""
    rules_t = tuple(rules)
    if not rules_t:
        raise ConfigError("no segment rules given; expected at least one")
    gaps = [
        f"R={r} FM={fm}"
        for r in range(1, 6)
        for fm in range(1, 6)
        if not any(rule.matches(r, fm) for rule in rules_t)
    ]
    if gaps:
        raise ConfigError("segment rules leave score cells without a segment; add rules covering them", gaps)
    return rules_t


def load_rules(path: str | Path) -> tuple[SegmentRule, ...]:
    """Read rules from JSON: ``[{"name": ..., "r": [lo, hi], "fm": [lo, hi], "description": ...}]``."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        rules = [
            SegmentRule(
                str(d["name"]),
                (int(d["r"][0]), int(d["r"][1])),
                (int(d["fm"][0]), int(d["fm"][1])),
                str(d.get("description", "")),
            )
            for d in raw
        ]
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise ConfigError(
            f"{path}: cannot read segment rules ({exc}); expected a JSON list of "
            '{"name", "r": [lo, hi], "fm": [lo, hi]} objects'
        ) from exc
    return validate_rules(rules)


def rfm_table(
    transactions: pd.DataFrame,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str | None = "value",
    as_of: Any = None,
) -> pd.DataFrame:
    """Per-customer recency (days since last purchase), frequency (purchase days), monetary (total).

    Returns:
        DataFrame indexed by customer with recency_days, frequency, monetary, orders, first_purchase.
    """
    import pandas as pd

    from omnimix.clv.summary import parse_dates

    missing = [c for c in (customer_col, date_col, value_col) if c is not None and c not in transactions]
    if missing:
        raise InputDataError(
            "transactions", f"missing column(s) {missing}; found {list(transactions.columns)}"
        )
    df = pd.DataFrame(
        {
            "customer": transactions[customer_col].astype(str).to_numpy(),
            "ts": parse_dates(transactions[date_col]).to_numpy(),
            "value": (
                pd.to_numeric(transactions[value_col], errors="coerce").fillna(0.0).to_numpy(float)
                if value_col is not None
                else np.zeros(len(transactions))
            ),
        }
    ).dropna(subset=["ts"])
    if df.empty:
        raise InputDataError("transactions", "no dated transactions to score")
    df["day"] = df["ts"].dt.floor("D")
    ref = pd.Timestamp(as_of).floor("D") if as_of is not None else df["day"].max()
    g = df.groupby("customer")
    out = pd.DataFrame(
        {
            "recency_days": (ref - g["day"].max()).dt.days.astype(float),
            "frequency": g["day"].nunique().astype(float),
            "monetary": g["value"].sum().astype(float),
            "orders": g["value"].size().astype(float),
            "first_purchase": g["day"].min(),
        }
    )
    out.index.name = "customer_id"
    return out


def _quintile(values: pd.Series, higher_is_better: bool) -> Any:
    pct = values.rank(method="average", pct=True).to_numpy(float)
    score = np.clip(np.ceil(pct * 5.0), 1, 5).astype(int)
    return score if higher_is_better else 6 - score


def score(rfm: pd.DataFrame, rules: tuple[SegmentRule, ...] = DEFAULT_SEGMENTS) -> pd.DataFrame:
    """Add R, F, M, FM scores (1–5) and the segment name to an :func:`rfm_table` frame."""
    rules = validate_rules(rules)
    out = rfm.copy()
    # ties in recency rank together; recency is scored on its negation so recent → 5
    out["R"] = _quintile(-out["recency_days"], True)
    out["F"] = _quintile(out["frequency"], True)
    out["M"] = _quintile(out["monetary"], True)
    out["FM"] = np.floor((out["F"].to_numpy() + out["M"].to_numpy()) / 2.0 + 0.5).astype(int)
    r_arr, fm_arr = out["R"].to_numpy(), out["FM"].to_numpy()
    names = np.empty(len(out), dtype=object)
    for r in range(1, 6):
        for fm in range(1, 6):
            rule = next(rl for rl in rules if rl.matches(r, fm))
            names[(r_arr == r) & (fm_arr == fm)] = rule.name
    out["segment"] = names
    return out


@dataclass(frozen=True)
class PersonaCard:
    """A summary of one segment for marketers.

    Attributes:
        segment: segment name; description: its one-line portrait.
        size: customers; share: share of customers; value_share: share of total revenue.
        aov: average order value; mean_orders: orders per customer; median_recency_days: days since
        the last purchase (median); mean_clv: mean predicted CLV (None without predictions).
        top_channels, top_regions: up to 3 (name, share) pairs; typical_path: most common path.
    """

    segment: str
    description: str
    size: int
    share: float
    value_share: float
    aov: float
    mean_orders: float
    median_recency_days: float
    mean_clv: float | None = None
    top_channels: list[tuple[str, float]] = field(default_factory=list)
    typical_path: str | None = None
    top_regions: list[tuple[str, float]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        d = asdict(self)
        d["top_channels"] = [{"name": n, "share": s} for n, s in self.top_channels]
        d["top_regions"] = [{"name": n, "share": s} for n, s in self.top_regions]
        return d


def _top(values: pd.Series, k: int = 3) -> list[tuple[str, float]]:
    v = values.dropna().astype(str)
    v = v[v != ""]
    if v.empty:
        return []
    counts = v.value_counts(normalize=True).head(k)
    return [(str(n), float(s)) for n, s in counts.items()]


def persona_cards(
    scored: pd.DataFrame,
    attributes: pd.DataFrame | None = None,
    clv: pd.Series | None = None,
    rules: tuple[SegmentRule, ...] = DEFAULT_SEGMENTS,
) -> list[PersonaCard]:
    """One card per segment present, largest value share first.

    Args:
        scored: output of :func:`score` (index customer id).
        attributes: optional per-customer frame (index customer id) with any of ``channel``
            (acquisition channel), ``path`` (typical journey, e.g. "search > email"), ``region``.
        clv: optional predicted CLV per customer (index customer id).
        rules: the rules used (for descriptions).

    Returns:
        Persona cards.
    """
    desc = {r.name: r.description for r in rules}
    df = scored.copy()
    if attributes is not None:
        df = df.join(attributes[[c for c in ("channel", "path", "region") if c in attributes]], how="left")
    if clv is not None:
        df["clv"] = clv.reindex(df.index)
    total_value = float(df["monetary"].sum())
    n_all = len(df)
    cards = []
    for name, grp in df.groupby("segment", sort=False):
        orders = float(grp["orders"].sum())
        cards.append(
            PersonaCard(
                segment=str(name),
                description=desc.get(str(name), ""),
                size=len(grp),
                share=len(grp) / n_all,
                value_share=float(grp["monetary"].sum()) / total_value if total_value > 0 else 0.0,
                aov=float(grp["monetary"].sum()) / orders if orders > 0 else 0.0,
                mean_orders=float(grp["orders"].mean()),
                median_recency_days=float(grp["recency_days"].median()),
                mean_clv=float(grp["clv"].mean()) if "clv" in grp and grp["clv"].notna().any() else None,
                top_channels=_top(grp["channel"]) if "channel" in grp else [],
                typical_path=(_top(grp["path"], 1)[0][0] if "path" in grp and _top(grp["path"], 1) else None),
                top_regions=_top(grp["region"]) if "region" in grp else [],
            )
        )
    cards.sort(key=lambda c: -c.value_share)
    return cards


def read_workspace_attributes(workspace: Workspace | str | Path) -> pd.DataFrame | None:
    """Per-customer persona attributes from the warehouse (read-only), index customer_id.

    ``channel``: ``customers.acquisition_channel`` (else the first of ``channels``); ``region``:
    ``customers.region/city/country``, else the most common ``contacts.city`` of the person (through
    ``row_customers``); ``path``: ``customers.path``, else the path of the person's first converting
    journey (``journeys``). Columns whose source is missing are left out; None without ``customers``.
    """
    con = open_workspace(workspace)
    try:
        cols = table_columns(con, "customers")
        if not cols:
            return None
        sel = ["CAST(customer_id AS VARCHAR) AS customer_id"]
        if "acquisition_channel" in cols:
            sel.append("CAST(acquisition_channel AS VARCHAR) AS channel")
        elif "channels" in cols:
            sel.append("CAST(channels[1] AS VARCHAR) AS channel")
        region_col = next((c for c in ("region", "city", "country") if c in cols), None)
        if region_col:
            sel.append(f'CAST("{region_col}" AS VARCHAR) AS region')
        if "path" in cols:
            sel.append("CAST(path AS VARCHAR) AS path")
        df: pd.DataFrame = (
            con.execute(f"SELECT {', '.join(sel)} FROM customers").df().set_index("customer_id")
        )
        has_map = bool(table_columns(con, "row_customers"))
        ct_cols = table_columns(con, "contacts")
        if region_col is None and has_map and "city" in ct_cols and "record_id" in ct_cols:
            key = "ct.source || ':' || ct.record_id" if "source" in ct_cols else "ct.record_id"
            reg = con.execute(
                "SELECT CAST(r.customer_id AS VARCHAR) AS customer_id, mode(ct.city) AS region "
                f"FROM contacts ct JOIN row_customers r ON r.src_table = 'contacts' AND r.row_key = {key} "
                "WHERE ct.city IS NOT NULL GROUP BY 1"
            ).df()
            df = df.join(reg.set_index("customer_id"), how="left")
        j_cols = table_columns(con, "journeys")
        if "path" not in cols and {"customer_id", "path", "converted", "conversion_ts"} <= set(j_cols):
            paths = con.execute(
                "SELECT CAST(customer_id AS VARCHAR) AS customer_id, "
                "CAST(arg_min(path, conversion_ts) AS VARCHAR) AS path FROM journeys "
                "WHERE converted GROUP BY 1"
            ).df()
            df = df.join(paths.set_index("customer_id"), how="left")
    finally:
        con.close()
    return df
