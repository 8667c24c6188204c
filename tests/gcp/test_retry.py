"""The one retry policy: backoff with jitter, RetryInfo honoured, bounded deadline, only transient errors."""

from __future__ import annotations

import random

import pytest
from google.api_core import exceptions

from vertex_claude_setup.gcp import retry


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def test_retries_503_until_success_with_growing_jittered_backoff() -> None:
    clock = Clock()
    attempts: list[int] = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 4:
            raise exceptions.ServiceUnavailable("down")
        return "ok"

    policy = retry.RetryPolicy(initial=1.0, maximum=8.0, deadline=60.0)
    assert retry.call(flaky, policy=policy, sleep=clock.sleep, clock=clock, rng=random.Random(1)) == "ok"
    assert len(clock.sleeps) == 3
    assert all(0 <= s <= cap for s, cap in zip(clock.sleeps, [1.0, 2.0, 4.0], strict=True))


def test_honours_retry_info() -> None:
    clock = Clock()
    calls: list[int] = []

    def limited() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise exceptions.TooManyRequests("slow down", details=[
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3.5s"}])
        return "ok"

    assert retry.call(limited, policy=retry.RetryPolicy(deadline=60), sleep=clock.sleep, clock=clock) == "ok"
    assert clock.sleeps == [3.5]


def test_gives_up_at_the_deadline() -> None:
    clock = Clock()

    def always() -> None:
        raise exceptions.ServiceUnavailable("down")

    with pytest.raises(exceptions.ServiceUnavailable):
        retry.call(always, policy=retry.RetryPolicy(initial=1.0, deadline=10.0), sleep=clock.sleep, clock=clock,
                   rng=random.Random(0))
    assert clock.now < 10.0


def test_does_not_retry_permanent_errors() -> None:
    calls: list[int] = []

    def denied() -> None:
        calls.append(1)
        raise exceptions.PermissionDenied("no")

    with pytest.raises(exceptions.PermissionDenied):
        retry.call(denied, sleep=lambda s: None)
    assert calls == [1]


def test_grpc_details_are_read_too() -> None:
    from google.protobuf import duration_pb2
    from google.rpc import error_details_pb2

    from vertex_claude_setup.gcp.errors import error_info

    info = error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=2, nanos=500_000_000))
    assert retry.retry_delay_from([info]) == 2.5
    reason = error_details_pb2.ErrorInfo(reason="SERVICE_DISABLED", domain="googleapis.com",
                                         metadata={"service": "logging.googleapis.com"})
    assert error_info([reason]) == {"reason": "SERVICE_DISABLED", "domain": "googleapis.com",
                                    "metadata": {"service": "logging.googleapis.com"}}
