"""``logging verify | enable | disable``: prove compliance, or control one (model, region) pair."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .common import EXIT_ERROR, options, write_report


@click.group("logging")
def logging_group() -> None:
    """Request-response logging to BigQuery, audit logs and retention: verify, enable, disable.

    \b
    Example:
      vertex-claude-setup logging verify --format junit --output logging.xml
    """


@logging_group.command("verify")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "junit", "markdown"]), default="table",
              show_default=True, help="Output format (junit/json for CI, markdown for a compliance ticket).")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None, help="Write the report to FILE.")
@click.pass_context
def verify(ctx: click.Context, fmt: str, output: Path | None) -> None:
    """Check, read-only, that Claude activity is logged and kept ≥ 30 days. Exit 0 ok, 3 non-compliant, 1 error.

    \b
    Example:
      vertex-claude-setup logging verify
      vertex-claude-setup logging verify --format junit --output logging-compliance.xml
    """
    from vertex_claude_setup.compliance import verify as compliance

    from .render import compliance as logging_report
    from .runtime import open_runtime

    with open_runtime(options(ctx)) as rt:
        report = compliance.verify(rt.context())
    text = logging_report.render(report, fmt)
    if output is not None:
        write_report(output, text + "\n")
        click.echo(f"Wrote the {fmt} report to {output}: {logging_report._summary(report)}")
    elif fmt == "table":
        from .terminal import Output

        Output(options(ctx).no_color).echo(text)
    else:
        click.echo(text)
    ctx.exit(report.exit_code)


def _pair(model: str, region: str, live: set[str] | None) -> None:
    from vertex_claude_setup import catalog
    from vertex_claude_setup.errors import ConfigError

    problem = catalog.check_model_id(model, live) or catalog.retired_error(model)
    if problem:
        raise ConfigError(f"--model '{model}': {problem}", catalog.live_hint(model, problem, live))
    problem = catalog.check_region(region)
    if problem:
        raise ConfigError(f"--region '{region}': {problem}")
    if region == "global":
        raise ConfigError("--region global: request-response logging cannot be configured on the global endpoint "
                          "(Google supports it for Anthropic models only on regional endpoints)",
                          "pick the region you call Claude through, e.g. --region us-east5")
    if not catalog.logs_requests(region):
        raise ConfigError(f"--region {region}: request-response logging cannot be configured on the {region} "
                          "multi-region endpoint (Google supports it for Anthropic models only on regional endpoints)",
                          "pick the region you call Claude through, e.g. --region us-east5")


@logging_group.command("enable")
@click.option("--model", required=True, help="Claude model id, e.g. claude-sonnet-4@20250514.")
@click.option("--region", required=True, help="Vertex AI region, e.g. us-east5 (not global).")
@click.pass_context
def enable(ctx: click.Context, model: str, region: str) -> None:
    """Turn on request-response logging for one (model, region) into the configured dataset.

    Sets exactly the configured [logging] sampling_rate for this pair, even if that is lower than its
    current rate (an explicit single-pair command); `apply` only ever raises the rate.

    \b
    Example:
      vertex-claude-setup logging enable --model claude-sonnet-4@20250514 --region us-east5
    """
    from vertex_claude_setup.steps import workflow
    from vertex_claude_setup.steps.logging_dataset import LoggingDatasetStep
    from vertex_claude_setup.steps.request_logging import RequestLoggingStep

    from .runtime import live_ids, open_runtime

    _pair(model, region, live_ids(options(ctx)))
    with open_runtime(options(ctx)) as rt:
        dataset_message = workflow.run_single(rt.context(), LoggingDatasetStep())
        step = RequestLoggingStep(only=[(model, region)], exact_rate=True)
        observed = step.read(rt.context())
        for finding in step.check(rt.context(), observed):
            click.echo(f"! {finding.message}\n  fix: {finding.hint}", err=True)
        if observed["pairs"][0]["state"] != "ok":
            ctx.exit(EXIT_ERROR)
        message = workflow.run_single(rt.context(), step)
    if not dataset_message.startswith("No changes"):
        click.echo(dataset_message)
    click.echo(f"{model} in {region}: {message}")


@logging_group.command("disable")
@click.option("--model", required=True, help="Claude model id, e.g. claude-sonnet-4@20250514.")
@click.option("--region", required=True, help="Vertex AI region, e.g. us-east5.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def disable(ctx: click.Context, model: str, region: str, yes: bool) -> None:
    """Turn off request-response logging for one (model, region); only loggingConfig.enabled changes.

    \b
    Example:
      vertex-claude-setup logging disable --model claude-sonnet-4@20250514 --region us-east5 --yes
    """
    from vertex_claude_setup.gcp import publisher_config

    from .runtime import live_ids, open_runtime

    _pair(model, region, live_ids(options(ctx)))
    with open_runtime(options(ctx)) as rt:
        project = rt.config.project
        current = publisher_config.fetch(rt.google, project, region, model).get("loggingConfig") or {}
        if not current.get("enabled"):
            click.echo(f"{model} in {region}: request-response logging is already disabled.")
            return
        if not yes:
            if not sys.stdin.isatty():
                raise click.UsageError("disable needs confirmation: pass --yes (no terminal to ask on)")
            if not click.confirm(f"Stop logging Claude requests for {model} in {region} on project {project}? "
                                 "This breaks the 30-day activity-log recommendation", default=False):
                click.echo("Disable cancelled.")
                ctx.exit(EXIT_ERROR)
        config = {k: v for k, v in current.items() if k != "requestResponseLoggingSchemaVersion"}
        config["enabled"] = False
        publisher_config.set_logging(rt.google, project, region, model, config)
    click.echo(f"{model} in {region}: request-response logging disabled (destination and sampling kept; "
               "existing rows untouched).")
