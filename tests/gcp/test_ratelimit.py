"""Client-side rate limits: no quota window ever overfilled, first come first served, RetryInfo pauses a bucket."""

from __future__ import annotations

import collections
import random
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from vertex_claude_setup import config
from vertex_claude_setup.emulator import Emulator, State
from vertex_claude_setup.errors import ConfigError
from vertex_claude_setup.gcp import projects
from vertex_claude_setup.gcp.ratelimit import RM, SU, Quota, RateLimiter, kind_of, parse_max_qps
from vertex_claude_setup.gcp.session import EmulatorTarget, GoogleApis


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _send_times(limiter: RateLimiter, clock: Clock, arrivals: list[float], api: str, consumer: str,
                late: float = 0.0) -> list[float]:
    """When each request really leaves: its slot in the schedule, woken ``late``, then admitted."""
    scheduled = []
    for arrival in arrivals:  # everyone takes a slot as they arrive
        clock.now = arrival
        scheduled.append(arrival + limiter.reserve(api, consumer, "read"))
    sent, now = [], -1.0
    for at in sorted(scheduled):  # each wakes (maybe late) and asks to leave
        now = max(now, at + late)
        while (wait := (clock.__setattr__("now", now), limiter.admit(api, consumer, "read"))[1]) > 0:
            now += wait
        sent.append(now)
    return sent


