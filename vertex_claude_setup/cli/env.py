"""``env``: print the environment for Claude Code or the anthropic SDK, from config and the last audit."""

from __future__ import annotations

import click

from .common import options


@click.command("env")
@click.option("--format", "fmt", type=click.Choice(["sh", "fish", "dotenv", "json"]), default="sh",
              show_default=True, help="Output format (json: a flat object, e.g. for settings.json \"env\").")
@click.option("--for", "target", type=click.Choice(["claude-code", "sdk"]), default="claude-code",
              show_default=True, help="Who reads the variables.")
@click.option("--region", default=None,
              help="CLOUD_ML_REGION to hand out (default: [smoke_test] region); probed when not in `regions`.")
@click.option("--probe", is_flag=True, help="Ignore the audit cache and probe availability now (count tokens).")
@click.pass_context
def env(ctx: click.Context, fmt: str, target: str, region: str | None, probe: bool) -> None:
    """Print CLAUDE_CODE_USE_VERTEX, CLOUD_ML_REGION, ANTHROPIC_VERTEX_PROJECT_ID, models and region overrides.

    Per-model VERTEX_REGION_CLAUDE_* overrides appear only for models not served in the chosen region.
    Notes go to stderr, so stdout can be eval'd or saved as is.

    \b
    Example:
      eval "$(vertex-claude-setup env)"
      vertex-claude-setup env --format fish | source
      vertex-claude-setup env --format dotenv --for sdk > .env
      vertex-claude-setup env --format json
    """
    from vertex_claude_setup import catalog
    from vertex_claude_setup.availability.classify import Availability
    from vertex_claude_setup.checks import env as envlib

    from .runtime import open_runtime

    if region:
        catalog.require_region(region, "--region")
    with open_runtime(options(ctx)) as rt:
        classes: dict[tuple[str, str], Availability] = {}
        availability = "availability not needed for the SDK"
        if target != "sdk":
            classes, source = envlib.availability(rt.google, use_cache=not probe, region=region)
            availability = f"availability from {source}"
    result = envlib.build(rt.config, classes, target="sdk" if target == "sdk" else "claude-code", region=region)
    header = f"vertex-claude-setup env --for {target}: project {rt.config.project}\n{availability}"
    click.echo(envlib.render(result, envlib.as_format(fmt), header=header))
    for warning in result.warnings:
        click.echo(f"note: {warning}", err=True)
