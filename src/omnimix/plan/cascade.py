"""The cascade: year → quarter → month → channel amounts that add up exactly, and the KPI tree.

Amounts are integers of a unit (cents for money, 1 for counts) split by the largest-remainder method
(:func:`split`): every child is the floor of its exact share and the units left over go to the children
with the largest remainders (ties: the earlier child), so children always sum to their parent. A month
× channel table is rounded with both margins fixed (:func:`split_table`): each cell is its exact share
rounded down or up, and the extra units are placed by augmenting paths so that every month's row and
every channel's column add up exactly.

:class:`KpiTree` multiplies a funnel out (revenue = leads × MQL rate × SQL rate × win rate × order
value) and checks each node against the product of its children.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from omnimix.errors import UsageError


def to_units(amount: float, unit: float = 0.01) -> int:
    """An amount as an integer number of units, halves away from zero (``12.345`` → ``1235`` cents)."""
    x = Fraction(str(amount)) / Fraction(str(unit))
    n = int(abs(x) + Fraction(1, 2))
    return n if x >= 0 else -n


def split(total: int, weights: Sequence[float | Fraction]) -> list[int]:
    """Split an integer ``total`` in proportion to ``weights`` by largest remainders (sums to ``total``).

    Raises:
        UsageError: no weights, a negative weight, or all weights zero with a non-zero total.
    """
    if not weights:
        raise UsageError("split: no weights to split over")
    w = [Fraction(x) if not isinstance(x, Fraction) else x for x in
         (str(v) if isinstance(v, float) else v for v in weights)]
    if any(x < 0 for x in w):
        raise UsageError(f"split: negative weight in {list(map(float, w))}")
    s = sum(w, Fraction(0))
    if s == 0:
        if total == 0:
            return [0] * len(w)
        w, s = [Fraction(1)] * len(w), Fraction(len(w))
    exact = [total * x / s for x in w]
    base = [int(e // 1) for e in exact]
    left = total - sum(base)
    order = sorted(range(len(w)), key=lambda i: (-(exact[i] - base[i]), i))
    for i in order[:left]:
        base[i] += 1
    return base


def split_table(rows: Sequence[int], cols: Sequence[int]) -> list[list[int]]:
    """A rows × cols table of integers with the given row and column sums (``sum(rows) == sum(cols)``).

    Each cell is ``rows[i] · cols[j] / total`` rounded down or up; the units left over in each row go
    to cells by augmenting paths (largest remainder first), so both margins hold exactly.

    Raises:
        UsageError: the margins do not have the same total or one is negative.
    """
    total = sum(rows)
    if total != sum(cols) or any(r < 0 for r in rows) or any(c < 0 for c in cols):
        raise UsageError(f"split_table: margins must be non-negative with one total (rows {total}, cols {sum(cols)})")
    if total == 0:
        return [[0] * len(cols) for _ in rows]
    num = [[r * c for c in cols] for r in rows]
    cells = [[n // total for n in row] for row in num]
    frac = [[n % total for n in row] for row in num]
    need_r = [r - sum(row) for r, row in zip(rows, cells, strict=True)]
    need_c = [c - sum(cells[i][j] for i in range(len(rows))) for j, c in enumerate(cols)]
    # the extra units: a b-matching of rows to columns (one unit per cell at most), by augmenting paths
    flow = [[0] * len(cols) for _ in rows]
    cand = [sorted((j for j in range(len(cols)) if fr[j] > 0), key=lambda j, fr=fr: (-fr[j], j))  # type: ignore[misc]
            for fr in frac]

    def augment(i: int, seen: set[int]) -> bool:
        for c in cand[i]:
            if flow[i][c] or c in seen:
                continue
            seen.add(c)
            if need_c[c] > 0:
                need_c[c] -= 1
                flow[i][c] = 1
                return True
            for r2 in range(len(rows)):
                if flow[r2][c] and augment(r2, seen):
                    flow[r2][c] = 0
                    flow[i][c] = 1
                    return True
        return False

    for i in range(len(rows)):
        for _ in range(need_r[i]):
            if not augment(i, set()):  # pragma: no cover - impossible when the margins agree
                raise UsageError("split_table: no rounding keeps both margins (report this as a bug)")
    return [[cells[i][j] + flow[i][j] for j in range(len(cols))] for i in range(len(rows))]


def month_weights(start: dt.date, seasonality: Mapping[int, float] | None = None) -> list[tuple[dt.date, Fraction]]:
    """The 12 months of a plan year from ``start`` with their weights: days in the month, or
    ``seasonality[calendar month]`` (a share of the year) when given."""
    out = []
    y, m = start.year, start.month
    for _ in range(12):
        days = calendar.monthrange(y, m)[1]
        w = Fraction(str(seasonality[m])) if seasonality and m in seasonality else Fraction(days)
        out.append((dt.date(y, m, 1), w))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


@dataclass(frozen=True)
class Cascade:
    """One amount cascaded over the plan year (integer units).

    Attributes:
        total: the year.
        quarters: four quarter amounts (sum to ``total``).
        months: twelve month amounts (each quarter's three sum to it).
        month_starts: the first day of each month.
        unit: the size of one unit (0.01 for money, 1 for counts).
    """

    total: int
    quarters: tuple[int, ...]
    months: tuple[int, ...]
    month_starts: tuple[dt.date, ...]
    unit: float = 0.01

    def value(self, units: int) -> float:
        """Units back to an amount."""
        return float(Fraction(units) * Fraction(str(self.unit)))

    def to_dict(self) -> dict[str, Any]:
        """``{"total", "quarters": {"Q1": …}, "months": {"2026-01": …}}`` as amounts."""
        return {"total": self.value(self.total),
                "quarters": {f"Q{i + 1}": self.value(q) for i, q in enumerate(self.quarters)},
                "months": {d.strftime("%Y-%m"): self.value(v) for d, v in zip(self.month_starts, self.months,
                                                                              strict=True)}}


def cascade(total: float, start: dt.date, *, unit: float = 0.01,
            seasonality: Mapping[int, float] | None = None) -> Cascade:
    """Cascade ``total`` over the plan year starting ``start``: year → quarters → months, exactly.

    Quarter weights are the sums of their months' weights (days, or ``seasonality``); each quarter is
    then split over its three months.
    """
    months = month_weights(start, seasonality)
    t = to_units(total, unit)
    qw = [sum((w for _, w in months[3 * q:3 * q + 3]), Fraction(0)) for q in range(4)]
    quarters = split(t, qw)
    out: list[int] = []
    for q in range(4):
        out += split(quarters[q], [w for _, w in months[3 * q:3 * q + 3]])
    return Cascade(t, tuple(quarters), tuple(out), tuple(d for d, _ in months), unit)


@dataclass(frozen=True)
class ChannelCascade:
    """Channel budgets by month: ``table[m][c]`` units; rows sum to ``months``, columns to ``channels``."""

    channels: tuple[str, ...]
    channel_totals: tuple[int, ...]
    months: tuple[int, ...]
    table: tuple[tuple[int, ...], ...]
    month_starts: tuple[dt.date, ...]
    unit: float = 0.01

    def quarter(self, q: int, c: int) -> int:
        """Units of channel ``c`` in quarter ``q`` (0-based)."""
        return sum(self.table[m][c] for m in range(3 * q, 3 * q + 3))

    def to_dict(self) -> dict[str, Any]:
        """``{CH: {"total", "quarters", "months"}}`` as amounts."""
        u = Fraction(str(self.unit))
        out: dict[str, Any] = {}
        for c, ch in enumerate(self.channels):
            out[ch] = {"total": float(self.channel_totals[c] * u),
                       "quarters": {f"Q{q + 1}": float(self.quarter(q, c) * u) for q in range(4)},
                       "months": {d.strftime("%Y-%m"): float(self.table[m][c] * u)
                                  for m, d in enumerate(self.month_starts)}}
        return out


def channel_cascade(channels: Sequence[str], amounts: Sequence[int], months: Cascade) -> ChannelCascade:
    """Spread channel totals over the months of ``months`` (whose total equals ``sum(amounts)``)."""
    table = split_table(list(months.months), list(amounts))
    return ChannelCascade(tuple(channels), tuple(amounts), months.months, tuple(tuple(r) for r in table),
                          months.month_starts, months.unit)


# ---------------------------------------------------------------------------------------------- KPI tree
@dataclass(frozen=True)
class KpiNode:
    """A KPI tree node: ``value`` = product of the children's values (a leaf has none)."""

    name: str
    value: float
    children: tuple[KpiNode, ...] = ()
    formula: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        d: dict[str, Any] = {"name": self.name, "value": self.value}
        if self.children:
            d["formula"] = self.formula
            d["children"] = [c.to_dict() for c in self.children]
        return d


@dataclass(frozen=True)
class KpiTree:
    """The funnel identity of a plan and its checks."""

    root: KpiNode
    problems: tuple[str, ...] = field(default=())

    def check(self, rel_tol: float = 1e-9) -> list[str]:
        """Nodes whose value is not the product of their children (relative tolerance ``rel_tol``)."""
        bad: list[str] = []

        def walk(n: KpiNode) -> None:
            if n.children:
                prod = 1.0
                for ch in n.children:
                    prod *= ch.value
                if abs(prod - n.value) > rel_tol * max(abs(n.value), abs(prod), 1e-300):
                    bad.append(f"{n.name} = {n.value:,.6g} but {n.formula} = {prod:,.6g}")
                for ch in n.children:
                    walk(ch)
        walk(self.root)
        return bad

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form with the check's result."""
        return {"tree": self.root.to_dict(), "checks": self.check(), "problems": list(self.problems)}


def funnel_tree(revenue: float, leads: float, mql: float, sql: float, won: float) -> KpiTree:
    """revenue = leads × MQL rate × SQL rate × win rate × order value, from stage counts.

    Raises:
        UsageError: a stage count is not positive (a rate would divide by zero).
    """
    for name, v in (("leads", leads), ("mql", mql), ("sql", sql), ("won", won)):
        if v <= 0:
            raise UsageError(f"funnel_tree: {name} = {v}: every stage needs a positive count")
    mql_rate, sql_rate, win_rate, order_value = mql / leads, sql / mql, won / sql, revenue / won
    kids = (KpiNode("leads", leads), KpiNode("mql_rate", mql_rate), KpiNode("sql_rate", sql_rate),
            KpiNode("win_rate", win_rate), KpiNode("order_value", order_value))
    value = leads * mql_rate * sql_rate * win_rate * order_value
    return KpiTree(KpiNode("revenue", value, kids, "leads × mql_rate × sql_rate × win_rate × order_value"))


def target_tree(tree: KpiTree, revenue_target: float) -> KpiTree:
    """The leads the revenue target needs at the tree's rates (the rates and order value held)."""
    kids = {c.name: c for c in tree.root.children}
    per_lead = 1.0
    for k in ("mql_rate", "sql_rate", "win_rate", "order_value"):
        per_lead *= kids[k].value
    leads = revenue_target / per_lead
    new_kids = tuple(KpiNode("leads", leads) if c.name == "leads" else c for c in tree.root.children)
    prod = leads * per_lead
    return KpiTree(KpiNode("revenue", prod, new_kids, tree.root.formula))


def unit_tree(spend: float, new_customers: float, revenue: float, orders: float) -> list[KpiTree]:
    """spend = new customers × CAC and revenue = orders × AOV, as two checked trees."""
    out = []
    if new_customers > 0:
        cac = spend / new_customers
        out.append(KpiTree(KpiNode("spend", new_customers * cac, (KpiNode("new_customers", new_customers),
                                                                  KpiNode("cac", cac)), "new_customers × cac")))
    if orders > 0:
        aov = revenue / orders
        out.append(KpiTree(KpiNode("revenue", orders * aov, (KpiNode("orders", orders), KpiNode("aov", aov)),
                                   "orders × aov")))
    return out
