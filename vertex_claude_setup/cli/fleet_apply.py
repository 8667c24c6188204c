"""``fleet apply``: plan every project, show one combined plan, then apply each project's shown plan.

Projects that cannot be planned are reported and left alone; the others converge independently (one
project's failed change never stops another's). Each applied project ends with its smoke-test check.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .common import EXIT_ERROR
from .fleet import FORMATS, FleetArgs, emit_report, fleet_options, fleet_session, progress

if TYPE_CHECKING:
    from vertex_claude_setup.engine.model import Plan
    from vertex_claude_setup.fleet.report import ProjectResult


@click.command("apply")
@click.option("--auto-approve", is_flag=True, help="Apply without asking.")
@click.option("--fail-on-check", is_flag=True, help="A failed closing smoke-test check counts as a finding (exit 3).")
@fleet_options(FORMATS)
@click.pass_context
def fleet_apply(ctx: click.Context, auto_approve: bool, fail_on_check: bool, fleet: FleetArgs) -> None:
    """Converge every project: one combined plan first, then each project's changes. Exit 0 / 3 / 1.

    A second run changes nothing. With --resume, projects already applied are not planned again.

    \b
    Example:
      vertex-claude-setup fleet apply --organization 123456789012 --auto-approve --format json -o apply.json
    """
    from vertex_claude_setup.engine.model import Context
    from vertex_claude_setup.fleet import tasks
    from vertex_claude_setup.fleet.runner import report, run_projects
    from vertex_claude_setup.steps import workflow

    from .render import fleet as render

    started = time.monotonic()
    session = fleet_session(ctx, "apply", fleet, {"fail_on_check": fail_on_check})
    with session as (rt, configs, selected, store, limiter):
        done = store.done()
        todo = [t for t in selected.targets if t.project not in done]
        plans: dict[str, Plan] = {}

        def plan_work(google: Any, cfg: Any, target: Any) -> ProjectResult:
            plans[target.project] = workflow.make_plan(Context(cfg, google))
            return tasks.plan_row(plans[target.project])

        with progress(ctx, "plan", len(todo)) as on_done:
            planned, _ = run_projects(todo, plan_work, rt.google, configs, concurrency=fleet.concurrency,
                                      on_done=on_done)
        failed = [r for r in planned if r.status == "error"]
        ready = [plans[r.project] for r in planned if r.status != "error" and r.project in plans]
        out = sys.stderr if fleet.output is None and fleet.fmt != "table" else sys.stdout
        click.echo(render.combined_plan(ready, failed), file=out)
        if any(p.changes for p in ready) and not auto_approve:
            if not sys.stdin.isatty():
                raise click.UsageError("fleet apply needs confirmation: pass --auto-approve (no terminal to ask on)")
            if not click.confirm("Apply these changes in every project listed?", default=False):
                click.echo("Apply cancelled.")
                ctx.exit(EXIT_ERROR)
        for row in failed:
            store.add(row)
        by_id = {p.project: p for p in ready}
        with progress(ctx, "apply", len(by_id)) as on_done:
            applied, _ = run_projects([t for t in todo if t.project in by_id],
                                      lambda google, cfg, t: tasks.apply(google, cfg, by_id[t.project],
                                                                         fail_on_check=fail_on_check),
                                      rt.google, configs, concurrency=fleet.concurrency, store=store,
                                      on_done=on_done)
        rows = {**{r.project: r for r in failed}, **{r.project: r for r in applied}, **done}
        ordered = [rows[t.project] for t in selected.targets if t.project in rows]
        result = report("apply", selected, ordered, elapsed_s=time.monotonic() - started,
                        resumed=sum(t.project in done for t in selected.targets), limiter=limiter)
        config_file = Path(configs.base.source).name if configs.base.source else "vertex-claude.toml"
    emit_report(ctx, result, fleet, config_file)
