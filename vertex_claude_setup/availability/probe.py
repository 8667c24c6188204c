"""Probe (model, location) pairs, all at once, and classify every answer.

The requests are the anthropic SDK's own (``gcp/rawpredict.py``: same path, host and body) over one aiohttp
pool, with a semaphore per Google host plus a global cap, so a whole matrix costs about one network round
trip and no SDK import. The default probe is the free
``count-tokens:rawPredict``; ``generate`` sends a real 1-token ``rawPredict``. Only transient
answers (5xx, 429, timeouts, connection errors) are retried, RetryInfo honoured; other 4xx answers are
facts, not blips. A 429 is QUOTA_EXHAUSTED only when it outlasts the retries. SERVICE_DISABLED from an API
this run saw ENABLED is propagation, waited out within the propagation deadline (``gcp/propagation.py``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from vertex_claude_setup.gcp import retry
from vertex_claude_setup.gcp.rawpredict import RawPredict
from vertex_claude_setup.gcp.retry import RetryPolicy, retry_delay_from
from vertex_claude_setup.gcp.session import vertex_host
from vertex_claude_setup.gcp.vertex import API as VERTEX_API

from .classify import Availability, Verdict, classify, parse_error_body

if TYPE_CHECKING:
    from vertex_claude_setup.gcp.session import GoogleApis

ProbeMode = Literal["count_tokens", "generate"]
PROBE_MODES: tuple[ProbeMode, ...] = ("count_tokens", "generate")
PROBE_MESSAGES = [{"role": "user", "content": "ping"}]
# Answers that cannot change while one command runs (the tool changes none of them): reused within it. Not
# API_DISABLED (apply enables the API), nor quota, permission, billing or transient answers.
LASTING_WITHIN_A_COMMAND = frozenset({Availability.AVAILABLE, Availability.NOT_SERVABLE_IN_REGION,
                                      Availability.NOT_FOUND_OR_NO_ACCESS, Availability.DATA_SHARING_REQUIRED,
                                      Availability.ORG_POLICY_BLOCKED})
# Latency hints in the same 10 ms band are ties: their pairs keep the caller's (model-major) interleaving.
LATENCY_BUCKET_MS = 10.0


@dataclass(frozen=True)
class Limits:
    """Concurrency and patience: per Google host, overall, per call, and attempts for transient answers."""

    per_host: int = 24
    total: int = 192
    timeout: float = 30.0
    attempts: int = 3


@dataclass(frozen=True)
class ProbeResult:
    """The classified answer for one (model, location), with what it cost."""

    model: str
    region: str
    verdict: Verdict
    latency_ms: float | None
    attempts: int
    probed_at: float
    cached: bool = False
    # Answered by a 1-token generate request after count-tokens was not served there (``--probe auto``).
    by_generate: bool = False

    @property
    def availability(self) -> Availability:
        return self.verdict.availability

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "region": self.region, **self.verdict.to_json(),
                "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 1),
                "attempts": self.attempts, "probed_at": self.probed_at, "cached": self.cached,
                **({"by_generate": True} if self.by_generate else {})}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ProbeResult:
        verdict = Verdict(Availability(raw["class"]), int(raw["http_status"]), str(raw["status"]),
                          str(raw["message"]), str(raw["fix"]), str(raw.get("permission", "")))
        return cls(raw["model"], raw["region"], verdict, raw.get("latency_ms"), int(raw.get("attempts", 1)),
                   float(raw["probed_at"]), bool(raw.get("cached", False)), bool(raw.get("by_generate", False)))

    def as_cached(self) -> ProbeResult:
        return replace(self, cached=True)


def _transient(verdict: Verdict) -> bool:
    """Worth another attempt: 5xx, timeouts, connection errors, and a 429 (a blip until it persists)."""
    if verdict.http_status == 429:
        return True
    return verdict.availability.transient and (verdict.http_status == 0 or verdict.http_status >= 500)


def _final(verdict: Verdict, tries: int, hinted: float | None, google: GoogleApis) -> Verdict:
    """The verdict after the last attempt, saying why retrying did not help where that matters."""
    if verdict.availability is Availability.QUOTA_EXHAUSTED and tries:
        why = (f"Google asked to retry in {hinted:g} s, past the retry deadline" if hinted is not None
               else "the retry budget is spent")
        return replace(verdict, message=f"{verdict.message} (still 429 after {tries} attempt(s): {why})")
    note = google.propagation.note(VERTEX_API) if verdict.availability is Availability.API_DISABLED else None
    if note is not None:
        return replace(verdict, message=verdict.message + note[0], fix=note[1])
    return verdict


class _Again(Exception):
    """A transient answer, raised so that api_core's retry loop tries again (with its RetryInfo delay)."""

    def __init__(self, hinted: float | None) -> None:
        super().__init__("transient answer")
        self.retry_after = hinted


