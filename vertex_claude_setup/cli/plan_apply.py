"""``init``, ``plan``, ``apply`` and ``show``: the Terraform-style workflow over a config file."""

from __future__ import annotations

import json
import os
import shlex
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .common import EXIT_CHANGES, EXIT_ERROR, EXIT_FINDINGS, EXIT_INTERRUPTED, EXIT_OK, echo_json, options

if TYPE_CHECKING:
    from collections.abc import Callable

    from vertex_claude_setup.config import Config
    from vertex_claude_setup.engine.model import Finding, Outcome, Plan, StepPlan

    from .runtime import Options, Runtime
    from .terminal import Output


@click.command()
@click.option("--project", "init_project", default=None, help="Project ID to write (asked for when missing).")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=Path("vertex-claude.toml"),
              show_default=True, help="Where to write the config.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.pass_context
def init(ctx: click.Context, init_project: str | None, output: Path, force: bool) -> None:
    """Write a commented starter config from templates/.

    \b
    Example:
      vertex-claude-setup init --project my-project
    """
    from vertex_claude_setup import config
    from vertex_claude_setup.cli import templating
    from vertex_claude_setup.errors import SetupError

    project = init_project or options(ctx).overrides.get("project")
    if not project:
        if not sys.stdin.isatty():
            raise click.UsageError("no project given: pass --project PROJECT")
        project = click.prompt("Google Cloud project ID")
    if output.exists() and not force:
        raise click.UsageError(f"{output} already exists: pass --force to overwrite it")
    config.load(None, {"project": str(project)}, environ={})  # a bad project ID fails before any file is written
    text = templating.starter_config(str(project))
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise SetupError(f"cannot write {output}: {exc.strerror}", "pass a writable path with --output") from None
    config.load(output, environ={})  # what we wrote must validate
    default = Path(config.DEFAULT_FILE).resolve()
    found_by_default = output.resolve() == default and not os.environ.get("VERTEX_CLAUDE_CONFIG")
    nxt = "vertex-claude-setup plan" if found_by_default else shlex.join(
        ["vertex-claude-setup", "--config", str(output), "plan"])
    click.echo(f"Wrote {output} for project {project}. Next: {nxt}")


@click.command()
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Save the plan to FILE for `apply FILE`.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes, 0 when none.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.pass_context
def plan(ctx: click.Context, out: Path | None, detailed_exitcode: bool, as_json: bool) -> None:
    """Read the real state of every step and show what apply would change.

    \b
    Example:
      vertex-claude-setup plan --out plan.json --detailed-exitcode
    """
    from vertex_claude_setup.engine import planfile

    from .render import plan as render
    from .runtime import open_runtime
    from .terminal import Output

    screen = Output(options(ctx).no_color)
    with open_runtime(options(ctx), live="stale") as rt:
        announce_project(rt.config, screen)
        the_plan = read_plan(rt, screen)
    if out is not None:
        planfile.save(the_plan, out)
    if as_json:
        echo_json(planfile.to_json(the_plan))
    else:
        screen.echo(render.plan_text(the_plan))
        if out is not None:
            screen.echo(f"\nSaved the plan to {out}. Apply exactly this plan with: "
                        f"{command_line(options(ctx), 'apply', str(out))}")
    if the_plan.errors or any(f.severity == "error" for f in the_plan.findings):
        ctx.exit(EXIT_ERROR if the_plan.errors else (EXIT_CHANGES if detailed_exitcode and the_plan.changes
                                                     else EXIT_FINDINGS))
    if detailed_exitcode and the_plan.changes:
        ctx.exit(EXIT_CHANGES)


