"""``regions``: the location list, the region × model audit, and the best locations for one model."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .common import FiniteRange, options, write_report

if TYPE_CHECKING:
    from vertex_claude_setup.availability.audit import Audit
    from vertex_claude_setup.availability.probe import Limits, ProbeResult

    from .runtime import Runtime

_PROBES = {"count-tokens": "count_tokens", "generate": "generate"}
# auto: count-tokens, and a 1-token generate request for the pairs where count-tokens is not served.
_AUDIT_PROBES = {"auto": "auto", **_PROBES}


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _check_models(models: list[str], what: str, live: set[str] | None) -> None:
    from vertex_claude_setup import catalog

    for model in models:
        catalog.require_model(model, what, live)
        warning = catalog.model_warning(model)
        if warning:
            click.echo(f"Warning: {warning}", err=True)


def _check_regions(regions: list[str], what: str) -> None:
    from vertex_claude_setup import catalog

    for region in regions:
        catalog.require_region(region, what)


@contextmanager
def _progress(total: int) -> Iterator[Callable[[ProbeResult], None] | None]:
    """A rich progress bar on stderr when it is a terminal; nothing when piped."""
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal or total == 0:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("probing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task("probe", total=total)
        yield lambda _result: progress.advance(task)


def _limits(concurrency: int, per_host: int, timeout: float) -> Limits:
    from vertex_claude_setup.availability.probe import Limits

    if concurrency < 1 or per_host < 1 or timeout <= 0:
        raise click.UsageError("--concurrency and --per-host must be at least 1, --timeout above 0")
    return Limits(per_host=per_host, total=concurrency, timeout=timeout)


def _cache(rt: Runtime) -> object:
    from vertex_claude_setup.availability.audit import cache_target
    from vertex_claude_setup.availability.cache import CACHE_FILE, AuditCache

    return AuditCache(rt.config.state_dir / CACHE_FILE, cache_target(rt.google), rt.config.project)


@click.group("regions")
def regions_group() -> None:
    """Vertex AI locations: list them, audit model availability, rank them for one model.

    \b
    Example:
      vertex-claude-setup regions audit --all-regions
      vertex-claude-setup regions best claude-sonnet-4-5@20250929
    """


@regions_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def regions_list(as_json: bool) -> None:
    """List the Vertex AI locations the tool knows, with their host and the Claude hint.

    \b
    Example:
      vertex-claude-setup regions list
    """
    from vertex_claude_setup import catalog
    from vertex_claude_setup.gcp.session import vertex_host

    rows = [{"id": r.id, "kind": r.kind, "host": vertex_host(r.id), "claude_hint": r.claude_hint}
            for r in catalog.regions().values()]
    if as_json:
        click.echo(json.dumps({"schema_version": 1, "regions": rows}, indent=2))
        return
    for row in rows:
        mark = "claude (hint)" if row["claude_hint"] else ""
        click.echo(f"{row['id']:<24} {row['kind']:<13} {row['host']:<42} {mark}".rstrip())


@regions_group.command("audit")
@click.option("--models", "models_opt", default=None, metavar="IDS",
              help="Comma-separated model ids (default: the configured models).")
@click.option("--regions", "regions_opt", default=None, metavar="LOCATIONS",
              help="Comma-separated locations (default: the configured regions).")
@click.option("--all-regions", is_flag=True, help="Every location where Claude may be served (catalog hints).")
@click.option("--probe", "probe_name", type=click.Choice(list(_AUDIT_PROBES)), default="auto", show_default=True,
              help="count-tokens is free; generate sends a real 1-token request; auto uses count-tokens and "
                   "generate only where count-tokens is not served (the report marks those pairs).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "markdown", "html"]), default="table",
              show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the report to FILE instead of stdout.")
@click.option("--refresh", is_flag=True, help="Ignore cached results (15 min TTL) and probe again (and read Model "
                                             "Garden's list again if `models --live` cached it).")
@click.option("--no-quotas", is_flag=True, help="Do not read quotas (Cloud Quotas API).")
@click.option("--concurrency", default=192, show_default=True, type=click.IntRange(1, 4096),
              help="Probes in flight at once, overall.")
@click.option("--per-host", default=24, show_default=True, type=click.IntRange(1, 1024),
              help="Probes in flight at once per Google host.")
@click.option("--timeout", default=30.0, show_default=True, type=FiniteRange(1, 600),
              help="Seconds to wait for one answer.")
@click.pass_context
def regions_audit(ctx: click.Context, models_opt: str | None, regions_opt: str | None, all_regions: bool,
                  probe_name: str, fmt: str, output: Path | None, refresh: bool, no_quotas: bool, concurrency: int,
                  per_host: int, timeout: float) -> None:
    """Probe every (model, location) and show which ones this project can call, and why not.

    Exit 0 when every pair is available, 3 when some are not, 1 on error.

    \b
    Example:
      vertex-claude-setup regions audit
      vertex-claude-setup regions audit --all-regions --models claude-sonnet-4@20250514,claude-opus-4-1@20250805
      vertex-claude-setup regions audit --format html --output report.html
    """
    from vertex_claude_setup import catalog
    from vertex_claude_setup.availability.audit import run_audit

    from .render import audit as report
    from .runtime import live_ids, open_runtime

    if all_regions and regions_opt:
        raise click.UsageError("pass either --regions or --all-regions, not both")
    limits = _limits(concurrency, per_host, timeout)
    models, regions = _split(models_opt), _split(regions_opt)
    _check_models(models, "--models", live_ids(options(ctx)))
    _check_regions(regions, "--regions")
    with open_runtime(options(ctx), live="refresh" if refresh else "stale") as rt:
        models = models or list(rt.config.models)
        if not models_opt:
            _check_models(models, "models", rt.live_ids)
        regions = catalog.claude_regions() if all_regions else (regions or list(rt.config.regions))
        with _progress(len(models) * len(regions)) as on_result:
            result = run_audit(rt.google, rt.config.project, models, regions, mode=_AUDIT_PROBES[probe_name],  # type: ignore[arg-type]
                               limits=limits, cache=_cache(rt), refresh=refresh, quotas=not no_quotas,  # type: ignore[arg-type]
                               on_result=on_result)
    from .terminal import color_enabled

    color = fmt == "table" and output is None and color_enabled(options(ctx).no_color)
    text = render_audit(result, fmt, color=color, width=max(100, 34 + 11 * len(regions)))
    if output is not None:
        write_report(output, text)
        click.echo(f"Wrote {output} ({fmt}). {report.summary_line(result)}")
    else:
        click.echo(text, nl=False)
    ctx.exit(result.exit_code)


@regions_group.command("best")
@click.argument("model")
@click.option("--regions", "regions_opt", default=None, metavar="LOCATIONS",
              help="Comma-separated locations (default: every location where Claude may be served).")
@click.option("--samples", default=3, show_default=True, help="Latency samples per available location.")
@click.option("--probe", "probe_name", type=click.Choice(list(_PROBES)), default="count-tokens", show_default=True,
              help="count-tokens is free; generate sends real 1-token requests.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def regions_best(ctx: click.Context, model: str, regions_opt: str | None, samples: int, probe_name: str,
                 as_json: bool) -> None:
    """Rank locations for MODEL for this project: available first, then by latency.

    Exit 0 when at least one location is available, 3 when none is.

    \b
    Example:
      vertex-claude-setup regions best claude-sonnet-4@20250514
    """
    from vertex_claude_setup import catalog
    from vertex_claude_setup.availability.audit import DESCRIPTIONS, SYMBOLS
    from vertex_claude_setup.availability.classify import Availability
    from vertex_claude_setup.availability.ranking import rank_regions

    from .runtime import live_ids, open_runtime

    if not 1 <= samples <= 20:
        raise click.UsageError("--samples must be between 1 and 20")
    _check_models([model], "model", live_ids(options(ctx)))
    regions = _split(regions_opt)
    _check_regions(regions, "--regions")
    regions = regions or catalog.claude_regions()
    with open_runtime(options(ctx)) as rt:
        ranking = rank_regions(rt.google, rt.config.project, model, regions, samples=samples,
                               mode=_PROBES[probe_name])  # type: ignore[arg-type]
    ranked, quotas = ranking.locations, ranking.quotas
    available = [r for r in ranked if r.result.availability is Availability.AVAILABLE]
    if as_json:
        click.echo(json.dumps({"schema_version": 1, "project": rt.config.project, "model": model, "ranking": [
            {"rank": i + 1, "region": r.region, "latency_ms": None if r.latency_ms is None else round(r.latency_ms, 1),
             "quota_requests_per_minute": r.quota_rpm, **r.result.verdict.to_json()}
            for i, r in enumerate(ranked)]}, indent=2))
    else:
        click.echo(f"Locations for {model} in project {rt.config.project}, best first:")
        for i, r in enumerate(ranked, 1):
            cls = r.result.availability
            latency = f"{r.latency_ms:.0f} ms" if r.latency_ms is not None else "-"
            quota = "" if r.quota_rpm is None else f"  quota {r.quota_rpm}/min"
            line = f"{i:>3}. {r.region:<22} {SYMBOLS[cls]} {cls.value:<24} {latency:>8}{quota}"
            click.echo(line.rstrip())
            if cls is not Availability.AVAILABLE:
                click.echo(f"       {DESCRIPTIONS[cls]}; fix: {r.result.verdict.fix}")
        if available:
            click.echo(f"Best: {available[0].region} (set regions = [\"{available[0].region}\"] or "
                       f"CLOUD_ML_REGION={available[0].region}).")
        else:
            click.echo(f"{model} is not available to project {rt.config.project} in any of these locations.")
        if not quotas.readable:
            click.echo(f"Quota: not shown: {quotas.reason}")
    ctx.exit(0 if available else 3)


def render_audit(audit: Audit, fmt: str, *, color: bool = False, width: int = 100) -> str:
    """Dispatch to the renderer of ``fmt`` (one of FORMATS)."""
    from .render import audit as report

    if fmt == "table":
        return report.render_table(audit, color=color, width=width)
    if fmt == "json":
        return report.render_json(audit)
    if fmt == "csv":
        return report.render_csv(audit)
    if fmt == "markdown":
        return report.render_markdown(audit)
    if fmt == "html":
        from .render.audit_html import render_html

        return render_html(audit)
    raise ValueError(f"unknown format {fmt!r}")
