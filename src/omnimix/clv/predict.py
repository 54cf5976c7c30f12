"""Per-customer predictions (purchases, P(alive), spend, discounted CLV) and the holdout check."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from omnimix.clv._mle import FloatArray
from omnimix.clv.summary import UNIT_DAYS, check_time_unit
from omnimix.errors import InputDataError

if TYPE_CHECKING:
    import pandas as pd

    from omnimix.clv.gammagamma import GammaGammaModel

DAYS_PER_MONTH = 365.25 / 12.0


class TransactionModel(Protocol):
    """What a purchase-count model offers (BG/NBD, Pareto/NBD)."""

    model: str

    @property
    def result(self) -> Any: ...
    @property
    def params(self) -> dict[str, float]: ...
    def fit(
        self, frequency: Any, recency: Any, T: Any, weights: Any = None, time_unit: str | None = None
    ) -> Any: ...
    def p_alive(self, frequency: Any, recency: Any, T: Any) -> FloatArray: ...
    def expected_purchases(self, t: float, frequency: Any, recency: Any, T: Any) -> FloatArray: ...


def transaction_model(name: str) -> TransactionModel:
    """A new, unfitted purchase model by key (``bgnbd`` or ``paretonbd``)."""
    from omnimix.clv.bgnbd import BetaGeoModel
    from omnimix.clv.paretonbd import ParetoNBDModel

    if name == "bgnbd":
        return BetaGeoModel()
    if name == "paretonbd":
        return ParetoNBDModel()
    raise InputDataError("--model", f"{name!r}; expected bgnbd or paretonbd for purchase predictions")


def discounted_clv(
    model: TransactionModel,
    frequency: Any,
    recency: Any,
    T: Any,
    spend: Any,
    months: int = 12,
    discount_rate: float = 0.01,
    period_length: float | None = None,
    time_unit: str = "days",
) -> FloatArray:
    """Discounted customer lifetime value over ``months`` future periods.

    ``CLV = Σ_{i=1..months} spend · (E[Y(i·Δ)] − E[Y((i−1)·Δ)]) / (1 + d)^i``, with Δ the period
    length in the model's time unit (a month by default: 30.44 days or 4.348 weeks).

    Args:
        model: fitted purchase model.
        frequency, recency, T: the summary, each shape (n,).
        spend: expected value per purchase, shape (n,) (e.g. Gamma-Gamma ``expected_spend``).
        months: number of periods.
        discount_rate: discount rate per period (0.01 = 1 % a month).
        period_length: Δ in model time units (default: one month in ``time_unit``).
        time_unit: ``days`` or ``weeks`` (used for the default Δ).

    Returns:
        CLV per customer, shape (n,).
    """
    per_day = check_time_unit(time_unit)
    delta = period_length if period_length is not None else DAYS_PER_MONTH / per_day
    if months < 1 or delta <= 0 or discount_rate < 0:
        raise InputDataError(
            "clv",
            f"months={months}, period_length={delta}, discount_rate={discount_rate}; "
            "expected months >= 1, period_length > 0, discount_rate >= 0",
        )
    m = np.asarray(spend, dtype=float)
    prev = np.zeros_like(m)
    total = np.zeros_like(m)
    for i in range(1, months + 1):
        cur = model.expected_purchases(i * delta, frequency, recency, T)
        total += m * (cur - prev) / (1.0 + discount_rate) ** i
        prev = cur
    return total


def predict_customers(
    summary: pd.DataFrame,
    model: TransactionModel,
    horizon: float,
    spend_model: GammaGammaModel | None = None,
    months: int = 12,
    discount_rate: float = 0.01,
    time_unit: str = "days",
) -> pd.DataFrame:
    """All per-customer predictions in one table.

    Args:
        summary: frequency, recency, T (+ monetary_value) per customer.
        model: fitted purchase model.
        horizon: purchases are predicted over (T, T + horizon], in ``time_unit``.
        spend_model: fitted Gamma-Gamma model (else the observed monetary_value, or none, is used).
        months, discount_rate: CLV settings (see :func:`discounted_clv`).
        time_unit: ``days`` or ``weeks``.

    Returns:
        The summary plus p_alive, expected_purchases, expected_spend, clv (same index).
    """
    x = summary["frequency"].to_numpy(float)
    t_x = summary["recency"].to_numpy(float)
    big_t = summary["T"].to_numpy(float)
    out = summary.copy()
    out["p_alive"] = model.p_alive(x, t_x, big_t)
    out["expected_purchases"] = model.expected_purchases(horizon, x, t_x, big_t)
    if spend_model is not None and "monetary_value" in summary:
        spend = spend_model.expected_spend(x, summary["monetary_value"].to_numpy(float))
    elif "monetary_value" in summary:
        mv = summary["monetary_value"].to_numpy(float)
        pos = mv[mv > 0]
        spend = np.where(mv > 0, mv, float(pos.mean()) if pos.size else 0.0)
    else:
        spend = np.zeros(len(summary))
    out["expected_spend"] = spend
    out["clv"] = discounted_clv(model, x, t_x, big_t, spend, months, discount_rate, time_unit=time_unit)
    return out


def holdout_check(summary: pd.DataFrame, model: TransactionModel, max_frequency: int = 7) -> dict[str, Any]:
    """Compare predicted with actual holdout purchases.

    Args:
        summary: calibration summary with ``frequency_holdout`` and ``duration_holdout`` columns
            (from :func:`~omnimix.clv.summary.summarize_transactions` with ``calibration_end``).
        model: purchase model fitted on the calibration columns.
        max_frequency: calibration frequencies above this are pooled in the chart table.

    Returns:
        ``{"n", "correlation", "mean_predicted", "mean_actual", "by_frequency": [{frequency, n,
        predicted, actual}], "predicted": array (n,), "actual": array (n,)}``.
    """
    for col in ("frequency_holdout", "duration_holdout"):
        if col not in summary:
            raise InputDataError("summary", f"no {col} column; build the summary with a calibration end")
    x = summary["frequency"].to_numpy(float)
    duration = float(summary["duration_holdout"].iloc[0])
    pred = model.expected_purchases(
        duration, x, summary["recency"].to_numpy(float), summary["T"].to_numpy(float)
    )
    actual = summary["frequency_holdout"].to_numpy(float)
    corr = float(np.corrcoef(pred, actual)[0, 1]) if pred.size > 1 and np.std(actual) > 0 else float("nan")
    bucket = np.minimum(x, max_frequency).astype(int)
    rows = []
    for k in range(max_frequency + 1):
        sel = bucket == k
        if sel.any():
            rows.append(
                {
                    "frequency": k if k < max_frequency else f"{max_frequency}+",
                    "n": int(sel.sum()),
                    "predicted": float(pred[sel].mean()),
                    "actual": float(actual[sel].mean()),
                }
            )
    return {
        "n": int(pred.size),
        "correlation": corr,
        "mean_predicted": float(pred.mean()),
        "mean_actual": float(actual.mean()),
        "duration_holdout": duration,
        "by_frequency": rows,
        "predicted": pred,
        "actual": actual,
    }


def holdout_chart(check: dict[str, Any], path: str | Path, title: str = "Holdout check") -> Path:
    """Write the predicted-vs-actual holdout chart as a self-contained (offline) HTML file."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    rows = check["by_frequency"]
    labels = [str(r["frequency"]) for r in rows]
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=(
            "Mean holdout purchases by calibration frequency",
            f"Per customer (r = {check['correlation']:.3f})",
        ),
    )
    fig.add_trace(go.Bar(x=labels, y=[r["actual"] for r in rows], name="actual"), row=1, col=1)
    fig.add_trace(go.Bar(x=labels, y=[r["predicted"] for r in rows], name="predicted"), row=1, col=1)
    pred, act = np.asarray(check["predicted"]), np.asarray(check["actual"])
    if pred.size > 20000:  # keep the file light
        idx = np.random.default_rng(0).choice(pred.size, 20000, replace=False)
        pred, act = pred[idx], act[idx]
    fig.add_trace(
        go.Scattergl(x=pred, y=act, mode="markers", name="customers", marker={"size": 4, "opacity": 0.4}),
        row=1,
        col=2,
    )
    top = float(max(pred.max(initial=0.0), act.max(initial=0.0)))
    fig.add_trace(
        go.Scatter(x=[0, top], y=[0, top], mode="lines", name="y = x", line={"dash": "dash"}), row=1, col=2
    )
    fig.update_xaxes(title_text="calibration repeat purchases", row=1, col=1)
    fig.update_yaxes(title_text="holdout purchases", row=1, col=1)
    fig.update_xaxes(title_text="predicted", row=1, col=2)
    fig.update_yaxes(title_text="actual", row=1, col=2)
    fig.update_layout(title=title, barmode="group")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.write_html(out, include_plotlyjs=True, full_html=True)
    return out


