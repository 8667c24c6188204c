"""Run one command over every project of a fleet: bounded concurrency, isolation, results kept as they land.

``concurrency`` projects run at once, each with its own config and a ``GoogleApis`` sharing the run's
credentials and rate limits: in worker threads (``run_projects``), or as coroutines on one event loop
(``run_projects_async``, for the audit's probes: one loop sends them when their slot comes, where a
loop per thread would wait for the interpreter lock and leave late, bunched). A project's requests wait
for their API's slots in arrival order (``gcp.ratelimit``), so with a bounded number of projects in
flight every one of them moves on. A project that fails, for any reason, is an error row and the
others go on.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vertex_claude_setup.errors import SetupError

from .report import FleetReport, ProjectResult
from .selection import Fleet, Target
from .tasks import COLUMNS, SUMMARIZE

if TYPE_CHECKING:
    from vertex_claude_setup.config import Config
    from vertex_claude_setup.gcp.ratelimit import RateLimiter
    from vertex_claude_setup.gcp.session import GoogleApis

    from .configs import FleetConfigs
    from .store import ResultStore

HEAD_START_S = 0.5  # the first project's, before the others start
STAGGER_S = 0.02  # between the first projects' starts on the event loop
Work = Callable[["GoogleApis", "Config", Target], ProjectResult]
AsyncWork = Callable[["GoogleApis", "Config", Target], Awaitable[ProjectResult]]
OnDone = Callable[[ProjectResult, int, int], None]


@dataclass(frozen=True)
class Progress:
    """Where a run stands: done of total, and the estimated time left from the pace so far."""

    done: int
    total: int
    elapsed_s: float
    resumed: int = 0  # of ``done``, taken from a previous attempt: they say nothing about this run's pace

    @property
    def eta_s(self) -> float | None:
        fresh = self.done - self.resumed
        return None if fresh <= 0 else self.elapsed_s / fresh * (self.total - self.done)

    def line(self) -> str:
        eta = "ETA --:--" if self.eta_s is None else f"ETA {int(self.eta_s) // 60:02d}:{int(self.eta_s) % 60:02d}"
        return f"{self.done}/{self.total} projects · {eta}"


class ProjectRun:
    """One project's run, shared by both runners: its config and Google access, any failure as its error row
    (never the run's), then its time and place in the hierarchy."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.started = time.monotonic()
        self.google: GoogleApis | None = None
        self.result: ProjectResult | None = None

    def open(self, root: GoogleApis, configs: FleetConfigs) -> tuple[GoogleApis, Config]:
        cfg = configs.for_project(self.target.project)
        self.google = root.for_project(cfg)
        return self.google, cfg

    def __enter__(self) -> ProjectRun:
        return self

    def __exit__(self, _kind: object, exc: BaseException | None, _tb: object) -> bool:
        if self.google is not None:
            self.google.close()
        if isinstance(exc, Exception):
            self.result = _failed(self.target, exc)
            return True
        return False

    def row(self) -> ProjectResult:
        assert self.result is not None  # set by the work or by __exit__
        self.result.elapsed_s = time.monotonic() - self.started
        self.result.parent, self.result.labels = self.target.parent, dict(self.target.labels)
        return self.result


def guarded(work: Work, root: GoogleApis, configs: FleetConfigs, target: Target) -> ProjectResult:
    """``work`` for one project; any failure becomes that project's error row, never the run's."""
    with ProjectRun(target) as run:
        run.result = work(*run.open(root, configs), target)
    return run.row()


async def guarded_async(work: AsyncWork, root: GoogleApis, configs: FleetConfigs, target: Target) -> ProjectResult:
    """``guarded`` for a coroutine ``work``."""
    with ProjectRun(target) as run:
        run.result = await work(*run.open(root, configs), target)
    return run.row()


def _failed(target: Target, exc: BaseException) -> ProjectResult:
    if isinstance(exc, SetupError):
        return ProjectResult(target.project, "error", exc.message, error=exc.message, hint=exc.hint)
    message = f"unexpected {type(exc).__name__}: {exc}"  # one project's surprise must not end the run
    return ProjectResult(target.project, "error", message, error=message,
                         hint="re-run this project alone with VERTEX_CLAUDE_DEBUG=1 and report the traceback")


def _resumed(targets: Sequence[Target], store: ResultStore | None) -> tuple[dict[str, ProjectResult], list[Target]]:
    """(the rows a previous attempt finished, keyed by project; the targets still to run, in order)."""
    previous = store.done() if store is not None else {}
    rows = {t.project: previous[t.project] for t in targets if t.project in previous}
    return rows, [t for t in targets if t.project not in rows]


def run_projects_async(targets: Sequence[Target], work: AsyncWork, root: GoogleApis, configs: FleetConfigs, *,
                       concurrency: int, store: ResultStore | None = None,
                       on_done: OnDone | None = None) -> tuple[list[ProjectResult], int]:
    """``run_projects`` with coroutines on one event loop; projects start in target order."""
    rows, pending = _resumed(targets, store)
    total, resumed = len(targets), len(rows)

    async def main() -> None:
        gate = asyncio.Semaphore(max(1, concurrency))  # FIFO: projects start in order
        # Blocking reads the coroutines hand to threads (the audit's quota read) run one at a time, and
        # the loop takes the interpreter lock back from it within a millisecond: a pool of readers taking
        # it in 5 ms turns would hold the loop's requests back ~100 ms, and they would reach Google bunched.
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=1,
                                                                           thread_name_prefix="fleet-io"))
        settle_heap()

        async def one(target: Target) -> None:
            async with gate:
                result = await guarded_async(work, root, configs, target)
            rows[result.project] = result
            if store is not None:
                store.add(result)
            if on_done is not None:
                on_done(result, len(rows), total)

        tasks = [asyncio.create_task(one(t)) for t in pending[:1]]
        if tasks:
            # The first project starts alone: its first requests pay the libraries' one-time costs (~100 ms
            # of lazy imports in the SDK's HTTP stack) before any other project's slots come due.
            await asyncio.wait(tasks, timeout=HEAD_START_S)
        for i, target in enumerate(pending[1:]):
            tasks.append(asyncio.create_task(one(target)))
            if i < concurrency:  # fill the slots one by one: setting up a project is work for the loop too
                await asyncio.sleep(STAGGER_S)
        await asyncio.gather(*tasks)

    switch = sys.getswitchinterval()
    sys.setswitchinterval(0.001)
    try:
        asyncio.run(main())
    finally:
        sys.setswitchinterval(switch)
    return [rows[t.project] for t in targets], resumed