def _max_in_window(times: list[float], window: float) -> int:
    best, start = 0, 0
    ordered = sorted(times)
    for end, t in enumerate(ordered):
        while ordered[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


@pytest.mark.parametrize("limit,window", [(600, 60.0), (240, 60.0), (100, 1.0), (60, 60.0)])
def test_no_window_of_the_quota_ever_holds_more_than_the_quota(limit: int, window: float) -> None:
    clock = Clock()
    limiter = RateLimiter(quotas={(RM, "read"): Quota(limit, window)}, clock=clock)
    rng = random.Random(4)
    arrivals = sorted(1000 + rng.uniform(0, 3 * window) for _ in range(limit * 4))  # far more than the quota
    arrivals += [1000 + 3 * window] * limit  # and a burst at once
    sent = _send_times(limiter, clock, sorted(arrivals), RM, "caller")
    assert _max_in_window(sent, window) <= limit * 0.95
    assert len(sent) == len(arrivals)


def test_callers_that_wake_late_still_leave_at_most_the_ceiling() -> None:
    clock = Clock()
    limiter = RateLimiter(quotas={(RM, "read"): Quota(100, 1.0)}, clock=clock)
    sent = _send_times(limiter, clock, [1000 + i / 95 for i in range(300)], RM, "caller", late=0.3)
    assert _max_in_window(sent, 1.0) <= 95  # a stall bunches the wake-ups, not the sends


def test_waiting_callers_are_served_in_arrival_order() -> None:
    clock = Clock()
    limiter = RateLimiter(quotas={(SU, "read"): Quota(240, 60.0)}, clock=clock)
    waits = []
    for _ in range(50):
        waits.append(limiter.reserve(SU, "caller", "read"))
    assert waits == sorted(waits) and len(set(waits[11:])) == len(waits[11:])  # a burst of 11, then one slot each


def test_each_consumer_project_has_its_own_bucket_unless_max_qps_caps_the_api() -> None:
    clock = Clock()
    per_project = RateLimiter(quotas={("aiplatform.googleapis.com", "all"): Quota(60, 60.0)}, clock=clock)
    first = [per_project.reserve("aiplatform.googleapis.com", "p1") for _ in range(3)]
    other = per_project.reserve("aiplatform.googleapis.com", "p2")
    assert first[2] > 0 and other == 0
    capped = RateLimiter(max_qps={"*": 10}, clock=clock)
    waits = [capped.reserve("aiplatform.googleapis.com", f"p{i}") for i in range(3)]
    assert waits[1] > 0 and waits[2] > waits[1]  # one bucket for the whole run, whatever the project


def test_retry_info_pauses_the_bucket_for_everyone() -> None:
    clock = Clock()
    limiter = RateLimiter(quotas={(RM, "read"): Quota(600, 60.0)}, clock=clock)
    assert limiter.reserve(RM, "caller", "read") == 0
    limiter.pause(RM, "caller", 7.5, "read")
    assert limiter.reserve(RM, "caller", "read") >= 7.5
    assert limiter.usage[RM].paused == 1


def test_kinds_follow_the_published_quotas() -> None:
    assert kind_of(RM, "GET", "https://x/v3/projects:search?query=a") == "search"
    assert kind_of(RM, "POST", "https://x/v3/projects/p:getIamPolicy") == "read"
    assert kind_of(RM, "POST", "https://x/v3/projects/p:setIamPolicy") == "write"
    assert kind_of(SU, "POST", "https://x/v1/projects/p/services/s:enable") == "write"
    assert kind_of(SU, "GET", "https://x/v1/projects/p/services/s") == "read"


def test_max_qps_is_parsed_or_refused_with_the_fix() -> None:
    assert parse_max_qps(["50", "aiplatform.googleapis.com=100"]) == {"*": 50.0, "aiplatform.googleapis.com": 100.0}
    for bad in ("0", "fast", "x=-1", "inf", "nan", "1e-300", "1e9"):
        with pytest.raises(ConfigError, match=r"the rate must be a number of requests per second from 0\.01 to 100000"):
            parse_max_qps([bad])
    # A misspelt API would have capped nothing: it is refused, with the names that work.
    for bad in ("aiplatform=100", "=5", "foo.googleapis.com=5"):
        with pytest.raises(ConfigError, match="is not an API this tool calls") as raised:
            parse_max_qps([bad])
        assert "aiplatform.googleapis.com, bigquery.googleapis.com" in raised.value.hint


@pytest.fixture
def capped_emulator() -> Iterator[Emulator]:
    """Resource Manager capped at 40 requests/s (one shared window), like a gateway in front of Google."""
    scenario: dict[str, Any] = {"rate_quotas": {RM: {"per_minute": 2400, "window_s": 1, "scope": "api"}}}
    emu = Emulator(State.from_scenario(scenario))
    emu.start()
    yield emu
    emu.stop()


def _google(emu: Emulator, limiter: RateLimiter | None) -> GoogleApis:
    cfg = config.load(None, {"project": "proj-main-1"}, environ={})
    return GoogleApis(cfg, EmulatorTarget(http=emu.url, grpc=emu.grpc_target), limiter)


def test_every_request_of_a_real_client_takes_a_slot(capped_emulator: Emulator) -> None:
    google = _google(capped_emulator, RateLimiter(max_qps={"*": 40}))
    for i in range(60):
        projects.get_project(google.for_project(config.load(None, {"project": f"proj-n-{i:03d}"}, environ={})),
                             f"proj-n-{i:03d}")
    stats = requests.get(f"{capped_emulator.url}/_emulator/rate_quotas", timeout=5).json()
    assert stats["over_cap"] == {} and stats["admitted"][RM] == 60
    assert google.limiter is not None and google.limiter.usage[RM].requests == 60


def test_without_the_limiter_the_same_calls_go_over_the_cap(capped_emulator: Emulator,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTEX_CLAUDE_RETRY_DEADLINE", "0.1")  # shorter than any RetryInfo: a 429 is final
    google = _google(capped_emulator, None)
    refused = collections.Counter()
    for i in range(60):
        try:
            projects.get_project(google, f"proj-n-{i:03d}")
        except Exception as exc:
            refused[type(exc).__name__] += 1
    stats = requests.get(f"{capped_emulator.url}/_emulator/rate_quotas", timeout=5).json()
    assert stats["over_cap"].get(RM, 0) > 0 and sum(refused.values()) > 0