def _again(exc: Exception) -> bool:
    return isinstance(exc, _Again)


def _network_error(kind: str, message: str, region: str) -> Verdict:
    return Verdict(Availability.ERROR, 0, kind, message,
                   f"check network access to {vertex_host(region)} (proxy, VPC Service Controls, or the "
                   "[endpoints] overrides), then retry")


async def _call_once(transport: RawPredict, mode: ProbeMode, project: str, model: str, region: str,
                     timeout: float) -> tuple[Verdict, float | None]:
    """One request, waiting at most ``timeout`` -> (verdict, RetryInfo delay if the error carried one)."""
    import aiohttp

    try:
        answer = await transport.send(project, region, model, mode, PROBE_MESSAGES, timeout)
    except asyncio.TimeoutError:
        return _network_error("DEADLINE_EXCEEDED", f"no answer within {timeout:g}s", region), None
    except aiohttp.ClientError as err:
        return _network_error("UNAVAILABLE", f"connection failed: {type(err).__name__}: {err}", region), None
    if answer.status < 400:
        return classify(200, None, project=project, model=model, region=region), None
    verdict = classify(answer.status, answer.body, project=project, model=model, region=region)
    return verdict, retry_delay_from(parse_error_body(answer.body).get("details"))


def slowest_first(pairs: Sequence[tuple[str, str]], latency_ms: Mapping[str, float]) -> list[tuple[str, str]]:
    """``pairs`` in dispatch order: the locations that answered slowest last time leave first.

    Probes leave ~0.5 ms apart, so a batch ends when the farthest location's last probe comes back:
    sent last, its whole round trip is added to the dispatch spread; sent first, it overlaps it.
    A location with no hint may be far, so it goes first. Ties keep the caller's order.
    """
    def key(pair: tuple[str, str]) -> float:
        hint = latency_ms.get(pair[1])
        return -math.inf if hint is None else -math.floor(hint / LATENCY_BUCKET_MS)

    return sorted(pairs, key=key)


@contextlib.contextmanager
def quiet_gc() -> Iterator[None]:
    """No automatic garbage collection while a burst of probes is in flight.

    With the SDKs and Google clients loaded the heap holds ~10^6 objects: a collection set off by the
    burst's garbage scans them (a full one ~100 ms, half a round trip; a young one that meets freshly
    imported modules ~60 ms) while every request waits. So collection pauses for the burst (its garbage
    is a few MB even for 1,000 probes) and what existed before it goes through ``gc.freeze``: on
    ``gc.unfreeze`` it lands in the oldest generation, out of reach of the young collections after. What
    the burst made goes there too (frozen again just before): the first young collection would otherwise scan
    all of it at once (~25 ms after 774 probes); it waits for the next full collection instead.
    A caller that paused or froze collection itself is left as it was.
    """
    import gc

    if not gc.isenabled():
        yield
        return
    freeze = not gc.get_freeze_count()
    if freeze:
        gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        gc.enable()
        if freeze:
            gc.unfreeze()