@click.command()
@click.argument("plan_file", required=False, type=click.Path(path_type=Path))
@click.option("--auto-approve", is_flag=True, help="Apply without asking.")
@click.option("--fail-on-check", is_flag=True, help="Exit 3 when the closing smoke-test check fails.")
@click.pass_context
def apply(ctx: click.Context, plan_file: Path | None, auto_approve: bool, fail_on_check: bool) -> None:
    """Make exactly the planned changes; a second apply changes nothing.

    With PLAN_FILE, applies that saved plan and refuses it if the world changed since. Ends with the
    smoke-test check ("Hey Claude!"): reported, never rolled back; --fail-on-check makes it gate.

    \b
    Example:
      vertex-claude-setup apply --auto-approve
      vertex-claude-setup apply plan.json
      vertex-claude-setup apply --auto-approve --fail-on-check
    """
    from vertex_claude_setup.engine import planfile
    from vertex_claude_setup.steps import STEP_NAMES, workflow

    from .render import plan as render
    from .runtime import open_runtime
    from .terminal import Counter, Output, stop_on_interrupt

    screen = Output(options(ctx).no_color)
    with open_runtime(options(ctx), live="stale") as rt:
        announce_project(rt.config, screen)
        refuse_environment_override(rt.config)
        saved = planfile.load(plan_file, STEP_NAMES) if plan_file is not None else None
        if saved is not None and plan_file is not None:
            planfile.check_target(saved, rt.target, plan_file)  # before reading anything from the wrong place
        the_plan = read_plan(rt, screen, warm_up=_closing_check_sdk(rt))
        if saved is not None and plan_file is not None:
            # The saved plan must equal the fresh one; what runs is the fresh one, never the file's copy.
            planfile.check_still_valid(saved, the_plan, plan_file)
        else:
            screen.echo(render.plan_text(the_plan))
        if the_plan.errors:
            ctx.exit(EXIT_ERROR)
        # Read-only checks (e.g. an unavailable model) are never "fine": exit 3 even with nothing to apply.
        plan_check_failed = any(f.severity == "error" for f in the_plan.findings)
        if not the_plan.changes:
            if plan_file is not None:
                screen.echo(f"No changes. Project {the_plan.project} matches the configuration.")
            check_ok = _closing_check(rt, screen)
            ctx.exit(EXIT_FINDINGS if plan_check_failed or (fail_on_check and not check_ok) else EXIT_OK)
        if plan_file is None and not auto_approve:
            if not sys.stdin.isatty():
                raise click.UsageError("apply needs confirmation: pass --auto-approve (no terminal to ask on)")
            if not click.confirm("\nApply these changes?", default=False):
                click.echo("Apply cancelled.")
                ctx.exit(EXIT_ERROR)
        screen.echo("")
        late: list[Finding] = []
        stop = threading.Event()
        counter = Counter(screen, "Applying", len(the_plan.changes), "changes")

        def report(outcome: Outcome) -> None:
            screen.echo(render.outcome_line(outcome))
            counter.advance()

        with stop_on_interrupt(stop, lambda text: screen.echo(text, err=True)):
            outcomes = workflow.apply(rt.context(), the_plan, report, late.append, stop=stop)
        screen.done()
        screen.echo("")
        if late:
            order = {p.step: i for i, p in enumerate(the_plan.steps)}  # steps finish in any order; report in plan order
            late.sort(key=lambda f: order.get(f.step, len(order)))
            screen.echo(render.checks_text(late))
            screen.echo("")
        screen.echo(render.apply_summary(outcomes, interrupted=stop.is_set()))
        if stop.is_set():
            ctx.exit(EXIT_INTERRUPTED)
        if any(o.status != "applied" for o in outcomes):
            ctx.exit(EXIT_ERROR)
        check_ok = _closing_check(rt, screen)
    # Unavailable configured models always mean exit 3; the smoke-test check gates only with --fail-on-check.
    if plan_check_failed or any(f.severity == "error" for f in late) or (fail_on_check and not check_ok):
        screen.echo("Applied, but checks failed (see above): exit 3.")
        ctx.exit(EXIT_FINDINGS)


def command_line(opts: Options, *args: str) -> str:
    """The command to run next, with the global options this run was given (a target, a config, a project)."""
    words = ["vertex-claude-setup"]
    if opts.config_path is not None:
        words += ["--config", str(opts.config_path)]
    if opts.overrides.get("project"):
        words += ["--project", str(opts.overrides["project"])]
    if opts.emulator:
        words.append("--emulator")
    return shlex.join([*words, *args])


