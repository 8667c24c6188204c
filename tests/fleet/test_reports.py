"""One fleet report in every format: table, JSON, CSV, Markdown, HTML, JUnit (a testsuite per project), SARIF."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from conftest import Runner

from .conftest import ORG, kinds, organization

MIX = {"no_permission": 0.2, "delete_requested": 0.1, "logging_on": 0.3, "logging_partial": 0.2}


def _verify(run: Runner, fmt: str, tmp_path: Path) -> tuple[int, str, str]:
    out = tmp_path / f"report.{fmt}"
    result = run("fleet", "logging", "verify", "--organization", ORG, "--format", fmt, "--output", str(out))
    return result.code, result.out, out.read_text(encoding="utf-8")


def test_csv_has_a_line_per_project_skipped_and_unreadable_ones_too(org: Any, run: Runner, tmp_path: Path) -> None:
    emu = org(organization(projects=10, mix=MIX))
    code, said, text = _verify(run, "csv", tmp_path)
    assert said.startswith(f"Wrote {tmp_path / 'report.csv'} (csv). Fleet logging verify: 9 projects")
    lines = list(csv.DictReader(io.StringIO(text)))
    assert list(lines[0]) == ["project", "status", "PASS", "FAIL", "WARN", "verdict", "summary", "error", "fix",
                              "parent", "labels"]
    assert sorted(line["project"] for line in lines) == sorted(kinds(emu))
    statuses = {line["project"]: line["status"] for line in lines}
    assert {p for p, s in statuses.items() if s == "skipped"} == {
        p for p, k in kinds(emu).items() if k == "delete_requested"}
    assert code == 1


def test_junit_has_one_testsuite_per_project(org: Any, run: Runner, tmp_path: Path) -> None:
    emu = org(organization(projects=10, mix=MIX))
    _, _, text = _verify(run, "junit", tmp_path)
    root = ET.fromstring(text)
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == set(kinds(emu))
    by_kind = kinds(emu)
    for project, suite in suites.items():
        failures = len(suite.findall("testcase/failure"))
        assert int(suite.get("failures", "0")) == failures
        if by_kind[project] == "logging_on":
            assert failures == 0 and suite.find("testcase/error") is None
        if by_kind[project] == "logging_partial":
            assert failures > 0
        if by_kind[project] == "no_permission":
            assert suite.find("testcase/error") is not None
        if by_kind[project] == "delete_requested":
            assert suite.find("testcase/skipped") is not None
    assert int(root.get("failures", "0")) == sum(int(s.get("failures", "0")) for s in suites.values())


def test_sarif_puts_each_finding_on_its_project(org: Any, run: Runner, tmp_path: Path) -> None:
    emu = org(organization(projects=10, mix=MIX))
    _, _, text = _verify(run, "sarif", tmp_path)
    doc = json.loads(text)
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    run_ = doc["runs"][0]
    results = run_["results"]
    rules = {r["id"] for r in run_["tool"]["driver"]["rules"]}
    assert {r["ruleId"] for r in results} == rules and "request-logging" in rules and "not-read" in rules
    assert {r["level"] for r in results} == {"error", "warning"}
    by_kind = kinds(emu)
    flagged = {r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] for r in results
               if r["level"] == "error"}
    assert {f"projects/{p}" for p, k in by_kind.items() if k in {"logging_partial", "no_permission"}} <= flagged
    assert not {f"projects/{p}" for p, k in by_kind.items() if k == "logging_on"} & flagged
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "vertex-claude.toml"
               for r in results)
    fingerprints = [r["partialFingerprints"]["vertexClaudeSetup/v1"] for r in results]
    assert len(set(fingerprints)) == len(fingerprints)


def test_markdown_json_and_table(org: Any, run: Runner, tmp_path: Path) -> None:
    emu = org(organization(projects=10, mix=MIX))
    _, _, text = _verify(run, "markdown", tmp_path)
    assert "| Project | Status | pass | fail | warn | verdict | Summary |" in text
    assert len([line for line in text.splitlines() if line.startswith("| `fleet-")]) == 9
    _, _, text = _verify(run, "json", tmp_path)
    report = json.loads(text)
    assert report["schema_version"] == 1 and report["command"] == "logging verify"
    assert set(report["summary"]) >= {"projects", "ok", "findings", "error", "skipped", "compliant", "not_compliant"}
    denied = sorted(p for p, k in kinds(emu).items() if k == "no_permission")
    assert sorted(u["name"] for u in report["not_read"]) == denied
    result = run("fleet", "logging", "verify", "--organization", ORG)
    assert f"Could not be read or run ({len(denied)}):" in result.out
    assert result.out.rstrip().endswith(f"Exit 1: {len(denied)} projects or folders could not be read or run.")


def test_html_is_one_self_contained_file(org: Any, run: Runner, tmp_path: Path) -> None:
    org(organization(projects=10, mix=MIX))
    _, _, text = _verify(run, "html", tmp_path)
    assert text.startswith("<!DOCTYPE html>") and "<script>" in text and "<style>" in text
    assert not re.search(r"""(src|href)=["']?https?:""", text)  # nothing fetched from anywhere
    assert text.count('data-status="') == 10  # 9 projects and the one being deleted


def test_sarif_is_only_for_logging_verify(org: Any, run: Runner) -> None:
    org(organization(projects=2, mix={}))
    result = run("fleet", "regions", "audit", "--organization", ORG, "--format", "sarif")
    assert result.code == 1 and "'sarif' is not one of" in result.err
