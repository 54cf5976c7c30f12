"""The ``omnimix clv fit|predict|segments|cac`` workflows, one function per command and input.

=================  ==========================  ==============================  =====================
command            a summary file              a transaction log file          a workspace
=================  ==========================  ==============================  =====================
``clv fit``        :func:`fit_summary_file`    :func:`fit_transactions_file`   :func:`fit_workspace`
``clv predict``    :func:`predict_summary_file`  :func:`predict_transactions_file`  :func:`predict_workspace`
``clv segments``   —                           :func:`segments_transactions_file`  :func:`segments_workspace`
``clv cac``        —                           :func:`cac_files` (+ spend, customers)  :func:`cac_workspace`
=================  ==========================  ==============================  =====================

plus :func:`fit_survival` (sBG on cohort survival counts). Each returns a result object (:class:`FitRun`,
:class:`PredictRun`, :class:`SegmentsRun`, :class:`CacRun`) whose ``to_json()`` is the JSON the command
prints with ``--json``. Workspace inputs are read, and ``save=True`` results written, only through
:class:`~omnimix.workspace.Workspace` (see :mod:`omnimix.clv.store`); files are read with
:func:`omnimix.io.read_frame` (CSV, Parquet or XLSX).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omnimix.clv.cac import cac_table, read_workspace_cac, table_records
from omnimix.clv.gammagamma import GammaGammaModel
from omnimix.clv.predict import holdout_chart, holdout_check, predict_customers, transaction_model
from omnimix.clv.rfm import DEFAULT_SEGMENTS, load_rules, persona_cards, read_workspace_attributes, rfm_table, score
from omnimix.clv.sbg import ShiftedBetaGeoModel, parse_survival
from omnimix.clv.store import save_predictions, save_segments_and_personas
from omnimix.clv.summary import read_summary, read_workspace_transactions, summarize_transactions
from omnimix.errors import InputDataError, OmnimixError, UsageError
from omnimix.io import read_frame

if TYPE_CHECKING:
    import pandas as pd

    from omnimix.clv._mle import FitResult
    from omnimix.clv.rfm import PersonaCard, SegmentRule
    from omnimix.workspace import Workspace

logger = logging.getLogger("omnimix")

FIT_MODELS = ("bgnbd", "paretonbd", "gammagamma", "sbg")
PURCHASE_MODELS = ("bgnbd", "paretonbd")
#: The columns of the transactions read from a workspace (see :func:`read_workspace_transactions`).
WORKSPACE_COLUMNS = ("customer_id", "ts", "value")


@dataclass(frozen=True, eq=False)
class Transactions:
    """A transaction log and the names of its customer, date and (optional) value columns."""

    frame: pd.DataFrame
    customer_col: str = "customer_id"
    date_col: str = "date"
    value_col: str | None = "value"

    def summary(self, time_unit: str, observation_end: Any = None, calibration_end: Any = None) -> pd.DataFrame:
        """The per-customer summary (see :func:`~omnimix.clv.summary.summarize_transactions`)."""
        return summarize_transactions(self.frame, self.customer_col, self.date_col, self.value_col, time_unit,
                                      observation_end, calibration_end)


def transactions_file(
    path: str | Path, customer_col: str = "customer_id", date_col: str = "date", value_col: str | None = "value"
) -> Transactions:
    """A transaction log file (CSV, Parquet or XLSX) with its column names."""
    return Transactions(read_frame(path), customer_col, date_col, value_col)


def workspace_transactions(workspace: Workspace | str | Path) -> Transactions:
    """The purchases of a workspace, with their person (``customer_id``, ``ts``, ``value``)."""
    return Transactions(read_workspace_transactions(workspace), *WORKSPACE_COLUMNS)


def need_unit(time_unit: str | None) -> str:
    """``time_unit`` itself; purchase models have no default unit.

    Raises:
        InputDataError: ``time_unit`` is None.
    """
    if time_unit is None:
        raise InputDataError(
            "--time-unit",
            "missing; pass --time-unit days or --time-unit weeks (the unit of "
            "recency and T; the fitted alpha/beta are per that unit)",
        )
    return time_unit


def _check_model(model: str, allowed: Sequence[str]) -> str:
    if model not in allowed:
        raise UsageError(f"--model {model!r} is unknown; expected one of {', '.join(allowed)}.")
    return model


# ---------------------------------------------------------------------------------------------- fit
@dataclass(frozen=True)
class FitRun:
    """A fitted CLV model (``omnimix clv fit``): ``to_json()`` is its :class:`FitResult` as a dict."""

    result: FitResult

    def to_json(self) -> dict[str, Any]:
        """``model, params, log_likelihood, stderr`` then the diagnostics."""
        return self.result.to_dict()


def _fit_summary(df: pd.DataFrame, model: str, unit: str) -> FitRun:
    if model == "gammagamma":
        return FitRun(GammaGammaModel().fit(df["frequency"], df["monetary_value"]).result)
    m = transaction_model(model)
    m.fit(df["frequency"], df["recency"], df["T"], time_unit=unit)
    return FitRun(m.result)


def _fit_unit(model: str, time_unit: str | None) -> str:
    _check_model(model, ("bgnbd", "paretonbd", "gammagamma"))
    if model == "gammagamma":
        return time_unit if time_unit is not None else "days"
    return need_unit(time_unit)


def fit_summary_file(path: str | Path, model: str, *, time_unit: str | None = None) -> FitRun:
    """Fit ``bgnbd``, ``paretonbd`` (on frequency, recency, T in ``time_unit``) or ``gammagamma`` (on
    frequency, monetary_value) to a summary file, one row per customer.

    Raises:
        InputDataError: ``time_unit`` missing for a purchase model, or the file lacks columns.
    """
    unit = _fit_unit(model, time_unit)
    return _fit_summary(read_summary(path, need_monetary=model == "gammagamma"), model, unit)


def _fit_transactions(tx: Transactions, model: str, time_unit: str | None, observation_end: Any) -> FitRun:
    unit = _fit_unit(model, time_unit)
    if model == "gammagamma" and tx.value_col is None:
        raise InputDataError("--value-col", "missing; the Gamma-Gamma model needs order values")
    return _fit_summary(tx.summary(unit, observation_end), model, unit)


def fit_transactions_file(
    path: str | Path,
    model: str,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str | None = None,
    time_unit: str | None = None,
    observation_end: Any = None,
) -> FitRun:
    """Fit a model to the summary of a transaction log file (orders up to ``observation_end``)."""
    _fit_unit(model, time_unit)
    if model == "gammagamma" and value_col is None:
        raise InputDataError("--value-col", "missing; the Gamma-Gamma model needs order values")
    tx = transactions_file(path, customer_col, date_col, value_col)
    return _fit_transactions(tx, model, time_unit, observation_end)


def fit_workspace(
    workspace: Workspace | str | Path, model: str, *, time_unit: str | None = None, observation_end: Any = None
) -> FitRun:
    """Fit a model to the purchases of a workspace (conversions linked to people by ``omnimix resolve``)."""
    unit = _fit_unit(model, time_unit)
    return _fit_transactions(workspace_transactions(workspace), model, unit, observation_end)


def fit_survival(survival: str | Sequence[float]) -> FitRun:
    """Fit the shifted-beta-geometric model to cohort survival counts (``"1000,631,468"`` or numbers)."""
    counts = parse_survival(survival) if isinstance(survival, str) else survival
    return FitRun(ShiftedBetaGeoModel().fit(counts).result)


# ------------------------------------------------------------------------------------------ predict
@dataclass(frozen=True, eq=False)
class PredictRun:
    """Per-customer predictions (``omnimix clv predict``).

    Attributes:
        model: ``bgnbd`` or ``paretonbd``; time_unit: ``days``/``weeks``; horizon: in that unit.
        params: the purchase model's estimates; spend_params: Gamma-Gamma's (None when not fitted).
        predictions: the summary plus p_alive, expected_purchases, expected_spend, clv per customer.
        holdout: the holdout check (without the per-customer arrays; ``chart`` when written) or None.
        output: the file the predictions were written to; saved: rows written to ``clv_customers``.
        limit: customers listed in ``to_json()`` (the top ones by CLV).
    """

    model: str
    time_unit: str
    horizon: float
    params: dict[str, float]
    spend_params: dict[str, float] | None
    predictions: pd.DataFrame
    months: int = 12
    holdout: dict[str, Any] | None = None
    output: Path | None = None
    saved: int | None = None
    limit: int = 20

    @property
    def top(self) -> pd.DataFrame:
        """The ``limit`` customers of highest CLV, ``customer_id`` as a column."""
        top = self.predictions.sort_values("clv", ascending=False).head(max(self.limit, 0)).reset_index()
        return top.rename(columns={top.columns[0]: "customer_id"}) if "customer_id" not in top else top

    @property
    def totals(self) -> dict[str, float]:
        """Sums of expected purchases and CLV, mean P(alive)."""
        pred = self.predictions
        return {
            "expected_purchases": float(pred["expected_purchases"].sum()),
            "clv": float(pred["clv"].sum()),
            "mean_p_alive": float(pred["p_alive"].mean()),
        }

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` document (model, time_unit, horizon, params, …, totals, customers)."""
        out: dict[str, Any] = {
            "model": self.model,
            "time_unit": self.time_unit,
            "horizon": self.horizon,
            "params": self.params,
            "spend_params": self.spend_params,
            "n_customers": len(self.predictions),
            "totals": self.totals,
        }
        if self.holdout is not None:
            out["holdout"] = dict(self.holdout)
        if self.output is not None:
            out["output"] = str(self.output)
        if self.saved is not None:
            out["saved"] = self.saved
        out["customers"] = table_records(self.top)
        return out


