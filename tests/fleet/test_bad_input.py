"""Bad input to a fleet command: a one-line error naming the flag or file and the fix, exit 1, never a traceback,
never silently ignored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import Runner

PROJECTS = {"plain-proj-1": {"enabled_services": ["aiplatform.googleapis.com"]}}


@pytest.mark.parametrize(("args", "error"), [
    (["--max-qps", "1e-300"], "--max-qps '1e-300': the rate must be a number of requests per second from 0.01"),
    (["--max-qps", "aiplatform=50"], "--max-qps 'aiplatform=50': 'aiplatform' is not an API this tool calls"),
    (["--label", "team\n"], "--label 'team\n' is not a label filter"),
    (["--timeout", "inf"], "Invalid value for '--timeout'"),
    (["--timeout", "nan"], "Invalid value for '--timeout'"),
], ids=["tiny-max-qps", "unknown-api", "label-newline", "timeout-inf", "timeout-nan"])
def test_bad_flags(org: Any, run: Runner, args: list[str], error: str) -> None:
    org({"projects": PROJECTS})
    result = run("fleet", "regions", "audit", "--projects", "plain-proj-1", "--no-quotas", *args)
    assert result.code == 1 and error in result.err, result.out + result.err
    assert "unexpected" not in result.err and "Traceback" not in result.err


@pytest.mark.parametrize(("content", "error"), [
    (b"projects = 5\n", "fleet.toml: 'projects' must hold one table per project"),
    (b'[projects."Plain_Proj"]\nregions = ["us-east5"]\n',
     "fleet.toml: [projects.\"Plain_Proj\"]: 'Plain_Proj' is not a project ID"),
    (b"\xff\xfe[projects]\n", "fleet.toml is not UTF-8 text (byte 0xff at offset 0)"),
], ids=["projects-not-a-table", "not-a-project-id", "not-utf8"])
def test_bad_overrides_files(org: Any, run: Runner, tmp_path: Path, content: bytes, error: str) -> None:
    org({"projects": PROJECTS})
    (tmp_path / "fleet.toml").write_bytes(content)
    result = run("fleet", "doctor", "--projects", "plain-proj-1", "--overrides", str(tmp_path / "fleet.toml"))
    assert result.code == 1 and error in result.err, result.out + result.err
    assert "unexpected" not in result.err


def test_a_projects_file_that_is_not_text(org: Any, run: Runner, tmp_path: Path) -> None:
    org({"projects": PROJECTS})
    (tmp_path / "ids.txt").write_bytes(b"plain-proj-1\n\xff\n")
    result = run("fleet", "doctor", "--projects-file", str(tmp_path / "ids.txt"))
    assert result.code == 1 and "ids.txt is not UTF-8 text (byte 0xff at offset 13)" in result.err
    assert "unexpected" not in result.err


def test_overrides_for_a_project_outside_the_fleet_are_named(org: Any, run: Runner, tmp_path: Path) -> None:
    org({"projects": PROJECTS})
    (tmp_path / "fleet.toml").write_text('[projects."plain-prj-1"]\nregions = ["europe-west1"]\n', encoding="utf-8")
    result = run("fleet", "doctor", "--projects", "plain-proj-1", "--overrides", str(tmp_path / "fleet.toml"))
    assert result.code == 0
    assert f"Warning: {tmp_path / 'fleet.toml'}: plain-prj-1 not in this fleet; those overrides are not used" in (
        result.err)


def test_the_audit_takes_per_host_like_regions_audit(org: Any, run: Runner) -> None:
    org({"projects": PROJECTS})
    result = run("fleet", "regions", "audit", "--projects", "plain-proj-1", "--no-quotas", "--per-host", "1",
                 "--format", "json")
    assert result.code == 0, result.err
    result = run("fleet", "regions", "audit", "--projects", "plain-proj-1", "--per-host", "0")
    assert result.code == 1 and "Invalid value for '--per-host'" in result.err
