"""``models``: the Claude-on-Vertex catalog (ids, lifecycle, quota base model, region hints), and with
``--live`` merged with what Model Garden lists today."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import click

from .common import options

if TYPE_CHECKING:
    from vertex_claude_setup.catalog.live import LiveCatalog, Row

    from .runtime import Runtime


@click.command("models")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Output format.")
@click.option("--family", default=None, help="Only this family (opus, sonnet, haiku, fable).")
@click.option("--live", is_flag=True,
              help="Merge with Model Garden's Anthropic publisher models (read once a day, cached).")
@click.option("--refresh", is_flag=True, help="With --live: read Model Garden again even if the cache is fresh.")
@click.pass_context
def models_command(ctx: click.Context, fmt: str, family: str | None, live: bool, refresh: bool) -> None:
    """List the Claude models on Vertex AI: id, name, family, status and quota base model.

    Region hints come from public docs and are only hints: `regions audit` probes the truth. With --live,
    the bundled catalog is merged with Model Garden's list: models new in Model Garden, models it no longer
    lists, and the lifecycle from both (the list is cached for 24 h beside the audit cache).

    \b
    Example:
      vertex-claude-setup models
      vertex-claude-setup models --family sonnet --format json
      vertex-claude-setup models --live
    """
    from vertex_claude_setup import catalog

    family = family.lower() if family else None
    if refresh and not live:
        raise click.UsageError("--refresh reads Model Garden again: pass it with --live")
    if live:
        _live(ctx, fmt, family, refresh)
        return
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


def _live(ctx: click.Context, fmt: str, family: str | None, refresh: bool) -> None:
    from vertex_claude_setup.catalog import live as live_catalog
    from vertex_claude_setup.gcp.model_garden import live_catalog as read_live

    from .runtime import open_runtime

    with open_runtime(options(ctx), check_models=False) as rt:  # the ids are checked against this list
        before = live_catalog.load(rt.config.state_dir, _scope(rt))
        listed = read_live(rt.google, rt.config.state_dir, create=True, refresh=refresh)
    assert listed is not None  # create=True reads it when absent
    from_cache = before is not None and before.read_at == listed.read_at
    rows = [r for r in live_catalog.merge(listed) if family is None or r.family == family]
    if family is not None and not rows:
        families = sorted({r.family for r in live_catalog.merge(listed)})
        raise click.UsageError(f"unknown family '{family}': use one of {', '.join(families)}")
    if fmt == "json":
        click.echo(json.dumps({"schema_version": 1, "live": {
            "read_at": _iso(listed.read_at), "from_cache": from_cache, "publisher": "publishers/anthropic",
            "path": str(live_catalog.cache_path(rt.config.state_dir))},
            "models": [live_catalog.to_json(r) for r in rows]}, indent=2))
        return
    _live_table(rows, listed, from_cache)


def _scope(rt: Runtime) -> str:
    from vertex_claude_setup.gcp.model_garden import live_scope

    return live_scope(rt.google)


def _iso(stamp: float) -> str:
    return dt.datetime.fromtimestamp(stamp, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _live_table(rows: list[Row], listed: LiveCatalog, from_cache: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(header_style="bold")
    for name in ("id", "name", "family", "catalog status", "Model Garden"):
        table.add_column(name, no_wrap=name == "id")
    for row in rows:
        status = "not in this catalog" if row.info is None else row.info.status_text()
        garden = row.live.lifecycle() if row.live is not None else "not listed"
        table.add_row(row.id + (" (new)" if row.info is None else ""), row.name, row.family, status, garden)
    console = Console(width=140, highlight=False, emoji=False)
    console.print(table)
    new = sum(r.info is None for r in rows)
    gone = sum(r.live is None for r in rows)
    when = _iso(listed.read_at) + (" (cached; --refresh reads it again)" if from_cache else "")
    console.print(f"Model Garden (publishers/anthropic) read {when}: {new} new in Model Garden, "
                  f"{gone} of the catalog's not listed there.")
