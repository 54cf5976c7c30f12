"""``omnimix clv …``: fit CLV models, predict per customer, RFM segments and personas, CAC and LTV:CAC.

Each command checks which input it was given (``--summary``, ``--transactions`` or ``--workspace``),
calls the matching workflow of :mod:`omnimix.clv.workflow` and prints its result (``--json``: the
result's ``to_json()``). The workflows (NumPy, SciPy, pandas) are imported inside the commands.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    pass

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
    typer.Option("--summary", help="CSV/Parquet/XLSX: frequency, recency, T, monetary_value per customer."),
]
TransOpt = Annotated[Path | None, typer.Option("--transactions", help="CSV/Parquet/XLSX transaction log.")]
WsOpt = Annotated[Path | None, typer.Option("--workspace", help="Workspace directory.")]
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


def _one_input(summary: Path | None, transactions: Path | None, workspace: Path | None) -> str:
    """Which one of ``--summary``, ``--transactions`` and ``--workspace`` was given."""
    from omnimix.errors import InputDataError

    given = [n for n, v in (("--summary", summary), ("--transactions", transactions), ("--workspace", workspace))
             if v is not None]
    if len(given) != 1:
        raise InputDataError(
            "input",
            f"got {given or 'none'}; pass exactly one of --summary FILE, --transactions FILE or --workspace DIR",
        )
    return given[0][2:]


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
    from omnimix.clv import workflow as W
    from omnimix.errors import InputDataError

    unit = time_unit.value if time_unit is not None else None
    if model is Model.sbg:
        if survival is None:
            raise InputDataError("--survival", "missing; sBG needs cohort counts, e.g. --survival 1000,631,468")
        run = W.fit_survival(survival)
    else:
        if survival is not None:
            raise InputDataError("--survival", f"only for --model sbg, not {model.value}")
        if model is not Model.gammagamma:
            W.need_unit(unit)
        source = _one_input(summary, transactions, workspace)
        if source == "summary":
            assert summary is not None
            run = W.fit_summary_file(summary, model.value, time_unit=unit)
        elif source == "transactions":
            assert transactions is not None
            run = W.fit_transactions_file(transactions, model.value, customer_col=customer_col, date_col=date_col,
                                          value_col=value_col, time_unit=unit, observation_end=observation_end)
        else:
            assert workspace is not None
            run = W.fit_workspace(workspace, model.value, time_unit=unit, observation_end=observation_end)
    d = run.to_json()
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
    from omnimix.clv import workflow as W
    from omnimix.errors import InputDataError

    unit = W.need_unit(time_unit.value if time_unit is not None else None)
    if chart is not None and calibration_end is None:
        raise InputDataError("--chart", "the holdout chart needs --calibration-end DATE")
    source = _one_input(summary, transactions, workspace)
    if save and source != "workspace":
        raise InputDataError("--save", "--save writes clv_customers into a workspace: pass --workspace DIR")
    common: dict[str, Any] = {"model": model.value, "time_unit": unit, "months": months,
                              "discount_rate": discount_rate, "output": output, "limit": limit}
    dated: dict[str, Any] = {"observation_end": observation_end, "calibration_end": calibration_end, "chart": chart}
    if source == "summary":
        assert summary is not None
        if calibration_end is not None:
            raise InputDataError("--calibration-end", "needs --transactions or --workspace (dated orders)")
        run = W.predict_summary_file(summary, horizon, **common)
    elif source == "transactions":
        assert transactions is not None
        run = W.predict_transactions_file(transactions, horizon, customer_col=customer_col, date_col=date_col,
                                          value_col=value_col, **common, **dated)
    else:
        assert workspace is not None
        run = W.predict_workspace(workspace, horizon, save=save, **common, **dated)
    out = run.to_json()
    top = run.top
    if as_json:
        from omnimix.cli._common import emit_json

        emit_json(out)
        return
    typer.echo(
        f"{model.value} on {out['n_customers']} customers ({unit}); params "
        + ", ".join(f"{k}={v:.4g}" for k, v in run.params.items())
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
    from omnimix.clv import workflow as W
    from omnimix.errors import InputDataError

    if (transactions is None) == (workspace is None):
        raise InputDataError("input", "pass exactly one of --transactions FILE or --workspace DIR")
    if save and workspace is None:
        raise InputDataError("--save", "writes customers.segment in a workspace; pass --workspace DIR")
    common: dict[str, Any] = {"rules": rules, "attributes": attributes, "as_of": as_of, "output": output,
                              "with_clv": with_clv}
    if transactions is not None:
        run = W.segments_transactions_file(transactions, customer_col=customer_col, date_col=date_col,
                                           value_col=value_col, **common)
    else:
        assert workspace is not None
        run = W.segments_workspace(workspace, save=save, **common)
    if as_json:
        from omnimix.cli._common import emit_json

        emit_json(run.to_json())
        return
    cards = run.cards
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
    from omnimix.clv import workflow as W
    from omnimix.clv.cac import table_records
    from omnimix.errors import InputDataError

    common: dict[str, Any] = {"channel_col": channel_col, "model": model.value, "months": months,
                              "discount_rate": discount_rate, "by_month": by_month}
    if workspace is not None:
        run = W.cac_workspace(workspace, **common)
    else:
        if spend is None or customers is None or transactions is None:
            raise InputDataError("input", "pass --workspace DIR, or all of --spend, --customers and --transactions")
        run = W.cac_files(spend, customers, transactions, customer_col=customer_col, date_col=date_col,
                          value_col=value_col, **common)
    if as_json:
        from omnimix.cli._common import emit_json

        emit_json(run.to_json())
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
    for rec in table_records(run.table):
        style = {"loss": "red", "strong": "green"}.get(str(rec["flag"]))
        t.add_row(
            *[
                ("—" if rec[c] is None else f"{rec[c]:.2f}" if isinstance(rec[c], float) else str(rec[c]))
                for c in cols
            ],
            style=style,
        )
    Console().print(t)
