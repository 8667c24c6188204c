"""The command line: parse options, call the library, render. No Google logic lives here.

Exit codes, for every command: 0 ok · 1 error (usage errors too) · 2 ``plan --detailed-exitcode``
found changes · 3 an audit found problems.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from .runtime import Options

EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_FINDINGS = 0, 1, 2, 3

# name -> ("module:attribute", short help): imported only when the command runs (fast --help).
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "logging": ("vertex_claude_setup.commands.logging:logging_group",
                "Verify logging compliance, or enable/disable request-response logging for one model and region."),
    "smoke-test": ("vertex_claude_setup.commands.smoke_test:smoke_test",
                   "Send \"Hey Claude!\" through the anthropic SDK; reply, latency, tokens, request id."),
    "doctor": ("vertex_claude_setup.commands.doctor:doctor",
               "Diagnose credentials, principal, quota project, project, billing, API and IAM permissions."),
    "env": ("vertex_claude_setup.commands.env:env",
            "Print the environment for Claude Code or the anthropic SDK (sh, fish, dotenv, json)."),
    "models": ("vertex_claude_setup.commands.models:models_command",
               "List the Claude models on Vertex AI (ids, lifecycle, quota base model)."),
    "regions": ("vertex_claude_setup.commands.regions:regions_group",
                "Audit which Claude models this project can call in which locations, and why not."),
}


class LazyGroup(click.Group):
    """A group whose heavier commands live in their own modules and are imported on use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS:
            module, attr = LAZY_COMMANDS[cmd_name][0].split(":")
            command = getattr(importlib.import_module(module), attr)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in LAZY_COMMANDS:
                rows.append((name, LAZY_COMMANDS[name][1]))
            else:
                cmd = super().get_command(ctx, name)
                if cmd is not None and not cmd.hidden:
                    rows.append((name, cmd.get_short_help_str(limit=80)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def options(ctx: click.Context) -> Options:
    obj = ctx.find_object(Options)
    assert obj is not None
    return obj


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
              help="Config file (default: ./vertex-claude.toml, or $VERTEX_CLAUDE_CONFIG).")
@click.option("--project", default=None, help="Google Cloud project ID (beats the file and GOOGLE_CLOUD_PROJECT).")
@click.option("--emulator", is_flag=True, help="Run against the built-in emulator; state kept in .vertex-claude/.")
@click.option("--scenario", type=click.Path(path_type=Path), default=None,
              help="Emulator scenario file (TOML/JSON) used when the emulator state is new.")
@click.option("--impersonate-service-account", default=None, metavar="EMAIL",
              help="Call Google as this service account (your ADC needs roles/iam.serviceAccountTokenCreator).")
@click.option("--quota-project", default=None, help="Project billed for API quota (x-goog-user-project).")
@click.version_option(package_name="vertex-claude-setup")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, project: str | None, emulator: bool, scenario: Path | None,
        impersonate_service_account: str | None, quota_project: str | None) -> None:
    """Take a Google Cloud project to "Claude on Vertex AI works, is audited and is logged".

    \b
    Example:
      vertex-claude-setup init --project my-project
      vertex-claude-setup plan
      vertex-claude-setup apply --auto-approve
      vertex-claude-setup --emulator apply --auto-approve --project demo-project
    """
    ctx.obj = Options(config_path=config_path, emulator=emulator, scenario=scenario, overrides={
        "project": project, "impersonate_service_account": impersonate_service_account,
        "quota_project": quota_project})


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False))


# ---------------------------------------------------------------------------------------------- init
@cli.command()
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
    from . import config, templating
    from .errors import SetupError

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
    click.echo(f"Wrote {output} for project {project}. Next: vertex-claude-setup plan")


# ---------------------------------------------------------------------------------------------- plan
@cli.command()
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
    from . import planfile, render, workflow
    from .runtime import open_runtime

    with open_runtime(options(ctx)) as rt:
        the_plan = workflow.make_plan(rt)
    if out is not None:
        planfile.save(the_plan, out)
    if as_json:
        _echo_json(planfile.to_json(the_plan))
    else:
        click.echo(render.plan_text(the_plan))
        if out is not None:
            click.echo(f"\nSaved the plan to {out}. Apply exactly this plan with: vertex-claude-setup apply {out}")
    if the_plan.errors or any(f.severity == "error" for f in the_plan.findings):
        ctx.exit(EXIT_ERROR if the_plan.errors else (EXIT_CHANGES if detailed_exitcode and the_plan.changes
                                                     else EXIT_FINDINGS))
    if detailed_exitcode and the_plan.changes:
        ctx.exit(EXIT_CHANGES)


