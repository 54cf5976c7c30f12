"""``omnimix resolve`` and ``omnimix identity export|explain|forget|evaluate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from omnimix.cli._common import JsonOpt, WsOpt


def register(app: typer.Typer) -> None:
    """Add the identity and journey commands."""
    identity = typer.Typer(help="Identity graph: export, explain, forget, evaluate.", no_args_is_help=True)
    app.add_typer(identity, name="identity")

    @app.command("resolve")
    def resolve_cmd(
        workspace: WsOpt,
        no_probabilistic: Annotated[bool, typer.Option("--no-probabilistic",
                                                       help="skip Splink matching of contact records")] = False,
        sql_only: Annotated[bool, typer.Option("--sql-clustering",
                                               help="cluster with iterative SQL instead of the scipy fast path")]
        = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Resolve identities into stable customer ids, rebuild profiles, journeys and paths."""
        from omnimix.cli._common import emit_json
        from omnimix.engine.base import engine_scope
        from omnimix.identity.resolve import resolve
        from omnimix.journeys.build import build_journeys
        from omnimix.workspace import Workspace

        ws = Workspace.open(workspace)
        with engine_scope(ws, None) as eng:
            r = resolve(ws, probabilistic=not no_probabilistic, fast=not sql_only, engine=eng)
            j = build_journeys(ws, engine=eng)
        if as_json:
            emit_json({"identity": r.to_json(), "journeys": j.to_json()})
            return
        typer.echo(f"{r.customers:,} customers from {r.identifiers:,} identifiers and {r.edges:,} edges "
                   f"({r.probabilistic_edges:,} probabilistic, {r.edges_cut:,} cut by merge protection) "
                   f"in {r.seconds} s [{r.engine}, {r.method}]")
        typer.echo(f"ids: {r.kept_customers:,} kept, {r.new_customers:,} new, {r.merged_customers:,} merged")
        typer.echo(f"{j.journeys:,} journeys ({j.converting_journeys:,} converting, {j.null_journeys:,} not), "
                   f"{j.distinct_paths:,} distinct paths")

    @identity.command("export")
    def export_cmd(workspace: WsOpt, out: Annotated[Path, typer.Option("--out")]) -> None:
        """Write id_type, id_value, customer_id (hashed values unless the workspace keeps PII)."""
        from omnimix.identity.manage import export_identities
        from omnimix.workspace import Workspace

        n = export_identities(Workspace.open(workspace), out)
        typer.echo(f"Wrote {n:,} identifiers to {out}")

    @identity.command("explain")
    def explain_cmd(
        workspace: WsOpt,
        customer_id: Annotated[str | None, typer.Argument(help="customer id (or use --id-type/--value)")] = None,
        id_type: Annotated[str | None, typer.Option("--id-type")] = None,
        value: Annotated[str | None, typer.Option("--value", help="raw value; hashed like ingestion")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Show why identifiers joined: the chain of edges with their sources."""
        from omnimix.cli._common import emit_json
        from omnimix.identity.manage import explain
        from omnimix.workspace import Workspace

        doc = explain(Workspace.open(workspace), customer_id=customer_id, id_type=id_type, value=value)
        if as_json:
            emit_json(doc)
            return
        typer.echo(f"customer {doc['customer_id']}: {len(doc['identifiers'])} identifiers, from {doc['start']}")
        for e in doc["chain"]:
            typer.echo(f"  {e['from']} → {e['to']}  [{e['evidence']}, first {e['first_seen']}, "
                       f"{e['times_seen']}×]")
        for e in doc["cut_edges"]:
            typer.echo(f"  ✂ {e['from']} ✕ {e['to']}  [{e['reason']}]")

    @identity.command("forget")
    def forget_cmd(
        workspace: WsOpt,
        id_type: Annotated[str, typer.Option("--id-type")],
        value: Annotated[str, typer.Option("--value")],
        as_json: JsonOpt = False,
    ) -> None:
        """Erase a person everywhere (PIPL/GDPR) and report what was deleted."""
        from omnimix.cli._common import emit_json
        from omnimix.identity.manage import forget
        from omnimix.workspace import Workspace

        doc = forget(Workspace.open(workspace), id_type, value)
        if as_json:
            emit_json(doc)
            return
        typer.echo(f"Erased customer {doc['customer_id'] or '(unresolved)'} ({doc['identifiers']} identifiers):")
        for t, n in doc["deleted"].items():
            typer.echo(f"  {t:<18} {n:>8,} rows")

    @identity.command("evaluate")
    def evaluate_cmd(
        workspace: WsOpt,
        truth: Annotated[Path, typer.Option("--truth", help="truth/identities.csv of `omnimix simulate`")],
        as_json: JsonOpt = False,
    ) -> None:
        """Pairwise precision and recall of the resolved customers against a truth file."""
        from omnimix.cli._common import emit_json
        from omnimix.identity.evaluate import evaluate
        from omnimix.workspace import Workspace

        s = evaluate(Workspace.open(workspace), truth)
        if as_json:
            emit_json(s.to_json())
            return
        typer.echo(f"precision {s.precision:.4f}  recall {s.recall:.4f}  ({s.correct_pairs:,}/{s.predicted_pairs:,} "
                   f"predicted pairs correct, {s.true_pairs:,} true pairs); {s.customers_with_several_persons} "
                   f"customers hold several persons, {s.blobs_from_shared_ids} of them through a shared identifier")
