"""Chaos suite: `apply` under seeded fault schedules, then a calm re-apply, judged on the emulator's state.

Each schedule seeds a project the way users have them (foreign IAM bindings and conditions, exemptions, other
services' audit configs, publisher-model fields the tool does not own, retentions and sampling rates higher
than the config) and starts ``vertex-claude-setup emulator serve`` in its own process, on a free loopback port,
with a state file. ``vertex-claude-setup apply --auto-approve`` then runs as a real process while things go
wrong: 429/500/503 bursts, stalls past any client timeout, connection resets, failing and long-pending
operations, per-endpoint SERVICE_DISABLED windows after the enable, etag races and a concurrent writer raising
retentions and sampling rates mid-apply, permission denied mid-apply, SIGKILL/SIGINT at random moments. Then
the faults stop (``POST /_emulator/faults``), apply runs again and ``plan --detailed-exitcode`` must exit 0.

Counted per schedule, from the emulator's state (``GET /_emulator/state``), never from the tool's output:

* converged: the calm re-apply's ``plan --detailed-exitcode`` exits 0 and the state has what the config asks;
* false_success: an apply exited 0 (or 3, "applied, but checks failed") while the state lacked a change;
* lost: an IAM binding, condition, exemption or audit config, an enabled API, or a field the tool does not
  own disappeared (including what a concurrent writer added mid-apply);
* weakened: a retention or sampling rate ended lower than it was, or than a concurrent writer raised it to;
* unexpected: any run printed "unexpected" or a traceback;
* hangs: a run went past ``--cap`` seconds (or past 10 s after SIGINT) and was killed.

Usage::

    python benchmarks/chaos.py                      # 40 schedules (seed 1), 2 at a time: < 10 min on 2 cores
    python benchmarks/chaos.py --schedules 300      # the full run
    python benchmarks/chaos.py --seed 1 --only 17   # reproduce schedule 17 alone, with its outputs
    python benchmarks/chaos.py --ci                 # the reduced CI set: exits 1 unless every schedule is clean

``--ci`` runs a fixed seeded set (one schedule per fault kind, each kind alone, ≤ 2 minutes when the tool
neither hangs nor fails; ``--ci --only K`` reproduces one) and exits non-zero when any count but
``converged`` is non-zero, or not every schedule converged.
Failing schedules print their seed, index, world, schedule and the offending output. The last line is
``schedules=<n> converged=<n> false_success=<n> lost=<n> weakened=<n> unexpected=<n> hangs=<n>``.
"""

from __future__ import annotations

import sys

# benchmarks/logging.py would shadow the stdlib: drop this folder from the front of the path, add it at the end.
if sys.path and sys.path[0].rstrip("/").endswith("benchmarks"):
    sys.path.append(sys.path.pop(0))

import argparse
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from chaoskit.schedules import KINDS, make_schedule
from chaoskit.suite import COUNTS, Options, Outcome, run_schedule

CI_SEED = 20260712
CI_SCHEDULES = len(KINDS)  # indices 0..12: each fault kind alone, once
CI_CAP_S = 30.0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    seed = args.seed if args.seed is not None else (CI_SEED if args.ci else 1)
    indices = _indices(args)
    opts = Options(cap_s=CI_CAP_S if args.ci and args.cap is None else (args.cap or 40.0),
                   deadline_s=args.deadline, propagation_s=args.propagation,
                   env=dict(e.split("=", 1) for e in args.env), keep=args.keep)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    schedules = [make_schedule(seed, i, mixed=not args.ci) for i in indices]
    if args.list:
        for sched in schedules:
            print(f"#{sched.index} {sched.describe()}")
        return 0
    start = time.monotonic()
    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for n, outcome in enumerate(pool.map(lambda s: run_schedule(s, opts), schedules), 1):
            outcomes.append(outcome)
            verdict = "FAIL " + ",".join(_failures(outcome)) if outcome.failed else "ok"
            print(f"[{n:>3}/{len(schedules)}] #{outcome.schedule.index} {'+'.join(outcome.schedule.kinds)}: "
                  f"{verdict} ({outcome.seconds:.1f}s)", flush=True)
            if outcome.failed or outcome.emulator_trouble or args.verbose or args.only is not None:
                _details(outcome, args.verbose or args.only is not None)
    _breakdown(outcomes)
    print(f"elapsed_s={time.monotonic() - start:.0f} seed={seed} cap_s={opts.cap_s:g} deadline_s={opts.deadline_s:g} "
          f"propagation_s={opts.propagation_s:g}")
    print(summary_line(outcomes))
    return 1 if args.ci and not clean(outcomes) else 0


