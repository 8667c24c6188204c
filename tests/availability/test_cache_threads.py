"""The audit cache under concurrent writers in one process (a fleet plans many projects at once)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from vertex_claude_setup.availability.cache import AuditCache
from vertex_claude_setup.availability.classify import Availability, Verdict
from vertex_claude_setup.availability.probe import ProbeResult


def _result(region: str) -> ProbeResult:
    return ProbeResult("claude-sonnet-4-5@20250929", region, Verdict(Availability.AVAILABLE, 200, "OK", "", ""),
                       12.0, 1, time.time())


def test_threads_writing_their_own_projects_never_trip_over_each_other(tmp_path: Path) -> None:
    path = tmp_path / "audit-cache.json"

    def write(project: int) -> None:
        cache = AuditCache(path, "emulator", f"proj-{project:04d}")
        for _ in range(15):
            cache.put("count_tokens", [_result("us-east5")])

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, range(16)))  # before: one temp file per process, replaced under another writer
    assert AuditCache(path, "emulator", "proj-0015").get("count_tokens", [("claude-sonnet-4-5@20250929",
                                                                           "us-east5")])
