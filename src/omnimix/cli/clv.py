"""``omnimix clv …``: fit CLV models, predict per customer, RFM segments and personas, CAC and LTV:CAC."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    import pandas as pd

clv_app = typer.Typer(
    help="Customer value: BG/NBD, Pareto/NBD, Gamma-Gamma, sBG, RFM, CAC and LTV:CAC.", no_args_is_help=True
)


class Model(StrEnum):
    bgnbd = "bgnbd"
    paretonbd = "paretonbd"
    gammagamma = "gammagamma"
    sbg = "sbg"


class PurchaseModel(StrEnum):
    bgnbd = "bgnbd"
    paretonbd = "paretonbd"


class Unit(StrEnum):
    days = "days"
    weeks = "weeks"


SummaryOpt = Annotated[
    Path | None,
    typer.Option("--summary", help="CSV/Parquet: frequency, recency, T, monetary_value per customer."),
]
TransOpt = Annotated[Path | None, typer.Option("--transactions", help="CSV/Parquet transaction log.")]
WsOpt = Annotated[Path | None, typer.Option("--workspace", help="Workspace directory (warehouse.duckdb).")]
CustCol = Annotated[str, typer.Option("--customer-col", help="Customer id column of --transactions.")]
DateCol = Annotated[str, typer.Option("--date-col", help="Date/timestamp column of --transactions.")]
ValueCol = Annotated[str | None, typer.Option("--value-col", help="Order value column of --transactions.")]
UnitOpt = Annotated[
    Unit | None,
    typer.Option(
        "--time-unit",
        help="Unit of recency/T: days or weeks (required for purchase models: no silent default).",
    ),
]
ObsEnd = Annotated[
    str | None, typer.Option("--observation-end", help="Last observed day (default: last order).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def register(app: typer.Typer) -> None:
    """Add the ``clv`` command group to the main app."""
    app.add_typer(clv_app, name="clv")


def _need_unit(unit: Unit | None) -> str:
    from omnimix.errors import InputDataError

    if unit is None:
        raise InputDataError(
            "--time-unit",
            "missing; pass --time-unit days or --time-unit weeks (the unit of "
            "recency and T; the fitted alpha/beta are per that unit)",
        )
    return unit.value


def _load_summary(
    summary: Path | None,
    transactions: Path | None,
    workspace: Path | None,
    customer_col: str,
    date_col: str,
    value_col: str | None,
    unit: str,
    observation_end: str | None,
    calibration_end: str | None = None,
    need_monetary: bool = False,
) -> pd.DataFrame:
    from omnimix.clv.summary import (
        read_summary,
        read_table,
        read_workspace_transactions,
        summarize_transactions,
    )
    from omnimix.errors import InputDataError

    given = [
        n
        for n, v in (("--summary", summary), ("--transactions", transactions), ("--workspace", workspace))
        if v is not None
    ]
    if len(given) != 1:
        raise InputDataError(
            "input",
            f"got {given or 'none'}; pass exactly one of --summary FILE, "
            "--transactions FILE or --workspace DIR",
        )
    if summary is not None:
        if calibration_end is not None:
            raise InputDataError("--calibration-end", "needs --transactions or --workspace (dated orders)")
        return read_summary(summary, need_monetary=need_monetary)
    if transactions is not None:
        tx = read_table(transactions)
        return summarize_transactions(
            tx, customer_col, date_col, value_col, unit, observation_end, calibration_end
        )
    assert workspace is not None
    tx = read_workspace_transactions(workspace)
    return summarize_transactions(tx, "customer_id", "ts", "value", unit, observation_end, calibration_end)


def _print_fit(d: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"{d['model']}  log-likelihood {d['log_likelihood']:.4f}")
    t.add_column("parameter")
    t.add_column("estimate", justify="right")
    t.add_column("std. error", justify="right")
    for k, v in d["params"].items():
        se = d["stderr"].get(k)
        t.add_row(k, f"{v:.6g}", "—" if se is None else f"{se:.4g}")
    Console().print(t)


@clv_app.command("fit")
def fit_cmd(
    model: Annotated[Model, typer.Option("--model", help="bgnbd, paretonbd, gammagamma or sbg.")],
    summary: SummaryOpt = None,
    transactions: TransOpt = None,
    workspace: WsOpt = None,
    customer_col: CustCol = "customer_id",
    date_col: DateCol = "date",
    value_col: ValueCol = None,
    time_unit: UnitOpt = None,
    survival: Annotated[
        str | None,
        typer.Option(
            "--survival", help="sBG: customers alive at the start of each period, e.g. 1000,631,468"
        ),
    ] = None,
    observation_end: ObsEnd = None,
    as_json: JsonOpt = False,
) -> None:
    """Fit a model by maximum likelihood; print parameters, standard errors and log-likelihood."""
    from omnimix.errors import InputDataError

    if model is Model.sbg:
        from omnimix.clv.sbg import ShiftedBetaGeoModel, parse_survival

        if survival is None:
            raise InputDataError(
                "--survival", "missing; sBG needs cohort counts, e.g. --survival 1000,631,468"
            )
        result = ShiftedBetaGeoModel().fit(parse_survival(survival)).result
    else:
        if survival is not None:
            raise InputDataError("--survival", f"only for --model sbg, not {model.value}")
        if model is Model.gammagamma:
            from omnimix.clv.gammagamma import GammaGammaModel

            unit = time_unit.value if time_unit is not None else "days"
            if value_col is None and transactions is not None:
                raise InputDataError("--value-col", "missing; the Gamma-Gamma model needs order values")
            df = _load_summary(
                summary,
                transactions,
                workspace,
                customer_col,
                date_col,
                value_col,
                unit,
                observation_end,
                need_monetary=True,
            )
            result = GammaGammaModel().fit(df["frequency"], df["monetary_value"]).result
        else:
            from omnimix.clv.predict import transaction_model

            unit = _need_unit(time_unit)
            df = _load_summary(
                summary, transactions, workspace, customer_col, date_col, value_col, unit, observation_end
            )
            m = transaction_model(model.value)
            m.fit(df["frequency"], df["recency"], df["T"], time_unit=unit)
            result = m.result
    d = result.to_dict()
    if as_json:
        from omnimix.cli._common import emit_json

        emit_json(d)
    else:
        _print_fit(d)


@clv_app.command("predict")
def predict_cmd(
    horizon: Annotated[float, typer.Option("--horizon", help="Predict purchases over this many time units.")],
    model: Annotated[
        PurchaseModel, typer.Option("--model", help="bgnbd or paretonbd.")
    ] = PurchaseModel.bgnbd,
    summary: SummaryOpt = None,
    transactions: TransOpt = None,
    workspace: WsOpt = None,
    customer_col: CustCol = "customer_id",
    date_col: DateCol = "date",
    value_col: ValueCol = None,
    time_unit: UnitOpt = None,
    observation_end: ObsEnd = None,
    months: Annotated[int, typer.Option("--months", help="CLV horizon in months.")] = 12,
    discount_rate: Annotated[float, typer.Option("--discount-rate", help="Monthly discount rate.")] = 0.01,
    calibration_end: Annotated[
        str | None,
        typer.Option(
            "--calibration-end", help="Fit on orders up to this day and check predictions on the rest."
        ),
    ] = None,
    chart: Annotated[Path | None, typer.Option("--chart", help="Holdout chart (offline HTML).")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", help="Write per-customer rows (CSV/Parquet).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Rows in the printed output (by CLV).")] = 20,
    save: Annotated[
        bool, typer.Option("--save", help="Write clv_customers into the workspace (dashboard).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Per customer: expected purchases over --horizon, P(alive), expected spend and discounted CLV."""
    from omnimix.clv.cac import table_records
    from omnimix.clv.gammagamma import GammaGammaModel
    from omnimix.clv.predict import holdout_chart, holdout_check, predict_customers, transaction_model
    from omnimix.errors import InputDataError

    unit = _need_unit(time_unit)
    if chart is not None and calibration_end is None:
        raise InputDataError("--chart", "the holdout chart needs --calibration-end DATE")
    df = _load_summary(
        summary,
        transactions,
        workspace,
        customer_col,
        date_col,
        value_col,
        unit,
        observation_end,
        calibration_end,
    )
    m = transaction_model(model.value)
    m.fit(df["frequency"], df["recency"], df["T"], time_unit=unit)
    spend_model = None
    if "monetary_value" in df and int(((df["frequency"] > 0) & (df["monetary_value"] > 0)).sum()) >= 3:
        spend_model = GammaGammaModel().fit(df["frequency"], df["monetary_value"])
    pred = predict_customers(df, m, horizon, spend_model, months, discount_rate, unit)
    out: dict[str, Any] = {
        "model": model.value,
        "time_unit": unit,
        "horizon": horizon,
        "params": m.result.params,
        "spend_params": spend_model.params if spend_model is not None else None,
        "n_customers": len(pred),
        "totals": {
            "expected_purchases": float(pred["expected_purchases"].sum()),
            "clv": float(pred["clv"].sum()),
            "mean_p_alive": float(pred["p_alive"].mean()),
        },
    }
    if calibration_end is not None:
        check = holdout_check(df, m)
        out["holdout"] = {k: v for k, v in check.items() if k not in ("predicted", "actual")}
        if chart is not None:
            out["holdout"]["chart"] = str(holdout_chart(check, chart, f"Holdout check ({model.value})"))
    if output is not None:
        if output.suffix.lower() in {".parquet", ".pq"}:
            pred.to_parquet(output)
        else:
            pred.to_csv(output)
        out["output"] = str(output)
    if save:
        from omnimix.clv.store import save_predictions

        if workspace is None:
            raise InputDataError("--save", "--save writes clv_customers into a workspace: pass --workspace DIR")
        out["saved"] = save_predictions(workspace, pred)
    top = pred.sort_values("clv", ascending=False).head(max(limit, 0)).reset_index()
    top = top.rename(columns={top.columns[0]: "customer_id"}) if "customer_id" not in top else top
    out["customers"] = table_records(top)
    if as_json:
        from omnimix.cli._common import emit_json

        emit_json(out)
        return
    typer.echo(
        f"{model.value} on {len(pred)} customers ({unit}); params "
        + ", ".join(f"{k}={v:.4g}" for k, v in m.result.params.items())
    )
    typer.echo(
        f"expected purchases next {horizon:g} {unit}: {out['totals']['expected_purchases']:.1f}; "
        f"total {months}-month CLV: {out['totals']['clv']:.2f}"
    )
    if "holdout" in out:
        h = out["holdout"]
        typer.echo(
            f"holdout: correlation {h['correlation']:.3f}, mean predicted {h['mean_predicted']:.3f}, "
            f"mean actual {h['mean_actual']:.3f}" + (f"; chart {h['chart']}" if "chart" in h else "")
        )
    cols = [
        "customer_id",
        "frequency",
        "recency",
        "T",
        "p_alive",
        "expected_purchases",
        "expected_spend",
        "clv",
    ]
    typer.echo(top[[c for c in cols if c in top]].to_string(index=False, float_format=lambda v: f"{v:.3f}"))


