"""``omnimix mmm fit|report``: fit the Bayesian MMM on a file or the workspace, and report a saved fit.

Flags are parsed here; the work is done by :mod:`omnimix.mmm.workflow` (``fit_workspace``,
``fit_file``, ``report_fit``), whose result's ``to_json()`` is what ``--json`` prints.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from omnimix.cli._common import emit_json, split_list

mmm_app = typer.Typer(
    help="Bayesian marketing mix model (JAX + NumPyro): fit, diagnose, report.", no_args_is_help=True
)


def _print_human(payload: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    pp = payload.get("prior_predictive") or {}
    if pp.get("media_share"):
        ms = pp["media_share"]
        con.print(f"Prior ({payload.get('prior')}): media share of KPI {ms['mean']:.1%} "
                  f"[{ms['lo']:.1%}, {ms['hi']:.1%}] before seeing the data (prior predictive, 90%)")
    t = Table(title=f"MMM ({payload['mode']}): contribution and ROI, 90% intervals")
    for col in ("channel", "contribution", "share", "prior", "ROI", "mROI", "status"):
        t.add_column(col, justify="right" if col not in ("channel", "status") else "left",
                     no_wrap=col in ("channel", "status"))
    for c, v in payload["channels"].items():
        ct, r, m = v["contribution"], v["roi"], v["mroi"]
        ps = (pp.get("channels") or {}).get(c)
        t.add_row(
            c,
            f"{ct['mean']:,.0f} [{ct['lo']:,.0f}, {ct['hi']:,.0f}]",
            f"{v['share']['mean']:.1%}",
            f"{ps['mean']:.0%}" if ps else "-",
            f"{r['mean']:.3g} [{r['lo']:.3g}, {r['hi']:.3g}]",
            f"{m['mean']:.3g} [{m['lo']:.3g}, {m['hi']:.3g}]" if m else "-",
            v.get("status", "ok"),
        )
    con.print(t)
    d = payload["diagnostics"]
    if d.get("health") is not None:
        failed = [c for c in d.get("checks", []) if not c["passed"]]
        con.print(f"Health {d['health']}/100"
                  + (": failed " + ", ".join(f"{c['name']} ({c['level']})" for c in failed) if failed else ""))
    con.print(
        f"R-hat max {d['rhat_max']}, bulk ESS min {d['ess_bulk_min']}, divergences {d['divergences']}, "
        f"in-sample coverage {d['ppc_coverage']:.0%}, holdout MAPE {d['holdout_mape']}"
    )
    if d["passed"]:
        con.print("[green]Review gates passed.[/green]")
    else:
        con.print("[red]FIT FAILED REVIEW — do not use these numbers:[/red]")
        for r, s in zip(d["reasons"], d["suggestions"], strict=False):
            con.print(f"  - {r}\n    try: {s}")
    for w in d["warnings"]:
        con.print(f"[yellow]warning:[/yellow] {w}")


@mmm_app.command("fit")
def fit_cmd(
    data_file: Annotated[
        Path | None, typer.Argument(help="Weekly CSV, Parquet or Excel file, one row per period (file mode).")
    ] = None,
    date_col: Annotated[str, typer.Option("--date-col", help="Period start date column.")] = "date",
    kpi_col: Annotated[str, typer.Option("--kpi-col", help="KPI column (revenue or conversions).")] = "kpi",
    channels: Annotated[
        str | None, typer.Option("--channels", help="Media columns, comma separated.")
    ] = None,
    controls: Annotated[
        str | None, typer.Option("--controls", help="Control columns, comma separated.")
    ] = None,
    experiments: Annotated[
        Path | None,
        typer.Option("--experiments", help="Lift tests file: channel,start,end,lift,lift_sd[,spend]."),
    ] = None,
    workspace: Annotated[
        Path | None, typer.Option("--workspace", help="Workspace dir (reads its warehouse).")
    ] = None,
    mode: Annotated[
        str, typer.Option("--mode", help="nuts (full posterior) or map (fast MAP + Laplace).")
    ] = "nuts",
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    chains: Annotated[int, typer.Option("--chains", help="NUTS chains.")] = 4,
    warmup: Annotated[int, typer.Option("--warmup", help="NUTS warm-up iterations per chain.")] = 1000,
    samples: Annotated[int, typer.Option("--samples", help="NUTS draws per chain.")] = 1000,
    holdout: Annotated[
        int, typer.Option("--holdout", help="Hold out the last N periods (out-of-sample check).")
    ] = 0,
    prior: Annotated[
        str, typer.Option("--prior", help="auto (roi for a KPI in currency, else share), share (unit-free "
                                          "prior on each channel's share of the KPI), roi or beta.")
    ] = "auto",
    kpi_type: Annotated[
        str, typer.Option("--kpi-type", help="revenue (KPI in the currency of spend: ROI priors apply) "
                                             "or count (conversions; ROI in currency needs --kpi-value).")
    ] = "unknown",
    kpi_value: Annotated[
        float | None, typer.Option("--kpi-value", help="Currency per KPI unit of a count KPI.")
    ] = None,
    adstock: Annotated[str, typer.Option("--adstock", help="geometric, delayed or weibull.")] = "geometric",
    saturation: Annotated[str, typer.Option("--saturation", help="hill or logistic.")] = "hill",
    chain_method: Annotated[
        str, typer.Option("--chain-method", help="auto, vectorized or parallel.")
    ] = "auto",
    out: Annotated[
        Path | None, typer.Option("--out", help="Save the fit (curves, charts, draws) here.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Fit the MMM and print contributions, ROI and the review verdict."""
    from omnimix.errors import InputDataError
    from omnimix.mmm.workflow import FitSpec, fit_file, fit_workspace

    spec = FitSpec(mode=mode, chains=chains, draws=samples, warmup=warmup, seed=seed, holdout=holdout,
                   prior=prior, kpi_type=kpi_type, kpi_value=kpi_value, adstock=adstock, saturation=saturation,
                   chain_method=chain_method,
                   progress=not as_json and sys.stderr.isatty())
    if workspace is not None:
        run = fit_workspace(workspace, spec, channels=split_list(channels) or None,
                            controls=split_list(controls), experiments=experiments, out=out)
    elif data_file is not None:
        run = fit_file(data_file, spec, date_col=date_col, kpi_col=kpi_col, channels=split_list(channels),
                       controls=split_list(controls), experiments=experiments, out=out)
    else:
        raise InputDataError("<command line>", "no data given", ["pass DATA.csv or --workspace DIR"])
    if as_json:
        emit_json(run.to_json())
    else:
        _print_human(run.payload)
        if run.saved_to is not None:
            typer.echo(f"Saved to {run.saved_to} (report.html, response_curves.json, contributions.csv)")


