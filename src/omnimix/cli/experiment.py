"""``omnimix experiment …``: read geo experiments (``analyze``).

``experiment_app`` is the sub-app; other modules add their commands to it (``design``, ``plan``) by
importing it and decorating functions with ``@experiment_app.command(...)`` in their own ``register``.
The command parses the flags, calls :func:`omnimix.experiments.analyze` and prints the result.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

experiment_app = typer.Typer(help="Lift tests: read geo experiments (and design / plan them).",
                             no_args_is_help=True)


class Method(StrEnum):
    synthetic_control = "synthetic_control"
    augmented_synthetic_control = "augmented_synthetic_control"
    tbr = "tbr"
    did = "did"
    sdid = "sdid"
    its = "its"


def register(app: typer.Typer) -> None:
    """Add the ``experiment`` command group to the main app."""
    app.add_typer(experiment_app, name="experiment")


def read_assignment(path: Path) -> list[str]:
    """Treated geos of an assignment file with columns ``geo,group`` (group ``control``/``treatment``)."""
    import pandas as pd

    from omnimix.errors import InputDataError

    if not path.exists():
        raise InputDataError(str(path), "file not found; check the --assignment path")
    try:
        df = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise InputDataError(str(path), f"cannot be read as CSV: {exc}") from None
    cols = {c.strip().lower(): c for c in df.columns}
    missing = [c for c in ("geo", "group") if c not in cols]
    if missing:
        raise InputDataError(str(path), f"missing column(s) {missing}; the file has {list(df.columns)}",
                             ["write a header line `geo,group`"])
    groups = df[cols["group"]].fillna("").str.strip().str.lower()
    bad = ~groups.isin(["control", "treatment"])
    if bad.any():
        rows = (bad.to_numpy().nonzero()[0] + 1)[:5].tolist()
        raise InputDataError(str(path), f"column 'group': value(s) {df[cols['group']][bad].head(5).tolist()} "
                             f"at row(s) {rows}", ["write `control` or `treatment`"])
    treated: list[str] = [str(g) for g in df.loc[groups == "treatment", cols["geo"]].str.strip()]
    if not treated:
        raise InputDataError(str(path), "no geo has group `treatment`")
    return treated


@experiment_app.command("analyze")
def analyze_cmd(
    data: Annotated[Path, typer.Argument(help="CSV/Parquet geo × date panel.")],
    method: Annotated[Method, typer.Option("--method", help="estimator")],
    test_start: Annotated[str, typer.Option("--test-start", help="first test day (inclusive)")],
    test_end: Annotated[str, typer.Option("--test-end", help="last test day (inclusive)")],
    geo_col: Annotated[str, typer.Option("--geo-col")] = "geo",
    date_col: Annotated[str, typer.Option("--date-col")] = "date",
    kpi_col: Annotated[str, typer.Option("--kpi-col")] = "kpi",
    cost_col: Annotated[str | None, typer.Option("--cost-col")] = None,
    treated: Annotated[str | None, typer.Option("--treated", help="treated geos, comma separated")] = None,
    assignment: Annotated[Path | None, typer.Option("--assignment", help="CSV geo,group")] = None,
    pre_start: Annotated[str | None, typer.Option("--pre-start", help="first pre-period day")] = None,
    level: Annotated[float, typer.Option("--level", help="interval level")] = 0.9,
    inference: Annotated[str | None, typer.Option(
        "--inference", help="inference method (default: the method's first in docs/experiments.md; "
        "synthetic_control: placebo_space, or conformal with fewer than 19 placebo groups)")] = None,
    trend: Annotated[bool | None, typer.Option(
        "--trend/--no-trend", help="its: local linear trend (default on); --no-trend is CausalImpact's "
        "local-level model")] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    chart: Annotated[Path | None, typer.Option("--chart", help="write an HTML chart here")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    detail: Annotated[bool, typer.Option("--detail", help="with --json: add level, inference, pre-period "
                                         "fit and the per-date series (for `experiment record`)")] = False,
) -> None:
    """Estimate a geo test's effect: ATT, incremental KPI, lift, iROAS, p-value and donor weights."""
    from omnimix.cli._common import emit_json, split_list
    from omnimix.errors import UsageError

    if (treated is None) == (assignment is None):
        raise UsageError("pass exactly one of --treated g1,g2 or --assignment FILE.csv")
    geos = split_list(treated) if treated is not None else read_assignment(assignment)  # type: ignore[arg-type]
    from omnimix.experiments import GeoPanel, analyze

    panel = GeoPanel.from_file(data, geo_col, date_col, kpi_col, cost_col)
    res = analyze(panel, method.value, geos, test_start, test_end, pre_start=pre_start, level=level,
                  seed=seed, inference=inference, trend=trend)
    if chart is not None:
        from omnimix.experiments.charts import lift_chart

        lift_chart(res, chart)
        if not as_json:
            typer.echo(f"Chart written to {chart}")
    if as_json:
        emit_json(res.detail_json() if detail else res.to_json())
        return
    pct = f"{level:.0%}"
    typer.echo(f"{res.method} ({res.inference}), treated {', '.join(res.treated)}, "
               f"test {res.test_start} .. {res.test_end}")
    if res.details.get("inference_note"):
        typer.echo(f"  note: {res.details['inference_note']}")
    for name, iv in (("ATT per geo per day", res.att), ("incremental KPI", res.incremental_kpi)):
        typer.echo(f"  {name:<22} {iv.mean:,.2f}  [{pct}: {iv.lo:,.2f} .. {iv.hi:,.2f}]")
    typer.echo(f"  {'lift':<22} {res.lift.mean:.2%}  [{res.lift.lo:.2%} .. {res.lift.hi:.2%}]")
    typer.echo(f"  {'p-value':<22} {res.p_value:.4f}")
    if res.incremental_cost is not None and res.iroas is not None:
        typer.echo(f"  {'incremental cost':<22} {res.incremental_cost:,.2f}")
        typer.echo(f"  {'iROAS':<22} {res.iroas.mean:.3f}  [{res.iroas.lo:.3f} .. {res.iroas.hi:.3f}]")
    typer.echo(f"  pre-period fit: RMSE {res.pre_fit['rmse']:,.2f}, R² {res.pre_fit['r2']:.3f}")
    top = sorted(res.weights.items(), key=lambda kv: -abs(kv[1]))[:8]
    typer.echo("  donor weights: " + ", ".join(f"{g} {w:.3f}" for g, w in top if abs(w) > 1e-4))
