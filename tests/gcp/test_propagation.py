"""The propagation policy: SERVICE_DISABLED is waited out only for a service seen ENABLED, and only so long."""

from __future__ import annotations

import pytest
from google.api_core import exceptions

from vertex_claude_setup.emulator.googleerrors import service_disabled as google_service_disabled
from vertex_claude_setup.gcp import propagation
from vertex_claude_setup.gcp.vertex import HttpError

VERTEX = "aiplatform.googleapis.com"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def _disabled(service: str = VERTEX) -> HttpError:
    """Google's SERVICE_DISABLED body, as the emulator (and Google) send it, as the REST layer raises it."""
    return HttpError(403, google_service_disabled("123456789012", service, "Vertex AI API").body())


def test_only_a_service_seen_enabled_is_waited_for_and_only_until_the_deadline() -> None:
    clock = Clock()
    policy = propagation.Propagation(60.0, clock=clock)
    assert not policy.retryable(_disabled())  # a genuinely disabled API: reported at once
    policy.note_enabled(VERTEX)
    assert policy.retryable(_disabled())
    assert not policy.retryable(_disabled("bigquery.googleapis.com"))  # another service: not ours to wait for
    assert not policy.retryable(exceptions.PermissionDenied("IAM_PERMISSION_DENIED"))
    assert policy.retryable(exceptions.PermissionDenied("disabled", details=[
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED",
         "domain": "googleapis.com", "metadata": {"service": VERTEX}}]))  # api_core errors too
    clock.now = 60.0
    assert not policy.retryable(_disabled())


def test_call_waits_out_propagation_with_growing_waits_then_raises_the_last_answer() -> None:
    clock = Clock()
    policy = propagation.Propagation(50.0, clock=clock)
    policy.note_enabled(VERTEX)
    answers = [_disabled(), _disabled(), _disabled()]

    def lagging() -> str:
        if answers:
            raise answers.pop()
        return "serving"

    assert propagation.call(policy, lagging, sleep=clock.sleep) == "serving"
    assert clock.sleeps == [1.0, 2.0, 4.0]

    def still_disabled() -> str:
        raise _disabled()

    with pytest.raises(HttpError):
        propagation.call(policy, still_disabled, sleep=clock.sleep)
    assert clock.now == pytest.approx(50.0)  # never past the deadline
    assert max(clock.sleeps) <= 5.0  # at most a tenth of the deadline per wait


def test_other_errors_are_not_retried_here() -> None:
    policy = propagation.Propagation(60.0)
    policy.note_enabled(VERTEX)
    calls: list[int] = []

    def unavailable() -> None:
        calls.append(1)
        raise exceptions.ServiceUnavailable("down")  # retry.py's business, inside fn

    with pytest.raises(exceptions.ServiceUnavailable):
        propagation.call(policy, unavailable, sleep=lambda _s: None)
    assert calls == [1]
