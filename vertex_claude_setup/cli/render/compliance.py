"""Renderers of ``logging verify``: a terminal table, JSON and JUnit XML for CI, Markdown for a ticket."""

from __future__ import annotations

import json
from xml.sax.saxutils import escape, quoteattr

from vertex_claude_setup.compliance.verify import Report

FORMATS = ("table", "json", "junit", "markdown")


def render(report: Report, fmt: str) -> str:
    return {"table": table, "json": as_json, "junit": junit, "markdown": markdown}[fmt](report)


def _summary(report: Report) -> str:
    counts = report.counts()
    verdict = "compliant" if report.exit_code == 0 else "NOT compliant" if report.exit_code == 3 else "incomplete"
    return f"{counts['PASS']} passed, {counts['FAIL']} failed, {counts['WARN']} warnings: {verdict}"


def table(report: Report) -> str:
    width = max([len(c.name) for c in report.checks] + [5])
    lines = [f"Logging compliance for project {report.project}", ""]
    for check in report.checks:
        lines.append(f"{check.status:<4}  {check.name:<{width}}  {check.reason}")
        if check.fix and check.status != "PASS":
            lines.append(f"{'':<4}  {'':<{width}}  fix: {check.fix}")
    lines += ["", _summary(report)]
    return "\n".join(lines)


def as_json(report: Report) -> str:
    """Schema: ``{project, compliant, summary{PASS,FAIL,WARN}, checks[{id,name,status,reason,fix}]}``."""
    return json.dumps({"project": report.project, "compliant": report.exit_code == 0, "summary": report.counts(),
                       "checks": [c.to_json() for c in report.checks]}, indent=2)


def junit(report: Report) -> str:
    """One ``testcase`` per check: FAIL is a ``failure``, WARN passes with its reason in ``system-out``."""
    counts = report.counts()
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<testsuites name="vertex-claude-setup logging verify" tests="{len(report.checks)}" '
             f'failures="{counts["FAIL"]}">',
             f'  <testsuite name={quoteattr("logging compliance " + report.project)} tests="{len(report.checks)}" '
             f'failures="{counts["FAIL"]}" errors="0" skipped="0">']
    for check in report.checks:
        classname = "logging." + check.id.split("/")[0]
        head = f"    <testcase classname={quoteattr(classname)} name={quoteattr(check.name)}"
        if check.status == "PASS":
            lines.append(f"{head}/>")
            continue
        lines.append(f"{head}>")
        if check.status == "FAIL":
            lines.append(f"      <failure message={quoteattr(check.reason)} type=\"non-compliant\">"
                         f"{escape('fix: ' + check.fix)}</failure>")
        else:
            lines.append(f"      <system-out>{escape(f'WARN: {check.reason}; fix: {check.fix}')}</system-out>")
        lines.append("    </testcase>")
    lines += ["  </testsuite>", "</testsuites>"]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(report: Report) -> str:
    icon = {"PASS": "✅ PASS", "FAIL": "❌ FAIL", "WARN": "⚠️ WARN"}
    lines = [f"## Claude logging compliance: `{report.project}`", "", f"**{_summary(report)}**", "",
             "| Status | Check | Reason | Fix |", "|---|---|---|---|"]
    for c in report.checks:
        lines.append(f"| {icon[c.status]} | {_cell(c.name)} | {_cell(c.reason)} | {_cell(c.fix) if c.fix else ''} |")
    return "\n".join(lines)
