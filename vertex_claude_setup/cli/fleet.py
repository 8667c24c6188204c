"""``fleet``: the single-project commands over a list, a folder or an organization of projects, in one process.

``fleet regions audit``, ``fleet logging verify``, ``fleet smoke-test``, ``fleet doctor``, ``fleet plan`` and
``fleet apply`` take the same options as their single-project namesakes plus the fleet's own: which
projects, per-project overrides, how many at once, the request rate, resume, and the report format.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .common import FiniteRange, options, write_report
from .smoke import check_target, target_options

if TYPE_CHECKING:
    from vertex_claude_setup.fleet.report import FleetReport, ProjectResult
    from vertex_claude_setup.fleet.runner import AsyncWork, Work

FORMATS = ["table", "json", "csv", "markdown", "html", "junit"]


@dataclass(frozen=True)
class FleetArgs:
    projects: str | None
    projects_file: Path | None
    folders: tuple[str, ...]
    organizations: tuple[str, ...]
    labels: tuple[str, ...]
    overrides: Path | None
    concurrency: int
    max_qps: tuple[str, ...]
    resume: bool
    fmt: str
    output: Path | None


def _json_shorthand(fmt: str, as_json: bool) -> str:
    """``--json`` is ``--format json`` (as on the single-project namesake); with another --format, a usage error."""
    if not as_json:
        return fmt
    source = click.get_current_context().get_parameter_source("fmt")
    if fmt != "json" and source is not click.core.ParameterSource.DEFAULT:
        raise click.UsageError(f"--json is --format json: pass one of --json or --format {fmt}, not both")
    return "json"


def fleet_options(formats: list[str], *, json_flag: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The options every fleet command shares: selection, overrides, pace, resume, report.

    ``json_flag``: the command's single-project namesake has ``--json``; so has this one (``--format json``).
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            kwargs["fmt"] = _json_shorthand(kwargs["fmt"], kwargs.pop("as_json", False))
            kwargs["fleet"] = FleetArgs(kwargs.pop("projects"), kwargs.pop("projects_file"), kwargs.pop("folders"),
                                        kwargs.pop("organizations"), kwargs.pop("labels"), kwargs.pop("overrides"),
                                        kwargs.pop("concurrency"), kwargs.pop("max_qps"), kwargs.pop("resume"),
                                        kwargs.pop("fmt"), kwargs.pop("output"))
            return fn(*args, **kwargs)

        for option in reversed([
            click.option("--projects", default=None, metavar="IDS", help="Comma-separated project IDs."),
            click.option("--projects-file", type=click.Path(path_type=Path), default=None,
                         help="A file of project IDs, one a line (# comments)."),
            click.option("--folder", "folders", multiple=True, metavar="ID",
                         help="Every project under this folder, recursively (repeatable)."),
            click.option("--organization", "organizations", multiple=True, metavar="ID",
                         help="Every project in this organization, recursively (repeatable)."),
            click.option("--label", "labels", multiple=True, metavar="KEY[=VALUE]",
                         help="Only projects with this label (repeatable: all must match)."),
            click.option("--overrides", type=click.Path(path_type=Path), default=None,
                         help='Per-project config overrides: TOML with [projects."ID"] tables.'),
            click.option("--concurrency", default=16, show_default=True, type=click.IntRange(1, 256),
                         help="Projects run at once."),
            click.option("--max-qps", multiple=True, metavar="[API=]RATE",
                         help="At most RATE requests/s to each Google API (or to API) for the whole run, instead "
                              "of Google's published per-minute quota per consumer project."),
            click.option("--resume", is_flag=True, help="Continue an interrupted run: reuse the finished projects."),
            click.option("--format", "fmt", type=click.Choice(formats), default="table", show_default=True,
                         help="Report format."),
            *([click.option("--json", "as_json", is_flag=True, help="Print JSON (the same as --format json).")]
              if json_flag else []),
            click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=None,
                         help="Write the report to FILE."),
        ]):
            wrapper = option(wrapper)
        return wrapper

    return decorate


@contextmanager
def progress(ctx: click.Context, command: str,
             total: int) -> Iterator[Callable[[ProjectResult, int, int], None] | None]:
    """``done/total · ETA`` on the terminal's progress line (``cli/terminal.py``: erased when done, cut to the
    width; not with TERM=dumb); with VERTEX_CLAUDE_PROGRESS=1 also when stderr is not a terminal."""
    from vertex_claude_setup.fleet.runner import Progress

    from .terminal import Output

    out = Output(options(ctx).no_color, progress=os.environ.get("VERTEX_CLAUDE_PROGRESS") == "1" or None)
    if total == 0 or not out.live:
        yield None
        return
    started = time.monotonic()
    errors = fresh = 0

    def on_done(result: ProjectResult, done: int, _total: int) -> None:
        nonlocal errors, fresh
        errors += result.status == "error"
        fresh += 1  # ``done`` counts the rows --resume reused too
        line = Progress(done, total, time.monotonic() - started, resumed=done - fresh).line()
        out.status(f"{command}: {line}" + (f" · {errors} errors" if errors else ""))

    try:
        yield on_done
    finally:
        out.done()


@contextmanager
def walk_progress(ctx: click.Context) -> Iterator[Callable[[int, int], None] | None]:
    """``walking: N folders and organizations read, M projects found`` on the progress line while a folder or an
    organization is walked (thousands of folders take minutes at Google's list quota); erased when done."""
    from .terminal import Output

    out = Output(options(ctx).no_color, progress=os.environ.get("VERTEX_CLAUDE_PROGRESS") == "1" or None)
    if not out.live:
        yield None
        return
    try:
        yield lambda read, found: out.status(f"walking: {read} folders and organizations read, {found} projects "
                                             "found")
    finally:
        out.done()


def emit_report(ctx: click.Context, report: FleetReport, args: FleetArgs, config_file: str) -> None:
    from .render import fleet as render

    text = render.render(report, args.fmt, config_file=config_file)
    if args.output is None and args.fmt == "table":
        from .terminal import color_enabled, paint_fleet_table

        if color_enabled(options(ctx).no_color):
            text = paint_fleet_table(text)
    if args.output is not None:
        write_report(args.output, text)
        click.echo(f"Wrote {args.output} ({args.fmt}). {render.summary_line(report)}")
    else:
        click.echo(text, nl=False)
    ctx.exit(report.exit_code)


@contextmanager
def fleet_session(ctx: click.Context, command: str, args: FleetArgs, key_parts: dict[str, Any]) -> Iterator[Any]:
    """Configs, the rate limiter, Google access (or the emulator), the selected fleet and the results file."""
    from vertex_claude_setup.fleet import selection
    from vertex_claude_setup.fleet.configs import FleetConfigs
    from vertex_claude_setup.fleet.store import ResultStore, run_key
    from vertex_claude_setup.gcp.ratelimit import RateLimiter, parse_max_qps

    from .runtime import live_scope, open_runtime

    opts = options(ctx)
    spec = selection.Spec(selection.parse_projects(args.projects, args.projects_file),
                          tuple(selection.parse_node("folders", f) for f in args.folders),
                          tuple(selection.parse_node("organizations", o) for o in args.organizations),
                          selection.parse_labels(args.labels))
    configs = FleetConfigs(opts.config_path, opts.overrides, args.overrides, live_scope=live_scope(opts))
    limiter = RateLimiter(max_qps=parse_max_qps(args.max_qps))
    with open_runtime(opts, configs.base, limiter) as rt:
        _ = rt.google.credentials  # no credentials: one error for the run, before any project
        with walk_progress(ctx) as on_walk:
            fleet = selection.select(rt.google, spec, on_walk)
        stray = sorted(set(configs.overrides) - {t.project for t in fleet.targets}
                       - {s.project for s in fleet.skipped})
        if stray:  # a misspelt ID would otherwise leave its project on the shared config without a word
            click.echo(f"Warning: {args.overrides}: {', '.join(stray)} not in this fleet; those overrides are not "
                       "used", err=True)
        key = run_key({"command": command, "selection": spec.to_json(), "configs": configs.digest(), **key_parts})
        store = ResultStore(configs.base.state_dir / "fleet", command, key, resume=args.resume)
        try:
            yield rt, configs, fleet, store, limiter
        finally:
            store.close()
            rt.google.close(shared=True)


def run_command(ctx: click.Context, command: str, args: FleetArgs, work: Work | AsyncWork,
                key_parts: dict[str, Any] | None = None, *, asynchronous: bool = False,
                warm_up: Callable[[Any], None] | None = None) -> None:
    """Select, run ``work`` for every project, report, exit 0 / 3 findings / 1 errors.

    ``asynchronous``: ``work`` is a coroutine function, and every project runs on one event loop.
    ``warm_up(google)`` runs once before the first project (imports, shared clients).
    """
    from vertex_claude_setup.fleet.runner import report, run_projects, run_projects_async

    started = time.monotonic()
    runner: Any = run_projects_async if asynchronous else run_projects
    with fleet_session(ctx, command, args, key_parts or {}) as (rt, configs, fleet, store, limiter):
        if warm_up is not None and fleet.targets:
            warm_up(rt.google)
        with progress(ctx, command, len(fleet.targets)) as on_done:
            rows, resumed = runner(fleet.targets, work, rt.google, configs, concurrency=args.concurrency,
                                   store=store, on_done=on_done)
        result = report(command, fleet, rows, elapsed_s=time.monotonic() - started, resumed=resumed,
                        limiter=limiter)
        result.changes_exit = bool(ctx.meta.get("fleet_changes_exit"))
        config_file = Path(configs.base.source).name if configs.base.source else "vertex-claude.toml"
    emit_report(ctx, result, args, config_file)


@click.group("fleet")
def fleet_group() -> None:
    """Audit, verify and converge many projects at once, under Google's quotas.

    Select projects with --projects/--projects-file, --folder or --organization (walked recursively),
    and --label. Every project uses the same config; --overrides adjusts single projects.

    \b
    Example:
      vertex-claude-setup fleet regions audit --organization 123456789012 --format html -o fleet.html
      vertex-claude-setup fleet logging verify --folder 345678901234 --format sarif -o logging.sarif
      vertex-claude-setup fleet apply --projects-file projects.txt --auto-approve
    """


@fleet_group.group("regions")
def fleet_regions() -> None:
    """Which Claude models every project can call where.

    \b
    Example:
      vertex-claude-setup fleet regions audit --folder 345678901234 --format csv -o regions.csv
    """


@fleet_regions.command("audit")
@click.option("--models", "models_opt", default=None, metavar="IDS", help="Comma-separated model ids.")
@click.option("--regions", "regions_opt", default=None, metavar="LOCATIONS", help="Comma-separated locations.")
@click.option("--all-regions", is_flag=True, help="Every location where Claude may be served (catalog hints).")
@click.option("--probe", "probe_name", type=click.Choice(["auto", "count-tokens", "generate"]), default="auto",
              show_default=True, help="count-tokens is free; generate sends a real 1-token request; auto uses "
                                      "count-tokens and generate only where count-tokens is not served.")
@click.option("--no-quotas", is_flag=True, help="Do not read quotas (Cloud Quotas API).")
@click.option("--per-project", default=8, show_default=True, type=click.IntRange(1, 192),
              help="Probes in flight at once per project.")
@click.option("--per-host", default=None, type=click.IntRange(1, 1024),
              help="Probes of one project in flight at once per Google host (default: --per-project).")
@click.option("--timeout", default=30.0, show_default=True, type=FiniteRange(1, 600),
              help="Seconds to wait for one answer.")
@fleet_options(FORMATS)
@click.pass_context
def fleet_regions_audit(ctx: click.Context, models_opt: str | None, regions_opt: str | None, all_regions: bool,
                        probe_name: str, no_quotas: bool, per_project: int, per_host: int | None, timeout: float,
                        fleet: FleetArgs) -> None:
    """Probe every (model, location) in every project; exit 0 all available, 3 some not, 1 errors.

    \b
    Example:
      vertex-claude-setup fleet regions audit --organization 123456789012 --models claude-sonnet-4-5@20250929
    """
    from vertex_claude_setup import catalog
    from vertex_claude_setup.availability.probe import Limits
    from vertex_claude_setup.fleet import tasks

    from .regions import _AUDIT_PROBES, _check_models, _check_regions, _split
    from .runtime import live_ids

    if all_regions and regions_opt:
        raise click.UsageError("pass either --regions or --all-regions, not both")
    models, regions = _split(models_opt), _split(regions_opt)
    _check_models(models, "--models", live_ids(options(ctx)))
    _check_regions(regions, "--regions")
    opts = tasks.AuditOptions(tuple(models), tuple(catalog.claude_regions() if all_regions else regions),
                              _AUDIT_PROBES[probe_name], not no_quotas,  # type: ignore[arg-type]
                              Limits(per_host=min(per_host or per_project, per_project), total=per_project,
                                     timeout=timeout))
    run_command(ctx, "regions audit", fleet, lambda google, cfg, _t: tasks.audit(google, cfg, opts),
                {"audit": [models, opts.regions, opts.mode, opts.quotas]}, asynchronous=True,
                warm_up=lambda google: tasks.warm_up_audit(google, opts))


@fleet_group.group("logging")
def fleet_logging() -> None:
    """Logging compliance of every project.

    \b
    Example:
      vertex-claude-setup fleet logging verify --organization 123456789012 --format sarif -o logging.sarif
    """


@fleet_logging.command("verify")
@fleet_options([*FORMATS, "sarif"])
@click.pass_context
def fleet_logging_verify(ctx: click.Context, fleet: FleetArgs) -> None:
    """Check, read-only, that every project logs Claude activity and keeps it ≥ 30 days.

    Exit 0 all compliant, 3 some not, 1 some could not be read. SARIF puts findings in code scanning.

    \b
    Example:
      vertex-claude-setup fleet logging verify --organization 123456789012 --format sarif -o logging.sarif
    """
    from vertex_claude_setup.fleet import tasks

    run_command(ctx, "logging verify", fleet, lambda google, cfg, _t: tasks.verify(google, cfg))


@fleet_group.command("smoke-test")
@click.option("--all", "everything", is_flag=True, help="Every configured (model, region) pair of each project.")
@click.option("--stream", is_flag=True, help="Use streaming (streamRawPredict).")
@target_options
@fleet_options(FORMATS, json_flag=True)
@click.pass_context
def fleet_smoke_test(ctx: click.Context, everything: bool, stream: bool, model: str | None, region: str | None,
                     verify_logged: bool, log_timeout: float, fleet: FleetArgs) -> None:
    """Send "Hey Claude!" in every project; exit 0 all answered, 3 some failed, 1 errors.

    With --verify-logged, a request whose log row does not arrive within --log-timeout fails too.

    \b
    Example:
      vertex-claude-setup fleet smoke-test --folder 345678901234 --format junit -o smoke.xml
      vertex-claude-setup fleet smoke-test --projects a-project,b-project --verify-logged --json
    """
    from vertex_claude_setup.fleet import tasks

    check_target(ctx, everything, model, region)
    opts = tasks.SmokeOptions(everything, stream, model, region, verify_logged, log_timeout)
    run_command(ctx, "smoke-test", fleet, lambda google, cfg, _t: tasks.smoke(google, cfg, opts),
                {"smoke": [everything, stream, model, region, verify_logged, log_timeout]})


@fleet_group.command("doctor")
@fleet_options(FORMATS, json_flag=True)
@click.pass_context
def fleet_doctor(ctx: click.Context, fleet: FleetArgs) -> None:
    """Diagnose every project: project state, billing, API, IAM permissions. Exit 0 / 3 / 1.

    \b
    Example:
      vertex-claude-setup fleet doctor --projects a-project,b-project
    """
    from vertex_claude_setup.fleet import tasks

    run_command(ctx, "doctor", fleet, lambda google, cfg, _t: tasks.doctor(google, cfg))


@fleet_group.command("plan")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes (and nothing worse).")
@fleet_options(FORMATS, json_flag=True)
@click.pass_context
def fleet_plan(ctx: click.Context, detailed_exitcode: bool, fleet: FleetArgs) -> None:
    """Read every project's real state and show what apply would change. Exit 0 / 2 / 3 / 1.

    \b
    Example:
      vertex-claude-setup fleet plan --organization 123456789012 --detailed-exitcode
    """
    from vertex_claude_setup.engine.model import Context
    from vertex_claude_setup.fleet import tasks
    from vertex_claude_setup.steps import workflow

    def work(google: Any, cfg: Any, _t: Any) -> ProjectResult:
        return tasks.plan_row(workflow.make_plan(Context(cfg, google)))

    ctx.meta["fleet_changes_exit"] = detailed_exitcode
    run_command(ctx, "plan", fleet, work)


def _register_apply() -> None:
    from .fleet_apply import fleet_apply

    fleet_group.add_command(fleet_apply)


_register_apply()