def read_plan(rt: Runtime, screen: Output, warm_up: Callable[[], object] | None = None) -> Plan:
    """``make_plan`` with a progress line on a terminal (steps read so far).

    ``warm_up`` runs once, when the first step has been read: the tool's own imports are done by then and
    the next reads are in flight, so work started there (importing a client) delays them least.
    """
    from vertex_claude_setup.steps import workflow

    from .terminal import Counter

    ctx = rt.context()
    counter = Counter(screen, f"Reading the state of project {rt.config.project}", workflow.step_count(ctx), "steps")
    pending = [warm_up] if warm_up is not None else []
    lock = threading.Lock()

    def on_step(step: StepPlan) -> None:
        with lock:
            start = pending.pop() if pending else None
        if start is not None:
            start()
        counter.advance(step)

    try:
        the_plan = workflow.make_plan(ctx, on_step)
    finally:
        screen.done()
    the_plan.target = rt.target
    return the_plan


def announce_project(config: Config, screen: Output) -> None:
    """Name the project and where it came from, first thing (stderr: stdout stays the plan alone)."""
    line = f"Project {config.project} (from {config.project_from}"
    if config.project_in_file and config.project_in_file != config.project:
        line += f", which overrides project = \"{config.project_in_file}\" in {config.source}"
    screen.echo(line + ")", err=True)


def refuse_environment_override(config: Config) -> None:
    """``apply`` changes the project the config file names unless ``--project`` says otherwise.

    An exported GOOGLE_CLOUD_PROJECT (set for some other tool) must not silently redirect changes away
    from the project the file names: the flag is explicit, the environment is not.
    """
    from vertex_claude_setup.errors import ConfigError

    if (config.project_from.startswith("environment ") and config.project_in_file
            and config.project_in_file != config.project):
        variable = config.project_from.removeprefix("environment ")
        raise ConfigError(f"{variable}={config.project} overrides project = \"{config.project_in_file}\" in "
                          f"{config.source}; apply changes a project other than the file's only when --project "
                          "names it",
                          f"pass --project {config.project} to apply to {config.project}, or unset {variable} to "
                          f"apply to {config.project_in_file}")


def _closing_check_sdk(rt: Runtime) -> Callable[[], object] | None:
    """What starts importing the closing check's SDK in the background (None when apply runs no check).

    ``anthropic`` costs about a second of CPU to import; imported when the check runs, after every change,
    it would add that second to the end of ``apply`` (``benchmarks/plan.py`` measures it).
    """
    if not rt.config.smoke_test.enabled:
        return None
    from vertex_claude_setup.checks.smoke import import_sdk_in_background

    return import_sdk_in_background


def _closing_check(rt: Runtime, screen: Output) -> bool:
    """Run the smoke-test check after apply (a report; never a rollback). True when it passed or is off."""
    from vertex_claude_setup.cli.render.checks import apply_check
    from vertex_claude_setup.steps import all_steps
    from vertex_claude_setup.steps.smoke import SmokeStep

    step = next((s for s in all_steps(rt.config) if isinstance(s, SmokeStep)), None)
    if step is None:
        return True
    screen.status(f"Checking: \"{rt.config.smoke_test.prompt}\" to {rt.config.smoke_test.model} in "
                  f"{rt.config.smoke_test.region}")
    try:
        result = step.run_check(rt.context())
    finally:
        screen.done()
    screen.echo("")
    screen.echo(apply_check(result))
    return result.ok


@click.command()
@click.argument("plan_file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the saved plan as JSON.")
def show(plan_file: Path, as_json: bool) -> None:
    """Show a saved plan (checked for tampering; no Google calls).

    \b
    Example:
      vertex-claude-setup show plan.json
    """
    from vertex_claude_setup.engine import planfile
    from vertex_claude_setup.steps import STEP_NAMES

    from .render import plan as render
    from .terminal import Output

    saved = planfile.load(plan_file, STEP_NAMES)  # verifies shape, checksum and fingerprints first
    if as_json:
        echo_json(json.loads(plan_file.read_text(encoding="utf-8")))  # the document as saved, checksum intact
    else:
        Output(options(click.get_current_context()).no_color).echo(
            render.plan_text(saved, payloads=True))  # everything apply would send, not just summaries
