"""Plan → show → confirm → execute, as library calls the CLI (and tests) share."""

from __future__ import annotations

import threading
from collections.abc import Callable

from vertex_claude_setup.engine import runner
from vertex_claude_setup.engine.model import Context, Finding, Outcome, Plan, Step, StepPlan
from vertex_claude_setup.errors import SetupError
from vertex_claude_setup.steps import all_steps


def make_plan(ctx: Context, on_step: Callable[[StepPlan], None] = lambda _p: None) -> Plan:
    """Read every step's state (concurrently where independent) and diff it against the config."""
    return runner.plan_steps(ctx, all_steps(ctx.config), ctx.config.project, on_step)


def step_count(ctx: Context) -> int:
    """How many steps ``make_plan`` reads (for a progress line)."""
    return len(all_steps(ctx.config))


def apply(ctx: Context, plan: Plan, on_outcome: Callable[[Outcome], None],
          on_finding: Callable[[Finding], None] = lambda _f: None,
          stop: threading.Event | None = None) -> list[Outcome]:
    """Apply ``plan``; failures skip dependents and leave a state a re-run converges from.

    Checks that were deferred at plan time (read while an upstream change was pending) run after
    their upstream is applied and report through ``on_finding``.
    """
    return runner.apply_plan(ctx, all_steps(ctx.config), plan, on_outcome, on_finding, stop)


def run_single(ctx: Context, step: Step) -> str:
    """Read, diff and apply one step outside a plan (``api enable``); raise on failure."""
    changes = step.diff(ctx, step.read(ctx))
    if not changes:
        return "No changes: already as configured."
    messages = [step.apply(ctx, change) for change in changes]
    step.verify(ctx)
    if not messages:
        raise SetupError(f"{step.name}: nothing applied")
    return "\n".join(messages)
