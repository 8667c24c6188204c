"""Plan and apply over a dependency graph of steps: reads run concurrently, changes apply in order.

A failed change skips its dependents and leaves a state a re-run converges from.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from vertex_claude_setup.errors import SetupError

from .model import Change, Context, Finding, Json, Outcome, Plan, Step, StepPlan, fingerprint


def order(steps: Sequence[Step]) -> list[Step]:
    """Steps in a dependency-respecting order; unknown or cyclic dependencies are a bug."""
    by_name = {s.name: s for s in steps}
    out: list[Step] = []
    seen: set[str] = set()

    def visit(step: Step, trail: tuple[str, ...]) -> None:
        if step.name in seen:
            return
        if step.name in trail:
            raise RuntimeError(f"dependency cycle: {' -> '.join((*trail, step.name))}")
        for dep in step.depends_on:
            if dep in by_name:
                visit(by_name[dep], (*trail, step.name))
        seen.add(step.name)
        out.append(step)

    for step in steps:
        visit(step, ())
    return out


def _run_graph(steps: Sequence[Step], work: Callable[[Step, dict[str, Any]], Any]) -> dict[str, Any]:
    """Run ``work(step, upstream_results)`` for every step, each as soon as its dependencies finished."""
    ordered = order(steps)
    names = {s.name for s in ordered}
    futures: dict[str, Future[Any]] = {}
    lock = threading.Lock()
    with ThreadPoolExecutor(max_workers=max(1, len(ordered)), thread_name_prefix="step") as pool:
        def task(step: Step) -> Any:
            with lock:
                deps = {d: futures[d] for d in step.depends_on if d in names}
            upstream = {d: f.result() for d, f in deps.items()}
            return work(step, upstream)

        for step in ordered:  # dependencies are submitted first, so their futures exist
            with lock:
                futures[step.name] = pool.submit(task, step)
        return {name: f.result() for name, f in futures.items()}


def plan_steps(ctx: Context, steps: Sequence[Step], project: str,
               on_step: Callable[[StepPlan], None] = lambda _p: None) -> Plan:
    """Read every step (concurrently where independent) and diff it. Never changes anything.

    ``on_step`` hears each step as it is read (a progress line), from the reading threads.
    """
    by_name = {s.name: s for s in steps}

    def work(step: Step, upstream: dict[str, StepPlan]) -> StepPlan:
        failed = [d for d, p in upstream.items() if not p.ok]
        if failed:
            # Name the cause, not the steps that were skipped because of it too.
            named = [d for d in failed if not set(by_name[d].depends_on) & set(failed)] or failed
            return StepPlan(step=step.name, skipped=f"depends on {', '.join(named)}, which failed")
        # Pending-ness is transitive: two hops behind a pending change, state is still "known after apply".
        pending = frozenset(d for d, p in upstream.items() if p.changes or p.after_upstream)
        step_ctx = Context(ctx.config, ctx.google, pending_upstream=pending)
        result = StepPlan(step=step.name, after_upstream=bool(pending))
        try:
            result.observed = step.read(step_ctx)
            result.fingerprint = fingerprint(result.observed)
            result.changes = step.diff(step_ctx, result.observed)
            result.findings = step.check(step_ctx, result.observed)
        except SetupError as exc:
            result.error, result.hint = exc.message, exc.hint
        on_step(result)
        return result

    results = _run_graph(steps, work)
    return Plan(project=project, config_digest=ctx.config.digest(), steps=[results[s.name] for s in order(steps)])


def apply_plan(
    ctx: Context,
    steps: Sequence[Step],
    plan: Plan,
    on_outcome: Callable[[Outcome], None] = lambda _o: None,
    on_finding: Callable[[Finding], None] = lambda _f: None,
    stop: threading.Event | None = None,
) -> list[Outcome]:
    """Apply the plan's changes step by step, each step after its dependencies.

    A failed step skips its dependents; independent steps still finish. A step whose plan was made
    while an upstream change was pending is re-read and re-diffed once that upstream is applied, and
    its checks run again then (``on_finding``): a deferred check must not pass silently. A planned change
    the re-read shows cannot be made (``Step.unresolved``) is a failed change: apply succeeds only when
    every planned change was made. Once ``stop`` is set (Ctrl-C), changes in flight finish and no new one
    starts: each is reported ``not_started``, and a re-run resumes from what is real.
    """
    planned = {p.step: p for p in plan.steps}
    stopped = stop or threading.Event()

    def work(step: Step, upstream: dict[str, bool]) -> bool:
        step_plan = planned.get(step.name, StepPlan(step=step.name))
        failed = [d for d, ok in upstream.items() if not ok]
        changes = step_plan.changes
        if stopped.is_set():
            for change in changes:
                _emit(on_outcome, Outcome(step.name, change.summary, "not_started", "interrupted"))
            return False
        if failed or not step_plan.ok:
            reason = f"depends on {', '.join(failed)}, which failed" if failed else step_plan.error or step_plan.skipped
            for change in changes or [Change(step.name, "update", f"{step.name}: not planned")]:
                _emit(on_outcome, Outcome(step.name, change.summary, "skipped", reason))
            return False
        unmade: list[tuple[Change, SetupError]] = []
        if step_plan.after_upstream:
            try:
                observed = step.read(ctx)
                changes = step.diff(ctx, observed)
                unmade = [(c, e) for c in step_plan.changes if (e := step.unresolved(ctx, observed, c)) is not None]
                for finding in step.check(ctx, observed):
                    on_finding(finding)
            except SetupError as exc:
                _emit(on_outcome, Outcome(step.name, f"{step.name}: re-read after upstream changes", "failed",
                                          exc.message, exc.hint))
                return False
        for change, error in unmade:  # planned, and now impossible: a failed change, named
            _emit(on_outcome, Outcome(step.name, change.summary, "failed", error.message, error.hint))

        def run(change: Change) -> bool:
            if stopped.is_set():
                _emit(on_outcome, Outcome(step.name, change.summary, "not_started", "interrupted"))
                return False
            try:
                message = step.apply(ctx, change)
                _emit(on_outcome, Outcome(step.name, change.summary, "applied", message))
                return True
            except SetupError as exc:
                _emit(on_outcome, Outcome(step.name, change.summary, "failed", exc.message, exc.hint))
                return False

        if step.concurrent_apply and len(changes) > 1:
            with ThreadPoolExecutor(max_workers=min(64, len(changes)), thread_name_prefix=step.name) as pool:
                ok = all(list(pool.map(run, changes)))
        else:
            results = [run(change) for change in changes]  # every change runs, even after a failure
            ok = all(results)
        ok = ok and not unmade
        if ok and changes:
            try:
                step.verify(ctx)
            except SetupError as exc:
                ok = False
                _emit(on_outcome, Outcome(step.name, f"verify {step.name}", "failed", exc.message, exc.hint))
        return ok

    outcomes: list[Outcome] = []
    emit_lock = threading.Lock()

    def _emit(callback: Callable[[Outcome], None], outcome: Outcome) -> None:
        with emit_lock:
            outcomes.append(outcome)
            callback(outcome)

    _run_graph(steps, work)
    return outcomes


def drift(saved: Plan, current: Plan) -> list[str]:
    """How the world moved since ``saved`` was made: one line per step whose state changed."""
    now = {p.step: p for p in current.steps}
    lines: list[str] = []
    for old in saved.steps:
        new = now.get(old.step)
        if new is None:
            lines.append(f"{old.step}: step no longer exists")
        elif new.error:
            lines.append(f"{old.step}: cannot be read now: {new.error}")
        elif old.fingerprint != new.fingerprint:
            lines.append(f"{old.step}: {describe_difference(old.observed, new.observed)}")
    return lines


def describe_difference(before: Json, after: Json, path: str = "") -> str:
    """The first differing field between two observed states, as ``path: old → new``."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            if before.get(key) != after.get(key):
                return describe_difference(before.get(key), after.get(key), f"{path}.{key}" if path else key)
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            if b != a:
                return describe_difference(b, a, f"{path}[{i}]")
    return f"{path or 'state'}: {_short(before)} → {_short(after)}"


def _short(value: Json) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
