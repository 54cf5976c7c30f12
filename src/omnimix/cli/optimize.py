"""``omnimix optimize``: allocate a budget from response curves in a CURVES.json file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer

from omnimix.errors import ConfigError


def _pct_or_amount(text: str, where: str) -> tuple[float, bool]:
    """``"40%"`` → (0.4, True); ``"5000"`` → (5000.0, False)."""
    t = text.strip()
    try:
        if t.endswith("%"):
            return float(t[:-1]) / 100.0, True
        return float(t), False
    except ValueError as exc:
        raise ConfigError(f"{where}: {text!r} is not a number or a percentage like 40%.") from exc


def parse_group(text: str) -> Any:
    """``"social=facebook,tiktok<=40%"`` (share of budget), ``<=5000`` (amount); ``>=`` for floors."""
    from omnimix.optimize.constraints import Group

    m = re.fullmatch(r"\s*([^=]+?)\s*=\s*([^<>]+?)\s*((?:[<>]=\s*[^<>]+?\s*)+)", text)
    if not m:
        raise ConfigError(
            f"--group {text!r}: expected NAME=ch1,ch2<=40% (share of budget), <=5000 (amount) or >=…"
        )
    name, chans, rest = m.group(1), m.group(2), m.group(3)
    kw: dict[str, Any] = {}
    for op, val in re.findall(r"([<>]=)\s*([^<>]+)", rest):
        v, share = _pct_or_amount(val, f"--group {name}")
        side = "max" if op == "<=" else "min"
        kw[f"{side}_share" if share else side] = v
    return Group(name=name, channels=tuple(c.strip() for c in chans.split(",") if c.strip()), **kw)


def parse_lock(text: str) -> tuple[str, float | None]:
    """``"tv"`` (lock at current) or ``"tv=5000"``."""
    if "=" in text:
        name, val = text.split("=", 1)
        try:
            return name.strip(), float(val)
        except ValueError as exc:
            raise ConfigError(f"--lock {text!r}: the amount {val!r} is not a number.") from exc
    return text.strip(), None


def parse_bound(text: str) -> tuple[str, dict[str, float]]:
    """``"tv=100:5000"`` absolute min:max or ``"tv=-30%:+50%"`` change vs current; a side may be empty."""
    if "=" not in text or ":" not in text:
        raise ConfigError(f"--bound {text!r}: expected NAME=MIN:MAX, e.g. tv=100:5000 or tv=-30%:+50%.")
    name, rng = text.split("=", 1)
    lo, hi = rng.split(":", 1)
    out: dict[str, float] = {}
    for side, val in (("min", lo), ("max", hi)):
        if val.strip():
            v, pct = _pct_or_amount(val, f"--bound {name}")
            out[f"{side}_change" if pct else side] = v
    return name.strip(), out


def register(app: typer.Typer) -> None:
    """Add ``optimize`` to the main app."""

    @app.command("optimize")
    def optimize(
        curves: Annotated[
            Path, typer.Option("--curves", help="CURVES.json with per-channel Hill/logistic curves.")
        ],
        budget: Annotated[
            float | None, typer.Option("--budget", help="Total budget per period, reserve included.")
        ] = None,
        reserve: Annotated[
            float, typer.Option(help="Test-and-innovation reserve, fraction of budget.")
        ] = 0.1,
        objective: Annotated[str, typer.Option(help="kpi, revenue or profit.")] = "kpi",
        kpi_value: Annotated[float, typer.Option(help="Revenue per KPI unit (revenue/profit).")] = 1.0,
        risk: Annotated[str, typer.Option(help="mean, quantile or cvar (over posterior draws).")] = "mean",
        alpha: Annotated[float, typer.Option(help="Quantile level / CVaR tail share.")] = 0.1,
        target: Annotated[
            float | None, typer.Option(help="Minimise spend to reach this expected KPI instead.")
        ] = None,
        min_roi: Annotated[float | None, typer.Option(help="Minimum total ROI (revenue / spend).")] = None,
        min_marginal_roi: Annotated[
            float | None, typer.Option(help="Minimum marginal ROI of each funded channel.")
        ] = None,
        group: Annotated[
            list[str] | None, typer.Option(help="Group limit NAME=ch1,ch2<=40% (or <=amount, >=floor).")
        ] = None,
        lock: Annotated[list[str] | None, typer.Option(help="Lock a channel: NAME or NAME=amount.")] = None,
        bound: Annotated[
            list[str] | None, typer.Option(help="Channel limits NAME=MIN:MAX or NAME=-30%:+50% of current.")
        ] = None,
        scenarios: Annotated[
            str | None, typer.Option(help="Budget changes in percent, e.g. '-20,0,20'.")
        ] = None,
        frontier: Annotated[int, typer.Option(help="Points on the efficient frontier (0: none).")] = 0,
        periods: Annotated[
            int, typer.Option(help="Allocate --budget over this many periods (multi-period flighting).")
        ] = 1,
        max_change_pct: Annotated[
            float | None, typer.Option(help="Flighting: max change between periods, fraction of current.")
        ] = None,
        csv: Annotated[
            Path | None,
            typer.Option("--csv", help="Write the allocation table as CSV (plus _scenarios/_frontier CSVs)."),
        ] = None,
        chart: Annotated[
            Path | None, typer.Option("--chart", help="Write plotly charts as offline HTML.")
        ] = None,
        json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Allocate a budget across channels by marginal return, with constraints and a test reserve."""
        from omnimix.cli._common import emit_json
        from omnimix.curves import load_curves
        from omnimix.optimize.constraints import ChannelBound, Constraints
        from omnimix.optimize.optimizer import (
            Flighting,
            Objective,
            minimize_spend,
            optimize_budget,
            optimize_flighting,
        )

        rc = load_curves(curves)
        obj = Objective(
            kind=objective,
            kpi_value=kpi_value,
            risk=risk,
            alpha=alpha,
            min_roi=min_roi,
            min_marginal_roi=min_marginal_roi,
        )
        bounds: dict[str, ChannelBound] = {}
        for b in bound or []:
            name, kw = parse_bound(b)
            names = list(rc.channels) if name == "*" else [name]
            for n in names:
                bounds[n] = ChannelBound(**kw)
        locked = dict(parse_lock(x) for x in lock or [])
        groups = tuple(parse_group(g) for g in group or [])
        figures: list[Any] = []
        if budget is None and target is None:
            raise ConfigError("Give --budget (total budget per period) or --target (KPI to reach).")
        if periods > 1:
            if budget is None:
                raise ConfigError("--periods needs --budget (the total over all periods).")
            from omnimix.optimize.charts import flighting_chart

            plan = optimize_flighting(
                rc,
                budget,
                Flighting(periods=periods, max_change_pct=max_change_pct, groups=groups, locked=locked),
                reserve=reserve,
                objective=obj,
            )
            doc = plan.to_dict()
            if csv:
                plan.to_frame().to_csv(csv, index=False)
            figures.append(flighting_chart(plan))
            _finish(doc, figures, chart, json_out, emit_json, plan.to_frame())
            return
        spec = Constraints(
            budget=float(budget if budget is not None else 10 * max(rc.current_spend.sum(), 1.0)),
            reserve=reserve if budget is not None else 0.0,
            bounds=bounds,
            locked=locked,
            groups=groups,
        )
        if target is not None:
            alloc = minimize_spend(rc, target, spec, kpi_value=kpi_value)
        else:
            alloc = optimize_budget(rc, spec, obj)
        doc = alloc.to_dict()
        table = alloc.to_frame()
        from omnimix.optimize.charts import allocation_chart, curves_chart, frontier_chart, scenarios_chart

        figures += [allocation_chart(alloc), curves_chart(rc, alloc)]
        if scenarios and budget is not None:
            from omnimix.optimize.scenarios import compare_scenarios

            try:
                changes = [float(s) / 100.0 for s in scenarios.split(",") if s.strip()]
            except ValueError as exc:
                raise ConfigError(f"--scenarios {scenarios!r}: expected percents like '-20,0,20'.") from exc
            sc = compare_scenarios(rc, spec, obj, changes)
            doc["scenarios"] = [s.to_dict() for s in sc]
            figures.append(scenarios_chart(sc))
            if csv:
                from omnimix.optimize.scenarios import scenarios_frame

                scenarios_frame(sc).to_csv(csv.with_name(f"{csv.stem}_scenarios.csv"), index=False)
        if frontier and budget is not None:
            from omnimix.optimize.frontier import efficient_frontier

            fr = efficient_frontier(rc, spec, obj, points=frontier)
            doc["frontier"] = fr.to_dict()
            figures.append(frontier_chart(fr))
            if csv:
                fr.to_frame().to_csv(csv.with_name(f"{csv.stem}_frontier.csv"), index=False)
        if csv:
            table.to_csv(csv, index=False)
        _finish(doc, figures, chart, json_out, emit_json, table)


def _finish(
    doc: dict[str, Any], figures: list[Any], chart: Path | None, json_out: bool, emit: Any, table: Any
) -> None:
    if chart:
        from omnimix.optimize.charts import write_html

        write_html(chart, figures)
    if json_out:
        emit(doc)
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title="omnimix optimize")
    for col in table.columns:
        t.add_column(str(col))
    for row in table.itertuples(index=False):
        t.add_row(*[f"{v:,.4g}" if isinstance(v, float) else str(v) for v in row])
    con = Console()
    con.print(t)
    if "expected_kpi" in doc:
        con.print(
            f"expected KPI {doc['expected_kpi']:,.6g}; reserve {doc.get('reserve', 0):,.6g}; "
            f"90% interval {doc.get('kpi_interval_90')}"
        )