def _predict(
    df: pd.DataFrame,
    model: str,
    horizon: float,
    unit: str,
    months: int,
    discount_rate: float,
    holdout: bool,
    chart: str | Path | None,
    output: str | Path | None,
    limit: int,
) -> PredictRun:
    m = transaction_model(model)
    m.fit(df["frequency"], df["recency"], df["T"], time_unit=unit)
    spend_model = None
    if "monetary_value" in df and int(((df["frequency"] > 0) & (df["monetary_value"] > 0)).sum()) >= 3:
        spend_model = GammaGammaModel().fit(df["frequency"], df["monetary_value"])
    pred = predict_customers(df, m, horizon, spend_model, months, discount_rate, unit)
    check: dict[str, Any] | None = None
    if holdout:
        full = holdout_check(df, m)
        check = {k: v for k, v in full.items() if k not in ("predicted", "actual")}
        if chart is not None:
            check["chart"] = str(holdout_chart(full, chart, f"Holdout check ({model})"))
    out_path = None
    if output is not None:
        out_path = Path(output)
        if out_path.suffix.lower() in {".parquet", ".pq"}:
            pred.to_parquet(out_path)
        else:
            pred.to_csv(out_path)
    return PredictRun(model, unit, horizon, m.result.params, spend_model.params if spend_model is not None else None,
                      pred, months, check, out_path, None, limit)


