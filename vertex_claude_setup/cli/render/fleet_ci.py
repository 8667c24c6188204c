"""Fleet reports for CI: JUnit XML (one testsuite per project) and SARIF 2.1.0 for ``logging verify``.

SARIF results carry the project as a logical location and the config file as the physical one, so
code-scanning tools (which want a file) show each non-compliant project's finding on the config that
governs it; ``partialFingerprints`` keep one alert per (project, check) across runs.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

if TYPE_CHECKING:
    from vertex_claude_setup.fleet.report import FleetReport, ProjectResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _suite(name: str, cases: list[str], failures: int, errors: int, skipped: int, time_s: float = 0.0) -> list[str]:
    head = (f"  <testsuite name={quoteattr(name)} tests=\"{len(cases)}\" failures=\"{failures}\" "
            f"errors=\"{errors}\" skipped=\"{skipped}\" time=\"{time_s:.3f}\">")
    return [head, *cases, "  </testsuite>"]


def _project_suite(command: str, row: ProjectResult) -> tuple[list[str], int, int, int]:
    classname = f"fleet.{command.replace(' ', '.')}.{row.project}"
    if row.status == "error" and not row.checks:
        case = (f"    <testcase classname={quoteattr(classname)} name=\"run\">\n"
                f"      <error message={quoteattr(row.error)} type=\"not-read\">{escape('fix: ' + row.hint)}</error>\n"
                "    </testcase>")
        return _suite(row.project, [case], 0, 1, 0, row.elapsed_s), 1, 0, 1
    cases: list[str] = []
    failures = 0
    for check in row.checks:
        head = f"    <testcase classname={quoteattr(classname)} name={quoteattr(check.name)}"
        if check.status == "PASS":
            cases.append(f"{head}/>")
        elif check.status == "FAIL":
            failures += 1
            cases.append(f"{head}>\n      <failure message={quoteattr(check.message)} type=\"finding\">"
                         f"{escape('fix: ' + check.fix)}</failure>\n    </testcase>")
        else:
            text = f"{check.status}: {check.message}" + (f"; fix: {check.fix}" if check.fix else "")
            cases.append(f"{head}>\n      <system-out>{escape(text)}</system-out>\n    </testcase>")
    errors = 1 if row.status == "error" else 0
    if errors:
        fix = escape("fix: " + row.hint)
        cases.append(f"    <testcase classname={quoteattr(classname)} name=\"run\">\n"
                     f"      <error message={quoteattr(row.error)} type=\"error\">{fix}</error>\n    </testcase>")
    return _suite(row.project, cases, failures, errors, 0, row.elapsed_s), len(cases), failures, errors


def junit(report: FleetReport) -> str:
    """One ``testsuite`` per project (checks are test cases); skipped and unreadable ones are suites too."""
    body: list[str] = []
    tests = failures = errors = skipped = 0
    for row in report.rows:
        lines, n, f, e = _project_suite(report.command, row)
        body += lines
        tests, failures, errors = tests + n, failures + f, errors + e
    for item in report.skipped:
        case = (f"    <testcase classname=\"fleet.skipped\" name={quoteattr(item.project)}>\n"
                f"      <skipped message={quoteattr(item.reason)}/>\n    </testcase>")
        body += _suite(item.project, [case], 0, 0, 1)
        tests, skipped = tests + 1, skipped + 1
    for node in report.unreadable:
        case = (f"    <testcase classname=\"fleet.not-read\" name={quoteattr(node.name)}>\n"
                f"      <error message={quoteattr(node.message)} type=\"not-read\">{escape('fix: ' + node.fix)}"
                "</error>\n    </testcase>")
        body += _suite(node.name, [case], 0, 1, 0)
        tests, errors = tests + 1, errors + 1
    head = (f'<testsuites name={quoteattr("vertex-claude-setup fleet " + report.command)} tests="{tests}" '
            f'failures="{failures}" errors="{errors}" skipped="{skipped}" time="{report.elapsed_s:.3f}">')
    return "\n".join(['<?xml version="1.0" encoding="UTF-8"?>', head, *body, "</testsuites>"]) + "\n"


def _rule(check_id: str) -> str:
    return check_id.split("/", 1)[0]


def sarif(report: FleetReport, config_file: str = "vertex-claude.toml") -> str:
    """SARIF 2.1.0: every FAIL (error) and WARN (warning) of every project, and every project not read."""
    from vertex_claude_setup import __version__

    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []

    def add(rule: str, level: str, project: str, text: str, name: str, fix: str) -> None:
        rules.setdefault(rule, {"id": rule, "name": rule.replace("-", " "),
                                "shortDescription": {"text": name},
                                "help": {"text": fix or "see `vertex-claude-setup logging verify --help`"},
                                "defaultConfiguration": {"level": "error"}})
        fingerprint = hashlib.sha256(f"{project}|{rule}|{name}".encode()).hexdigest()
        results.append({
            "ruleId": rule, "level": level,
            "message": {"text": f"{project}: {name}: {text}" + (f" Fix: {fix}" if fix else "")},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": config_file},
                                                "region": {"startLine": 1}},
                           "logicalLocations": [{"name": project, "fullyQualifiedName": f"projects/{project}",
                                                 "kind": "resource"}]}],
            "partialFingerprints": {"vertexClaudeSetup/v1": fingerprint},
            "properties": {"project": project}})

    for row in report.rows:
        for check in row.checks:
            if check.status in {"FAIL", "WARN"}:
                add(_rule(check.id), "error" if check.status == "FAIL" else "warning", row.project, check.message,
                    check.name, check.fix)
        if row.status == "error" and not row.checks:
            add("not-read", "error", row.project, row.error, "project could not be verified", row.hint)
    for node in report.unreadable:
        add("not-read", "error", node.name, node.message, "could not be read", node.fix)
    doc = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "vertex-claude-setup", "version": __version__,
                            "rules": sorted(rules.values(), key=lambda r: str(r["id"]))}},
        "automationDetails": {"id": f"vertex-claude-setup/fleet/{report.command.replace(' ', '-')}/"},
        "results": results}]}
    return json.dumps(doc, indent=2) + "\n"
