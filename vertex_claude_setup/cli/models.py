"""``models``: the Claude-on-Vertex catalog (ids, lifecycle, quota base model, region hints)."""

from __future__ import annotations

import json

import click


@click.command("models")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Output format.")
@click.option("--family", default=None, help="Only this family (opus, sonnet, haiku, fable).")
@click.pass_context
def models_command(ctx: click.Context, fmt: str, family: str | None) -> None:
    """List the Claude models on Vertex AI: id, name, family, status and quota base model.

    Region hints come from public docs and are only hints: `regions audit` probes the truth.

    \b
    Example:
      vertex-claude-setup models
      vertex-claude-setup models --family sonnet --format json
    """
    from vertex_claude_setup import catalog

    family = family.lower() if family else None
    infos = [m for m in catalog.models().values() if family is None or m.family == family]
    if family is not None and not infos:
        families = sorted({m.family for m in catalog.models().values()})
        raise click.UsageError(f"unknown family '{family}': use one of {', '.join(families)}")
    if fmt == "json":
        click.echo(json.dumps({"schema_version": 1, "models": [{
            "id": m.id, "name": m.name, "family": m.family, "status": m.status(), "status_text": m.status_text(),
            "deprecated_on": m.deprecated_on.isoformat() if m.deprecated_on else None,
            "retired_on": m.retired_on.isoformat() if m.retired_on else None, "replacement": m.replacement,
            "recommended": m.recommended, "quota_base_model": m.quota_base_model,
            "region_hints": list(m.region_hints)} for m in infos]}, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(header_style="bold")
    for name in ("id", "name", "family", "status", "quota base model", "region hints*"):
        table.add_column(name, no_wrap=name in {"id", "quota base model"})
    for m in infos:
        status = m.status_text() + (f" → {m.replacement}" if m.status() != "active" and m.replacement else "")
        table.add_row(m.id + (" (recommended)" if m.recommended else ""), m.name, m.family, status,
                      m.quota_base_model, ", ".join(m.region_hints))
    from .common import options
    from .terminal import color_enabled

    # Colour off (NO_COLOR, --no-color, or piped): no styles at all, not even bold headers.
    console = Console(width=140, highlight=False, emoji=False,
                      color_system="auto" if color_enabled(options(ctx).no_color) else None)
    console.print(table)
    console.print("* hints from public documentation, not guarantees: "
                  "`vertex-claude-setup regions audit` probes what your project can call.")
