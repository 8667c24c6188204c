"""Plan → show → confirm → execute, as library calls the CLI (and tests) share."""

from __future__ import annotations

from collections.abc import Callable

from . import engine
from .engine import Finding, Outcome, Plan, Step
from .errors import SetupError
from .runtime import Runtime
from .steps import all_steps


def make_plan(rt: Runtime) -> Plan:
    """Read every step's state (concurrently where independent) and diff it against the config."""
    return engine.plan_steps(rt.context(), all_steps(rt.config), rt.config.project)


def apply(rt: Runtime, plan: Plan, on_outcome: Callable[[Outcome], None],
          on_finding: Callable[[Finding], None] = lambda _f: None) -> list[Outcome]:
    """Apply ``plan``; failures skip dependents and leave a state a re-run converges from.

    Checks that were deferred at plan time (read while an upstream change was pending) run after
    their upstream is applied and report through ``on_finding``.
    """
    return engine.apply_plan(rt.context(), all_steps(rt.config), plan, on_outcome, on_finding)


def run_single(rt: Runtime, step: Step) -> str:
    """Read, diff and apply one step outside a plan (``api enable``); raise on failure."""
    ctx = rt.context()
    changes = step.diff(ctx, step.read(ctx))
    if not changes:
        return "No changes: already as configured."
    messages = [step.apply(ctx, change) for change in changes]
    step.verify(ctx)
    if not messages:
        raise SetupError(f"{step.name}: nothing applied")
    return "\n".join(messages)
