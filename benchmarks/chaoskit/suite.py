"""One schedule end to end: seed the emulator, apply under faults (and kills), calm it, re-apply, plan, judge."""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import invariants
from .harness import Emulator, Run, run_tool
from .schedules import Schedule

COUNTS = ("false_success", "lost", "weakened", "unexpected", "hangs")


@dataclass
class Options:
    cap_s: float = 40.0  # hard cap per tool run: past it the run is killed and counted as a hang
    deadline_s: float = 8.0  # VERTEX_CLAUDE_RETRY_DEADLINE given to the tool
    # VERTEX_CLAUDE_PROPAGATION_DEADLINE: how long the tool waits for an API it enabled to reach every endpoint
    # (minutes on Google; short here, so that a run's hard cap stays above every deadline the tool honours)
    propagation_s: float = 10.0
    env: dict[str, str] = field(default_factory=dict)  # more environment for the tool (e.g. new timeout knobs)
    keep: Path | None = None  # copy the work dir (config, scenario, state, outputs) of failing schedules here


@dataclass
class Outcome:
    schedule: Schedule
    runs: list[Run] = field(default_factory=list)
    converged: bool = False
    not_converged: list[str] = field(default_factory=list)
    false_success: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    weakened: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)
    fired: list[str] = field(default_factory=list)  # concurrent writers that struck
    faulty_failed: bool = False  # an apply under faults, not interrupted, exited 1: no invariant, a resilience hint
    emulator_trouble: str = ""  # the emulator's own errors, if any (a harness problem, shown with the details)
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return not self.converged or any(getattr(self, name) for name in COUNTS)


def run_schedule(sched: Schedule, opts: Options) -> Outcome:
    out = Outcome(sched)
    world = sched.world
    start = time.monotonic()
    env = {"VERTEX_CLAUDE_RETRY_DEADLINE": f"{opts.deadline_s:g}", "VERTEX_CLAUDE_RETRY_INITIAL": "0.05",
           "VERTEX_CLAUDE_PROPAGATION_DEADLINE": f"{opts.propagation_s:g}", **opts.env}
    with tempfile.TemporaryDirectory(prefix=f"chaos-{sched.index:04d}-") as tmp:
        work = Path(tmp)
        (work / "vertex-claude.toml").write_text(world.config_text(), encoding="utf-8")
        emulator = Emulator(work, sched.scenario())
        try:
            before = emulator.state()

            def run(label: str, args: list[str], kill: object = None) -> Run:
                done = run_tool(label, args, work, emulator, cap_s=opts.cap_s, env=env, kill=kill)
                out.runs.append(done)
                if done.claimed_success and args[0] == "apply":
                    missing = invariants.unmet(world, before, emulator.state())
                    if missing:
                        said = "exited 0" if done.code == 0 else "exited 3 (applied, checks failed)"
                        if "No changes." in done.output:
                            said += " saying \"No changes\""
                        out.false_success.append(f"{label} {said} but the state lacks: " + "; ".join(missing))
                return done

            for i, kill in enumerate(sched.kills, 1):
                run(f"apply-{i}", ["apply", "--auto-approve"], kill)
            fired = invariants.writers_that_struck(emulator.state())
            out.fired = [invariants.describe(rule) for rule in fired]
            emulator.calm()
            run("reapply", ["apply", "--auto-approve"])
            plan = run("plan", ["plan", "--detailed-exitcode"])
            after = emulator.state()
        finally:
            emulator.stop()
        missing = invariants.unmet(world, before, after)
        out.converged = plan.code == 0 and not missing
        if plan.code != 0:
            out.not_converged.append(f"the calm re-apply and plan did not converge (plan exit {plan.code})")
        if missing:
            out.not_converged.append("the state lacks: " + "; ".join(missing))
        out.faulty_failed = any(r.code not in (0, 3) and not r.signalled and not r.hung
                                for r in out.runs if r.label.startswith("apply-"))
        out.lost = invariants.lost(world, before, after, fired)
        out.weakened = invariants.weakened(world, before, after, fired)
        out.unexpected = invariants.unexpected(out.runs)
        out.hangs = [f"{r.label} still running after {opts.cap_s:g}s (killed)" if not r.signalled else
                     f"{r.label} still running {r.seconds:.0f}s after {r.signalled} (killed)"
                     for r in out.runs if r.hung]
        out.seconds = time.monotonic() - start
        log = emulator.log.read_text(encoding="utf-8", errors="replace")
        if "Traceback" in log or "Error handling request" in log:  # the fake failed, not the tool: say so
            out.emulator_trouble = log[-3000:]
        if opts.keep is not None and out.failed:
            shutil.copytree(work, opts.keep / f"schedule-{sched.seed}-{sched.index:04d}", dirs_exist_ok=True)
    return out
