"""The one retry policy (google.api_core's retry loop): what it retries, RetryInfo, the deadline, the final error."""

from __future__ import annotations

import asyncio
import math
import time

import pytest
from google.api_core import exceptions
from google.api_core.retry import Retry

from vertex_claude_setup.errors import ConfigError
from vertex_claude_setup.gcp import retry


class Flaky:
    """Fails with ``error`` the first ``failures`` times, then answers "ok"."""

    def __init__(self, error: Exception, failures: int) -> None:
        self.error = error
        self.failures = failures
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "ok"


def test_retries_503_until_success() -> None:
    flaky = Flaky(exceptions.ServiceUnavailable("down"), 3)
    assert retry.call(flaky) == "ok"
    assert flaky.calls == 4


def test_is_an_api_core_retry_passed_as_retry() -> None:
    assert isinstance(retry.policy(), Retry)
    assert set(retry.options()) == {"retry", "timeout"}


def test_500_is_retried_for_repeatable_calls_only() -> None:
    read = Flaky(exceptions.InternalServerError("oops"), 2)
    assert retry.call(read) == "ok"
    create = Flaky(exceptions.InternalServerError("oops"), 2)
    with pytest.raises(exceptions.InternalServerError) as raised:
        retry.call(create, retry_if=retry.is_transient)
    assert create.calls == 1
    assert retry.attempts_of(raised.value) == 1


def test_honours_retry_info() -> None:
    limited = Flaky(exceptions.TooManyRequests("slow down", details=[
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.3s"}]), 1)
    began = time.monotonic()
    assert retry.call(limited) == "ok"
    assert time.monotonic() - began >= 0.3  # without the hint the wait is at most 0.01 s (INITIAL)


def test_gives_up_at_the_deadline_with_the_google_error_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTEX_CLAUDE_RETRY_DEADLINE", "0.3")
    always = Flaky(exceptions.ServiceUnavailable("down"), 10**6)
    with pytest.raises(exceptions.ServiceUnavailable) as raised:  # not RetryError: callers translate it
        retry.call(always)
    assert always.calls > 1
    assert retry.attempts_of(raised.value) == always.calls


def test_does_not_retry_permanent_errors() -> None:
    denied = Flaky(exceptions.PermissionDenied("no"), 10)
    with pytest.raises(exceptions.PermissionDenied):
        retry.call(denied)
    assert denied.calls == 1


def test_nested_calls_share_one_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTEX_CLAUDE_RETRY_DEADLINE", "5")
    seen: list[retry.Deadline] = []

    def outer() -> str:
        seen.append(retry.current())
        return retry.call(lambda: seen.append(retry.current()) or "ok")

    assert retry.call(outer) == "ok"
    assert seen[0] is seen[1]
    assert seen[0].attempt_timeout() <= 5


def test_attempt_timeout_never_passes_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTEX_CLAUDE_RETRY_DEADLINE", "2")
    with retry.scope() as deadline:
        assert deadline.attempt_timeout() <= 2
        assert deadline.attempt_timeout(cap=0.5) == 0.5


def test_async_retry_stops_at_the_attempt_cap() -> None:
    calls: list[int] = []

    async def transient() -> None:
        calls.append(1)
        raise exceptions.ServiceUnavailable("down")

    with pytest.raises(exceptions.ServiceUnavailable) as raised:
        asyncio.run(retry.call_async(transient, retry_if=retry.is_retryable, attempts=3))
    assert len(calls) == 3
    assert retry.attempts_of(raised.value) == 3


@pytest.mark.parametrize("value", ["abc", "nan", "inf", "-5", "0"])
def test_a_bad_deadline_setting_is_named(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("VERTEX_CLAUDE_RETRY_DEADLINE", value)
    with pytest.raises(ConfigError) as raised:
        retry.RetryPolicy.from_env()
    assert raised.value.message == (f"environment VERTEX_CLAUDE_RETRY_DEADLINE: '{value}' is not a number of seconds "
                                    "from 0.1 to 3600")
    assert raised.value.hint == "set it like VERTEX_CLAUDE_RETRY_DEADLINE=60, or unset it"


def test_settings_are_read() -> None:
    policy = retry.RetryPolicy.from_env()  # conftest: deadline 2, initial 0.01
    assert (policy.deadline, policy.initial) == (2.0, 0.01)
    assert math.isfinite(policy.attempt_timeout)


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