def unit_days(time_unit: str) -> float:
    """Days per time unit."""
    return UNIT_DAYS[time_unit]


def holdout_from_orders(
    path: str | Path,
    customer_col: str = "person_id",
    date_col: str = "ts",
    value_col: str | None = "value",
    holdout_fraction: float = 0.25,
    model: str = "bgnbd",
    time_unit: str = "days",
) -> dict[str, Any]:
    """Holdout check on an order log such as the simulator's ``truth/orders.csv``.

    The last ``holdout_fraction`` of the observed time span becomes the holdout period; the model is
    fitted on the calibration summary and its predicted holdout purchases are compared per customer.

    Args:
        path: CSV, Parquet or XLSX with one row per order (default columns order_id, person_id, ts, value).
        customer_col, date_col, value_col: column names.
        holdout_fraction: share of the time span held out, in (0, 1).
        model: ``bgnbd`` or ``paretonbd``.
        time_unit: ``days`` or ``weeks``.

    Returns:
        :func:`holdout_check` output plus ``params`` and ``calibration_end``.
    """
    import pandas as pd

    from omnimix.clv.summary import parse_dates, summarize_transactions
    from omnimix.io import read_frame

    if not 0.0 < holdout_fraction < 1.0:
        raise InputDataError("holdout_fraction", f"{holdout_fraction!r}; expected a share in (0, 1)")
    orders = read_frame(path)
    if date_col not in orders:
        raise InputDataError(str(path), f"no {date_col!r} column; found {list(orders.columns)}")
    ts = parse_dates(orders[date_col])
    start, end = ts.min().floor("D"), ts.max().floor("D")
    cal_end = start + pd.Timedelta(days=round((end - start).days * (1.0 - holdout_fraction)))
    summ = summarize_transactions(orders, customer_col, date_col, value_col, time_unit, end, cal_end)
    m = transaction_model(model)
    m.fit(summ["frequency"], summ["recency"], summ["T"], time_unit=time_unit)
    check = holdout_check(summ, m)
    check["params"] = m.params
    check["calibration_end"] = str(cal_end.date())
    return check
