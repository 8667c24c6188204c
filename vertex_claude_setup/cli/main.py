"""The command line: parse options, call the library, render. No Google logic lives here.

Exit codes, for every command: 0 ok · 1 error (usage errors too) · 2 ``plan --detailed-exitcode``
found changes · 3 an audit found problems.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from .api import api as api_group
from .common import EXIT_ERROR, EXIT_OK
from .emulator import emulator as emulator_group
from .plan_apply import apply, init, plan, show
from .runtime import Options

# name -> ("module:attribute", short help): imported only when the command runs (fast --help).
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
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


for _command in (init, plan, apply, show, api_group, emulator_group):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """Entry point: maps every failure to a one-line message and exit code 1 (never a traceback)."""
    from vertex_claude_setup.errors import SetupError

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
