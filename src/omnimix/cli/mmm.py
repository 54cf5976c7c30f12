"""``omnimix mmm fit|report``: fit the Bayesian MMM on a CSV or the workspace, and report a saved fit."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

mmm_app = typer.Typer(
    help="Bayesian marketing mix model (JAX + NumPyro): fit, diagnose, report.", no_args_is_help=True
)


def _split(s: str | None) -> list[str]:
    return [x.strip() for x in s.split(",") if x.strip()] if s else []


def _prepare_jax_devices(chains: int, method: str) -> None:
    """Ask XLA for one host device per chain (parallel chains) before JAX is first imported."""
    if method == "vectorized" or "jax" in sys.modules:
        return
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_force_host_platform_device_count" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={chains}".strip()


def fit_payload(fit: Any) -> dict[str, Any]:
    """The documented JSON of ``omnimix mmm fit --json`` (plus extra keys)."""
    s = fit.summary()
    d = s["diagnostics"]
    return {
        "channels": {
            c: {
                "contribution": v["contribution"],
                "roi": v["roi"],
                "mroi": v.get("mroi"),
                "share": v["share"],
                "spend": v["spend"],
            }
            for c, v in s["channels"].items()
        },
        "baseline": s["baseline"],
        "media_total": s["media_total"],
        "kpi_total": s["kpi_total"],
        "mode": s["mode"],
        "diagnostics": {
            "rhat_max": d["rhat_max"],
            "ess_bulk_min": d["ess_bulk_min"],
            "ess_tail_min": d["ess_tail_min"],
            "divergences": d["divergences"],
            "ppc_coverage": d["ppc_coverage"],
            "holdout_mape": d["holdout_mape"],
            "holdout_coverage": d["holdout_coverage"],
            "passed": d["passed"],
            "reasons": d["reasons"],
            "suggestions": d["suggestions"],
            "warnings": d["warnings"],
            "identification": d["identification"],
        },
        "seconds": s["seconds"],
    }


def _print_human(payload: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    t = Table(title=f"MMM ({payload['mode']}): contribution and ROI, 90% intervals")
    for col in ("channel", "contribution", "share", "ROI", "mROI"):
        t.add_column(col, justify="right" if col != "channel" else "left")
    for c, v in payload["channels"].items():
        ct, r, m = v["contribution"], v["roi"], v["mroi"]
        t.add_row(
            c,
            f"{ct['mean']:,.0f} [{ct['lo']:,.0f}, {ct['hi']:,.0f}]",
            f"{v['share']['mean']:.1%}",
            f"{r['mean']:.2f} [{r['lo']:.2f}, {r['hi']:.2f}]",
            f"{m['mean']:.2f} [{m['lo']:.2f}, {m['hi']:.2f}]" if m else "-",
        )
    con.print(t)
    d = payload["diagnostics"]
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
    data_csv: Annotated[
        Path | None, typer.Argument(help="Weekly CSV, one row per period (file mode).")
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
        typer.Option("--experiments", help="Lift tests CSV: channel,start,end,lift,lift_sd[,spend]."),
    ] = None,
    workspace: Annotated[
        Path | None, typer.Option("--workspace", help="Workspace dir (reads warehouse.duckdb).")
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
        str, typer.Option("--prior", help="roi (prior on ROI) or beta (prior on coefficients).")
    ] = "roi",
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
    from omnimix.errors import ConfigError, InputDataError

    if mode not in ("nuts", "map"):
        raise ConfigError(f"--mode {mode!r} is unknown", ["use --mode nuts or --mode map"])
    if chain_method not in ("auto", "vectorized", "parallel"):
        raise ConfigError(f"--chain-method {chain_method!r} is unknown", ["use auto, vectorized or parallel"])
    if mode == "nuts":
        _prepare_jax_devices(chains, chain_method)
    from omnimix.mmm.data import load_csv, load_experiments, load_workspace
    from omnimix.mmm.model import MMM, MMMConfig

    if workspace is not None:
        data = load_workspace(workspace, channels=_split(channels) or None, controls=_split(controls))
        if experiments is not None:
            from dataclasses import replace

            data = replace(data, experiments=data.experiments + load_experiments(experiments))
    elif data_csv is not None:
        chans = _split(channels)
        if not chans:
            raise InputDataError(
                str(data_csv), "no --channels given", ["pass --channels a,b with the media columns"]
            )
        data = load_csv(
            data_csv,
            date_col=date_col,
            kpi_col=kpi_col,
            channels=chans,
            controls=_split(controls),
            experiments_csv=experiments,
        )
    else:
        raise InputDataError("<command line>", "no data given", ["pass DATA.csv or --workspace DIR"])
    cfg = MMMConfig(
        chains=chains,
        warmup=warmup,
        samples=samples,
        holdout=holdout,
        prior=prior,
        adstock=adstock,
        saturation=saturation,
        chain_method=chain_method,
    )
    progress = not as_json and sys.stderr.isatty()
    fit = MMM(cfg).fit(data, mode=mode, seed=seed, progress=progress)
    payload = fit_payload(fit)
    if out is None and workspace is not None:
        out = workspace / "mmm" / "latest"  # workspace fits are kept for the dashboard and optimizer
    if out is not None:
        fit.save(out)
        payload["saved_to"] = str(out)
    if workspace is not None and out is not None:
        from omnimix.mmm.store import save_to_workspace

        payload["workspace_tables"] = save_to_workspace(workspace, payload, out)
    if as_json:
        from omnimix.cli._common import emit_json

        emit_json(payload)
    else:
        _print_human(payload)
        if out is not None:
            typer.echo(f"Saved to {out} (report.html, response_curves.json, contributions.csv)")


@mmm_app.command("report")
def report_cmd(
    fit_dir: Annotated[Path, typer.Argument(help="Directory written by `omnimix mmm fit --out`.")],
    html: Annotated[
        Path | None, typer.Option("--html", help="Write the HTML report here (default: FIT_DIR).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Summarise a saved fit and (re)write its HTML report with every chart."""
    from omnimix.mmm.analysis import load_fit, write_report

    fit = load_fit(fit_dir)
    target = html or (fit_dir / "report.html")
    write_report(fit, target)
    payload = fit_payload(fit)
    payload["report"] = str(target)
    if as_json:
        from omnimix.cli._common import emit_json

        emit_json(payload)
    else:
        _print_human(payload)
        typer.echo(f"Report: {target}")


def register(app: typer.Typer) -> None:
    """Add the ``mmm`` command group to the main app."""
    app.add_typer(mmm_app, name="mmm")
