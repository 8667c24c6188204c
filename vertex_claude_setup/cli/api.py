"""``api status|enable``: the Vertex AI API on its own."""

from __future__ import annotations

import click

from .common import echo_json, options


@click.group()
def api() -> None:
    """Read or enable the Vertex AI API on the project.

    \b
    Example:
      vertex-claude-setup api status
      vertex-claude-setup api enable
    """


@api.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def api_status(ctx: click.Context, as_json: bool) -> None:
    """Show whether aiplatform.googleapis.com is enabled.

    \b
    Example:
      vertex-claude-setup api status
    """
    from vertex_claude_setup.gcp import services
    from vertex_claude_setup.steps.api import SERVICE

    from .runtime import open_runtime

    with open_runtime(options(ctx)) as rt:
        state = services.get_state(rt.google, rt.config.project, SERVICE)
    if as_json:
        echo_json({"project": rt.config.project, "service": SERVICE, "state": state})
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
    from vertex_claude_setup.steps import workflow
    from vertex_claude_setup.steps.api import ApiStep

    from .runtime import open_runtime

    with open_runtime(options(ctx)) as rt:
        message = workflow.run_single(rt.context(), ApiStep())
    click.echo(message)
