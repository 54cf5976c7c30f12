"""Cascade arithmetic: children sum to parents at every level, budgets + reserve = total, KPI trees."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnimix.errors import UsageError
from omnimix.plan.budget import exact_split
from omnimix.plan.cascade import (
    cascade,
    channel_cascade,
    funnel_tree,
    split,
    split_table,
    target_tree,
    to_units,
    unit_tree,
)

weights = st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=15)
money = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


def test_split_golden() -> None:
    assert split(100, [1, 1, 1]) == [34, 33, 33]
    assert split(1001, [0.2, 0.3, 0.5]) == [200, 300, 501]
    assert split(10, [0, 0]) == [5, 5] and split(0, [0, 0]) == [0, 0]
    assert to_units(12.345) == 1235 and to_units(-12.345) == -1235 and to_units(7, unit=1) == 7
    assert to_units(0.1 + 0.2) == 30
    with pytest.raises(UsageError):
        split(5, [-1, 2])


@given(st.integers(min_value=0, max_value=10**12), weights)
def test_split_sums_and_stays_within_one_unit(total: int, w: list[float]) -> None:
    parts = split(total, w)
    assert sum(parts) == total and all(p >= 0 for p in parts)
    s = sum(Fraction(str(x)) for x in w)
    if s > 0:
        for p, x in zip(parts, w, strict=True):
            assert abs(p - total * Fraction(str(x)) / s) < 1


@settings(max_examples=150)
@given(st.integers(min_value=0, max_value=10**10), weights, weights)
def test_table_keeps_both_margins(total: int, rw: list[float], cw: list[float]) -> None:
    rows, cols = split(total, rw[:12]), split(total, cw)
    tab = split_table(rows, cols)
    assert [sum(r) for r in tab] == rows
    assert [sum(r[j] for r in tab) for j in range(len(cols))] == cols
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            exact = Fraction(r * c, total) if total else Fraction(0)
            assert abs(tab[i][j] - exact) < 1


@settings(max_examples=100)
@given(money, st.sampled_from([1, 4, 7, 10]), st.integers(min_value=2024, max_value=2030),
       st.lists(st.floats(min_value=0.01, max_value=10), min_size=12, max_size=12))
def test_year_quarter_month_add_up(total: object, start_month: int, year: int, season: list[float]) -> None:
    start = dt.date(year, start_month, 1)
    for seasonality in (None, {m + 1: s for m, s in enumerate(season)}):
        c = cascade(float(total), start, seasonality=seasonality)  # type: ignore[arg-type]
        assert c.total == to_units(float(total))  # type: ignore[arg-type]
        assert sum(c.quarters) == c.total
        for q in range(4):
            assert sum(c.months[3 * q:3 * q + 3]) == c.quarters[q]
        assert c.month_starts[0] == start and len(c.month_starts) == 12


@settings(max_examples=100)
@given(money, st.floats(min_value=0, max_value=0.5), weights, st.floats(min_value=0, max_value=1e6))
def test_channel_budgets_plus_reserve_equal_total(total: object, share: float, w: list[float],
                                                   unalloc: float) -> None:
    t = float(total)  # type: ignore[arg-type]
    chans = tuple(f"c{i}" for i in range(len(w)))
    reserve, budgets, unallocated = exact_split(t, share, chans, np.array(w), unalloc)
    cents = to_units(reserve) + sum(to_units(v) for v in budgets.values()) + to_units(unallocated)
    assert cents == to_units(t)
    assert to_units(reserve) == to_units(t * share)
    # spread over months: every month's row and every channel's year add up
    units = [to_units(v) for v in budgets.values()]
    months = cascade(sum(units) / 100, dt.date(2026, 1, 1))
    cm = channel_cascade(chans, units, months)
    for m in range(12):
        assert sum(cm.table[m]) == months.months[m]
    for c in range(len(chans)):
        assert sum(cm.quarter(q, c) for q in range(4)) == units[c]


@given(st.floats(min_value=1, max_value=1e9), st.floats(min_value=1, max_value=1e6),
       st.floats(min_value=0.01, max_value=1), st.floats(min_value=0.01, max_value=1),
       st.floats(min_value=0.01, max_value=1), st.floats(min_value=1, max_value=1e9))
def test_kpi_tree_identities(revenue: float, leads: float, r1: float, r2: float, r3: float, target: float) -> None:
    mql = leads * r1
    sql = mql * r2
    won = sql * r3
    tree = funnel_tree(revenue, leads, mql, sql, won)
    assert tree.check() == []
    assert tree.root.value == pytest.approx(revenue, rel=1e-12)
    kids = {c.name: c.value for c in tree.root.children}
    assert kids["mql_rate"] == pytest.approx(r1) and kids["order_value"] == pytest.approx(revenue / won)
    t = target_tree(tree, target)
    assert t.check() == [] and t.root.value == pytest.approx(target, rel=1e-12)
    for u in unit_tree(revenue / 7, leads, revenue, sql):
        assert u.check() == []


def test_tree_check_catches_a_wrong_node() -> None:
    from omnimix.plan.cascade import KpiNode, KpiTree

    bad = KpiTree(KpiNode("revenue", 100.0, (KpiNode("orders", 10.0), KpiNode("aov", 9.0)), "orders × aov"))
    assert bad.check() == ["revenue = 100 but orders × aov = 90"]
    with pytest.raises(UsageError, match="positive"):
        funnel_tree(1.0, 10.0, 0.0, 1.0, 1.0)
