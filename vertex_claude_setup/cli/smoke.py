"""``smoke-test``: the seed's "Hey Claude!" request through the anthropic SDK, measured and explained."""

from __future__ import annotations

import json

import click

from .common import EXIT_FINDINGS, FiniteRange, options


@click.command("smoke-test")
@click.option("--all", "everything", is_flag=True,
              help="Every configured (model, region) pair, concurrently, as a table.")
@click.option("--stream", is_flag=True, help="Use streaming (streamRawPredict) and measure time to first token.")
@click.option("--model", default=None, help="Model to call (default: [smoke_test] model).")
@click.option("--region", default=None, help="Region to call (default: [smoke_test] region).")
@click.option("--verify-logged", is_flag=True,
              help="Then wait (bounded) for each request's row in the table its logging config names. Pairs "
                   "that cannot log (global, logging not enabled for the pair) are reported n/a, not waited for.")
@click.option("--log-timeout", default=180.0, show_default=True, type=FiniteRange(0, 3600),
              help="Seconds to wait for the log rows that must arrive (they appear seconds to minutes after the "
                   "call).")
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
    from vertex_claude_setup import catalog
    from vertex_claude_setup.checks import smoke

    from .render import checks as checkreport
    from .runtime import live_ids, open_runtime

    if everything and (model or region):
        raise click.UsageError("--all calls every configured pair: drop --model/--region, or drop --all")
    if model:
        catalog.require_model(model, "--model", live_ids(options(ctx)))
    if region:
        catalog.require_region(region, "--region")
    with open_runtime(options(ctx)) as rt:
        targets = smoke.pairs(rt.config, everything=everything)
        if model or region:
            targets = [(model or rt.config.smoke_test.model, region or rt.config.smoke_test.region)]
        rt.google.access_token()  # no credentials: a one-line error (exit 1), not a failed pair
        log_targets, baselines = smoke.log_targets(rt.google, targets) if verify_logged else ({}, {})
        results = smoke.run_many(rt.google, targets, stream=stream)
        if verify_logged:
            smoke.verify_logged(rt.google, results, log_targets, timeout_s=log_timeout, baselines=baselines)
    if as_json:
        click.echo(json.dumps({"project": rt.config.project, "results": [r.to_json() for r in results]}, indent=2))
    else:
        from .terminal import Output

        text = checkreport.smoke_one(results[0]) if len(results) == 1 and not everything else (
            checkreport.smoke_table(results))
        Output(options(ctx).no_color).echo(text)
    if not all(r.ok for r in results):
        ctx.exit(EXIT_FINDINGS)
