"""Probe (model, location) pairs through the real anthropic SDK, all at once, and classify every answer.

One ``AsyncAnthropicVertex`` per location, a semaphore per Google host plus a global cap, so a
whole matrix costs about one network round trip. The default probe is the free
``count-tokens:rawPredict``; ``generate`` sends a real 1-token ``rawPredict``. Only transient
answers (5xx, timeouts, connection errors) are retried; 4xx answers are facts, not blips.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from vertex_claude_setup.gcp.retry import Backoff, RetryPolicy, retry_delay_from
from vertex_claude_setup.gcp.session import VERTEX_ANTHROPIC_VERSION, vertex_host

from .classify import Availability, Verdict, classify, parse_error_body

if TYPE_CHECKING:
    from vertex_claude_setup.gcp.session import GoogleApis

ProbeMode = Literal["count_tokens", "generate"]
PROBE_MODES: tuple[ProbeMode, ...] = ("count_tokens", "generate")
PROBE_MESSAGES = [{"role": "user", "content": "ping"}]
COUNT_TOKENS_PATH = "/v1/messages/count_tokens"
VERTEX_API = "aiplatform.googleapis.com"
# A probe's connection carries one request: closing it with its answer spreads the teardown over
# the audit instead of leaving a hundred sockets to close at the end.
ONE_SHOT = {"Connection": "close"}
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

    @property
    def availability(self) -> Availability:
        return self.verdict.availability

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "region": self.region, **self.verdict.to_json(),
                "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 1),
                "attempts": self.attempts, "probed_at": self.probed_at, "cached": self.cached}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ProbeResult:
        verdict = Verdict(Availability(raw["class"]), int(raw["http_status"]), str(raw["status"]),
                          str(raw["message"]), str(raw["fix"]), str(raw.get("permission", "")))
        return cls(raw["model"], raw["region"], verdict, raw.get("latency_ms"), int(raw.get("attempts", 1)),
                   float(raw["probed_at"]), bool(raw.get("cached", False)))

    def as_cached(self) -> ProbeResult:
        return replace(self, cached=True)


def _transient(verdict: Verdict) -> bool:
    return verdict.availability.transient and (verdict.http_status == 0 or verdict.http_status >= 500)


def _network_error(kind: str, message: str, region: str) -> Verdict:
    return Verdict(Availability.ERROR, 0, kind, message,
                   f"check network access to {vertex_host(region)} (proxy, VPC Service Controls, or the "
                   "[endpoints] overrides), then retry")


async def _call_once(client: Any, mode: ProbeMode, project: str, model: str, region: str,
                     timeout: float) -> tuple[Verdict, float | None]:
    """One SDK call -> (verdict, RetryInfo delay if the error carried one)."""
    import anthropic

    try:
        if mode == "count_tokens":
            # The SDK's low-level call sends the request ``messages.count_tokens`` sends (the Vertex
            # client maps the path to count-tokens:rawPredict) without building a typed result nobody
            # reads: ~15% less CPU per probe. The body names Vertex's documented anthropic_version
            # instead of the SDK's default (2026-10-21 in anthropic 2.12).
            await client.post(COUNT_TOKENS_PATH, body={"anthropic_version": VERTEX_ANTHROPIC_VERSION,
                                                       "model": model, "messages": PROBE_MESSAGES},
                              cast_to=_raw_response(), options={"headers": ONE_SHOT})
        else:
            await client.messages.create(model=model, max_tokens=1, messages=PROBE_MESSAGES,
                                         extra_body={"anthropic_version": VERTEX_ANTHROPIC_VERSION},
                                         extra_headers=ONE_SHOT)
    except anthropic.APIStatusError as err:
        # The SDK has decoded the body already (JSON value, else its text; read as smoke.py does):
        # classify and the RetryInfo lookup reuse it instead of each parsing the bytes again.
        body = err.body if err.body is not None else err.response.text
        verdict = classify(err.status_code, body, project=project, model=model, region=region)
        return verdict, retry_delay_from(parse_error_body(body).get("details"))
    except anthropic.APITimeoutError:
        return _network_error("DEADLINE_EXCEEDED", f"no answer within {timeout:g}s", region), None
    except anthropic.APIConnectionError as err:
        cause = err.__cause__ or err
        return _network_error("UNAVAILABLE", f"connection failed: {type(cause).__name__}: {cause}", region), None
    return classify(200, None, project=project, model=model, region=region), None


def _raw_response() -> Any:
    """``cast_to`` for an undecoded answer: the SDK's own HTTP library's Response class."""
    import httpx2

    return httpx2.Response


def _pool_class() -> tuple[Any, bool]:
    """The SDK's aiohttp transport when installed (``anthropic[aiohttp]``: ~30% less CPU per call),
    else its httpx one; and whether one pool may serve every host."""
    import anthropic

    try:
        import aiohttp  # noqa: F401
    except ImportError:
        return anthropic.DefaultAsyncHttpxClient, False
    return anthropic.DefaultAioHttpClient, True


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
    ``gc.unfreeze`` it lands in the oldest generation, out of reach of the young collections after.
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
        self._clients: dict[str, Any] = {}
        self._pools: dict[str, Any] = {}
        self._tls: dict[bool, Any] = {}
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._total = asyncio.Semaphore(self.limits.total)

    def _tls_context(self, secure: bool) -> Any:
        """The TLS context of the pools, made once per prober.

        For ``https`` the verifying default (its trust store costs ~25 ms of CPU to load). A plain
        ``http`` target (the emulator, a local gateway) never does TLS, so it gets a context that
        verifies against an empty trust store: free to make, and failing closed were it ever used.
        """
        import ssl

        if secure not in self._tls:
            if secure:
                import httpx2

                self._tls[secure] = httpx2.create_ssl_context()
            else:
                self._tls[secure] = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        return self._tls[secure]

    def _client(self, region: str) -> Any:
        """The region's SDK client, on a shared connection pool."""
        if region not in self._clients:
            secure = self.google.claude_base_url(region).startswith("https://")
            pool_class, shared = _pool_class()
            # aiohttp keys its connections by host, so one pool serves every host (each pool costs
            # ~0.3 ms to start). httpcore scans every pooled connection per request: a pool per host.
            key = str(secure) if shared else vertex_host(region)
            if key not in self._pools:
                self._pools[key] = pool_class(verify=self._tls_context(secure), timeout=self.limits.timeout)
            self._clients[region] = self.google.anthropic_client(region, asynchronous=True, max_retries=0,
                                                                 timeout=self.limits.timeout,
                                                                 http_client=self._pools[key])
        return self._clients[region]

    def _host_gate(self, region: str) -> asyncio.Semaphore:
        host = vertex_host(region)
        if host not in self._hosts:
            self._hosts[host] = asyncio.Semaphore(self.limits.per_host)
        return self._hosts[host]

    async def probe(self, model: str, region: str) -> ProbeResult:
        """Probe one pair; transient answers are retried with jittered backoff within the deadline."""
        client, gate = self._client(region), self._host_gate(region)
        backoff = Backoff(self.policy)
        attempt = 0
        while True:
            attempt += 1
            async with self._total, gate:
                await self.google.athrottle(VERTEX_API)  # fleet runs: a slot of the Vertex AI rate limit
                began = time.monotonic()
                verdict, hinted = await _call_once(client, self.mode, self.project, model, region,
                                                   self.limits.timeout)
                latency = (time.monotonic() - began) * 1000
            # RetryInfo means "retry after this delay" (a per-minute rate limit, say): honoured like a blip.
            if not (_transient(verdict) or hinted is not None) or attempt >= self.limits.attempts:
                break
            wait = backoff.next_wait(hinted)
            if wait is None:
                break
            if hinted is not None:
                self.google.retry_after(VERTEX_API, wait)  # every probe on this bucket waits, not just this one
            await asyncio.sleep(wait)
        return ProbeResult(model, region, verdict, latency if verdict.http_status else None, attempt, time.time())

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
        """Close the connection pools (the region clients only wrap them)."""
        self._clients.clear()
        await asyncio.gather(*(pool.aclose() for pool in self._pools.values()))
        self._pools.clear()

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
