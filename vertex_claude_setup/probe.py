"""Probe (model, location) pairs through the real anthropic SDK, all at once, and classify every answer.

One ``AsyncAnthropicVertex`` per location, a semaphore per Google host plus a global cap, so a
whole matrix costs about one network round trip. The default probe is the free
``count-tokens:rawPredict``; ``generate`` sends a real 1-token ``rawPredict``. Only transient
answers (5xx, timeouts, connection errors) are retried; 4xx answers are facts, not blips.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from .availability import Availability, Verdict, classify, parse_error_body
from .gcp.retry import Backoff, RetryPolicy, retry_delay_from
from .gcp.session import vertex_host

if TYPE_CHECKING:
    from .gcp.session import GoogleApis

ProbeMode = Literal["count_tokens", "generate"]
PROBE_MODES: tuple[ProbeMode, ...] = ("count_tokens", "generate")
VERTEX_ANTHROPIC_VERSION = "vertex-2023-10-16"
PROBE_MESSAGES = [{"role": "user", "content": "ping"}]


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
            await client.messages.count_tokens(model=model, messages=PROBE_MESSAGES)
        else:
            await client.messages.create(model=model, max_tokens=1, messages=PROBE_MESSAGES,
                                         extra_body={"anthropic_version": VERTEX_ANTHROPIC_VERSION})
    except anthropic.APIStatusError as err:
        body = err.response.content
        verdict = classify(err.status_code, body, project=project, model=model, region=region)
        return verdict, retry_delay_from(parse_error_body(body).get("details"))
    except anthropic.APITimeoutError:
        return _network_error("DEADLINE_EXCEEDED", f"no answer within {timeout:g}s", region), None
    except anthropic.APIConnectionError as err:
        cause = err.__cause__ or err
        return _network_error("UNAVAILABLE", f"connection failed: {type(cause).__name__}: {cause}", region), None
    return classify(200, None, project=project, model=model, region=region), None


def _pool_class() -> Any:
    """The SDK's aiohttp transport when installed (``anthropic[aiohttp]``: ~30% less CPU per call), else httpx."""
    import anthropic

    try:
        import aiohttp  # noqa: F401
    except ImportError:
        return anthropic.DefaultAsyncHttpxClient
    return anthropic.DefaultAioHttpClient


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
        self._tls: Any = None
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._total = asyncio.Semaphore(self.limits.total)

    def _client(self, region: str) -> Any:
        """The region's SDK client, on its host's connection pool (pools share one TLS context)."""
        import httpx2

        if self._tls is None:
            self._tls = httpx2.create_ssl_context()  # ~40 ms of CPU: build it once, not per host
        host = vertex_host(region)
        if host not in self._pools:
            # A pool per host: httpcore scans every pooled connection per request, so one shared
            # pool for a hundred connections costs more CPU than the whole probe.
            self._pools[host] = _pool_class()(verify=self._tls, timeout=self.limits.timeout)
        if region not in self._clients:
            self._clients[region] = self.google.anthropic_client(region, asynchronous=True, max_retries=0,
                                                                 timeout=self.limits.timeout,
                                                                 http_client=self._pools[host])
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
                began = time.monotonic()
                verdict, hinted = await _call_once(client, self.mode, self.project, model, region,
                                                   self.limits.timeout)
                latency = (time.monotonic() - began) * 1000
            if not _transient(verdict) or attempt >= self.limits.attempts:
                break
            wait = backoff.next_wait(hinted)
            if wait is None:
                break
            await asyncio.sleep(wait)
        return ProbeResult(model, region, verdict, latency if verdict.http_status else None, attempt, time.time())

    async def probe_all(self, pairs: Sequence[tuple[str, str]],
                        on_result: Callable[[ProbeResult], None] | None = None) -> list[ProbeResult]:
        """Probe every pair concurrently; results in the order of ``pairs``."""

        async def one(model: str, region: str) -> ProbeResult:
            result = await self.probe(model, region)
            if on_result is not None:
                on_result(result)
            return result

        return list(await asyncio.gather(*(one(m, r) for m, r in pairs)))

    async def aclose(self) -> None:
        """Close the connection pools (the region clients only wrap them)."""
        self._clients.clear()
        await asyncio.gather(*(pool.aclose() for pool in self._pools.values()))
        self._pools.clear()


def probe_pairs(google: GoogleApis, project: str, pairs: Sequence[tuple[str, str]], *,
                mode: ProbeMode = "count_tokens", limits: Limits | None = None,
                on_result: Callable[[ProbeResult], None] | None = None) -> list[ProbeResult]:
    """Synchronous entry point: probe ``pairs`` in a fresh event loop."""

    async def run() -> list[ProbeResult]:
        prober = Prober(google, project, mode, limits)
        try:
            return await prober.probe_all(pairs, on_result)
        finally:
            await prober.aclose()

    return asyncio.run(run())
