"""The command line: parse options, call the library, render. No Google logic lives here.

Exit codes, for every command: 0 ok · 1 error (usage errors too) · 2 ``plan --detailed-exitcode``
found changes · 3 an audit found problems.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import click

from .api import api as api_group
from .common import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK
from .emulator import emulator as emulator_group
from .plan_apply import apply, init, plan, show
from .runtime import Options

# Click >= 8.2 raises this for a group run without a command; 8.1 printed the help and exited 0 itself.
NoArgsIsHelp: type[click.UsageError] = getattr(click.exceptions, "NoArgsIsHelpError",
                                               type("NeverRaised", (click.UsageError,), {}))

# name -> ("module:attribute", short help): imported only when the command runs (fast --help).
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "export": ("vertex_claude_setup.cli.export:export_group",
               "Write the setup as Terraform that adopts what exists with import blocks (reads only)."),
    "logging": ("vertex_claude_setup.cli.logging:logging_group",
                "Verify logging compliance, or enable/disable request-response logging for one model and region."),
    "smoke-test": ("vertex_claude_setup.cli.smoke:smoke_test",
                   "Send \"Hey Claude!\" through the anthropic SDK; reply, latency, tokens, request id."),
    "doctor": ("vertex_claude_setup.cli.doctor:doctor",
               "Diagnose credentials, principal, quota project, project, billing, API and IAM permissions."),
    "env": ("vertex_claude_setup.cli.env:env",
            "Print the environment for Claude Code or the anthropic SDK (sh, fish, dotenv, json)."),
    "models": ("vertex_claude_setup.cli.models:models_command",
               "List the Claude models on Vertex AI (ids, lifecycle, quota base model)."),
    "regions": ("vertex_claude_setup.cli.regions:regions_group",
                "Audit which Claude models this project can call in which locations, and why not."),
    "fleet": ("vertex_claude_setup.cli.fleet:fleet_group",
              "Audit, verify, plan and apply many projects (a list, a folder, an organization) under quotas."),
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
            return accept_global_options(command)
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
@click.option("--no-color", is_flag=True, help="No colour, even on a terminal (so does NO_COLOR=1).")
@click.version_option(package_name="vertex-claude-setup")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, project: str | None, emulator: bool, scenario: Path | None,
        impersonate_service_account: str | None, quota_project: str | None, no_color: bool) -> None:
    """Take a Google Cloud project to "Claude on Vertex AI works, is audited and is logged".

    Global options go before or after the command: `--emulator plan` and `plan --emulator` are the same.

    \b
    Example:
      vertex-claude-setup init --project my-project
      vertex-claude-setup plan
      vertex-claude-setup apply --auto-approve
      vertex-claude-setup --emulator apply --auto-approve --project demo-project
    """
    ctx.obj = Options(config_path=config_path, emulator=emulator, scenario=scenario, no_color=no_color, overrides={
        "project": project, "impersonate_service_account": impersonate_service_account,
        "quota_project": quota_project})


# Global options a user may also write after the command (`plan --project X`): field of Options (or of
# Options.overrides), value type, and whether it is a flag. Hidden in each command's option list; named in its epilog.
GLOBAL_OPTIONS: dict[str, tuple[str, click.Path | None, bool]] = {
    "--config": ("config_path", click.Path(path_type=Path), False),
    "--project": ("project", None, False),
    "--emulator": ("emulator", None, True),
    "--scenario": ("scenario", click.Path(path_type=Path), False),
    "--impersonate-service-account": ("impersonate_service_account", None, False),
    "--quota-project": ("quota_project", None, False),
    "--no-color": ("no_color", None, True),
}
GLOBAL_OPTIONS_NOTE = ("\b\nGlobal options may also follow the command (see `vertex-claude-setup --help`):\n"
                       "--config, --project, --emulator, --scenario, --impersonate-service-account,\n"
                       "--quota-project, --no-color.")
_OVERRIDES = {"project", "impersonate_service_account", "quota_project"}


def _global_after_command(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Store a global option given after the command, as if it came before; refuse two different values."""
    if value is None or value is False:
        return value
    opts = ctx.find_object(Options)
    assert opts is not None and param.name is not None
    field = param.name.removeprefix("global_")
    before = opts.overrides.get(field) if field in _OVERRIDES else getattr(opts, field)
    if before not in (None, False) and before != value:
        flag = param.opts[0]
        raise click.UsageError(f"{flag} given twice: '{before}' before the command and '{value}' after it; "
                               "pass it once")
    if field in _OVERRIDES:
        opts.overrides[field] = value
    else:
        setattr(opts, field, value)
    return value