class Prober:
    """Runs probes for one project with shared clients and semaphores (use inside one event loop)."""

    def __init__(self, google: GoogleApis, project: str, mode: ProbeMode = "count_tokens",
                 limits: Limits | None = None) -> None:
        self.google = google
        self.project = project
        self.mode = mode
        self.limits = limits or Limits()
        self.policy = RetryPolicy.from_env()
        self._transport = RawPredict(google)
        # Answers shared by every prober of this command, across threads (plan's availability and logging
        # steps read concurrently and ask alike).
        self._answers: dict[tuple[str, str, str, str], concurrent.futures.Future[ProbeResult]] = google.per_command(
            "probe-answers", dict)
        self._lock: threading.Lock = google.per_command("probe-answers-lock", threading.Lock)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._total = asyncio.Semaphore(self.limits.total)

    def _host_gate(self, region: str) -> asyncio.Semaphore:
        host = vertex_host(region)
        if host not in self._hosts:
            self._hosts[host] = asyncio.Semaphore(self.limits.per_host)
        return self._hosts[host]

    async def probe(self, model: str, region: str) -> ProbeResult:
        """Probe one pair, once per command: an answer another step of this command is waiting for, or had
        and cannot change (``LASTING_WITHIN_A_COMMAND``), is shared instead of asked again."""
        key = (self.mode, self.project, model, region)
        with self._lock:
            shared = self._answers.get(key)
            if shared is None:
                mine: concurrent.futures.Future[ProbeResult] = concurrent.futures.Future()
                self._answers[key] = mine
        if shared is not None:
            return await asyncio.wrap_future(shared)
        try:
            result = await self._probe(model, region)
        except BaseException as exc:
            with self._lock:
                self._answers.pop(key, None)
            mine.set_exception(exc)
            raise
        if result.availability not in LASTING_WITHIN_A_COMMAND:
            with self._lock:
                self._answers.pop(key, None)
        mine.set_result(result)
        return result

    async def _probe(self, model: str, region: str) -> ProbeResult:
        """Probe one pair; transient answers are retried by the one policy (api_core's async retry loop:
        jittered backoff, RetryInfo honoured, at most ``limits.attempts``), all within one deadline; a
        SERVICE_DISABLED while the API is propagating is waited out within the propagation deadline."""
        gate = self._host_gate(region)
        answers: list[tuple[Verdict, float, float | None]] = []

        async def attempt() -> None:
            async with self._total, gate:
                await self.google.athrottle(VERTEX_API)  # fleet runs: a slot of the Vertex AI rate limit
                began = time.monotonic()
                timeout = retry.attempt_timeout(self.limits.timeout)
                verdict, hinted = await _call_once(self._transport, self.mode, self.project, model, region, timeout)
                answers.append((verdict, (time.monotonic() - began) * 1000, hinted))
            if _transient(verdict):
                if hinted is not None:  # RetryInfo (a per-minute rate limit): every probe on this bucket waits
                    self.google.retry_after(VERTEX_API, hinted)
                raise _Again(hinted)

        disabled = 0
        while True:
            with contextlib.suppress(_Again):
                await retry.call_async(attempt, retry_if=_again, attempts=self.limits.attempts, policy=self.policy)
            if answers[-1][0].availability is not Availability.API_DISABLED:
                break
            disabled += 1  # propagating only if this run saw the API ENABLED; else None at once
            wait = self.google.propagation.next_wait(VERTEX_API, disabled)
            if wait is None:
                break
            await asyncio.sleep(wait)
        verdict, latency, hinted = answers[-1]
        tries = sum(_transient(v) for v, _, _ in answers)
        # A RetryInfo delay the deadline could not wait for: the loop stopped before its attempts ran out.
        too_long = hinted if _transient(verdict) and hinted is not None and tries < self.limits.attempts else None
        verdict = _final(verdict, tries, too_long, self.google)
        return ProbeResult(model, region, verdict, latency if verdict.http_status else None, len(answers),
                           time.time())

    async def dispatch(self, pairs: Sequence[tuple[str, str]],
                       on_result: Callable[[ProbeResult], None] | None = None) -> list[asyncio.Task[ProbeResult]]:
        """Start a probe per pair, one per event-loop turn; returns their tasks in the order of ``pairs``.

        One per turn puts each request on the wire as soon as the SDK has built it (~0.7 ms of CPU).
        Started all at once, every task builds its request before any is sent: the whole matrix then
        leaves together at the end, comes back together, and its answers queue for the CPU.
        """

        async def one(model: str, region: str) -> ProbeResult:
            result = await self.probe(model, region)
            if on_result is not None:
                on_result(result)
            return result

        tasks: list[asyncio.Task[ProbeResult]] = []
        try:
            for model, region in pairs:
                tasks.append(asyncio.create_task(one(model, region)))
                await asyncio.sleep(0)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        return tasks

    async def probe_all(self, pairs: Sequence[tuple[str, str]],
                        on_result: Callable[[ProbeResult], None] | None = None) -> list[ProbeResult]:
        """Probe every pair concurrently; results in the order of ``pairs``."""
        return list(await asyncio.gather(*await self.dispatch(pairs, on_result)))

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._transport.aclose()

    async def __aenter__(self) -> Prober:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def probe_pairs(google: GoogleApis, project: str, pairs: Sequence[tuple[str, str]], *,
                mode: ProbeMode = "count_tokens", limits: Limits | None = None,
                on_result: Callable[[ProbeResult], None] | None = None) -> list[ProbeResult]:
    """Synchronous entry point: probe ``pairs`` in a fresh event loop."""

    async def run() -> list[ProbeResult]:
        async with Prober(google, project, mode, limits) as prober:
            with quiet_gc():
                return await prober.probe_all(pairs, on_result)

    return asyncio.run(run())
