"""Quota discipline of a fleet run: never over the cap, RetryInfo honoured, no project starved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests
from conftest import Runner

from .conftest import ORG

ONE_PAIR = 'models = ["claude-sonnet-4-5@20250929"]\nregions = ["us-east5"]\n'
FOUR_PAIRS = 'models = ["claude-sonnet-4-5@20250929", "claude-haiku-4-5@20251001"]\nregions = ["us-east5", "global"]\n'
VERTEX = "aiplatform.googleapis.com"


def _ready(projects: int, cap_per_second: int) -> dict[str, Any]:
    return {"organization": {"seed": 1, "projects": projects, "folders": [2]},
            "rate_quotas": {VERTEX: {"per_minute": cap_per_second * 60, "window_s": 1, "scope": "api"}}}


def _stats(emu: Any) -> dict[str, Any]:
    return dict(requests.get(f"{emu.url}/_emulator/rate_quotas", timeout=5).json())


def test_a_fleet_audit_never_goes_over_the_cap(org: Any, run: Runner) -> None:
    # The emulator shares this process (and its interpreter lock) with the tool, on a busy test machine:
    # the tool is capped a fifth below the server here; benchmarks/fleet.py measures the tight case.
    emu = org(_ready(20, 50), config=FOUR_PAIRS)
    result = run("fleet", "regions", "audit", "--organization", ORG, "--no-quotas", "--max-qps", f"{VERTEX}=40",
                 "--format", "json")
    report = json.loads(result.out)
    assert result.code == 0 and report["summary"]["by_class"] == {"AVAILABLE": 80}
    assert _stats(emu) == {"admitted": {VERTEX: 80}, "over_cap": {}}
    assert report["requests"][VERTEX]["requests"] == 80 and report["requests"][VERTEX]["per_second"] <= 40


def test_without_a_cap_the_same_audit_overfills_the_window(org: Any, run: Runner) -> None:
    emu = org(_ready(20, 50), config=FOUR_PAIRS)
    run("fleet", "regions", "audit", "--organization", ORG, "--no-quotas", "--format", "json")
    assert _stats(emu)["over_cap"].get(VERTEX, 0) > 0  # Google's per-project default alone does not cap the run


def test_retry_info_is_honoured_and_every_probe_lands(org: Any, run: Runner, monkeypatch: Any) -> None:
    monkeypatch.setenv("VERTEX_CLAUDE_RETRY_DEADLINE", "10")  # room for the delays the emulator names
    emu = org(_ready(11, 8), config=ONE_PAIR)  # 11 probes sent as fast as --max-qps allows; 8 a second admitted
    result = run("fleet", "regions", "audit", "--organization", ORG, "--no-quotas", "--max-qps", f"{VERTEX}=500",
                 "--format", "json")
    report = json.loads(result.out)
    assert _stats(emu)["over_cap"].get(VERTEX, 0) > 0  # the emulator refused some, with RetryInfo
    assert report["summary"]["by_class"] == {"AVAILABLE": 11} and result.code == 0  # and they were retried
    assert report["requests"][VERTEX]["paused"] > 0  # every probe on the bucket waited out the delay


def test_no_project_starves_behind_a_big_one(org: Any, run: Runner, tmp_path: Path) -> None:
    small = {f"small-proj-{i}": {"enabled_services": [VERTEX]} for i in range(1, 6)}
    org({"projects": {"aaa-big-proj": {"enabled_services": [VERTEX]}, **small}}, config=ONE_PAIR)
    overrides = tmp_path / "fleet.toml"
    overrides.write_text('[projects."aaa-big-proj"]\nregions = ["us-east5", "europe-west1", "global", "us", "eu", '
                         '"asia-east1", "asia-southeast1"]\nmodels = ["claude-sonnet-4-5@20250929", '
                         '"claude-haiku-4-5@20251001", "claude-opus-4-5@20251101", "claude-sonnet-4@20250514", '
                         '"claude-opus-4-1@20250805"]\n', encoding="utf-8")
    result = run("fleet", "regions", "audit", "--projects", ",".join(["aaa-big-proj", *small]), "--overrides",
                 str(overrides), "--no-quotas", "--max-qps", f"{VERTEX}=20", "--per-project", "2", "--format", "json")
    assert result.code == 3, result.err  # some of the big project's pairs are not served everywhere
    results = next((tmp_path / ".vertex-claude" / "fleet").glob("regions-audit-*.jsonl"))
    finished = [json.loads(line)["project"] for line in results.read_text().splitlines()[1:]]
    assert finished[-1] == "aaa-big-proj" and sorted(finished[:-1]) == sorted(small)  # the small ones got through