def accept_global_options(command: click.Command) -> click.Command:
    """Let ``command`` (and every subcommand of a group) take the global options after its name too."""
    if getattr(command, "_takes_global_options", False):
        return command
    command._takes_global_options = True  # type: ignore[attr-defined]
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            accept_global_options(sub)
        return command
    taken = {opt for param in command.params for opt in param.opts}
    for flag, (field, kind, is_flag) in GLOBAL_OPTIONS.items():
        if flag in taken:  # the command has its own meaning for it (`init --project`, `emulator serve --scenario`)
            continue
        command.params.append(click.Option([flag, f"global_{field}"], type=kind, is_flag=is_flag, hidden=True,
                                           expose_value=False, callback=_global_after_command))
    note = GLOBAL_OPTIONS_NOTE
    command.epilog = f"{command.epilog}\n\n{note}" if command.epilog else note
    return command


for _command in (init, plan, apply, show, api_group, emulator_group):
    cli.add_command(accept_global_options(_command))


class _SwallowedInterrupt:
    """Ctrl-C that lands while Python runs an internal callback (a weakref finalizer during garbage collection)
    cannot be raised there: Python prints it as a traceback and goes on. It is noted instead, silently, and
    the command then ends as interrupted (130); every other unraisable exception goes to Python's hook."""

    def __init__(self) -> None:
        self.seen = False
        self._default = sys.unraisablehook

    def __call__(self, unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            self.seen = True
            return
        self._default(unraisable)


def main(argv: list[str] | None = None) -> None:
    """Entry point: maps every failure to a one-line message and exit code 1 (never a traceback)."""
    from vertex_claude_setup.errors import SetupError

    swallowed = _SwallowedInterrupt()
    sys.unraisablehook = swallowed
    try:
        code = cli.main(args=argv, prog_name="vertex-claude-setup", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except NoArgsIsHelp as exc:  # `vertex-claude-setup` (or `... regions`) alone: asking for help is no error
        click.echo(exc.ctx.get_help() if exc.ctx else exc.format_message())
        code = EXIT_OK
    except click.exceptions.Abort as exc:
        interrupted = isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt)  # Click's wrapping of Ctrl-C
        click.echo("Interrupted." if interrupted else "Aborted.", err=True)
        code = EXIT_INTERRUPTED if interrupted else EXIT_ERROR
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
        code = EXIT_INTERRUPTED
    except Exception as exc:  # a bug: still one line, the traceback only on request
        import os

        if os.environ.get("VERTEX_CLAUDE_DEBUG"):
            raise
        click.echo(f"Error: unexpected {type(exc).__name__}: {exc} (a bug in vertex-claude-setup; "
                   "re-run with VERTEX_CLAUDE_DEBUG=1 for the traceback)", err=True)
        code = EXIT_ERROR
    finally:
        sys.unraisablehook = swallowed._default
    if swallowed.seen and code in (EXIT_OK, None):
        click.echo("Interrupted (Ctrl-C arrived after the work had finished).", err=True)
        code = EXIT_INTERRUPTED
    sys.exit(code if isinstance(code, int) else EXIT_OK)


def run() -> None:
    """The console script (and ``python -m``): ``main``, then leave without tearing the interpreter down.

    Finalizing the modules of the Google and Anthropic client libraries costs 0.3-0.5 s after the work is
    done and every line is written (measured: ``benchmarks/plan.py``). Exit handlers still run and the output
    is flushed first. While a non-daemon thread is still alive, or a flush fails (a closed pipe), Python's own
    exit runs instead, with its usual behaviour.
    """
    import atexit
    import os
    import threading

    try:
        main()
    except SystemExit as exc:
        busy = any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread())
        if busy or not isinstance(exc.code, int):
            raise
        code = exc.code
    else:  # pragma: no cover - main always exits
        code = EXIT_OK
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        raise SystemExit(code) from None
    os._exit(code)
