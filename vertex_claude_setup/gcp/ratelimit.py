"""Client-side rate limits per Google API and consumer project, so a fleet run stays under Google's quotas.

Google enforces request quotas per minute per *consumer project*: for client-based APIs (Resource
Manager, Service Usage, Cloud Quotas, Cloud Billing) that is the caller's quota project, shared by every
target project of a fleet run; for resource-based ones (Vertex AI, BigQuery, Cloud Logging) it is the
project the request is about. Each (API, quota kind, consumer) gets a token bucket sized from Google's
published per-minute quota; ``--max-qps`` replaces that for an API by one bucket for the whole run.

A bucket runs at ``HEADROOM`` of its quota (less for short windows: the rest must absorb ``JITTER_S``
of delay between letting a request go and its arrival), so no window of the quota's length ever holds
more than the quota when the requests reach Google. It is kept as a
reservation schedule (GCRA, the token bucket's equivalent): each caller is given the next free slot
under a lock and then waits for it, so waiting callers are served in arrival order and none starves.
A 429 with ``RetryInfo`` pauses the bucket it came from for the delay Google asked for.
"""

from __future__ import annotations

import asyncio
import collections
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

HEADROOM = 0.95  # a bucket runs at most this share of its quota
JITTER_S = 0.1  # how late a request may reach Google after it was let go (event-loop and interpreter-lock stalls)


@dataclass(frozen=True)
class Quota:
    """A request quota: ``limit`` requests per ``window_s`` seconds, and where the number comes from."""

    limit: float
    window_s: float = 60.0
    source: str = ""

    @property
    def per_second(self) -> float:
        return self.limit / self.window_s


RM, SU, VERTEX = "cloudresourcemanager.googleapis.com", "serviceusage.googleapis.com", "aiplatform.googleapis.com"
# (API, kind) -> Google's default per-minute quota per consumer project. "(unconfirmed)" marks a number
# not found on a Google page: it is this tool's conservative guess; --max-qps overrides it.
PUBLISHED: dict[tuple[str, str], Quota] = {
    (RM, "read"): Quota(600, source="Resource Manager limits: v3 list and read operations, 600/min"),
    (RM, "search"): Quota(240, source="Resource Manager limits: v3 search operations, 240/min"),
    (RM, "write"): Quota(600, source="Resource Manager limits: write operations, 600/min"),
    (SU, "read"): Quota(240, source="Service Usage quotas: read-only calls, 240/min"),
    (SU, "write"): Quota(60, source="Service Usage quotas: enable, disable and batchEnable, 60/min"),
    (VERTEX, "all"): Quota(600, source="Vertex AI resource management requests per minute per region, 600 "
                                       "(unconfirmed for count-tokens)"),
    ("cloudquotas.googleapis.com", "all"): Quota(600, source="(unconfirmed)"),
    ("cloudbilling.googleapis.com", "all"): Quota(300, source="(unconfirmed)"),
    ("bigquery.googleapis.com", "all"): Quota(6000, source="BigQuery API requests per user per method, 100/s"),
    ("logging.googleapis.com", "all"): Quota(600, source="(unconfirmed)"),
}
CLIENT_BASED = frozenset({RM, SU, "cloudquotas.googleapis.com", "cloudbilling.googleapis.com"})
APIS = frozenset({api for api, _kind in PUBLISHED} | {"orgpolicy.googleapis.com"})  # every API the tool calls
MAX_QPS_RANGE = (0.01, 100_000.0)  # one request per 100 s .. far beyond any quota: the waits stay finite
_READ_VERBS = (":getIamPolicy", ":testIamPermissions")
_SU_WRITES = (":enable", ":disable", ":batchEnable")


def kind_of(api: str, method: str, url: str) -> str:
    """Which of the API's quotas a request counts against (Google publishes separate ones for a few)."""
    path = url.split("?", 1)[0]
    if api == RM:
        if path.endswith(":search"):
            return "search"
        return "read" if method.upper() == "GET" or path.endswith(_READ_VERBS) else "write"
    if api == SU:
        return "write" if method.upper() == "POST" and path.endswith(_SU_WRITES) else "read"
    return "all"