def _predict_checks(model: str, time_unit: str | None, chart: Any, calibration_end: Any) -> str:
    _check_model(model, PURCHASE_MODELS)
    unit = need_unit(time_unit)
    if chart is not None and calibration_end is None:
        raise InputDataError("--chart", "the holdout chart needs --calibration-end DATE")
    return unit


def predict_summary_file(
    path: str | Path,
    horizon: float,
    *,
    model: str = "bgnbd",
    time_unit: str | None = None,
    months: int = 12,
    discount_rate: float = 0.01,
    output: str | Path | None = None,
    limit: int = 20,
) -> PredictRun:
    """Predict per customer from a summary file (frequency, recency, T [, monetary_value] per customer).

    Args:
        path: the summary (its ``customer_id`` column, when present, indexes the predictions).
        horizon: expected purchases over this many ``time_unit``.
        model: ``bgnbd`` or ``paretonbd``.
        time_unit: ``days`` or ``weeks`` (required).
        months, discount_rate: CLV horizon in months and monthly discount rate.
        output: write the per-customer rows there (CSV, or Parquet by suffix).
        limit: customers listed in ``to_json()``.
    """
    unit = _predict_checks(model, time_unit, None, None)
    return _predict(read_summary(path), model, horizon, unit, months, discount_rate, False, None, output, limit)


