"""One retry policy for every Google call: exponential backoff with full jitter, RetryInfo honoured,
a bounded deadline. Retries 429 RESOURCE_EXHAUSTED and 503/UNAVAILABLE (plus what a caller adds)."""

from __future__ import annotations

import os
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

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
        return cls(
            initial=float(os.environ.get("VERTEX_CLAUDE_RETRY_INITIAL", cls.initial)),
            deadline=float(os.environ.get("VERTEX_CLAUDE_RETRY_DEADLINE", cls.deadline)),
        )


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
    policy = policy or RetryPolicy.from_env()
    rng = rng or random.Random()
    start = clock()
    delay = policy.initial
    while True:
        try:
            return fn()
        except Exception as exc:
            if not retry_if(exc):
                raise
            remaining = policy.deadline - (clock() - start)
            hinted = retry_delay_from(getattr(exc, "details", None))
            wait = hinted if hinted is not None else rng.uniform(0, delay)
            if wait >= remaining:
                raise
            sleep(wait)
            delay = min(delay * policy.multiplier, policy.maximum)
