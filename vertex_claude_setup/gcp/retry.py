"""One retry policy for every Google call: exponential backoff with full jitter, RetryInfo honoured,
a bounded deadline. Retries 429 RESOURCE_EXHAUSTED and 503/UNAVAILABLE (plus what a caller adds)."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from vertex_claude_setup import config

T = TypeVar("T")

TRANSIENT_HTTP = frozenset({429, 503})
TRANSIENT_STATUS = frozenset({"RESOURCE_EXHAUSTED", "UNAVAILABLE"})


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff settings; ``VERTEX_CLAUDE_RETRY_DEADLINE``/``_INITIAL`` override them (seconds)."""

    initial: float = 0.5
    maximum: float = 16.0
    multiplier: float = 2.0
    deadline: float = 60.0

    @classmethod
    def from_env(cls) -> RetryPolicy:
        """The defaults, overridden by the environment (junk there is a one-line ConfigError naming it)."""
        return cls(initial=config.env_number("VERTEX_CLAUDE_RETRY_INITIAL", cls.initial),
                   deadline=config.env_number("VERTEX_CLAUDE_RETRY_DEADLINE", cls.deadline))


def retry_delay_from(details: Any) -> float | None:
    """The ``google.rpc.RetryInfo.retryDelay`` in an error's details, in seconds, if any."""
    for detail in details or ():
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            match = re.fullmatch(r"(\d+(?:\.\d+)?)s", str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
        # gRPC errors carry the protobuf message itself (google.rpc.error_details_pb2.RetryInfo)
        delay = getattr(detail, "retry_delay", None)
        if delay is not None and type(detail).__name__ == "RetryInfo":
            return float(delay.seconds) + float(delay.nanos) / 1e9
    return None


def is_transient(exc: BaseException) -> bool:
    """True for 429/503/UNAVAILABLE answers from a Google client library (api_core exceptions)."""
    code = getattr(exc, "code", None)
    status = getattr(getattr(exc, "grpc_status_code", None), "name", "")
    return code in TRANSIENT_HTTP or status in TRANSIENT_STATUS


class Backoff:
    """The waits of one retried call: jittered and growing, a RetryInfo hint wins, none past the deadline."""

    def __init__(self, policy: RetryPolicy, *, rng: random.Random | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        # The module's shared generator unless a seeded one is given: a fresh ``Random()`` per call
        # reads os.urandom, which a matrix of a thousand probes would pay for nothing.
        self._uniform = (rng or random).uniform
        self._clock = clock
        self._start = clock()
        self._delay = policy.initial

    def next_wait(self, hinted: float | None = None) -> float | None:
        """Seconds to wait before the next attempt, or None when that would pass the deadline."""
        remaining = self.policy.deadline - (self._clock() - self._start)
        wait = hinted if hinted is not None else self._uniform(0, self._delay)
        if wait >= remaining:
            return None
        self._delay = min(self._delay * self.policy.multiplier, self.policy.maximum)
        return wait


def call(
    fn: Callable[[], T],
    *,
    policy: RetryPolicy | None = None,
    retry_if: Callable[[BaseException], bool] = is_transient,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
) -> T:
    """Call ``fn``; on a retryable error back off and try again until the deadline, then re-raise."""
    backoff = Backoff(policy or RetryPolicy.from_env(), rng=rng, clock=clock)
    while True:
        try:
            return fn()
        except Exception as exc:
            if not retry_if(exc):
                raise
            wait = backoff.next_wait(retry_delay_from(getattr(exc, "details", None)))
            if wait is None:
                raise
            sleep(wait)