def parse_max_qps(values: tuple[str, ...] | list[str]) -> dict[str, float]:
    """``--max-qps 100`` (every API) or ``--max-qps aiplatform.googleapis.com=100`` -> {api or "*": rate}."""
    from vertex_claude_setup.errors import ConfigError

    low, high = MAX_QPS_RANGE
    out: dict[str, float] = {}
    for value in values:
        api, sep, rate = value.rpartition("=")
        try:
            qps = float(rate)
        except ValueError:
            qps = math.nan
        if not low <= qps <= high:  # NaN fails too
            raise ConfigError(f"--max-qps {value!r}: the rate must be a number of requests per second from {low:g} "
                              f"to {high:g}", "e.g. --max-qps 50, or --max-qps aiplatform.googleapis.com=100")
        api = api.strip()
        if sep and api not in APIS:
            raise ConfigError(f"--max-qps {value!r}: '{api}' is not an API this tool calls",
                              f"name one of {', '.join(sorted(APIS))}, or give a rate alone for every API")
        out[api if sep else "*"] = qps
    return out


class _Bucket:
    """A token bucket as a reservation schedule (GCRA): ``rate`` per second, bursts of ``burst``.

    The schedule spaces requests out; ``admit`` then guards the moment they really leave: a thread that
    woke late must not leave together with the ones scheduled after it, so at most ``ceiling`` requests
    leave in any window of the quota's length (the rest of the quota absorbs the jitter on the way to
    Google).
    """

    def __init__(self, quota: Quota) -> None:
        share = min(HEADROOM, 1 - JITTER_S / quota.window_s)
        self.rate = share * quota.per_second
        self.burst = max(1, math.floor((1 - share) * quota.limit) - 1)
        if quota.window_s <= 1:  # a per-second cap gains nothing from bursts, and bursts meet stalls badly
            self.burst = min(self.burst, 2)
        self.interval = 1.0 / self.rate
        self.tolerance = (self.burst - 1) * self.interval
        self.tat = -math.inf  # theoretical arrival time of the next request
        self.window = quota.window_s
        self.ceiling = max(1, math.floor(share * quota.limit))
        self.sent: collections.deque[float] = collections.deque()

    def reserve(self, now: float) -> float:
        """The time the caller may send at; the slot is taken."""
        at = max(now, self.tat - self.tolerance)
        self.tat = max(self.tat, at) + self.interval
        return at

    def admit(self, now: float) -> float:
        """0 when a request may leave now (it is counted), else how long to wait first."""
        while self.sent and self.sent[0] <= now - self.window:
            self.sent.popleft()
        if len(self.sent) >= self.ceiling:
            return max(self.sent[0] + self.window - now, 1e-6)  # never 0: 0 means "admitted"
        self.sent.append(now)
        return 0.0

    def pause(self, until: float) -> None:
        self.tat = max(self.tat, until + self.tolerance)


@dataclass
class Usage:
    """What went through one API: requests, the time spent waiting for slots, first and last send."""

    requests: int = 0
    waited_s: float = 0.0
    first: float = math.inf
    last: float = -math.inf
    paused: int = 0

    def per_second(self) -> float:
        """Requests per second between the first and the last, over at least one second."""
        return self.requests / max(1.0, self.last - self.first) if self.requests else 0.0