def settle_heap() -> None:
    """Set the start-up heap (client libraries, SDKs: ~10^6 objects) aside from the garbage collector.

    Otherwise every full collection during a long run scans all of it (~100 ms): requests whose slot
    came during that pause leave together right after it, bunched into one quota window.
    """
    import gc

    gc.collect()
    gc.freeze()


def run_projects(targets: Sequence[Target], work: Work, root: GoogleApis, configs: FleetConfigs, *,
                 concurrency: int, store: ResultStore | None = None,
                 on_done: OnDone | None = None) -> tuple[list[ProjectResult], int]:
    """Every target's row, in target order, and how many came from a previous attempt (``--resume``)."""
    rows, pending = _resumed(targets, store)
    total, resumed = len(targets), len(rows)
    settle_heap()
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="fleet")
    queue = list(reversed(pending))
    running: dict[Future[ProjectResult], Target] = {}
    try:
        while queue or running:
            # Submit only what can start now: an interruption then leaves nothing queued to drain.
            while queue and len(running) < max(1, concurrency):
                target = queue.pop()
                running[pool.submit(guarded, work, root, configs, target)] = target
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                running.pop(future)
                result = future.result()
                rows[result.project] = result
                if store is not None:
                    store.add(result)
                if on_done is not None:
                    on_done(result, len(rows), total)
    finally:
        pool.shutdown(wait=not queue and not running, cancel_futures=True)
    return [rows[t.project] for t in targets], resumed


def report(command: str, fleet: Fleet, rows: list[ProjectResult], *, elapsed_s: float, resumed: int = 0,
           limiter: RateLimiter | None = None) -> FleetReport:
    """The fleet report of a finished run, with the command's aggregates and the request rates achieved."""
    usage = {}
    if limiter is not None:
        usage = {api: {"requests": u.requests, "per_second": round(u.per_second(), 2),
                       "waited_s": round(u.waited_s, 2), "paused": u.paused}
                 for api, u in sorted(limiter.usage.items())}
    return FleetReport(command, COLUMNS[command], rows, list(fleet.skipped), list(fleet.unreadable),
                       SUMMARIZE[command](rows), usage, elapsed_s=elapsed_s, resumed=resumed)