def summary_line(outcomes: list[Outcome]) -> str:
    """``schedules=<n> converged=<n> false_success=<n> lost=<n> weakened=<n> unexpected=<n> hangs=<n>``."""
    totals = {name: sum(1 for o in outcomes if getattr(o, name)) for name in COUNTS}
    converged = sum(1 for o in outcomes if o.converged)
    return f"schedules={len(outcomes)} converged={converged} " + " ".join(f"{k}={v}" for k, v in totals.items())


def clean(outcomes: list[Outcome]) -> bool:
    """Every schedule converged and no count but ``converged`` is non-zero (the CI gate)."""
    return not any(o.failed for o in outcomes)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schedules", type=int, default=40, help="how many schedules (default 40; full run 300)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the schedule set (default 1; --ci: its own)")
    parser.add_argument("--only", type=str, default=None, help="run only these schedule indices, e.g. 17 or 3,17")
    parser.add_argument("--ci", action="store_true", help="the fixed CI set; exit 1 unless every schedule is clean")
    parser.add_argument("--cap", type=float, default=None, help="hard cap per tool run in seconds (default 40)")
    parser.add_argument("--deadline", type=float, default=8.0, help="VERTEX_CLAUDE_RETRY_DEADLINE for the tool")
    parser.add_argument("--propagation", type=float, default=10.0,
                        help="VERTEX_CLAUDE_PROPAGATION_DEADLINE for the tool (default 10)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="more tool environment")
    parser.add_argument("--jobs", type=int, default=2, help="schedules run at once (default 2: runs mostly wait)")
    parser.add_argument("--keep", type=Path, default=None, help="copy failing schedules' work dirs here")
    parser.add_argument("--list", action="store_true", help="print the schedules without running them")
    parser.add_argument("-v", "--verbose", action="store_true", help="details of passing schedules too")
    return parser


def _indices(args: argparse.Namespace) -> list[int]:
    if args.only is not None:
        return [int(i) for i in args.only.split(",")]
    return list(range(CI_SCHEDULES if args.ci else args.schedules))


def _failures(outcome: Outcome) -> list[str]:
    return [*([] if outcome.converged else ["not_converged"]), *(n for n in COUNTS if getattr(outcome, n))]


def _details(outcome: Outcome, everything: bool) -> None:
    sched = outcome.schedule
    ci = "" if sched.mixed else " --ci"
    print(f"  reproduce: python benchmarks/chaos.py{ci} --seed {sched.seed} --only {sched.index}")
    print(f"    {sched.describe()}")
    if outcome.fired:
        print(f"    concurrent writers struck: {'; '.join(outcome.fired)}")
    for name in ("not_converged", *COUNTS):
        for line in getattr(outcome, name):
            print(f"    {name}: {line}")
    if outcome.emulator_trouble:
        print("    the EMULATOR reported errors (a harness problem, not the tool's):")
        print("\n".join(f"       | {line}" for line in _tail(outcome.emulator_trouble)))
    for run in outcome.runs:
        how = f"exit {run.code}" if run.code is not None else ("killed at the cap" if run.hung else
                                                                f"killed by {run.signalled}")
        if run.signalled and run.code is not None:
            how += f" after {run.signalled}"
        print(f"    -- {run.label} ({' '.join(run.args)}): {how}, {run.seconds:.1f}s")
        if everything or _offending(outcome, run.label):
            print("\n".join(f"       | {line}" for line in _tail(run.output)))


def _offending(outcome: Outcome, label: str) -> bool:
    lines: Iterable[str] = (*outcome.false_success, *outcome.unexpected, *outcome.hangs)
    return any(line.startswith(label) for line in lines) or (label == "plan" and not outcome.converged)


def _tail(output: str, lines: int = 30) -> list[str]:
    kept = output.rstrip().splitlines()
    return kept if len(kept) <= lines else ["...", *kept[-lines:]]


def _breakdown(outcomes: list[Outcome]) -> None:
    """Per fault kind: schedules that had it, and how many of those failed each way."""
    print("\nby fault kind (a schedule mixes 1-3 kinds; counts are schedules; faulty_exit1 is no invariant: the "
          "apply under faults gave up, which is right for perm-denied and lro-fail and a retry gap elsewhere):")
    print(f"  {'kind':<12} {'schedules':>9} {'converged':>9} " + " ".join(f"{n:>13}" for n in COUNTS)
          + f" {'faulty_exit1':>12}")
    for kind in KINDS:
        having = [o for o in outcomes if kind in o.schedule.kinds]
        if not having:
            continue
        counts = " ".join(f"{sum(1 for o in having if getattr(o, n)):>13}" for n in COUNTS)
        print(f"  {kind:<12} {len(having):>9} {sum(1 for o in having if o.converged):>9} {counts} "
              f"{sum(1 for o in having if o.faulty_failed):>12}")
    print("")


if __name__ == "__main__":
    sys.exit(main())
