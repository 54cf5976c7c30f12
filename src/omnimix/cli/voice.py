"""``omnimix voice …``: check content assets against the brand book, the advertising law and their campaign.

``omnimix voice check CONTENT.csv --brand BRAND.toml [--fail-below N] [--json]`` or
``omnimix voice check --workspace DIR --brand BRAND.toml [--save]`` (the ``content`` table). Exits 1 when
an asset or campaign scores below ``--fail-below``. A Vale rule of the brand book that cannot be checked
(``extends: spelling``, a sequence ``tag`` …) is named on stderr as a ``warning:`` line.
"""

from __future__ import annotations

import warnings
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from omnimix.cli._common import emit_json

voice_app = typer.Typer(
    help="One voice: brand book, advertising law, offers and message consistency.", no_args_is_help=True
)


class Embeddings(StrEnum):
    auto = "auto"
    use = "use"
    e5 = "e5"
    lexical = "lexical"


def register(app: typer.Typer) -> None:
    """Add the ``voice`` command group to the main app."""
    app.add_typer(voice_app, name="voice")


@voice_app.command("check")
def check(
    content: Annotated[
        Path | None,
        typer.Argument(help="CSV/XLSX/Parquet of assets (asset_id, channel, campaign, language, text, published_at)."),
    ] = None,
    brand: Annotated[Path, typer.Option("--brand", help="The brand book (brand.toml).")] = Path("brand.toml"),
    workspace: Annotated[Path | None, typer.Option("--workspace", help="Read the workspace's content table.")] = None,
    fail_below: Annotated[float | None, typer.Option("--fail-below", help="Exit 1 when a score is below N.")] = None,
    industry: Annotated[
        str | None,
        typer.Option("--industry", help="Ad-law mode: cosmetics, food, health, medical, finance (default: brand's)."),
    ] = None,
    embeddings: Annotated[
        Embeddings,
        typer.Option("--embeddings", help="Message embedder: auto (use, else e5 up to 2,000 assets, else lexical)."),
    ] = Embeddings.auto,
    save: Annotated[
        bool, typer.Option("--save", help="Write voice_results and voice_campaigns (--workspace).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> int:
    """Check every asset; print scores, issues, conflicts and campaigns."""
    from omnimix.errors import UsageError
    from omnimix.voice.brand import load_brand
    from omnimix.voice.check import check_assets
    from omnimix.voice.store import load_content, read_assets, save_results
    from omnimix.voice.terms import vale_rules
    from omnimix.voice.vale import ValeRuleWarning

    if (content is None) == (workspace is None):
        raise UsageError("pass exactly one of CONTENT (a file of assets) or --workspace DIR")
    if save and workspace is None:
        raise UsageError("--save writes into a workspace; pass --workspace DIR")
    if fail_below is not None and not 0 <= fail_below <= 100:
        raise UsageError(f"--fail-below {fail_below:g}: expected a score between 0 and 100")
    b = load_brand(brand)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ValeRuleWarning)
        vale_rules(tuple(b.vale_paths))  # load (and check) the brand's Vale rules before any asset
    for w in caught:
        if issubclass(w.category, ValeRuleWarning):
            typer.echo(f"warning: {w.message}", err=True)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    assets = read_assets(content) if content is not None else load_content(workspace)  # type: ignore[arg-type]
    report = check_assets(assets, b, industry=industry, embeddings=embeddings.value)
    if save and workspace is not None:
        save_results(workspace, report)
    if as_json:
        emit_json(report.to_json())
    else:
        _print(report)
    failed = report.below(fail_below)
    if failed:
        typer.echo(f"Gate: {len(failed)} below {fail_below:g}: {', '.join(failed[:10])}", err=True)
        return 1
    return 0


def _print(report: object) -> None:
    from omnimix.voice.check import VoiceReport

    assert isinstance(report, VoiceReport)
    typer.echo(f"{len(report.assets)} assets checked (embeddings: {report.embeddings})")
    for name, camp in report.campaigns.items():
        typer.echo(
            f"campaign {name}: {camp.score:.1f} ({camp.band}), {len(camp.matrix)} assets, {camp.conflicts} conflicts"
        )
    for c in report.conflicts:
        pairs = ", ".join(f"{a}={v}" for a, v in zip(c.assets, c.values, strict=True))
        typer.echo(f"  conflict [{c.campaign}] {c.field}: {pairs}")
    for a in report.worst(20):
        typer.echo(f"{a.asset.asset_id}: {a.score:.1f} ({a.band})")
        for i in a.issues:
            span = f" «{i.text}»" if i.text else ""
            typer.echo(
                f"  {i.severity:<10} {i.rule}{span}: {i.message}" + (f" → {i.suggestion}" if i.suggestion else "")
            )