def _predict_tx(tx: Transactions, horizon: float, model: str, time_unit: str | None, observation_end: Any,
                months: int, discount_rate: float, calibration_end: Any, chart: str | Path | None,
                output: str | Path | None, limit: int) -> PredictRun:
    unit = _predict_checks(model, time_unit, chart, calibration_end)
    df = tx.summary(unit, observation_end, calibration_end)
    return _predict(df, model, horizon, unit, months, discount_rate, calibration_end is not None, chart, output,
                    limit)


def predict_transactions_file(
    path: str | Path,
    horizon: float,
    *,
    model: str = "bgnbd",
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str | None = None,
    time_unit: str | None = None,
    observation_end: Any = None,
    months: int = 12,
    discount_rate: float = 0.01,
    calibration_end: Any = None,
    chart: str | Path | None = None,
    output: str | Path | None = None,
    limit: int = 20,
) -> PredictRun:
    """Predict per customer from a transaction log file.

    With ``calibration_end`` the models are fitted on orders up to that day and checked on the rest
    (``holdout`` in the result; ``chart`` writes the holdout chart). Other arguments as in
    :func:`predict_summary_file`.
    """
    tx = transactions_file(path, customer_col, date_col, value_col)
    return _predict_tx(tx, horizon, model, time_unit, observation_end, months, discount_rate, calibration_end,
                       chart, output, limit)


def predict_workspace(
    workspace: Workspace | str | Path,
    horizon: float,
    *,
    model: str = "bgnbd",
    time_unit: str | None = None,
    observation_end: Any = None,
    months: int = 12,
    discount_rate: float = 0.01,
    calibration_end: Any = None,
    chart: str | Path | None = None,
    output: str | Path | None = None,
    limit: int = 20,
    save: bool = False,
) -> PredictRun:
    """Predict per customer from a workspace's purchases; with ``save`` write ``clv_customers``.

    Other arguments as in :func:`predict_transactions_file`.
    """
    _predict_checks(model, time_unit, chart, calibration_end)
    run = _predict_tx(workspace_transactions(workspace), horizon, model, time_unit, observation_end, months,
                      discount_rate, calibration_end, chart, output, limit)
    if not save:
        return run
    saved = save_predictions(workspace, run.predictions)
    return PredictRun(run.model, run.time_unit, run.horizon, run.params, run.spend_params, run.predictions,
                      run.months, run.holdout, run.output, saved, run.limit)


def clv_by_customer(
    tx: Transactions,
    model: str = "bgnbd",
    months: int = 12,
    discount_rate: float = 0.01,
    include_revenue: bool = True,
) -> pd.Series:
    """Predicted discounted CLV per customer (+ revenue to date when ``include_revenue``: the LTV).

    The purchase model and Gamma-Gamma (when at least three repeat buyers have a value) are fitted on
    the whole log in days.
    """
    import pandas as pd

    summ = tx.summary("days")
    m = transaction_model(model)
    m.fit(summ["frequency"], summ["recency"], summ["T"], time_unit="days")
    gg = None
    if int(((summ["frequency"] > 0) & (summ["monetary_value"] > 0)).sum()) >= 3:
        gg = GammaGammaModel().fit(summ["frequency"], summ["monetary_value"])
    pred = predict_customers(summ, m, 30.0, gg, months, discount_rate, "days")
    if not include_revenue:
        return pred["clv"]
    # LTV = revenue to date + discounted predicted future value
    frame, vcol, ccol = tx.frame, tx.value_col, tx.customer_col
    revenue = (
        pd.to_numeric(frame[vcol], errors="coerce").fillna(0.0).groupby(frame[ccol].astype(str)).sum()
        if vcol is not None
        else pd.Series(0.0, index=pred.index)
    )
    return pred["clv"] + revenue.reindex(pred.index).fillna(0.0)