@mmm_app.command("report")
def report_cmd(
    fit_dir: Annotated[Path, typer.Argument(help="Directory written by `omnimix mmm fit --out`.")],
    html: Annotated[
        Path | None, typer.Option("--html", help="Write the HTML report here (default: FIT_DIR/report.html).")
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="Report language: en or zh-CN.")] = "en",
    currency: Annotated[
        str | None, typer.Option("--currency", help="ISO 4217 code of the spend (default: the workspace's).")
    ] = None,
    plan: Annotated[
        bool, typer.Option("--plan/--no-plan", help="Add the optimizer's plan at the current budget.")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Summarise a saved fit and (re)write its one-page HTML report (charts, checks, budget panel)."""
    from omnimix.mmm.report_i18n import normalize_locale
    from omnimix.mmm.workflow import report_fit

    def guarded_plan(curves: Any, statuses: Any) -> dict[str, Any]:
        # The same plan as `omnimix optimize --workspace` and the dashboard's budget page: the current
        # weekly budget, no reserve, the guardrails (every channel within ±30% of its current spend,
        # weak or conflicting channels held at current spend).
        from omnimix.optimize import optimize_curves
        from omnimix.optimize.guard import ChannelStatus

        status = {c: ChannelStatus(c, s, r) for c, (s, r) in statuses.items()}
        return optimize_curves(curves, float(curves.current_spend.sum()), reserve=0.0, guardrails=True,
                               channel_status=status)

    rep = report_fit(fit_dir, html=html, lang=normalize_locale(lang), currency=currency,
                     planner=guarded_plan if plan else None)
    if as_json:
        emit_json(rep.to_json())
    else:
        _print_human(rep.payload)
        typer.echo(f"Report: {rep.report}")


def register(app: typer.Typer) -> None:
    """Add the ``mmm`` command group to the main app."""
    app.add_typer(mmm_app, name="mmm")
