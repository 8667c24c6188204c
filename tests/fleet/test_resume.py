"""Resumable fleet runs: results kept as they land (0600), an interrupted run continues where it stopped."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from conftest import Runner

from vertex_claude_setup.fleet.runner import Progress

from .conftest import ORG, organization

CLAUDE = "/publishers/anthropic/models/"


def _results_file(tmp_path: Path, command: str) -> Path:
    return next((tmp_path / ".vertex-claude" / "fleet").glob(f"{command}-*.jsonl"))


def test_results_are_kept_privately_and_a_resumed_run_reuses_them(org: Any, run: Runner, tmp_path: Path) -> None:
    emu = org(organization(projects=10, mix={}))
    first = run("fleet", "regions", "audit", "--organization", ORG, "--no-quotas", "--format", "json")
    kept = _results_file(tmp_path, "regions-audit")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    assert len(kept.read_text().splitlines()) == 1 + 10  # a header, then one line per project
    emu.requests.clear()
    again = run("fleet", "regions", "audit", "--organization", ORG, "--no-quotas", "--format", "json", "--resume")
    assert json.loads(again.out)["resumed"] == 10
    assert [r for r in emu.requests if CLAUDE in r.path] == []  # nothing probed again
    assert json.loads(again.out)["projects"] == json.loads(first.out)["projects"]
    emu.requests.clear()
    fresh = run("fleet", "regions", "audit", "--organization", ORG, "--no-quotas", "--format", "json")
    assert json.loads(fresh.out)["resumed"] == 0 and len([r for r in emu.requests if CLAUDE in r.path]) == 40


def test_a_resumed_run_retries_what_failed(org: Any, run: Runner) -> None:
    emu = org(organization(projects=10, mix={"no_permission": 0.2}))
    first = json.loads(run("fleet", "logging", "verify", "--organization", ORG, "--format", "json").out)
    failed = sorted(u["name"] for u in first["not_read"])
    assert len(failed) == 2
    emu.requests.clear()
    again = json.loads(run("fleet", "logging", "verify", "--organization", ORG, "--format", "json", "--resume").out)
    assert again["resumed"] == 8
    touched = {r.path.split("/")[3] for r in emu.requests if r.path.startswith("/v1beta1/projects/")}
    assert touched == set(failed)  # only the projects that failed were read again


def test_an_interrupted_run_continues_where_it_stopped(org: Any, run: Runner, tmp_path: Path) -> None:
    scenario = {**organization(projects=12, mix={}), "region_latency_ms": {"*": 150}}
    emu = org(scenario)
    env = {**os.environ, "VERTEX_CLAUDE_EMULATOR_HOST": emu.url.removeprefix("http://")}
    argv = [sys.executable, "-m", "vertex_claude_setup", "fleet", "regions", "audit", "--organization", ORG,
            "--no-quotas", "--concurrency", "2", "--format", "json"]
    proc = subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    folder = tmp_path / ".vertex-claude" / "fleet"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        files = list(folder.glob("regions-audit-*.jsonl")) if folder.exists() else []
        if files and len(files[0].read_text().splitlines()) >= 1 + 3:
            break
        time.sleep(0.05)
    proc.kill()  # no goodbye: as if the machine went away
    proc.wait()
    finished = len(_results_file(tmp_path, "regions-audit").read_text().splitlines()) - 1
    assert 3 <= finished < 12
    emu.requests.clear()
    resumed = run("fleet", "regions", "audit", "--organization", ORG, "--no-quotas", "--concurrency", "2",
                  "--format", "json", "--resume")
    report = json.loads(resumed.out)
    assert report["resumed"] == finished and len(report["projects"]) == 12 and resumed.code == 0
    probed = {r.path.split("/")[3] for r in emu.requests if CLAUDE in r.path}
    assert len(probed) == 12 - finished  # only the projects the interrupted run had not finished


def test_progress_shows_done_total_and_eta(org: Any, run: Runner, monkeypatch: Any) -> None:
    org(organization(projects=3, mix={}))
    quiet = run("fleet", "regions", "audit", "--organization", ORG, "--no-quotas")
    assert "projects ·" not in quiet.err  # not a terminal: no progress
    monkeypatch.setenv("VERTEX_CLAUDE_PROGRESS", "1")
    shown = run("fleet", "regions", "audit", "--organization", ORG, "--no-quotas")
    projects_line = shown.err[shown.err.index("regions audit: "):]  # after the walk's own progress
    assert projects_line.startswith("regions audit: 1/3 projects · ETA ")  # cli/terminal.py's progress line:
    assert "\r\x1b[2Kregions audit: 3/3 projects · ETA 00:00" in shown.err  # redrawn in place,
    assert shown.err.endswith("\r\x1b[2K")  # and erased before the report
    assert Progress(0, 10, 0.0).line() == "0/10 projects · ETA --:--"
    assert Progress(4, 10, 100.0).line() == "4/10 projects · ETA 02:30"
    # Resumed: 5 rows came from the previous attempt, this run took 10 s for 1 project, 21 are left.
    assert Progress(6, 27, 10.0, resumed=5).line() == "6/27 projects · ETA 03:30"
    assert Progress(5, 27, 0.0, resumed=5).line() == "5/27 projects · ETA --:--"