# ----------------------------------------------------------------------------------------- segments
@dataclass(frozen=True, eq=False)
class SegmentsRun:
    """RFM segments and persona cards (``omnimix clv segments``).

    Attributes:
        scored: per-customer RFM scores and segment.
        cards: one persona card per segment (largest value share first).
        output: the file the scores were written to; saved: customers whose ``customers.segment`` was set.
    """

    scored: pd.DataFrame
    cards: tuple[PersonaCard, ...]
    output: Path | None = None
    saved: int | None = None

    def to_json(self) -> dict[str, Any]:
        """``{"n_customers", "segments": [card…], "output", "saved"}``."""
        return {
            "n_customers": len(self.scored),
            "segments": [c.to_dict() for c in self.cards],
            "output": str(self.output) if self.output else None,
            "saved": self.saved,
        }


def read_attributes(path: str | Path) -> pd.DataFrame:
    """A per-customer attributes file (customer_id plus any of channel, path, region), indexed by id."""
    a = read_frame(path)
    if "customer_id" not in a:
        raise InputDataError(str(path), "no customer_id column; expected customer_id plus any of channel, path, region")
    a["customer_id"] = a["customer_id"].astype(str)
    return a.set_index("customer_id")


def _segments(
    tx: Transactions,
    attributes: pd.DataFrame | None,
    rules: str | Path | Sequence[SegmentRule] | None,
    as_of: Any,
    output: str | Path | None,
    with_clv: bool,
) -> SegmentsRun:
    table = rfm_table(tx.frame, tx.customer_col, tx.date_col, tx.value_col, as_of)
    if rules is None:
        rule_set: tuple[SegmentRule, ...] = DEFAULT_SEGMENTS
    elif isinstance(rules, str | Path):
        rule_set = load_rules(rules)
    else:
        rule_set = tuple(rules)
    scored = score(table, rule_set)
    clv = None
    if with_clv:
        try:
            clv = clv_by_customer(tx, "bgnbd", 12, 0.01, include_revenue=False)
        except OmnimixError as exc:  # too little history for the models: cards without CLV
            logger.warning("segments: no CLV on the persona cards (%s)", exc)
    cards = persona_cards(scored, attributes, clv, rules=rule_set)
    out_path = None
    if output is not None:
        out_path = Path(output)
        scored.to_csv(out_path)
    return SegmentsRun(scored, tuple(cards), out_path, None)


def segments_transactions_file(
    path: str | Path,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str | None = "value",
    rules: str | Path | Sequence[SegmentRule] | None = None,
    attributes: str | Path | None = None,
    as_of: Any = None,
    output: str | Path | None = None,
    with_clv: bool = True,
) -> SegmentsRun:
    """RFM segments and persona cards of a transaction log file.

    Args:
        path: the orders; customer_col, date_col, value_col: its columns.
        rules: a JSON rules file or :class:`~omnimix.clv.rfm.SegmentRule` objects (default: the ten
            common segments).
        attributes: a per-customer file (customer_id, channel, path, region) for the cards.
        as_of: reference day for recency (default: the last order day).
        output: write the per-customer scores there (CSV).
        with_clv: add the mean predicted 12-month CLV (BG/NBD + Gamma-Gamma) to each card.
    """
    tx = transactions_file(path, customer_col, date_col, value_col)
    attrs = read_attributes(attributes) if attributes is not None else None
    return _segments(tx, attrs, rules, as_of, output, with_clv)


