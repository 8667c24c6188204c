"""Text output for plans and apply results, Terraform style (``+ ~ -``, from → to, a summary line)."""

from __future__ import annotations

import json
from typing import Any

from vertex_claude_setup.engine.model import SYMBOLS, Finding, Outcome, Plan


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def plan_text(plan: Plan, *, payloads: bool = False) -> str:
    """The whole ``plan`` output as one string (tests compare it whole).

    ``payloads`` (``show``): also print each change's data, the exact values ``apply`` uses to make it.
    """
    lines: list[str] = []
    for step in plan.steps:
        if step.error:
            lines.append(f"Error: {step.step}: {step.error}")
            if step.hint:
                lines.append(f"  fix: {step.hint}")
        elif step.skipped:
            lines.append(f"Skipped: {step.step}: {step.skipped}")
    changes = plan.changes
    if changes:
        if lines:
            lines.append("")
        lines.append(f"vertex-claude-setup will perform the following actions on project {plan.project}:")
        lines.append("")
        for change in changes:
            lines.append(f"  {SYMBOLS[change.action]} {change.summary}")
            if change.before is not None or change.after is not None:
                lines.append(f"      {_value(change.before if change.before is not None else '(none)')} → "
                             f"{_value(change.after)}")
            if change.reason:
                lines.append(f"      # {change.reason}")
            if payloads and change.data:
                lines.append(f"      apply uses: {json.dumps(change.data, sort_keys=True)}")
        lines.append("")
    findings = plan.findings
    if findings:
        lines.append("Checks:")
        for finding in findings:
            mark = {"error": "✗", "warning": "!", "info": "·"}[finding.severity]
            lines.append(f"  {mark} {finding.message}")
            if finding.hint:
                lines.append(f"      fix: {finding.hint}")
        lines.append("")
    if plan.errors:
        lines.append("Plan incomplete: fix the errors above and plan again.")
    elif changes:
        counts = plan.counts()
        lines.append(f"Plan: {counts['create']} to add, {counts['update']} to change, {counts['delete']} to destroy.")
    else:
        lines.append(f"No changes. Project {plan.project} matches the configuration.")
    return "\n".join(lines)


def outcome_line(outcome: Outcome) -> str:
    """One line per applied, failed or skipped change, as apply goes."""
    if outcome.status == "applied":
        return f"  ✓ {outcome.summary}" + (f": {outcome.message}" if outcome.message else "")
    if outcome.status == "skipped":
        return f"  - skipped {outcome.summary}: {outcome.message}"
    if outcome.status == "not_started":
        return f"  · not started: {outcome.summary}"
    text = f"  ✗ {outcome.summary}: {outcome.message}"
    return text + (f"\n      fix: {outcome.hint}" if outcome.hint else "")


def apply_summary(outcomes: list[Outcome], interrupted: bool = False) -> str:
    """The closing line of ``apply``: Terraform's "Apply complete!", the failure count, or what Ctrl-C left."""
    applied = sum(o.status == "applied" for o in outcomes)
    failed = sum(o.status == "failed" for o in outcomes)
    skipped = sum(o.status == "skipped" for o in outcomes)
    never = sum(o.status == "not_started" for o in outcomes)
    if never or interrupted:
        also = f", {skipped} skipped" if skipped else ""
        return (f"Interrupted: {applied} applied, {failed} failed{also}, {never} never started. "
                "Re-run apply to resume: it reads the real state again and makes only what is left.")
    if failed:
        return (f"Apply failed: {applied} applied, {failed} failed, {skipped} skipped. "
                "Fix the cause and run apply again: it resumes where it stopped.")
    return f"Apply complete! {applied} applied."


def checks_text(findings: list[Finding], heading: str = "Checks after apply:") -> str:
    """Findings of checks that ran after apply (they were deferred at plan time), plan style."""
    lines = [heading]
    for finding in findings:
        mark = {"error": "✗", "warning": "!", "info": "·"}[finding.severity]
        lines.append(f"  {mark} {finding.message}")
        if finding.hint:
            lines.append(f"      fix: {finding.hint}")
    return "\n".join(lines)
