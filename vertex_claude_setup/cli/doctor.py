"""``doctor``: diagnose the setup — credentials, principal, quota project, project, billing, API, permissions."""

from __future__ import annotations

import json

import click

from .common import options


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def doctor(ctx: click.Context, as_json: bool) -> None:
    """Find the credentials and check everything Claude on Vertex AI needs; never prints a token.

    Exit 0 when every check passed, 3 when one failed, 1 when no credentials were found or Google cannot be reached.

    \b
    Example:
      vertex-claude-setup doctor
      vertex-claude-setup doctor --json
      vertex-claude-setup --impersonate-service-account deployer@my-project.iam.gserviceaccount.com doctor
    """
    from vertex_claude_setup.checks.doctor import diagnose
    from vertex_claude_setup.steps.permissions import permission_rows

    from .render import checks as checkreport
    from .runtime import open_runtime

    with open_runtime(options(ctx)) as rt:
        report = diagnose(rt.google, permission_rows(rt.config))
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        from .terminal import Output

        Output(options(ctx).no_color).echo(checkreport.doctor_text(report))
    ctx.exit(report.exit_code)
