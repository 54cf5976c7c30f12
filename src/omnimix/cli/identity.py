"""``omnimix resolve`` and ``omnimix identity export|explain|forget|evaluate``.

Workflows: :mod:`omnimix.identity.workflow` (explain, export, evaluate) and
:mod:`omnimix.journeys.workflow` (resolve and forget, which also rebuild journeys and paths).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from omnimix.cli._common import JsonOpt, WsOpt


def register(app: typer.Typer) -> None:
    """Add ``resolve`` and the ``identity`` group."""
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
        from omnimix.journeys.workflow import resolve_workspace
        from omnimix.workspace import Workspace

        run = resolve_workspace(Workspace.open(workspace), probabilistic=not no_probabilistic, fast=not sql_only)
        if as_json:
            emit_json(run.to_json())
            return
        r, j = run.identity, run.journeys
        typer.echo(f"{r.customers:,} customers from {r.identifiers:,} identifiers and {r.edges:,} edges "
                   f"({r.probabilistic_edges:,} probabilistic, {r.edges_cut:,} cut by merge protection) "
                   f"in {r.seconds} s [{r.engine}, {r.method}]")
        typer.echo(f"ids: {r.kept_customers:,} kept, {r.new_customers:,} new, {r.merged_customers:,} merged")
        typer.echo(f"{j.journeys:,} journeys ({j.converting_journeys:,} converting, {j.null_journeys:,} not), "
                   f"{j.distinct_paths:,} distinct paths")

    @identity.command("export")
    def export_cmd(workspace: WsOpt, out: Annotated[Path, typer.Option("--out")]) -> None:
        """Write id_type, id_value, customer_id (hashed values unless the workspace keeps PII)."""
        from omnimix.identity.workflow import export_identity_map
        from omnimix.workspace import Workspace

        e = export_identity_map(Workspace.open(workspace), out)
        typer.echo(f"Wrote {e.identifiers:,} identifiers to {e.out}")

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
        from omnimix.identity.workflow import explain_identity
        from omnimix.workspace import Workspace

        doc = explain_identity(Workspace.open(workspace), customer_id, id_type=id_type, value=value)
        if as_json:
            emit_json(doc.to_json())
            return
        typer.echo(f"customer {doc.customer_id}: {len(doc.identifiers)} identifiers, from {doc.start}")
        for e in doc.chain:
            typer.echo(f"  {e['from']} → {e['to']}  [{e['evidence']}, first {e['first_seen']}, "
                       f"{e['times_seen']}×]")
        for e in doc.cut_edges:
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
        from omnimix.journeys.workflow import forget_person
        from omnimix.workspace import Workspace

        doc = forget_person(Workspace.open(workspace), id_type, value)
        if as_json:
            emit_json(doc.to_json())
            return
        typer.echo(f"Erased customer {doc.customer_id or '(unresolved)'} ({doc.identifiers} identifiers):")
        for t, n in doc.deleted.items():
            typer.echo(f"  {t:<18} {n:>8,} rows")

    @identity.command("evaluate")
    def evaluate_cmd(
        workspace: WsOpt,
        truth: Annotated[Path, typer.Option("--truth", help="truth/identities.csv of `omnimix simulate`")],
        as_json: JsonOpt = False,
    ) -> None:
        """Pairwise precision and recall of the resolved customers against a truth file."""
        from omnimix.cli._common import emit_json
        from omnimix.identity.workflow import evaluate_identities
        from omnimix.workspace import Workspace

        s = evaluate_identities(Workspace.open(workspace), truth)
        if as_json:
            emit_json(s.to_json())
            return
        typer.echo(f"precision {s.precision:.4f}  recall {s.recall:.4f}  ({s.correct_pairs:,}/{s.predicted_pairs:,} "
                   f"predicted pairs correct, {s.true_pairs:,} true pairs); {s.customers_with_several_persons} "
                   f"customers hold several persons, {s.blobs_from_shared_ids} of them through a shared identifier")