@dataclass
class RateLimiter:
    """Every bucket of a run; thread-safe, usable from threads and from any event loop."""

    max_qps: Mapping[str, float] = field(default_factory=dict)
    quotas: Mapping[tuple[str, str], Quota] = field(default_factory=lambda: dict(PUBLISHED))
    clock: Callable[[], float] = time.monotonic
    usage: dict[str, Usage] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str, str], _Bucket] = {}

    def _bucket(self, api: str, kind: str, consumer: str) -> _Bucket | None:
        cap = self.max_qps.get(api, self.max_qps.get("*"))
        if cap is not None:  # one bucket for the whole run, every kind and consumer together
            key, quota = (api, "*", "*"), Quota(cap, 1.0, "--max-qps")
        else:
            found = self.quotas.get((api, kind)) or self.quotas.get((api, "all"))
            if found is None:
                return None
            key, quota = (api, kind, consumer), found
        if key not in self._buckets:
            self._buckets[key] = _Bucket(quota)
        return self._buckets[key]

    def reserve(self, api: str, consumer: str, kind: str = "all") -> float:
        """Seconds the caller must wait for its slot in the schedule (the slot is taken now)."""
        now = self.clock()
        with self._lock:
            bucket = self._bucket(api, kind, consumer)
            at = now if bucket is None else bucket.reserve(now)
        return at - now

    def admit(self, api: str, consumer: str, kind: str = "all") -> float:
        """0 when the request may leave now (and it is counted as sent), else seconds to wait first."""
        now = self.clock()
        with self._lock:
            bucket = self._bucket(api, kind, consumer)
            wait = 0.0 if bucket is None else bucket.admit(now)
            if wait <= 0:
                used = self.usage.setdefault(api, Usage())
                used.requests += 1
                used.first, used.last = min(used.first, now), max(used.last, now)
        return wait

    def _waited(self, api: str, seconds: float) -> None:
        with self._lock:
            self.usage.setdefault(api, Usage()).waited_s += seconds

    def acquire(self, api: str, consumer: str, kind: str = "all") -> None:
        """Block until this request may be sent."""
        started = self.clock()
        wait = self.reserve(api, consumer, kind)
        while True:
            if wait > 0:
                time.sleep(wait)
            wait = self.admit(api, consumer, kind)
            if wait <= 0:
                break
        self._waited(api, self.clock() - started)

    async def acquire_async(self, api: str, consumer: str, kind: str = "all") -> None:
        """Wait (without blocking the event loop) until this request may be sent."""
        started = self.clock()
        wait = self.reserve(api, consumer, kind)
        while True:
            if wait > 0:
                await asyncio.sleep(wait)
            wait = self.admit(api, consumer, kind)
            if wait <= 0:
                break
        self._waited(api, self.clock() - started)

    def pause(self, api: str, consumer: str, seconds: float, kind: str = "all") -> None:
        """Google answered 429 with ``RetryInfo``: nobody sends on that bucket for ``seconds``."""
        with self._lock:
            bucket = self._bucket(api, kind, consumer)
            if bucket is not None:
                bucket.pause(self.clock() + seconds)
            self.usage.setdefault(api, Usage()).paused += 1


def consumer_for(api: str, project: str, quota_project: str) -> str:
    """The quota project Google charges: the caller's for client-based APIs, else the target project."""
    return (quota_project or "caller") if api in CLIENT_BASED else project


def throttled_credentials(inner: object, limiter: RateLimiter, api: str, consumer: str) -> object:
    """google-auth credentials that take a slot of ``api``'s bucket before every request they authorize.

    Every google-auth based client (generated REST clients, their operation pollers, BigQuery, the
    authorized session) calls ``credentials.before_request`` once per HTTP request, retries included.
    """
    from google.auth import credentials as ga_credentials

    class Throttled(ga_credentials.Credentials):
        def __init__(self) -> None:  # no super().__init__(): every other attribute is the inner one's
            pass

        def __getattr__(self, name: str) -> object:
            return getattr(inner, name)

        def refresh(self, request: object) -> None:
            inner.refresh(request)  # type: ignore[attr-defined]

        def before_request(self, request: object, method: str, url: str, headers: object) -> None:
            limiter.acquire(api, consumer, kind_of(api, method, url))
            inner.before_request(request, method, url, headers)  # type: ignore[attr-defined]

    return Throttled()
