"""``omnimix experiment design|plan|ab|record|export``: design tests, plan the next one, read A/B tests,
feed read tests to the MMM.

The commands join :data:`omnimix.cli.experiment.experiment_app`; each parses its flags, calls the
library (:mod:`omnimix.experiments.design`, ``planner``, ``ab``, ``calibrate``) and prints the result.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from omnimix.cli.experiment import experiment_app


class Objective(StrEnum):
    total_media = "total_media"
    budget = "budget"


class Metric(StrEnum):
    conversion = "conversion"
    revenue = "revenue"


class ExportFormat(StrEnum):
    meridian = "meridian"
    pymc_marketing = "pymc_marketing"
    robyn = "robyn"


def register(app: typer.Typer) -> None:
    """Nothing to add to the main app: the commands are on ``experiment_app`` once imported."""


@experiment_app.command("design")
def design_cmd(
    data: Annotated[Path, typer.Argument(help="CSV/Parquet geo × date history panel.")],
    duration: Annotated[int, typer.Option("--duration", help="test days")],
    lift: Annotated[float, typer.Option("--lift", help="effect to detect, a fraction (0.05 = 5%)")],
    pre_days: Annotated[int, typer.Option("--pre-days", help="pre-period days of the analysis")] = 56,
    geo_col: Annotated[str, typer.Option("--geo-col")] = "geo",
    date_col: Annotated[str, typer.Option("--date-col")] = "date",
    kpi_col: Annotated[str, typer.Option("--kpi-col")] = "kpi",
    min_size: Annotated[int, typer.Option("--min-size")] = 2,
    max_size: Annotated[int, typer.Option("--max-size")] = 5,
    max_share: Annotated[float, typer.Option("--max-share", help="largest KPI share of a treatment set")] = 0.5,
    alpha: Annotated[float, typer.Option("--alpha", help="two-sided test level")] = 0.05,
    target_power: Annotated[float, typer.Option("--power", help="power of the MDE")] = 0.8,
    roi: Annotated[float | None, typer.Option("--roi", help="expected KPI per unit spend (cost)")] = None,
    exclude: Annotated[str | None, typer.Option("--exclude", help="geos never treated, comma separated")] = None,
    top: Annotated[int, typer.Option("--top")] = 10,
    workspace: Annotated[Path | None, typer.Option("--workspace", help="MMM fit for assurance")] = None,
    channel: Annotated[str | None, typer.Option("--channel", help="channel tested (assurance)")] = None,
    budget: Annotated[float | None, typer.Option("--budget", help="extra spend in the test (assurance)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Rank treatment sets by power (then pre-period fit): power, MDE and cost of each; with
    ``--workspace --channel --budget``, Bayesian assurance from the MMM's ROI posterior."""
    from omnimix.cli._common import emit_json, split_list
    from omnimix.experiments import GeoPanel
    from omnimix.experiments.design import search_designs

    panel = GeoPanel.from_file(data, geo_col, date_col, kpi_col, None)
    wide = panel.wide("kpi")
    res = search_designs(wide.to_numpy(dtype=float).T, [str(g) for g in wide.columns], duration=duration,
                         pre_days=pre_days, lift=lift, alpha=alpha, target_power=target_power,
                         min_size=min_size, max_size=max_size, max_share=max_share, roi=roi,
                         exclude=split_list(exclude), top=top)  # fmt: skip
    if workspace is not None or channel is not None or budget is not None:
        res = _assurance(res, workspace, channel, budget)
    if as_json:
        emit_json(res.to_json())
        return
    typer.echo(f"{res.evaluated:,} sets scored, {res.kept:,} within the share limit; {duration}-day test, "
               f"{pre_days}-day pre-period, lift {lift:.1%}, alpha {alpha}")  # fmt: skip
    for r in res.table.itertuples(index=False):
        cost = "" if r.cost != r.cost else f"  cost {r.cost:,.0f}"
        cost += f"  assurance {r.assurance:.2f}" if hasattr(r, "assurance") else ""
        typer.echo(f"  {','.join(r.geos):<32} share {r.share:.1%}  power {r.power:.2f}  MDE {r.mde:.2%}  "
                   f"fit {r.fit_rmse:.3f}{cost}")  # fmt: skip


