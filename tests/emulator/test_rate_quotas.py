"""Per-minute request quotas per API and consumer project: 429 RESOURCE_EXHAUSTED with RetryInfo, counted."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from vertex_claude_setup.emulator import Emulator, State
from vertex_claude_setup.errors import SetupError

ON = {"enabled_services": ["aiplatform.googleapis.com"]}


@pytest.fixture
def start() -> Iterator[Any]:
    started: list[Emulator] = []

    def _start(quotas: dict[str, Any]) -> str:
        emu = Emulator(State.from_scenario({"rate_quotas": quotas,
                                            "projects": {"proj-aaa-1": ON, "proj-bbb-2": ON}}))
        started.append(emu)
        return emu.start()

    yield _start
    for emu in started:
        emu.stop()


def _ops(url: str, project: str, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.get(f"{url}/v1/projects/{project}/locations/us-east5/operations", headers=headers, timeout=5)


def _rm(url: str, project: str, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.get(f"{url}/v3/projects/{project}", headers=headers, timeout=5)


def test_over_the_quota_is_429_with_retry_info_and_counted(start: Any) -> None:
    url = start({"aiplatform.googleapis.com": {"per_minute": 180, "window_s": 1}})  # 3 a second
    codes = [_ops(url, "proj-aaa-1").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    error = _ops(url, "proj-aaa-1").json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED" and error["code"] == 429
    info, retry = error["details"][0], error["details"][1]
    assert info["reason"] == "RATE_LIMIT_EXCEEDED"
    assert info["metadata"]["service"] == "aiplatform.googleapis.com"
    assert info["metadata"]["quota_limit_value"] == "180"
    assert retry["@type"] == "type.googleapis.com/google.rpc.RetryInfo"
    delay = float(retry["retryDelay"].rstrip("s"))
    assert 0 < delay <= 1
    time.sleep(delay + 0.05)
    assert _ops(url, "proj-aaa-1").status_code == 200  # the window has room again when RetryInfo said
    stats = requests.get(f"{url}/_emulator/rate_quotas", timeout=5).json()
    assert stats == {"admitted": {"aiplatform.googleapis.com": 4}, "over_cap": {"aiplatform.googleapis.com": 2}}


def test_resource_based_quota_is_per_project_the_request_is_about(start: Any) -> None:
    url = start({"aiplatform.googleapis.com": {"per_minute": 120, "window_s": 1}})
    assert [_ops(url, "proj-aaa-1").status_code for _ in range(3)] == [200, 200, 429]
    assert _ops(url, "proj-bbb-2").status_code == 200  # another consumer, another window


def test_client_based_quota_is_the_callers_quota_project(start: Any) -> None:
    url = start({"cloudresourcemanager.googleapis.com": {"per_minute": 120, "window_s": 1}})
    assert [_rm(url, p).status_code for p in ("proj-aaa-1", "proj-bbb-2", "proj-aaa-1")] == [200, 200, 429]
    assert _rm(url, "proj-aaa-1", {"x-goog-user-project": "proj-bbb-2"}).status_code == 200


def test_scope_api_shares_one_window_between_consumers(start: Any) -> None:
    url = start({"*": {"per_minute": 120, "window_s": 1, "scope": "api"}})
    assert [_ops(url, p).status_code for p in ("proj-aaa-1", "proj-bbb-2", "proj-aaa-1")] == [200, 200, 429]
    assert _rm(url, "proj-aaa-1").status_code == 200  # "*" is per API: Resource Manager has its own window


def test_malformed_quota_tables_are_refused() -> None:
    with pytest.raises(SetupError, match=r"rate_quotas\.x must be"):
        State.from_scenario({"rate_quotas": {"x": {"per_minute": 0}}})
    with pytest.raises(SetupError, match="scope must be"):
        State.from_scenario({"rate_quotas": {"x": {"per_minute": 5, "scope": "org"}}})