def _attributes(workspace: Path | None, attributes: Path | None) -> pd.DataFrame | None:

    from omnimix.clv.summary import read_table

    if attributes is not None:
        a = read_table(attributes)
        if "customer_id" not in a:
            from omnimix.errors import InputDataError

            raise InputDataError(
                str(attributes),
                "no customer_id column; expected customer_id plus any of channel, path, region",
            )
        a["customer_id"] = a["customer_id"].astype(str)
        return a.set_index("customer_id")
    if workspace is None:
        return None
    from omnimix.clv.rfm import read_workspace_attributes

    return read_workspace_attributes(workspace)


@clv_app.command("segments")
def segments_cmd(
    transactions: TransOpt = None,
    workspace: WsOpt = None,
    customer_col: CustCol = "customer_id",
    date_col: DateCol = "date",
    value_col: ValueCol = "value",
    rules: Annotated[
        Path | None, typer.Option("--rules", help="JSON segment rules (default: the ten common segments).")
    ] = None,
    attributes: Annotated[
        Path | None,
        typer.Option("--attributes", help="Per-customer file: customer_id, channel, path, region."),
    ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Reference day for recency.")] = None,
    output: Annotated[Path | None, typer.Option("--output", help="Write per-customer scores (CSV).")] = None,
    save: Annotated[
        bool, typer.Option("--save", help="Write each segment into customers.segment (workspace mode).")
    ] = False,
    with_clv: Annotated[
        bool, typer.Option("--clv/--no-clv", help="Add mean predicted 12-month CLV (BG/NBD + Gamma-Gamma).")
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """RFM scores (1–5), the named segments and a persona card per segment."""
    from omnimix.clv.rfm import DEFAULT_SEGMENTS, load_rules, persona_cards, rfm_table, save_segments, score
    from omnimix.clv.summary import read_table, read_workspace_transactions
    from omnimix.errors import InputDataError

    if (transactions is None) == (workspace is None):
        raise InputDataError("input", "pass exactly one of --transactions FILE or --workspace DIR")
    if save and workspace is None:
        raise InputDataError("--save", "writes customers.segment in a workspace; pass --workspace DIR")
    if transactions is not None:
        tx = read_table(transactions)
        ccol, dcol, vcol = customer_col, date_col, value_col
    else:
        assert workspace is not None
        tx = read_workspace_transactions(workspace)
        ccol, dcol, vcol = "customer_id", "ts", "value"
    table = rfm_table(tx, ccol, dcol, vcol, as_of)
    rule_set = load_rules(rules) if rules is not None else DEFAULT_SEGMENTS
    scored = score(table, rule_set)
    clv = None
    if with_clv:
        from omnimix.errors import OmnimixError

        try:
            clv = _clv_series(tx, ccol, dcol, vcol, "bgnbd", 12, 0.01, include_revenue=False)
        except OmnimixError as exc:  # too little history for the models: cards without CLV
            import logging

            logging.getLogger("omnimix").warning("segments: no CLV on the persona cards (%s)", exc)
    cards = persona_cards(scored, _attributes(workspace, attributes), clv, rules=rule_set)
    if output is not None:
        scored.to_csv(output)
    saved = save_segments(workspace, scored) if save and workspace is not None else None
    if save and workspace is not None:
        from omnimix.clv.store import save_personas

        save_personas(workspace, cards)
    if as_json:
        from omnimix.cli._common import emit_json

        emit_json(
            {
                "n_customers": len(scored),
                "segments": [c.to_dict() for c in cards],
                "output": str(output) if output else None,
                "saved": saved,
            }
        )
        return
    for c in cards:
        chans = ", ".join(f"{n} {s:.0%}" for n, s in c.top_channels) or "—"
        typer.echo(
            f"{c.segment:<20} {c.size:>7} customers ({c.share:.1%}), value {c.value_share:.1%}, "
            f"AOV {c.aov:.2f}, {c.mean_orders:.1f} orders, last {c.median_recency_days:.0f} d ago; "
            f"channels: {chans}"
        )


@clv_app.command("cac")
def cac_cmd(
    workspace: WsOpt = None,
    spend: Annotated[Path | None, typer.Option("--spend", help="File: date, channel, spend.")] = None,
    customers: Annotated[
        Path | None, typer.Option("--customers", help="File: customer_id, first_seen, acquisition_channel.")
    ] = None,
    transactions: TransOpt = None,
    customer_col: CustCol = "customer_id",
    date_col: DateCol = "date",
    value_col: ValueCol = "value",
    model: Annotated[
        PurchaseModel, typer.Option("--model", help="Purchase model for CLV.")
    ] = PurchaseModel.bgnbd,
    months: Annotated[int, typer.Option("--months", help="CLV horizon in months.")] = 12,
    discount_rate: Annotated[float, typer.Option("--discount-rate", help="Monthly discount rate.")] = 0.01,
    channel_col: Annotated[
        str,
        typer.Option(
            "--channel-col",
            help="customers column crediting the acquisition (e.g. one written by an attribution model).",
        ),
    ] = "acquisition_channel",
    by_month: Annotated[bool, typer.Option("--by-month/--by-channel", help="Split by cohort month.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """CAC and LTV:CAC by acquisition channel and cohort month (flags LTV:CAC < 1, highlights >= 3)."""
    from omnimix.clv.cac import cac_table, read_workspace_cac, table_records
    from omnimix.clv.summary import read_table, read_workspace_transactions
    from omnimix.errors import InputDataError

    if workspace is not None:
        sp, cu = read_workspace_cac(workspace, channel_col)
        tx = read_workspace_transactions(workspace)
        ccol, dcol = "customer_id", "ts"
        vcol: str | None = "value"
    else:
        if spend is None or customers is None or transactions is None:
            raise InputDataError(
                "input", "pass --workspace DIR, or all of --spend, --customers and --transactions"
            )
        sp, cu, tx = read_table(spend), read_table(customers), read_table(transactions)
        if channel_col not in cu:
            raise InputDataError(str(customers), f"no column {channel_col!r}; found {list(cu.columns)}")
        cu = cu.assign(acquisition_channel=cu[channel_col])
        ccol, dcol, vcol = customer_col, date_col, value_col
    clv = _clv_series(tx, ccol, dcol, vcol, model.value, months, discount_rate)
    table = cac_table(sp, cu, clv, by_month=by_month)
    totals = cac_table(sp, cu, clv, by_month=False)
    if as_json:
        from omnimix.cli._common import emit_json

        emit_json(
            {
                "model": model.value,
                "months": months,
                "discount_rate": discount_rate,
                "by_channel": table_records(totals),
                "rows": table_records(table),
            }
        )
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title="CAC and LTV:CAC by channel" + (" and cohort month" if by_month else ""))
    cols = (
        ["channel"]
        + (["cohort_month"] if by_month else [])
        + ["spend", "new_customers", "cac", "mean_clv", "ltv_cac", "flag"]
    )
    for c in cols:
        t.add_column(c)
    for rec in table_records(table):
        style = {"loss": "red", "strong": "green"}.get(str(rec["flag"]))
        t.add_row(
            *[
                ("—" if rec[c] is None else f"{rec[c]:.2f}" if isinstance(rec[c], float) else str(rec[c]))
                for c in cols
            ],
            style=style,
        )
    Console().print(t)


def _clv_series(
    tx: pd.DataFrame,
    ccol: str,
    dcol: str,
    vcol: str | None,
    model: str,
    months: int,
    discount_rate: float,
    include_revenue: bool = True,
) -> pd.Series:
    """Predicted discounted CLV per customer (+ revenue to date when ``include_revenue``: the LTV)."""
    import pandas as pd

    from omnimix.clv.gammagamma import GammaGammaModel
    from omnimix.clv.predict import predict_customers, transaction_model
    from omnimix.clv.summary import summarize_transactions

    summ = summarize_transactions(tx, ccol, dcol, vcol, "days")
    m = transaction_model(model)
    m.fit(summ["frequency"], summ["recency"], summ["T"], time_unit="days")
    gg = None
    if int(((summ["frequency"] > 0) & (summ["monetary_value"] > 0)).sum()) >= 3:
        gg = GammaGammaModel().fit(summ["frequency"], summ["monetary_value"])
    pred = predict_customers(summ, m, 30.0, gg, months, discount_rate, "days")
    if not include_revenue:
        return pred["clv"]
    # LTV = revenue to date + discounted predicted future value
    revenue = (
        pd.to_numeric(tx[vcol], errors="coerce").fillna(0.0).groupby(tx[ccol].astype(str)).sum()
        if vcol is not None
        else pd.Series(0.0, index=pred.index)
    )
    return pred["clv"] + revenue.reindex(pred.index).fillna(0.0)