def _assurance(res: Any, workspace: Path | None, channel: str | None, budget: float | None) -> Any:
    from omnimix.errors import ConfigError, UsageError
    from omnimix.experiments.design import with_assurance
    from omnimix.mmm.analysis import load_fit

    if workspace is None or channel is None or budget is None:
        raise UsageError("assurance needs --workspace, --channel and --budget together")
    src = Path(workspace) / "mmm" / "latest"
    if not src.exists():
        raise ConfigError(f"no MMM fit at {src}: run `omnimix mmm fit --workspace {workspace}` first")
    fit = load_fit(src)
    if channel not in fit.channels:
        raise UsageError(f"channel {channel!r} is not in the MMM; its channels are {list(fit.channels)}")
    return with_assurance(res, fit.roi_draws()[:, list(fit.channels).index(channel)], budget)


@experiment_app.command("plan")
def plan_cmd(
    workspace: Annotated[Path, typer.Option("--workspace", help="Workspace directory with a fitted MMM.")],
    fit_dir: Annotated[Path | None, typer.Option("--fit", help="MMM fit directory (default DIR/mmm/latest)")] = None,
    reserve: Annotated[float | None, typer.Option("--reserve", help="test fund (currency)")] = None,
    tests: Annotated[int | None, typer.Option("--tests", help="most tests to plan")] = None,
    weeks: Annotated[int, typer.Option("--weeks", help="test length in model periods")] = 6,
    rel_sd: Annotated[float, typer.Option("--rel-sd", help="a test's relative standard error")] = 0.10,
    cell_share: Annotated[float, typer.Option("--cell-share", help="share of spend at stake")] = 0.2,
    objective: Annotated[Objective, typer.Option("--objective")] = Objective.total_media,
    save: Annotated[bool, typer.Option("--save", help="store the plan for the dashboard (experiment_plan)")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Which channel to test next: largest expected drop in the MMM's uncertainty per unit of cost.

    The tests are funded from what is left of the plan's test-and-innovation reserve when the workspace
    has a plan (DIR/plan.toml); --reserve overrides it."""
    from omnimix.cli._common import emit_json
    from omnimix.errors import ConfigError
    from omnimix.mmm.analysis import load_fit
    from omnimix.plan.reserve import plan_next_tests
    from omnimix.workspace import Workspace

    ws = Workspace.of(workspace)
    src = fit_dir or ws.root / "mmm" / "latest"
    if not Path(src).exists():
        raise ConfigError(f"no MMM fit at {src}: run `omnimix mmm fit --workspace {ws.root}` first")
    plan, fund = plan_next_tests(ws, load_fit(src), reserve=reserve, n_tests=tests, weeks=weeks, rel_sd=rel_sd,
                                 cell_share=cell_share, objective=objective.value)  # fmt: skip
    if save:
        from omnimix.experiments.planner import save_plan

        save_plan(ws, plan)
    if as_json:
        emit_json(plan.to_json())
        return
    if fund is not None:
        typer.echo(f"test reserve of {fund.source} ({fund.year_start} .. {fund.year_end}): {fund.reserve:,.2f} "
                   f"({fund.share:.0%} of {fund.budget:,.0f}), spent on recorded tests {fund.spent:,.2f}, "
                   f"left {fund.left:,.2f}")  # fmt: skip
    elif reserve is None:
        typer.echo("no plan file and no --reserve: the test fund is unlimited")
    typer.echo(f"objective {plan.objective}: sd now {plan.sd_now:,.4g}, after the plan {plan.sd_after:,.4g}")
    for i, t in enumerate(plan.tests, 1):
        typer.echo(f"  {i}. {t.channel:<14} {t.start} .. {t.end}  cost {t.cost:,.0f}  "
                   f"sd {t.sd_before:,.4g} -> {t.sd_after:,.4g}")  # fmt: skip
    if not plan.tests:
        typer.echo("  no test fits the fund")


@experiment_app.command("ab")
def ab_cmd(
    data: Annotated[Path, typer.Argument(help="CSV/Parquet, one row per user.")],
    group_col: Annotated[str, typer.Option("--group-col", help="values control / treatment")] = "group",
    metric_col: Annotated[str, typer.Option("--metric-col")] = "value",
    covariate_col: Annotated[str | None, typer.Option("--covariate-col", help="pre-period value (CUPED)")] = None,
    metric: Annotated[Metric, typer.Option("--metric")] = Metric.revenue,
    level: Annotated[float, typer.Option("--level")] = 0.9,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Read a user-level A/B test: difference, lift, p-value, CUPED and the always-valid interval."""
    from omnimix.cli._common import emit_json
    from omnimix.experiments.ab import ab_from_frame
    from omnimix.io import read_frame

    res = ab_from_frame(read_frame(data), group_col=group_col, metric_col=metric_col, covariate_col=covariate_col,
                        metric=metric.value, level=level, source=str(data))  # fmt: skip
    if as_json:
        emit_json(res.to_json())
        return
    d, av = res.diff, res.always_valid
    typer.echo(f"{res.metric}: control {res.control_mean:.4g} (n={res.n_control}), treatment "
               f"{res.treatment_mean:.4g} (n={res.n_treatment})")  # fmt: skip
    typer.echo(f"  difference {d['mean']:.4g} [{level:.0%}: {d['lo']:.4g} .. {d['hi']:.4g}], p {res.p_value:.4f}")
    typer.echo(f"  lift {res.lift['mean']:.2%} [{res.lift['lo']:.2%} .. {res.lift['hi']:.2%}]")
    typer.echo(f"  always valid [{av['lo']:.4g} .. {av['hi']:.4g}], p {res.always_valid_p:.4f}; "
               f"CUPED variance reduction {res.variance_reduction:.1%}")  # fmt: skip


@experiment_app.command("record")
def record_cmd(
    result: Annotated[Path, typer.Argument(help="JSON printed by `omnimix experiment analyze --json` "
                                                "(with --detail it carries the series the dashboard charts).")],
    workspace: Annotated[Path, typer.Option("--workspace")],
    channel: Annotated[str, typer.Option("--channel", help="the channel the test moved")],
    start: Annotated[str, typer.Option("--start", help="first test day")],
    end: Annotated[str, typer.Option("--end", help="last test day")],
    spend: Annotated[float | None, typer.Option("--spend", help="the channel's spend in the test")] = None,
    level: Annotated[float, typer.Option("--level", help="level of the result's intervals")] = 0.9,
    geos: Annotated[str | None, typer.Option("--geos", help="treated geos, comma separated")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Write a read test into the workspace's ``experiments`` table (the next `mmm fit` uses it) and its
    full read into ``experiment_results`` (the dashboard's /experiments page)."""
    from omnimix.cli._common import emit_json, split_list
    from omnimix.errors import InputDataError
    from omnimix.experiments.calibrate import calibration_row, record_experiment

    try:
        doc: dict[str, Any] = json.loads(result.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputDataError(str(result), f"cannot be read as JSON: {exc}") from None
    doc.setdefault("level", level)
    spend_v = spend if spend is not None else doc.get("incremental_cost")
    row = calibration_row(doc, channel=channel, start=start, end=end, spend=spend_v,
                          geos=split_list(geos) if geos else None)  # fmt: skip
    record_experiment(workspace, row, doc)
    out = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
    if as_json:
        emit_json(out)
        return
    typer.echo(f"recorded {channel} {out['start']} .. {out['end']}: lift {row['lift']:,.2f} ± {row['lift_sd']:,.2f}")


@experiment_app.command("export")
def export_cmd(
    workspace: Annotated[Path, typer.Option("--workspace")],
    fmt: Annotated[ExportFormat, typer.Option("--format")],
    out: Annotated[Path | None, typer.Option("--out", help="CSV file (default: print JSON)")] = None,
    period_days: Annotated[int, typer.Option("--period-days", help="model period (PyMC-Marketing)")] = 7,
) -> None:
    """Export the workspace's lift tests in Meridian, PyMC-Marketing or Robyn calibration form."""
    from omnimix.cli._common import emit_json
    from omnimix.experiments.calibrate import read_experiments, to_meridian, to_pymc_marketing, to_robyn

    rows = read_experiments(workspace)
    if fmt is ExportFormat.meridian:
        frame = to_meridian(rows)
    elif fmt is ExportFormat.pymc_marketing:
        frame = to_pymc_marketing(rows, period_days=period_days)
    else:
        frame = to_robyn(rows)
    if out is not None:
        frame.to_csv(out, index=False)
        typer.echo(f"wrote {len(frame)} rows to {out}")
        return
    emit_json(frame.to_dict("records"))