# --------------------------------------------------------------------------------------------- apply
@cli.command()
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
    from . import planfile, render, workflow
    from .runtime import open_runtime

    with open_runtime(options(ctx)) as rt:
        the_plan = workflow.make_plan(rt)
        if plan_file is not None:
            saved = planfile.load(plan_file)
            planfile.check_still_valid(saved, the_plan, plan_file)
            the_plan = saved
        else:
            click.echo(render.plan_text(the_plan))
        if the_plan.errors:
            ctx.exit(EXIT_ERROR)
        # Read-only checks (e.g. an unavailable model) are never "fine": exit 3 even with nothing to apply.
        plan_check_failed = any(f.severity == "error" for f in the_plan.findings)
        if not the_plan.changes:
            if plan_file is not None:
                click.echo(f"No changes. Project {the_plan.project} matches the configuration.")
            check_ok = _closing_check(rt)
            ctx.exit(EXIT_FINDINGS if plan_check_failed or (fail_on_check and not check_ok) else EXIT_OK)
        if plan_file is None and not auto_approve:
            if not sys.stdin.isatty():
                raise click.UsageError("apply needs confirmation: pass --auto-approve (no terminal to ask on)")
            if not click.confirm("\nApply these changes?", default=False):
                click.echo("Apply cancelled.")
                ctx.exit(EXIT_ERROR)
        click.echo("")
        late: list[Any] = []
        outcomes = workflow.apply(rt, the_plan, lambda o: click.echo(render.outcome_line(o)), late.append)
        click.echo("")
        if late:
            order = {p.step: i for i, p in enumerate(the_plan.steps)}  # steps finish in any order; report in plan order
            late.sort(key=lambda f: order.get(f.step, len(order)))
            click.echo(render.checks_text(late))
            click.echo("")
        click.echo(render.apply_summary(outcomes))
        if any(o.status != "applied" for o in outcomes):
            ctx.exit(EXIT_ERROR)
        check_ok = _closing_check(rt)
    # Unavailable configured models always mean exit 3; the smoke-test check gates only with --fail-on-check.
    if plan_check_failed or any(f.severity == "error" for f in late) or (fail_on_check and not check_ok):
        click.echo("Applied, but checks failed (see above): exit 3.")
        ctx.exit(EXIT_FINDINGS)


def _closing_check(rt: Any) -> bool:
    """Run the smoke-test check after apply (a report; never a rollback). True when it passed or is off."""
    from .checkreport import apply_check
    from .steps import all_steps
    from .steps.smoke import SmokeStep

    step = next((s for s in all_steps(rt.config) if isinstance(s, SmokeStep)), None)
    if step is None:
        return True
    result = step.run_check(rt.context())
    click.echo("")
    click.echo(apply_check(result))
    return result.ok


# ---------------------------------------------------------------------------------------------- show
@cli.command()
@click.argument("plan_file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the saved plan as JSON.")
def show(plan_file: Path, as_json: bool) -> None:
    """Show a saved plan (checked for tampering; no Google calls).

    \b
    Example:
      vertex-claude-setup show plan.json
    """
    from . import planfile, render

    saved = planfile.load(plan_file)  # verifies checksum and fingerprints first
    if as_json:
        _echo_json(json.loads(plan_file.read_text(encoding="utf-8")))  # the document as saved, checksum intact
    else:
        click.echo(render.plan_text(saved))


# ----------------------------------------------------------------------------------------------- api
@cli.group()
def api() -> None:
    """Read or enable the Vertex AI API on the project."""


@api.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def api_status(ctx: click.Context, as_json: bool) -> None:
    """Show whether aiplatform.googleapis.com is enabled.

    \b
    Example:
      vertex-claude-setup api status
    """
    from .gcp import services
    from .runtime import open_runtime
    from .steps.api import SERVICE

    with open_runtime(options(ctx)) as rt:
        state = services.get_state(rt.google, rt.config.project, SERVICE)
    if as_json:
        _echo_json({"project": rt.config.project, "service": SERVICE, "state": state})
    else:
        click.echo(f"{SERVICE} on project {rt.config.project}: {state}")


