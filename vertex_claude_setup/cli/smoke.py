"""``smoke-test``: the seed's "Hey Claude!" request through the anthropic SDK, measured and explained."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from .common import EXIT_FINDINGS, FiniteRange, options


def target_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--model, --region, --verify-logged, --log-timeout: shared with ``fleet smoke-test`` (one vocabulary)."""
    for option in reversed([
        click.option("--model", default=None, help="Model to call (default: [smoke_test] model)."),
        click.option("--region", default=None, help="Region to call (default: [smoke_test] region)."),
        click.option("--verify-logged", is_flag=True,
                     help="Then wait (bounded) for each request's row in the table its logging config names. Pairs "
                          "that cannot log (global, logging not enabled for the pair) are reported n/a, not waited "
                          "for."),
        click.option("--log-timeout", default=180.0, show_default=True, type=FiniteRange(0, 3600),
                     help="Seconds to wait for the log rows that must arrive (they appear seconds to minutes after "
                          "the call)."),
    ]):
        fn = option(fn)
    return fn


def check_target(ctx: click.Context, everything: bool, model: str | None, region: str | None) -> None:
    """The flags' own errors, before any Google call: --all with --model/--region, an unknown model or region."""
    from vertex_claude_setup import catalog

    from .runtime import live_ids

    if everything and (model or region):
        raise click.UsageError("--all calls every configured pair: drop --model/--region, or drop --all")
    if model:
        catalog.require_model(model, "--model", live_ids(options(ctx)))
    if region:
        catalog.require_region(region, "--region")


@click.command("smoke-test")
@click.option("--all", "everything", is_flag=True,
              help="Every configured (model, region) pair, concurrently, as a table.")
@click.option("--stream", is_flag=True, help="Use streaming (streamRawPredict) and measure time to first token.")
@target_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def smoke_test(ctx: click.Context, everything: bool, stream: bool, model: str | None, region: str | None,
               verify_logged: bool, log_timeout: float, as_json: bool) -> None:
    """Send "Hey Claude!" with AnthropicVertex and report reply, latency, tokens and request id.

    Exit 0 when every request answered (and, with --verify-logged, every row that can arrive was found),
    3 when one failed, 1 on an error such as missing credentials.

    \b
    Example:
      vertex-claude-setup smoke-test
      vertex-claude-setup smoke-test --all
      vertex-claude-setup smoke-test --stream --model claude-sonnet-4-6 --region us-east5
      vertex-claude-setup smoke-test --verify-logged --log-timeout 300
    """
    from vertex_claude_setup.checks import smoke

    from .render import checks as checkreport
    from .runtime import open_runtime

    check_target(ctx, everything, model, region)
    with open_runtime(options(ctx)) as rt:
        targets = smoke.chosen_pairs(rt.config, everything=everything, model=model, region=region)
        rt.google.access_token()  # no credentials: a one-line error (exit 1), not a failed pair
        results = smoke.run_checked(rt.google, targets, stream=stream, logged=verify_logged,
                                    log_timeout_s=log_timeout)
    if as_json:
        click.echo(json.dumps({"project": rt.config.project, "results": [r.to_json() for r in results]}, indent=2))
    else:
        from .terminal import Output

        text = checkreport.smoke_one(results[0]) if len(results) == 1 and not everything else (
            checkreport.smoke_table(results))
        Output(options(ctx).no_color).echo(text)
    if not all(r.ok for r in results):
        ctx.exit(EXIT_FINDINGS)