def segments_workspace(
    workspace: Workspace | str | Path,
    *,
    rules: str | Path | Sequence[SegmentRule] | None = None,
    attributes: str | Path | None = None,
    as_of: Any = None,
    output: str | Path | None = None,
    save: bool = False,
    with_clv: bool = True,
) -> SegmentsRun:
    """RFM segments and persona cards of a workspace's customers.

    The cards' channels, regions and paths come from the warehouse (``customers``, ``contacts``,
    ``journeys``) unless ``attributes`` names a file. With ``save`` each customer's segment goes into
    ``customers.segment`` and the cards into ``segment_profiles``, in one transaction. Other arguments as
    in :func:`segments_transactions_file`.
    """
    tx = workspace_transactions(workspace)
    attrs = read_attributes(attributes) if attributes is not None else read_workspace_attributes(workspace)
    run = _segments(tx, attrs, rules, as_of, output, with_clv)
    if not save:
        return run
    saved = save_segments_and_personas(workspace, run.scored, run.cards)
    return SegmentsRun(run.scored, run.cards, run.output, saved)


# ---------------------------------------------------------------------------------------------- cac
@dataclass(frozen=True, eq=False)
class CacRun:
    """CAC and LTV:CAC (``omnimix clv cac``).

    Attributes:
        model, months, discount_rate: the CLV settings.
        table: per channel and cohort month (or per channel when ``by_month`` is false).
        totals: per channel.
        by_month: whether ``table`` is split by cohort month.
    """

    model: str
    months: int
    discount_rate: float
    table: pd.DataFrame
    totals: pd.DataFrame
    by_month: bool = True

    def to_json(self) -> dict[str, Any]:
        """``{"model", "months", "discount_rate", "by_channel": [...], "rows": [...]}``."""
        return {
            "model": self.model,
            "months": self.months,
            "discount_rate": self.discount_rate,
            "by_channel": table_records(self.totals),
            "rows": table_records(self.table),
        }


def _cac(spend: pd.DataFrame, customers: pd.DataFrame, tx: Transactions, model: str, months: int,
         discount_rate: float, by_month: bool) -> CacRun:
    clv = clv_by_customer(tx, model, months, discount_rate)
    table = cac_table(spend, customers, clv, by_month=by_month)
    totals = cac_table(spend, customers, clv, by_month=False)
    return CacRun(model, months, discount_rate, table, totals, by_month)


def cac_files(
    spend: str | Path,
    customers: str | Path,
    transactions: str | Path,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str | None = "value",
    channel_col: str = "acquisition_channel",
    model: str = "bgnbd",
    months: int = 12,
    discount_rate: float = 0.01,
    by_month: bool = True,
) -> CacRun:
    """CAC and LTV:CAC from files: spend (date, channel, spend), customers (customer_id, first_seen and
    ``channel_col``) and the transaction log (for CLV).

    Args:
        channel_col: the customers column crediting each acquisition (e.g. one written by an
            attribution model).
        model, months, discount_rate: purchase model and CLV horizon / monthly discount rate.
        by_month: split by cohort month.
    """
    _check_model(model, PURCHASE_MODELS)
    sp, cu = read_frame(spend), read_frame(customers)
    tx = transactions_file(transactions, customer_col, date_col, value_col)
    if channel_col not in cu:
        raise InputDataError(str(customers), f"no column {channel_col!r}; found {list(cu.columns)}")
    cu = cu.assign(acquisition_channel=cu[channel_col])
    return _cac(sp, cu, tx, model, months, discount_rate, by_month)


def cac_workspace(
    workspace: Workspace | str | Path,
    *,
    channel_col: str = "acquisition_channel",
    model: str = "bgnbd",
    months: int = 12,
    discount_rate: float = 0.01,
    by_month: bool = True,
) -> CacRun:
    """CAC and LTV:CAC of a workspace: its ``spend``, ``customers`` (cohort = first order) and purchases.

    Other arguments as in :func:`cac_files`.
    """
    _check_model(model, PURCHASE_MODELS)
    sp, cu = read_workspace_cac(workspace, channel_col)
    return _cac(sp, cu, workspace_transactions(workspace), model, months, discount_rate, by_month)
