"""``omnimix optimize``: allocate a budget from response curves (a workspace's MMM fit or a curves file).

Parses the flags, calls :func:`omnimix.optimize.workflow.optimize_workspace` or
:func:`~omnimix.optimize.workflow.optimize_file` and prints the run (``--json``: its ``to_json()``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer

from omnimix.errors import UsageError


def _pct_or_amount(text: str, where: str) -> tuple[float, bool]:
    """``"40%"`` → (0.4, True); ``"5000"`` → (5000.0, False)."""
    t = text.strip()
    try:
        if t.endswith("%"):
            return float(t[:-1]) / 100.0, True
        return float(t), False
    except ValueError as exc:
        raise UsageError(f"{where}: {text!r} is not a number or a percentage like 40%.") from exc


def parse_group(text: str) -> Any:
    """``"social=facebook,tiktok<=40%"`` (share of budget), ``<=5000`` (amount); ``>=`` for floors."""
    from omnimix.optimize.constraints import Group

    m = re.fullmatch(r"\s*([^=]+?)\s*=\s*([^<>]+?)\s*((?:[<>]=\s*[^<>]+?\s*)+)", text)
    if not m:
        raise UsageError(
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
    text = text.replace("＝", "=")
    if "=" in text:
        name, val = text.split("=", 1)
        try:
            return name.strip(), float(val)
        except ValueError as exc:
            raise UsageError(f"--lock {text!r}: the amount {val!r} is not a number.") from exc
    return text.strip(), None


def parse_bound(text: str) -> tuple[str, dict[str, float]]:
    """``"tv=100:5000"`` absolute min:max or ``"tv=-30%:+50%"`` change vs current; a side may be empty.

    ``NAME`` is a channel key or display name (``抖音=-20%:+20%``), or ``all`` / ``*`` for every channel.
    """
    text = text.replace("：", ":").replace("＝", "=")  # full-width forms typed with a Chinese IME
    if "=" not in text or ":" not in text:
        raise UsageError(f"--bound {text!r}: expected NAME=MIN:MAX, e.g. tv=100:5000, tv=-30%:+50% or "
                         "all=-30%:+50%.")
    name, rng = text.split("=", 1)
    if not name.strip():
        raise UsageError(f"--bound {text!r}: the channel name is empty; use NAME=MIN:MAX or all=MIN:MAX.")
    lo, hi = rng.split(":", 1)
    out: dict[str, float] = {}
    for side, val in (("min", lo), ("max", hi)):
        if val.strip():
            v, pct = _pct_or_amount(val, f"--bound {name}")
            out[f"{side}_change" if pct else side] = v
    return name.strip(), out


def parse_scenarios(text: str | None) -> list[float]:
    """``"-20,0,20"`` (percent budget changes) → ``[-0.2, 0.0, 0.2]``; empty for None."""
    try:
        return [float(s) / 100.0 for s in (text or "").split(",") if s.strip()]
    except ValueError as exc:
        raise UsageError(f"--scenarios {text!r}: expected percents like '-20,0,20'.") from exc


def register(app: typer.Typer) -> None:
    """Add ``optimize`` to the main app."""

    @app.command("optimize")
    def optimize(
        curves: Annotated[
            Path | None,
            typer.Option("--curves", help="Curves file: a CURVES.json or an MMM fit's response_curves.json."),
        ] = None,
        workspace: Annotated[
            Path | None,
            typer.Option("--workspace", "-w", help="Plan from this workspace's latest passed MMM fit."),
        ] = None,
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
        max_draws: Annotated[
            int | None, typer.Option(help="Plan over a random subset of this many posterior draws.")
        ] = None,
        guardrails: Annotated[
            bool | None,
            typer.Option("--guardrails/--no-guardrails", help=(
                "Keep every channel within -30%..+30% of current spend and hold weak/conflicting MMM "
                "channels at current spend (default: on with --workspace, off with --curves).")),
        ] = None,
        release: Annotated[
            list[str] | None,
            typer.Option(help="Plan a channel the guardrails hold (weak or conflict in the MMM); 'all' for every."),
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
        """Allocate a budget across channels by marginal return, with constraints and a test reserve.

        Curves: --workspace DIR (the latest passed MMM fit and its draws) or --curves FILE; give one.
        """
        from omnimix.cli._common import emit_json
        from omnimix.optimize.workflow import optimize_file, optimize_workspace

        if (curves is None) == (workspace is None):
            raise UsageError(
                "Give exactly one of --workspace DIR (the latest passed MMM fit) and --curves FILE "
                "(a CURVES.json or DIR/mmm/latest/response_curves.json)."
            )
        options: dict[str, Any] = {
            "reserve": reserve,
            "objective": objective,
            "kpi_value": kpi_value,
            "risk": risk,
            "alpha": alpha,
            "target": target,
            "min_roi": min_roi,
            "min_marginal_roi": min_marginal_roi,
            "bounds": [parse_bound(b) for b in bound or []],
            "locked": dict(parse_lock(x) for x in lock or []),
            "groups": tuple(parse_group(g) for g in group or []),
            "scenarios": parse_scenarios(scenarios),
            "frontier": frontier,
            "periods": periods,
            "max_change_pct": max_change_pct,
            "max_draws": max_draws,
            "release": list(release or []),
        }
        if guardrails is not None:
            options["guardrails"] = guardrails
        if workspace is not None:
            run = optimize_workspace(workspace, budget, **options)
        else:
            assert curves is not None
            run = optimize_file(curves, budget, **options)
        if csv:
            run.write_csv(csv)
        if chart:
            run.write_chart(chart)
        doc = run.to_json()
        if json_out:
            emit_json(doc)
            return
        _print_table(doc, run.table())


def _print_table(doc: dict[str, Any], table: Any) -> None:
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
        band = doc.get("kpi_interval_90")
        shown = f"90% interval [{band[0]:,.6g}, {band[1]:,.6g}]" if band else doc.get("interval_note") or ""
        up = doc.get("uplift_pct")
        con.print(
            f"current KPI {doc['current_kpi']:,.6g}; expected KPI {doc['expected_kpi']:,.6g} ({shown})"
            + (f"; uplift {up:+.1%}" if up is not None else "")
            + f"; reserve {doc.get('reserve', 0):,.6g}"
        )
    for note in doc.get("notes", []):
        con.print(f"note: {note}")
