"""Shared fixtures for the CLV tests: the CDNOW summaries shipped in the lifetimes wheel."""

from __future__ import annotations

from importlib import resources

import pandas as pd
import pytest


def _lifetimes_csv(name: str) -> pd.DataFrame:
    pytest.importorskip("lifetimes", reason="lifetimes (bench extra) carries the CDNOW data; not installed")
    return pd.read_csv(str(resources.files("lifetimes") / "datasets" / name))


@pytest.fixture(scope="session")
def cdnow() -> pd.DataFrame:
    """CDNOW summary (weeks): ID, frequency, recency, T — 2357 customers."""
    return _lifetimes_csv("cdnow_customers_summary.csv")


@pytest.fixture(scope="session")
def cdnow_monetary() -> pd.DataFrame:
    """CDNOW summary with mean repeat spend: ID, x, t_x, T, zbar."""
    return _lifetimes_csv("cdnow_customers_summary_with_transactions.csv")