@api.command("enable")
@click.pass_context
def api_enable(ctx: click.Context) -> None:
    """Enable aiplatform.googleapis.com (waits for the operation; a no-op when already on).

    \b
    Example:
      vertex-claude-setup api enable
    """
    from . import workflow
    from .runtime import open_runtime
    from .steps.api import ApiStep

    with open_runtime(options(ctx)) as rt:
        message = workflow.run_single(rt, ApiStep())
    click.echo(message)


# ------------------------------------------------------------------------------------------ emulator
@cli.group()
def emulator() -> None:
    """Run the built-in fake Google APIs, or reset their saved state."""


@emulator.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8089, show_default=True, type=click.IntRange(1, 65534),
              help="HTTP port (every REST API).")
@click.option("--grpc-port", default=None, type=click.IntRange(1, 65535),
              help="gRPC port for Cloud Logging (default: port + 1).")
@click.option("--scenario", "serve_scenario", type=click.Path(path_type=Path, exists=True), default=None,
              help="Scenario file (TOML/JSON).")
@click.option("--state", "state_file", type=click.Path(path_type=Path), default=None,
              help="Persist state to this file.")
def emulator_serve(host: str, port: int, grpc_port: int | None, serve_scenario: Path | None,
                   state_file: Path | None) -> None:
    """Serve the emulator until interrupted; point tools at it with VERTEX_CLAUDE_EMULATOR_HOST.

    \b
    Example:
      vertex-claude-setup emulator serve --port 8089 --scenario scenario.toml
      VERTEX_CLAUDE_EMULATOR_HOST=127.0.0.1:8089 vertex-claude-setup plan --project demo-project
    """
    import threading

    from .emulator import Emulator, State

    if state_file is not None:
        state = State.load(state_file, serve_scenario)
    else:
        state = State.from_scenario(serve_scenario) if serve_scenario else State()
    emu = Emulator(state)
    try:
        url = emu.start(host, port, grpc_port)
    except OSError as exc:
        from .errors import SetupError

        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise SetupError(f"cannot listen on {host}:{port}: {reason}",
                         "pick a free port with --port (and --grpc-port), or stop what uses it") from None
    # A long-running server: set the startup heap (discovery documents, modules) aside from the
    # collector, or every few thousand requests a full collection stalls all calls in flight.
    import gc

    gc.freeze()
    click.echo(f"Emulator listening on {url} (gRPC {emu.grpc_target})")
    click.echo(f"  export VERTEX_CLAUDE_EMULATOR_HOST={url.removeprefix('http://')}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()


@emulator.command("reset")
@click.pass_context
def emulator_reset(ctx: click.Context) -> None:
    """Forget the --emulator state beside the config, so the next run starts fresh.

    \b
    Example:
      vertex-claude-setup emulator reset
    """
    from .runtime import emulator_state_path, load_config

    path = emulator_state_path(load_config(options(ctx)))
    if path.exists():
        path.unlink()
        click.echo(f"Removed {path}.")
    else:
        click.echo(f"No emulator state at {path}.")


# ---------------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> None:
    """Entry point: maps every failure to a one-line message and exit code 1 (never a traceback)."""
    from .errors import SetupError

    try:
        code = cli.main(args=argv, prog_name="vertex-claude-setup", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        code = EXIT_ERROR
    except click.ClickException as exc:  # usage errors: exit 1, not Click's 2 (2 means "changes")
        exc.show()
        code = EXIT_ERROR
    except SetupError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        if exc.hint:
            click.echo(f"  fix: {exc.hint}", err=True)
        code = exc.exit_code
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        code = 130
    except Exception as exc:  # a bug: still one line, the traceback only on request
        import os

        if os.environ.get("VERTEX_CLAUDE_DEBUG"):
            raise
        click.echo(f"Error: unexpected {type(exc).__name__}: {exc} (a bug in vertex-claude-setup; "
                   "re-run with VERTEX_CLAUDE_DEBUG=1 for the traceback)", err=True)
        code = EXIT_ERROR
    sys.exit(code if isinstance(code, int) else EXIT_OK)
