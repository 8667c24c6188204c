"""``export terraform``: write the project's audited setup as Terraform that adopts what already exists."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import click

from .common import options


@click.group("export")
def export_group() -> None:
    """Write the setup for other tools (today Terraform), read from the project as `plan` reads it.

    \b
    Example:
      vertex-claude-setup export terraform --dir infra/claude
    """


def measured_on() -> datetime.date:
    """Today (UTC), or the date of ``SOURCE_DATE_EPOCH`` when set: reproducible exports for CI and tests."""
    from vertex_claude_setup.errors import ConfigError

    raw = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not raw:
        return datetime.datetime.now(datetime.timezone.utc).date()
    try:
        return datetime.datetime.fromtimestamp(int(raw), tz=datetime.timezone.utc).date()
    except (ValueError, OverflowError, OSError):
        raise ConfigError(f"environment SOURCE_DATE_EPOCH: '{raw}' is not a Unix timestamp",
                          "set it to seconds since 1970 (e.g. SOURCE_DATE_EPOCH=1767225600) or unset it") from None


@export_group.command("terraform")
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=Path("vertex-claude-terraform"),
              show_default=True, help="Folder to write the .tf files to (created if missing).")
@click.pass_context
def terraform(ctx: click.Context, directory: Path) -> None:
    """Write Terraform for everything this tool manages, with import {} blocks for what already exists.

    Reads the project as `plan` does (nothing is changed) and writes versions.tf, vertex_ai.tf,
    bigquery.tf, audit_logs.tf, log_bucket.tf, request_logging.tf and checks.tf. Values stronger than
    the config (a longer retention, a higher sampling rate, extra audit log types) are written as they
    are, so `terraform plan` on the export imports and adds, and destroys nothing.

    \b
    Example:
      vertex-claude-setup export terraform --dir infra/claude
      cd infra/claude && terraform init && terraform plan
    """
    from vertex_claude_setup.export import files, state
    from vertex_claude_setup.export import terraform as tf

    from .runtime import open_runtime

    when = measured_on()
    with open_runtime(options(ctx)) as rt:
        found = state.read(rt.context())
        rendered = tf.render(rt.config, found, when)
    result = files.write(rendered, directory, tf.HEADER, tf.FILES)
    imports = sum(text.count("\nimport {") for text in rendered.values())
    click.echo(f"Wrote {len(result.written)} files to {directory}: {', '.join(result.written)}")
    if result.removed:
        click.echo(f"Removed {', '.join(result.removed)} (written by an earlier export, no longer needed)")
    click.echo(f"{imports} existing resource{'s' if imports != 1 else ''} adopted with import blocks. "
               f"Next: cd {directory} && terraform init && terraform plan")
    if found.problems:
        click.echo(f"! {found.problems} check{'s' if found.problems != 1 else ''} failed: the files say where; "
                   "`vertex-claude-setup plan` shows them with their fixes", err=True)
